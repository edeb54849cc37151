//! `memory`: sends a request (the export, by default) a few times in a row
//! while sampling the shop process's resident memory (read through
//! `services::process_info`, the same on Linux, macOS and WSL2), and judges
//! the maximum. Needs the shop's pid, which the runner knows for the child it
//! started; without it (`--target URL`) the check is `NotApplicable`.
//!
//! With `max_growth_mb` it also judges growth (lab 4.3, "no growth across
//! three runs"): the RSS read right after the last request's body has been
//! read, minus the RSS read right after the first's. A buffered response
//! raises the peak; memory kept from one request to the next raises this.

use std::time::Duration;

use serde::Deserialize;

use super::verdict::next_step;
use super::{CheckError, Context, Kind, Outcome, Surface, Unit};
use crate::msg;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemorySpec {
    pub id: Option<String>,
    #[serde(default, with = "humantime_serde")]
    pub timeout: Option<Duration>,
    /// Why it must pass in the lab's starting state too (see `labs validate`).
    pub guard: Option<String>,
    #[serde(default = "default_path")]
    pub path: String,
    /// Requests in a row: memory that grows across them is a leak, not a peak.
    #[serde(default = "default_requests")]
    pub requests: u32,
    /// RSS must stay below this many MiB.
    pub below_mb: f64,
    /// RSS after the last request minus RSS after the first must stay ≤ this (MiB).
    pub max_growth_mb: Option<f64>,
    /// Requests sent at once in each run.
    #[serde(default = "default_concurrency")]
    pub concurrency: u32,
    /// Every answer must arrive without `Content-Length` (sent as it is read).
    #[serde(default)]
    pub streamed: bool,
}

fn default_concurrency() -> u32 {
    1
}

fn default_path() -> String {
    "/products/export".into()
}
fn default_requests() -> u32 {
    3
}

/// How often the RSS is read while the requests run.
const SAMPLE_EVERY: Duration = Duration::from_millis(20);

/// The resident memory of process `pid` in MiB.
pub async fn read_rss(pid: u32) -> Result<f64, CheckError> {
    // A read of the process table: blocking, and short.
    tokio::task::spawn_blocking(move || crate::services::process_info::rss_mb(pid))
        .await
        .ok()
        .flatten()
        .ok_or(CheckError::Unavailable(Surface::Process))
}

impl MemorySpec {
    /// Runs the requests one after another (each run `concurrency` at once),
    /// reading every body to its end; returns the RSS right after each run
    /// and the largest `Content-Length` an answer declared.
    async fn requests(&self, ctx: &Context, pid: u32) -> Result<Runs, CheckError> {
        let url = ctx.url(&self.path);
        let mut runs = Runs::default();
        for _ in 0..self.requests.max(1) {
            let one = || async {
                let response = ctx.send(ctx.http.get(&url), &url).await?;
                let declared = response
                    .headers()
                    .get(reqwest::header::CONTENT_LENGTH)
                    .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
                response.bytes().await.map_err(|source| CheckError::Http {
                    url: url.clone(),
                    source,
                })?;
                Ok::<_, CheckError>(declared)
            };
            let lengths =
                futures::future::try_join_all((0..self.concurrency.max(1)).map(|_| one())).await?;
            runs.declared = lengths.into_iter().flatten().chain(runs.declared).max();
            runs.after.push(read_rss(pid).await?);
        }
        Ok(runs)
    }
}

/// What the runs of requests saw.
#[derive(Debug, Default)]
struct Runs {
    /// RSS right after each run, MiB.
    after: Vec<f64>,
    /// The largest `Content-Length` an answer carried.
    declared: Option<u64>,
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

    fn guard(&self) -> Option<&str> {
        self.guard.as_deref()
    }

    fn target(&self, ctx: &Context) -> String {
        let below = Unit::Megabytes.target(self.below_mb);
        let memory = match self.max_growth_mb {
            Some(growth) => msg!(
                ctx.text,
                "check-memory-target-growth",
                below = below,
                growth = Unit::Megabytes.target(growth),
                runs = self.requests.max(1)
            ),
            None => msg!(ctx.text, "check-memory-target", below = below),
        };
        let mut target = match self.concurrency {
            0 | 1 => memory,
            at_once => msg!(
                ctx.text,
                "check-memory-target-concurrent",
                target = memory,
                at_once = at_once
            ),
        };
        if self.streamed {
            target = msg!(ctx.text, "check-memory-target-streamed", target = target);
        }
        target
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
        let runs = loop {
            tokio::select! {
                done = &mut requests => break done?,
                _ = tick.tick() => max = max.max(read_rss(pid).await?),
            }
        };
        max = runs.after.iter().copied().fold(max, f64::max);
        let growth = growth(&runs.after);
        let peak_ok = max < self.below_mb;
        let growth_ok = self.max_growth_mb.is_none_or(|bound| growth <= bound);
        let buffered = runs.declared.filter(|_| self.streamed);
        let ok = peak_ok && growth_ok && buffered.is_none();
        let measured = Measured {
            max,
            growth: self.max_growth_mb.map(|_| growth),
            peak_ok,
            buffered,
        };
        let message = message(ctx, &self.path, &self.target(ctx), &measured, ok);
        Ok(Outcome::measured(ok, max, Unit::Megabytes, message)
            .with_details([("growth_mb", growth)]))
    }
}

/// What a run measured, for the message.
struct Measured {
    max: f64,
    /// Judged growth, when the lab asks for it.
    growth: Option<f64>,
    peak_ok: bool,
    /// The `Content-Length` of a buffered answer, when the lab asks for a
    /// streamed one.
    buffered: Option<u64>,
}

fn message(ctx: &Context, path: &str, target: &str, m: &Measured, ok: bool) -> String {
    let text = &ctx.text;
    let max = Unit::Megabytes.format(m.max);
    let head = match m.growth {
        Some(growth) => msg!(
            text,
            "check-memory-head-growth",
            max = max,
            path = path,
            growth = format!("{growth:.1} MB"),
            target = target
        ),
        None => msg!(
            text,
            "check-memory-head",
            max = max,
            path = path,
            target = target
        ),
    };
    let head = match m.buffered {
        Some(length) => format!(
            "{head} {}",
            msg!(text, "check-memory-buffered", length = length)
        ),
        None => head,
    };
    let next = next_step(text, ok, || match (m.peak_ok, m.buffered) {
        (true, None) => msg!(text, "check-memory-hint-growth"),
        _ => msg!(text, "check-memory-hint-peak", mode = ctx.mode()),
    });
    format!("{head} {next}")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `VmRSS` of a `/proc/<pid>/status` text, in MiB: what Linux itself says.
    #[cfg(target_os = "linux")]
    fn vm_rss_mb(status: &str) -> Option<f64> {
        let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
        let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kb / 1024.0)
    }

    /// The portable reading agrees with the kernel's own VmRSS: the same
    /// order of magnitude (within a factor of two, as memory moves between
    /// the two reads), with 64 MiB touched in between so the number is not
    /// just the binary's size.
    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn rss_agrees_with_proc_status() {
        let held = vec![1u8; 64 * 1024 * 1024];
        let pid = std::process::id();
        let portable = read_rss(pid).await.expect("our own memory");
        let status = std::fs::read_to_string("/proc/self/status").expect("/proc");
        let kernel = vm_rss_mb(&status).expect("a VmRSS line");
        assert!(held.iter().step_by(4096).all(|b| *b == 1));
        assert!(kernel > 64.0, "{kernel} MiB");
        let ratio = portable / kernel;
        assert!(
            (0.5..2.0).contains(&ratio),
            "sysinfo {portable} MiB vs VmRSS {kernel} MiB"
        );
    }

    #[tokio::test]
    async fn a_gone_process_has_no_memory_to_read() {
        let mut child = std::process::Command::new("true").spawn().expect("true");
        let pid = child.id();
        child.wait().expect("reaped");
        assert!(matches!(
            read_rss(pid).await,
            Err(CheckError::Unavailable(Surface::Process))
        ));
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
        let ctx = Context::new("http://x", crate::check::Lang::En);
        let target = spec.target(&ctx);
        assert_eq!(target, "RSS < 512 MB, growth ≤ 5 MB across 3 runs");
        let m = Measured {
            max: 200.0,
            growth: Some(60.0),
            peak_ok: true,
            buffered: None,
        };
        let text = message(&ctx, "/products/export", &target, &m, false);
        assert!(
            text.contains("grew 60.0 MB") && text.contains("kept between requests"),
            "{text}"
        );
    }

    #[test]
    fn a_declared_length_is_a_buffered_answer_when_the_lab_asks_for_streaming() {
        let spec: MemorySpec =
            toml::from_str("below_mb = 128\nconcurrency = 4\nstreamed = true").unwrap();
        let ctx = Context::new("http://x", crate::check::Lang::En);
        let target = spec.target(&ctx);
        assert_eq!(
            target,
            "RSS < 128 MB with 4 requests at once, sent as streamed"
        );
        let m = Measured {
            max: 30.0,
            growth: None,
            peak_ok: true,
            buffered: Some(312_345),
        };
        let shop = ctx.with_control("http://c", "t");
        let text = message(&shop, "/products/export", &target, &m, false);
        assert!(text.contains("Content-Length: 312345"), "{text}");
        assert!(text.contains("export.mode"), "{text}");
        let es = Context::new("http://x", crate::check::Lang::Es);
        assert_eq!(
            spec.target(&es),
            "RSS < 128 MB con 4 peticiones a la vez, enviada por partes"
        );
    }
}
