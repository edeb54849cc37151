//! `metrics`: reads `/metrics` as Prometheus does (lab 4.1) and judges it
//! with a real parser of the text format, never by matching strings: the
//! course's series exist with their types, the request counter and the
//! latency histogram move by at least the requests the lab's traffic sent,
//! the histogram has a 0.2 s bucket (the course's p95 target), 404s are
//! counted by status, and the `route` label stays bounded: a burst over many
//! distinct ids must not add a series per id (the course's raw-path label).
//! Uses only HTTP, so it works with `--target` too.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use prom_text_format_parser::{Scrape, Type, ValueType};
use serde::Deserialize;

use super::traffic::{self, TrafficSpec};
use super::verdict::next_step;
use super::{CheckError, Context, Kind, Outcome, Unit};
use crate::msg;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsSpec {
    pub id: Option<String>,
    #[serde(default, with = "humantime_serde")]
    pub timeout: Option<Duration>,
    /// Why it must pass in the lab's starting state too (see `labs validate`).
    pub guard: Option<String>,
    #[serde(default = "default_path")]
    pub path: String,
    /// The check's own traffic; else the lab's.
    pub traffic: Option<TrafficSpec>,
    /// Requests to distinct ids (`/products/{id}`, ids no catalog has, so
    /// 404s) in the cardinality burst.
    #[serde(default = "default_burst")]
    pub burst: u64,
    /// New `route` values the burst may add at most.
    #[serde(default = "default_new_routes")]
    pub max_new_routes: usize,
}

fn default_path() -> String {
    "/metrics".into()
}
fn default_burst() -> u64 {
    30
}
fn default_new_routes() -> usize {
    2
}

/// The series the course's dashboards and alerts read, with their types.
pub const REQUIRED: [(&str, Type); 8] = [
    ("http_request_duration_seconds", Type::Histogram),
    ("http_requests_total", Type::Counter),
    ("cache_hits_total", Type::Counter),
    ("cache_misses_total", Type::Counter),
    ("cache_invalidations_total", Type::Counter),
    ("db_pool_connections_in_use", Type::Gauge),
    ("db_pool_connections_idle", Type::Gauge),
    ("process_resident_memory_bytes", Type::Gauge),
];
const REQUESTS: &str = "http_requests_total";
const DURATION: &str = "http_request_duration_seconds";
/// The course's p95 target, as a bucket's `le`.
const TARGET_BUCKET: f64 = 0.2;
/// Ids no catalog reaches: each answers 404 on the product route.
const FIRST_ABSENT_ID: u64 = 900_000_000;
/// A path no route matches.
const NO_ROUTE: &str = "/perflab-no-such-page";

/// One sample: its name as written (`…_bucket`, `…_count`), labels, value.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub value: f64,
}

/// A parsed exposition: each family's type and every sample.
#[derive(Debug, Clone, Default)]
pub struct Exposition {
    pub types: BTreeMap<String, Type>,
    pub samples: Vec<Sample>,
}

impl Exposition {
    /// Parses the Prometheus text format; `Err` says where it is broken.
    pub fn parse(text: &str) -> Result<Self, String> {
        let scrape = Scrape::parse(text).map_err(|e| format!("{e:?}"))?;
        let mut exposition = Self::default();
        for metric in scrape.metrics {
            exposition.types.insert(metric.name.clone(), metric.kind);
            for sample in metric.samples {
                let suffix = match (metric.kind, sample.value.value_type) {
                    (Type::Histogram, ValueType::Sample) => "_bucket",
                    (Type::Histogram | Type::Summary, ValueType::Sum) => "_sum",
                    (Type::Histogram | Type::Summary, ValueType::Count) => "_count",
                    _ => "",
                };
                let value = sample.value.value.parse::<f64>().map_err(|_| {
                    format!("{}: {} is not a number", metric.name, *sample.value.value)
                })?;
                exposition.samples.push(Sample {
                    name: format!("{}{suffix}", metric.name),
                    labels: sample
                        .labels
                        .iter()
                        .map(|l| (l.key.clone(), l.value.clone()))
                        .collect(),
                    value,
                });
            }
        }
        Ok(exposition)
    }

    /// Every sample name (`x_bucket`, `x_sum`, `x_count` for histograms).
    pub fn names(&self) -> BTreeSet<&str> {
        self.samples.iter().map(|s| s.name.as_str()).collect()
    }

    /// The sum of `name`'s samples whose labels include `with`.
    pub fn sum(&self, name: &str, with: &[(&str, &str)]) -> f64 {
        self.samples
            .iter()
            .filter(|s| s.name == name)
            .filter(|s| {
                with.iter()
                    .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
            })
            .map(|s| s.value)
            .sum()
    }

    /// The distinct values of `label` among `name`'s samples.
    pub fn label_values(&self, name: &str, label: &str) -> BTreeSet<String> {
        self.samples
            .iter()
            .filter(|s| s.name == name)
            .filter_map(|s| s.labels.get(label).cloned())
            .collect()
    }
}

impl Kind for MetricsSpec {
    const NAME: &'static str = "metrics";

    fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    fn guard(&self) -> Option<&str> {
        self.guard.as_deref()
    }

    fn target(&self, ctx: &Context) -> String {
        msg!(ctx.text, "check-metrics-target", burst = self.burst)
    }

    fn limit(&self, ctx: &Context) -> Duration {
        self.timeout
            .unwrap_or_else(|| traffic::limit(self.traffic.as_ref(), ctx) + Duration::from_secs(10))
    }

    async fn measure(&self, ctx: &Context) -> Result<Outcome, CheckError> {
        let text = &ctx.text;
        let before = match self.scrape(ctx).await? {
            Ok(exposition) => exposition,
            Err(problem) => return Ok(self.unreadable(ctx, problem)),
        };
        let sent = ctx
            .traffic(self.traffic.as_ref())?
            .drive(ctx)
            .await?
            .total
            .responses;
        let mut not_found = 0;
        for path in std::iter::repeat_n(NO_ROUTE.to_string(), 3) {
            not_found += u64::from(self.get(ctx, &path).await? == 404);
        }
        let middle = match self.scrape(ctx).await? {
            Ok(exposition) => exposition,
            Err(problem) => return Ok(self.unreadable(ctx, problem)),
        };
        for id in FIRST_ABSENT_ID..FIRST_ABSENT_ID + self.burst {
            not_found += u64::from(self.get(ctx, &format!("/products/{id}")).await? == 404);
        }
        let after = match self.scrape(ctx).await? {
            Ok(exposition) => exposition,
            Err(problem) => return Ok(self.unreadable(ctx, problem)),
        };

        let mut problems = Vec::new();
        for (name, kind) in REQUIRED {
            match after.types.get(name) {
                None => problems.push(msg!(text, "check-metrics-missing", name = name)),
                Some(found) if *found != kind => problems.push(msg!(
                    text,
                    "check-metrics-wrong-type",
                    name = name,
                    found = found.to_string(),
                    wanted = kind.to_string()
                )),
                Some(_) => {}
            }
        }
        let counted = middle.sum(REQUESTS, &[]) - before.sum(REQUESTS, &[]);
        if counted < sent as f64 {
            problems.push(msg!(
                text,
                "check-metrics-not-counted",
                sent = sent,
                counted = counted
            ));
        }
        let count = format!("{DURATION}_count");
        let observed = middle.sum(&count, &[]) - before.sum(&count, &[]);
        if observed < sent as f64 {
            problems.push(msg!(
                text,
                "check-metrics-not-observed",
                sent = sent,
                observed = observed
            ));
        }
        let has_target_bucket = after.samples.iter().any(|s| {
            s.name == format!("{DURATION}_bucket")
                && s.labels.get("le").and_then(|le| le.parse::<f64>().ok()) == Some(TARGET_BUCKET)
        });
        if !has_target_bucket {
            problems.push(msg!(text, "check-metrics-no-target-bucket"));
        }
        let counted_404 =
            after.sum(REQUESTS, &[("status", "404")]) - before.sum(REQUESTS, &[("status", "404")]);
        if counted_404 < not_found as f64 {
            problems.push(msg!(
                text,
                "check-metrics-404-not-counted",
                sent = not_found,
                counted = counted_404
            ));
        }
        let routes_before = middle.label_values(REQUESTS, "route");
        let new_routes = after
            .label_values(REQUESTS, "route")
            .difference(&routes_before)
            .count();
        if new_routes > self.max_new_routes {
            problems.push(msg!(
                text,
                "check-metrics-cardinality",
                burst = self.burst,
                added = new_routes
            ));
        }
        let ok = problems.is_empty();
        let head = msg!(
            text,
            "check-metrics-head",
            series = after.samples.len(),
            sent = sent,
            counted = counted,
            added = new_routes,
            burst = self.burst
        );
        let next = next_step(text, ok, || self.hint(ctx));
        let message = std::iter::once(head)
            .chain(problems)
            .chain(std::iter::once(next))
            .collect::<Vec<_>>()
            .join(" ");
        Ok(Outcome::measured(
            ok,
            new_routes as f64,
            Unit::Count,
            message,
        ))
    }
}

impl MetricsSpec {
    /// `/metrics` parsed, or what is wrong with it (for the learner).
    async fn scrape(&self, ctx: &Context) -> Result<Result<Exposition, String>, CheckError> {
        let url = ctx.url(&self.path);
        let response = ctx.send(ctx.http.get(&url), &url).await?;
        let status = response.status().as_u16();
        if status != 200 {
            return Ok(Err(msg!(
                ctx.text,
                "check-metrics-status",
                path = &self.path,
                status = status
            )));
        }
        let body = response.text().await.map_err(|source| CheckError::Http {
            url: url.clone(),
            source,
        })?;
        Ok(Exposition::parse(&body).map_err(|error| {
            msg!(
                ctx.text,
                "check-metrics-unparsable",
                path = &self.path,
                error = error
            )
        }))
    }

    /// GETs `path` and returns the status, the body read to the end.
    async fn get(&self, ctx: &Context, path: &str) -> Result<u16, CheckError> {
        let url = ctx.url(path);
        let response = ctx.send(ctx.http.get(&url), &url).await?;
        let status = response.status().as_u16();
        let _ = response.bytes().await;
        Ok(status)
    }

    /// `/metrics` could not be read as Prometheus text: nothing to judge.
    fn unreadable(&self, ctx: &Context, problem: String) -> Outcome {
        Outcome::judgement(false, format!("{problem} {}", self.hint(ctx)))
    }

    fn hint(&self, ctx: &Context) -> String {
        msg!(ctx.text, "check-metrics-hint", mode = ctx.mode())
    }
}
