//! The shop process's resident memory over time (lab 4.3): one reading a
//! second, the last five minutes kept, and the peak since the process
//! started, served by the control API at `GET /memory`.
//!
//! Memory belongs to the process, not to one shop instance, so there is one
//! sampler per process, on a thread of its own: it outlives any one tokio
//! runtime (tests start and stop many) and costs one process-table read a
//! second (`sysinfo`, portable to macOS and WSL2).

use std::collections::VecDeque;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Serialize;
use sysinfo::{Pid, ProcessRefreshKind, ProcessesToUpdate, System};

/// How often the sampler reads.
pub const EVERY: Duration = Duration::from_secs(1);

/// How many readings are kept (five minutes at one a second).
pub const KEPT: usize = 300;

/// One reading.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Reading {
    /// Milliseconds since the Unix epoch.
    pub at_ms: u64,
    pub rss_mb: f64,
}

/// What `GET /memory` answers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MemorySnapshot {
    /// The latest reading, `None` before the first.
    pub rss_mb: Option<f64>,
    /// The highest reading since the sampler started.
    pub peak_mb: Option<f64>,
    /// Oldest first.
    pub readings: Vec<Reading>,
}

#[derive(Debug, Default)]
struct History {
    readings: VecDeque<Reading>,
    peak_mb: Option<f64>,
}

impl History {
    fn push(&mut self, reading: Reading) {
        self.peak_mb = Some(
            self.peak_mb
                .map_or(reading.rss_mb, |p| p.max(reading.rss_mb)),
        );
        if self.readings.len() == KEPT {
            self.readings.pop_front();
        }
        self.readings.push_back(reading);
    }

    fn snapshot(&self) -> MemorySnapshot {
        MemorySnapshot {
            rss_mb: self.readings.back().map(|r| r.rss_mb),
            peak_mb: self.peak_mb,
            readings: self.readings.iter().copied().collect(),
        }
    }
}

static HISTORY: OnceLock<Mutex<History>> = OnceLock::new();

fn history() -> &'static Mutex<History> {
    HISTORY.get_or_init(|| {
        let spawned = std::thread::Builder::new()
            .name("perflab-rss".into())
            .spawn(sample_forever);
        if let Err(error) = spawned {
            tracing::warn!(%error, "no memory sampler: GET /memory stays empty");
        }
        Mutex::new(History::default())
    })
}

/// Starts the sampler (once per process; later calls do nothing).
pub fn start_sampling() {
    history();
}

/// The readings so far.
pub fn snapshot() -> MemorySnapshot {
    history()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .snapshot()
}

fn sample_forever() {
    let pid = Pid::from_u32(std::process::id());
    let mut system = System::new();
    loop {
        system.refresh_processes_specifics(
            ProcessesToUpdate::Some(&[pid]),
            true,
            ProcessRefreshKind::nothing().with_memory(),
        );
        if let Some(process) = system.process(pid) {
            let at_ms = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_millis() as u64);
            let reading = Reading {
                at_ms,
                rss_mb: process.memory() as f64 / (1024.0 * 1024.0),
            };
            if let Some(history) = HISTORY.get() {
                history
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(reading);
            }
        }
        std::thread::sleep(EVERY);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reading(at_ms: u64, rss_mb: f64) -> Reading {
        Reading { at_ms, rss_mb }
    }

    #[test]
    fn keeps_the_newest_readings_and_the_peak_of_all() {
        let mut history = History::default();
        history.push(reading(0, 500.0));
        for k in 1..=KEPT as u64 + 5 {
            history.push(reading(k, 20.0 + (k % 7) as f64));
        }
        let snapshot = history.snapshot();
        assert_eq!(snapshot.readings.len(), KEPT);
        assert_eq!(snapshot.readings[0].at_ms, 6, "the oldest five went");
        assert_eq!(
            snapshot.peak_mb,
            Some(500.0),
            "the peak outlives its reading"
        );
        let last = KEPT as u64 + 5;
        assert_eq!(snapshot.rss_mb, Some(20.0 + (last % 7) as f64));
    }

    #[test]
    fn an_empty_history_says_nothing_yet() {
        let snapshot = History::default().snapshot();
        assert_eq!((snapshot.rss_mb, snapshot.peak_mb), (None, None));
        assert!(snapshot.readings.is_empty());
    }
}
