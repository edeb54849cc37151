//! `perflab serve` end to end, through the real binary, on the scratch path:
//! with no URL and nothing answering on the local default ports, perflab starts
//! its own PostgreSQL and Redis, seeds the catalog, serves it, and on SIGTERM
//! stops both and removes the scratch cluster.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::ClosedPort;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use serde_json::Value;

/// Reads the child's stdout until the line starting with `prefix` appears.
fn line_starting_with(
    lines: &mut impl Iterator<Item = String>,
    prefix: &str,
    seen: &mut Vec<String>,
) -> String {
    for line in lines {
        seen.push(line.clone());
        if let Some(rest) = line.strip_prefix(prefix) {
            return rest.trim().to_string();
        }
    }
    panic!("perflab serve ended before printing `{prefix}`; it printed: {seen:#?}");
}

#[tokio::test]
async fn serve_starts_scratch_services_seeds_serves_and_cleans_up() {
    // Ports that nothing listens on: bound (so no one else takes them) but not listening.
    let closed_pg = ClosedPort::new();
    let closed_redis = ClosedPort::new();
    let state = tempfile::tempdir().unwrap();

    let mut child = Command::new(env!("CARGO_BIN_EXE_perflab"))
        .args(["serve", "--port", "0"])
        .env_remove("DATABASE_URL")
        .env_remove("REDIS_URL")
        .env("PERFLAB_LOCAL_POSTGRES", closed_pg.addr())
        .env("PERFLAB_LOCAL_REDIS", closed_redis.addr())
        .env("PERFLAB_STATE_DIR", state.path())
        .env("PERFLAB_SCALE", "small")
        .env("PERFLAB_CONTROL_PORT", "0")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the perflab binary runs");
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines().map_while(Result::ok);
    let mut seen = Vec::new();

    let postgres = line_starting_with(&mut lines, "postgres", &mut seen);
    assert!(postgres.contains("scratch"), "{postgres}");
    let scratch_dir = postgres
        .split("in ")
        .nth(1)
        .and_then(|rest| rest.split(';').next())
        .map(std::path::PathBuf::from)
        .expect("the scratch directory is printed");
    assert!(scratch_dir.is_dir(), "{}", scratch_dir.display());
    let redis = line_starting_with(&mut lines, "redis", &mut seen);
    assert!(redis.contains("scratch"), "{redis}");
    let url = line_starting_with(&mut lines, "shop", &mut seen);

    let http = reqwest::Client::new();
    let health: Value = http
        .get(format!("{url}/health"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["status"], "ok", "{health}");
    assert_eq!(health["database"]["status"], "up");
    assert_eq!(health["cache"]["status"], "up");
    let products: Value = http
        .get(format!("{url}/products"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(products["items"].as_array().unwrap().len(), 20);

    kill(Pid::from_raw(child.id() as i32), Signal::SIGTERM).unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
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
