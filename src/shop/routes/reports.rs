//! `GET /reports/top-products`: the storefront's best sellers, computed from
//! every order item on each call, or read from the sales summary (lab 4.2
//! profiles the first and switches to the second).

use std::sync::Arc;

use axum::extract::State;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::shop::error::extract::{Json, Query};
use crate::shop::error::{Error, Problem};
use crate::shop::state::AppState;
use crate::shop::store::reports::{self, TopProduct};

pub fn routes() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::new().routes(routes!(top_products))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct TopQuery {
    #[serde(default = "default_limit")]
    #[param(minimum = 1, maximum = 100, default = 10)]
    limit: i64,
}

fn default_limit() -> i64 {
    10
}

/// Revenue and units per product over every order item, best first.
#[utoipa::path(
    get,
    path = "/reports/top-products",
    tag = "reports",
    params(TopQuery),
    responses(
        (status = 200, description = "The best sellers", body = Vec<TopProduct>),
        (status = 400, response = Problem),
        (status = 422, response = Problem),
        (status = 503, response = Problem),
    )
)]
async fn top_products(
    State(state): State<Arc<AppState>>,
    Query(query): Query<TopQuery>,
) -> Result<Json<Vec<TopProduct>>, Error> {
    if !(1..=100).contains(&query.limit) {
        return Err(Error::Unprocessable(
            "limit must be between 1 and 100".into(),
        ));
    }
    Ok(Json(
        reports::top_products(
            &state.db.pool(),
            state.settings().reports.top_products,
            query.limit,
        )
        .await?,
    ))
}
