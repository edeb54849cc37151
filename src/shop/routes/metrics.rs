//! `GET /metrics`: the shop's series in Prometheus text format while
//! `monitoring.metrics` is on, 404 otherwise (a shop that exports nothing
//! has no such page). Never rate-limited, like `/health` (see `shop::limit`).

use std::sync::Arc;

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::shop::error::{Error, Problem};
use crate::shop::metrics;
use crate::shop::state::AppState;

pub fn routes() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::new().routes(routes!(scrape))
}

/// Request, cache, pool, rate-limit and process series for Prometheus.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "health",
    responses(
        (status = 200, description = "Prometheus text format (version 0.0.4)", content_type = "text/plain", body = String),
        (status = 404, response = Problem),
    )
)]
async fn scrape(State(state): State<Arc<AppState>>) -> Result<Response, Error> {
    if !state.settings().monitoring.metrics {
        return Err(Error::NotFound(
            "/metrics (monitoring.metrics is off: switch it on in shop.toml)".into(),
        ));
    }
    let body = metrics::scrape(&state).await;
    Ok(([(header::CONTENT_TYPE, metrics::CONTENT_TYPE)], body).into_response())
}
