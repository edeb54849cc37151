//! The in-process backend: moka, with each entry's TTL from the settings, and
//! scope generations in a plain map. Used when the settings ask for `memory`,
//! and as the stand-in while Redis is unreachable with `cache.fallback =
//! "memory"` ("the app works without Redis"). Every shop instance has its
//! own: memory hits are never shared.
//!
//! The generations here are bumped by this process's writes only. That is the
//! whole promise of `backend = "memory"`; the fallback adds the generation
//! every instance bumps in PostgreSQL to the namespace it passes to
//! [`MemoryCache::get`] (see [`super::shared_generations`]).

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use moka::Expiry;
use moka::future::Cache;

use super::keys::Key;

/// At most this many bytes of cached bodies (plus keys) per shop.
const CAPACITY_BYTES: u64 = 64 * 1024 * 1024;

#[derive(Clone)]
struct Entry {
    body: Bytes,
    ttl: Duration,
}

/// Each entry expires after its own TTL.
struct PerEntryTtl;

impl Expiry<String, Entry> for PerEntryTtl {
    fn expire_after_create(&self, _: &String, entry: &Entry, _: Instant) -> Option<Duration> {
        Some(entry.ttl)
    }

    fn expire_after_update(
        &self,
        _: &String,
        entry: &Entry,
        _: Instant,
        _: Option<Duration>,
    ) -> Option<Duration> {
        Some(entry.ttl)
    }
}

/// The in-process cache.
pub struct MemoryCache {
    entries: Cache<String, Entry>,
    /// Part of every stored key; [`MemoryCache::new_epoch`] retires all
    /// entries at once, including fills in flight (which land under the old
    /// epoch), which moka's `invalidate_all` alone would let through.
    epoch: AtomicU64,
    /// Scope generations. Never evicted: losing one would resurrect entries
    /// filled under an older generation. Bounded by the number of products.
    generations: Mutex<HashMap<String, u64>>,
}

impl Default for MemoryCache {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryCache {
    pub fn new() -> Self {
        let entries = Cache::builder()
            .max_capacity(CAPACITY_BYTES)
            .weigher(|key: &String, entry: &Entry| {
                u32::try_from(key.len() + entry.body.len()).unwrap_or(u32::MAX)
            })
            .expire_after(PerEntryTtl)
            .build();
        Self {
            entries,
            epoch: AtomicU64::new(0),
            generations: Mutex::new(HashMap::new()),
        }
    }

    fn generation(&self, scope: &str) -> u64 {
        let generations = self.generations.lock().unwrap_or_else(|e| e.into_inner());
        generations.get(scope).copied().unwrap_or(0)
    }

    /// The stored key for `key` now, and its body if cached. `ns` names the
    /// family of entries and what, besides this process's own generations,
    /// they were filled under (the fallback's shared generation); one
    /// process, one database, so nothing else is needed.
    pub async fn get(&self, key: &Key, ns: &str) -> (String, Option<Bytes>) {
        let epoch = self.epoch.load(Ordering::SeqCst);
        let stored = key.stored(ns, epoch, self.generation(&key.scope));
        let body = self.entries.get(&stored).await.map(|entry| entry.body);
        (stored, body)
    }

    pub async fn set(&self, stored: String, body: Bytes, ttl: Duration) {
        self.entries.insert(stored, Entry { body, ttl }).await;
    }

    /// Retires every entry of these scopes.
    pub fn bump(&self, scopes: &[String]) {
        let mut generations = self.generations.lock().unwrap_or_else(|e| e.into_inner());
        for scope in scopes {
            *generations.entry(scope.clone()).or_default() += 1;
        }
    }

    /// Retires every entry (a flush).
    pub fn new_epoch(&self) {
        self.epoch.fetch_add(1, Ordering::SeqCst);
        self.entries.invalidate_all();
    }
}
