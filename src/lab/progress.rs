//! The student's progress through the day: one versioned JSON file
//! (`progress.json` in the workspace) that the CLI, the TUI and the graders read.
//!
//! Per lab it keeps the status, check runs, hints used, when the solution was
//! revealed and the best value ever measured per metric; for the day it keeps
//! the baseline lab 1.1 measured (later labs report "improvement vs baseline")
//! and the lab to resume at. Each lab also keeps its last [`HISTORY_LIMIT`]
//! attempts (when, passed or not, what each check measured): the attempts over
//! time that `perflab report` draws.
//!
//! Version 2 added that history. A version 1 file reads as it is (no history
//! yet) and is written back as version 2; a perflab that knows only version 1
//! refuses a version 2 file untouched rather than moving it aside as corrupt.
//!
//! Two promises, because this file is a student's whole day:
//! - it is written atomically ([`super::atomic_file`]): a crash, a kill or a
//!   full disk leaves the previous complete file, never a truncated one;
//! - it is never silently thrown away: a corrupt file is moved aside to
//!   `progress.json.corrupt-<timestamp>` and reported ([`Loaded::Recovered`]),
//!   and a file from a newer perflab is refused untouched
//!   ([`ProgressError::TooNew`]).

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::atomic_file::{atomic_write, rename_noclobber};
use crate::messages::Text;
use crate::msg;

/// The format version this perflab writes and the newest it reads.
pub const PROGRESS_VERSION: u32 = 2;

/// How many attempts a lab's history keeps; older ones are dropped first.
pub const HISTORY_LIMIT: usize = 50;

/// The progress file's name inside a workspace.
pub const PROGRESS_FILE: &str = "progress.json";

/// Everything the student has done, keyed by lab id (`1.3-cache-aside`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Progress {
    version: u32,
    /// The lab to resume at.
    current: Option<String>,
    baseline: Option<Baseline>,
    #[serde(default)]
    labs: BTreeMap<String, LabProgress>,
}

/// One lab's record.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabProgress {
    pub status: LabStatus,
    /// Check runs, passed or not.
    pub attempts: u32,
    pub hints_used: u32,
    /// When the solution was first revealed (`None`: never).
    pub solution_revealed_at: Option<DateTime<Utc>>,
    /// The best value measured per metric (`p95_ms`, `hit_ratio`, …).
    #[serde(default)]
    pub best: BTreeMap<String, Best>,
    pub first_attempt_at: Option<DateTime<Utc>>,
    pub last_attempt_at: Option<DateTime<Utc>>,
    /// The last [`HISTORY_LIMIT`] attempts, oldest first (none before version 2).
    #[serde(default)]
    pub history: Vec<Attempt>,
}

/// One check run of a lab, as the history keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Attempt {
    pub at: DateTime<Utc>,
    pub passed: bool,
    /// What each check measured, by check id (finite values only).
    #[serde(default)]
    pub measured: BTreeMap<String, f64>,
}

/// Where a lab stands. `Passed` stays passed when a later experiment fails:
/// it records that the student met the targets, which grading counts; the
/// live verdict is what `perflab check` prints.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LabStatus {
    #[default]
    NotStarted,
    InProgress,
    Passed,
}

/// Which way a metric improves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Better {
    /// Latencies, errors, memory, connections.
    Lower,
    /// Hit ratio, requests per second.
    Higher,
}

/// The best value of one metric, with the direction it was judged by.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Best {
    pub value: f64,
    pub better: Better,
}

/// One value a check measured.
#[derive(Debug, Clone, PartialEq)]
pub struct Measurement {
    pub metric: String,
    pub value: f64,
    pub better: Better,
}

/// What lab 1.1 measured with every optimisation off.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    pub measurements: BTreeMap<String, f64>,
    pub at: DateTime<Utc>,
}

/// What [`Progress::load`] found.
#[derive(Debug)]
pub enum Loaded {
    /// No progress file yet: a fresh start.
    Fresh(Progress),
    /// The file, read as saved.
    Found(Progress),
    /// The file was corrupt: it now lives at `backup`, byte for byte, and this
    /// is a fresh start. `reason` is the one line for logs (English);
    /// [`Loaded::notice`] says it to the student; `cause` is what was wrong.
    Recovered {
        progress: Progress,
        backup: PathBuf,
        reason: String,
        cause: String,
    },
}

/// Why progress could not be loaded or saved; each message names the file,
/// the cause and what to do next.
#[derive(Debug, thiserror::Error)]
pub enum ProgressError {
    #[error(
        "cannot read the progress file {path}: {source}. Nothing was changed; \
         check the file's permissions and run perflab again"
    )]
    Read { path: PathBuf, source: io::Error },
    #[error(
        "the progress file {path} was written by a newer perflab (format version \
         {found}; this perflab reads up to {supported}). It was left untouched; \
         upgrade perflab to continue"
    )]
    TooNew {
        found: u32,
        supported: u32,
        path: PathBuf,
    },
    #[error(
        "the progress file {path} is corrupt ({reason}) and could not be moved \
         aside to {backup}: {source}. Nothing was changed; move the file away \
         yourself (or make its folder writable) and run perflab again"
    )]
    Backup {
        path: PathBuf,
        backup: PathBuf,
        reason: String,
        source: io::Error,
    },
    #[error(
        "could not save progress to {path}: {source}. The file still holds its \
         last complete save; check that its folder exists and is writable and \
         that the disk has space"
    )]
    Save { path: PathBuf, source: io::Error },
}

impl Measurement {
    pub fn new(metric: impl Into<String>, value: f64, better: Better) -> Self {
        Self {
            metric: metric.into(),
            value,
            better,
        }
    }
}

impl Better {
    /// Whether `candidate` beats `current`.
    pub fn is_better(self, candidate: f64, current: f64) -> bool {
        match self {
            Self::Lower => candidate < current,
            Self::Higher => candidate > current,
        }
    }
}

impl Baseline {
    /// How many times better `value` is than the baseline's `metric`
    /// (2.0: "p95 twice as good"); `None` without a usable baseline value.
    pub fn improvement(&self, metric: &str, value: f64, better: Better) -> Option<f64> {
        let base = *self.measurements.get(metric)?;
        let ratio = match better {
            Better::Lower => base / value,
            Better::Higher => value / base,
        };
        ratio.is_finite().then_some(ratio)
    }
}

impl LabProgress {
    pub fn solution_revealed(&self) -> bool {
        self.solution_revealed_at.is_some()
    }

    /// Any interaction starts a lab; a passed lab stays passed.
    fn touch(&mut self) {
        if self.status == LabStatus::NotStarted {
            self.status = LabStatus::InProgress;
        }
    }

    fn keep_best(&mut self, m: &Measurement) {
        // JSON has no NaN or infinity: one would be saved as `null` and make
        // the whole file unreadable on the next load.
        if !m.value.is_finite() {
            return;
        }
        let candidate = Best {
            value: m.value,
            better: m.better,
        };
        match self.best.get_mut(&m.metric) {
            // A changed direction means the lab's definition changed: the old
            // best was judged by another rule, so the new value replaces it.
            Some(old) if old.better == m.better && !m.better.is_better(m.value, old.value) => {}
            Some(old) => *old = candidate,
            None => {
                self.best.insert(m.metric.clone(), candidate);
            }
        }
    }
}

impl Default for Progress {
    fn default() -> Self {
        Self::new()
    }
}

impl Progress {
    /// Empty progress: no lab started.
    pub fn new() -> Self {
        Self {
            version: PROGRESS_VERSION,
            current: None,
            baseline: None,
            labs: BTreeMap::new(),
        }
    }

    /// Reads `path`. A missing file is a fresh start; a corrupt one is moved
    /// aside and reported; a newer format or an unreadable file is an error.
    pub fn load(path: &Path) -> Result<Loaded, ProgressError> {
        let bytes = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Loaded::Fresh(Self::new())),
            Err(source) => {
                return Err(ProgressError::Read {
                    path: path.to_path_buf(),
                    source,
                });
            }
        };
        match parse(&bytes) {
            Ok(progress) => Ok(Loaded::Found(progress)),
            Err(Invalid::TooNew(found)) => Err(ProgressError::TooNew {
                found,
                supported: PROGRESS_VERSION,
                path: path.to_path_buf(),
            }),
            Err(Invalid::Corrupt(why)) => recover(path, why),
        }
    }

    /// Writes `path` atomically: on any failure the previous file is intact.
    pub fn save(&self, path: &Path) -> Result<(), ProgressError> {
        atomic_write(path, &self.to_json()).map_err(|source| ProgressError::Save {
            path: path.to_path_buf(),
            source,
        })
    }

    /// The file's bytes (pretty JSON: students and instructors read it).
    pub(crate) fn to_json(&self) -> Vec<u8> {
        let mut json = serde_json::to_vec_pretty(self)
            .expect("progress holds only strings, integers, finite floats and timestamps");
        json.push(b'\n');
        json
    }

    /// One check run: counts it, stamps it, keeps the best measurements and
    /// marks the lab passed when `passed`.
    pub fn record_attempt(
        &mut self,
        lab: &str,
        passed: bool,
        measurements: &[Measurement],
        at: DateTime<Utc>,
    ) {
        let entry = self.entry(lab);
        entry.touch();
        if passed {
            entry.status = LabStatus::Passed;
        }
        entry.attempts = entry.attempts.saturating_add(1);
        entry.first_attempt_at.get_or_insert(at);
        entry.last_attempt_at = Some(at);
        for m in measurements {
            entry.keep_best(m);
        }
        entry.history.push(Attempt {
            at,
            passed,
            // JSON has no NaN: the same rule as the best values.
            measured: measurements
                .iter()
                .filter(|m| m.value.is_finite())
                .map(|m| (m.metric.clone(), m.value))
                .collect(),
        });
        if entry.history.len() > HISTORY_LIMIT {
            let extra = entry.history.len() - HISTORY_LIMIT;
            entry.history.drain(..extra);
        }
    }

    /// Counts one more hint; returns how many the student has now used.
    pub fn use_hint(&mut self, lab: &str) -> u32 {
        let entry = self.entry(lab);
        entry.touch();
        entry.hints_used = entry.hints_used.saturating_add(1);
        entry.hints_used
    }

    /// Records that the solution was shown (the first time counts).
    pub fn reveal_solution(&mut self, lab: &str, at: DateTime<Utc>) {
        let entry = self.entry(lab);
        entry.touch();
        entry.solution_revealed_at.get_or_insert(at);
    }

    /// Replaces the baseline (lab 1.1 re-run). Non-finite values are dropped.
    pub fn set_baseline(&mut self, measurements: BTreeMap<String, f64>, at: DateTime<Utc>) {
        let measurements = measurements
            .into_iter()
            .filter(|(_, v)| v.is_finite())
            .collect();
        self.baseline = Some(Baseline { measurements, at });
    }

    pub fn baseline(&self) -> Option<&Baseline> {
        self.baseline.as_ref()
    }

    pub fn lab(&self, lab: &str) -> Option<&LabProgress> {
        self.labs.get(lab)
    }

    /// Every lab with a record, in id order.
    pub fn labs(&self) -> impl Iterator<Item = (&str, &LabProgress)> {
        self.labs.iter().map(|(id, p)| (id.as_str(), p))
    }

    pub fn current(&self) -> Option<&str> {
        self.current.as_deref()
    }

    /// Where to resume; opening a lab starts it.
    pub fn set_current(&mut self, lab: &str) {
        self.entry(lab).touch();
        self.current = Some(lab.to_string());
    }

    /// Forgets one lab (`perflab reset LAB`); the baseline and the current lab stay.
    pub fn reset(&mut self, lab: &str) {
        self.labs.remove(lab);
    }

    /// Forgets everything (`perflab reset --all`).
    pub fn reset_all(&mut self) {
        *self = Self::new();
    }

    fn entry(&mut self, lab: &str) -> &mut LabProgress {
        self.labs.entry(lab.to_string()).or_default()
    }
}

/// Why bytes are not a progress file this perflab can use.
enum Invalid {
    TooNew(u32),
    Corrupt(String),
}

/// The version is read on its own first, so a newer file with fields we do not
/// know is reported as newer, not as corrupt (and is not moved aside).
fn parse(bytes: &[u8]) -> Result<Progress, Invalid> {
    #[derive(Deserialize)]
    struct VersionProbe {
        version: u32,
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(Invalid::Corrupt("the file is empty".into()));
    }
    let probe: VersionProbe =
        serde_json::from_slice(bytes).map_err(|e| Invalid::Corrupt(e.to_string()))?;
    match probe.version {
        v if v > PROGRESS_VERSION => return Err(Invalid::TooNew(v)),
        0 => return Err(Invalid::Corrupt("version 0 does not exist".into())),
        _ => {}
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let mut progress: Progress =
        serde_path_to_error::deserialize(&mut de).map_err(|e| Invalid::Corrupt(e.to_string()))?;
    // Version 1 is version 2 without histories (serde's default): saved
    // again, it says what it now is.
    progress.version = PROGRESS_VERSION;
    Ok(progress)
}

/// Moves the corrupt file aside and starts fresh.
fn recover(path: &Path, why: String) -> Result<Loaded, ProgressError> {
    let backup = move_aside(path).map_err(|(backup, source)| ProgressError::Backup {
        path: path.to_path_buf(),
        backup,
        reason: why.clone(),
        source,
    })?;
    let reason = format!(
        "{} was corrupt ({why}); it was moved to {} and nothing was lost; \
         starting with empty progress",
        path.display(),
        backup.display()
    );
    Ok(Loaded::Recovered {
        progress: Progress::new(),
        backup,
        reason,
        cause: why,
    })
}

/// Renames `path` to `<name>.corrupt-<UTC timestamp>[-N]`, never over an
/// earlier backup (two recoveries within one second get `-2`, `-3`, …).
fn move_aside(path: &Path) -> Result<PathBuf, (PathBuf, io::Error)> {
    let stamp = Utc::now().format("%Y%m%dT%H%M%SZ");
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".corrupt-{stamp}"));
    let first = path.with_file_name(&name);
    for n in 1..=1000 {
        let backup = if n == 1 {
            first.clone()
        } else {
            let mut numbered = name.clone();
            numbered.push(format!("-{n}"));
            path.with_file_name(numbered)
        };
        match rename_noclobber(path, &backup) {
            Ok(()) => return Ok(backup),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err((backup, e)),
        }
    }
    let full = io::Error::new(io::ErrorKind::AlreadyExists, "1000 backups this second");
    Err((first, full))
}

impl ProgressError {
    /// One line for the student, in `text`'s language: the file, the cause,
    /// the next step.
    pub fn render(&self, text: &Text) -> String {
        match self {
            Self::Read { path, source } => msg!(
                text,
                "progress-unreadable",
                path = path.display().to_string(),
                error = source.to_string()
            ),
            Self::TooNew {
                found,
                supported,
                path,
            } => msg!(
                text,
                "progress-too-new",
                path = path.display().to_string(),
                found = *found,
                supported = *supported
            ),
            Self::Backup {
                path,
                backup,
                reason,
                source,
            } => msg!(
                text,
                "progress-backup-failed",
                path = path.display().to_string(),
                backup = backup.display().to_string(),
                reason = reason.as_str(),
                error = source.to_string()
            ),
            Self::Save { path, source } => msg!(
                text,
                "progress-save-failed",
                path = path.display().to_string(),
                error = source.to_string()
            ),
        }
    }
}

impl Loaded {
    /// What to tell the student about this load: only a recovered file has
    /// something to say.
    pub fn notice(&self, text: &Text) -> Option<String> {
        let Self::Recovered { backup, cause, .. } = self else {
            return None;
        };
        Some(msg!(
            text,
            "progress-recovered",
            cause = cause.as_str(),
            backup = backup.display().to_string()
        ))
    }

    pub fn progress(&self) -> &Progress {
        match self {
            Self::Fresh(p) | Self::Found(p) => p,
            Self::Recovered { progress, .. } => progress,
        }
    }

    pub fn into_progress(self) -> Progress {
        match self {
            Self::Fresh(p) | Self::Found(p) => p,
            Self::Recovered { progress, .. } => progress,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(secs: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_790_000_000 + secs, 0).unwrap()
    }

    fn p95(v: f64) -> Measurement {
        Measurement::new("p95_ms", v, Better::Lower)
    }

    fn hits(v: f64) -> Measurement {
        Measurement::new("hit_ratio", v, Better::Higher)
    }

    #[test]
    fn best_keeps_the_best_per_direction() {
        let mut p = Progress::new();
        p.record_attempt("1.3-cache-aside", false, &[p95(80.0), hits(0.6)], at(0));
        p.record_attempt("1.3-cache-aside", false, &[p95(95.0), hits(0.9)], at(1));
        p.record_attempt("1.3-cache-aside", true, &[p95(40.0), hits(0.7)], at(2));
        let lab = p.lab("1.3-cache-aside").unwrap();
        assert_eq!(lab.best["p95_ms"].value, 40.0);
        assert_eq!(lab.best["hit_ratio"].value, 0.9);
        assert_eq!(lab.attempts, 3);
        assert_eq!(lab.first_attempt_at, Some(at(0)));
        assert_eq!(lab.last_attempt_at, Some(at(2)));
    }

    #[test]
    fn non_finite_measurements_are_not_kept() {
        let mut p = Progress::new();
        p.record_attempt(
            "1.1-baseline",
            false,
            &[p95(f64::NAN), hits(f64::INFINITY)],
            at(0),
        );
        assert!(p.lab("1.1-baseline").unwrap().best.is_empty());
        p.set_baseline([("p95_ms".to_string(), f64::NAN)].into(), at(0));
        assert!(p.baseline().unwrap().measurements.is_empty());
    }

    #[test]
    fn a_changed_direction_replaces_the_old_best() {
        let mut p = Progress::new();
        p.record_attempt(
            "x",
            false,
            &[Measurement::new("m", 1.0, Better::Higher)],
            at(0),
        );
        p.record_attempt(
            "x",
            false,
            &[Measurement::new("m", 5.0, Better::Lower)],
            at(1),
        );
        let best = p.lab("x").unwrap().best["m"];
        assert_eq!((best.value, best.better), (5.0, Better::Lower));
    }

    #[test]
    fn passed_stays_passed_and_hints_count() {
        let mut p = Progress::new();
        assert_eq!(p.use_hint("2.1-explain"), 1);
        assert_eq!(p.lab("2.1-explain").unwrap().status, LabStatus::InProgress);
        assert_eq!(p.use_hint("2.1-explain"), 2);
        p.record_attempt("2.1-explain", true, &[], at(0));
        p.record_attempt("2.1-explain", false, &[], at(1));
        assert_eq!(p.lab("2.1-explain").unwrap().status, LabStatus::Passed);
    }

    #[test]
    fn the_first_reveal_counts() {
        let mut p = Progress::new();
        p.reveal_solution("3.2-rate-limit", at(5));
        p.reveal_solution("3.2-rate-limit", at(9));
        let lab = p.lab("3.2-rate-limit").unwrap();
        assert!(lab.solution_revealed());
        assert_eq!(lab.solution_revealed_at, Some(at(5)));
    }

    #[test]
    fn reset_forgets_one_lab_and_reset_all_everything() {
        let mut p = Progress::new();
        p.set_current("1.2-redis");
        p.use_hint("1.2-redis");
        p.use_hint("1.3-cache-aside");
        p.set_baseline([("p95_ms".to_string(), 120.0)].into(), at(0));
        p.reset("1.2-redis");
        assert!(p.lab("1.2-redis").is_none());
        assert!(p.lab("1.3-cache-aside").is_some());
        assert_eq!(p.current(), Some("1.2-redis"));
        assert!(p.baseline().is_some());
        p.reset_all();
        assert_eq!(p, Progress::new());
    }

    #[test]
    fn improvement_vs_baseline() {
        let mut p = Progress::new();
        let base = [("p95_ms".to_string(), 120.0), ("rps".to_string(), 0.0)];
        p.set_baseline(base.into(), at(0));
        let b = p.baseline().unwrap();
        assert_eq!(b.improvement("p95_ms", 30.0, Better::Lower), Some(4.0));
        assert_eq!(b.improvement("rps", 10.0, Better::Higher), None);
        assert_eq!(b.improvement("missing", 1.0, Better::Lower), None);
    }

    #[test]
    fn the_file_format_is_stable() {
        let mut p = Progress::new();
        p.set_current("1.3-cache-aside");
        p.record_attempt("1.3-cache-aside", true, &[hits(0.85)], at(0));
        let json: serde_json::Value = serde_json::from_slice(&p.to_json()).unwrap();
        let lab = &json["labs"]["1.3-cache-aside"];
        assert_eq!(json["version"], 2);
        assert_eq!(lab["history"][0]["passed"], true);
        assert_eq!(lab["history"][0]["measured"]["hit_ratio"], 0.85);
        assert_eq!(json["current"], "1.3-cache-aside");
        assert_eq!(lab["status"], "passed");
        assert_eq!(lab["best"]["hit_ratio"]["better"], "higher");
        assert_eq!(lab["first_attempt_at"], "2026-09-21T14:13:20Z");
    }

    #[test]
    fn a_version_1_file_reads_without_history_and_is_saved_as_version_2() {
        let v1 = br#"{"version": 1, "current": "1.3-cache-aside", "baseline": null,
            "labs": {"1.3-cache-aside": {"status": "passed", "attempts": 4, "hints_used": 1,
            "solution_revealed_at": null, "best": {"hit_ratio": {"value": 0.9, "better": "higher"}},
            "first_attempt_at": "2026-09-21T14:13:20Z", "last_attempt_at": "2026-09-21T15:00:00Z"}}}"#;
        let Ok(mut p) = parse(v1) else {
            panic!("a version 1 file must read")
        };
        let lab = p.lab("1.3-cache-aside").unwrap();
        assert_eq!((lab.attempts, lab.history.len()), (4, 0));
        assert_eq!(lab.best["hit_ratio"].value, 0.9);
        p.record_attempt("1.3-cache-aside", false, &[hits(0.7)], at(10));
        let json: serde_json::Value = serde_json::from_slice(&p.to_json()).unwrap();
        assert_eq!(json["version"], 2);
        assert_eq!(json["labs"]["1.3-cache-aside"]["attempts"], 5);
        assert_eq!(
            json["labs"]["1.3-cache-aside"]["history"][0]["passed"],
            false
        );
        assert!(parse(&p.to_json()).is_ok(), "written back, it reads");
    }

    #[test]
    fn the_history_keeps_the_newest_attempts_and_finite_values() {
        let mut p = Progress::new();
        let n = HISTORY_LIMIT as i64 + 5;
        for k in 0..n {
            p.record_attempt("1.3-cache-aside", k % 2 == 0, &[p95(k as f64)], at(k));
        }
        p.record_attempt("1.3-cache-aside", false, &[p95(f64::NAN), hits(0.5)], at(n));
        let history = &p.lab("1.3-cache-aside").unwrap().history;
        assert_eq!(history.len(), HISTORY_LIMIT);
        assert_eq!(history[0].at, at(6), "the oldest went first");
        let last = history.last().unwrap();
        assert_eq!(last.measured.get("p95_ms"), None, "NaN is not kept");
        assert_eq!(last.measured["hit_ratio"], 0.5);
        assert_eq!(p.lab("1.3-cache-aside").unwrap().attempts, n as u32 + 1);
    }

    #[test]
    fn parse_tells_newer_from_corrupt() {
        let newer = br#"{"version": 3, "something_new": true}"#;
        assert!(matches!(parse(newer), Err(Invalid::TooNew(3))));
        for bad in [
            &b""[..],
            b"  \n",
            b"{\"version\": 1, \"labs\": {",
            b"\xff\xfe",
            b"[1,2]",
        ] {
            assert!(matches!(parse(bad), Err(Invalid::Corrupt(_))), "{bad:?}");
        }
        let wrong_type = br#"{"version": 1, "current": null, "baseline": null,
            "labs": {"1.1-baseline": {"status": "passed", "attempts": "many", "hints_used": 0}}}"#;
        let Err(Invalid::Corrupt(why)) = parse(wrong_type) else {
            panic!("wrong type accepted")
        };
        assert!(why.contains("labs.1.1-baseline.attempts"), "{why}");
    }
}
