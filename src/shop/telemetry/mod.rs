//! What the shop says about each request (Block 3 and 4): `X-Request-Id`
//! ([`request_id`]), `Server-Timing` / `X-Response-Time` ([`timing`]), and
//! the request log ([`log`]) — one line per request in the state
//! directory's log file, written off the request path.
//!
//! [`observe`] is the public router's outermost layer (see
//! `shop::middleware`), so its total covers compression, the limiter and
//! the handler, and its log line covers 429s too. Each switch is read from
//! the settings per request. With `[monitoring] breakdown` it also adds the
//! request's parts to its route's sums (`shop::profile::breakdown`).

pub mod log;
pub mod request_id;
pub mod timing;

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;

pub use self::log::RequestLog;
pub use self::timing::Breakdown;
use super::state::AppState;

/// The public router's outermost layer: request id, timing, log line.
pub async fn observe(
    State(state): State<Arc<AppState>>,
    mut request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let settings = state.settings();
    let middleware = &settings.middleware;
    // Before the id is assigned: the log shows headers as received.
    let entry = middleware
        .request_log
        .enabled
        .then(|| log::Entry::new(&mut request, &state.keys, &middleware.request_log));
    let request_id = middleware
        .request_ids()
        .then(|| request_id::assign(&mut request));

    let mut response = next.run(request).await;
    let total = started.elapsed();

    if middleware.timing {
        timing::annotate(&mut response, total);
    }
    if settings.monitoring.breakdown {
        record_breakdown(&state, &response, total);
    }
    if let Some(entry) = entry {
        let line = entry.finish(&response, total, request_id.as_ref());
        state.log.write(line).await;
    }
    if let Some(id) = request_id {
        response.headers_mut().insert(request_id::X_REQUEST_ID, id);
    }
    response
}

/// Adds the request to its route's breakdown; answers that matched no route
/// (a 404 fallback) or never reached the router (a 429) are left out.
fn record_breakdown(state: &AppState, response: &Response, total: std::time::Duration) {
    let extensions = response.extensions();
    if let (Some(route), Some(breakdown)) = (
        extensions.get::<axum::extract::MatchedPath>(),
        extensions.get::<Breakdown>(),
    ) {
        state.breakdown.record(route.as_str(), total, breakdown);
    }
}
