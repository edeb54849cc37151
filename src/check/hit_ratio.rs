//! `hit_ratio`: drives Zipf-skewed traffic and judges hits / (hits + misses)
//! as the responses' `X-Cache` headers tell them (HIT, MISS; a BYPASS looked
//! nothing up), counted by the load generator on every response of the run —
//! the HTTP contract, so it measures perflab's own shop and a `--target` API
//! alike.
//!
//! Every shop the runner starts begins with a cold cache (a new epoch), and
//! the first request of each id is a miss whatever the settings: counted,
//! those misses would cap a short run far below what the cache achieves
//! (Zipf over 1,000 ids: near 75 % at low rates). So a warm-up run of the
//! same traffic comes first and is not counted. The labs drive the counted
//! run at a fixed rate (an open loop): a cache answers as fast as the load
//! generator asks, and at thousands of requests a second even a 1 s TTL looks
//! good, while the TTL trade-off lab 1.3 teaches shows at a realistic rate.
//!
//! With `write_share` (lab 1.4's 95/5 mix: `write_share = 0.05`) an admin
//! writer changes prices of products drawn from the traffic's Zipf ids while
//! the counted run goes, writes being that share of all requests, and puts
//! them back afterwards ([`super::price_writes`]); it needs the database for
//! the original prices. A run whose writes miss the share by more than
//! [`SHARE_TOLERANCE`] did not measure the target, and says so as an error.

use std::time::Duration;

use serde::Deserialize;

use super::price_writes::Writes;
use super::verdict::next_step;
use super::{CheckError, Context, Kind, Outcome, TrafficSpec, Unit};
use crate::load::CacheCounts;
use crate::msg;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HitRatioSpec {
    pub id: Option<String>,
    #[serde(default, with = "humantime_serde")]
    pub timeout: Option<Duration>,
    /// Why it must pass in the lab's starting state too (see `labs validate`).
    pub guard: Option<String>,
    /// Overrides the lab's traffic profile.
    pub traffic: Option<TrafficSpec>,
    /// The same traffic, not counted, first: the cache's cold start.
    #[serde(with = "humantime_serde", default = "default_warmup")]
    pub warmup: Duration,
    /// The lowest acceptable ratio, e.g. 0.8.
    pub min: f64,
    /// Share of all requests that are price writes during the traffic (0.05).
    pub write_share: Option<f64>,
}

fn default_warmup() -> Duration {
    Duration::from_secs(3)
}

/// How far the measured write share may be from `write_share`: half a
/// percentage point.
pub const SHARE_TOLERANCE: f64 = 0.005;

/// What the counted run measured.
struct Measured {
    what: String,
    cache: CacheCounts,
    responses: u64,
    writes: Option<Writes>,
}

impl HitRatioSpec {
    fn ratio(cache: &CacheCounts) -> f64 {
        cache.hit_ratio().unwrap_or(0.0)
    }

    async fn run(&self, ctx: &Context) -> Result<Measured, CheckError> {
        let traffic = ctx.traffic(self.traffic.as_ref())?;
        if self.write_share.is_some() {
            // Writes need the original prices: say so before warming up.
            ctx.database_url()?;
        }
        if !self.warmup.is_zero() {
            let mut warmup = traffic.clone();
            warmup.duration = self.warmup;
            // A run of its own ids (`Context::next_seed`): the counted run
            // after it does not replay what it cached.
            warmup.drive(ctx).await?;
        }
        let (snapshot, writes) = match self.write_share {
            Some(share) => {
                let (snapshot, writes) = super::price_writes::drive(ctx, traffic, share).await?;
                if (writes.share() - share).abs() > SHARE_TOLERANCE {
                    return Err(CheckError::WriteShare {
                        wanted: share,
                        measured: writes.share(),
                    });
                }
                (snapshot, Some(writes))
            }
            None => (traffic.drive(ctx).await?, None),
        };
        Ok(Measured {
            what: traffic.describe(),
            cache: snapshot.total.cache,
            responses: snapshot.total.responses,
            writes,
        })
    }
}

impl Kind for HitRatioSpec {
    const NAME: &'static str = "hit_ratio";

    fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    fn guard(&self) -> Option<&str> {
        self.guard.as_deref()
    }

    fn target(&self, ctx: &Context) -> String {
        let min = Unit::Percent.target(self.min * 100.0);
        match self.write_share {
            Some(share) => msg!(
                ctx.text,
                "check-hit-ratio-target-writes",
                min = min,
                share = Unit::Percent.target(share * 100.0)
            ),
            None => msg!(ctx.text, "check-hit-ratio-target", min = min),
        }
    }

    fn limit(&self, ctx: &Context) -> Duration {
        self.timeout.unwrap_or_else(|| {
            super::traffic::limit(self.traffic.as_ref(), ctx) + self.warmup + Duration::from_secs(5)
        })
    }

    async fn measure(&self, ctx: &Context) -> Result<Outcome, CheckError> {
        let m = self.run(ctx).await?;
        let ratio = Self::ratio(&m.cache);
        let ok = m.cache.lookups() > 0 && ratio >= self.min;
        let message = self.message(ctx, &m, ok);
        let cache = &m.cache;
        let mut details = vec![
            ("hits", cache.hit as f64),
            ("misses", cache.miss as f64),
            ("bypasses", cache.bypass as f64),
            ("lookups", cache.lookups() as f64),
            ("responses", m.responses as f64),
            ("warmup_s", self.warmup.as_secs_f64()),
        ];
        if let Some(w) = m.writes {
            details.extend([("writes", w.writes as f64), ("write_share", w.share())]);
            if w.writes > 0 {
                details.push(("misses_per_write", cache.miss as f64 / w.writes as f64));
            }
        }
        Ok(Outcome::measured(ok, ratio * 100.0, Unit::Percent, message).with_details(details))
    }
}

/// Misses over writes with one decimal ("6.7"), "–" without writes.
fn misses_per_write(misses: u64, writes: u64) -> String {
    match writes {
        0 => "–".to_string(),
        n => format!("{:.1}", misses as f64 / n as f64),
    }
}

impl HitRatioSpec {
    fn message(&self, ctx: &Context, m: &Measured, ok: bool) -> String {
        let text = &ctx.text;
        let target = self.target(ctx);
        let what = &m.what;
        if m.cache.answered() == 0 {
            return msg!(
                text,
                "check-hit-ratio-no-header",
                responses = m.responses,
                what = what,
                target = &target
            );
        }
        if m.cache.lookups() == 0 {
            return msg!(
                text,
                "check-hit-ratio-no-lookup",
                bypasses = m.cache.bypass,
                what = what,
                target = &target,
                mode = ctx.mode()
            );
        }
        let ratio = Unit::Percent.format(Self::ratio(&m.cache) * 100.0);
        let warmup = humantime::format_duration(self.warmup).to_string();
        let (hits, misses, lookups) = (m.cache.hit, m.cache.miss, m.cache.lookups());
        let head = match m.writes {
            Some(w) => msg!(
                text,
                "check-hit-ratio-head-writes",
                ratio = ratio,
                lookups = lookups,
                hits = hits,
                misses = misses,
                what = what,
                writes = w.writes,
                share = Unit::Percent.format(w.share() * 100.0),
                per_write = misses_per_write(misses, w.writes),
                warmup = warmup,
                target = &target
            ),
            None => msg!(
                text,
                "check-hit-ratio-head",
                ratio = ratio,
                lookups = lookups,
                hits = hits,
                misses = misses,
                what = what,
                warmup = warmup,
                target = &target
            ),
        };
        let next = next_step(text, ok, || match m.writes {
            Some(_) => msg!(text, "check-hit-ratio-hint-writes", mode = ctx.mode()),
            None => msg!(text, "check-hit-ratio-hint", mode = ctx.mode()),
        });
        format!("{head} {next}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::Lang;

    #[test]
    fn writes_show_in_target_and_message() {
        let spec: HitRatioSpec = toml::from_str("min = 0.7\nwrite_share = 0.05").unwrap();
        let ctx = Context::new("http://x", Lang::En);
        assert_eq!(spec.target(&ctx), "hit ratio ≥ 70 % with 5 % writes");
        let es = Context::new("http://x", Lang::Es);
        assert_eq!(
            spec.target(&es),
            "tasa de aciertos ≥ 70 % con 5 % de escrituras"
        );
        let m = Measured {
            what: "GET /products/{id}".into(),
            cache: CacheCounts {
                hit: 1235,
                miss: 665,
                bypass: 0,
                other: 0,
            },
            responses: 1900,
            writes: Some(Writes {
                reads: 1900,
                writes: 100,
            }),
        };
        let text = spec.message(&ctx, &m, false);
        assert!(
            text.contains("65.0 % over 1900 lookups on GET /products/{id}")
                && text.contains("100 price writes (5.0 % of requests)")
                && text.contains("Misses per write: 6.7"),
            "{text}"
        );
        assert!(text.contains("retire more than it changed"), "{text}");
        assert!(!text.contains("shop.toml"), "a target's message: {text}");
    }

    #[test]
    fn a_cache_that_looks_nothing_up_is_named_per_subject() {
        let spec: HitRatioSpec = toml::from_str("min = 0.8").unwrap();
        let m = Measured {
            what: "GET /products/{id}".into(),
            cache: CacheCounts {
                bypass: 10,
                ..CacheCounts::default()
            },
            responses: 10,
            writes: None,
        };
        let target = Context::new("http://x", Lang::En);
        let said = spec.message(&target, &m, false);
        assert!(said.contains("10 X-Cache: BYPASS"), "{said}");
        assert!(!said.contains("cache.endpoints"), "{said}");
        let shop = target.clone().with_control("http://c", "t");
        let said = spec.message(&shop, &m, false);
        assert!(said.contains("cache.endpoints"), "{said}");
        let silent = Measured {
            cache: CacheCounts::default(),
            ..m
        };
        let said = spec.message(&target, &silent, false);
        assert!(said.contains("carried an X-Cache header"), "{said}");
    }
}
