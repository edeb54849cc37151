//! The check engine: each kind measures the shop through the surfaces a grader
//! has (HTTP to the API, the control API, the database) and compares the
//! result with a lab's target, returning a verdict and a learner message.
//!
//! A lab's TOML lists [`CheckSpec`]s; [`run`] dispatches each to its kind (one
//! file per kind, one `match` here) under the kind's time limit, and
//! [`run_all`] runs a lab's checks one after another, since concurrent checks
//! would disturb each other's measurements. Every sentence and target a
//! learner reads comes from the message catalogue (`labs/messages/*/check*.ftl`),
//! every measured value carries its [`Unit`]. Checks that write (prices) put
//! back what they changed on every exit path, a dropped check included
//! ([`settle`] waits for that). Depends on `load` (traffic), `messages`,
//! `fixtures::users` (credentials), `services::redis::ScratchRedis` (the
//! Redis `redis_outage` stops) and nothing else of perflab.

mod baseline;
mod breakdown;
mod compression;
mod context;
mod explain;
mod extension;
mod headers;
mod health;
mod hit_ratio;
mod latency;
mod memory;
mod metrics;
mod pool;
mod price_writes;
mod prices;
mod query_count;
mod rate_limit;
mod redis_outage;
mod request_log;
mod shared_keys;
mod stale_reads;
mod timing;
mod traffic;
mod verdict;

use std::time::Duration;

use serde::Deserialize;
use tokio::time::Instant;

use crate::messages::Text;
use crate::msg;

pub use baseline::BaselineSpec;
pub use breakdown::BreakdownSpec;
pub use compression::CompressionSpec;
pub use context::{CheckError, Context, Control, Lang, Oddity, RedisServer, Subject, Surface};
pub use explain::ExplainSpec;
pub use extension::ExtensionSpec;
pub use headers::HeadersSpec;
pub use health::HealthSpec;
pub use hit_ratio::HitRatioSpec;
pub use latency::LatencySpec;
pub use memory::{MemorySpec, read_rss};
pub use metrics::{Exposition, MetricsSpec, Sample as MetricSample};
pub use pool::{COUNT_SQL as POOL_COUNT_SQL, PoolSpec};
pub use prices::settle;
pub use query_count::QueryCountSpec;
pub use rate_limit::RateLimitSpec;
pub use redis_outage::RedisOutageSpec;
pub use request_log::RequestLogSpec;
pub use shared_keys::SharedKeysSpec;
pub use stale_reads::StaleReadsSpec;
pub use timing::TimingSpec;
pub use traffic::{MixEntry, TrafficSpec};
pub use verdict::{CheckResult, Outcome, Unit, Verdict, lab_passed, measured_text, vs_baseline};

/// One check of a lab, as its TOML says it: `kind = "latency"` and the kind's fields.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum CheckSpec {
    Baseline(BaselineSpec),
    Latency(LatencySpec),
    HitRatio(HitRatioSpec),
    Headers(HeadersSpec),
    QueryCount(QueryCountSpec),
    Explain(ExplainSpec),
    Extension(ExtensionSpec),
    StaleReads(StaleReadsSpec),
    PoolConnections(PoolSpec),
    Memory(MemorySpec),
    Health(HealthSpec),
    RedisOutage(RedisOutageSpec),
    SharedKeys(SharedKeysSpec),
    RateLimit(RateLimitSpec),
    Compression(CompressionSpec),
    Timing(TimingSpec),
    RequestLog(RequestLogSpec),
    Breakdown(BreakdownSpec),
    Metrics(MetricsSpec),
}

/// What every kind provides to the runner.
pub(crate) trait Kind {
    /// The kind's name in TOML and reports.
    const NAME: &'static str;
    /// The lab's id for the check, if it gave one.
    fn id(&self) -> Option<&str>;
    /// Why the check is a guard, when the lab says it is one: it must pass
    /// in the lab's starting state too (what `labs validate` proves of it).
    fn guard(&self) -> Option<&str>;
    /// The target in words, in the learner's language, e.g. "p95 < 50 ms".
    fn target(&self, ctx: &Context) -> String;
    /// How long the whole check may take.
    fn limit(&self, ctx: &Context) -> Duration;
    /// Measures and judges.
    async fn measure(&self, ctx: &Context) -> Result<Outcome, CheckError>;
}

/// `$body` with `$s` bound to the kind's spec, whatever the kind.
macro_rules! each_kind {
    ($spec:expr, $s:ident => $body:expr) => {
        match $spec {
            CheckSpec::Baseline($s) => $body,
            CheckSpec::Latency($s) => $body,
            CheckSpec::HitRatio($s) => $body,
            CheckSpec::Headers($s) => $body,
            CheckSpec::QueryCount($s) => $body,
            CheckSpec::Explain($s) => $body,
            CheckSpec::Extension($s) => $body,
            CheckSpec::StaleReads($s) => $body,
            CheckSpec::PoolConnections($s) => $body,
            CheckSpec::Memory($s) => $body,
            CheckSpec::Health($s) => $body,
            CheckSpec::RedisOutage($s) => $body,
            CheckSpec::SharedKeys($s) => $body,
            CheckSpec::RateLimit($s) => $body,
            CheckSpec::Compression($s) => $body,
            CheckSpec::Timing($s) => $body,
            CheckSpec::RequestLog($s) => $body,
            CheckSpec::Breakdown($s) => $body,
            CheckSpec::Metrics($s) => $body,
        }
    };
}

/// The name of a spec's kind, for its `Kind::NAME`.
fn kind_name<K: Kind>(_: &K) -> &'static str {
    K::NAME
}

impl CheckSpec {
    /// The kind's name (`latency`).
    pub fn kind(&self) -> &'static str {
        each_kind!(self, s => kind_name(s))
    }

    /// The lab's id for the check, else its kind.
    pub fn id(&self) -> &str {
        each_kind!(self, s => s.id().unwrap_or(kind_name(s)))
    }

    /// Why the check is a guard (it must pass in the starting state too), if it is one.
    pub fn guard(&self) -> Option<&str> {
        each_kind!(self, s => s.guard())
    }

    /// Whether the target is relative to lab 1.1's baseline.
    pub fn needs_baseline(&self) -> bool {
        matches!(self, Self::Latency(s) if s.vs_baseline.is_some())
    }

    /// The target in words, as far as it is known without a run.
    pub fn target(&self, ctx: &Context) -> String {
        each_kind!(self, s => s.target(ctx))
    }

    /// "id (kind): target", for listings, in the learner's language.
    pub fn describe_in(&self, text: &Text) -> String {
        let ctx = Context::new("http://127.0.0.1", text.clone());
        format!("{} ({}): {}", self.id(), self.kind(), self.target(&ctx))
    }
}

/// Runs one check under its time limit.
pub async fn run(spec: &CheckSpec, ctx: &Context) -> CheckResult {
    each_kind!(spec, s => run_kind(s, ctx).await)
}

/// Runs the checks one after another, in order.
pub async fn run_all(specs: &[CheckSpec], ctx: &Context) -> Vec<CheckResult> {
    let mut results = Vec::with_capacity(specs.len());
    for spec in specs {
        results.push(run(spec, ctx).await);
    }
    results
}

async fn run_kind<K: Kind>(spec: &K, ctx: &Context) -> CheckResult {
    let visitor;
    let ctx = match ctx.visitors_apart {
        true => {
            visitor = ctx.as_new_visitor();
            &visitor
        }
        false => ctx,
    };
    let started = Instant::now();
    let limit = spec.limit(ctx);
    let target = spec.target(ctx);
    let outcome = match tokio::time::timeout(limit, spec.measure(ctx)).await {
        Ok(Ok(outcome)) => outcome,
        Ok(Err(error)) => failed(ctx, K::NAME, &target, &error),
        Err(_) => Outcome::unjudged(Verdict::Error, timed_out(ctx, K::NAME, limit)),
    };
    CheckResult {
        id: spec.id().unwrap_or(K::NAME).to_string(),
        kind: K::NAME,
        measured: outcome.measured,
        unit: outcome.unit,
        target,
        verdict: outcome.verdict,
        message: outcome.message,
        details: outcome.details,
        elapsed: started.elapsed(),
    }
}

/// A kind's error as an outcome: a missing surface is `NotApplicable`, the rest `Error`.
fn failed(ctx: &Context, kind: &str, target: &str, error: &CheckError) -> Outcome {
    let text = &ctx.text;
    let subject = ctx.subject();
    let (verdict, message) = match error {
        // On the runner's own shop a missing baseline is the student's next
        // step (lab 1.1), not a surface the target lacks.
        CheckError::Unavailable(Surface::Baseline) if subject == Subject::OwnShop => (
            Verdict::Fail,
            unavailable(text, subject, kind, Surface::Baseline),
        ),
        CheckError::Unavailable(surface) => (
            Verdict::NotApplicable,
            unavailable(text, subject, kind, *surface),
        ),
        other => (
            Verdict::Error,
            msg!(
                text,
                "check-could-not-measure",
                kind = kind,
                target = target,
                error = other.render(text)
            ),
        ),
    };
    Outcome::unjudged(verdict, message)
}

fn unavailable(text: &Text, subject: Subject, kind: &str, surface: Surface) -> String {
    match surface {
        Surface::Control => msg!(text, "check-needs-control", kind = kind),
        Surface::Database => msg!(text, "check-needs-database", kind = kind),
        Surface::Process => msg!(text, "check-needs-process", kind = kind),
        Surface::Peer => msg!(text, "check-needs-peer", kind = kind),
        Surface::RedisServer => msg!(text, "check-needs-redis-server", kind = kind),
        Surface::LogFile => msg!(text, "check-needs-log-file", kind = kind),
        Surface::Baseline => msg!(
            text,
            "check-needs-baseline",
            kind = kind,
            mode = subject.mode()
        ),
    }
}

fn timed_out(ctx: &Context, kind: &str, limit: Duration) -> String {
    let limit = humantime::format_duration(limit).to_string();
    msg!(
        ctx.text,
        "check-timed-out",
        kind = kind,
        limit = limit,
        mode = ctx.mode()
    )
}

/// Milliseconds from microseconds, for messages and `measured`.
pub(crate) fn ms(us: u64) -> f64 {
    us as f64 / 1000.0
}
