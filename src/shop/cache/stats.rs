//! The cache's counters, per route: hits, misses, bypasses, invalidations,
//! errors and fallbacks. Plain atomics, read by the control API now and by the
//! metrics exporter later; moka and Redis keep no such numbers for us.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};

use crate::shop::settings::CachedRoute;

/// What can be counted for a route.
#[derive(Debug, Clone, Copy)]
pub enum Event {
    Hit,
    Miss,
    /// The route is not cached under the current settings.
    Bypass,
    /// A write retired (or refreshed) this route's entries.
    Invalidation,
    /// Redis gave no answer (timeout or error), or, in the in-process
    /// fallback, PostgreSQL gave no generation (the database answered).
    Error,
    /// Redis was wanted but unreachable and `cache.fallback` answered: the
    /// in-process cache (`memory`) or the database (`database`). A `none`
    /// refusal is not counted here: nothing answered in Redis's place.
    Fallback,
}

#[derive(Default)]
struct RouteCounters([AtomicU64; 6]);

/// Counters for every cached route.
#[derive(Default)]
pub struct CacheStats {
    routes: [RouteCounters; CachedRoute::ALL.len()],
}

/// One route's counters at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct RouteSnapshot {
    pub hits: u64,
    pub misses: u64,
    pub bypasses: u64,
    pub invalidations: u64,
    pub errors: u64,
    pub fallbacks: u64,
    /// hits / (hits + misses), or 0 before any lookup.
    pub hit_ratio: f64,
}

fn index(route: CachedRoute) -> usize {
    CachedRoute::ALL
        .iter()
        .position(|r| *r == route)
        .unwrap_or_default()
}

impl CacheStats {
    pub fn count(&self, route: CachedRoute, event: Event) {
        self.routes[index(route)].0[event as usize].fetch_add(1, Ordering::Relaxed);
    }

    /// Every route's counters, by route name.
    pub fn snapshot(&self) -> BTreeMap<&'static str, RouteSnapshot> {
        CachedRoute::ALL
            .iter()
            .map(|&route| {
                let c = &self.routes[index(route)].0;
                let read = |event: Event| c[event as usize].load(Ordering::Relaxed);
                let (hits, misses) = (read(Event::Hit), read(Event::Miss));
                let lookups = hits + misses;
                let snapshot = RouteSnapshot {
                    hits,
                    misses,
                    bypasses: read(Event::Bypass),
                    invalidations: read(Event::Invalidation),
                    errors: read(Event::Error),
                    fallbacks: read(Event::Fallback),
                    hit_ratio: if lookups == 0 {
                        0.0
                    } else {
                        hits as f64 / lookups as f64
                    },
                };
                (route.name(), snapshot)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_per_route_and_ratio() {
        let stats = CacheStats::default();
        for _ in 0..3 {
            stats.count(CachedRoute::ProductDetail, Event::Hit);
        }
        stats.count(CachedRoute::ProductDetail, Event::Miss);
        stats.count(CachedRoute::Search, Event::Fallback);
        let snapshot = stats.snapshot();
        let detail = snapshot["product_detail"];
        assert_eq!((detail.hits, detail.misses), (3, 1));
        assert!((detail.hit_ratio - 0.75).abs() < 1e-12);
        assert_eq!(snapshot["search"].fallbacks, 1);
        assert_eq!(snapshot["categories"], RouteSnapshot::default());
    }
}
