//! `GET /orders`, `GET /orders/{id}`, `POST /orders`. A customer sees only their
//! own orders (someone else's is 404, not 403: its existence is not theirs to
//! know); an admin sees any.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;

use super::{Page, Paged};
use crate::shop::auth::AuthUser;
use crate::shop::error::Error;
use crate::shop::error::extract::{Json, Path, Query};
use crate::shop::settings::Loading;
use crate::shop::state::AppState;
use crate::shop::store::orders::{self, NewOrderItem, OrderDetail, OrderSummary, PlaceError};

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/orders", get(list).post(place))
        .route("/orders/{id}", get(detail))
}

async fn list(
    State(state): State<Arc<AppState>>,
    user: AuthUser,
    Query(page): Query<Page>,
) -> Result<Json<Paged<OrderSummary>>, Error> {
    let (limit, offset) = page.limit_offset()?;
    let items = orders::list_for_user(&state.db.pool(), user.id, limit, offset).await?;
    Ok(Json(Paged {
        items,
        page: page.page,
        per_page: page.per_page,
    }))
}

async fn detail(
    State(state): State<Arc<AppState>>,
    user: AuthUser,
    Path(id): Path<i64>,
) -> Result<Json<OrderDetail>, Error> {
    let pool = state.db.pool();
    let owner = (!user.is_admin()).then_some(user.id);
    let order = match state.settings().database.loading {
        Loading::Lazy => orders::detail_lazy(&pool, id, owner).await?,
        Loading::Eager => orders::detail_eager(&pool, id, owner).await?,
    };
    order
        .map(Json)
        .ok_or_else(|| Error::NotFound(format!("order {id}")))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewOrder {
    items: Vec<NewOrderItem>,
}

async fn place(
    State(state): State<Arc<AppState>>,
    user: AuthUser,
    Json(new): Json<NewOrder>,
) -> Result<Response, Error> {
    if new.items.is_empty() || new.items.len() > 100 {
        return Err(Error::Unprocessable("an order needs 1 to 100 items".into()));
    }
    if let Some(bad) = new.items.iter().find(|i| !(1..=1000).contains(&i.quantity)) {
        return Err(Error::Unprocessable(format!(
            "quantity of product {} must be between 1 and 1000",
            bad.product_id
        )));
    }
    let settings = state.settings();
    let order = orders::place(&state.db.pool(), user.id, &new.items)
        .await
        .map_err(|e| match e {
            PlaceError::UnknownProduct(_) => Error::Unprocessable(e.to_string()),
            PlaceError::OutOfStock { .. } => Error::Conflict(e.to_string()),
            PlaceError::Database(db) => db.into(),
        })?;
    // The order took stock: cached details and listings show stock.
    let products: Vec<i64> = order.items.iter().map(|item| item.product_id).collect();
    state
        .cache
        .products_written(&settings.cache, &products)
        .await;
    let location = format!("/orders/{}", order.order.id);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(order),
    )
        .into_response())
}
