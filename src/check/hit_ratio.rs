//! `hit_ratio`: reads the shop's cache counters (`GET /cache/stats` on the
//! control API) before and after Zipf-skewed traffic and judges the ratio of
//! the difference, hits / (hits + misses), for one cached route — only this
//! run's lookups count, not what earlier labs left in the counters.
//!
//! Without the control API (`--target URL`) this is `NotApplicable`: headers
//! seen by a sampler would measure a different thing (a few hundred requests,
//! not the load), and a student's API need not count lookups at all.
//!
//! With `write_share` (lab 1.4's 95/5 mix: `write_share = 0.05`) an admin
//! writer changes prices of products drawn from the traffic's Zipf ids while
//! it runs, writes being about that share of all requests, and puts them back
//! afterwards ([`super::price_writes`]); it needs the database URL for the
//! original prices.

use std::time::Duration;

use serde::Deserialize;

use super::price_writes::Writes;
use super::verdict::next_step;
use super::{CheckError, Context, Kind, Lang, Outcome, TrafficSpec};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HitRatioSpec {
    pub id: Option<String>,
    #[serde(default, with = "humantime_serde")]
    pub timeout: Option<Duration>,
    /// The cached route whose counters count: product_detail, product_list, categories, search.
    #[serde(default = "default_route")]
    pub route: String,
    /// Overrides the lab's traffic profile.
    pub traffic: Option<TrafficSpec>,
    /// The lowest acceptable ratio, e.g. 0.8.
    pub min: f64,
    /// Share of all requests that are price writes during the traffic (0.05).
    pub write_share: Option<f64>,
}

fn default_route() -> String {
    "product_detail".into()
}

/// Hits and misses of one route.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Lookups {
    hits: u64,
    misses: u64,
}

impl HitRatioSpec {
    async fn lookups(&self, ctx: &Context) -> Result<Lookups, CheckError> {
        let stats = ctx.control_json("/cache/stats").await?;
        let route = &stats[&self.route];
        match (route["hits"].as_u64(), route["misses"].as_u64()) {
            (Some(hits), Some(misses)) => Ok(Lookups { hits, misses }),
            _ => Err(CheckError::Unexpected {
                url: "/cache/stats".into(),
                what: format!("no counters for route {:?}", self.route),
            }),
        }
    }
}

impl Kind for HitRatioSpec {
    const NAME: &'static str = "hit_ratio";

    fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    fn target(&self, _: &Context) -> String {
        let target = format!("hit ratio ≥ {:.0} %", self.min * 100.0);
        match self.write_share {
            Some(share) => format!("{target} with {:.0} % writes", share * 100.0),
            None => target,
        }
    }

    fn limit(&self, ctx: &Context) -> Duration {
        self.timeout
            .unwrap_or_else(|| super::traffic::limit(self.traffic.as_ref(), ctx))
    }

    async fn measure(&self, ctx: &Context) -> Result<Outcome, CheckError> {
        let traffic = ctx.traffic(self.traffic.as_ref())?;
        let before = self.lookups(ctx).await?;
        let writes = match self.write_share {
            Some(share) => Some(super::price_writes::drive(ctx, traffic, share).await?),
            None => traffic.drive(ctx).await.map(|_| None)?,
        };
        let after = self.lookups(ctx).await?;
        let hits = after.hits.saturating_sub(before.hits);
        let lookups = hits + after.misses.saturating_sub(before.misses);
        let ratio = if lookups == 0 {
            0.0
        } else {
            hits as f64 / lookups as f64
        };
        let ok = lookups > 0 && ratio >= self.min;
        let what = traffic.describe();
        let message = message(
            ctx.lang(),
            (&what, writes),
            &self.target(ctx),
            (ratio, lookups, ok),
        );
        let mut details = vec![("lookups", lookups as f64)];
        if let Some(w) = writes {
            details.extend([("writes", w.writes as f64), ("write_share", w.share())]);
        }
        Ok(Outcome::judged(ok, Some(ratio), message).with_details(details))
    }
}

fn message(
    lang: Lang,
    (what, writes): (&str, Option<Writes>),
    target: &str,
    (ratio, lookups, ok): (f64, u64, bool),
) -> String {
    let pct = ratio * 100.0;
    if lookups == 0 {
        return lang.pick(
            format!("La caché no registró ninguna búsqueda en {what} (objetivo {target}): la ruta no se cachea. Revisa cache.backend y cache.endpoints."),
            format!("The cache saw no lookup on {what} (target {target}): the route is not cached. Check cache.backend and cache.endpoints."),
        );
    }
    let during = match writes {
        Some(w) => lang.pick(
            format!(
                " con {} escrituras de precio ({:.1} % de las peticiones)",
                w.writes,
                w.share() * 100.0
            ),
            format!(
                " with {} price writes ({:.1} % of requests)",
                w.writes,
                w.share() * 100.0
            ),
        ),
        None => String::new(),
    };
    let head = lang.pick(
        format!("La tasa de aciertos fue {pct:.1} % en {lookups} búsquedas de {what}{during} (objetivo {target})."),
        format!("Hit ratio was {pct:.1} % over {lookups} lookups on {what}{during} (target {target})."),
    );
    let hint = match writes {
        Some(_) => (
            "¿Borra cada escritura más de lo que cambió (toda la caché en vez de la entrada del producto)? ¿TTL demasiado corto? Mira GET /cache/stats.",
            "Does each write retire more than it changed (the whole cache instead of the product's entry)? A TTL too short? Look at GET /cache/stats.",
        ),
        None => (
            "¿TTL demasiado corto? ¿Claves que cambian en cada petición? Mira GET /cache/stats.",
            "A TTL too short? Keys that change per request? Look at GET /cache/stats.",
        ),
    };
    format!("{head} {}", next_step(lang, ok, hint))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_show_in_target_and_message() {
        let spec: HitRatioSpec = toml::from_str("min = 0.7\nwrite_share = 0.05").unwrap();
        let ctx = Context::new("http://x", Lang::En);
        assert_eq!(spec.target(&ctx), "hit ratio ≥ 70 % with 5 % writes");
        let writes = Writes {
            reads: 1900,
            writes: 100,
        };
        let text = message(
            Lang::En,
            ("GET /products/{id}", Some(writes)),
            &spec.target(&ctx),
            (0.65, 1900, false),
        );
        assert!(
            text.contains("65.0 % over 1900 lookups on GET /products/{id} with 100 price writes (5.0 % of requests)"),
            "{text}"
        );
        assert!(text.contains("retire more than it changed"), "{text}");
    }
}
