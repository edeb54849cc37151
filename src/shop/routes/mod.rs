//! The public API's router: one module per resource, each with its handlers,
//! plus the middleware every response passes through (`X-Query-Count`, the
//! pool-timeout counter; the
//! server's limits wrap it all, see `shop::server`). The contract is
//! DESIGN.md's; every check speaks to it, and `/openapi.json` describes it:
//! the router and the document are built together from the handlers'
//! `#[utoipa::path]`s, so neither can list a route the other lacks.

mod auth;
mod health;
mod metrics;
mod orders;
mod products;
mod reports;
mod users;

use std::cell::Cell;
use std::sync::Arc;

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderName, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tower_http::catch_panic::CatchPanicLayer;
use utoipa::{IntoParams, OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;

use super::cache::CACHE_TIME;
use super::error::{Error, PoolTimedOut};
use super::profile::SERIALISE_TIME;
use super::state::AppState;
use super::store::STATEMENTS;
use super::telemetry::Breakdown;

/// The shop's public router, serving its own OpenAPI document at
/// `/openapi.json`.
pub fn router(state: Arc<AppState>) -> Router {
    let (router, api) = api().split_for_parts();
    // Rendered once: the document never changes while the shop runs.
    let document = bytes::Bytes::from(api.to_json().unwrap_or_default());
    let router = router
        .route(
            "/openapi.json",
            get(move || async move { ([(header::CONTENT_TYPE, "application/json")], document) }),
        )
        .fallback(|| async { Error::NotFound("route".into()) })
        .with_state(Arc::clone(&state));
    let inner = tower::ServiceBuilder::new()
        // A bug in a handler answers a 500 problem document instead of
        // dropping the connection.
        .layer(CatchPanicLayer::custom(
            |_: Box<dyn std::any::Any + Send>| {
                Error::Internal("a handler panicked".into()).into_response()
            },
        ))
        .layer(middleware::from_fn_with_state(
            Arc::clone(&state),
            count_statements,
        ));
    super::middleware::stack(router, &state, inner)
}

/// Every public route with its OpenAPI description.
fn api() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::with_openapi(super::openapi::ApiDoc::openapi())
        .merge(products::routes())
        .merge(auth::routes())
        .merge(users::routes())
        .merge(orders::routes())
        .merge(reports::routes())
        .merge(health::routes())
        .merge(metrics::routes())
}

/// The public API's OpenAPI document, as `/openapi.json` serves it.
pub fn openapi() -> utoipa::openapi::OpenApi {
    api().into_openapi()
}

const X_QUERY_COUNT: HeaderName = HeaderName::from_static("x-query-count");

/// Scopes a statement tally and a cache clock to the request, reports the
/// count as `X-Query-Count` and the whole [`Breakdown`] in the response's
/// extensions (for `Server-Timing` and the request log, outside); counts the
/// request's pool timeout, if it was one.
async fn count_statements(
    State(state): State<Arc<AppState>>,
    request: Request,
    next: Next,
) -> Response {
    // Routing happened outside this layer: the template is known here, and
    // travels out in the response for the breakdown (`telemetry::observe`).
    let route = request.extensions().get::<MatchedPath>().cloned();
    let work = async move {
        let mut response = next.run(request).await;
        let tally = STATEMENTS.with(Cell::get);
        let breakdown = Breakdown {
            queries: tally.queries,
            db: tally.db,
            cache: CACHE_TIME.with(Cell::get),
            serialise: SERIALISE_TIME.with(Cell::get),
        };
        response
            .headers_mut()
            .insert(X_QUERY_COUNT, super::header_arena::number(tally.queries));
        response.extensions_mut().insert(breakdown);
        if let Some(route) = route {
            response.extensions_mut().insert(route);
        }
        response
    };
    let work = SERIALISE_TIME.scope(Cell::default(), work);
    let response = STATEMENTS
        .scope(Cell::default(), CACHE_TIME.scope(Cell::default(), work))
        .await;
    if response.extensions().get::<PoolTimedOut>().is_some() {
        state.db.note_pool_timeout();
    }
    response
}

/// `?page=&per_page=` with the course's defaults and a ceiling.
#[derive(Debug, Clone, Copy, serde::Deserialize, IntoParams)]
#[serde(default)]
#[into_params(parameter_in = Query)]
pub struct Page {
    #[param(minimum = 1, maximum = 100000, default = 1)]
    pub page: i64,
    #[param(minimum = 1, maximum = 100, default = 20)]
    pub per_page: i64,
}

impl Default for Page {
    fn default() -> Self {
        Self {
            page: Self::first(),
            per_page: Self::default_per_page(),
        }
    }
}

impl Page {
    pub fn first() -> i64 {
        1
    }

    pub fn default_per_page() -> i64 {
        20
    }

    pub const MAX_PER_PAGE: i64 = 100;

    /// `(limit, offset)`, or 422 when out of range.
    pub fn limit_offset(self) -> Result<(i64, i64), Error> {
        if !(1..=Self::MAX_PER_PAGE).contains(&self.per_page) {
            return Err(Error::Unprocessable(format!(
                "per_page must be between 1 and {}",
                Self::MAX_PER_PAGE
            )));
        }
        if !(1..=100_000).contains(&self.page) {
            return Err(Error::Unprocessable(
                "page must be between 1 and 100000".into(),
            ));
        }
        Ok((self.per_page, (self.page - 1) * self.per_page))
    }
}

/// A page of results.
#[derive(Debug, serde::Serialize, ToSchema)]
pub struct Paged<T> {
    pub items: Vec<T>,
    pub page: i64,
    pub per_page: i64,
}
