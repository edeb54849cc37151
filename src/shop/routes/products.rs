//! `/products`, `/products/{id}`, `/products/search`, `/products/export`,
//! `/categories`.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use bytes::Bytes;
use futures::StreamExt;
use rust_decimal::Decimal;
use serde::Deserialize;
use sqlx::PgPool;

use super::{Page, Paged};
use crate::shop::auth::Admin;
use crate::shop::cache::{self, keys::Key};
use crate::shop::error::Error;
use crate::shop::error::extract::{Json, Path, Query};
use crate::shop::settings::{CachedRoute, ExportMode};
use crate::shop::state::AppState;
use crate::shop::store::products::{
    self, Category, NewProduct, Product, ProductDetail, ProductUpdate, Sort,
};

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/products", get(list).post(create))
        .route("/products/search", get(search))
        .route("/products/export", get(export))
        .route("/products/{id}", get(detail).put(update))
        .route("/categories", get(categories))
}

/// `Page`'s fields are repeated rather than `#[serde(flatten)]`ed: flattening
/// makes serde_urlencoded hand every value over as a string, so `per_page=5`
/// would fail to parse as a number (serde-rs/serde#1183).
#[derive(Debug, Deserialize)]
struct ListQuery {
    category: Option<i64>,
    #[serde(default)]
    sort: Sort,
    #[serde(default = "Page::first")]
    page: i64,
    #[serde(default = "Page::default_per_page")]
    per_page: i64,
}

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

#[derive(Debug, Deserialize)]
struct SearchQuery {
    #[serde(default)]
    q: String,
    #[serde(default = "default_search_limit")]
    limit: i64,
}

fn default_search_limit() -> i64 {
    20
}

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
async fn export(State(state): State<Arc<AppState>>) -> Result<Response, Error> {
    let pool = state.db.pool();
    let body = match state.settings().export.mode {
        ExportMode::Buffered => {
            let all = products::export_all(&pool).await?;
            Body::from(cache::to_json(&all)?)
        }
        ExportMode::Streamed => {
            let conn = pool.acquire().await?;
            Body::from_stream(json_array(products::export_stream(conn)))
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
