//! `GET /reports/top-products`: the storefront's best sellers, computed from
//! every order item on each call (lab 4.2 profiles and fixes it).

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use serde::Deserialize;

use crate::shop::error::Error;
use crate::shop::error::extract::{Json, Query};
use crate::shop::state::AppState;
use crate::shop::store::reports::{self, TopProduct};

pub fn routes() -> Router<Arc<AppState>> {
    Router::new().route("/reports/top-products", get(top_products))
}

#[derive(Debug, Deserialize)]
struct TopQuery {
    #[serde(default = "default_limit")]
    limit: i64,
}

fn default_limit() -> i64 {
    10
}

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
        reports::top_products(&state.db.pool(), query.limit).await?,
    ))
}
