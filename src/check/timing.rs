//! `timing`: requests a few paths and reads the time the server says it
//! spent (lab 3.1): `Server-Timing` with `db`, `cache` and `total`, and
//! `X-Response-Time`, on every answer; the parts must fit in the total
//! (`db + cache ≤ total`) and the total in what the client waited — a
//! server that reports more time than the round trip took is not measuring
//! what it says. Uses only the public API.

use std::time::Duration;

use serde::Deserialize;
use tokio::time::Instant;

use super::verdict::next_step;
use super::{CheckError, Context, Kind, Outcome, Unit};
use crate::msg;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimingSpec {
    pub id: Option<String>,
    #[serde(default, with = "humantime_serde")]
    pub timeout: Option<Duration>,
    /// Why it must pass in the lab's starting state too (see `labs validate`).
    pub guard: Option<String>,
    /// Requested in order (a path twice: a miss, then a hit).
    pub paths: Vec<String>,
}

/// The `dur` of each metric of a `Server-Timing` value:
/// `db;dur=1.2, cache;dur=0.3, total;dur=2.0` (RFC: W3C Server Timing).
pub(crate) fn server_timing(value: &str) -> Vec<(String, Option<f64>)> {
    value
        .split(',')
        .filter_map(|metric| {
            let mut parts = metric.split(';').map(str::trim);
            let name = parts.next().filter(|n| !n.is_empty())?.to_ascii_lowercase();
            let dur = parts
                .filter_map(|p| p.split_once('='))
                .find(|(k, _)| k.trim().eq_ignore_ascii_case("dur"))
                .and_then(|(_, v)| v.trim().trim_matches('"').parse::<f64>().ok());
            Some((name, dur))
        })
        .collect()
}

/// `12.5ms` (or `12.5`) in milliseconds.
fn response_time(value: &str) -> Option<f64> {
    let value = value.trim();
    value
        .strip_suffix("ms")
        .unwrap_or(value)
        .trim()
        .parse()
        .ok()
}

impl Kind for TimingSpec {
    const NAME: &'static str = "timing";

    fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    fn guard(&self) -> Option<&str> {
        self.guard.as_deref()
    }

    fn target(&self, ctx: &Context) -> String {
        msg!(ctx.text, "check-timing-target")
    }

    fn limit(&self, _: &Context) -> Duration {
        self.timeout.unwrap_or(Duration::from_secs(20))
    }

    async fn measure(&self, ctx: &Context) -> Result<Outcome, CheckError> {
        let text = &ctx.text;
        let mut problems: Vec<String> = Vec::new();
        let mut shown = None;
        for path in &self.paths {
            let url = ctx.url(path);
            let started = Instant::now();
            let response = ctx.send(ctx.http.get(&url), &url).await?;
            let headers = response.headers().clone();
            // The client's wait ends with the whole body.
            let _ = response.bytes().await;
            let waited = started.elapsed().as_secs_f64() * 1000.0;
            let timing = headers
                .get("server-timing")
                .and_then(|v| v.to_str().ok())
                .map(server_timing);
            let Some(timing) = timing else {
                problems.push(msg!(
                    text,
                    "check-timing-missing",
                    path = path.as_str(),
                    header = "Server-Timing"
                ));
                continue;
            };
            if headers
                .get("x-response-time")
                .and_then(|v| v.to_str().ok())
                .and_then(response_time)
                .is_none()
            {
                problems.push(msg!(
                    text,
                    "check-timing-missing",
                    path = path.as_str(),
                    header = "X-Response-Time"
                ));
            }
            let dur = |name: &str| timing.iter().find(|(n, _)| n == name).and_then(|(_, d)| *d);
            let (Some(db), Some(cache), Some(total)) = (dur("db"), dur("cache"), dur("total"))
            else {
                problems.push(msg!(text, "check-timing-parts", path = path.as_str()));
                continue;
            };
            shown.get_or_insert_with(|| {
                msg!(
                    text,
                    "check-timing-example",
                    path = path.as_str(),
                    db = format!("{db:.2}"),
                    cache = format!("{cache:.2}"),
                    total = format!("{total:.2}"),
                    waited = format!("{waited:.2}")
                )
            });
            // Rounding to the header's decimals: a hundredth of a ms.
            if db + cache > total + 0.01 {
                problems.push(msg!(
                    text,
                    "check-timing-parts-exceed",
                    path = path.as_str(),
                    db = format!("{db:.2}"),
                    cache = format!("{cache:.2}"),
                    total = format!("{total:.2}")
                ));
            }
            if total > waited + 0.01 {
                problems.push(msg!(
                    text,
                    "check-timing-longer-than-wait",
                    path = path.as_str(),
                    total = format!("{total:.2}"),
                    waited = format!("{waited:.2}")
                ));
            }
        }
        let ok = problems.is_empty();
        let count = problems.len();
        let head = msg!(
            text,
            "check-timing-head",
            requests = self.paths.len(),
            problems = count
        );
        let next = next_step(text, ok, || {
            msg!(text, "check-timing-hint", mode = ctx.mode())
        });
        let message = std::iter::once(head)
            .chain(shown)
            .chain(problems.into_iter().take(3))
            .chain(std::iter::once(next))
            .collect::<Vec<_>>()
            .join(" ");
        Ok(Outcome::measured(ok, count as f64, Unit::Count, message))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_timing_reads_each_metric_duration() {
        let metrics = server_timing("db;dur=1.25, cache;desc=\"redis\";dur=0.3, total;dur=2");
        assert_eq!(
            metrics,
            [
                ("db".to_string(), Some(1.25)),
                ("cache".to_string(), Some(0.3)),
                ("total".to_string(), Some(2.0)),
            ]
        );
        assert_eq!(server_timing("miss"), [("miss".to_string(), None)]);
        assert_eq!(response_time("3.5ms"), Some(3.5));
        assert_eq!(response_time("nope"), None);
    }
}
