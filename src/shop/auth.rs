//! Authentication: argon2 password checks at login, HS256 JWTs after it, and
//! the extractors handlers use to say who may call them ([`AuthUser`],
//! [`Admin`]).
//!
//! Argon2 is deliberately slow (it is a password hash), so it runs on the
//! blocking pool and never stalls the request workers.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use argon2::{Argon2, PasswordHasher, PasswordVerifier};
use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use super::error::Error;
use super::state::AppState;

/// How long a token lives.
pub const TOKEN_TTL: Duration = Duration::from_secs(3600);

/// What a token says about its bearer.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// The user id, as JWT wants it: a string.
    pub sub: String,
    pub role: String,
    pub tier: String,
    pub iat: u64,
    pub exp: u64,
}

/// Signing keys and the hash used to keep unknown e-mails as slow as known ones.
pub struct Keys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    /// A real argon2 hash of a random password: login verifies against it when
    /// the e-mail is unknown, so response time does not reveal which e-mails exist.
    decoy_hash: String,
    /// One argon2 check per core at a time: each takes ~19 MiB and a core for
    /// tens of milliseconds, and a burst of logins must queue here rather than
    /// fill the blocking pool (512 threads, ~10 GB) and blow the memory target.
    hashing: tokio::sync::Semaphore,
}

impl Keys {
    pub async fn new(secret: &str) -> Result<Self, Error> {
        let decoy_hash = tokio::task::spawn_blocking(|| {
            let password: [u8; 16] = rand::random();
            Argon2::default()
                .hash_password(&password)
                .map(|hash| hash.to_string())
        })
        .await
        .map_err(|e| Error::Internal(e.to_string()))?
        .map_err(|e| Error::Internal(e.to_string()))?;
        Ok(Self {
            encoding: EncodingKey::from_secret(secret.as_bytes()),
            decoding: DecodingKey::from_secret(secret.as_bytes()),
            decoy_hash,
            hashing: tokio::sync::Semaphore::new(
                std::thread::available_parallelism().map_or(2, usize::from),
            ),
        })
    }

    /// Signs a token for a user.
    pub fn issue(&self, id: i64, role: &str, tier: &str) -> Result<String, Error> {
        let now = chrono::Utc::now().timestamp().max(0) as u64;
        let claims = Claims {
            sub: id.to_string(),
            role: role.to_string(),
            tier: tier.to_string(),
            iat: now,
            exp: now + TOKEN_TTL.as_secs(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| Error::Internal(format!("cannot sign token: {e}")))
    }

    fn verify(&self, token: &str) -> Option<Claims> {
        let validation = Validation::new(Algorithm::HS256);
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation)
            .ok()
            .map(|data| data.claims)
    }

    /// Checks a password against an argon2 PHC string (or, with `None`, against
    /// the decoy, always failing), off the async workers.
    pub async fn password_matches(
        &self,
        password: String,
        hash: Option<String>,
    ) -> Result<bool, Error> {
        let known = hash.is_some();
        let hash = hash.unwrap_or_else(|| self.decoy_hash.clone());
        let _permit = self
            .hashing
            .acquire()
            .await
            .map_err(|e| Error::Internal(e.to_string()))?;
        let matches = tokio::task::spawn_blocking(move || {
            Argon2::default()
                .verify_password(password.as_bytes(), hash.as_str())
                .is_ok()
        })
        .await
        .map_err(|e| Error::Internal(e.to_string()))?;
        Ok(known && matches)
    }
}

/// The JWT secret shared by the shops of one state directory: read from
/// `<state_dir>/jwt.secret`, or created there (random, owner-only) by the first
/// shop. A racing second shop keeps the first one's file.
pub fn shared_secret(state_dir: &Path) -> std::io::Result<String> {
    let path = state_dir.join("jwt.secret");
    if let Ok(secret) = std::fs::read_to_string(&path)
        && !secret.trim().is_empty()
    {
        return Ok(secret.trim().to_string());
    }
    let secret = super::random_token();
    match super::owner_only_file(state_dir, secret.as_bytes())?.persist_noclobber(&path) {
        Ok(_) => Ok(secret),
        Err(e) if e.error.kind() == std::io::ErrorKind::AlreadyExists => {
            Ok(std::fs::read_to_string(&path)?.trim().to_string())
        }
        Err(e) => Err(e.error),
    }
}

/// The authenticated caller, from `Authorization: Bearer <jwt>`.
#[derive(Debug, Clone)]
pub struct AuthUser {
    pub id: i64,
    pub role: String,
    pub tier: String,
}

impl AuthUser {
    pub fn is_admin(&self) -> bool {
        self.role == "admin"
    }
}

impl FromRequestParts<Arc<AppState>> for AuthUser {
    type Rejection = Error;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let value = parts
            .headers
            .get(header::AUTHORIZATION)
            .ok_or(Error::Unauthorized("missing Authorization: Bearer token"))?;
        let token = value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or(Error::Unauthorized(
                "expected Authorization: Bearer <token>",
            ))?;
        let claims = state
            .keys
            .verify(token.trim())
            .ok_or(Error::Unauthorized("invalid or expired token"))?;
        let id = claims
            .sub
            .parse()
            .map_err(|_| Error::Unauthorized("invalid or expired token"))?;
        Ok(Self {
            id,
            role: claims.role,
            tier: claims.tier,
        })
    }
}

/// An authenticated admin; anyone else gets 403 (or 401 without a token).
#[derive(Debug, Clone)]
pub struct Admin(pub AuthUser);

impl FromRequestParts<Arc<AppState>> for Admin {
    type Rejection = Error;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let user = AuthUser::from_request_parts(parts, state).await?;
        if !user.is_admin() {
            return Err(Error::Forbidden("this operation needs an admin account"));
        }
        Ok(Self(user))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_secret_is_created_once_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let first = shared_secret(dir.path()).unwrap();
        assert_eq!(first.len(), 64);
        assert_eq!(shared_secret(dir.path()).unwrap(), first);
        let mode = std::fs::metadata(dir.path().join("jwt.secret"))
            .unwrap()
            .permissions();
        assert_eq!(
            std::os::unix::fs::PermissionsExt::mode(&mode) & 0o777,
            0o600
        );
        let other = tempfile::tempdir().unwrap();
        assert_ne!(shared_secret(other.path()).unwrap(), first);
    }
}
