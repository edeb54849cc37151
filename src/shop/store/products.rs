//! Products and categories: listing (filter, sort, page), detail, search,
//! create, update, export.
//!
//! Only the detail (and what a write returns) carries `sold`, the units ever
//! ordered: listings, search and export keep the plain product columns (a sum
//! per row would multiply their cost and change what the indexing labs see).
//!
//! Each listing variant is its own static SQL string rather than one query with
//! `($1 IS NULL OR category_id = $1)`: that catch-all form hides the filter from
//! the planner, and lab 2.1 is precisely about the planner using the student's
//! index for `WHERE category_id = $1 ORDER BY price`.

use chrono::{DateTime, Utc};
use futures::stream::BoxStream;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use sqlx::pool::PoolConnection;
use sqlx::{PgPool, Postgres};

/// A product as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Product {
    pub id: i64,
    pub category_id: i64,
    pub name: String,
    pub description: String,
    pub price: Decimal,
    pub stock: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A product's own page (`GET /products/{id}`, and what a write returns): the
/// product and how many units of it were ever ordered.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct ProductDetail {
    #[serde(flatten)]
    #[sqlx(flatten)]
    pub product: Product,
    /// Units of this product over every order item.
    pub sold: i64,
}

/// A category with how many products it holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Category {
    pub id: i64,
    pub name: String,
    pub slug: String,
    pub product_count: i64,
}

/// Orderings of `GET /products?sort=`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, utoipa::ToSchema)]
pub enum Sort {
    #[default]
    #[serde(rename = "id")]
    Id,
    #[serde(rename = "price")]
    PriceAsc,
    #[serde(rename = "-price")]
    PriceDesc,
    #[serde(rename = "name")]
    Name,
    #[serde(rename = "newest")]
    Newest,
}

impl Sort {
    /// The name the query string uses (`?sort=-price`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Id => "id",
            Self::PriceAsc => "price",
            Self::PriceDesc => "-price",
            Self::Name => "name",
            Self::Newest => "newest",
        }
    }
}

/// The fields of a new product.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewProduct {
    pub category_id: i64,
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub price: Decimal,
    pub stock: i32,
}

/// The fields a product update may change; absent fields keep their value.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductUpdate {
    pub category_id: Option<i64>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub price: Option<Decimal>,
    pub stock: Option<i32>,
}

macro_rules! select_products {
    () => {
        "SELECT id, category_id, name, description, price, stock, created_at, updated_at FROM products"
    };
}

/// A detail's columns, for `products p`. `sold` is a scalar subquery in the
/// same statement, so a detail stays one query (`X-Query-Count: 1`) while
/// still doing real work for a best-seller (thousands of order items, read
/// through the schema's `order_items (product_id)` index), which is what makes
/// caching the detail worth measuring in the caching labs.
macro_rules! detail_columns {
    () => {
        "p.id, p.category_id, p.name, p.description, p.price, p.stock, p.created_at, p.updated_at, \
         (SELECT coalesce(sum(quantity), 0) FROM order_items WHERE product_id = p.id) AS sold"
    };
}

/// The SQL of one listing variant (also what `EXPLAIN` runs for lab 2.1).
pub fn listing_sql(by_category: bool, sort: Sort) -> &'static str {
    macro_rules! variant {
        ($order:literal) => {
            if by_category {
                concat!(
                    select_products!(),
                    " WHERE category_id = $1 ORDER BY ",
                    $order,
                    " LIMIT $2 OFFSET $3"
                )
            } else {
                concat!(
                    select_products!(),
                    " ORDER BY ",
                    $order,
                    " LIMIT $1 OFFSET $2"
                )
            }
        };
    }
    match sort {
        Sort::Id => variant!("id"),
        Sort::PriceAsc => variant!("price, id"),
        Sort::PriceDesc => variant!("price DESC, id"),
        Sort::Name => variant!("name, id"),
        Sort::Newest => variant!("created_at DESC, id"),
    }
}

/// One page of products, optionally of one category.
pub async fn list(
    pool: &PgPool,
    category: Option<i64>,
    sort: Sort,
    limit: i64,
    offset: i64,
) -> sqlx::Result<Vec<Product>> {
    let query = sqlx::query_as(listing_sql(category.is_some(), sort));
    let query = match category {
        Some(category) => query.bind(category),
        None => query,
    };
    query.bind(limit).bind(offset).fetch_all(pool).await
}

/// One product without its sales: what lazy loading reads per order item.
pub async fn get(pool: &PgPool, id: i64) -> sqlx::Result<Option<Product>> {
    sqlx::query_as(concat!(select_products!(), " WHERE id = $1"))
        .bind(id)
        .fetch_optional(pool)
        .await
}

/// One product with its units sold, in one statement.
pub async fn detail(pool: &PgPool, id: i64) -> sqlx::Result<Option<ProductDetail>> {
    sqlx::query_as(concat!(
        "SELECT ",
        detail_columns!(),
        " FROM products p WHERE p.id = $1"
    ))
    .bind(id)
    .fetch_optional(pool)
    .await
}

/// The search the course writes first: `ILIKE '%q%'`, on purpose. Without a
/// trigram index it reads every product; lab 2.2 adds one.
pub const SEARCH_SQL: &str = concat!(
    select_products!(),
    " WHERE name ILIKE $1 ORDER BY name, id LIMIT $2"
);

/// `%q%`, with the user's own `%`, `_` and `\` taken literally.
pub fn contains_pattern(q: &str) -> String {
    let mut pattern = String::with_capacity(q.len() + 2);
    pattern.push('%');
    for c in q.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

pub async fn search(pool: &PgPool, q: &str, limit: i64) -> sqlx::Result<Vec<Product>> {
    sqlx::query_as(SEARCH_SQL)
        .bind(contains_pattern(q))
        .bind(limit)
        .fetch_all(pool)
        .await
}

/// Inserts a product and returns its detail (`sold` is 0, counted the same
/// way as every detail so the two can never disagree).
pub async fn create(pool: &PgPool, new: &NewProduct) -> sqlx::Result<ProductDetail> {
    sqlx::query_as(concat!(
        "INSERT INTO products AS p (category_id, name, description, price, stock) \
         VALUES ($1, $2, $3, $4, $5) RETURNING ",
        detail_columns!()
    ))
    .bind(new.category_id)
    .bind(&new.name)
    .bind(&new.description)
    .bind(new.price)
    .bind(new.stock)
    .fetch_one(pool)
    .await
}

/// Changes the given fields and returns the product's new detail.
pub async fn update(
    pool: &PgPool,
    id: i64,
    change: &ProductUpdate,
) -> sqlx::Result<Option<ProductDetail>> {
    sqlx::query_as(concat!(
        "UPDATE products AS p SET \
           category_id = COALESCE($2, category_id), name = COALESCE($3, name), \
           description = COALESCE($4, description), price = COALESCE($5, price), \
           stock = COALESCE($6, stock), updated_at = now() \
         WHERE p.id = $1 RETURNING ",
        detail_columns!()
    ))
    .bind(id)
    .bind(change.category_id)
    .bind(&change.name)
    .bind(&change.description)
    .bind(change.price)
    .bind(change.stock)
    .fetch_optional(pool)
    .await
}

/// Every category with its product count, in one grouped join.
pub async fn categories(pool: &PgPool) -> sqlx::Result<Vec<Category>> {
    sqlx::query_as(
        "SELECT c.id, c.name, c.slug, count(p.id) AS product_count \
         FROM categories c LEFT JOIN products p ON p.category_id = c.id \
         GROUP BY c.id ORDER BY c.name, c.id",
    )
    .fetch_all(pool)
    .await
}

const EXPORT_SQL: &str = concat!(select_products!(), " ORDER BY id");

/// The whole catalog in memory: what the memory lab starts from.
pub async fn export_all(pool: &PgPool) -> sqlx::Result<Vec<Product>> {
    sqlx::query_as(EXPORT_SQL).fetch_all(pool).await
}

/// The whole catalog as a stream of rows, read as the client consumes it, on a
/// connection the caller already holds (so a busy pool is a 503 before the
/// response starts, not a broken body after it).
pub fn export_stream(
    mut conn: PoolConnection<Postgres>,
) -> BoxStream<'static, sqlx::Result<Product>> {
    Box::pin(async_stream::try_stream! {
        let mut rows = sqlx::query_as::<_, Product>(EXPORT_SQL).fetch(&mut *conn);
        while let Some(product) = futures::TryStreamExt::try_next(&mut rows).await? {
            yield product;
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pattern_escapes_wildcards() {
        assert_eq!(contains_pattern("keyboard"), "%keyboard%");
        assert_eq!(contains_pattern("50%_off\\"), "%50\\%\\_off\\\\%");
    }

    #[test]
    fn listing_variants_filter_only_when_asked() {
        assert!(
            listing_sql(true, Sort::PriceAsc).contains("WHERE category_id = $1 ORDER BY price, id")
        );
        assert!(!listing_sql(false, Sort::PriceAsc).contains("WHERE"));
    }
}
