//! `GET /users/me`: the caller's profile.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::routing::get;

use crate::shop::auth::AuthUser;
use crate::shop::error::Error;
use crate::shop::error::extract::Json;
use crate::shop::state::AppState;
use crate::shop::store::users::{self, Profile};

pub fn routes() -> Router<Arc<AppState>> {
    Router::new().route("/users/me", get(me))
}

async fn me(State(state): State<Arc<AppState>>, user: AuthUser) -> Result<Json<Profile>, Error> {
    users::profile(&state.db.pool(), user.id)
        .await?
        .map(Json)
        // A valid token for a user that no longer exists (the catalog was reseeded).
        .ok_or(Error::Unauthorized("the token's user no longer exists"))
}
