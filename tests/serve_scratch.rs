//! `perflab serve` end to end, through the real binary, on the scratch path:
//! with no URL and nothing answering on the local default ports, perflab starts
//! its own PostgreSQL and Redis, seeds the catalog, serves it, and on SIGTERM
//! stops both and removes the scratch cluster. Killed with `kill -9`, its
//! scratch servers stop by themselves and the next run removes the cluster.

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::ClosedPort;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use perflab::services::leftovers;
use perflab::services::process_info::{self, ProcessFacts};
use serde_json::Value;

/// Start-up at `small` scale takes seconds; this bounds a hang.
const STARTUP_DEADLINE: Duration = Duration::from_secs(120);

/// The child, stopped if the test fails before it is stopped properly, so no
/// perflab (and no scratch server) outlives a failed test.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = kill(Pid::from_raw(self.0.id() as i32), Signal::SIGTERM);
            let _ = self.0.wait();
        }
    }
}

/// Waits (with a deadline) for the stdout line starting with `prefix`.
fn line_starting_with(
    lines: &mpsc::Receiver<String>,
    prefix: &str,
    seen: &mut Vec<String>,
) -> String {
    let deadline = Instant::now() + STARTUP_DEADLINE;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match lines.recv_timeout(left) {
            Ok(line) => {
                seen.push(line.clone());
                if let Some(rest) = line.strip_prefix(prefix) {
                    return rest.trim().to_string();
                }
            }
            Err(e) => panic!("no `{prefix}` line from perflab serve ({e}); it printed: {seen:#?}"),
        }
    }
}

/// `perflab serve` on scratch servers only: nothing listens on the local
/// default ports it is given. Its stdout lines arrive on the receiver.
fn spawn_serve(
    closed_pg: &ClosedPort,
    closed_redis: &ClosedPort,
    state: &Path,
) -> (Child, mpsc::Receiver<String>) {
    let mut child = Child(
        Command::new(env!("CARGO_BIN_EXE_perflab"))
            .args(["serve", "--port", "0", "--preset", "optimized"])
            .env_remove("DATABASE_URL")
            .env_remove("REDIS_URL")
            .env("PERFLAB_LOCAL_POSTGRES", closed_pg.addr())
            .env("PERFLAB_LOCAL_REDIS", closed_redis.addr())
            .env("PERFLAB_STATE_DIR", state)
            .env("PERFLAB_SCALE", "small")
            .env("PERFLAB_CONTROL_PORT", "0")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the perflab binary runs"),
    );
    // Read stdout on a thread so every wait below has a deadline.
    let stdout = child.0.stdout.take().unwrap();
    let (tx, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    (child, lines)
}

/// The scratch cluster's directory, from serve's `postgres` line.
fn scratch_dir_of(postgres: &str) -> PathBuf {
    assert!(postgres.contains("scratch"), "{postgres}");
    postgres
        .split("in ")
        .nth(1)
        .and_then(|rest| rest.split(';').next())
        .map(PathBuf::from)
        .expect("the scratch directory is printed")
}

#[tokio::test]
async fn serve_starts_scratch_services_seeds_serves_and_cleans_up() {
    // Ports that nothing listens on: bound (so no one else takes them) but not listening.
    let closed_pg = ClosedPort::new();
    let closed_redis = ClosedPort::new();
    let state = tempfile::tempdir().unwrap();
    let (mut child, lines) = spawn_serve(&closed_pg, &closed_redis, state.path());
    let mut seen = Vec::new();

    let postgres = line_starting_with(&lines, "postgres", &mut seen);
    let scratch_dir = scratch_dir_of(&postgres);
    assert!(scratch_dir.is_dir(), "{}", scratch_dir.display());
    let redis = line_starting_with(&lines, "redis", &mut seen);
    assert!(redis.contains("scratch"), "{redis}");
    let url = line_starting_with(&lines, "shop", &mut seen);

    let http = reqwest::Client::new();
    // The optimized preset caches in Redis: the scratch one, once the shop's
    // watcher has seen it answer.
    let health = || async {
        let response = http.get(format!("{url}/health")).send().await.unwrap();
        response.json::<Value>().await.unwrap()
    };
    common::wait_until(
        Duration::from_secs(10),
        "the cache on scratch Redis",
        || async { health().await["cache"]["status"] == "up" },
    )
    .await;
    let health = health().await;
    assert_eq!(health["status"], "ok", "{health}");
    assert_eq!(health["database"]["status"], "up");
    assert_eq!(health["cache"]["backend"], "redis");
    let products: Value = http
        .get(format!("{url}/products"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(products["items"].as_array().unwrap().len(), 20);

    kill(Pid::from_raw(child.0.id() as i32), Signal::SIGTERM).unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.0.try_wait().unwrap() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "perflab serve did not stop on SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(status.success(), "{status}");
    assert!(
        !scratch_dir.exists(),
        "scratch cluster removed: {}",
        scratch_dir.display()
    );
    assert!(
        http.get(format!("{url}/health")).send().await.is_err(),
        "the shop is gone"
    );
    drop((closed_pg, closed_redis));
}

/// How long the scratch servers may outlive a killed perflab (the bound).
const ORPHAN_DEADLINE: Duration = Duration::from_secs(5);

#[tokio::test]
async fn kill_9_of_serve_stops_its_scratch_servers_and_the_next_run_removes_the_cluster() {
    let closed_pg = ClosedPort::new();
    let closed_redis = ClosedPort::new();
    let state = tempfile::tempdir().unwrap();
    let (mut child, lines) = spawn_serve(&closed_pg, &closed_redis, state.path());
    let mut seen = Vec::new();
    let scratch_dir = scratch_dir_of(&line_starting_with(&lines, "postgres", &mut seen));
    line_starting_with(&lines, "shop", &mut seen);
    let running: Vec<(u32, ProcessFacts)> = process_info::descendants(child.0.id())
        .into_iter()
        .filter_map(|pid| Some((pid, process_info::facts(pid)?)))
        .collect();
    let named = |name: &str| running.iter().any(|(_, f)| f.name == name);
    assert!(named("postgres") && named("redis-server"), "{running:?}");

    kill(Pid::from_raw(child.0.id() as i32), Signal::SIGKILL).unwrap();
    child.0.wait().unwrap();

    // Polled with a deadline: the servers got their stop signal from the
    // kernel (PR_SET_PDEATHSIG) and shut down cleanly.
    common::wait_until(ORPHAN_DEADLINE, "the scratch servers to stop", || async {
        running.iter().all(|(pid, before)| {
            process_info::facts(*pid)
                .is_none_or(|now| now.zombie || now.start_time != before.start_time)
        })
    })
    .await;
    assert!(
        scratch_dir.is_dir(),
        "nothing removed it yet: its owner was killed"
    );
    let state_dir = state.path().to_path_buf();
    let cleaned = tokio::task::spawn_blocking(move || leftovers::clean(&state_dir))
        .await
        .unwrap();
    assert!(!scratch_dir.exists(), "{cleaned:?}");
    drop((closed_pg, closed_redis));
}
