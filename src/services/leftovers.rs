//! What a perflab that was killed (`kill -9`, a crash, a laptop lid on
//! macOS) left behind, found and cleaned on the next run:
//!
//! - `<state_dir>/shops/<port>.json` of a shop whose pid is dead (the runner
//!   and the TUI would otherwise read a dead shop's control URL);
//! - scratch `redis-server`s whose owner is dead, known by the record each
//!   one gets beside it (`<tmp>/perflab-redis-<port>.json`);
//! - scratch PostgreSQL clusters whose owner is dead
//!   ([`super::scratch_postgres::remove_stale`]).
//!
//! On Linux the servers already died with their owner ([`super::children`]);
//! this is the net for the rest (and for the files). A pid is only signalled
//! when the process there is still the one recorded — same name, same start
//! time — never a process that reused the pid. Blocking: call from
//! `spawn_blocking`. Called by [`super::start`], so every command that starts
//! services (serve, check, grade, labs validate, the TUI) cleans first.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use serde::{Deserialize, Serialize};

use super::net::POLL_INTERVAL;
use super::process_info;

/// Scratch Redis records start with this, in the system temp dir.
const REDIS_RECORD_PREFIX: &str = "perflab-redis-";
/// How long an orphaned server gets to stop before it is left for next time.
const STOP_BOUND: Duration = Duration::from_secs(10);

/// What one cleaning removed.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Cleaned {
    /// Endpoint files of dead shops.
    pub endpoints: Vec<PathBuf>,
    /// Pids of orphaned scratch Redis servers that were stopped.
    pub redis_servers: Vec<u32>,
    /// Scratch PostgreSQL cluster directories removed.
    pub clusters: Vec<PathBuf>,
}

impl Cleaned {
    pub fn is_empty(&self) -> bool {
        self.endpoints.is_empty() && self.redis_servers.is_empty() && self.clusters.is_empty()
    }
}

/// Cleans every kind of leftover (see the module doc). Blocking.
pub fn clean(state_dir: &Path) -> Cleaned {
    Cleaned {
        endpoints: remove_dead_endpoints(state_dir),
        redis_servers: stop_orphaned_redis(&std::env::temp_dir()),
        clusters: super::scratch_postgres::remove_stale(state_dir),
    }
}

/// The part of `shops/<port>.json` this needs (the shop writes more).
#[derive(Deserialize)]
struct EndpointPid {
    pid: u32,
}

/// Removes `shops/*.json` whose shop process is gone. A file that does not
/// parse is left alone: it is not known to be a dead shop's.
pub fn remove_dead_endpoints(state_dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(state_dir.join("shops")) else {
        return Vec::new();
    };
    let mut removed = Vec::new();
    for path in entries.flatten().map(|e| e.path()) {
        if path.extension().is_none_or(|ext| ext != "json") {
            continue;
        }
        let dead = std::fs::read(&path)
            .ok()
            .and_then(|bytes| serde_json::from_slice::<EndpointPid>(&bytes).ok())
            .is_some_and(|endpoint| !process_info::alive(endpoint.pid));
        if dead && std::fs::remove_file(&path).is_ok() {
            removed.push(path);
        }
    }
    removed
}

/// Who started a scratch server, and which process it is.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ServerRecord {
    /// The perflab that started it and will stop it.
    pub owner: u32,
    pub server: u32,
    /// The server's name and start time: with the pid, they name this
    /// process and no later one that reused the pid.
    pub name: String,
    pub start_time: u64,
}

impl ServerRecord {
    /// The record of `server`, started by this process; `None` if it is
    /// already gone.
    pub fn of(server: u32) -> Option<Self> {
        let facts = process_info::facts(server)?;
        Some(Self {
            owner: std::process::id(),
            server,
            name: facts.name,
            start_time: facts.start_time,
        })
    }

    /// Whether the process at `server` is still the one recorded.
    fn still_there(&self) -> bool {
        process_info::facts(self.server)
            .is_some_and(|f| !f.zombie && f.name == self.name && f.start_time == self.start_time)
    }
}

/// Where the record of the scratch Redis on `port` goes.
pub fn redis_record_path(dir: &Path, port: u16) -> PathBuf {
    dir.join(format!("{REDIS_RECORD_PREFIX}{port}.json"))
}

/// Writes `record` (owner-only); the path is removed when the server stops.
pub fn write_record(path: &Path, record: &ServerRecord) -> std::io::Result<()> {
    let json = serde_json::to_vec(record).map_err(std::io::Error::other)?;
    let mut file = tempfile::NamedTempFile::new_in(path.parent().unwrap_or(Path::new(".")))?;
    std::io::Write::write_all(&mut file, &json)?;
    file.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Stops the scratch Redis servers recorded in `dir` whose owner is dead,
/// and removes their records. Returns the pids stopped.
pub fn stop_orphaned_redis(dir: &Path) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut stopped = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if !(name.starts_with(REDIS_RECORD_PREFIX) && name.ends_with(".json")) {
            continue;
        }
        let path = entry.path();
        let Some(record) = std::fs::read(&path)
            .ok()
            .and_then(|bytes| serde_json::from_slice::<ServerRecord>(&bytes).ok())
        else {
            continue;
        };
        if process_info::alive(record.owner) {
            continue;
        }
        if record.still_there() {
            if !stop(record.server) {
                // Still running: keep the record, try again next time.
                continue;
            }
            stopped.push(record.server);
        }
        let _ = std::fs::remove_file(&path);
    }
    stopped
}

/// SIGTERM (Redis's clean stop), then SIGKILL; true once it is gone.
fn stop(pid: u32) -> bool {
    let Ok(raw) = i32::try_from(pid) else {
        return false;
    };
    for signal in [Signal::SIGTERM, Signal::SIGKILL] {
        let _ = kill(Pid::from_raw(raw), signal);
        let deadline = Instant::now() + STOP_BOUND;
        while Instant::now() < deadline {
            if !process_info::alive(pid) {
                return true;
            }
            // Blocking context (the module doc): a poll with a deadline.
            std::thread::sleep(POLL_INTERVAL);
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A pid that was ours and is now dead (reaped).
    fn dead_pid() -> u32 {
        let mut child = std::process::Command::new("true").spawn().expect("true");
        let pid = child.id();
        child.wait().expect("reaped");
        pid
    }

    #[test]
    fn dead_shops_endpoints_go_and_live_ones_stay() {
        let state = tempfile::tempdir().unwrap();
        let shops = state.path().join("shops");
        std::fs::create_dir_all(&shops).unwrap();
        let dead = shops.join("40001.json");
        let live = shops.join("40002.json");
        let other = shops.join("notes.txt");
        let garbled = shops.join("40003.json");
        let endpoint = |pid: u32| {
            format!(
                r#"{{"url":"http://x","control_url":"http://y","control_token":"t","pid":{pid}}}"#
            )
        };
        std::fs::write(&dead, endpoint(dead_pid())).unwrap();
        std::fs::write(&live, endpoint(std::process::id())).unwrap();
        std::fs::write(&other, "kept").unwrap();
        std::fs::write(&garbled, "{").unwrap();
        assert_eq!(remove_dead_endpoints(state.path()), vec![dead.clone()]);
        assert!(!dead.exists() && live.exists() && other.exists() && garbled.exists());
    }

    #[test]
    fn a_record_of_a_live_owner_is_kept_and_a_reused_pid_is_never_signalled() {
        let dir = tempfile::tempdir().unwrap();
        // Live owner: nothing happens.
        let mine = ServerRecord::of(std::process::id()).expect("this process");
        let kept = redis_record_path(dir.path(), 1);
        write_record(&kept, &mine).unwrap();
        // Dead owner, but the "server" pid is now another process (this
        // test): it must not be signalled; only the record goes.
        let reused = ServerRecord {
            owner: dead_pid(),
            server: std::process::id(),
            name: "redis-server".into(),
            start_time: 1,
        };
        let gone = redis_record_path(dir.path(), 2);
        write_record(&gone, &reused).unwrap();
        assert_eq!(stop_orphaned_redis(dir.path()), Vec::<u32>::new());
        assert!(kept.exists());
        assert!(!gone.exists());
    }
}
