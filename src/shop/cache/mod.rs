//! The shop's cache (Block 1): Redis, in-process or off; cache-aside or
//! write-through; retired on write or left to its TTL — every choice a runtime
//! setting, so a student switches it and watches the effect.
//!
//! Handlers call [`Cache::serve`] with a [`Key`] and the code that reads the
//! database, and [`Cache::product_written`] after a product write. Correctness
//! rests on scope generations (see [`keys`]): a write bumps the generation of
//! the product and of the catalog *after* it committed and *before* it
//! returns, so no reader that starts after the write returned can get an entry
//! filled from older data. While Redis is unreachable, `cache.fallback`
//! decides what answers a cached route — the in-process cache, the database,
//! or nothing (a 503, the course's naive starting point) — counted as
//! fallbacks and shown in `/health`; Redis is used again only in a new epoch,
//! which retires everything it held. Keys are named under `cache.key_scheme`
//! ([`Key::under`]) before any store sees them, so both backends and every
//! fallback treat the two schemes alike.

pub mod keys;
pub mod memory;
pub mod redis;
pub mod stats;

use std::time::Duration;

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde::Serialize;
use tokio_util::sync::CancellationToken;

use self::keys::{CATALOG_SCOPE, Key, ProcessSeed, product_scope};
use self::memory::MemoryCache;
use self::redis::RedisCache;
use self::stats::{CacheStats, Event};
use super::error::Error;
use super::settings::{
    CacheBackend, CacheFallback, CacheSettings, CacheStrategy, CachedRoute, Invalidation,
};

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
    /// databases'.
    pub fn new(redis_url: Option<&str>, ns: &str) -> Result<Self, ::redis::RedisError> {
        Ok(Self {
            memory: MemoryCache::new(),
            redis: redis_url.map(|url| RedisCache::new(url, ns)).transpose()?,
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

    /// Whether a Redis URL was given at all.
    pub fn has_redis(&self) -> bool {
        self.redis.is_some()
    }

    /// In-process entries belong to one stretch of Redis being up or down:
    /// each time Redis goes or returns, they are retired, because other
    /// instances' writes on the other side of that moment never reached them.
    async fn memory_get(&self, key: &Key) -> (String, Option<Bytes>) {
        let outer = self.redis.as_ref().map_or(0, RedisCache::transitions);
        self.memory.get(key, outer).await
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
        let key = key.under(settings.key_scheme, &self.seed);
        let (store, stored) = match self.lookup(settings, &key).await? {
            Lookup::Done(_, _, Some(body)) => {
                self.stats.count(route, Event::Hit);
                return Ok((body, Outcome::Hit));
            }
            Lookup::Done(store, stored, None) => (store, stored),
            Lookup::Skipped => return Ok((compute.await?, Outcome::Bypass)),
        };
        self.stats.count(route, Event::Miss);
        let body = compute.await?;
        self.set(&store, stored, body.clone(), settings.ttl).await;
        Ok((body, Outcome::Miss))
    }

    /// Looks `key` up where the settings say: Redis while it answers, else
    /// whatever `cache.fallback` puts in its place (a failed Redis lookup
    /// counts as an error too).
    async fn lookup(&self, settings: &CacheSettings, key: &Key) -> Result<Lookup<'_>, Error> {
        if settings.backend != CacheBackend::Redis {
            let (stored, body) = self.memory_get(key).await;
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

    /// Redis is wanted but unreachable: the in-process cache, no cache, or a
    /// 503, as `fallback` says.
    async fn stand_in(&self, fallback: CacheFallback, key: &Key) -> Result<Lookup<'_>, Error> {
        match fallback {
            CacheFallback::Memory => {
                self.stats.count(key.route, Event::Fallback);
                let (stored, body) = self.memory_get(key).await;
                Ok(Lookup::Done(Store::Memory, stored, body))
            }
            CacheFallback::Database => {
                self.stats.count(key.route, Event::Fallback);
                Ok(Lookup::Skipped)
            }
            CacheFallback::None => Err(Error::CacheUnavailable),
        }
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
        let key = Key::product(id).under(settings.key_scheme, &self.seed);
        // Redis down with no stand-in: nothing to fill; the next reader reads
        // the database.
        let Ok(Lookup::Done(store, stored, _)) = self.lookup(settings, &key).await else {
            return;
        };
        match fresh.await {
            Ok(body) => self.set(&store, stored, body, settings.ttl).await,
            // The write is committed: answer it; the next reader fills.
            Err(e) => tracing::warn!(error = %e, "write-through could not read product {id}"),
        }
    }

    /// Products changed (an order took their stock, say): under on-write,
    /// retire their details and the catalog in one step.
    pub async fn products_written(&self, settings: &CacheSettings, ids: &[i64]) {
        if settings.invalidation != Invalidation::OnWrite {
            return;
        }
        let mut scopes: Vec<String> = ids.iter().map(|&id| product_scope(id)).collect();
        scopes.push(CATALOG_SCOPE.to_string());
        self.retire(&scopes).await;
        for route in CachedRoute::ALL.into_iter().filter(|r| settings.caches(*r)) {
            self.stats.count(route, Event::Invalidation);
        }
    }

    /// Bumps the scopes' generations in memory (so the in-process cache stays
    /// right on its own) and in Redis — tried even while Redis is marked down,
    /// since another instance may be reading it. A bump Redis cannot take
    /// marks it down, and it is trusted again only in a new epoch, so nothing
    /// this write should have retired is read there again.
    async fn retire(&self, scopes: &[String]) {
        self.memory.bump(scopes);
        if let Some(redis) = &self.redis
            && let Err(e) = redis.bump(scopes).await
        {
            tracing::warn!(error = %e, "a write could not retire its cache entries in Redis");
        }
    }

    /// Forgets every entry, in memory and in Redis (a lab's reset, a backend
    /// change). If Redis cannot take the new epoch it is marked down, and
    /// gets one before it is used again: either way nothing older is read.
    pub async fn flush(&self) {
        self.memory.new_epoch();
        if let Some(redis) = &self.redis
            && let Err(e) = redis.bump_epoch().await
        {
            tracing::warn!(error = %e, "cache flush could not reach Redis");
        }
    }
}

/// A cached JSON body as a response, with `X-Cache`.
pub fn respond(body: Bytes, outcome: Outcome) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert("x-cache", HeaderValue::from_static(outcome.header()));
    response
}

/// Serialises a response body once, for the cache and the client alike.
pub fn to_json<T: Serialize>(value: &T) -> Result<Bytes, Error> {
    serde_json::to_vec(value)
        .map(Bytes::from)
        .map_err(|e| Error::Internal(e.to_string()))
}
