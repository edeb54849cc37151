//! `GET /metrics`'s body: the gauges that are state rather than events are
//! read now — the pool, the cache's counters (kept by `shop::cache::stats`),
//! the process's memory and CPU (through `sysinfo`, so the same on Linux,
//! macOS and WSL2) — and then the whole registry is rendered.

use super::names;
use crate::services::process_info;
use crate::shop::settings::CachedRoute;
use crate::shop::state::AppState;

/// The text format Prometheus scrapes.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Reads the state gauges into the registry and renders it.
pub async fn scrape(state: &AppState) -> String {
    // The process table is a blocking read.
    let usage = tokio::task::spawn_blocking(|| process_info::usage(std::process::id()))
        .await
        .ok()
        .flatten();
    let pool = state.db.pool_stats();
    let cache = state.cache.stats().snapshot();
    state.metrics.record(|| {
        metrics::gauge!(names::POOL_MAX).set(pool.max);
        metrics::gauge!(names::POOL_OPEN).set(pool.open);
        metrics::gauge!(names::POOL_IDLE).set(pool.idle as f64);
        let in_use = (pool.open as usize).saturating_sub(pool.idle);
        metrics::gauge!(names::POOL_IN_USE).set(in_use as f64);
        metrics::counter!(names::POOL_TIMEOUTS).absolute(pool.timeouts);
        for route in CachedRoute::ALL {
            let Some(c) = cache.get(route.name()) else {
                continue;
            };
            let label = cached_route_template(route);
            metrics::counter!(names::CACHE_HITS, "route" => label).absolute(c.hits);
            metrics::counter!(names::CACHE_MISSES, "route" => label).absolute(c.misses);
            metrics::counter!(names::CACHE_BYPASSES, "route" => label).absolute(c.bypasses);
            metrics::counter!(names::CACHE_INVALIDATIONS, "route" => label)
                .absolute(c.invalidations);
            metrics::counter!(names::CACHE_ERRORS, "route" => label).absolute(c.errors);
            metrics::counter!(names::CACHE_FALLBACKS, "route" => label).absolute(c.fallbacks);
        }
        if let Some(usage) = usage {
            metrics::gauge!(names::PROCESS_RSS).set(usage.rss_bytes as f64);
            metrics::gauge!(names::PROCESS_START).set(usage.start_time as f64);
        }
    });
    let mut text = state.metrics.render();
    if let Some(usage) = usage {
        // `metrics` counters are integers; CPU seconds are not.
        text.push_str(&format!(
            "# HELP {cpu} User and system CPU time of the shop process in seconds.\n\
             # TYPE {cpu} counter\n{cpu} {}\n",
            usage.cpu_seconds,
            cpu = names::PROCESS_CPU
        ));
    }
    text
}

/// A cached route's label: the template of the route it caches, so cache
/// series join the request series on `route`.
fn cached_route_template(route: CachedRoute) -> &'static str {
    match route {
        CachedRoute::ProductDetail => "/products/{id}",
        CachedRoute::ProductList => "/products",
        CachedRoute::Categories => "/categories",
        CachedRoute::Search => "/products/search",
    }
}
