//! What the workers aggregate: HDR latency histograms per status class
//! (corrected and uncorrected), counts per status code, errors, late sends
//! and per-user counts — never a record per request, so memory stays bounded
//! however long a run lasts (oha's lesson).
//!
//! Workers record into a few shared shards (a `std::sync::Mutex` each, held
//! for a few nanoseconds, never across an `.await`); the collector drains the
//! shards once a window into a window tally and adds that to the run's total.
//! Histogram slots are allocated on first use: a run that only sees 2xx keeps
//! two histograms per shard, not ten.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use hyper::StatusCode;

use super::snapshot::{CacheAnswer, CacheCounts};

/// The histograms' range: 1 µs to 60 s, 3 significant digits.
pub const LOWEST_US: u64 = 1;
pub const HIGHEST_US: u64 = 60_000_000;
pub const SIGNIFICANT_DIGITS: u8 = 3;

/// Latency histograms of one status class.
#[derive(Debug, Clone)]
pub(crate) struct Latencies {
    /// From the scheduled send time (coordinated omission corrected).
    pub corrected: Histogram<u64>,
    /// From the actual send time.
    pub uncorrected: Histogram<u64>,
}

impl Latencies {
    pub(crate) fn new() -> Box<Self> {
        Box::new(Self {
            corrected: empty_histogram(),
            uncorrected: empty_histogram(),
        })
    }

    fn add(&mut self, other: &Self) {
        // Same bounds on both sides, so `add` cannot fail; a failure would
        // only lose precision, never the run.
        let _ = self.corrected.add(&other.corrected);
        let _ = self.uncorrected.add(&other.uncorrected);
    }
}

pub(crate) fn empty_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(LOWEST_US, HIGHEST_US, SIGNIFICANT_DIGITS)
        .expect("constant, valid histogram bounds")
}

/// The requests of one endpoint of the mix: how many, and the corrected
/// latency of those answered 2xx (the p95 a route group is judged by).
#[derive(Debug, Clone, Default)]
pub(crate) struct EndpointTally {
    pub requests: u64,
    /// Allocated on the endpoint's first 2xx.
    pub ok: Option<Box<Histogram<u64>>>,
}

impl EndpointTally {
    fn add(&mut self, other: &Self) {
        self.requests += other.requests;
        if let Some(theirs) = &other.ok {
            let mine = self.ok.get_or_insert_with(|| Box::new(empty_histogram()));
            // Same bounds: `add` cannot fail (see `Latencies::add`).
            let _ = mine.add(&**theirs);
        }
    }
}

/// Why a request got no status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Failure {
    Connect,
    Timeout,
    Other,
}

/// Counts of one virtual user.
#[derive(Debug, Clone, Default)]
pub(crate) struct UserTally {
    pub name: Arc<str>,
    pub codes: BTreeMap<u16, u64>,
    pub errors: u64,
    /// The budget the shop last said this user had left
    /// (`X-RateLimit-Remaining`), if it said.
    pub remaining: Option<u32>,
}

/// Who sent a request, for per-user counts.
#[derive(Debug, Clone, Copy)]
pub(crate) struct UserRef<'a> {
    pub index: u32,
    pub name: &'a Arc<str>,
}

/// One finished request, as a worker reports it to its shard.
#[derive(Debug)]
pub(crate) struct Outcome<'a> {
    pub scheduled: Instant,
    pub sent: Instant,
    pub done: Instant,
    pub result: Result<StatusCode, Failure>,
    /// Bytes of the response (head and body); 0 without one.
    pub bytes: u64,
    /// The response's `X-Cache`, if it had one.
    pub cache: Option<CacheAnswer>,
    /// The response's `X-RateLimit-Remaining`, if it had one.
    pub remaining: Option<u32>,
    pub late: bool,
    pub user: Option<UserRef<'a>>,
    /// Which endpoint of the mix it was (its index, as given).
    pub endpoint: usize,
}

impl Outcome<'_> {
    /// From the scheduled time, or from the actual send when the timer let
    /// it go a little early: never less than the server's own time.
    fn corrected(&self) -> Duration {
        self.done
            .saturating_duration_since(self.scheduled.min(self.sent))
    }
}

/// Aggregated statistics of some requests (a shard, a window, a run).
#[derive(Debug, Default)]
pub(crate) struct Tally {
    /// Index: status / 100 - 1 (1xx .. 5xx).
    pub classes: [Option<Box<Latencies>>; 5],
    pub codes: BTreeMap<u16, u64>,
    pub connect_errors: u64,
    pub timeouts: u64,
    pub other_errors: u64,
    pub late: u64,
    /// Bytes received in responses.
    pub bytes: u64,
    /// `X-Cache` answers, counted as they come (the hit ratio of `--target`).
    pub cache: CacheCounts,
    pub users: BTreeMap<u32, UserTally>,
    /// Per endpoint of the mix, by index.
    pub endpoints: BTreeMap<usize, EndpointTally>,
}

impl Tally {
    /// Adds one request.
    pub(crate) fn record(&mut self, outcome: &Outcome<'_>) {
        self.late += u64::from(outcome.late);
        self.bytes += outcome.bytes;
        if let Some(answer) = outcome.cache {
            self.cache.count(answer);
        }
        let endpoint = self.endpoints.entry(outcome.endpoint).or_default();
        endpoint.requests += 1;
        if matches!(outcome.result, Ok(status) if status.is_success()) {
            endpoint
                .ok
                .get_or_insert_with(|| Box::new(empty_histogram()))
                .saturating_record(micros(outcome.corrected()));
        }
        match outcome.result {
            Ok(status) => self.record_status(outcome, status),
            Err(Failure::Connect) => self.connect_errors += 1,
            Err(Failure::Timeout) => self.timeouts += 1,
            Err(Failure::Other) => self.other_errors += 1,
        }
        if let Some(user) = outcome.user {
            let tally = self.users.entry(user.index).or_insert_with(|| UserTally {
                name: Arc::clone(user.name),
                ..UserTally::default()
            });
            match outcome.result {
                Ok(status) => *tally.codes.entry(status.as_u16()).or_default() += 1,
                Err(_) => tally.errors += 1,
            }
            tally.remaining = outcome.remaining.or(tally.remaining);
        }
    }

    fn record_status(&mut self, outcome: &Outcome<'_>, status: StatusCode) {
        *self.codes.entry(status.as_u16()).or_default() += 1;
        let class = usize::from(status.as_u16() / 100).clamp(1, 5) - 1;
        let latencies = self.classes[class].get_or_insert_with(Latencies::new);
        let corrected = outcome.corrected();
        let uncorrected = outcome.done.saturating_duration_since(outcome.sent);
        // `saturating_record`: a value beyond 60 s is clamped, not an error (#72).
        latencies.corrected.saturating_record(micros(corrected));
        latencies.uncorrected.saturating_record(micros(uncorrected));
    }

    /// Moves everything into `into` and leaves `self` empty (the collector
    /// draining a shard). Histograms move when `into` has none yet.
    pub(crate) fn drain_into(&mut self, into: &mut Tally) {
        for (mine, theirs) in self.classes.iter_mut().zip(into.classes.iter_mut()) {
            match (mine.as_mut(), theirs.as_mut()) {
                (Some(m), Some(t)) => {
                    t.add(m);
                    m.corrected.reset();
                    m.uncorrected.reset();
                }
                (Some(_), None) => *theirs = mine.take(),
                _ => {}
            }
        }
        // The shard keeps its histograms, emptied, for the next window.
        for (index, mine) in &mut self.endpoints {
            into.endpoints.entry(*index).or_default().add(mine);
            mine.requests = 0;
            if let Some(ok) = &mut mine.ok {
                ok.reset();
            }
        }
        let mut drained = std::mem::take(self);
        self.classes = std::mem::take(&mut drained.classes);
        self.endpoints = std::mem::take(&mut drained.endpoints);
        into.add_counts(drained);
    }

    /// Adds `other` (a window into the total).
    pub(crate) fn merge(&mut self, other: &Tally) {
        for (mine, theirs) in self.classes.iter_mut().zip(other.classes.iter()) {
            if let Some(theirs) = theirs {
                mine.get_or_insert_with(Latencies::new).add(theirs);
            }
        }
        for (index, theirs) in &other.endpoints {
            self.endpoints.entry(*index).or_default().add(theirs);
        }
        self.add_counts(Tally {
            classes: Default::default(),
            codes: other.codes.clone(),
            users: other.users.clone(),
            endpoints: BTreeMap::new(),
            ..*other
        });
    }

    fn add_counts(&mut self, other: Tally) {
        for (code, n) in other.codes {
            *self.codes.entry(code).or_default() += n;
        }
        self.connect_errors += other.connect_errors;
        self.timeouts += other.timeouts;
        self.other_errors += other.other_errors;
        self.late += other.late;
        self.bytes += other.bytes;
        self.cache.add(&other.cache);
        for (index, user) in other.users {
            let mine = self.users.entry(index).or_insert_with(|| UserTally {
                name: Arc::clone(&user.name),
                ..UserTally::default()
            });
            for (code, n) in user.codes {
                *mine.codes.entry(code).or_default() += n;
            }
            mine.errors += user.errors;
            // Windows are added oldest first: the newer reading wins.
            mine.remaining = user.remaining.or(mine.remaining);
        }
    }

    /// Requests with a status, plus failed ones.
    pub(crate) fn requests(&self) -> u64 {
        self.responses() + self.connect_errors + self.timeouts + self.other_errors
    }

    pub(crate) fn responses(&self) -> u64 {
        self.codes.values().sum()
    }
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros())
        .unwrap_or(u64::MAX)
        .max(LOWEST_US)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(status: u16, ms: u64, late_ms: u64) -> Outcome<'static> {
        let scheduled = Instant::now();
        let sent = scheduled + Duration::from_millis(late_ms);
        Outcome {
            scheduled,
            sent,
            done: sent + Duration::from_millis(ms),
            result: Ok(StatusCode::from_u16(status).unwrap()),
            bytes: 100,
            cache: Some(CacheAnswer::Hit),
            remaining: None,
            late: late_ms > 0,
            user: None,
            endpoint: 0,
        }
    }

    #[test]
    fn drain_moves_counts_and_empties_the_shard() {
        let mut shard = Tally::default();
        shard.record(&outcome(200, 10, 0));
        shard.record(&outcome(429, 1, 5));
        shard.record(&Outcome {
            result: Err(Failure::Timeout),
            bytes: 0,
            cache: None,
            ..outcome(200, 1, 0)
        });
        let mut window = Tally::default();
        shard.drain_into(&mut window);
        assert_eq!(shard.requests(), 0);
        assert_eq!(window.requests(), 3);
        assert_eq!(window.late, 1);
        assert_eq!(window.bytes, 200);
        assert_eq!(window.cache.hit, 2, "X-Cache of the two answers");
        let ok = window.classes[1].as_ref().unwrap();
        assert_eq!(ok.corrected.len(), 1);
        let limited = window.classes[3].as_ref().unwrap();
        assert!(limited.corrected.max() >= 6_000 && limited.uncorrected.max() < 2_000);

        // Sent early (before its slot): corrected is not below uncorrected.
        let early = outcome(200, 20, 0);
        shard.record(&Outcome {
            scheduled: early.sent + Duration::from_millis(1),
            ..early
        });
        shard.drain_into(&mut window);
        let mut total = Tally::default();
        total.merge(&window);
        total.merge(&window);
        assert_eq!(total.requests(), 8);
        assert_eq!(total.bytes, 600);
        let ok = total.classes[1].as_ref().unwrap();
        assert_eq!(ok.corrected.len(), 4);
        assert_eq!(ok.corrected.max(), ok.uncorrected.max());
    }

    #[test]
    fn each_endpoint_keeps_its_requests_and_the_latency_of_its_2xx() {
        let mut shard = Tally::default();
        shard.record(&outcome(200, 10, 0));
        shard.record(&Outcome {
            endpoint: 1,
            ..outcome(200, 300, 0)
        });
        shard.record(&Outcome {
            endpoint: 1,
            ..outcome(429, 1, 0)
        });
        let mut window = Tally::default();
        shard.drain_into(&mut window);
        assert!(shard.endpoints.values().all(|e| e.requests == 0));
        shard.record(&Outcome {
            endpoint: 1,
            ..outcome(200, 200, 0)
        });
        shard.drain_into(&mut window);
        let mut total = Tally::default();
        total.merge(&window);
        let fast = &total.endpoints[&0];
        assert_eq!(fast.requests, 1);
        assert!(fast.ok.as_ref().unwrap().max() < 20_000);
        let slow = &total.endpoints[&1];
        assert_eq!(slow.requests, 3, "the 429 counts as a request");
        let ok = slow.ok.as_ref().unwrap();
        assert_eq!(ok.len(), 2, "but not in the 2xx latency");
        assert!(ok.min() >= 199_000);
    }
}
