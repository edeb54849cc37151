//! The shop's Prometheus metrics (Block 4, lab 4.1): `GET /metrics` on the
//! public port while `monitoring.metrics` is on, in the text format
//! Prometheus scrapes (`text/plain; version=0.0.4`).
//!
//! One registry per shop ([`Metrics`], in `AppState`), never the process's
//! global recorder: the tests run several shops in one process, and each
//! must count only its own requests. The recorder is
//! `metrics-exporter-prometheus`'s, kept per shop with `build_recorder()`;
//! [`observe`](layer::observe) records every request after its response head,
//! reading what the response says about itself (status, rate-limit outcome,
//! statement count), and [`scrape`] reads the gauges that are state rather
//! than events (pool, cache counters, process memory and CPU) when asked.
//! The series' names ([`names`]) are the ones the course's Grafana queries
//! and `fixtures/monitoring/` use.

pub mod layer;
pub mod names;
mod scrape;
mod series;

use std::time::Duration;

use metrics::{KeyName, SharedString};
use metrics_exporter_prometheus::{
    Matcher, PrometheusBuilder, PrometheusHandle, PrometheusRecorder,
};
use tokio_util::sync::CancellationToken;

pub use self::layer::observe;
pub use self::scrape::{CONTENT_TYPE, scrape};
pub use self::series::{Labels, status_class};

/// Latency buckets in seconds: the course's p95 target (0.2 s) is a bucket
/// edge, so "under 200 ms" is read exactly, not interpolated; 50 ms and
/// 100 ms are Block 2's targets.
pub const DURATION_BUCKETS: [f64; 12] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// SQL statements per request: lab 2.3's "≤ 3" and the N+1 pattern's tens.
pub const QUERY_BUCKETS: [f64; 9] = [0.0, 1.0, 2.0, 3.0, 5.0, 10.0, 20.0, 50.0, 100.0];

/// How often histogram samples are folded into their buckets when nobody
/// scrapes: the recorder keeps raw samples until then (metrics-rs #467), and
/// a shop nobody scrapes must not grow with its traffic (lab 4.3 measures it).
pub const UPKEEP_EVERY: Duration = Duration::from_secs(5);

/// One shop's metrics registry.
pub struct Metrics {
    recorder: PrometheusRecorder,
    handle: PrometheusHandle,
    series: series::SeriesCache,
    /// `rate_limit_decisions_total` per outcome, registered up front.
    decisions: Vec<(&'static str, metrics::Counter)>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(
                Matcher::Full(names::REQUEST_DURATION.into()),
                &DURATION_BUCKETS,
            )
            .and_then(|b| {
                b.set_buckets_for_metric(
                    Matcher::Full(names::REQUEST_QUERIES.into()),
                    &QUERY_BUCKETS,
                )
            })
            // Only an empty bucket list is refused, and these are constants.
            .expect("bucket lists are not empty")
            .build_recorder();
        let handle = recorder.handle();
        let metrics = Self {
            recorder,
            handle,
            series: series::SeriesCache::default(),
            decisions: Vec::new(),
        };
        metrics.describe();
        let decisions = metrics.record(|| {
            names::RATE_LIMIT_OUTCOMES.map(|outcome| {
                let counter = metrics::counter!(names::RATE_LIMIT_DECISIONS, "outcome" => outcome);
                // Present from the first scrape, so `rate()` has a start.
                counter.absolute(0);
                (outcome, counter)
            })
        });
        Self {
            decisions: decisions.to_vec(),
            ..metrics
        }
    }

    /// Runs `f` with this shop's recorder behind the `metrics` macros.
    pub fn record<T>(&self, f: impl FnOnce() -> T) -> T {
        metrics::with_local_recorder(&self.recorder, f)
    }

    /// Records one request's duration, count and statements through handles
    /// registered once per label set (see [`series`]).
    pub fn record_request(&self, labels: Labels<'_>, seconds: f64, queries: Option<u32>) {
        self.series.record(&self.recorder, labels, seconds, queries);
    }

    /// Counts one rate-limit decision (`limit::Outcome::as_str`).
    pub fn record_decision(&self, outcome: &str) {
        match self.decisions.iter().find(|(name, _)| *name == outcome) {
            Some((_, counter)) => counter.increment(1),
            None => self.record(|| {
                metrics::counter!(names::RATE_LIMIT_DECISIONS, "outcome" => outcome.to_string())
                    .increment(1);
            }),
        }
    }

    /// The registry in Prometheus text format.
    pub fn render(&self) -> String {
        self.handle.render()
    }

    /// Folds histogram samples into buckets every [`UPKEEP_EVERY`] until
    /// `cancel`.
    pub async fn upkeep(&self, cancel: CancellationToken) {
        let mut tick = tokio::time::interval(UPKEEP_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = cancel.cancelled() => return,
                _ = tick.tick() => self.handle.run_upkeep(),
            }
        }
    }

    /// `# HELP` for every series (promtool's lint asks for it).
    fn describe(&self) {
        use metrics::Recorder;
        for &(name, kind, help) in names::SERIES {
            let key = KeyName::from_const_str(name);
            let help = SharedString::const_str(help);
            match kind {
                names::Kind::Counter => self.recorder.describe_counter(key, None, help),
                names::Kind::Gauge => self.recorder.describe_gauge(key, None, help),
                names::Kind::Histogram => self.recorder.describe_histogram(key, None, help),
            }
        }
    }
}
