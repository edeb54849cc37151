//! Cache keys. Under `cache.key_scheme = "canonical"` a key is built only from
//! the route and its normalised parameters: the same request gives the same
//! key in every process. The course's resources page keys its cache with
//! Python's `hash()`, which is salted per process, so two workers never share
//! a hit; `"process-hash"` reproduces that on purpose ([`Key::under`],
//! [`ProcessSeed`]) for the lab that teaches it.
//!
//! A key also names its *scope*, the thing whose writes make it stale: one
//! product (`product:42`) for its detail, the whole catalog (`catalog`) for
//! listings, search and categories. Each scope has a generation number that a
//! write increments; the generation is part of the stored key, so one
//! increment retires every entry of the scope at once, and an entry filled from
//! data read before the write can only land under the old generation.
//!
//! Under `cache.invalidation = "ttl-only"` (lab 1.4's bug) a key moves to a
//! scope of its own that no write bumps ([`Key::under_invalidation`]): its
//! entries live out their TTL, while writes keep bumping the real scope, so
//! the `on-write` entries stay right all along and a switch between the two
//! never serves one mode's entries to the other.

use std::collections::BTreeMap;
use std::hash::{BuildHasher, RandomState};

use crate::shop::settings::{CachedRoute, Invalidation, KeyScheme};

/// A cacheable request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    pub route: CachedRoute,
    /// Whose writes make this entry stale.
    pub scope: String,
    /// The normalised parameters (`a=1&b=2`, sorted, defaults filled).
    pub params: String,
    /// The query string as the client sent it (after `?`; empty without
    /// one). Only `process-hash` keys read it.
    pub raw_query: String,
}

/// The secret `process-hash` keys are seeded with: std's [`RandomState`],
/// drawn once when the shop starts and never shared — exactly what Python's
/// per-process `hash()` salt does to the course's keys.
pub struct ProcessSeed(RandomState);

impl Default for ProcessSeed {
    fn default() -> Self {
        Self(RandomState::new())
    }
}

/// The scope every listing-like route shares: any product write can change a
/// listing page, a search result or a category count.
pub const CATALOG_SCOPE: &str = "catalog";

/// The scope of one product's detail.
pub fn product_scope(id: i64) -> String {
    format!("product:{id}")
}

/// Appended to a scope under `ttl-only`. Writes bump only [`CATALOG_SCOPE`]
/// and [`product_scope`]s, never a scope with this suffix.
const TTL_ONLY_SUFFIX: &str = "~ttl-only";

impl Key {
    /// `GET /products/{id}`.
    pub fn product(id: i64) -> Self {
        Self {
            route: CachedRoute::ProductDetail,
            scope: product_scope(id),
            params: String::new(),
            raw_query: String::new(),
        }
    }

    /// A catalog-scoped route with its parameters (normalised here: sorted by
    /// name and URL-encoded, so `?b=2&a=1` and `?a=1&b=2` are one key).
    pub fn catalog(route: CachedRoute, params: &[(&str, String)]) -> Self {
        let sorted: BTreeMap<&str, &str> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
        Self {
            route,
            scope: CATALOG_SCOPE.to_string(),
            params: serde_urlencoded::to_string(sorted).unwrap_or_default(),
            raw_query: String::new(),
        }
    }

    /// The request's query string as received (axum's `RawQuery`).
    pub fn with_raw_query(mut self, raw: Option<String>) -> Self {
        self.raw_query = raw.unwrap_or_default();
        self
    }

    /// This key as `scheme` names it. `process-hash` replaces the parameters
    /// with `#` and a hash of the raw query seeded by `seed`; route and scope
    /// stay, so generations and epochs retire these entries as any other.
    /// Canonical parameters are URL-encoded and never contain `#`, so the two
    /// schemes never name the same entry.
    pub fn under(self, scheme: KeyScheme, seed: &ProcessSeed) -> Self {
        match scheme {
            KeyScheme::Canonical => self,
            KeyScheme::ProcessHash => Self {
                params: format!("#{:016x}", seed.0.hash_one(&self.raw_query)),
                ..self
            },
        }
    }

    /// This key as `invalidation` retires it. `on-write` keeps its scope,
    /// which every write bumps. `ttl-only` moves it to a scope no write bumps
    /// (`product:42~ttl-only`): its entries are retired by nothing but their
    /// TTL, and they never share a stored key with an `on-write` entry, so a
    /// reader under `on-write` never gets one of them — even one that
    /// started while the settings were being switched.
    pub fn under_invalidation(self, invalidation: Invalidation) -> Self {
        match invalidation {
            Invalidation::OnWrite => self,
            Invalidation::TtlOnly => Self {
                scope: format!("{}{TTL_ONLY_SUFFIX}", self.scope),
                ..self
            },
        }
    }

    /// The stored key in namespace `ns`, for an epoch and a scope generation.
    pub fn stored(&self, ns: &str, epoch: u64, generation: u64) -> String {
        format!(
            "{}{epoch}:{}@{generation}:{}",
            prefix(ns),
            self.route_and_scope(),
            self.params
        )
    }

    /// `route:scope`, the part of the stored key between epoch and generation.
    pub fn route_and_scope(&self) -> String {
        format!("{}:{}", self.route.name(), self.scope)
    }
}

// Every key lives under `perflab:<ns>:`, where `ns` is the database the
// entries were read from: shops on different databases never share entries,
// and nothing else in Redis is touched.

/// Where a namespace's entries start.
pub fn prefix(ns: &str) -> String {
    format!("perflab:{ns}:cache:")
}

/// Incremented when this namespace's entries can no longer be trusted (a shop
/// started, or writes missed Redis during an outage): entries of older epochs
/// are never read again.
pub fn epoch_key(ns: &str) -> String {
    format!("perflab:{ns}:epoch")
}

/// The Redis key holding a scope's generation.
pub fn generation_key(ns: &str, scope: &str) -> String {
    format!("perflab:{ns}:gen:{scope}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reordered_parameters_give_the_same_key() {
        let a = Key::catalog(
            CachedRoute::ProductList,
            &[("sort", "price".into()), ("category", "3".into())],
        );
        let b = Key::catalog(
            CachedRoute::ProductList,
            &[("category", "3".into()), ("sort", "price".into())],
        );
        assert_eq!(a, b);
        assert_eq!(a.params, "category=3&sort=price");
    }

    #[test]
    fn stored_keys_name_route_scope_and_generation() {
        assert_eq!(
            Key::product(42).stored("shop", 0, 3),
            "perflab:shop:cache:0:product_detail:product:42@3:"
        );
        let search = Key::catalog(CachedRoute::Search, &[("q", "mesa roja".into())]);
        assert_eq!(
            search.stored("shop", 1, 0),
            "perflab:shop:cache:1:search:catalog@0:q=mesa+roja"
        );
    }

    #[test]
    fn process_hash_keys_follow_the_raw_query_and_the_process() {
        let seed = ProcessSeed::default();
        let request = |raw: &str| {
            Key::catalog(
                CachedRoute::ProductList,
                &[("a", "1".into()), ("b", "2".into())],
            )
            .with_raw_query(Some(raw.into()))
        };
        let canonical = |raw| {
            request(raw)
                .under(KeyScheme::Canonical, &seed)
                .stored("shop", 0, 0)
        };
        assert_eq!(canonical("a=1&b=2"), canonical("b=2&a=1"));
        let hashed = |raw, seed| {
            request(raw)
                .under(KeyScheme::ProcessHash, seed)
                .stored("shop", 0, 0)
        };
        let key = hashed("a=1&b=2", &seed);
        assert_eq!(key, hashed("a=1&b=2", &seed), "stable in one process");
        assert_ne!(key, hashed("b=2&a=1", &seed), "the raw bytes count");
        assert_ne!(
            key,
            hashed("a=1&b=2", &ProcessSeed::default()),
            "another process, another key"
        );
        assert!(key.starts_with("perflab:shop:cache:0:product_list:catalog@0:#"));
        assert!(!canonical("a=1&b=2").contains('#'));
    }

    #[test]
    fn ttl_only_keys_live_in_a_scope_no_write_bumps() {
        let on_write = Key::product(42).under_invalidation(Invalidation::OnWrite);
        assert_eq!(on_write, Key::product(42));
        let ttl_only = Key::product(42).under_invalidation(Invalidation::TtlOnly);
        assert_eq!(ttl_only.scope, "product:42~ttl-only");
        assert_ne!(ttl_only.scope, product_scope(42));
        assert_ne!(ttl_only.stored("shop", 0, 0), on_write.stored("shop", 0, 0));
        let listing =
            Key::catalog(CachedRoute::ProductList, &[]).under_invalidation(Invalidation::TtlOnly);
        assert_ne!(listing.scope, CATALOG_SCOPE);
    }

    #[test]
    fn keys_are_the_same_in_every_process() {
        // No hashing: the key is a pure function of the request.
        let key = Key::catalog(CachedRoute::Categories, &[]).stored("shop", 0, 0);
        assert_eq!(key, "perflab:shop:cache:0:categories:catalog@0:");
    }
}
