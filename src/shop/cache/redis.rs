//! The Redis backend: one connection manager that reconnects by itself, short
//! timeouts so a dead Redis costs milliseconds, and a health flag kept by a
//! background PING ([`RedisCache::watch`]) so that while Redis is down the
//! shop does not even try it, and `cache.fallback` decides what answers (the
//! in-process cache, the database, or a 503) — see [`super::Cache`].
//!
//! Every time Redis becomes usable — at start, and after any failure — the
//! watcher first starts a new epoch: writes made meanwhile could not retire
//! their entries in Redis, so nothing written there before is read again.
//! [`RedisCache::wait_up`] lets the shop's start wait for that first epoch,
//! so that it announces itself only once its cache is what `/health` says.
//!
//! A lookup is one round trip: a Lua script reads the epoch and the scope's
//! generation, builds the stored key and returns it with its value (the key is
//! needed to fill the entry on a miss).

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use bytes::Bytes;
use redis::aio::ConnectionManager;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use super::keys::{Key, epoch_key, generation_key, prefix};

/// No cache call waits longer than this: past it, the database answers.
const CALL_TIMEOUT: Duration = Duration::from_millis(150);
/// How often the health flag is refreshed.
const PING_EVERY: Duration = Duration::from_millis(250);

const LOOKUP_LUA: &str = r"
local epoch = redis.call('GET', KEYS[1]) or '0'
local generation = redis.call('GET', KEYS[2]) or '0'
local key = ARGV[1] .. epoch .. ':' .. ARGV[2] .. '@' .. generation .. ':' .. ARGV[3]
return {key, redis.call('GET', key)}
";

/// Why a Redis call gave no answer.
#[derive(Debug, thiserror::Error)]
pub enum RedisCacheError {
    #[error("Redis did not answer within {CALL_TIMEOUT:?}")]
    Timeout,
    #[error("Redis: {0}")]
    Redis(#[from] redis::RedisError),
}

pub struct RedisCache {
    conn: ConnectionManager,
    /// Read on every request; only changed under `failures`' lock.
    up: AtomicBool,
    /// The same flag, for [`Self::wait_up`] to wait on; requests read the
    /// atomic, which takes no lock.
    up_signal: watch::Sender<bool>,
    /// How many times Redis was marked down. The watcher trusts Redis again
    /// only if no failure happened while it was starting the new epoch.
    failures: Mutex<u64>,
    lookup: redis::Script,
    /// The key namespace (the database's name).
    ns: String,
}

/// A lazy connection manager with short timeouts, for every Redis user of
/// the shop (this cache, the rate limiter's shared store). The defaults block
/// a command ~9 s during an outage (CRATES.md); these fail in < 1 ms and
/// reconnect within 0.5 s of a restart.
pub fn connection_manager(url: &str) -> Result<ConnectionManager, redis::RedisError> {
    let client = redis::Client::open(url)?;
    let config = redis::aio::ConnectionManagerConfig::new()
        .set_number_of_retries(1)
        .set_max_delay(Duration::from_millis(200))
        .set_connection_timeout(Some(Duration::from_millis(100)))
        .set_response_timeout(Some(Duration::from_millis(100)));
    ConnectionManager::new_lazy_with_config(client, config)
}

impl RedisCache {
    /// Connects lazily: a Redis that is down at start-up is retried by the
    /// watcher, and the shop starts anyway.
    pub fn new(url: &str, ns: &str) -> Result<Self, redis::RedisError> {
        let conn = connection_manager(url)?;
        Ok(Self {
            conn,
            // Down until the watcher has started an epoch: a starting shop
            // cannot know what happened to the data while it was not running
            // (a reseed, a shop that died before reaching Redis).
            up: AtomicBool::new(false),
            up_signal: watch::Sender::new(false),
            failures: Mutex::new(0),
            lookup: redis::Script::new(LOOKUP_LUA),
            ns: ns.to_string(),
        })
    }

    /// Whether the last PING (or call) succeeded.
    pub fn is_up(&self) -> bool {
        self.up.load(Ordering::SeqCst)
    }

    /// A call failed: stop using Redis until the watcher sees it answer again.
    pub fn mark_down(&self) {
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        *failures += 1;
        if self.up.swap(false, Ordering::SeqCst) {
            self.up_signal.send_replace(false);
            tracing::warn!("Redis stopped answering; cache.fallback answers until it is back");
        }
    }

    /// Waits until Redis is up (in a new epoch), at most `within`; whether
    /// it is. Returns at once when it already is.
    pub async fn wait_up(&self, within: Duration) -> bool {
        let mut up = self.up_signal.subscribe();
        // The sender lives as long as `self`, so `wait_for` ends only with
        // `true` or the timeout.
        let _ = tokio::time::timeout(within, up.wait_for(|up| *up)).await;
        self.is_up()
    }

    /// Runs one call with the timeout. A failed read or fill costs only that
    /// request a fallback; a failed write to the cache's bookkeeping
    /// (`critical`: a generation bump, a new epoch) marks Redis down, so it is
    /// trusted again only in a new epoch.
    async fn call<T>(
        &self,
        call: impl Future<Output = redis::RedisResult<T>>,
        critical: bool,
    ) -> Result<T, RedisCacheError> {
        let result = match tokio::time::timeout(CALL_TIMEOUT, call).await {
            Ok(result) => result.map_err(RedisCacheError::from),
            Err(_) => Err(RedisCacheError::Timeout),
        };
        if critical && result.is_err() {
            self.mark_down();
        }
        result
    }

    /// The stored key for `key` now, and its body if cached.
    pub async fn get(&self, key: &Key) -> Result<(String, Option<Bytes>), RedisCacheError> {
        let mut conn = self.conn.clone();
        let mut invocation = self.lookup.prepare_invoke();
        invocation
            .key(epoch_key(&self.ns))
            .key(generation_key(&self.ns, &key.scope))
            .arg(prefix(&self.ns))
            .arg(key.route_and_scope())
            .arg(&key.params);
        let (stored, body): (String, Option<Vec<u8>>) =
            self.call(invocation.invoke_async(&mut conn), false).await?;
        Ok((stored, body.map(Bytes::from)))
    }

    pub async fn set(
        &self,
        stored: &str,
        body: &[u8],
        ttl: Duration,
    ) -> Result<(), RedisCacheError> {
        let mut conn = self.conn.clone();
        let millis = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX);
        let mut set = redis::cmd("SET");
        set.arg(stored).arg(body).arg("PX").arg(millis);
        self.call(set.exec_async(&mut conn), false).await
    }

    /// Retires every entry of these scopes: one atomic round trip.
    pub async fn bump(&self, scopes: &[String]) -> Result<(), RedisCacheError> {
        let mut conn = self.conn.clone();
        let mut pipe = redis::pipe();
        pipe.atomic();
        for scope in scopes {
            pipe.incr(generation_key(&self.ns, scope), 1).ignore();
        }
        self.call(pipe.exec_async(&mut conn), true).await
    }

    /// Retires every entry (after an outage, or on the lab's reset).
    pub async fn bump_epoch(&self) -> Result<(), RedisCacheError> {
        let mut conn = self.conn.clone();
        let mut incr = redis::cmd("INCR");
        incr.arg(epoch_key(&self.ns));
        self.call(incr.exec_async(&mut conn), true).await
    }

    async fn ping(&self) -> bool {
        let mut conn = self.conn.clone();
        let ping = redis::cmd("PING");
        let answer = ping.query_async::<String>(&mut conn);
        matches!(tokio::time::timeout(CALL_TIMEOUT, answer).await, Ok(Ok(_)))
    }

    /// Keeps the health flag: PINGs every [`PING_EVERY`]; when Redis answers
    /// while marked down, starts a new epoch and only then trusts it — unless
    /// a call failed meanwhile, in which case it tries again next round.
    /// Runs until `cancel`.
    pub async fn watch(&self, cancel: CancellationToken) {
        loop {
            let answers = self.ping().await;
            if answers && !self.is_up() {
                self.recover().await;
            } else if !answers {
                self.mark_down();
            }
            tokio::select! {
                () = cancel.cancelled() => return,
                () = tokio::time::sleep(PING_EVERY) => {}
            }
        }
    }

    async fn recover(&self) {
        let seen = *self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let mut conn = self.conn.clone();
        let mut incr = redis::cmd("INCR");
        incr.arg(epoch_key(&self.ns));
        let bumped = matches!(
            tokio::time::timeout(CALL_TIMEOUT, incr.exec_async(&mut conn)).await,
            Ok(Ok(()))
        );
        let failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if bumped && *failures == seen {
            self.up.store(true, Ordering::SeqCst);
            self.up_signal.send_replace(true);
            tracing::info!("Redis answers: cache on Redis, in a new epoch");
        }
    }
}
