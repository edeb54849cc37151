//! The shop's cache (Block 1): Redis, in-process or off; cache-aside or
//! write-through; retired on write or left to its TTL — every choice a runtime
//! setting, so a student switches it and watches the effect.
//!
//! Handlers call [`Cache::serve`] with a [`Key`] and the code that reads the
//! database, and [`Cache::product_written`] / [`Cache::products_written`]
//! after a write. Correctness rests on scope generations (see [`keys`]).
//! Every write bumps the generations of what it changed *after* it committed
//! and *before* it returns, whatever the settings say: in this process, and —
//! when the shop has Redis — in Redis and in PostgreSQL
//! ([`shared_generations`]). Under `invalidation = "on-write"` entries are
//! keyed with those generations, so no reader that starts after a write
//! returned gets an entry filled from older data:
//!
//! - `backend = "redis"`, Redis up: on every instance that uses this Redis
//!   (they all bump it);
//! - Redis down and `fallback = "memory"`: on every instance too — each
//!   in-process lookup reads its scope's generation from PostgreSQL first
//!   (batched with every lookup waiting, on a connection outside the pool;
//!   a fallback hit says `X-Query-Count: 1`);
//! - Redis down and `fallback = "local"` (the naive stand-in lab 1.6
//!   measures): for writes made through this instance only, like `backend =
//!   "memory"` — another instance's writes reach its entries at their TTL;
//! - `fallback = "database"`: nothing is cached; `"none"` answers 503;
//! - `backend = "memory"`: for writes made through this instance; another
//!   instance's writes do not reach its entries (each has its own cache, as
//!   the lab teaches) — they live out their TTL.
//!
//! Under `invalidation = "ttl-only"` (lab 1.4's bug) entries are keyed apart,
//! in scopes no write bumps ([`Key::under_invalidation`]): they live out their
//! TTL. Because writes bump the real scopes anyway, the `on-write` entries are
//! right at every moment, so a settings change never needs a flush, and a
//! reader never gets a stale entry for having started while the settings
//! were being switched: it reads with the old settings or the new ones, and
//! each has its own, right, entries.
//!
//! While Redis is unreachable, `cache.fallback` decides what answers a cached
//! route, counted as fallbacks and shown in `/health`; Redis is used again
//! only in a new epoch, which retires everything it held. [`Cache::ready`]
//! waits for the first epoch, so a starting shop's cache is up (or known
//! down) before the shop announces itself. Keys are named under
//! `cache.key_scheme` ([`Key::under`]) before any store sees them, so both
//! backends and every fallback treat the two schemes alike.
//!
//! Two edges, where a bump fails right after its write committed: a bump
//! Redis cannot take marks it down on this instance (a new epoch before it is
//! read here again), but an instance still reaching Redis can read the
//! retired entry until this one's watcher starts that epoch; a bump
//! PostgreSQL cannot take (it stopped answering between the two statements)
//! leaves other instances' fallback entries of that scope to their TTL. Both
//! are logged as warnings.
//!
//! The time a request spends in lookups, fills and retirements adds up in
//! [`CACHE_TIME`] (scoped with the statement tally) for `Server-Timing`.

pub mod keys;
pub mod memory;
pub mod redis;
pub mod shared_generations;
pub mod stats;

use std::cell::Cell;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, HeaderName, HeaderValue, header};
use axum::response::Response;
use bytes::Bytes;
use serde::Serialize;
use tokio_util::sync::CancellationToken;

use self::keys::{CATALOG_SCOPE, Key, ProcessSeed, product_scope};
use self::memory::MemoryCache;
use self::redis::RedisCache;
use self::shared_generations::SharedGenerations;
use self::stats::{CacheStats, Event};
use super::error::Error;
use super::settings::{
    CacheBackend, CacheFallback, CacheSettings, CacheStrategy, CachedRoute, Invalidation,
};
use super::store::{Db, statements};

tokio::task_local! {
    /// Time the current request spent in the cache, its statements (the
    /// fallback's generation reads, write-through's fresh read) left out:
    /// they are db time already.
    pub static CACHE_TIME: Cell<Duration>;
}

/// Runs a cache step and adds its time, less its statements', to the
/// current request's [`CACHE_TIME`] (outside a request, just runs it).
async fn timed<T>(step: impl Future<Output = T>) -> T {
    let started = Instant::now();
    let db_before = statements::db_time();
    let output = step.await;
    let db = statements::db_time().saturating_sub(db_before);
    let spent = started.elapsed().saturating_sub(db);
    let _ = CACHE_TIME.try_with(|time| time.set(time.get() + spent));
    output
}

/// The in-process namespace of `backend = "memory"`: this process's
/// generations only.
const LOCAL_NS: &str = "local";
/// The naive fallback's entries, apart from the checked fallback's and the
/// memory backend's, so switching never serves one's entries as another's.
const NAIVE_NS: &str = "naive";

/// How a response was answered, sent as `X-Cache`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Hit,
    Miss,
    /// Not cached under the current settings.
    Bypass,
}

impl Outcome {
    pub fn header(self) -> &'static str {
        match self {
            Self::Hit => "HIT",
            Self::Miss => "MISS",
            Self::Bypass => "BYPASS",
        }
    }
}

/// The cache of one shop instance.
pub struct Cache {
    memory: MemoryCache,
    redis: Option<RedisCache>,
    /// Bumped with Redis, read by the in-process fallback.
    shared: SharedGenerations,
    stats: CacheStats,
    /// Drawn once per shop: what makes `process-hash` keys this process's own.
    seed: ProcessSeed,
}

/// Where a lookup went, so the fill goes to the same place.
enum Store<'a> {
    Memory,
    Redis(&'a RedisCache),
}

/// The result of a lookup.
enum Lookup<'a> {
    /// Looked up in a store under the stored key, with the body if cached.
    Done(Store<'a>, String, Option<Bytes>),
    /// Redis is unreachable and `fallback = database`: no cache this time.
    Skipped,
}

/// Whether a starting shop's cache is what its settings ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Readiness {
    /// No Redis was given: nothing to wait for.
    NoRedis,
    /// Redis answers and its first epoch has started.
    RedisUp,
    /// Redis did not answer in time: `cache.fallback` answers until it does
    /// (the watcher keeps trying, and `/health` says `down` meanwhile).
    RedisDown,
}

/// What `/health` says about the cache.
#[derive(Debug, Clone, Serialize)]
pub struct CacheHealth {
    /// `up`, `down` (Redis wanted but unreachable), or `disabled` (backend
    /// off).
    pub status: &'static str,
    pub backend: CacheBackend,
    /// While Redis is down, what stands in for it (`cache.fallback`):
    /// `memory`, `database`, or `none` (cached routes answer 503).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fallback: Option<&'static str>,
}

impl Cache {
    /// A cache that can use Redis at `redis_url` (when given) and memory;
    /// `ns` (the database's name) keeps its Redis keys apart from other
    /// databases'; `db` holds the generations the fallback shares.
    pub fn new(
        redis_url: Option<&str>,
        ns: &str,
        db: Arc<Db>,
    ) -> Result<Self, ::redis::RedisError> {
        Ok(Self {
            memory: MemoryCache::new(),
            redis: redis_url.map(|url| RedisCache::new(url, ns)).transpose()?,
            shared: SharedGenerations::new(db),
            stats: CacheStats::default(),
            seed: ProcessSeed::default(),
        })
    }

    /// Keeps Redis's health flag until `cancel` (nothing to do without Redis).
    pub async fn watch(&self, cancel: CancellationToken) {
        if let Some(redis) = &self.redis {
            redis.watch(cancel).await;
        }
    }

    /// Waits, at most `within`, until the cache is what the settings can ask
    /// of it: with Redis, until it answers and its first epoch has started
    /// (the watcher from [`Cache::watch`] must be running). Also creates the
    /// fallback's generations table, so no write pays for that.
    pub async fn ready(&self, within: Duration) -> Readiness {
        let Some(redis) = &self.redis else {
            return Readiness::NoRedis;
        };
        let (up, prepared) = tokio::join!(redis.wait_up(within), self.shared.prepare());
        if let Err(e) = prepared {
            // Not fatal: every statement creates it when it finds it missing.
            tracing::warn!(error = %e, "cannot create the cache generations table yet");
        }
        if up {
            Readiness::RedisUp
        } else {
            Readiness::RedisDown
        }
    }

    /// Whether a Redis URL was given at all.
    pub fn has_redis(&self) -> bool {
        self.redis.is_some()
    }

    /// Whether a Redis URL was given and Redis answers now.
    pub fn redis_up(&self) -> bool {
        self.redis.as_ref().is_some_and(RedisCache::is_up)
    }

    pub fn stats(&self) -> &CacheStats {
        &self.stats
    }

    pub fn health(&self, settings: &CacheSettings) -> CacheHealth {
        let (status, fallback) = match settings.backend {
            CacheBackend::Off => ("disabled", None),
            CacheBackend::Memory => ("up", None),
            CacheBackend::Redis if self.redis_up() => ("up", None),
            CacheBackend::Redis => ("down", Some(settings.fallback.name())),
        };
        CacheHealth {
            status,
            backend: settings.backend,
            fallback,
        }
    }

    /// Answers a cacheable request: the cached body, or `compute`'s (stored
    /// for the next reader). Errors from `compute` (a 404, say) are not cached.
    pub async fn serve<F>(
        &self,
        settings: &CacheSettings,
        key: Key,
        compute: F,
    ) -> Result<(Bytes, Outcome), Error>
    where
        F: Future<Output = Result<Bytes, Error>>,
    {
        let route = key.route;
        if !settings.caches(route) {
            self.stats.count(route, Event::Bypass);
            return Ok((compute.await?, Outcome::Bypass));
        }
        let key = self.named(settings, key);
        let (store, stored) = match timed(self.lookup(settings, &key)).await? {
            Lookup::Done(_, _, Some(body)) => {
                self.stats.count(route, Event::Hit);
                return Ok((body, Outcome::Hit));
            }
            Lookup::Done(store, stored, None) => (store, stored),
            Lookup::Skipped => return Ok((compute.await?, Outcome::Bypass)),
        };
        self.stats.count(route, Event::Miss);
        let body = compute.await?;
        timed(self.set(&store, stored, body.clone(), settings.ttl)).await;
        Ok((body, Outcome::Miss))
    }

    /// Looks `key` up where the settings say: Redis while it answers, else
    /// whatever `cache.fallback` puts in its place (a failed Redis lookup
    /// counts as an error too).
    async fn lookup(&self, settings: &CacheSettings, key: &Key) -> Result<Lookup<'_>, Error> {
        if settings.backend != CacheBackend::Redis {
            let (stored, body) = self.memory.get(key, LOCAL_NS).await;
            return Ok(Lookup::Done(Store::Memory, stored, body));
        }
        if let Some(redis) = self.redis.as_ref().filter(|redis| redis.is_up()) {
            match redis.get(key).await {
                Ok((stored, body)) => return Ok(Lookup::Done(Store::Redis(redis), stored, body)),
                Err(e) => {
                    tracing::debug!(error = %e, "cache lookup failed; cache.fallback answers");
                    self.stats.count(key.route, Event::Error);
                }
            }
        }
        self.stand_in(settings.fallback, key).await
    }

    /// Redis is wanted but unreachable: the in-process cache (checked against
    /// the shared generations, or naive), no cache, or a 503, as `fallback`
    /// says.
    async fn stand_in(&self, fallback: CacheFallback, key: &Key) -> Result<Lookup<'_>, Error> {
        match fallback {
            CacheFallback::Memory => {
                self.stats.count(key.route, Event::Fallback);
                self.fallback_get(key).await
            }
            CacheFallback::Local => {
                self.stats.count(key.route, Event::Fallback);
                let (stored, body) = self.memory.get(key, NAIVE_NS).await;
                Ok(Lookup::Done(Store::Memory, stored, body))
            }
            CacheFallback::Database => {
                self.stats.count(key.route, Event::Fallback);
                Ok(Lookup::Skipped)
            }
            CacheFallback::None => Err(Error::CacheUnavailable),
        }
    }

    /// The in-process fallback: the entry keyed with this process's
    /// generation *and* the one every instance bumps in PostgreSQL, read
    /// before the database is (so a fill from older data lands under an
    /// older generation). If PostgreSQL gives no generation, nothing can say
    /// the entry is still right: the database answers this one.
    async fn fallback_get(&self, key: &Key) -> Result<Lookup<'_>, Error> {
        match self.shared.read(&key.scope).await {
            Ok(generation) => {
                let ns = format!("fallback:{generation}");
                let (stored, body) = self.memory.get(key, &ns).await;
                Ok(Lookup::Done(Store::Memory, stored, body))
            }
            Err(e) => {
                tracing::debug!(error = %e, "no shared generation; the database answers");
                self.stats.count(key.route, Event::Error);
                Ok(Lookup::Skipped)
            }
        }
    }

    /// `key` as the settings name it: under the key scheme and the
    /// invalidation.
    fn named(&self, settings: &CacheSettings, key: Key) -> Key {
        key.under(settings.key_scheme, &self.seed)
            .under_invalidation(settings.invalidation)
    }

    async fn set(&self, store: &Store<'_>, stored: String, body: Bytes, ttl: Duration) {
        match store {
            Store::Redis(redis) => {
                // A failed fill only costs the next reader a miss.
                if let Err(e) = redis.set(&stored, &body, ttl).await {
                    tracing::debug!(error = %e, "cache fill failed");
                }
            }
            Store::Memory => self.memory.set(stored, body, ttl).await,
        }
    }

    /// A product write has committed: retire what it made stale (on-write),
    /// and with write-through put its new detail in the cache, before the
    /// write's response goes out. The order matters: retire, then take the
    /// key of the new generation, then read the product (`fresh`), then fill
    /// that key — a concurrent write bumps past that key, so an older value
    /// can never be left under the live one.
    pub async fn product_written<F>(&self, settings: &CacheSettings, id: i64, fresh: F)
    where
        F: Future<Output = Result<Bytes, Error>>,
    {
        self.products_written(settings, &[id]).await;
        let route = CachedRoute::ProductDetail;
        if settings.strategy != CacheStrategy::WriteThrough || !settings.caches(route) {
            return;
        }
        let key = self.named(settings, Key::product(id));
        // Redis down with no stand-in: nothing to fill; the next reader reads
        // the database.
        let Ok(Lookup::Done(store, stored, _)) = timed(self.lookup(settings, &key)).await else {
            return;
        };
        match fresh.await {
            Ok(body) => timed(self.set(&store, stored, body, settings.ttl)).await,
            // The write is committed: answer it; the next reader fills.
            Err(e) => tracing::warn!(error = %e, "write-through could not read product {id}"),
        }
    }

    /// Products changed (an order took their stock, say): retire their
    /// details and the catalog in one step. Done under every setting, so
    /// that the entries `on-write` reads are right whenever it is switched
    /// on (and whatever settings snapshot the handler took); counted as
    /// invalidations only under `on-write`, the only readers it retires
    /// anything for.
    pub async fn products_written(&self, settings: &CacheSettings, ids: &[i64]) {
        let mut scopes: Vec<String> = ids.iter().map(|&id| product_scope(id)).collect();
        scopes.push(CATALOG_SCOPE.to_string());
        timed(self.retire(&scopes)).await;
        if settings.invalidation != Invalidation::OnWrite {
            return;
        }
        for route in CachedRoute::ALL.into_iter().filter(|r| settings.caches(*r)) {
            self.stats.count(route, Event::Invalidation);
        }
    }

    /// Bumps the scopes' generations in memory (so the in-process cache stays
    /// right on its own), and with Redis given, in Redis and PostgreSQL at
    /// once — Redis even while it is marked down here, since another
    /// instance may be reading it. A bump Redis cannot take marks it down, and
    /// it is trusted again only in a new epoch, so nothing this write should
    /// have retired is read there again. Without Redis no instance of this
    /// deployment reads Redis or the fallback, so neither is bumped.
    async fn retire(&self, scopes: &[String]) {
        self.memory.bump(scopes);
        let Some(redis) = &self.redis else {
            return;
        };
        let (in_redis, in_postgres) = tokio::join!(redis.bump(scopes), self.shared.bump(scopes));
        if let Err(e) = in_redis {
            tracing::warn!(error = %e, "a write could not retire its cache entries in Redis");
        }
        if let Err(e) = in_postgres {
            tracing::warn!(
                error = %e,
                "a write could not bump its cache generations in PostgreSQL; other \
                 instances' in-process fallback may serve its scopes until their TTL"
            );
        }
    }

    /// Forgets every entry of this instance and in Redis (a lab's reset). If
    /// Redis cannot take the new epoch it is marked down, and gets one before
    /// it is used again: either way nothing older is read. Correctness never
    /// needs it (see the module's docs); it only makes the next reads miss.
    pub async fn flush(&self) {
        self.memory.new_epoch();
        if let Some(redis) = &self.redis
            && let Err(e) = redis.bump_epoch().await
        {
            tracing::warn!(error = %e, "cache flush could not reach Redis");
        }
    }
}

/// `X-Cache`: HIT, MISS or BYPASS (read back by the request log).
pub const X_CACHE: HeaderName = HeaderName::from_static("x-cache");

/// Headers a cached response's map has room for from the start: the three
/// the shop sets (`Content-Type`, `X-Cache`, `X-Query-Count`) and the eight
/// Block 3's stack adds (budget, timing, request id), so the map is
/// allocated once, not grown and rehashed on the way out (issue 13's budget).
const RESPONSE_HEADERS: usize = 11;

/// A cached JSON body as a response, with `X-Cache`.
pub fn respond(body: Bytes, outcome: Outcome) -> Response {
    let mut response = Response::new(axum::body::Body::from(body));
    let headers = response.headers_mut();
    *headers = HeaderMap::with_capacity(RESPONSE_HEADERS);
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(X_CACHE, HeaderValue::from_static(outcome.header()));
    response
}

/// Serialises a response body once, for the cache and the client alike.
pub fn to_json<T: Serialize>(value: &T) -> Result<Bytes, Error> {
    serde_json::to_vec(value)
        .map(Bytes::from)
        .map_err(|e| Error::Internal(e.to_string()))
}
