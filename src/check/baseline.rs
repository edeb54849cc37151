//! `baseline`: lab 1.1's measurement. With the cache off it drives each of
//! the lab's traffic profiles and passes when each got enough requests,
//! returning `{profile}.p50_ms`, `.p95_ms`, `.p99_ms`, `.rps`, `.requests` as
//! details — what the runner keeps as the student's baseline and later labs'
//! relative targets compare with.
//!
//! A baseline measured through a cache measures the cache, so it refuses to
//! measure one that is on: on perflab's own shop as `/health` reports the
//! cache backend; on any API (a `--target` has nothing else) when a profile's
//! path requested twice answers `X-Cache: HIT` the second time, or when any
//! response of the run says HIT. Once a baseline exists, a shop with the
//! cache on (later in the day) passes without re-measuring: the baseline is
//! kept, not overwritten by a cached run.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;

use super::context::json;
use super::{CheckError, Context, Kind, Outcome, Subject, TrafficSpec, Unit, ms};
use crate::load::{Snapshot, StatusClass};
use crate::msg;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BaselineSpec {
    pub id: Option<String>,
    #[serde(default, with = "humantime_serde")]
    pub timeout: Option<Duration>,
    /// Why it must pass in the lab's starting state too (see `labs validate`).
    pub guard: Option<String>,
    /// Each profile's name (`detail`) and traffic.
    pub profiles: BTreeMap<String, TrafficSpec>,
    /// Requests each profile must get answered with a 2xx.
    #[serde(default = "default_min_requests")]
    pub min_requests: u64,
}

fn default_min_requests() -> u64 {
    2000
}

/// What `/health` says the cache is.
async fn cache_backend(ctx: &Context) -> Result<Option<String>, CheckError> {
    let url = ctx.url("/health");
    let health = json(ctx.send(ctx.http.get(&url), &url).await?, &url).await?;
    Ok(health["cache"]["backend"].as_str().map(str::to_string))
}

/// Why the cache counts as on.
enum CacheOn {
    /// `/health` of perflab's shop names this backend.
    Backend(String),
    /// This path answered `X-Cache: HIT`.
    Hit(String),
}

/// One concrete path of a profile: its placeholders at the first value of
/// their ranges.
fn first_path(traffic: &TrafficSpec) -> Option<String> {
    let path = traffic
        .path
        .clone()
        .or_else(|| traffic.mix.first().map(|m| m.path.clone()))?;
    Some(
        path.replace("{id}", &traffic.ids[0].to_string())
            .replace("{category}", &traffic.categories[0].to_string()),
    )
}

/// Whether `path`, requested twice, answers `X-Cache: HIT` the second time.
async fn hits_twice(ctx: &Context, path: &str) -> Result<bool, CheckError> {
    let url = ctx.url(path);
    let mut hit = false;
    for _ in 0..2 {
        let response = ctx.send(ctx.http.get(&url), &url).await?;
        hit = response
            .headers()
            .get("x-cache")
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"HIT"));
        // Read to the end: the connection is kept for the next request.
        let _ = response.bytes().await;
    }
    Ok(hit)
}

impl BaselineSpec {
    /// Whether the cache is on, before measuring anything.
    async fn cache_on(&self, ctx: &Context) -> Result<Option<CacheOn>, CheckError> {
        if ctx.subject() == Subject::OwnShop {
            let backend = cache_backend(ctx).await?;
            if let Some(backend) = backend.filter(|b| b != "off") {
                return Ok(Some(CacheOn::Backend(backend)));
            }
        }
        for path in self.profiles.values().filter_map(first_path) {
            if hits_twice(ctx, &path).await? {
                return Ok(Some(CacheOn::Hit(path)));
            }
        }
        Ok(None)
    }

    fn refused(&self, ctx: &Context, why: CacheOn) -> Outcome {
        if let Some(kept) = &ctx.baseline {
            return kept_baseline(ctx, kept);
        }
        let message = match why {
            CacheOn::Backend(backend) => {
                msg!(ctx.text, "check-baseline-cache-on", backend = backend)
            }
            CacheOn::Hit(path) => msg!(
                ctx.text,
                "check-baseline-hits",
                path = path,
                mode = ctx.mode()
            ),
        };
        Outcome::judgement(false, message)
    }
}

/// One profile's numbers.
struct Profile {
    name: String,
    served: u64,
    p50: f64,
    p95: f64,
    p99: f64,
    rps: f64,
}

impl Profile {
    fn of(name: &str, snapshot: &Snapshot) -> Self {
        let ok = snapshot.total.class(StatusClass::Success);
        let latency = |f: fn(&crate::load::Latency) -> u64| ok.map_or(0.0, |c| ms(f(&c.latency)));
        Self {
            name: name.to_string(),
            served: ok.map_or(0, |c| c.count),
            p50: latency(|l| l.p50_us),
            p95: latency(|l| l.p95_us),
            p99: latency(|l| l.p99_us),
            rps: snapshot.total.rps,
        }
    }

    fn details(&self) -> [(String, f64); 5] {
        let name = &self.name;
        [
            (format!("{name}.p50_ms"), self.p50),
            (format!("{name}.p95_ms"), self.p95),
            (format!("{name}.p99_ms"), self.p99),
            (format!("{name}.rps"), self.rps),
            (format!("{name}.requests"), self.served as f64),
        ]
    }

    fn describe(&self, ctx: &Context) -> String {
        msg!(
            ctx.text,
            "check-baseline-profile",
            name = &self.name,
            requests = self.served,
            p50 = Unit::Ms.format(self.p50),
            p95 = Unit::Ms.format(self.p95),
            p99 = Unit::Ms.format(self.p99),
            rps = Unit::PerSecond.format(self.rps)
        )
    }
}

impl Kind for BaselineSpec {
    const NAME: &'static str = "baseline";

    fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    fn guard(&self) -> Option<&str> {
        self.guard.as_deref()
    }

    fn target(&self, ctx: &Context) -> String {
        msg!(
            ctx.text,
            "check-baseline-target",
            min = self.min_requests,
            profiles = self.profiles.keys().cloned().collect::<Vec<_>>().join(", ")
        )
    }

    fn limit(&self, _: &Context) -> Duration {
        let runs: Duration = self.profiles.values().map(|t| t.duration).sum();
        self.timeout
            .unwrap_or(runs + Duration::from_secs(20 * self.profiles.len() as u64))
    }

    async fn measure(&self, ctx: &Context) -> Result<Outcome, CheckError> {
        if let Some(why) = self.cache_on(ctx).await? {
            return Ok(self.refused(ctx, why));
        }
        let mut profiles = Vec::new();
        for (name, traffic) in &self.profiles {
            let snapshot = traffic.drive(ctx).await?;
            // A cache that turned on meanwhile (or hits only some paths).
            if snapshot.total.cache.hit > 0 {
                let path = first_path(traffic).unwrap_or_default();
                return Ok(self.refused(ctx, CacheOn::Hit(path)));
            }
            profiles.push(Profile::of(name, &snapshot));
        }
        let short: Vec<&str> = profiles
            .iter()
            .filter(|p| p.served < self.min_requests)
            .map(|p| p.name.as_str())
            .collect();
        let lines: Vec<String> = profiles.iter().map(|p| p.describe(ctx)).collect();
        let lines = lines.join("; ");
        let message = match short.is_empty() {
            true => msg!(ctx.text, "check-baseline-measured", profiles = lines),
            false => msg!(
                ctx.text,
                "check-baseline-too-few",
                short = short.join(", "),
                min = self.min_requests,
                profiles = lines,
                mode = ctx.mode()
            ),
        };
        let least = profiles.iter().map(|p| p.served).min().unwrap_or(0);
        let details: Vec<(String, f64)> = profiles.iter().flat_map(Profile::details).collect();
        let outcome = Outcome::measured(short.is_empty(), least as f64, Unit::Count, message);
        Ok(Outcome {
            details: details.into_iter().collect(),
            ..outcome
        })
    }
}

fn kept_baseline(ctx: &Context, kept: &BTreeMap<String, f64>) -> Outcome {
    let p95: Vec<String> = kept
        .iter()
        .filter(|(k, _)| k.ends_with(".p95_ms"))
        .map(|(k, v)| {
            format!(
                "{} p95 {}",
                k.trim_end_matches(".p95_ms"),
                Unit::Ms.format(*v)
            )
        })
        .collect();
    let requests = kept
        .iter()
        .filter(|(k, _)| k.ends_with(".requests"))
        .map(|(_, v)| *v)
        .fold(f64::INFINITY, f64::min);
    let message = msg!(
        ctx.text,
        "check-baseline-kept",
        p95 = p95.join(", "),
        mode = ctx.mode()
    );
    match requests.is_finite() {
        true => Outcome::measured(true, requests, Unit::Count, message),
        false => Outcome::judgement(true, message),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::Lang;

    #[test]
    fn a_profile_is_probed_on_its_first_ids() {
        let t: TrafficSpec =
            toml::from_str("path = \"/products?category={category}&sort=price\"").unwrap();
        assert_eq!(
            first_path(&t).as_deref(),
            Some("/products?category=1&sort=price")
        );
        let t: TrafficSpec = toml::from_str("path = \"/products/{id}\"\nids = [5, 9]").unwrap();
        assert_eq!(first_path(&t).as_deref(), Some("/products/5"));
    }

    #[test]
    fn a_cached_target_hears_about_its_api_not_shop_toml() {
        let spec: BaselineSpec =
            toml::from_str("[profiles.detail]\npath = \"/products/{id}\"").unwrap();
        let target = Context::new("http://x", Lang::En);
        let refused = spec.refused(&target, CacheOn::Hit("/products/1".into()));
        assert_eq!(refused.verdict, super::super::Verdict::Fail);
        assert!(
            refused.message.contains("X-Cache: HIT"),
            "{}",
            refused.message
        );
        assert!(
            !refused.message.contains("shop.toml"),
            "{}",
            refused.message
        );
        let shop = target.with_control("http://c", "t");
        let refused = spec.refused(&shop, CacheOn::Backend("redis".into()));
        assert!(refused.message.contains("shop.toml"), "{}", refused.message);
        assert_eq!(refused.measured, None, "nothing was measured");
    }
}
