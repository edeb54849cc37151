//! The layer that records every request of the public API (see
//! `shop::middleware` for where it sits: outermost, so 429s, 404s and the
//! compression's time are in it). It reads what the response says about
//! itself — its status, the limiter's [`Outcome`] and the statement tally
//! ([`Breakdown`]) in its extensions — so no handler knows about metrics.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;

use super::{names, status_class};
use crate::shop::limit::Outcome;
use crate::shop::settings::RouteLabel;
use crate::shop::state::AppState;
use crate::shop::telemetry::Breakdown;

/// The `route` label of requests no route matched (404s), under `template`.
pub const UNMATCHED: &str = "unmatched";

/// Records duration, count, statements and the rate-limit decision of each
/// request while `monitoring.metrics` is on; with it off, costs one settings
/// read.
pub async fn observe(State(state): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    let settings = state.settings();
    let monitoring = &settings.monitoring;
    if !monitoring.metrics {
        return next.run(request).await;
    }
    let started = Instant::now();
    let method = method_label(request.method());
    let route = route_label(&request, monitoring.route_label);
    let response = next.run(request).await;
    let seconds = started.elapsed().as_secs_f64();
    let status = response.status();
    let queries = response.extensions().get::<Breakdown>().map(|b| b.queries);
    let outcome = response.extensions().get::<Outcome>().copied();
    match monitoring.route_label {
        RouteLabel::Template => state.metrics.record_request(
            super::Labels {
                method,
                route: &route,
                status: status.as_u16(),
            },
            seconds,
            queries,
        ),
        // One label set per path: nothing to reuse (lab 4.1's bug).
        RouteLabel::Path => state.metrics.record(|| {
            metrics::histogram!(names::REQUEST_DURATION,
                "method" => method, "route" => route.clone(),
                "status_class" => status_class(status.as_u16()))
            .record(seconds);
            metrics::counter!(names::REQUESTS,
                "method" => method, "route" => route.clone(), "status" => status.as_u16().to_string())
            .increment(1);
            if let Some(queries) = queries {
                metrics::histogram!(names::REQUEST_QUERIES, "route" => route)
                    .record(f64::from(queries));
            }
        }),
    }
    if let Some(outcome) = outcome {
        state.metrics.record_decision(outcome.as_str());
    }
    response
}

/// The method as a label; anything unusual is `other`, so a client cannot
/// add series by inventing methods.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// `template`: the route as declared (`/products/{id}`), one series per
/// route; `path`: the path as requested (`/products/42`) — the course's
/// mistake, one series per product id.
fn route_label(request: &Request, label: RouteLabel) -> String {
    match label {
        RouteLabel::Path => request.uri().path().to_string(),
        RouteLabel::Template => request
            .extensions()
            .get::<MatchedPath>()
            .map_or(UNMATCHED, MatchedPath::as_str)
            .to_string(),
    }
}
