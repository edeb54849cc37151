//! Baselines of the APIs measured with `--target URL` (a student's own API):
//! what `perflab check 1.1 --target URL` measured, kept per host and port in
//! `<state_dir>/targets/<host>_<port>.json`, apart from any workspace's
//! `progress.json`, so grading someone else's API never moves the student's
//! own reference and the baseline-relative checks (lab 1.3's `detail`) have
//! one to compare with against that API.
//!
//! Written like progress ([`super::atomic_file`]): a reader sees the old
//! file or the new one, never half of one. A file that cannot be read is
//! reported, naming it and the command that measures it again; nothing is
//! thrown away silently. Used by `perflab check` and `perflab grade`.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::atomic_file::atomic_write;
use crate::messages::Text;
use crate::msg;

/// The format version this perflab writes and the newest it reads.
pub const TARGET_VERSION: u32 = 1;

/// One API's baseline, as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetBaseline {
    pub version: u32,
    /// The URL it was measured at (the file is named by its host and port).
    pub url: String,
    /// `{profile}.{metric}` → value, as lab 1.1's checks report them.
    pub measurements: BTreeMap<String, f64>,
    pub at: DateTime<Utc>,
}

/// Why a target's baseline could not be used; `render` says it to the learner.
#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    #[error("`{url}` is not an http:// or https:// URL with a host ({reason})")]
    Url { url: String, reason: String },
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: io::Error },
    #[error("{path} is not a baseline perflab can read ({reason})")]
    Corrupt { path: PathBuf, reason: String },
    #[error("cannot save {path}: {source}")]
    Save { path: PathBuf, source: io::Error },
}

impl TargetError {
    /// One line for the learner: what happened and what to do.
    pub fn render(&self, text: &Text) -> String {
        match self {
            Self::Url { url, reason } => msg!(
                text,
                "target-bad-url",
                url = url.as_str(),
                reason = reason.as_str()
            ),
            Self::Read { path, source } => msg!(
                text,
                "target-baseline-unreadable",
                path = path.display().to_string(),
                error = source.to_string()
            ),
            Self::Corrupt { path, reason } => msg!(
                text,
                "target-baseline-corrupt",
                path = path.display().to_string(),
                reason = reason.as_str()
            ),
            Self::Save { path, source } => msg!(
                text,
                "target-baseline-unsaved",
                path = path.display().to_string(),
                error = source.to_string()
            ),
        }
    }
}

/// An API measured with `--target URL`: its URL, the other instances of it
/// given with `--peer URL` (same database and Redis), and the baseline
/// measured against it before, if any.
#[derive(Debug, Clone, Default)]
pub struct Target {
    pub url: String,
    pub peers: Vec<String>,
    pub baseline: Option<BTreeMap<String, f64>>,
}

/// The folder of target baselines (`<state_dir>/targets`).
#[derive(Debug, Clone)]
pub struct TargetStore {
    dir: PathBuf,
}

impl TargetStore {
    pub fn new(state_dir: &Path) -> Self {
        Self {
            dir: state_dir.join("targets"),
        }
    }

    /// `<dir>/<host>_<port>.json` for `url`.
    pub fn path(&self, url: &str) -> Result<PathBuf, TargetError> {
        Ok(self.dir.join(format!("{}.json", file_stem(url)?)))
    }

    /// The baseline measured against `url`'s host and port, if any.
    pub fn baseline(&self, url: &str) -> Result<Option<TargetBaseline>, TargetError> {
        let path = self.path(url)?;
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(TargetError::Read { path, source }),
        };
        let corrupt = |reason: String| TargetError::Corrupt {
            path: path.clone(),
            reason,
        };
        let baseline: TargetBaseline =
            serde_json::from_slice(&bytes).map_err(|e| corrupt(e.to_string()))?;
        if baseline.version == 0 || baseline.version > TARGET_VERSION {
            return Err(corrupt(format!(
                "format version {}; this perflab reads up to {TARGET_VERSION}",
                baseline.version
            )));
        }
        Ok(Some(baseline))
    }

    /// Replaces `url`'s baseline atomically; non-finite values are dropped
    /// (JSON has no NaN). Returns the file written.
    pub fn save_baseline(
        &self,
        url: &str,
        measurements: BTreeMap<String, f64>,
        at: DateTime<Utc>,
    ) -> Result<PathBuf, TargetError> {
        let path = self.path(url)?;
        let baseline = TargetBaseline {
            version: TARGET_VERSION,
            url: url.to_string(),
            measurements: measurements
                .into_iter()
                .filter(|(_, v)| v.is_finite())
                .collect(),
            at,
        };
        let save = |source| TargetError::Save {
            path: path.clone(),
            source,
        };
        std::fs::create_dir_all(&self.dir).map_err(save)?;
        let mut json = serde_json::to_vec_pretty(&baseline).map_err(|e| save(e.into()))?;
        json.push(b'\n');
        atomic_write(&path, &json).map_err(save)?;
        Ok(path)
    }
}

/// Checks that `url` is one `--target` can measure: http(s) with a host.
pub fn validate_url(url: &str) -> Result<(), TargetError> {
    file_stem(url).map(drop)
}

/// `127.0.0.1_8000` for `http://127.0.0.1:8000/`; the port is the scheme's
/// default when the URL gives none; an IPv6 host's colons (and anything
/// else a file name should not hold) become dashes.
fn file_stem(url: &str) -> Result<String, TargetError> {
    let bad = |reason: String| TargetError::Url {
        url: url.to_string(),
        reason,
    };
    let parsed = reqwest::Url::parse(url).map_err(|e| bad(e.to_string()))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(bad(format!("scheme `{}`", parsed.scheme())));
    }
    // The parser lowercases domains; an IPv6 host comes as `[::1]`.
    let host = parsed
        .host_str()
        .filter(|h| !h.is_empty())
        .ok_or_else(|| bad("no host".into()))?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_ascii_lowercase();
    let port = parsed
        .port_or_known_default()
        .ok_or_else(|| bad("no port".into()))?;
    let host: String = host
        .chars()
        .map(|c| match c {
            'a'..='z' | '0'..='9' | '.' | '-' => c,
            _ => '-',
        })
        .collect();
    Ok(format!("{host}_{port}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn files_are_named_by_host_and_port() {
        let store = TargetStore::new(Path::new("/state"));
        let path = |url| store.path(url).expect("valid").display().to_string();
        assert_eq!(
            path("http://127.0.0.1:8000/"),
            "/state/targets/127.0.0.1_8000.json"
        );
        assert_eq!(
            path("http://127.0.0.1:8000/api"),
            "/state/targets/127.0.0.1_8000.json",
            "one API per host and port"
        );
        assert_eq!(
            path("https://Shop.Example"),
            "/state/targets/shop.example_443.json"
        );
        assert_eq!(path("http://[::1]:9000"), "/state/targets/--1_9000.json");
        assert!(store.path("localhost:8000").is_err(), "no scheme");
        assert!(store.path("ftp://h/").is_err());
    }

    #[test]
    fn a_saved_baseline_reads_back_and_another_port_has_none() {
        let dir = tempfile::tempdir().unwrap();
        let store = TargetStore::new(dir.path());
        let url = "http://127.0.0.1:8123";
        assert_eq!(store.baseline(url).unwrap(), None);
        let at = Utc.timestamp_opt(1_790_000_000, 0).unwrap();
        let values = BTreeMap::from([
            ("detail.p95_ms".to_string(), 12.5),
            ("detail.rps".to_string(), f64::NAN),
        ]);
        let path = store.save_baseline(url, values, at).unwrap();
        assert!(path.ends_with("targets/127.0.0.1_8123.json"));
        let back = store.baseline(url).unwrap().expect("saved");
        assert_eq!(back.measurements.len(), 1, "NaN dropped");
        assert_eq!(back.measurements["detail.p95_ms"], 12.5);
        assert_eq!(back.at, at);
        assert_eq!(store.baseline("http://127.0.0.1:8124").unwrap(), None);
    }

    #[test]
    fn a_corrupt_file_is_named_not_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let store = TargetStore::new(dir.path());
        let url = "http://127.0.0.1:8123";
        let path = store.path(url).unwrap();
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, b"{ nope").unwrap();
        let err = store.baseline(url).unwrap_err();
        assert!(matches!(err, TargetError::Corrupt { .. }), "{err}");
        let line = err.render(&Text::builtin(crate::messages::Lang::En));
        assert!(
            line.contains("127.0.0.1_8123.json") && line.contains("check 1.1 --target"),
            "{line}"
        );
        assert_eq!(std::fs::read(&path).unwrap(), b"{ nope", "left in place");
    }
}
