//! Authentication: argon2 password checks at login, HS256 JWTs after it, and
//! the extractors handlers use to say who may call them ([`AuthUser`],
//! [`Admin`]).
//!
//! Argon2 is deliberately slow (it is a password hash), so it runs on the
//! blocking pool and never stalls the request workers. It is also
//! deliberately big: 19 MiB of working memory per check. `verify_password`
//! allocates that afresh on every call, and glibc keeps the freed buffers in
//! its per-thread arenas (the issue measured 538 MB after bursts of 200
//! logins), so [`Hasher`] keeps one buffer per permitted concurrent check and
//! reuses it, and [`return_freed_memory`] makes glibc hand large freed blocks
//! back to the system.
//!
//! Tokens are checked with no leeway on `exp`: an expired token is refused
//! the second it expires (jsonwebtoken's default leeway is 60 s).

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use argon2::{Algorithm as Argon2Algorithm, Argon2, Block, Params, PasswordHash, PasswordHasher};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
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
    hasher: Hasher,
}

impl Keys {
    pub async fn new(secret: &str) -> Result<Self, Error> {
        return_freed_memory();
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
            hasher: Hasher::new(
                std::thread::available_parallelism()
                    .map_or(2, usize::from)
                    .min(MAX_CONCURRENT_HASHES),
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
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
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
        let matches = self.hasher.verify(password, hash).await?;
        Ok(known && matches)
    }
}

/// Argon2 checks running at once, at most: one per core, and no more than
/// this however many cores, since each holds its 19 MiB buffer for good.
const MAX_CONCURRENT_HASHES: usize = 4;

/// Password checks with bounded memory: a permit per check in flight (a burst
/// of logins queues here rather than filling the blocking pool with 19 MiB
/// threads), and the argon2 working memory of finished checks kept for the
/// next one instead of freed into an allocator arena and allocated again —
/// while logins keep coming. When the last login waiting is done, the
/// buffers are freed, so an idle shop holds none (the memory lab measures
/// the shop, and 2–4 × 19 MiB kept for nothing would be most of it).
struct Hasher {
    permits: tokio::sync::Semaphore,
    /// Never more buffers than permits: a check takes one (or makes one) and
    /// puts it back. A std mutex: held for a push or pop, never across `.await`.
    buffers: std::sync::Mutex<Vec<Vec<Block>>>,
    /// Checks running or waiting for a permit.
    wanted: std::sync::atomic::AtomicUsize,
}

/// Counts a check as wanted until dropped (a cancelled login included); the
/// last one out frees the buffers.
struct Wanted<'a>(&'a Hasher);

impl Drop for Wanted<'_> {
    fn drop(&mut self) {
        use std::sync::atomic::Ordering;
        if self.0.wanted.fetch_sub(1, Ordering::AcqRel) == 1 {
            let idle =
                std::mem::take(&mut *self.0.buffers.lock().unwrap_or_else(|e| e.into_inner()));
            drop(idle);
        }
    }
}

impl Hasher {
    fn new(concurrency: usize) -> Self {
        Self {
            permits: tokio::sync::Semaphore::new(concurrency),
            buffers: std::sync::Mutex::new(Vec::with_capacity(concurrency)),
            wanted: std::sync::atomic::AtomicUsize::new(0),
        }
    }

    async fn verify(&self, password: String, phc: String) -> Result<bool, Error> {
        self.wanted
            .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        let _wanted = Wanted(self);
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|e| Error::Internal(e.to_string()))?;
        let mut memory = self.take_buffer();
        let (matches, memory) = tokio::task::spawn_blocking(move || {
            let matches = verify_with_memory(password.as_bytes(), &phc, &mut memory);
            (matches, memory)
        })
        .await
        .map_err(|e| Error::Internal(e.to_string()))?;
        self.buffers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(memory);
        Ok(matches)
    }

    fn take_buffer(&self) -> Vec<Block> {
        self.buffers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .pop()
            .unwrap_or_default()
    }
}

/// What `PasswordVerifier::verify_password` does, but in `memory` (resized to
/// the hash's `m` cost) instead of a fresh allocation: argon2 0.6 offers
/// `hash_password_into_with_memory` for this and no verifier that takes it.
/// The comparison is `Output`'s constant-time one.
fn verify_with_memory(password: &[u8], phc: &str, memory: &mut Vec<Block>) -> bool {
    let Ok(hash) = PasswordHash::new(phc) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (&hash.salt, &hash.hash) else {
        return false;
    };
    let Ok(params) = Params::try_from(&hash) else {
        return false;
    };
    let Ok(algorithm) = Argon2Algorithm::try_from(hash.algorithm.as_str()) else {
        return false;
    };
    let Ok(version) = hash.version.map_or(Ok(argon2::Version::default()), |v| {
        argon2::Version::try_from(v)
    }) else {
        return false;
    };
    memory.resize(params.block_count(), Block::default());
    let mut output = vec![0u8; expected.len()];
    let hashed = Argon2::new(algorithm, version, params).hash_password_into_with_memory(
        password,
        salt,
        &mut output,
        &mut memory[..],
    );
    hashed.is_ok()
        && argon2::password_hash::phc::Output::new(&output).is_ok_and(|output| output == *expected)
}

/// Makes glibc serve allocations of 1 MiB and more with their own `mmap`, so
/// freeing one returns it to the system at once. By default glibc raises that
/// threshold to the size of the last large block freed (up to 32 MiB), after
/// which 19 MiB argon2 buffers land in per-thread arenas and stay there.
/// Process-wide and idempotent; glibc only (other allocators do their own thing).
pub fn return_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        static ONCE: std::sync::Once = std::sync::Once::new();
        ONCE.call_once(|| {
            // SAFETY: mallopt only sets an allocator parameter; it is safe to
            // call at any time from any thread and returns 0 on a bad value.
            let set = unsafe { libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20) };
            if set == 0 {
                tracing::warn!("mallopt(M_MMAP_THRESHOLD) refused; freed memory may be kept");
            }
        });
    }
}

/// The token of `Authorization: Bearer <token>`. The scheme is
/// case-insensitive (RFC 9110 §11.1: `bearer` and `BEARER` are `Bearer`),
/// and any spaces may separate it from the token.
pub fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
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

    /// The caller a valid bearer token names; `None` when there is no token
    /// or it is invalid or expired (the layers that only want to know who is
    /// calling — the rate limiter, the request log — treat that caller as
    /// anonymous; the handlers answer 401).
    pub fn from_headers(headers: &HeaderMap, keys: &Keys) -> Option<Self> {
        let claims = keys.verify(bearer_token(headers)?)?;
        Some(Self {
            id: claims.sub.parse().ok()?,
            role: claims.role,
            tier: claims.tier,
        })
    }

    /// [`AuthUser::from_headers`], verified once per request: the first
    /// layer that asks (the request log, then the limiter, then the
    /// handler's extractor) checks the token's HMAC and leaves the answer in
    /// the request's extensions for the next. A request without
    /// `Authorization` costs nothing and leaves nothing.
    pub fn of_request<B>(request: &mut axum::http::Request<B>, keys: &Keys) -> Option<Self> {
        if !request.headers().contains_key(header::AUTHORIZATION) {
            return None;
        }
        if let Some(Verified(user)) = request.extensions().get::<Verified>() {
            return user.clone();
        }
        let user = Self::from_headers(request.headers(), keys);
        request.extensions_mut().insert(Verified(user.clone()));
        user
    }
}

/// The caller a request's token named, once verified ([`AuthUser::of_request`]).
/// Only the shop's own layers insert it: a client cannot.
#[derive(Debug, Clone)]
struct Verified(Option<AuthUser>);

impl FromRequestParts<Arc<AppState>> for AuthUser {
    type Rejection = Error;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        if !parts.headers.contains_key(header::AUTHORIZATION) {
            return Err(Error::Unauthorized("missing Authorization: Bearer token"));
        }
        // A layer verified it already; a refused token is checked again
        // below, only to say why.
        if let Some(Verified(Some(user))) = parts.extensions.get::<Verified>() {
            return Ok(user.clone());
        }
        let token = bearer_token(&parts.headers).ok_or(Error::Unauthorized(
            "expected Authorization: Bearer <token>",
        ))?;
        let claims = state
            .keys
            .verify(token)
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
    fn the_bearer_scheme_is_case_insensitive() {
        let headers = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::AUTHORIZATION, value.parse().unwrap());
            headers
        };
        assert_eq!(bearer_token(&headers("Bearer abc")), Some("abc"));
        assert_eq!(bearer_token(&headers("bearer abc")), Some("abc"));
        assert_eq!(bearer_token(&headers("BEARER  abc ")), Some("abc"));
        assert_eq!(bearer_token(&headers("Basic abc")), None);
        assert_eq!(bearer_token(&headers("Bearer")), None);
        assert_eq!(bearer_token(&headers("Bearer  ")), None);
        assert_eq!(bearer_token(&HeaderMap::new()), None);
    }

    #[tokio::test]
    async fn a_token_is_verified_once_per_request() {
        let ours = Keys::new("ours").await.unwrap();
        let theirs = Keys::new("theirs").await.unwrap();
        let request = |token: &str| {
            axum::http::Request::builder()
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .body(())
                .unwrap()
        };
        let mut signed = request(&ours.issue(7, "customer", "premium").unwrap());
        let user = AuthUser::of_request(&mut signed, &ours).expect("a valid token");
        assert_eq!((user.id, user.tier.as_str()), (7, "premium"));
        // The second ask reads the first answer: keys that would refuse the
        // token are never consulted.
        let again = AuthUser::of_request(&mut signed, &theirs).expect("the first answer");
        assert_eq!(again.id, 7);
        // A refused token is remembered as refused.
        let mut forged = request(&theirs.issue(1, "admin", "admin").unwrap());
        assert!(AuthUser::of_request(&mut forged, &ours).is_none());
        assert!(AuthUser::of_request(&mut forged, &theirs).is_none());
        // No header, nothing verified and nothing left behind.
        let mut anonymous = axum::http::Request::new(());
        assert!(AuthUser::of_request(&mut anonymous, &ours).is_none());
        assert!(anonymous.extensions().is_empty());
    }

    #[test]
    fn reused_memory_verifies_like_argon2_itself() {
        let hash = Argon2::default()
            .hash_password(b"perflab-1")
            .unwrap()
            .to_string();
        let mut memory = Vec::new();
        assert!(verify_with_memory(b"perflab-1", &hash, &mut memory));
        assert_eq!(memory.len(), Params::DEFAULT_M_COST as usize);
        // The same buffer again, now full of the last check's blocks.
        assert!(!verify_with_memory(b"perflab-2", &hash, &mut memory));
        assert!(verify_with_memory(b"perflab-1", &hash, &mut memory));
        assert!(!verify_with_memory(
            b"perflab-1",
            "not a phc string",
            &mut memory
        ));
    }

    #[tokio::test]
    async fn buffers_are_freed_once_no_login_waits() {
        let hash = Argon2::default()
            .hash_password(b"pw-123456")
            .unwrap()
            .to_string();
        let hasher = Arc::new(Hasher::new(2));
        let checks: Vec<_> = (0..6)
            .map(|_| {
                let (hasher, hash) = (Arc::clone(&hasher), hash.clone());
                tokio::spawn(async move { hasher.verify("pw-123456".into(), hash).await })
            })
            .collect();
        for check in checks {
            assert!(check.await.unwrap().unwrap());
        }
        assert!(
            hasher.buffers.lock().unwrap().is_empty(),
            "idle: no buffer kept"
        );
        assert_eq!(hasher.wanted.load(std::sync::atomic::Ordering::Relaxed), 0);
    }

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
