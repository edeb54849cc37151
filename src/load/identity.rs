//! Per-user identities: each virtual user logs in as one fixture user before
//! the clock starts and sends `Authorization: Bearer <token>` on every
//! request, so per-user rate limits (100 requests/min in the course) can be
//! measured per user. Fixture user `n` (n ≥ 2) is `user{n}@perflab.test`,
//! its password from [`crate::fixtures::users::credentials`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

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
    /// Tokens kept from earlier runs, when runs share them.
    pub sessions: Sessions,
}

impl Default for Login {
    fn default() -> Self {
        Self {
            path: "/auth/login".to_string(),
            first_user: 2,
            sessions: Sessions::default(),
        }
    }
}

/// The tokens of users already logged in, by server and fixture user: the
/// runs of one lab (a warm-up, then the measured run, then the next check)
/// share them, as a customer keeps their session between page views. Logging
/// every user in again for each run would spend the login budget a rate
/// limiter gives an address (the course's 2 a minute for a guest) on the
/// measurement itself. Tokens live an hour (`shop::auth::TOKEN_TTL`), far
/// longer than a lab's checks.
#[derive(Debug, Clone, Default)]
pub struct Sessions(Arc<Mutex<HashMap<(String, i64), Identity>>>);

impl Sessions {
    fn get(&self, server: &str, user: i64) -> Option<Identity> {
        let map = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        map.get(&(server.to_string(), user)).cloned()
    }

    fn keep(&self, server: &str, user: i64, identity: &Identity) {
        let mut map = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        map.insert((server.to_string(), user), identity.clone());
    }

    /// How many sessions are kept.
    pub fn len(&self) -> usize {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
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

/// Virtual user `index`'s session: kept from an earlier run on the same
/// server, else a new login over its own connection.
pub(crate) async fn login(
    connection: &mut Connection,
    login: &Login,
    index: u32,
) -> Result<Identity, LoadError> {
    let user = login.first_user + i64::from(index);
    let server = connection.target().addr.to_string();
    if let Some(identity) = login.sessions.get(&server, user) {
        return Ok(Identity { index, ..identity });
    }
    let identity = log_in(connection, login, index).await?;
    login.sessions.keep(&server, user, &identity);
    Ok(identity)
}

async fn log_in(
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
