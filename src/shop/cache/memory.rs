//! The in-process backend: moka, with each entry's TTL from the settings, and
//! scope generations in a plain map. Used when the settings ask for `memory`,
//! and as the stand-in while Redis is unreachable ("the app works without
//! Redis"). Every shop instance has its own: memory hits are never shared.

use std::collections::HashMap;
use std::sync::Mutex;
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
            generations: Mutex::new(HashMap::new()),
        }
    }

    fn generation(&self, scope: &str) -> u64 {
        let generations = self.generations.lock().unwrap_or_else(|e| e.into_inner());
        generations.get(scope).copied().unwrap_or(0)
    }

    /// The stored key for `key` now, and its body if cached.
    pub async fn get(&self, key: &Key) -> (String, Option<Bytes>) {
        // One process, one database: no namespace or epoch needed.
        let stored = key.stored("", 0, self.generation(&key.scope));
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

    /// Forgets everything (the lab's reset).
    pub fn clear(&self) {
        self.entries.invalidate_all();
    }
}
