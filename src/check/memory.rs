//! `memory`: sends a request (the export, by default) a few times in a row
//! while sampling the shop process's resident memory (`VmRSS` in
//! `/proc/<pid>/status`), and judges the maximum. Needs the shop's pid, which
//! the runner knows for the child it started; without it (`--target URL`, or
//! not Linux) the check is `NotApplicable`.

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

async fn read_rss(pid: u32) -> Result<f64, CheckError> {
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
    /// Sends the requests one after another, reading each body to its end.
    async fn requests(&self, ctx: &Context) -> Result<(), CheckError> {
        let url = ctx.url(&self.path);
        for _ in 0..self.requests.max(1) {
            let response = ctx.send(ctx.http.get(&url), &url).await?;
            response.bytes().await.map_err(|source| CheckError::Http {
                url: url.clone(),
                source,
            })?;
        }
        Ok(())
    }
}

impl Kind for MemorySpec {
    const NAME: &'static str = "memory";

    fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    fn target(&self, _: &Context) -> String {
        format!("RSS < {} MB", self.below_mb)
    }

    fn limit(&self, _: &Context) -> Duration {
        self.timeout.unwrap_or(Duration::from_secs(60))
    }

    async fn measure(&self, ctx: &Context) -> Result<Outcome, CheckError> {
        let pid = ctx
            .shop_pid
            .ok_or(CheckError::Unavailable(Surface::Process))?;
        let mut max = read_rss(pid).await?;
        let requests = self.requests(ctx);
        tokio::pin!(requests);
        let mut tick = tokio::time::interval(SAMPLE_EVERY);
        loop {
            tokio::select! {
                done = &mut requests => break done?,
                _ = tick.tick() => max = max.max(read_rss(pid).await?),
            }
        }
        max = max.max(read_rss(pid).await?);
        let ok = max < self.below_mb;
        let message = message(ctx.lang, &self.path, &self.target(ctx), (max, ok));
        Ok(Outcome::judged(ok, Some(max), message))
    }
}

fn message(lang: Lang, path: &str, target: &str, (max, ok): (f64, bool)) -> String {
    let head = lang.pick(
        format!("La memoria residente de la tienda llegó a {max:.1} MB durante GET {path} (objetivo {target})."),
        format!("The shop's resident memory reached {max:.1} MB during GET {path} (target {target})."),
    );
    let next = next_step(
        lang,
        ok,
        (
            "¿Se arma la respuesta entera en memoria? Prueba export.mode = \"streamed\".",
            "Is the whole response built in memory? Try export.mode = \"streamed\".",
        ),
    );
    format!("{head} {next}")
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
}
