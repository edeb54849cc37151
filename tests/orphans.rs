//! No orphans: whatever ends a running `perflab check` — `kill -9`, a closed
//! terminal's SIGHUP — its shop child and its scratch `redis-server`s end
//! too, and what a killed perflab leaves on disk is cleaned on the next run.
//!
//! The real binary in a temp workspace, on the machine's PostgreSQL (a test
//! database of its own) and scratch Redis servers (nothing answers on the
//! Redis port it is given, and lab 1.6 adds a private one). Its processes are
//! found by their parent chain before the kill and recognised after it by
//! pid and start time, so a reused pid is never taken for a survivor.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::ClosedPort;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use perflab::services::process_info::{self, ProcessFacts};
use tempfile::TempDir;

/// How long the children may outlive perflab (the bound).
const ORPHAN_DEADLINE: Duration = Duration::from_secs(5);
/// Bounds a hang while the check starts its shop (seeding is already done).
const START_DEADLINE: Duration = Duration::from_secs(120);

/// A `perflab check` running in its own workspace; killed if the test fails.
struct RunningCheck {
    child: Child,
    dir: TempDir,
    _closed_redis: ClosedPort,
}

impl Drop for RunningCheck {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

impl RunningCheck {
    fn state(&self) -> PathBuf {
        self.dir.path().join("ws/.state")
    }

    fn pid(&self) -> Pid {
        Pid::from_raw(self.child.id() as i32)
    }

    fn output(&self) -> String {
        let read =
            |name: &str| std::fs::read_to_string(self.dir.path().join(name)).unwrap_or_default();
        format!("stdout: {}\nstderr: {}", read("out.txt"), read("err.txt"))
    }
}

fn perflab(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_perflab"));
    command
        .current_dir(dir)
        .env("LANG", "C.UTF-8")
        .env("PERFLAB_STATE_DIR", dir.join(".state"))
        .env("PERFLAB_SCALE", "small")
        .env("PERFLAB_SEED", "7")
        .env_remove("REDIS_URL")
        .env_remove("PERFLAB_REDIS")
        .env_remove("PERFLAB_SCRATCH")
        .stdin(Stdio::null());
    command
}

/// A fresh workspace under `dir`.
fn workspace(dir: &Path) -> PathBuf {
    let init = perflab(dir)
        .args(["init", "ws"])
        .output()
        .expect("perflab runs");
    assert!(
        init.status.success(),
        "{}",
        String::from_utf8_lossy(&init.stderr)
    );
    dir.join("ws")
}

/// Starts `perflab check <lab>` with scratch Redis (nothing on the Redis port).
fn start_check(lab: &str) -> RunningCheck {
    let dir = TempDir::new().expect("temp dir");
    let ws = workspace(dir.path());
    let closed_redis = ClosedPort::new();
    let file = |name: &str| std::fs::File::create(dir.path().join(name)).expect("output file");
    let child = perflab(&ws)
        .args(["check", lab, "--lang", "en"])
        .env("DATABASE_URL", common::database_url("orphans"))
        .env("PERFLAB_LOCAL_REDIS", closed_redis.addr())
        .stdout(file("out.txt"))
        .stderr(file("err.txt"))
        .spawn()
        .expect("perflab check runs");
    RunningCheck {
        child,
        dir,
        _closed_redis: closed_redis,
    }
}

/// A process of the run: its pid and what it was.
type Seen = (u32, ProcessFacts);

/// Waits until the check's shop serves (its endpoint file is there) beside
/// two scratch redis-servers (the check's own and lab 1.6's private one);
/// returns every process under the check.
fn wait_until_running(check: &mut RunningCheck) -> Vec<Seen> {
    let deadline = Instant::now() + START_DEADLINE;
    loop {
        if let Ok(Some(status)) = check.child.try_wait() {
            panic!(
                "perflab check ended ({status}) before it ran: {}",
                check.output()
            );
        }
        let shops = std::fs::read_dir(check.state().join("shops"))
            .map(|entries| entries.flatten().count())
            .unwrap_or(0);
        let seen: Vec<Seen> = process_info::descendants(check.child.id())
            .into_iter()
            .filter_map(|pid| Some((pid, process_info::facts(pid)?)))
            .collect();
        let named = |name: &str| seen.iter().filter(|(_, f)| f.name == name).count();
        if shops >= 1 && named("redis-server") >= 2 && named("perflab") >= 1 {
            return seen;
        }
        assert!(
            Instant::now() < deadline,
            "the check never ran its shop: {seen:?}; {}",
            check.output()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Whether the process seen is still running (same pid and start time).
fn survives((pid, before): &Seen) -> bool {
    process_info::facts(*pid).is_some_and(|now| !now.zombie && now.start_time == before.start_time)
}

/// Waits until none of `seen` runs, for at most [`ORPHAN_DEADLINE`].
fn assert_all_end(seen: &[Seen]) {
    let deadline = Instant::now() + ORPHAN_DEADLINE;
    loop {
        let left: Vec<&Seen> = seen.iter().filter(|s| survives(s)).collect();
        if left.is_empty() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "still running {} s after perflab: {left:?}",
            ORPHAN_DEADLINE.as_secs()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn endpoint_files(state: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(state.join("shops"))
        .map(|entries| entries.flatten().map(|e| e.path()).collect())
        .unwrap_or_default()
}

#[test]
fn kill_9_of_a_running_check_leaves_no_child_running() {
    let mut check = start_check("1.6");
    let seen = wait_until_running(&mut check);

    kill(check.pid(), Signal::SIGKILL).expect("kill -9");
    check.child.wait().expect("reaped");

    assert_all_end(&seen);
    // The shop was told (SIGTERM) and stopped cleanly: it took its endpoint
    // file with it.
    assert_eq!(endpoint_files(&check.state()), Vec::<PathBuf>::new());
}

#[test]
fn sighup_of_a_running_check_stops_it_and_its_children() {
    let mut check = start_check("1.6");
    let seen = wait_until_running(&mut check);

    kill(check.pid(), Signal::SIGHUP).expect("SIGHUP");
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = check.child.try_wait().expect("wait") {
            break status;
        }
        assert!(Instant::now() < deadline, "perflab check ignored SIGHUP");
        std::thread::sleep(Duration::from_millis(50));
    };

    assert_eq!(status.code(), Some(2), "{}", check.output());
    assert!(check.output().contains("Interrupted"), "{}", check.output());
    assert_all_end(&seen);
}

#[test]
fn a_dead_shops_endpoint_file_is_removed_on_the_next_run() {
    let dir = TempDir::new().expect("temp dir");
    let ws = workspace(dir.path());
    let shops = ws.join(".state/shops");
    std::fs::create_dir_all(&shops).expect("shops dir");
    let mut exited = Command::new("true").spawn().expect("true");
    exited.wait().expect("reaped");
    let stale = shops.join("45678.json");
    let endpoint = serde_json::json!({
        "url": "http://127.0.0.1:45678",
        "control_url": "http://127.0.0.1:45679",
        "control_token": "t",
        "pid": exited.id(),
    });
    std::fs::write(&stale, endpoint.to_string()).expect("endpoint file");

    let output = perflab(&ws)
        .args(["check", "1.2", "--format", "json"])
        .env("DATABASE_URL", common::database_url("orphans"))
        .env("REDIS_URL", common::LOCAL_REDIS_URL)
        .output()
        .expect("perflab check runs");

    assert!(
        output.status.code().is_some_and(|code| code < 2),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        !stale.exists(),
        "the dead shop's endpoint file is still there"
    );
}

/// The portable path (macOS has no parent-death signal): a shop child told
/// its runner's pid stops by itself once its parent is not that process.
#[test]
fn a_shop_child_whose_runner_is_gone_stops_by_itself() {
    let dir = TempDir::new().expect("temp dir");
    let mut exited = Command::new("true").spawn().expect("true");
    exited.wait().expect("reaped");
    let mut serve = perflab(dir.path())
        .args(["serve", "--port", "0"])
        .env("DATABASE_URL", common::database_url("orphans"))
        .env("PERFLAB_REDIS", "off")
        .env("PERFLAB_PARENT_PID", exited.id().to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("perflab serve runs");

    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = serve.try_wait().expect("wait") {
            break status;
        }
        if Instant::now() >= deadline {
            let _ = serve.kill();
            panic!("perflab serve kept running without its runner");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let output = serve.wait_with_output().expect("output");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("runner"), "{status}: {stderr}");
}
