//! `baseline`: lab 1.1's measurement. With the cache off (as `/health`
//! reports it; an API that reports no cache counts as off) it drives each of
//! the lab's traffic profiles and passes when each got enough requests,
//! returning `{profile}.p50_ms`, `.p95_ms`, `.p99_ms`, `.rps`, `.requests` as
//! details — what the runner keeps as the student's baseline and later labs'
//! relative targets compare with. Once a baseline exists, a shop with the
//! cache on (later in the day) passes without re-measuring: the baseline is
//! kept, not overwritten by a cached run.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;

use super::context::json;
use super::{CheckError, Context, Kind, Lang, Outcome, TrafficSpec, ms};
use crate::load::StatusClass;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BaselineSpec {
    pub id: Option<String>,
    #[serde(default, with = "humantime_serde")]
    pub timeout: Option<Duration>,
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

impl Kind for BaselineSpec {
    const NAME: &'static str = "baseline";

    fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    fn target(&self, _: &Context) -> String {
        format!(
            "cache off, ≥ {} requests on each of {}",
            self.min_requests,
            self.profiles.keys().cloned().collect::<Vec<_>>().join(", ")
        )
    }

    fn limit(&self, _: &Context) -> Duration {
        let runs: Duration = self.profiles.values().map(|t| t.duration).sum();
        self.timeout
            .unwrap_or(runs + Duration::from_secs(20 * self.profiles.len() as u64))
    }

    async fn measure(&self, ctx: &Context) -> Result<Outcome, CheckError> {
        let backend = cache_backend(ctx).await?;
        let cached = backend.as_deref().is_some_and(|b| b != "off");
        if cached {
            return Ok(match &ctx.baseline {
                Some(kept) => kept_baseline(ctx.lang(), kept),
                None => Outcome::judged(
                    false,
                    Some(0.0),
                    cache_on(ctx.lang(), backend.as_deref().unwrap_or("?")),
                ),
            });
        }
        let mut details = Vec::new();
        let mut short = Vec::new();
        let mut lines = Vec::new();
        for (name, traffic) in &self.profiles {
            let snapshot = traffic.drive(ctx).await?;
            let ok = snapshot.total.class(StatusClass::Success);
            let served = ok.map_or(0, |c| c.count);
            let latency =
                |f: fn(&crate::load::Latency) -> u64| ok.map_or(0.0, |c| ms(f(&c.latency)));
            let (p50, p95, p99) = (
                latency(|l| l.p50_us),
                latency(|l| l.p95_us),
                latency(|l| l.p99_us),
            );
            details.extend([
                (format!("{name}.p50_ms"), p50),
                (format!("{name}.p95_ms"), p95),
                (format!("{name}.p99_ms"), p99),
                (format!("{name}.rps"), snapshot.total.rps),
                (format!("{name}.requests"), served as f64),
            ]);
            if served < self.min_requests {
                short.push(name.clone());
            }
            lines.push(format!(
                "{name}: {served} req, p50 {p50:.1} / p95 {p95:.1} / p99 {p99:.1} ms, {:.0} req/s",
                snapshot.total.rps
            ));
        }
        let ok = short.is_empty();
        let message = measured(ctx.lang(), &lines.join("; "), &short, self.min_requests);
        let least = details
            .iter()
            .filter(|(k, _)| k.ends_with(".requests"))
            .map(|(_, v)| *v)
            .fold(f64::INFINITY, f64::min);
        let outcome = Outcome::judged(ok, Some(least), message);
        Ok(Outcome {
            details: details.into_iter().collect(),
            ..outcome
        })
    }
}

fn kept_baseline(lang: Lang, kept: &BTreeMap<String, f64>) -> Outcome {
    let p95: Vec<String> = kept
        .iter()
        .filter(|(k, _)| k.ends_with(".p95_ms"))
        .map(|(k, v)| format!("{} p95 {v:.1} ms", k.trim_end_matches(".p95_ms")))
        .collect();
    let requests = kept
        .iter()
        .filter(|(k, _)| k.ends_with(".requests"))
        .map(|(_, v)| *v)
        .fold(f64::INFINITY, f64::min);
    Outcome::judged(
        true,
        Some(requests),
        lang.pick(
            format!("Tu línea base ya está medida ({}); con la caché encendida no se vuelve a medir. Para repetirla, apaga la caché y vuelve a comprobar.", p95.join(", ")),
            format!("Your baseline is already measured ({}); with the cache on it is not measured again. To redo it, turn the cache off and check again.", p95.join(", ")),
        ),
    )
}

fn cache_on(lang: Lang, backend: &str) -> String {
    lang.pick(
        format!("La caché está encendida (cache.backend = \"{backend}\"): una línea base medida a través de una caché mide la caché, no tu API. Pon cache.backend = \"off\" en shop.toml y vuelve a comprobar."),
        format!("The cache is on (cache.backend = \"{backend}\"): a baseline measured through a cache measures the cache, not your API. Set cache.backend = \"off\" in shop.toml and check again."),
    )
}

fn measured(lang: Lang, lines: &str, short: &[String], min: u64) -> String {
    match short.is_empty() {
        true => lang.pick(
            format!("Línea base medida con la caché apagada: {lines}. Los laboratorios siguientes se comparan con ella."),
            format!("Baseline measured with the cache off: {lines}. The labs that follow compare with it."),
        ),
        false => lang.pick(
            format!("Muy pocas peticiones en {} (mínimo {min}): {lines}. ¿Responde la tienda con errores o muy despacio? Mira /health y vuelve a comprobar en una máquina tranquila.", short.join(", ")),
            format!("Too few requests on {} (at least {min}): {lines}. Is the shop failing or very slow? Look at /health and check again on a quiet machine.", short.join(", ")),
        ),
    }
}
