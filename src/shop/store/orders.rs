//! Orders: a customer's list, one order's detail with its items and their
//! products, and placing an order inside a transaction that checks stock
//! and adds the order to the sales summary (`super::sales`).
//!
//! The detail has two loaders that must return identical data: [`detail_lazy`]
//! is the N+1 pattern an ORM's lazy relationships produce (order, items, then
//! one product query per item); [`detail_eager`] joins items with products.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use sqlx::PgPool;

use super::products::Product;

/// An order as listed.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct OrderSummary {
    pub id: i64,
    pub user_id: i64,
    pub status: String,
    pub total: Decimal,
    pub created_at: DateTime<Utc>,
}

/// One line of an order, with the product it refers to.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct OrderItem {
    pub id: i64,
    pub product_id: i64,
    pub quantity: i32,
    pub unit_price: Decimal,
    pub product: Product,
}

/// An order with its items.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct OrderDetail {
    #[serde(flatten)]
    pub order: OrderSummary,
    pub items: Vec<OrderItem>,
}

/// One line of a new order.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOrderItem {
    pub product_id: i64,
    pub quantity: i32,
}

/// Why an order could not be placed; the handler maps each to a status.
#[derive(Debug, thiserror::Error)]
pub enum PlaceError {
    #[error("product {0} does not exist")]
    UnknownProduct(i64),
    #[error("product {product_id} has {available} in stock, {requested} requested")]
    OutOfStock {
        product_id: i64,
        available: i32,
        requested: i64,
    },
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

#[derive(sqlx::FromRow)]
struct ItemRow {
    id: i64,
    product_id: i64,
    quantity: i32,
    unit_price: Decimal,
}

/// One order, only if `$2` owns it (`$2` NULL: an admin, who may read any), so
/// nothing about someone else's order is loaded or revealed.
const ORDER_SQL: &str = "SELECT id, user_id, status, total, created_at FROM orders \
                         WHERE id = $1 AND ($2::bigint IS NULL OR user_id = $2)";

/// The items of one order, as lazy loading reads them (lab 2.3's EXPLAIN target).
pub const ITEMS_SQL: &str = "SELECT id, product_id, quantity, unit_price FROM order_items \
                             WHERE order_id = $1 ORDER BY id";

/// Items joined with their products: the eager loader's second query.
pub const ITEMS_WITH_PRODUCTS_SQL: &str = "SELECT oi.id, oi.product_id, oi.quantity, oi.unit_price, \
       p.id AS p_id, p.category_id, p.name, p.description, p.price, p.stock, p.created_at, p.updated_at \
     FROM order_items oi JOIN products p ON p.id = oi.product_id \
     WHERE oi.order_id = $1 ORDER BY oi.id";

async fn order(pool: &PgPool, id: i64, owner: Option<i64>) -> sqlx::Result<Option<OrderSummary>> {
    sqlx::query_as(ORDER_SQL)
        .bind(id)
        .bind(owner)
        .fetch_optional(pool)
        .await
}

/// Order, then items, then each item's product: 2 + N queries. `owner`
/// restricts it to one user's orders (`None`: any order).
pub async fn detail_lazy(
    pool: &PgPool,
    id: i64,
    owner: Option<i64>,
) -> sqlx::Result<Option<OrderDetail>> {
    let Some(order) = order(pool, id, owner).await? else {
        return Ok(None);
    };
    let rows: Vec<ItemRow> = sqlx::query_as(ITEMS_SQL).bind(id).fetch_all(pool).await?;
    let mut items = Vec::with_capacity(rows.len());
    for row in rows {
        let product = super::products::get(pool, row.product_id)
            .await?
            .ok_or(sqlx::Error::RowNotFound)?;
        items.push(OrderItem {
            id: row.id,
            product_id: row.product_id,
            quantity: row.quantity,
            unit_price: row.unit_price,
            product,
        });
    }
    Ok(Some(OrderDetail { order, items }))
}

/// Order, then items joined with products: 2 queries.
pub async fn detail_eager(
    pool: &PgPool,
    id: i64,
    owner: Option<i64>,
) -> sqlx::Result<Option<OrderDetail>> {
    let Some(order) = order(pool, id, owner).await? else {
        return Ok(None);
    };
    let items = items_with_products(pool, id).await?;
    Ok(Some(OrderDetail { order, items }))
}

/// An order's items with their products, in one query.
async fn items_with_products(
    db: impl sqlx::PgExecutor<'_>,
    order_id: i64,
) -> sqlx::Result<Vec<OrderItem>> {
    use sqlx::Row;
    let rows = sqlx::query(ITEMS_WITH_PRODUCTS_SQL)
        .bind(order_id)
        .fetch_all(db)
        .await?;
    rows.iter()
        .map(|row| {
            Ok(OrderItem {
                id: row.try_get("id")?,
                product_id: row.try_get("product_id")?,
                quantity: row.try_get("quantity")?,
                unit_price: row.try_get("unit_price")?,
                product: Product {
                    id: row.try_get("p_id")?,
                    category_id: row.try_get("category_id")?,
                    name: row.try_get("name")?,
                    description: row.try_get("description")?,
                    price: row.try_get("price")?,
                    stock: row.try_get("stock")?,
                    created_at: row.try_get("created_at")?,
                    updated_at: row.try_get("updated_at")?,
                },
            })
        })
        .collect()
}

/// A user's orders, newest first.
pub async fn list_for_user(
    pool: &PgPool,
    user_id: i64,
    limit: i64,
    offset: i64,
) -> sqlx::Result<Vec<OrderSummary>> {
    sqlx::query_as(
        "SELECT id, user_id, status, total, created_at FROM orders \
         WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3",
    )
    .bind(user_id)
    .bind(limit)
    .bind(offset)
    .fetch_all(pool)
    .await
}

#[derive(sqlx::FromRow)]
struct StockRow {
    id: i64,
    price: Decimal,
    stock: i32,
}

/// Places an order atomically: locks the products (in id order, so two orders
/// never deadlock), checks every line's stock, takes it, and writes the order
/// and its items. Either all of it happens or none.
pub async fn place(
    pool: &PgPool,
    user_id: i64,
    lines: &[NewOrderItem],
) -> Result<OrderDetail, PlaceError> {
    // The same product twice in one order is one line with the summed quantity.
    let mut wanted: BTreeMap<i64, i64> = BTreeMap::new();
    for line in lines {
        *wanted.entry(line.product_id).or_default() += i64::from(line.quantity);
    }
    let ids: Vec<i64> = wanted.keys().copied().collect();

    let mut tx = super::statements::begin(pool).await?;
    let stock: Vec<StockRow> = sqlx::query_as(
        "SELECT id, price, stock FROM products WHERE id = ANY($1) ORDER BY id FOR UPDATE",
    )
    .bind(&ids)
    .fetch_all(&mut *tx)
    .await?;
    let mut quantities = Vec::with_capacity(ids.len());
    let mut prices = Vec::with_capacity(ids.len());
    for (&product_id, &requested) in &wanted {
        let row = stock
            .iter()
            .find(|row| row.id == product_id)
            .ok_or(PlaceError::UnknownProduct(product_id))?;
        if requested > i64::from(row.stock) {
            return Err(PlaceError::OutOfStock {
                product_id,
                available: row.stock,
                requested,
            });
        }
        // requested <= stock <= i32::MAX, so this cannot truncate.
        quantities.push(requested as i32);
        prices.push(row.price);
    }
    let total: Decimal = quantities
        .iter()
        .zip(&prices)
        .map(|(&q, &p)| Decimal::from(q) * p)
        .sum();

    sqlx::query(
        "UPDATE products p SET stock = p.stock - t.quantity, updated_at = now() \
         FROM unnest($1::bigint[], $2::int[]) AS t(id, quantity) WHERE p.id = t.id",
    )
    .bind(&ids)
    .bind(&quantities)
    .execute(&mut *tx)
    .await?;
    let order: OrderSummary = sqlx::query_as(
        "INSERT INTO orders (user_id, status, total) VALUES ($1, 'paid', $2) \
         RETURNING id, user_id, status, total, created_at",
    )
    .bind(user_id)
    .bind(total)
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO order_items (order_id, product_id, quantity, unit_price) \
         SELECT $1, t.product_id, t.quantity, t.unit_price \
         FROM unnest($2::bigint[], $3::int[], $4::numeric[]) WITH ORDINALITY AS t(product_id, quantity, unit_price, n) \
         ORDER BY t.n",
    )
    .bind(order.id)
    .bind(&ids)
    .bind(&quantities)
    .bind(&prices)
    .execute(&mut *tx)
    .await?;
    // The top-products summary counts the order exactly when it commits.
    super::sales::record_order(&mut tx, &ids, &quantities, &prices).await?;
    // Read back inside the transaction: once it commits, the answer must not
    // depend on getting another connection (a 503 then would invite a retry
    // that orders twice).
    let items = items_with_products(&mut *tx, order.id).await?;
    tx.commit().await?;
    Ok(OrderDetail { order, items })
}
