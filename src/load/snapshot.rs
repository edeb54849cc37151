//! What a run publishes: small, serialisable summaries of the tallies, one
//! per window plus the cumulative total, for the TUI's dashboard, the checks
//! and `perflab bench --json`. Percentiles are computed here, once a window,
//! never per frame or per request.

use std::collections::BTreeMap;
use std::time::Duration;

use hdrhistogram::Histogram;
use serde::Serialize;

use super::tally::{Latencies, Tally, empty_histogram};

/// One publication of a run: the last window and everything so far.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Snapshot {
    /// Seconds since the run's clock started.
    pub elapsed_secs: f64,
    /// The requests that finished in the last window (about 1 s).
    pub window: Stats,
    /// Every request that finished since the start.
    pub total: Stats,
    /// Open loop, last snapshot only: requests the schedule held before the
    /// end that no connection was free to send (the run was over capacity).
    pub unsent: u64,
    /// The last snapshot of the run.
    pub done: bool,
}

/// Statistics of a set of requests. Serialised (`perflab bench --json`) in
/// this order: counts and rates first, then latency, then the breakdowns.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Stats {
    /// Finished requests: with a response or failed.
    pub requests: u64,
    /// Requests with an HTTP response (any status).
    pub responses: u64,
    /// The span these requests finished in.
    pub secs: f64,
    /// `requests / secs`.
    pub rps: f64,
    /// Bytes received in responses: heads and bodies.
    pub bytes: u64,
    /// `bytes / secs`.
    pub bytes_per_sec: f64,
    /// Latency of every response from its scheduled send time (open loop:
    /// coordinated omission corrected; closed loop: the same as `uncorrected`).
    pub latency: Latency,
    /// Latency of every response from the moment it was actually sent.
    pub uncorrected: Latency,
    /// The same, per status class ("2xx", "4xx"…), so fast 429s do not
    /// flatter the p95 of the requests that were served.
    pub by_class: BTreeMap<StatusClass, ClassStats>,
    /// Responses per status code.
    pub status_codes: BTreeMap<u16, u64>,
    pub errors: ErrorCounts,
    /// Requests sent more than [`LATE_AFTER`](super::LATE_AFTER) after their
    /// scheduled time (open loop).
    pub late: u64,
    /// Responses with status 429.
    pub rate_limited: u64,
    /// What the responses' `X-Cache` headers said.
    pub cache: CacheCounts,
    /// Per virtual user, when they logged in (empty otherwise).
    pub users: Vec<UserStats>,
    /// Per endpoint of the mix, when it has more than one.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub endpoints: Vec<EndpointStats>,
}

impl Stats {
    /// The statistics of one status class, if any response had it.
    pub fn class(&self, class: StatusClass) -> Option<&ClassStats> {
        self.by_class.get(&class)
    }
}

/// A status class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum StatusClass {
    #[serde(rename = "1xx")]
    Informational,
    #[serde(rename = "2xx")]
    Success,
    #[serde(rename = "3xx")]
    Redirection,
    #[serde(rename = "4xx")]
    ClientError,
    #[serde(rename = "5xx")]
    ServerError,
}

impl StatusClass {
    /// "2xx", "4xx"…
    pub fn label(self) -> &'static str {
        match self {
            Self::Informational => "1xx",
            Self::Success => "2xx",
            Self::Redirection => "3xx",
            Self::ClientError => "4xx",
            Self::ServerError => "5xx",
        }
    }
}

const CLASSES: [StatusClass; 5] = [
    StatusClass::Informational,
    StatusClass::Success,
    StatusClass::Redirection,
    StatusClass::ClientError,
    StatusClass::ServerError,
];

/// Responses of one status class.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct ClassStats {
    pub count: u64,
    pub latency: Latency,
    pub uncorrected: Latency,
}

/// Latency percentiles in microseconds (exact to 3 significant digits).
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq)]
pub struct Latency {
    pub count: u64,
    pub mean_us: f64,
    /// Standard deviation (population) around the mean.
    pub stdev_us: f64,
    pub p50_us: u64,
    pub p90_us: u64,
    pub p95_us: u64,
    pub p99_us: u64,
    pub max_us: u64,
}

impl Latency {
    fn of(histogram: &Histogram<u64>) -> Self {
        if histogram.is_empty() {
            return Self::default();
        }
        Self {
            count: histogram.len(),
            mean_us: histogram.mean(),
            stdev_us: histogram.stdev(),
            p50_us: histogram.value_at_quantile(0.50),
            p90_us: histogram.value_at_quantile(0.90),
            p95_us: histogram.value_at_quantile(0.95),
            p99_us: histogram.value_at_quantile(0.99),
            max_us: histogram.max(),
        }
    }

    /// The p95 as a `Duration`, for comparing with a target.
    pub fn p95(&self) -> Duration {
        Duration::from_micros(self.p95_us)
    }

    /// The p99 as a `Duration`.
    pub fn p99(&self) -> Duration {
        Duration::from_micros(self.p99_us)
    }
}

/// A response's `X-Cache` header, as the API contract defines it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheAnswer {
    Hit,
    Miss,
    /// Not cached (the route is not, or the cache is off).
    Bypass,
    /// Some other value.
    Other,
}

impl CacheAnswer {
    /// The answer an `X-Cache` value gives (case-insensitive).
    pub fn of(value: &[u8]) -> Self {
        let is = |word: &[u8]| value.eq_ignore_ascii_case(word);
        if is(b"HIT") {
            Self::Hit
        } else if is(b"MISS") {
            Self::Miss
        } else if is(b"BYPASS") {
            Self::Bypass
        } else {
            Self::Other
        }
    }
}

/// Responses per `X-Cache` answer; responses without the header are the
/// rest of [`Stats::responses`].
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub struct CacheCounts {
    pub hit: u64,
    pub miss: u64,
    pub bypass: u64,
    pub other: u64,
}

impl CacheCounts {
    pub(crate) fn count(&mut self, answer: CacheAnswer) {
        *match answer {
            CacheAnswer::Hit => &mut self.hit,
            CacheAnswer::Miss => &mut self.miss,
            CacheAnswer::Bypass => &mut self.bypass,
            CacheAnswer::Other => &mut self.other,
        } += 1;
    }

    pub(crate) fn add(&mut self, other: &Self) {
        self.hit += other.hit;
        self.miss += other.miss;
        self.bypass += other.bypass;
        self.other += other.other;
    }

    /// Responses that carried the header at all.
    pub fn answered(&self) -> u64 {
        self.hit + self.miss + self.bypass + self.other
    }

    /// Cache lookups: hits and misses (a bypass looked nothing up).
    pub fn lookups(&self) -> u64 {
        self.hit + self.miss
    }

    /// hits / lookups; `None` with no lookup.
    pub fn hit_ratio(&self) -> Option<f64> {
        let lookups = self.lookups();
        (lookups > 0).then(|| self.hit as f64 / lookups as f64)
    }
}

/// Requests that got no response.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub struct ErrorCounts {
    /// The connection could not be opened or broke before the request went out.
    pub connect: u64,
    /// No complete response within the request timeout.
    pub timeout: u64,
    /// Anything else (a protocol error, a reset mid-response).
    pub other: u64,
}

impl ErrorCounts {
    pub fn total(&self) -> u64 {
        self.connect + self.timeout + self.other
    }
}

/// The requests of one endpoint of a mix.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct EndpointStats {
    /// Its position in the mix, as given.
    pub index: usize,
    pub requests: u64,
    /// Latency of its 2xx answers, from their scheduled send time.
    pub ok: Latency,
}

/// The requests of one virtual user.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct UserStats {
    /// The user's e-mail.
    pub user: String,
    pub requests: u64,
    pub status_codes: BTreeMap<u16, u64>,
    pub rate_limited: u64,
    pub errors: u64,
    /// The budget the shop last said this user had left
    /// (`X-RateLimit-Remaining`), if it said.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remaining: Option<u32>,
}

impl Stats {
    /// Summarises a tally of requests that finished within `span`.
    pub(crate) fn of(tally: &Tally, span: Duration) -> Self {
        let secs = span.as_secs_f64();
        let requests = tally.requests();
        let mut all = Latencies {
            corrected: empty_histogram(),
            uncorrected: empty_histogram(),
        };
        let mut by_class = BTreeMap::new();
        for (class, latencies) in CLASSES.iter().zip(&tally.classes) {
            let Some(latencies) = latencies else { continue };
            let _ = all.corrected.add(&latencies.corrected);
            let _ = all.uncorrected.add(&latencies.uncorrected);
            by_class.insert(
                *class,
                ClassStats {
                    count: latencies.corrected.len(),
                    latency: Latency::of(&latencies.corrected),
                    uncorrected: Latency::of(&latencies.uncorrected),
                },
            );
        }
        let per_sec = |n: u64| if secs > 0.0 { n as f64 / secs } else { 0.0 };
        Self {
            requests,
            responses: tally.responses(),
            secs,
            rps: per_sec(requests),
            bytes: tally.bytes,
            bytes_per_sec: per_sec(tally.bytes),
            latency: Latency::of(&all.corrected),
            uncorrected: Latency::of(&all.uncorrected),
            by_class,
            status_codes: tally.codes.clone(),
            errors: ErrorCounts {
                connect: tally.connect_errors,
                timeout: tally.timeouts,
                other: tally.other_errors,
            },
            late: tally.late,
            rate_limited: tally.codes.get(&429).copied().unwrap_or(0),
            cache: tally.cache,
            users: users(tally),
            endpoints: endpoints(tally),
        }
    }
}

fn endpoints(tally: &Tally) -> Vec<EndpointStats> {
    if tally.endpoints.len() < 2 {
        return Vec::new();
    }
    let empty = empty_histogram();
    tally
        .endpoints
        .iter()
        .map(|(index, e)| EndpointStats {
            index: *index,
            requests: e.requests,
            ok: Latency::of(e.ok.as_deref().unwrap_or(&empty)),
        })
        .collect()
}

fn users(tally: &Tally) -> Vec<UserStats> {
    tally
        .users
        .values()
        .map(|u| UserStats {
            user: u.name.to_string(),
            requests: u.codes.values().sum::<u64>() + u.errors,
            status_codes: u.codes.clone(),
            rate_limited: u.codes.get(&429).copied().unwrap_or(0),
            errors: u.errors,
            remaining: u.remaining,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latency_has_the_mean_and_standard_deviation() {
        let mut histogram = crate::load::tally::empty_histogram();
        for ms in [10_000, 20_000, 30_000] {
            histogram.record(ms).unwrap();
        }
        let latency = Latency::of(&histogram);
        // Within the histogram's 3 significant digits.
        assert!((latency.mean_us - 20_000.0).abs() < 20.0, "{latency:?}");
        let stdev = (200.0_f64 / 3.0).sqrt() * 1000.0; // population: 8165 µs
        assert!((latency.stdev_us - stdev).abs() < 20.0, "{latency:?}");
        assert_eq!(
            Latency::of(&crate::load::tally::empty_histogram()).stdev_us,
            0.0
        );
    }

    #[test]
    fn x_cache_answers_are_read_whatever_their_case() {
        assert_eq!(CacheAnswer::of(b"HIT"), CacheAnswer::Hit);
        assert_eq!(CacheAnswer::of(b"miss"), CacheAnswer::Miss);
        assert_eq!(CacheAnswer::of(b"Bypass"), CacheAnswer::Bypass);
        assert_eq!(CacheAnswer::of(b"HIT from cdn"), CacheAnswer::Other);
        let mut counts = CacheCounts::default();
        for answer in [
            CacheAnswer::Hit,
            CacheAnswer::Hit,
            CacheAnswer::Miss,
            CacheAnswer::Bypass,
        ] {
            counts.count(answer);
        }
        assert_eq!((counts.lookups(), counts.answered()), (3, 4));
        assert_eq!(counts.hit_ratio(), Some(2.0 / 3.0));
        assert_eq!(
            CacheCounts::default().hit_ratio(),
            None,
            "no lookup, no ratio"
        );
    }
}
