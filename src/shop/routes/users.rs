//! `GET /users/me`: the caller's profile.

use std::sync::Arc;

use axum::extract::State;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::shop::auth::AuthUser;
use crate::shop::error::extract::Json;
use crate::shop::error::{Error, Problem};
use crate::shop::state::AppState;
use crate::shop::store::users::{self, Profile};

pub fn routes() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::new().routes(routes!(me))
}

/// The caller's profile.
#[utoipa::path(
    get,
    path = "/users/me",
    tag = "users",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller", body = Profile),
        (status = 401, response = Problem),
    )
)]
async fn me(State(state): State<Arc<AppState>>, user: AuthUser) -> Result<Json<Profile>, Error> {
    users::profile(&state.db.pool(), user.id)
        .await?
        .map(Json)
        // A valid token for a user that no longer exists (the catalog was reseeded).
        .ok_or(Error::Unauthorized("the token's user no longer exists"))
}
