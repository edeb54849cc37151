//! The order of the public API's layers, outermost first, and response
//! compression:
//!
//! 1. `server::request_limits` (414, 431, the request timeout) — in `shop::start`;
//! 2. [`metrics::observe`](super::metrics::observe): the Prometheus series of
//!    every request, 429s and 404s included;
//! 3. [`telemetry::observe`](super::telemetry::observe): request id, timing
//!    and the log line, so they cover everything inside, 429s included;
//! 4. compression ([`Compress`]), inside timing so its cost is in `total`;
//! 5. [`limit::enforce`](super::limit::enforce): rate limiting;
//! 6. the panic catcher, the statement counter and the handlers (`routes`).
//!
//! Layers 2–6 are added in one `Router::layer` call ([`stack`]), so they run
//! after routing and see the matched route (`MatchedPath`), and every layer
//! reads the settings per request, so a switch takes effect on the next
//! request.

use std::convert::Infallible;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::Route;
use futures::future::BoxFuture;
use tower::{Layer, Service, ServiceBuilder, ServiceExt};
use tower_http::compression::predicate::{NotForContentType, Predicate};
use tower_http::compression::{Compression, CompressionLevel};

use super::settings::{CompressionSettings, Encoding};
use super::state::AppState;
use super::{limit, metrics, telemetry};

/// Wraps the routes in Block 3's layers around `inner` (the statement
/// counter and the panic catcher, `routes::router`), all in one
/// `Router::layer` call.
///
/// One call, not one per layer: `Router::layer` boxes each route's service
/// again, axum clones a route's service for every request, and every
/// `from_fn` layer clones the service beneath it for its `Next`, so with
/// each layer boxed apart every request cloned (and allocated) the whole
/// chain beneath each layer again: quadratic in the layers (BENCHMARKS,
/// "The stack's floor (stop 27)"). Built with one `ServiceBuilder`, the
/// layers nest as plain values and only the route's own box is cloned.
pub fn stack<L>(routes: Router, state: &Arc<AppState>, inner: L) -> Router
where
    L: Layer<Route> + Clone + Send + Sync + 'static,
    L::Service: Service<Request, Error = Infallible> + Clone + Send + Sync + 'static,
    <L::Service as Service<Request>>::Response: IntoResponse,
    <L::Service as Service<Request>>::Future: Send + 'static,
{
    routes.layer(
        ServiceBuilder::new()
            .layer(middleware::from_fn_with_state(
                Arc::clone(state),
                metrics::observe,
            ))
            .layer(middleware::from_fn_with_state(
                Arc::clone(state),
                telemetry::observe,
            ))
            .layer(CompressLayer {
                state: Arc::clone(state),
            })
            .layer(middleware::from_fn_with_state(
                Arc::clone(state),
                limit::enforce,
            ))
            .layer(inner),
    )
}

/// Response compression as `middleware.compression` says, switched per
/// request.
///
/// tower-http's `Compression` fixes its level and encodings when it is
/// built, and the labs change them at runtime (lab 3.5 measures level 1
/// against 9). So this layer judges each response first and builds a
/// `Compression` only for one worth compressing, around that response, at
/// the level the settings say; the encodings switched off are taken out of
/// the request's `Accept-Encoding` before it chooses, and the minimum size is
/// read from the settings when the response is judged.
///
/// Judging first keeps the common case cheap: a body below `min_bytes` (a
/// cached product, ~400 bytes) is sent as it is, without tower-http's body
/// wrapper, which cost about 8 % of a cached hit (issue 13). tower-http still
/// answers every response it would treat differently: one large enough, and
/// any request whose `Accept-Encoding` carries a `q=0` (it may refuse
/// identity, which tower-http answers 406).
#[derive(Clone)]
struct CompressLayer {
    state: Arc<AppState>,
}

impl<S: Clone> Layer<S> for CompressLayer {
    type Service = Compress<S>;

    fn layer(&self, inner: S) -> Self::Service {
        let predicate = LargeEnough {
            state: Arc::clone(&self.state),
        }
        .and(NotForContentType::GRPC)
        .and(NotForContentType::IMAGES)
        .and(NotForContentType::SSE);
        Compress {
            inner,
            predicate,
            state: Arc::clone(&self.state),
        }
    }
}

/// The highest level (`middleware.compression.level`, validated 1–9).
const MAX_LEVEL: u32 = 9;

type Predicates = tower_http::compression::predicate::And<
    tower_http::compression::predicate::And<
        tower_http::compression::predicate::And<LargeEnough, NotForContentType>,
        NotForContentType,
    >,
    NotForContentType,
>;

#[derive(Clone)]
struct Compress<S> {
    inner: S,
    predicate: Predicates,
    state: Arc<AppState>,
}

impl<S> Service<Request> for Compress<S>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Response, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        // Each call drives a clone with `oneshot`, which waits for readiness.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let settings = self.state.settings();
        let inner = self.inner.clone();
        if !settings.middleware.compression.enabled {
            return Box::pin(inner.oneshot(request));
        }
        // All tower-http's choice reads of the request.
        let accept = request.headers().get(header::ACCEPT_ENCODING).cloned();
        let predicate = self.predicate.clone();
        Box::pin(async move {
            let response = inner.oneshot(request).await?;
            let may_refuse_identity = accept
                .as_ref()
                .is_some_and(|v| v.as_bytes().windows(3).any(|w| w == b"q=0"));
            if !may_refuse_identity && !predicate.should_compress(&response) {
                return Ok(response);
            }
            let compression = &settings.middleware.compression;
            let mut judged = Request::new(Body::empty());
            if let Some(accept) = accept {
                judged.headers_mut().insert(header::ACCEPT_ENCODING, accept);
            }
            offer_only(&mut judged, compression);
            let level = compression.level.clamp(1, MAX_LEVEL) as i32;
            let mut made = Some(response);
            let made = tower::service_fn(move |_: Request| {
                std::future::ready(Ok::<_, Infallible>(
                    made.take()
                        .expect("tower-http calls its inner service once"),
                ))
            });
            let response = Compression::new(made)
                .gzip(true)
                .br(true)
                .quality(CompressionLevel::Precise(level))
                .compress_when(predicate)
                .oneshot(judged)
                .await?;
            Ok(response.map(Body::new))
        })
    }
}

/// Rewrites `Accept-Encoding` to the codings the client accepts and the
/// settings offer, with the client's weights; identity stays as it was.
fn offer_only(request: &mut Request, settings: &CompressionSettings) {
    let offered = |coding: &str| match coding {
        "gzip" | "x-gzip" => settings.algorithms.contains(&Encoding::Gzip),
        "br" => settings.algorithms.contains(&Encoding::Br),
        // Codings the shop never sends pass through: tower-http ignores them.
        _ => true,
    };
    let headers = request.headers_mut();
    let Some(accept) = headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
    else {
        return;
    };
    let kept: Vec<&str> = accept
        .split(',')
        .map(str::trim)
        .filter(|item| {
            let coding = item.split(';').next().unwrap_or("").trim();
            offered(&coding.to_ascii_lowercase())
        })
        .collect();
    if kept.len() == accept.split(',').count() {
        return;
    }
    match HeaderValue::from_str(&kept.join(", ")) {
        Ok(value) if !kept.is_empty() => {
            headers.insert(header::ACCEPT_ENCODING, value);
        }
        _ => {
            headers.remove(header::ACCEPT_ENCODING);
        }
    }
}

/// tower-http's `SizeAbove` with the minimum read from the settings: a
/// body whose size is known and below `min_bytes` is sent as it is; a
/// streamed one (the export) is compressed.
#[derive(Clone)]
struct LargeEnough {
    state: Arc<AppState>,
}

impl Predicate for LargeEnough {
    fn should_compress<B>(&self, response: &axum::http::Response<B>) -> bool
    where
        B: axum::body::HttpBody,
    {
        let min = u64::from(self.state.settings().middleware.compression.min_bytes);
        let size = response.body().size_hint().exact().or_else(|| {
            response
                .headers()
                .get(header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse().ok())
        });
        size.is_none_or(|size| size >= min)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offered(accept: &str, algorithms: Vec<Encoding>) -> Option<String> {
        let settings = CompressionSettings {
            enabled: true,
            algorithms,
            ..CompressionSettings::default()
        };
        let mut request = Request::builder()
            .header(header::ACCEPT_ENCODING, accept)
            .body(Body::empty())
            .unwrap();
        offer_only(&mut request, &settings);
        request
            .headers()
            .get(header::ACCEPT_ENCODING)
            .map(|v| v.to_str().unwrap().to_string())
    }

    #[test]
    fn only_the_offered_codings_reach_the_choice() {
        let both = vec![Encoding::Gzip, Encoding::Br];
        assert_eq!(
            offered("gzip, br;q=0.9", both).as_deref(),
            Some("gzip, br;q=0.9")
        );
        assert_eq!(
            offered("gzip, BR;q=0.9, zstd", vec![Encoding::Gzip]).as_deref(),
            Some("gzip, zstd")
        );
        assert_eq!(offered("br", vec![Encoding::Gzip]), None);
        assert_eq!(
            offered("br, identity;q=0", vec![Encoding::Gzip]).as_deref(),
            Some("identity;q=0")
        );
    }
}
