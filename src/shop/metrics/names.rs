//! The names of the shop's series: one list for the exporter, the tests and
//! the monitoring fixtures' queries (`fixtures/monitoring/`). They follow the
//! course's Grafana queries (`http_request_duration_seconds`,
//! `http_requests_total`) and Prometheus's client conventions for the rest
//! (`process_resident_memory_bytes`, `process_cpu_seconds_total`).

/// What type a series is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Counter,
    Gauge,
    Histogram,
}

/// Request latency to the response head, by `method`, `route` and
/// `status_class` (`2xx`…).
pub const REQUEST_DURATION: &str = "http_request_duration_seconds";
/// Requests answered, by `method`, `route` and `status` (the code).
pub const REQUESTS: &str = "http_requests_total";
/// SQL statements per request, by `route`.
pub const REQUEST_QUERIES: &str = "http_request_queries";
/// Cache events by `route` (the cached route's template).
pub const CACHE_HITS: &str = "cache_hits_total";
pub const CACHE_MISSES: &str = "cache_misses_total";
pub const CACHE_BYPASSES: &str = "cache_bypasses_total";
pub const CACHE_INVALIDATIONS: &str = "cache_invalidations_total";
pub const CACHE_ERRORS: &str = "cache_errors_total";
pub const CACHE_FALLBACKS: &str = "cache_fallbacks_total";
/// The pool: its size (`database.pool_size`), connections open, in use and
/// idle, and requests refused after the acquire timeout.
pub const POOL_MAX: &str = "db_pool_max_connections";
pub const POOL_OPEN: &str = "db_pool_connections_open";
pub const POOL_IN_USE: &str = "db_pool_connections_in_use";
pub const POOL_IDLE: &str = "db_pool_connections_idle";
pub const POOL_TIMEOUTS: &str = "db_pool_acquire_timeouts_total";
/// Rate-limit decisions by `outcome` (`allowed`, `limited`…).
pub const RATE_LIMIT_DECISIONS: &str = "rate_limit_decisions_total";
/// The shop process: resident memory, CPU time, start time.
pub const PROCESS_RSS: &str = "process_resident_memory_bytes";
pub const PROCESS_CPU: &str = "process_cpu_seconds_total";
pub const PROCESS_START: &str = "process_start_time_seconds";

/// Every outcome the limiter reports (`limit::Outcome::as_str`), counted
/// from zero.
pub const RATE_LIMIT_OUTCOMES: [&str; 5] = [
    "allowed",
    "limited",
    "fallback-allowed",
    "fallback-limited",
    "store-down",
];

/// Every series with its type and help text.
pub const SERIES: &[(&str, Kind, &str)] = &[
    (
        REQUEST_DURATION,
        Kind::Histogram,
        "Time to the response head, by method, route and status class.",
    ),
    (
        REQUESTS,
        Kind::Counter,
        "Requests answered, by method, route and status code.",
    ),
    (
        REQUEST_QUERIES,
        Kind::Histogram,
        "SQL statements sent per request, by route.",
    ),
    (
        CACHE_HITS,
        Kind::Counter,
        "Cache lookups answered from the cache, by route.",
    ),
    (
        CACHE_MISSES,
        Kind::Counter,
        "Cache lookups that went to the database, by route.",
    ),
    (
        CACHE_BYPASSES,
        Kind::Counter,
        "Requests to a route the settings do not cache, by route.",
    ),
    (
        CACHE_INVALIDATIONS,
        Kind::Counter,
        "Writes that retired or refreshed a route's entries, by route.",
    ),
    (
        CACHE_ERRORS,
        Kind::Counter,
        "Cache lookups with no answer from the store, by route.",
    ),
    (
        CACHE_FALLBACKS,
        Kind::Counter,
        "Lookups answered by cache.fallback while Redis was down, by route.",
    ),
    (
        POOL_MAX,
        Kind::Gauge,
        "The pool's size (database.pool_size).",
    ),
    (
        POOL_OPEN,
        Kind::Gauge,
        "Database connections open, busy or idle.",
    ),
    (
        POOL_IN_USE,
        Kind::Gauge,
        "Database connections serving a request.",
    ),
    (
        POOL_IDLE,
        Kind::Gauge,
        "Database connections open and free.",
    ),
    (
        POOL_TIMEOUTS,
        Kind::Counter,
        "Requests answered 503 after waiting past the pool's acquire timeout.",
    ),
    (
        RATE_LIMIT_DECISIONS,
        Kind::Counter,
        "Rate-limit decisions, by outcome.",
    ),
    (
        PROCESS_RSS,
        Kind::Gauge,
        "Resident memory of the shop process in bytes.",
    ),
    (
        PROCESS_CPU,
        Kind::Counter,
        "User and system CPU time of the shop process in seconds.",
    ),
    (
        PROCESS_START,
        Kind::Gauge,
        "Start time of the shop process since the epoch, in seconds.",
    ),
];
