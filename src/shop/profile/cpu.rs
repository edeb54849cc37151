//! A sampling CPU profile of the shop process (every thread), on demand:
//! pprof's `SIGPROF` timer samples the stacks of whatever is on a CPU, so
//! idle threads cost nothing and show nothing. The answer carries the
//! flamegraph SVG (inferno, through pprof) and the hottest frames by *self*
//! samples (the innermost frame of each stack: where the CPU actually was).
//!
//! One profile at a time per process (pprof's profiler is global); a second
//! request while one runs is refused ([`CpuError::Busy`]). Unix only: on
//! other systems [`sample`] says so in one line.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Samples per second: pprof's usual 99 Hz would give ~200 samples in two
/// seconds; 199 Hz keeps a short profile readable at a few % overhead.
pub const FREQUENCY: i32 = 199;

/// How many frames [`Profile::top`] keeps.
pub const TOP_FRAMES: usize = 15;

/// The longest window the control API accepts.
pub const MAX_SECONDS: u64 = 60;

/// What `POST /profile` answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    pub seconds: u64,
    /// Stacks sampled in the window (all threads).
    pub samples: u64,
    /// The hottest functions by self samples, most first.
    pub top: Vec<TopFrame>,
    /// The flamegraph, an SVG document (empty when nothing was sampled).
    pub svg: String,
}

/// One function and the samples whose innermost frame it was.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TopFrame {
    pub function: String,
    pub samples: u64,
    /// Share of all samples, 0–1.
    pub share: f64,
}

/// Why no profile was taken.
#[derive(Debug, thiserror::Error)]
pub enum CpuError {
    #[error("another CPU profile is running in this shop; wait for it to finish")]
    Busy,
    #[error("CPU profiles need a unix system (Linux or macOS); this one is not")]
    Unsupported,
    #[error("the CPU profiler failed: {0}")]
    Profiler(String),
}

/// Samples this process for `window`, on a blocking thread (the window is
/// what is being measured, not a wait for something else); the flamegraph
/// is drawn only when asked for (`svg` stays empty otherwise: a caller that
/// shows the top frames does not make the shop draw what it throws away).
pub async fn sample(window: Duration, flamegraph: bool) -> Result<Profile, CpuError> {
    tokio::task::spawn_blocking(move || imp::sample(window, flamegraph))
        .await
        .map_err(|e| CpuError::Profiler(e.to_string()))?
}

/// Frames of the profiler itself (its signal handler and the unwinder) sit
/// innermost in every stack: skipped when naming where the CPU was.
fn is_profiler_frame(name: &str) -> bool {
    name.starts_with("pprof::")
        || name.starts_with("backtrace::")
        || name.contains("perf_signal_handler")
        || name == "__restore_rt"
}

/// `foo::bar::h0123456789abcdef` → `foo::bar`: the hash tells nothing to a reader.
fn without_hash(name: &str) -> &str {
    match name.rsplit_once("::h") {
        Some((head, hash)) if hash.len() == 16 && hash.chars().all(|c| c.is_ascii_hexdigit()) => {
            head
        }
        _ => name,
    }
}

/// The innermost frame that is not the profiler's. Inlined frames carry a
/// bare name (`{async_fn#0}`, `atomic_add<usize>`) in line-table debug
/// info: such a name gets the nearest enclosing path-qualified function in
/// front, so a reader can tell which `async fn` it was.
fn leaf_name(names: &[String]) -> String {
    let mut frames = names
        .iter()
        .map(|n| without_hash(n))
        .skip_while(|n| is_profiler_frame(n));
    let Some(leaf) = frames.next() else {
        return "Unknown".to_string();
    };
    if leaf.contains("::") {
        return leaf.to_string();
    }
    match frames.find(|n| n.contains("::")) {
        Some(outer) => format!("{outer} › {leaf}"),
        None => leaf.to_string(),
    }
}

/// The top frames from `(innermost-first function names, samples)` stacks.
fn top_frames<'a>(stacks: impl Iterator<Item = (Vec<String>, u64)> + 'a) -> (u64, Vec<TopFrame>) {
    let mut by_function = std::collections::HashMap::<String, u64>::new();
    let mut total = 0u64;
    for (names, count) in stacks {
        total += count;
        *by_function.entry(leaf_name(&names)).or_default() += count;
    }
    let mut top: Vec<TopFrame> = by_function
        .into_iter()
        .map(|(function, samples)| TopFrame {
            share: samples as f64 / total.max(1) as f64,
            function,
            samples,
        })
        .collect();
    top.sort_by(|a, b| b.samples.cmp(&a.samples).then(a.function.cmp(&b.function)));
    top.truncate(TOP_FRAMES);
    (total, top)
}

#[cfg(unix)]
mod imp {
    use super::{CpuError, FREQUENCY, Profile, top_frames};
    use std::time::Duration;

    pub fn sample(window: Duration, flamegraph: bool) -> Result<Profile, CpuError> {
        let guard = pprof::ProfilerGuardBuilder::default()
            .frequency(FREQUENCY)
            // Unwinding inside these from a signal handler can deadlock (pprof's README).
            .blocklist(&["libc", "libgcc", "pthread", "vdso"])
            .build()
            .map_err(|e| match e {
                pprof::Error::Running => CpuError::Busy,
                other => CpuError::Profiler(other.to_string()),
            })?;
        std::thread::sleep(window);
        let report = guard
            .report()
            .build()
            .map_err(|e| CpuError::Profiler(e.to_string()))?;
        drop(guard);
        let stacks = report.data.iter().map(|(frames, &count)| {
            let names = frames
                .frames
                .iter()
                .flat_map(|frame| frame.iter().map(|symbol| symbol.name()))
                .collect();
            (names, u64::try_from(count).unwrap_or(0))
        });
        let (samples, top) = top_frames(stacks);
        let mut svg = Vec::new();
        if flamegraph {
            report
                .flamegraph(&mut svg)
                .map_err(|e| CpuError::Profiler(e.to_string()))?;
        }
        Ok(Profile {
            seconds: window.as_secs(),
            samples,
            top,
            svg: String::from_utf8_lossy(&svg).into_owned(),
        })
    }
}

#[cfg(not(unix))]
mod imp {
    use super::{CpuError, Profile};
    use std::time::Duration;

    pub fn sample(_: Duration, _: bool) -> Result<Profile, CpuError> {
        Err(CpuError::Unsupported)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn self_time_skips_the_profiler_and_the_hash() {
        let stacks = vec![
            (
                vec![
                    "backtrace::trace::h3e91a3123a3049a5".to_string(),
                    "pprof::profiler::perf_signal_handler::h7b995c4ab2e66493".to_string(),
                    "rust_decimal::ops::mul::h0123456789abcdef".to_string(),
                    "perflab::main".to_string(),
                ],
                3,
            ),
            (vec!["sqlx_core::row::try_get".to_string()], 1),
        ];
        let (total, top) = top_frames(stacks.into_iter());
        assert_eq!(total, 4);
        assert_eq!(top[0].function, "rust_decimal::ops::mul");
        assert_eq!(top[0].samples, 3);
        assert!((top[0].share - 0.75).abs() < 1e-9);
    }

    #[test]
    fn a_bare_inlined_name_gets_its_enclosing_function() {
        let names = [
            "pprof::profiler::perf_signal_handler",
            "{async_fn#0}",
            "atomic_add<usize>",
            "perflab::shop::routes::reports::top_products::{{closure}}",
        ]
        .map(String::from);
        assert_eq!(
            leaf_name(&names),
            "perflab::shop::routes::reports::top_products::{{closure}} › {async_fn#0}"
        );
    }
}
