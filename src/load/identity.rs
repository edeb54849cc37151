//! Per-user identities: each virtual user logs in as one fixture user before
//! the clock starts and sends `Authorization: Bearer <token>` on every
//! request, so per-user rate limits (100 requests/min in the course) can be
//! measured per user. Fixture user `n` (n ≥ 2) is `user{n}@perflab.test`,
//! its password from [`crate::fixtures::users::credentials`].

use std::sync::Arc;

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{CONTENT_TYPE, HOST, HeaderValue};
use hyper::{Method, Request};
use serde::Deserialize;

use super::LoadError;
use super::connection::Connection;
use crate::fixtures::users::credentials;

/// How virtual users log in.
#[derive(Debug, Clone)]
pub struct Login {
    /// The login route (`/auth/login` on the shop).
    pub path: String,
    /// Virtual user `k` (from 0) logs in as fixture user `first_user + k`.
    pub first_user: i64,
}

impl Default for Login {
    fn default() -> Self {
        Self {
            path: "/auth/login".to_string(),
            first_user: 2,
        }
    }
}

/// A logged-in virtual user.
#[derive(Debug, Clone)]
pub(crate) struct Identity {
    pub index: u32,
    pub email: Arc<str>,
    pub bearer: HeaderValue,
}

#[derive(Deserialize)]
struct TokenReply {
    access_token: String,
}

/// Logs virtual user `index` in over its own connection.
pub(crate) async fn login(
    connection: &mut Connection,
    login: &Login,
    index: u32,
) -> Result<Identity, LoadError> {
    let (email, password) = credentials(login.first_user + i64::from(index));
    let failed = |reason: String| LoadError::Login {
        email: email.clone(),
        reason,
    };
    let body = serde_json::json!({ "email": email, "password": password }).to_string();
    let request = Request::builder()
        .method(Method::POST)
        .uri(login.path.as_str())
        .header(HOST, connection.target().host.clone())
        .header(CONTENT_TYPE, "application/json")
        .body(Full::new(Bytes::from(body)))
        .map_err(|e| failed(format!("bad login path {:?}: {e}", login.path)))?;
    let reply = connection
        .send(request, true)
        .await
        .map_err(|e| failed(e.to_string()))?;
    if !reply.status.is_success() {
        return Err(failed(format!("{} {}", login.path, reply.status)));
    }
    let token: TokenReply = serde_json::from_slice(&reply.body.unwrap_or_default())
        .map_err(|e| failed(format!("no access_token in the reply: {e}")))?;
    let bearer = HeaderValue::from_str(&format!("Bearer {}", token.access_token))
        .map_err(|_| failed("the token is not a valid header value".into()))?;
    Ok(Identity {
        index,
        email: email.as_str().into(),
        bearer,
    })
}
