//! `GET /health`: whether the database answers (and how fast) and what the
//! cache is doing. 200 when the shop can serve — `degraded` while Redis is
//! down, whatever `cache.fallback` does meanwhile (named in `cache.fallback`)
//! — and 503 when the database does not answer. The database is probed on a
//! connection of its own, outside the pool: a pool saturated by traffic
//! (lab 2.4) is slow, not down.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::shop::cache::CacheHealth;
use crate::shop::error::extract::Json;
use crate::shop::state::AppState;

/// A health probe never waits longer than this on a dependency.
const PROBE_TIMEOUT: Duration = Duration::from_millis(500);

pub fn routes() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::new().routes(routes!(health))
}

#[derive(Debug, Serialize, ToSchema)]
struct Health {
    /// `ok`, `degraded` (Redis down, the fallback answers) or `down`.
    status: &'static str,
    database: DatabaseHealth,
    /// The cache's backend, status and fallback.
    #[schema(value_type = Object)]
    cache: CacheHealth,
}

#[derive(Debug, Serialize, ToSchema)]
struct DatabaseHealth {
    /// `up` or `down`.
    status: &'static str,
    /// How long `SELECT 1` took, when it answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    latency_ms: Option<f64>,
    backend: &'static str,
}

/// Whether the database answers (and how fast) and what the cache is doing.
#[utoipa::path(
    get,
    path = "/health",
    tag = "health",
    responses(
        (status = 200, description = "The shop can serve", body = Health),
        (status = 503, description = "The database does not answer", body = Health),
    )
)]
async fn health(State(state): State<Arc<AppState>>) -> Response {
    let database = probe_database(&state).await;
    let cache = state.cache.health(&state.settings().cache);
    let (code, status) = match (database.status, cache.status) {
        ("up", "down") => (StatusCode::OK, "degraded"),
        ("up", _) => (StatusCode::OK, "ok"),
        _ => (StatusCode::SERVICE_UNAVAILABLE, "down"),
    };
    (
        code,
        Json(Health {
            status,
            database,
            cache,
        }),
    )
        .into_response()
}

async fn probe_database(state: &AppState) -> DatabaseHealth {
    let started = Instant::now();
    let ping = tokio::time::timeout(PROBE_TIMEOUT, state.db.probe()).await;
    let up = matches!(ping, Ok(Ok(())));
    DatabaseHealth {
        status: if up { "up" } else { "down" },
        latency_ms: up.then(|| (started.elapsed().as_secs_f64() * 1000.0 * 100.0).round() / 100.0),
        backend: "postgres",
    }
}
