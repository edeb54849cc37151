//! The shop's OpenAPI document: what `/openapi.json` says beyond the paths.
//! The paths and their schemas come from the handlers' `#[utoipa::path]`
//! annotations, gathered by `routes::router` with the routes themselves
//! (utoipa-axum), so the document cannot drift from what the shop serves;
//! this file adds the title, the bearer scheme the protected routes name and
//! the problem document every error uses. No Swagger UI: its crate downloads
//! the UI at build time, and a student can open the JSON in any viewer.

use utoipa::openapi::OpenApi as Document;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::error::Problem;

/// The document's fixed parts; `routes::openapi()` adds the paths.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "perflab shop",
        description = "The e-commerce API of the perflab course. Every response carries \
            `X-Query-Count` (the SQL statements it took); errors are RFC 9457 problem \
            documents (`application/problem+json`); 503s carry `Retry-After`."
    ),
    components(schemas(Problem), responses(Problem)),
    modifiers(&BearerJwt),
    tags(
        (name = "products", description = "The catalog: listing, detail, search, export, categories"),
        (name = "auth", description = "Logging in"),
        (name = "users", description = "The caller's account"),
        (name = "orders", description = "The caller's orders"),
        (name = "reports", description = "Aggregates over every order (the profiling lab's target)"),
        (name = "health", description = "Whether the shop can serve"),
    )
)]
pub struct ApiDoc;

/// `bearer`: the JWT from `POST /auth/login`, named by the protected routes.
struct BearerJwt;

impl Modify for BearerJwt {
    fn modify(&self, openapi: &mut Document) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let mut scheme = Http::new(HttpAuthScheme::Bearer);
        scheme.bearer_format = Some("JWT".into());
        components.add_security_scheme("bearer", SecurityScheme::Http(scheme));
    }
}
