//! `POST /auth/login`: e-mail (or `username`, as the course's tests send it) and
//! password in, a bearer JWT out.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::routing::post;
use serde::{Deserialize, Serialize};

use crate::shop::auth::TOKEN_TTL;
use crate::shop::error::Error;
use crate::shop::error::extract::Json;
use crate::shop::state::AppState;
use crate::shop::store::users;

pub fn routes() -> Router<Arc<AppState>> {
    Router::new().route("/auth/login", post(login))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Login {
    #[serde(alias = "username")]
    email: String,
    // A password is bytes to argon2: any text is fine, NUL included.
    password: String,
}

#[derive(Debug, Serialize)]
struct Token {
    access_token: String,
    token_type: &'static str,
    expires_in: u64,
}

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
