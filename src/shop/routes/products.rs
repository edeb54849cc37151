//! `/products`, `/products/{id}`, `/products/search`, `/products/export`,
//! `/categories`. Each handler carries its `#[utoipa::path]`, from which the
//! router and `/openapi.json` are both built (one `routes!` per path).

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures::StreamExt;
use rust_decimal::Decimal;
use serde::Deserialize;
use sqlx::PgPool;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{Page, Paged};
use crate::shop::auth::Admin;
use crate::shop::cache::{self, keys::Key};
use crate::shop::error::extract::{Json, Path, Query};
use crate::shop::error::{Error, Problem};
use crate::shop::settings::{CachedRoute, ExportMode};
use crate::shop::state::AppState;
use crate::shop::store::products::{
    self, Category, NewProduct, Product, ProductDetail, ProductUpdate, Sort,
};

pub fn routes() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(search))
        .routes(routes!(export))
        .routes(routes!(detail, update))
        .routes(routes!(categories))
}

/// `Page`'s fields are repeated rather than `#[serde(flatten)]`ed: flattening
/// makes serde_urlencoded hand every value over as a string, so `per_page=5`
/// would fail to parse as a number (serde-rs/serde#1183).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    /// Only this category's products.
    category: Option<i64>,
    #[serde(default)]
    #[param(inline)]
    sort: Sort,
    #[serde(default = "Page::first")]
    #[param(minimum = 1, maximum = 100000, default = 1)]
    page: i64,
    #[serde(default = "Page::default_per_page")]
    #[param(minimum = 1, maximum = 100, default = 20)]
    per_page: i64,
}

/// A page of the catalog, filtered by category and sorted.
#[utoipa::path(
    get,
    path = "/products",
    tag = "products",
    params(ListQuery),
    responses(
        (status = 200, description = "A page of products", body = Paged<Product>,
            headers(("x-cache" = String, description = "HIT, MISS or BYPASS"))),
        (status = 400, response = Problem),
        (status = 422, response = Problem),
        (status = 503, response = Problem),
    )
)]
async fn list(
    State(state): State<Arc<AppState>>,
    RawQuery(raw): RawQuery,
    Query(query): Query<ListQuery>,
) -> Result<Response, Error> {
    let page = Page {
        page: query.page,
        per_page: query.per_page,
    };
    let (limit, offset) = page.limit_offset()?;
    // The key holds every parameter with its default filled in, so `?page=1`
    // and no page at all are one entry.
    let key = Key::catalog(
        CachedRoute::ProductList,
        &[
            (
                "category",
                query.category.map_or("all".into(), |c| c.to_string()),
            ),
            ("sort", query.sort.name().into()),
            ("page", page.page.to_string()),
            ("per_page", page.per_page.to_string()),
        ],
    )
    .with_raw_query(raw);
    let pool = state.db.pool();
    let read = async {
        let items = products::list(&pool, query.category, query.sort, limit, offset).await?;
        cache::to_json(&Paged {
            items,
            page: page.page,
            per_page: page.per_page,
        })
    };
    let (body, outcome) = state
        .cache
        .serve(&state.settings().cache, key, read)
        .await?;
    Ok(cache::respond(body, outcome))
}

/// One product and how many units of it were ever sold.
#[utoipa::path(
    get,
    path = "/products/{id}",
    tag = "products",
    params(("id" = i64, Path, description = "The product's id")),
    responses(
        (status = 200, description = "The product", body = ProductDetail,
            headers(("x-cache" = String, description = "HIT, MISS or BYPASS"))),
        (status = 400, response = Problem),
        (status = 404, response = Problem),
        (status = 503, response = Problem),
    )
)]
async fn detail(
    State(state): State<Arc<AppState>>,
    RawQuery(raw): RawQuery,
    Path(id): Path<i64>,
) -> Result<Response, Error> {
    let pool = state.db.pool();
    let key = Key::product(id).with_raw_query(raw);
    let (body, outcome) = state
        .cache
        .serve(&state.settings().cache, key, read_product(&pool, id))
        .await?;
    Ok(cache::respond(body, outcome))
}

/// One product as the JSON the detail endpoint sends (and caches).
async fn read_product(pool: &PgPool, id: i64) -> Result<Bytes, Error> {
    let product = products::detail(pool, id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("product {id}")))?;
    cache::to_json(&product)
}

/// Adds a product (admins only).
#[utoipa::path(
    post,
    path = "/products",
    tag = "products",
    request_body = NewProduct,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created; `Location` names it", body = ProductDetail),
        (status = 401, response = Problem),
        (status = 403, response = Problem),
        (status = 422, response = Problem),
    )
)]
async fn create(
    State(state): State<Arc<AppState>>,
    _admin: Admin,
    Json(new): Json<NewProduct>,
) -> Result<Response, Error> {
    validate_text("name", &new.name, 200, true)?;
    validate_text("description", &new.description, 2000, false)?;
    validate_price(new.price)?;
    validate_stock(new.stock)?;
    let pool = state.db.pool();
    let product = products::create(&pool, &new).await?;
    let id = product.product.id;
    let settings = state.settings();
    let fresh = read_product(&pool, id);
    state
        .cache
        .product_written(&settings.cache, id, fresh)
        .await;
    let location = format!("/products/{id}");
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(product),
    )
        .into_response())
}

/// Changes the fields it is given (admins only).
#[utoipa::path(
    put,
    path = "/products/{id}",
    tag = "products",
    params(("id" = i64, Path, description = "The product's id")),
    request_body = ProductUpdate,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The product as it now is", body = ProductDetail),
        (status = 401, response = Problem),
        (status = 403, response = Problem),
        (status = 404, response = Problem),
        (status = 422, response = Problem),
    )
)]
async fn update(
    State(state): State<Arc<AppState>>,
    _admin: Admin,
    Path(id): Path<i64>,
    Json(change): Json<ProductUpdate>,
) -> Result<Json<ProductDetail>, Error> {
    if let Some(name) = &change.name {
        validate_text("name", name, 200, true)?;
    }
    if let Some(description) = &change.description {
        validate_text("description", description, 2000, false)?;
    }
    if let Some(price) = change.price {
        validate_price(price)?;
    }
    if let Some(stock) = change.stock {
        validate_stock(stock)?;
    }
    let pool = state.db.pool();
    let product = products::update(&pool, id, &change)
        .await?
        .ok_or_else(|| Error::NotFound(format!("product {id}")))?;
    // Before answering: once this response is out, no reader may see the old
    // product (with on-write invalidation).
    let settings = state.settings();
    state
        .cache
        .product_written(&settings.cache, id, read_product(&pool, id))
        .await;
    Ok(Json(product))
}

/// Text PostgreSQL will store: not too long, no NUL byte, and not blank when
/// `required`.
fn validate_text(field: &str, value: &str, max_chars: usize, required: bool) -> Result<(), Error> {
    let blank = value.trim().is_empty();
    if (required && blank) || value.chars().count() > max_chars || value.contains('\0') {
        let least = if required { 1 } else { 0 };
        return Err(Error::Unprocessable(format!(
            "{field} must be {least} to {max_chars} characters of text"
        )));
    }
    Ok(())
}

fn validate_price(price: Decimal) -> Result<(), Error> {
    // numeric(10, 2): at most 8 digits before the point, 2 after.
    if price.is_sign_negative() || price.scale() > 2 || price >= Decimal::from(100_000_000) {
        return Err(Error::Unprocessable(
            "price must be between 0 and 99999999.99 with at most 2 decimals".into(),
        ));
    }
    Ok(())
}

fn validate_stock(stock: i32) -> Result<(), Error> {
    if stock < 0 {
        return Err(Error::Unprocessable("stock cannot be negative".into()));
    }
    Ok(())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct SearchQuery {
    /// Text the name contains (case-insensitive), 2 to 100 characters.
    #[serde(default)]
    q: String,
    #[serde(default = "default_search_limit")]
    #[param(minimum = 1, maximum = 100, default = 20)]
    limit: i64,
}

fn default_search_limit() -> i64 {
    20
}

/// Products whose name contains `q` (`ILIKE '%q%'`, on purpose: lab 2.2
/// indexes it).
#[utoipa::path(
    get,
    path = "/products/search",
    tag = "products",
    params(SearchQuery),
    responses(
        (status = 200, description = "Matching products", body = Vec<Product>,
            headers(("x-cache" = String, description = "HIT, MISS or BYPASS"))),
        (status = 400, response = Problem),
        (status = 422, response = Problem),
        (status = 503, response = Problem),
    )
)]
async fn search(
    State(state): State<Arc<AppState>>,
    RawQuery(raw): RawQuery,
    Query(query): Query<SearchQuery>,
) -> Result<Response, Error> {
    let q = query.q.trim();
    if q.chars().count() < 2 || q.chars().count() > 100 || q.contains('\0') {
        return Err(Error::Unprocessable("q must be 2 to 100 characters".into()));
    }
    if !(1..=100).contains(&query.limit) {
        return Err(Error::Unprocessable(
            "limit must be between 1 and 100".into(),
        ));
    }
    // The key takes `q` as given: folding case here (Unicode) could disagree
    // with ILIKE's folding under the database's locale.
    let key = Key::catalog(
        CachedRoute::Search,
        &[("q", q.to_string()), ("limit", query.limit.to_string())],
    )
    .with_raw_query(raw);
    let pool = state.db.pool();
    let read = async { cache::to_json(&products::search(&pool, q, query.limit).await?) };
    let (body, outcome) = state
        .cache
        .serve(&state.settings().cache, key, read)
        .await?;
    Ok(cache::respond(body, outcome))
}

/// Every category with its number of products.
#[utoipa::path(
    get,
    path = "/categories",
    tag = "products",
    responses(
        (status = 200, description = "The categories", body = Vec<Category>,
            headers(("x-cache" = String, description = "HIT, MISS or BYPASS"))),
        (status = 503, response = Problem),
    )
)]
async fn categories(
    State(state): State<Arc<AppState>>,
    RawQuery(raw): RawQuery,
) -> Result<Response, Error> {
    let key = Key::catalog(CachedRoute::Categories, &[]).with_raw_query(raw);
    let pool = state.db.pool();
    let read = async {
        let categories: Vec<Category> = products::categories(&pool).await?;
        cache::to_json(&categories)
    };
    let (body, outcome) = state
        .cache
        .serve(&state.settings().cache, key, read)
        .await?;
    Ok(cache::respond(body, outcome))
}

/// The whole catalog as one JSON array, built in memory or streamed row by row
/// according to `export.mode`. Both send the same bytes.
#[utoipa::path(
    get,
    path = "/products/export",
    tag = "products",
    responses(
        (status = 200, description = "Every product", body = Vec<Product>),
        (status = 503, response = Problem),
    )
)]
async fn export(State(state): State<Arc<AppState>>) -> Result<Response, Error> {
    let pool = state.db.pool();
    let body = match state.settings().export.mode {
        ExportMode::Buffered => {
            let all = products::export_all(&pool).await?;
            Body::from(cache::to_json(&all)?)
        }
        ExportMode::Streamed => {
            let conn = state.db.export_connection(&pool).await?;
            let mut rows = products::export_stream(conn).peekable();
            // The first row before the head: a database that is down or busy
            // is a 503 now, not a 200 whose body breaks (the request timeout
            // covers this far, not the rest of the body).
            if let Some(Err(_)) = std::pin::Pin::new(&mut rows).peek().await
                && let Some(Err(error)) = rows.next().await
            {
                return Err(error.into());
            }
            Body::from_stream(json_array(Box::pin(rows)))
        }
    };
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

/// Frames a stream of rows as a JSON array: `[`, rows separated by commas, `]`.
/// A database error mid-stream ends the body with an error, so the client sees
/// a broken response rather than a silently truncated catalog.
fn json_array(
    rows: futures::stream::BoxStream<'static, sqlx::Result<Product>>,
) -> impl futures::Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static {
    let open = futures::stream::once(async { Ok(Bytes::from_static(b"[")) });
    // Rows that are already there are sent together: one chunk per row would
    // cost a write and chunk framing per product.
    let mut first = true;
    let body = rows.ready_chunks(256).map(move |batch| {
        let mut chunk = Vec::with_capacity(batch.len() * 256);
        for row in batch {
            let product = row.map_err(|e| {
                tracing::error!(error = %e, "export stream failed");
                std::io::Error::other("export failed")
            })?;
            if !first {
                chunk.push(b',');
            }
            first = false;
            serde_json::to_writer(&mut chunk, &product).map_err(std::io::Error::other)?;
        }
        Ok(Bytes::from(chunk))
    });
    let close = futures::stream::once(async { Ok(Bytes::from_static(b"]")) });
    open.chain(body).chain(close)
}
