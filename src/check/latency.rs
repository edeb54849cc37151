//! `latency`: drives traffic and compares the p95 (optionally p99 and a
//! minimum throughput) of the **2xx** responses with the lab's target — fast
//! 429s or 500s must not flatter the p95 of what was really served — and fails
//! when too large a share of requests got no 2xx.

use std::time::Duration;

use serde::Deserialize;

use super::traffic::{MixEntry, Traffic};
use super::{CheckError, Context, Kind, Lang, Outcome, ms};
use crate::load::{Snapshot, StatusClass};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LatencySpec {
    pub id: Option<String>,
    #[serde(default, with = "humantime_serde")]
    pub timeout: Option<Duration>,
    pub path: Option<String>,
    #[serde(default)]
    pub mix: Vec<MixEntry>,
    #[serde(default = "default_ids")]
    pub ids: [u64; 2],
    #[serde(default = "default_zipf")]
    pub zipf: f64,
    pub users: Option<usize>,
    pub rate: Option<f64>,
    #[serde(with = "humantime_serde", default = "default_duration")]
    pub duration: Duration,
    #[serde(default)]
    pub login: bool,
    pub p95_ms: f64,
    pub p99_ms: Option<f64>,
    pub rps_min: Option<f64>,
    /// Largest share of requests without a 2xx answer (0.01 = 1 %).
    #[serde(default = "default_max_non_2xx")]
    pub max_non_2xx: f64,
}

pub(crate) fn default_ids() -> [u64; 2] {
    [1, 1000]
}
pub(crate) fn default_zipf() -> f64 {
    1.0
}
pub(crate) fn default_duration() -> Duration {
    Duration::from_secs(5)
}
fn default_max_non_2xx() -> f64 {
    0.01
}

impl LatencySpec {
    fn traffic(&self) -> Traffic<'_> {
        Traffic {
            path: self.path.as_deref(),
            mix: &self.mix,
            ids: self.ids,
            zipf: self.zipf,
            users: self.users,
            rate: self.rate,
            duration: self.duration,
            login: self.login,
        }
    }
}

/// What was measured, in milliseconds and shares.
struct Measured {
    p95_ms: f64,
    p99_ms: f64,
    rps: f64,
    non_2xx: f64,
    requests: u64,
}

fn measured(snapshot: &Snapshot) -> Measured {
    let total = &snapshot.total;
    let ok = total.class(StatusClass::Success);
    let served = ok.map_or(0, |c| c.count);
    Measured {
        p95_ms: ok.map_or(0.0, |c| ms(c.latency.p95_us)),
        p99_ms: ok.map_or(0.0, |c| ms(c.latency.p99_us)),
        rps: total.rps,
        non_2xx: if total.requests == 0 {
            1.0
        } else {
            1.0 - served as f64 / total.requests as f64
        },
        requests: total.requests,
    }
}

impl Kind for LatencySpec {
    const NAME: &'static str = "latency";

    fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    fn target(&self) -> String {
        let mut target = format!("p95 < {} ms", self.p95_ms);
        if let Some(p99) = self.p99_ms {
            target.push_str(&format!(", p99 < {p99} ms"));
        }
        if let Some(rps) = self.rps_min {
            target.push_str(&format!(", ≥ {rps} req/s"));
        }
        target
    }

    fn limit(&self) -> Duration {
        // The run itself, plus logins, connection set-up and the last answers.
        self.timeout
            .unwrap_or(self.duration + Duration::from_secs(20))
    }

    async fn measure(&self, ctx: &Context) -> Result<Outcome, CheckError> {
        let traffic = self.traffic();
        let m = measured(&traffic.drive(ctx).await?);
        let failures = self.failures(&m);
        let message = message(ctx.lang, &traffic.describe(), &self.target(), &m, &failures);
        Ok(Outcome::judged(
            failures.is_empty(),
            Some(m.p95_ms),
            message,
        ))
    }
}

/// Which parts of the target were missed.
#[derive(Debug, PartialEq)]
enum Miss {
    P95,
    P99,
    Rps,
    Errors,
}

impl LatencySpec {
    fn failures(&self, m: &Measured) -> Vec<Miss> {
        let mut misses = Vec::new();
        if m.requests == 0 || m.non_2xx > self.max_non_2xx {
            misses.push(Miss::Errors);
        }
        if m.p95_ms >= self.p95_ms {
            misses.push(Miss::P95);
        }
        if self.p99_ms.is_some_and(|t| m.p99_ms >= t) {
            misses.push(Miss::P99);
        }
        if self.rps_min.is_some_and(|t| m.rps < t) {
            misses.push(Miss::Rps);
        }
        misses
    }
}

fn message(lang: Lang, what: &str, target: &str, m: &Measured, misses: &[Miss]) -> String {
    let head = lang.pick(
        format!(
            "El p95 fue {:.1} ms (p99 {:.1} ms, {:.0} req/s, {:.1} % sin 2xx) en {what} (objetivo {target}).",
            m.p95_ms,
            m.p99_ms,
            m.rps,
            m.non_2xx * 100.0
        ),
        format!(
            "p95 was {:.1} ms (p99 {:.1} ms, {:.0} req/s, {:.1} % non-2xx) on {what} (target {target}).",
            m.p95_ms,
            m.p99_ms,
            m.rps,
            m.non_2xx * 100.0
        ),
    );
    let next = match misses.first() {
        None => lang.pick("Cumple el objetivo.", "Target met."),
        Some(Miss::Errors) => lang.pick(
            "Demasiadas respuestas sin 2xx: mira los códigos de estado (¿429, 503 por el pool?) antes que la latencia.",
            "Too many non-2xx answers: look at the status codes (429s? 503s from the pool?) before latency.",
        ),
        Some(Miss::Rps) => lang.pick(
            "El rendimiento es bajo: ¿espera la tienda por conexiones del pool o por la base de datos?",
            "Throughput is low: is the shop waiting on pool connections or the database?",
        ),
        Some(_) => lang.pick(
            "Mira el plan (`perflab explain`: ¿Seq Scan?), la caché (X-Cache) y las consultas por petición (X-Query-Count).",
            "Look at the plan (`perflab explain`: a Seq Scan?), the cache (X-Cache) and queries per request (X-Query-Count).",
        ),
    };
    format!("{head} {next}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(toml: &str) -> LatencySpec {
        toml::from_str(toml).expect("a valid spec")
    }

    #[test]
    fn fast_errors_fail_even_with_a_fast_p95() {
        let s = spec("path = \"/x\"\np95_ms = 50");
        let m = Measured {
            p95_ms: 1.0,
            p99_ms: 2.0,
            rps: 100.0,
            non_2xx: 0.5,
            requests: 100,
        };
        assert_eq!(s.failures(&m), [Miss::Errors]);
    }

    #[test]
    fn message_names_measured_value_and_target() {
        let s = spec("path = \"/x\"\np95_ms = 50\np99_ms = 80");
        let m = Measured {
            p95_ms: 182.0,
            p99_ms: 300.0,
            rps: 10.0,
            non_2xx: 0.0,
            requests: 10,
        };
        let text = message(Lang::En, "GET /x", &s.target(), &m, &s.failures(&m));
        assert!(
            text.contains("182.0 ms") && text.contains("p95 < 50 ms, p99 < 80 ms"),
            "{text}"
        );
    }
}
