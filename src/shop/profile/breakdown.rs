//! The span breakdown: per route (the matched template, `/products/{id}`),
//! how many requests and how much time each part took in total.
//!
//! Recording is on the request path, so it takes no exclusive lock: the
//! routes sit in a map behind a `RwLock` that requests only read (a route's
//! first request takes the write lock once), and each route's sums are
//! atomics. A reset empties the map. The parts are those of
//! `telemetry::Breakdown` plus the serialisation clock; compute is what is
//! left of the total (routing, middleware, the handler's own Rust — and,
//! since `db` counts statements running, not waiting, the wait for a free
//! pool connection when the pool is saturated: measured at the `default`
//! scale, the live report's 8 users spent ~2.4 s per request there).

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::shop::telemetry::Breakdown;

/// The parts of a request, in the order reports list them.
pub const PARTS: [Part; 4] = [Part::Db, Part::Cache, Part::Serialise, Part::Compute];

/// One part of a request's time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Part {
    /// Statements running (`Server-Timing: db`).
    Db,
    /// Cache lookups, fills and retirements, their statements left out.
    Cache,
    /// Encoding the JSON body.
    Serialise,
    /// Everything else: routing, middleware, the handler's own work, and
    /// waiting for a pool connection.
    Compute,
}

impl Part {
    /// The name reports and messages use.
    pub fn name(self) -> &'static str {
        match self {
            Self::Db => "db",
            Self::Cache => "cache",
            Self::Serialise => "serialise",
            Self::Compute => "compute",
        }
    }
}

/// One request's parts, in nanoseconds (saturating), compute derived.
fn parts(total: Duration, breakdown: &Breakdown) -> [u64; 4] {
    let nanos = |d: Duration| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
    let (db, cache, serialise) = (
        nanos(breakdown.db),
        nanos(breakdown.cache),
        nanos(breakdown.serialise),
    );
    let compute = nanos(total).saturating_sub(db.saturating_add(cache).saturating_add(serialise));
    [db, cache, serialise, compute]
}

/// A route's sums.
#[derive(Debug, Default)]
struct Sums {
    requests: AtomicU64,
    nanos: [AtomicU64; 4],
}

/// Every route's sums since the shop started or the last reset.
#[derive(Debug, Default)]
pub struct Breakdowns {
    routes: RwLock<HashMap<String, Arc<Sums>>>,
}

impl Breakdowns {
    /// Adds one request of `route` that took `total`, split as `breakdown` says.
    pub fn record(&self, route: &str, total: Duration, breakdown: &Breakdown) {
        let sums = self.sums(route);
        sums.requests.fetch_add(1, Ordering::Relaxed);
        for (sum, nanos) in sums.nanos.iter().zip(parts(total, breakdown)) {
            sum.fetch_add(nanos, Ordering::Relaxed);
        }
    }

    fn sums(&self, route: &str) -> Arc<Sums> {
        let found = self
            .routes
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(route)
            .cloned();
        found.unwrap_or_else(|| {
            let mut routes = self.routes.write().unwrap_or_else(|e| e.into_inner());
            Arc::clone(routes.entry(route.to_string()).or_default())
        })
    }

    /// Forgets every route's sums (a measurement starts from here).
    pub fn reset(&self) {
        self.routes
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    /// What each route spent, per request, with its dominant part.
    pub fn report(&self, enabled: bool) -> Report {
        let routes = self.routes.read().unwrap_or_else(|e| e.into_inner());
        let routes = routes
            .iter()
            .map(|(route, sums)| {
                let requests = sums.requests.load(Ordering::Relaxed);
                let nanos = sums.nanos.each_ref().map(|n| n.load(Ordering::Relaxed));
                (route.clone(), RouteBreakdown::new(requests, nanos))
            })
            .collect();
        Report { enabled, routes }
    }
}

/// `GET /breakdown`: every route seen since the last reset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Whether `[monitoring] breakdown` is on (off: nothing is being added).
    pub enabled: bool,
    pub routes: BTreeMap<String, RouteBreakdown>,
}

/// One route: its requests, the mean milliseconds per request of each part,
/// and the part that took the most.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RouteBreakdown {
    pub requests: u64,
    /// Mean per request, in milliseconds, by part name.
    pub ms_per_request: BTreeMap<Part, f64>,
    /// Mean total per request, in milliseconds.
    pub total_ms: f64,
    /// The part with the largest share.
    pub dominant: Part,
    /// The dominant part's share of the total, 0–1.
    pub dominant_share: f64,
}

impl RouteBreakdown {
    fn new(requests: u64, nanos: [u64; 4]) -> Self {
        let per_request = |n: u64| match requests {
            0 => 0.0,
            r => n as f64 / r as f64 / 1e6,
        };
        let total: u64 = nanos.iter().fold(0, |a, &b| a.saturating_add(b));
        // Ties go to the earlier part in PARTS (db first): arbitrary but stable.
        let (dominant, most) =
            PARTS
                .into_iter()
                .zip(nanos)
                .fold(
                    (Part::Db, 0),
                    |best, (part, n)| if n > best.1 { (part, n) } else { best },
                );
        Self {
            requests,
            ms_per_request: PARTS
                .into_iter()
                .zip(nanos)
                .map(|(part, n)| (part, per_request(n)))
                .collect(),
            total_ms: per_request(total),
            dominant,
            dominant_share: if total == 0 {
                0.0
            } else {
                most as f64 / total as f64
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_per_route_and_names_the_largest_part() {
        let breakdowns = Breakdowns::default();
        let slow_db = Breakdown {
            queries: 1,
            db: Duration::from_millis(8),
            cache: Duration::ZERO,
            serialise: Duration::from_millis(1),
        };
        breakdowns.record("/reports/top-products", Duration::from_millis(10), &slow_db);
        breakdowns.record("/reports/top-products", Duration::from_millis(10), &slow_db);
        let json = Breakdown {
            serialise: Duration::from_millis(3),
            ..Breakdown::default()
        };
        breakdowns.record("/products", Duration::from_millis(4), &json);

        let report = breakdowns.report(true);
        let top = &report.routes["/reports/top-products"];
        assert_eq!(top.requests, 2);
        assert_eq!(top.dominant, Part::Db);
        assert!((top.ms_per_request[&Part::Db] - 8.0).abs() < 1e-9);
        assert!((top.ms_per_request[&Part::Compute] - 1.0).abs() < 1e-9);
        assert!((top.dominant_share - 0.8).abs() < 1e-9);
        assert_eq!(report.routes["/products"].dominant, Part::Serialise);

        breakdowns.reset();
        assert!(breakdowns.report(true).routes.is_empty());
    }

    #[test]
    fn parts_never_exceed_the_total() {
        // A clock read out of order must not wrap compute around.
        let odd = Breakdown {
            db: Duration::from_millis(5),
            ..Breakdown::default()
        };
        assert_eq!(parts(Duration::from_millis(4), &odd)[3], 0);
    }
}
