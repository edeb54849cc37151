//! `POST /auth/login`: e-mail (or `username`, as the course's tests send it) and
//! password in, a bearer JWT out.

use std::sync::Arc;

use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::shop::auth::TOKEN_TTL;
use crate::shop::error::extract::Json;
use crate::shop::error::{Error, Problem};
use crate::shop::state::AppState;
use crate::shop::store::users;

pub fn routes() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::new().routes(routes!(login))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct Login {
    /// The account's e-mail (`username` is accepted too, as the course's
    /// tests send it).
    #[serde(alias = "username")]
    email: String,
    // A password is bytes to argon2: any text is fine, NUL included.
    password: String,
}

#[derive(Debug, Serialize, ToSchema)]
struct Token {
    /// An HS256 JWT: send it as `Authorization: Bearer <token>`.
    access_token: String,
    /// Always `bearer`.
    token_type: &'static str,
    /// Seconds until it expires.
    expires_in: u64,
}

/// Exchanges an e-mail and password for a bearer token.
#[utoipa::path(
    post,
    path = "/auth/login",
    tag = "auth",
    request_body = Login,
    responses(
        (status = 200, description = "Logged in", body = Token),
        (status = 400, response = Problem),
        (status = 401, response = Problem),
        (status = 422, response = Problem),
    )
)]
async fn login(
    State(state): State<Arc<AppState>>,
    Json(login): Json<Login>,
) -> Result<Json<Token>, Error> {
    let user = users::credentials_by_email(&state.db.pool(), login.email.trim()).await?;
    // Unknown e-mails are checked against a decoy hash so that both failures
    // take the same time and say the same thing.
    let hash = user.as_ref().map(|u| u.password_hash.clone());
    let matches = state.keys.password_matches(login.password, hash).await?;
    let user = user
        .filter(|_| matches)
        .ok_or(Error::Unauthorized("wrong e-mail or password"))?;
    Ok(Json(Token {
        access_token: state.keys.issue(user.id, &user.role, &user.tier)?,
        token_type: "bearer",
        expires_in: TOKEN_TTL.as_secs(),
    }))
}
