//! `GET /orders`, `GET /orders/{id}`, `POST /orders`. A customer sees only their
//! own orders (someone else's is 404, not 403: its existence is not theirs to
//! know); an admin sees any.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{Page, Paged};
use crate::shop::auth::AuthUser;
use crate::shop::error::extract::{Json, Path, Query};
use crate::shop::error::{Error, Problem};
use crate::shop::settings::Loading;
use crate::shop::state::AppState;
use crate::shop::store::orders::{self, NewOrderItem, OrderDetail, OrderSummary, PlaceError};

pub fn routes() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::new()
        .routes(routes!(list, place))
        .routes(routes!(detail))
}

/// The caller's orders, newest first.
#[utoipa::path(
    get,
    path = "/orders",
    tag = "orders",
    params(Page),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of orders", body = Paged<OrderSummary>),
        (status = 401, response = Problem),
        (status = 422, response = Problem),
    )
)]
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

/// One order with its items and their products (an admin sees any order).
#[utoipa::path(
    get,
    path = "/orders/{id}",
    tag = "orders",
    params(("id" = i64, Path, description = "The order's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The order", body = OrderDetail),
        (status = 401, response = Problem),
        (status = 404, response = Problem),
    )
)]
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

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct NewOrder {
    /// 1 to 100 lines, each 1 to 1000 units.
    items: Vec<NewOrderItem>,
}

/// Places an order: checks and takes the stock in one transaction.
#[utoipa::path(
    post,
    path = "/orders",
    tag = "orders",
    request_body = NewOrder,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Placed; `Location` names it", body = OrderDetail),
        (status = 401, response = Problem),
        (status = 409, response = Problem),
        (status = 422, response = Problem),
    )
)]
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
