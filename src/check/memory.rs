//! `memory`: sends a request (the export, by default) a few times in a row
//! while sampling the shop process's resident memory (`VmRSS` in
//! `/proc/<pid>/status`), and judges the maximum. Needs the shop's pid, which
//! the runner knows for the child it started; without it (`--target URL`, or
//! not Linux) the check is `NotApplicable`.
//!
//! With `max_growth_mb` it also judges growth (lab 4.3, "no growth across
//! three runs"): the RSS read right after the last request's body has been
//! read, minus the RSS read right after the first's. A buffered response
//! raises the peak; memory kept from one request to the next raises this.

use std::time::Duration;

use serde::Deserialize;

use super::verdict::next_step;
use super::{CheckError, Context, Kind, Lang, Outcome, Surface};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemorySpec {
    pub id: Option<String>,
    #[serde(default, with = "humantime_serde")]
    pub timeout: Option<Duration>,
    #[serde(default = "default_path")]
    pub path: String,
    /// Requests in a row: memory that grows across them is a leak, not a peak.
    #[serde(default = "default_requests")]
    pub requests: u32,
    /// RSS must stay below this many MiB.
    pub below_mb: f64,
    /// RSS after the last request minus RSS after the first must stay ≤ this (MiB).
    pub max_growth_mb: Option<f64>,
}

fn default_path() -> String {
    "/products/export".into()
}
fn default_requests() -> u32 {
    3
}

/// How often the RSS is read while the requests run.
const SAMPLE_EVERY: Duration = Duration::from_millis(20);

/// `VmRSS` of `status` (a `/proc/<pid>/status` text) in MiB.
fn rss_mb(status: &str) -> Option<f64> {
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// The resident memory of process `pid` in MiB (Linux `/proc`).
pub async fn read_rss(pid: u32) -> Result<f64, CheckError> {
    let path = format!("/proc/{pid}/status");
    let unavailable = |_| CheckError::Unavailable(Surface::Process);
    let status = tokio::fs::read_to_string(&path)
        .await
        .map_err(unavailable)?;
    rss_mb(&status).ok_or(CheckError::Unexpected {
        url: path,
        what: "no VmRSS line".into(),
    })
}

impl MemorySpec {
    /// Sends the requests one after another, reading each body to its end,
    /// and returns the RSS right after each.
    async fn requests(&self, ctx: &Context, pid: u32) -> Result<Vec<f64>, CheckError> {
        let url = ctx.url(&self.path);
        let mut after = Vec::new();
        for _ in 0..self.requests.max(1) {
            let response = ctx.send(ctx.http.get(&url), &url).await?;
            response.bytes().await.map_err(|source| CheckError::Http {
                url: url.clone(),
                source,
            })?;
            after.push(read_rss(pid).await?);
        }
        Ok(after)
    }
}

/// RSS after the last request minus RSS after the first.
fn growth(after: &[f64]) -> f64 {
    match (after.first(), after.last()) {
        (Some(first), Some(last)) => last - first,
        _ => 0.0,
    }
}

impl Kind for MemorySpec {
    const NAME: &'static str = "memory";

    fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    fn target(&self, _: &Context) -> String {
        let target = format!("RSS < {} MB", self.below_mb);
        match self.max_growth_mb {
            Some(growth) => format!(
                "{target}, growth ≤ {growth} MB across {} runs",
                self.requests.max(1)
            ),
            None => target,
        }
    }

    fn limit(&self, _: &Context) -> Duration {
        self.timeout.unwrap_or(Duration::from_secs(60))
    }

    async fn measure(&self, ctx: &Context) -> Result<Outcome, CheckError> {
        let pid = ctx
            .shop_pid
            .ok_or(CheckError::Unavailable(Surface::Process))?;
        let mut max = read_rss(pid).await?;
        let requests = self.requests(ctx, pid);
        tokio::pin!(requests);
        let mut tick = tokio::time::interval(SAMPLE_EVERY);
        let after = loop {
            tokio::select! {
                done = &mut requests => break done?,
                _ = tick.tick() => max = max.max(read_rss(pid).await?),
            }
        };
        max = after.iter().copied().fold(max, f64::max);
        let growth = growth(&after);
        let peak_ok = max < self.below_mb;
        let growth_ok = self.max_growth_mb.is_none_or(|bound| growth <= bound);
        let ok = peak_ok && growth_ok;
        let measured = Measured {
            max,
            growth: self.max_growth_mb.map(|_| growth),
            peak_ok,
        };
        let message = message(ctx.lang(), &self.path, &self.target(ctx), &measured, ok);
        Ok(Outcome::judged(ok, Some(max), message).with_details([("growth_mb", growth)]))
    }
}

/// What a run measured, for the message.
struct Measured {
    max: f64,
    /// Judged growth, when the lab asks for it.
    growth: Option<f64>,
    peak_ok: bool,
}

fn message(lang: Lang, path: &str, target: &str, m: &Measured, ok: bool) -> String {
    let max = m.max;
    let growth = match m.growth {
        Some(g) => lang.pick(
            format!(" y creció {g:.1} MB de la primera petición a la última"),
            format!(" and grew {g:.1} MB from the first request to the last"),
        ),
        None => String::new(),
    };
    let head = lang.pick(
        format!("La memoria residente de la tienda llegó a {max:.1} MB durante GET {path}{growth} (objetivo {target})."),
        format!("The shop's resident memory reached {max:.1} MB during GET {path}{growth} (target {target})."),
    );
    let hint = match m.peak_ok {
        true => (
            "La memoria crece de una petición a otra: ¿queda algo guardado entre peticiones (un búfer, una caché sin límite)?",
            "Memory grows from one request to the next: is something kept between requests (a buffer, an unbounded cache)?",
        ),
        false => (
            "¿Se arma la respuesta entera en memoria? Prueba export.mode = \"streamed\".",
            "Is the whole response built in memory? Try export.mode = \"streamed\".",
        ),
    };
    format!("{head} {}", next_step(lang, ok, hint))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_vm_rss_in_mib() {
        let status = "Name:\tperflab\nVmPeak:\t  9000 kB\nVmRSS:\t  20480 kB\nThreads:\t4\n";
        assert_eq!(rss_mb(status), Some(20.0));
        assert_eq!(rss_mb("Name:\tx\n"), None);
    }

    #[test]
    fn growth_is_last_minus_first() {
        assert_eq!(growth(&[100.0, 130.0, 160.0]), 60.0);
        assert_eq!(growth(&[100.0]), 0.0);
        assert_eq!(growth(&[]), 0.0);
    }

    #[test]
    fn growth_shows_in_target_and_message() {
        let spec: MemorySpec = toml::from_str("below_mb = 512\nmax_growth_mb = 5").unwrap();
        let ctx = Context::new("http://x", Lang::En);
        let target = spec.target(&ctx);
        assert_eq!(target, "RSS < 512 MB, growth ≤ 5 MB across 3 runs");
        let m = Measured {
            max: 200.0,
            growth: Some(60.0),
            peak_ok: true,
        };
        let text = message(Lang::En, "/products/export", &target, &m, false);
        assert!(
            text.contains("grew 60.0 MB") && text.contains("kept between requests"),
            "{text}"
        );
    }
}
