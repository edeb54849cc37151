//! The control API: how the runner, the TUI and the checks change a running
//! shop. It listens on 127.0.0.1 only, on its own port, and every call needs
//! `Authorization: Bearer <token>` with the random token the shop wrote to the
//! state directory — so a student's browser or another user cannot flip it.
//!
//! - `GET /settings`, `PUT /settings` (all of them), `PATCH /settings` (a JSON
//!   merge patch of some) — the lab's switches, swapped at once; when the
//!   call returns, every request that starts reads with them (no cache flush
//!   is needed for that: see [`super::cache`]).
//! - `GET /cache/stats`, `POST /cache/flush` — the cache's counters; forget it all.
//! - `GET /pool` — the pool's size, open and idle connections, and how many
//!   requests timed out waiting for one (503). A settings call that resizes
//!   the pool returns once the old pool's connections are closed.
//! - `GET /limit` — the rate limiter's counters: requests allowed, limited,
//!   Redis store errors, and the keys the in-memory store holds.
//! - `GET /log` — where the request log is, and the lines it wrote and dropped.
//! - `GET /indexes`, `POST /indexes/apply` (body: the SQL file; only what the
//!   labs teach, see `store::student_sql`), `POST /indexes/drop`; both take
//!   `?lock_timeout=5s&statement_timeout=60s`. A refused or failed file is a
//!   422 problem document with `line`, `column`, `statement` and `allowed`.
//! - `GET /explain/{query}` — `EXPLAIN (ANALYZE, FORMAT JSON)` of a lab query,
//!   planned with the server's own settings (`?large_table=true`: with
//!   `enable_seqscan = off` for that plan only, see `store::explain`).
//! - `GET /breakdown`, `POST /breakdown/reset` — time per part (db, cache,
//!   serialise, compute) per route and the dominant part, summed while
//!   `[monitoring] breakdown` is on (`shop::profile::breakdown`).
//! - `POST /profile?seconds=N` — samples the shop's CPU for N seconds (1–60)
//!   and answers the flamegraph SVG and the hottest frames (`shop::profile::cpu`);
//!   `&flamegraph=false` leaves the SVG undrawn; 409 while another runs, 501
//!   where the system has no profiler.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Serialize;

use super::cache::stats::RouteSnapshot;
use super::error::Error;
use super::error::extract::{Json, Path, Query};
use super::profile::{self, cpu};
use super::settings::ShopSettings;
use super::state::AppState;
use super::store::explain::{self, ExplainParams, LabQuery};
use super::store::indexes::{self, ApplyLimits, IndexError, StudentIndex};
use super::store::student_sql;

/// The control router, guarded by `token`.
pub fn router(state: Arc<AppState>, token: String) -> Router {
    let token = Arc::new(token);
    Router::new()
        .route(
            "/settings",
            get(get_settings).put(put_settings).patch(patch_settings),
        )
        .route("/cache/stats", get(cache_stats))
        .route("/cache/flush", post(flush_cache))
        .route("/pool", get(pool_stats))
        .route("/limit", get(limit_stats))
        .route("/memory", get(memory))
        .route("/indexes", get(list_indexes))
        .route("/indexes/apply", post(apply_indexes))
        .route("/indexes/drop", post(drop_indexes))
        .route("/explain/{query}", get(explain_query))
        .route("/breakdown", get(breakdown))
        .route("/breakdown/reset", post(reset_breakdown))
        .route("/profile", post(cpu_profile))
        .fallback(|| async { Error::NotFound("control route".into()) })
        .layer(middleware::from_fn(move |req: Request, next: Next| {
            let token = Arc::clone(&token);
            async move { authorize(&token, req, next).await }
        }))
        .with_state(state)
}

async fn authorize(token: &str, request: Request, next: Next) -> Response {
    if bearer_matches(request.headers(), token) {
        next.run(request).await
    } else {
        axum::response::IntoResponse::into_response(Error::Unauthorized(
            "the control API needs the token from the state directory",
        ))
    }
}

/// Compares in constant time, so the token cannot be guessed byte by byte.
fn bearer_matches(headers: &HeaderMap, token: &str) -> bool {
    let Some(given) = super::auth::bearer_token(headers) else {
        return false;
    };
    given.len() == token.len()
        && given
            .bytes()
            .zip(token.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

async fn get_settings(State(state): State<Arc<AppState>>) -> Json<ShopSettings> {
    Json((*state.settings()).clone())
}

/// Replaces every setting (absent keys take their baseline value).
async fn put_settings(
    State(state): State<Arc<AppState>>,
    Json(settings): Json<ShopSettings>,
) -> Result<Json<ShopSettings>, Error> {
    let change = state
        .update_settings(|_| Ok(settings))
        .map_err(Error::Unprocessable)?;
    tracing::info!(settings = ?change.new, "settings replaced");
    Ok(Json(settled(&state, change).await))
}

/// Changes only the keys given: a JSON merge patch (RFC 7386), e.g.
/// `{"database": {"loading": "eager"}}`. This is how one switch is flipped.
async fn patch_settings(
    State(state): State<Arc<AppState>>,
    Json(patch): Json<serde_json::Value>,
) -> Result<Json<ShopSettings>, Error> {
    let settings = state
        .update_settings(|current| {
            let mut merged = serde_json::to_value(current).map_err(|e| e.to_string())?;
            json_patch::merge(&mut merged, &patch);
            serde_json::from_value(merged).map_err(|e| e.to_string())
        })
        .map_err(Error::Unprocessable)?;
    tracing::info!(settings = ?settings.new, "settings changed");
    Ok(Json(settled(&state, settings).await))
}

/// How long a settings call waits for the requests still on a resized pool.
const SETTLE_WITHIN: std::time::Duration = std::time::Duration::from_secs(10);

/// The new settings, once a replaced pool's connections are closed: when the
/// call returns, the server sees only the new pool (what lab 2.4 counts).
async fn settled(state: &AppState, change: super::state::SettingsChange) -> ShopSettings {
    if let Some(retired) = change.retired {
        state.db.settle(retired, SETTLE_WITHIN).await;
    }
    change.new
}

/// The pool's size, use and acquire timeouts so far.
async fn limit_stats(State(state): State<Arc<AppState>>) -> Json<super::limit::LimitStats> {
    Json(state.limiter.snapshot())
}

/// The process's resident memory over the last minutes, and its peak.
async fn memory() -> Json<super::memory::MemorySnapshot> {
    Json(super::memory::snapshot())
}

async fn pool_stats(State(state): State<Arc<AppState>>) -> Json<super::store::PoolStats> {
    Json(state.db.pool_stats())
}

/// Hits, misses, bypasses, invalidations, errors and fallbacks per route.
async fn cache_stats(
    State(state): State<Arc<AppState>>,
) -> Json<std::collections::BTreeMap<&'static str, RouteSnapshot>> {
    Json(state.cache.stats().snapshot())
}

/// Forgets every cached entry (a lab's reset).
async fn flush_cache(State(state): State<Arc<AppState>>) -> Json<serde_json::Value> {
    state.cache.flush().await;
    Json(serde_json::json!({ "flushed": true }))
}

#[derive(Debug, Serialize)]
struct Indexes {
    indexes: Vec<StudentIndex>,
}

async fn list_indexes(State(state): State<Arc<AppState>>) -> Result<Json<Indexes>, Error> {
    let indexes = indexes::list(&state.db.pool()).await?;
    Ok(Json(Indexes { indexes }))
}

async fn apply_indexes(
    State(state): State<Arc<AppState>>,
    Query(limits): Query<ApplyLimits>,
    sql: String,
) -> Result<Json<Indexes>, SqlProblem> {
    if sql.trim().is_empty() {
        return Err(Error::Unprocessable("the index SQL is empty".into()).into());
    }
    check_limits(&limits)?;
    // Dropping this future (the caller hung up) drops the dedicated
    // connection inside `apply`, which cancels its statement on the server.
    let indexes = indexes::apply(&state.db.pool(), &sql, limits).await?;
    Ok(Json(Indexes { indexes }))
}

#[derive(Debug, Serialize)]
struct Dropped {
    dropped: Vec<String>,
}

async fn drop_indexes(
    State(state): State<Arc<AppState>>,
    Query(limits): Query<ApplyLimits>,
) -> Result<Json<Dropped>, SqlProblem> {
    check_limits(&limits)?;
    let dropped = indexes::drop_all(&state.db.pool(), limits).await?;
    Ok(Json(Dropped { dropped }))
}

fn check_limits(limits: &ApplyLimits) -> Result<(), Error> {
    if limits.is_valid() {
        return Ok(());
    }
    Err(Error::Unprocessable(format!(
        "lock_timeout and statement_timeout must be between 1ms and {}",
        humantime::format_duration(ApplyLimits::MAX)
    )))
}

/// The answer to a refused or failed index file: a problem document like the
/// shop's others, plus where in the file and what is allowed, so the runner
/// and the TUI can point at the line. Built here rather than in
/// `shop::error` because only this endpoint has a file to point into.
#[derive(Debug)]
enum SqlProblem {
    Shop(Error),
    Sql(SqlFields),
}

#[derive(Debug, Serialize)]
struct SqlFields {
    #[serde(rename = "type")]
    kind: &'static str,
    title: &'static str,
    status: u16,
    detail: String,
    /// `refused` (the guard, nothing ran) or `failed` (PostgreSQL, rolled back).
    outcome: &'static str,
    /// The guard's reason (`statement`, `table`, …) or PostgreSQL's SQLSTATE.
    reason: String,
    /// What the reason is about (`ALTER DATABASE`, `pg_class`…) or
    /// PostgreSQL's message.
    subject: String,
    line: Option<u64>,
    column: Option<u64>,
    statement: String,
    allowed: &'static str,
}

impl From<Error> for SqlProblem {
    fn from(error: Error) -> Self {
        Self::Shop(error)
    }
}

impl From<IndexError> for SqlProblem {
    fn from(error: IndexError) -> Self {
        let detail = error.to_string();
        let (outcome, reason, subject, position, statement) = match error {
            IndexError::Database(e) => return Self::Shop(e.into()),
            IndexError::Refused(r) => (
                "refused",
                r.reason.key().to_string(),
                r.reason.subject().to_string(),
                Some(r.position),
                r.statement,
            ),
            IndexError::Failed(f) => ("failed", f.code, f.message, f.position, f.statement),
        };
        Self::Sql(SqlFields {
            kind: "about:blank",
            title: "index SQL not applied",
            status: StatusCode::UNPROCESSABLE_ENTITY.as_u16(),
            detail,
            outcome,
            reason,
            subject,
            line: position.map(|p| p.line),
            column: position.map(|p| p.column),
            statement,
            allowed: student_sql::ALLOWED,
        })
    }
}

impl IntoResponse for SqlProblem {
    fn into_response(self) -> Response {
        let fields = match self {
            Self::Shop(error) => return error.into_response(),
            Self::Sql(fields) => fields,
        };
        let body = serde_json::to_vec(&fields).unwrap_or_default();
        let mut response = (StatusCode::UNPROCESSABLE_ENTITY, body).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        response
    }
}

async fn explain_query(
    State(state): State<Arc<AppState>>,
    Path(query): Path<LabQuery>,
    Query(params): Query<ExplainParams>,
) -> Result<Json<serde_json::Value>, Error> {
    Ok(Json(
        explain::explain(
            &state.db.pool(),
            query,
            &params,
            state.settings().reports.top_products,
        )
        .await?,
    ))
}

async fn breakdown(State(state): State<Arc<AppState>>) -> Json<profile::breakdown::Report> {
    let enabled = state.settings().monitoring.breakdown;
    Json(state.breakdown.report(enabled))
}

async fn reset_breakdown(State(state): State<Arc<AppState>>) -> Json<serde_json::Value> {
    state.breakdown.reset();
    Json(serde_json::json!({ "reset": true }))
}

#[derive(Debug, serde::Deserialize)]
struct ProfileParams {
    #[serde(default = "default_profile_seconds")]
    seconds: u64,
    /// `false`: the top frames only, no SVG drawn (the TUI's panel).
    #[serde(default = "default_flamegraph")]
    flamegraph: bool,
}

fn default_flamegraph() -> bool {
    true
}

fn default_profile_seconds() -> u64 {
    10
}

async fn cpu_profile(Query(params): Query<ProfileParams>) -> Result<Json<cpu::Profile>, Response> {
    if !(1..=cpu::MAX_SECONDS).contains(&params.seconds) {
        let why = format!("seconds must be between 1 and {}", cpu::MAX_SECONDS);
        return Err(Error::Unprocessable(why).into_response());
    }
    let window = std::time::Duration::from_secs(params.seconds);
    cpu::sample(window, params.flamegraph)
        .await
        .map(Json)
        .map_err(|e| {
            let status = match e {
                cpu::CpuError::Busy => StatusCode::CONFLICT,
                cpu::CpuError::Unsupported => StatusCode::NOT_IMPLEMENTED,
                cpu::CpuError::Profiler(_) => StatusCode::INTERNAL_SERVER_ERROR,
            };
            Error::Rejected(status, e.to_string()).into_response()
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_must_match_exactly() {
        let mut headers = HeaderMap::new();
        assert!(!bearer_matches(&headers, "abc"));
        headers.insert(header::AUTHORIZATION, "Bearer abd".parse().unwrap());
        assert!(!bearer_matches(&headers, "abc"));
        headers.insert(header::AUTHORIZATION, "Bearer abcd".parse().unwrap());
        assert!(!bearer_matches(&headers, "abc"));
        headers.insert(header::AUTHORIZATION, "Bearer abc".parse().unwrap());
        assert!(bearer_matches(&headers, "abc"));
    }
}
