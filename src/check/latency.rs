//! `latency`: drives traffic and compares the p95 (optionally p99 and a
//! minimum throughput) of the **2xx** responses with the lab's target — fast
//! 429s or 500s must not flatter the p95 of what was really served — and fails
//! when too large a share of requests got no 2xx.

use std::time::Duration;

use serde::Deserialize;

use super::verdict::vs_baseline;
use super::{CheckError, Context, Kind, Outcome, Surface, TrafficSpec, Unit, ms};
use crate::load::{Snapshot, StatusClass};
use crate::msg;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LatencySpec {
    pub id: Option<String>,
    #[serde(default, with = "humantime_serde")]
    pub timeout: Option<Duration>,
    /// Why it must pass in the lab's starting state too (see `labs validate`).
    pub guard: Option<String>,
    /// Overrides the lab's traffic profile.
    pub traffic: Option<TrafficSpec>,
    /// p95 must stay below this many milliseconds…
    pub p95_ms: Option<f64>,
    /// …or be this many times lower than the baseline's p95 of the check with
    /// the same id in lab 1.1 (2.0: at least twice as fast).
    pub vs_baseline: Option<f64>,
    pub p99_ms: Option<f64>,
    pub rps_min: Option<f64>,
    /// At least this many requests must be answered (a baseline needs enough).
    pub min_requests: Option<u64>,
    /// Largest share of requests without a 2xx answer (0.01 = 1 %).
    #[serde(default = "default_max_non_2xx")]
    pub max_non_2xx: f64,
    /// Judge the p95 of each path of the traffic's mix, not the mix's as a
    /// whole: a fast route drawn often must not hide a slow one (the final
    /// project's "p95 < 200 ms on each route group").
    #[serde(default)]
    pub each_path: bool,
}

fn default_max_non_2xx() -> f64 {
    0.01
}

/// What was measured, in milliseconds and shares.
struct Measured {
    p50_ms: f64,
    p95_ms: f64,
    p99_ms: f64,
    rps: f64,
    non_2xx: f64,
    requests: u64,
    /// With `each_path`: each path of the mix and the p95 of its 2xx.
    paths: Vec<(String, f64)>,
}

impl Measured {
    /// The p95 the check is judged by: the mix's, or its slowest path's.
    fn judged_p95(&self) -> f64 {
        self.paths
            .iter()
            .map(|(_, p95)| *p95)
            .fold(self.p95_ms, f64::max)
    }

    /// The slowest path, when paths are judged one by one.
    fn slowest(&self) -> Option<&(String, f64)> {
        self.paths.iter().max_by(|a, b| a.1.total_cmp(&b.1))
    }
}

/// Each request of the mix (`GET /path`) with the p95 of its 2xx answers, in the mix's order
/// (a path never answered 2xx has none: 0, its errors are counted apart).
fn path_p95s(snapshot: &Snapshot, traffic: &TrafficSpec) -> Vec<(String, f64)> {
    let requests = traffic.requests();
    snapshot
        .total
        .endpoints
        .iter()
        .filter_map(|e| {
            let request = requests.get(e.index)?;
            Some((request.clone(), ms(e.ok.p95_us)))
        })
        .collect()
}

fn measured(snapshot: &Snapshot) -> Measured {
    let total = &snapshot.total;
    let ok = total.class(StatusClass::Success);
    let served = ok.map_or(0, |c| c.count);
    Measured {
        p50_ms: ok.map_or(0.0, |c| ms(c.latency.p50_us)),
        p95_ms: ok.map_or(0.0, |c| ms(c.latency.p95_us)),
        p99_ms: ok.map_or(0.0, |c| ms(c.latency.p99_us)),
        rps: total.rps,
        non_2xx: if total.requests == 0 {
            1.0
        } else {
            1.0 - served as f64 / total.requests as f64
        },
        requests: total.requests,
        paths: Vec::new(),
    }
}

impl Kind for LatencySpec {
    const NAME: &'static str = "latency";

    fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    fn guard(&self) -> Option<&str> {
        self.guard.as_deref()
    }

    fn target(&self, ctx: &Context) -> String {
        let text = &ctx.text;
        let mut parts = vec![
            match (self.p95_ms, self.vs_baseline, self.baseline_p95(ctx)) {
                (_, Some(factor), Some(base)) => msg!(
                    text,
                    "check-latency-target-relative",
                    // Measured numbers, not the lab's: two decimals.
                    bound = format!("{:.2} ms", self.p95_bound_of(base, factor)),
                    factor = factor,
                    base = format!("{base:.2} ms")
                ),
                (_, Some(factor), None) => {
                    msg!(
                        text,
                        "check-latency-target-relative-unknown",
                        factor = factor
                    )
                }
                (Some(p95), None, _) => {
                    msg!(text, "check-latency-target-p95", p95 = Unit::Ms.target(p95))
                }
                (None, None, _) => msg!(text, "check-latency-target-measured"),
            },
        ];
        if let Some(p99) = self.p99_ms {
            parts.push(msg!(
                text,
                "check-latency-target-p99",
                p99 = Unit::Ms.target(p99)
            ));
        }
        if let Some(rps) = self.rps_min {
            parts.push(msg!(
                text,
                "check-latency-target-rps",
                rps = Unit::PerSecond.target(rps)
            ));
        }
        if let Some(n) = self.min_requests {
            parts.push(msg!(text, "check-latency-target-requests", count = n));
        }
        parts.join(", ")
    }

    fn limit(&self, ctx: &Context) -> Duration {
        self.timeout
            .unwrap_or_else(|| super::traffic::limit(self.traffic.as_ref(), ctx))
    }

    async fn measure(&self, ctx: &Context) -> Result<Outcome, CheckError> {
        let bound = self.p95_bound(ctx)?;
        let traffic = ctx.traffic(self.traffic.as_ref())?;
        let snapshot = traffic.drive(ctx).await?;
        let mut m = measured(&snapshot);
        if self.each_path {
            m.paths = path_p95s(&snapshot, traffic);
        }
        let failures = self.failures(&m, bound);
        let factor = self
            .baseline_p95(ctx)
            .filter(|_| self.vs_baseline.is_some() && m.p95_ms > 0.0)
            .map(|base| base / m.p95_ms);
        let message = message(
            ctx,
            &traffic.describe(),
            &self.target(ctx),
            &m,
            &failures,
            factor,
        );
        let mut details = vec![
            ("p50_ms", m.p50_ms),
            ("p95_ms", m.p95_ms),
            ("p99_ms", m.p99_ms),
            ("rps", m.rps),
            ("requests", m.requests as f64),
            ("non_2xx", m.non_2xx),
        ];
        if let Some(factor) = factor {
            details.push(("vs_baseline", factor));
        }
        Ok(
            Outcome::measured(failures.is_empty(), m.judged_p95(), Unit::Ms, message)
                .with_details(details),
        )
    }
}

/// Which parts of the target were missed.
#[derive(Debug, PartialEq)]
enum Miss {
    Requests,
    P95,
    P99,
    Rps,
    Errors,
}

impl LatencySpec {
    /// The baseline's p95 for this check's id (`{id}.p95_ms`).
    fn baseline_p95(&self, ctx: &Context) -> Option<f64> {
        let key = format!("{}.p95_ms", self.id.as_deref().unwrap_or(Self::NAME));
        ctx.baseline.as_ref()?.get(&key).copied()
    }

    /// The relative bound: the baseline's p95 divided by the factor.
    fn p95_bound_of(&self, base: f64, factor: f64) -> f64 {
        base / factor
    }

    /// The p95 to stay under: the tighter of the absolute and relative targets.
    fn p95_bound(&self, ctx: &Context) -> Result<Option<f64>, CheckError> {
        let relative = match self.vs_baseline {
            Some(factor) => {
                let base = self
                    .baseline_p95(ctx)
                    .ok_or(CheckError::Unavailable(Surface::Baseline))?;
                Some(self.p95_bound_of(base, factor))
            }
            None => None,
        };
        Ok(match (self.p95_ms, relative) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        })
    }

    fn failures(&self, m: &Measured, p95_bound: Option<f64>) -> Vec<Miss> {
        let mut misses = Vec::new();
        let too_few = self.min_requests.is_some_and(|n| m.requests < n);
        if m.requests == 0 || m.non_2xx > self.max_non_2xx {
            misses.push(Miss::Errors);
        }
        if too_few {
            misses.push(Miss::Requests);
        }
        if p95_bound.is_some_and(|bound| m.judged_p95() >= bound) {
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

fn message(
    ctx: &Context,
    what: &str,
    target: &str,
    m: &Measured,
    misses: &[Miss],
    factor: Option<f64>,
) -> String {
    let text = &ctx.text;
    let head = msg!(
        text,
        "check-latency-head",
        p95 = Unit::Ms.format(m.p95_ms),
        p99 = Unit::Ms.format(m.p99_ms),
        rps = Unit::PerSecond.format(m.rps),
        non2xx = Unit::Percent.format(m.non_2xx * 100.0),
        what = what,
        target = target
    );
    let compared = factor.map(|f| format!(" {}.", vs_baseline(text, f)));
    let paths = (!m.paths.is_empty()).then(|| {
        let each: Vec<String> = m
            .paths
            .iter()
            .map(|(request, p95)| format!("{request} {}", Unit::Ms.format(*p95)))
            .collect();
        format!(
            " {}",
            msg!(text, "check-latency-paths", paths = each.join(" · "))
        )
    });
    let slowest = m
        .slowest()
        .filter(|_| misses.contains(&Miss::P95))
        .map(|(path, p95)| {
            format!(
                " {}",
                msg!(
                    text,
                    "check-latency-slowest",
                    path = path.as_str(),
                    p95 = Unit::Ms.format(*p95)
                )
            )
        });
    let next = match misses.first() {
        None => msg!(text, "check-target-met"),
        Some(Miss::Errors) => msg!(text, "check-latency-errors", mode = ctx.mode()),
        Some(Miss::Requests) => msg!(text, "check-latency-few", mode = ctx.mode()),
        Some(Miss::Rps) => msg!(text, "check-latency-rps", mode = ctx.mode()),
        Some(_) => msg!(text, "check-latency-slow", mode = ctx.mode()),
    };
    format!(
        "{head}{}{}{} {next}",
        compared.unwrap_or_default(),
        paths.unwrap_or_default(),
        slowest.unwrap_or_default()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::Lang;

    fn spec(toml: &str) -> LatencySpec {
        toml::from_str(toml).expect("a valid spec")
    }

    #[test]
    fn fast_errors_fail_even_with_a_fast_p95() {
        let s = spec("p95_ms = 50");
        let m = Measured {
            p50_ms: 0.5,
            p95_ms: 1.0,
            p99_ms: 2.0,
            rps: 100.0,
            non_2xx: 0.5,
            requests: 100,
            paths: Vec::new(),
        };
        assert_eq!(s.failures(&m, s.p95_ms), [Miss::Errors]);
    }

    #[test]
    fn vs_baseline_takes_the_tighter_bound_and_needs_a_baseline() {
        let ctx = Context::new("http://127.0.0.1:1", Lang::En);
        let relative = spec("id = \"detail\"\nvs_baseline = 2.0");
        assert!(matches!(
            relative.p95_bound(&ctx),
            Err(CheckError::Unavailable(Surface::Baseline))
        ));
        assert_eq!(relative.target(&ctx), "p95 ≤ half your baseline's");
        // Another check's baseline is not this one's.
        let other = ctx
            .clone()
            .with_baseline([("latency.p95_ms".to_string(), 80.0)].into());
        assert!(relative.p95_bound(&other).is_err());

        let ctx = ctx.with_baseline([("detail.p95_ms".to_string(), 80.0)].into());
        assert_eq!(relative.p95_bound(&ctx).unwrap(), Some(40.0));
        assert_eq!(
            relative.target(&ctx),
            "p95 < 40.00 ms (half your baseline's 80.00 ms)"
        );
        let es = Context::new("http://127.0.0.1:1", Lang::Es)
            .with_baseline([("detail.p95_ms".to_string(), 13.94)].into());
        assert_eq!(
            relative.target(&es),
            "p95 < 6.97 ms (la mitad de los 13.94 ms de tu línea base)"
        );
        let looser = spec("id = \"detail\"\nvs_baseline = 2.0\np95_ms = 50");
        assert_eq!(looser.p95_bound(&ctx).unwrap(), Some(40.0));
        let tighter = spec("id = \"detail\"\nvs_baseline = 2.0\np95_ms = 30");
        assert_eq!(tighter.p95_bound(&ctx).unwrap(), Some(30.0));
        let absolute = spec("p95_ms = 30");
        assert_eq!(absolute.p95_bound(&ctx).unwrap(), Some(30.0));

        let m = Measured {
            p50_ms: 10.0,
            p95_ms: 45.0,
            p99_ms: 60.0,
            rps: 100.0,
            non_2xx: 0.0,
            requests: 100,
            paths: Vec::new(),
        };
        let bound = relative.p95_bound(&ctx).unwrap();
        assert_eq!(relative.failures(&m, bound), [Miss::P95]);
    }

    #[test]
    fn message_names_measured_value_and_target() {
        let s = spec("p95_ms = 50\np99_ms = 80");
        let m = Measured {
            p50_ms: 0.5,
            p95_ms: 182.0,
            p99_ms: 300.0,
            rps: 10.0,
            non_2xx: 0.0,
            requests: 10,
            paths: Vec::new(),
        };
        let ctx = Context::new("http://127.0.0.1:1", Lang::En);
        let misses = s.failures(&m, s.p95_ms);
        let text = message(&ctx, "GET /x", &s.target(&ctx), &m, &misses, Some(0.7));
        assert!(
            text.contains("182.0 ms") && text.contains("p95 < 50 ms, p99 < 80 ms"),
            "{text}"
        );
        assert!(
            text.contains("p95 1.4× slower than your baseline"),
            "{text}"
        );
        assert!(!text.contains("perflab explain"), "{text}");
        let each = spec("p95_ms = 200\neach_path = true");
        let m = Measured {
            p95_ms: 40.0,
            paths: vec![
                ("GET /products/{id}".into(), 3.0),
                ("GET /products/search?q=lamp".into(), 412.5),
            ],
            ..m
        };
        let misses = each.failures(&m, each.p95_ms);
        assert_eq!(misses, [Miss::P95], "the mix's 40 ms hides a 412.5 ms path");
        let text = message(&ctx, "mix", &each.target(&ctx), &m, &misses, None);
        assert!(
            text.contains("GET /products/{id} 3.00 ms · GET /products/search?q=lamp 412.5 ms")
                && text.contains("Slowest: GET /products/search?q=lamp (p95 412.5 ms)"),
            "{text}"
        );
        let shop = ctx.with_control("http://c", "t");
        let text = message(&shop, "GET /x", "t", &m, &misses, None);
        assert!(text.contains("perflab explain"), "{text}");
    }
}
