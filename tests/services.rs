//! Integration tests for `services` against real servers: the machine runs
//! PostgreSQL on 127.0.0.1:5432 (trust auth) and Redis on 127.0.0.1:6379, and
//! has the server binaries for scratch instances.
//!
//! Also the real binary where the choice of service shows: a configured
//! server that is dead is never swapped for the local one, by `perflab check`
//! or the shop child it starts; and `doctor --fix` with a stand-in package
//! manager (nothing is installed for real).
//!
//! Tests run in parallel: each uses its own database name, temp state dir and
//! closed ports. Scratch servers are cleaned up by the services' own `Drop`
//! even when an assertion fails.

mod common;

use common::{ClosedPort, Need};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use perflab::config::Config;
use perflab::messages::{Lang, Text};
use perflab::services::NoScratch;
use perflab::services::postgres::{self, Origin};
use perflab::services::redis::{RedisAvailability, RedisMissing};
use perflab::services::{
    self, PostgresReport, RedisReport, ServiceError, leftovers, scratch_postgres,
};
use sqlx::{Connection, PgConnection};
use tempfile::TempDir;

const LOCAL_POSTGRES: &str = "127.0.0.1:5432";
const LOCAL_REDIS: &str = "127.0.0.1:6379";
const SERVER_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A config whose every default points at a closed port, with its own state dir.
fn isolated_config(state: &TempDir, pg: &ClosedPort, redis: &ClosedPort) -> Config {
    let mut config = Config::default();
    config.database.local = pg.addr();
    config.redis.local = redis.addr();
    config.state_dir = Some(state.path().to_path_buf());
    config
}

fn unique_db_name() -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    format!(
        "perflab_test_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// Drops a test database on the local server when the test ends, pass or fail.
struct DropDatabase(String);

impl Drop for DropDatabase {
    fn drop(&mut self) {
        let name = self.0.clone();
        // Drop cannot await; a thread with its own runtime can, inside a tokio test too.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async {
                let mut conn = PgConnection::connect(SERVER_URL).await.expect("connect");
                let sql = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
                sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                    .execute(&mut conn)
                    .await
                    .expect("drop database");
            });
        })
        .join();
    }
}

async fn database_exists(name: &str) -> bool {
    let mut conn = PgConnection::connect(SERVER_URL).await.expect("connect");
    let row: Option<i32> = sqlx::query_scalar("SELECT 1 FROM pg_database WHERE datname = $1")
        .bind(name)
        .fetch_optional(&mut conn)
        .await
        .expect("query");
    row.is_some()
}

async fn select_one(url: &str) -> i32 {
    let mut conn = PgConnection::connect(url)
        .await
        .expect("connect to the service");
    sqlx::query_scalar("SELECT 1")
        .fetch_one(&mut conn)
        .await
        .expect("SELECT 1")
}

fn accepts_connections(port: u16) -> bool {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    TcpStream::connect_timeout(&addr, Duration::from_secs(1)).is_ok()
}

fn port_of(url: &str) -> u16 {
    let after_host = url.rsplit_once(':').expect("url has a port").1;
    let digits: String = after_host
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().expect("port number")
}

// ---- PostgreSQL ----

#[tokio::test]
async fn configured_url_is_used() {
    let (state, pg, redis) = (
        TempDir::new().unwrap(),
        ClosedPort::new(),
        ClosedPort::new(),
    );
    let mut config = isolated_config(&state, &pg, &redis);
    config.database.url = Some(SERVER_URL.into());

    let service = postgres::resolve(&config.database, state.path())
        .await
        .expect("resolve");

    assert_eq!(service.origin, Origin::Configured);
    assert_eq!(service.url, SERVER_URL);
    assert!(
        service.server_version.starts_with("15"),
        "{}",
        service.server_version
    );
    assert_eq!(select_one(&service.url).await, 1);
}

#[tokio::test]
async fn configured_url_that_fails_is_an_error_without_fallthrough() {
    let (state, pg, redis) = (
        TempDir::new().unwrap(),
        ClosedPort::new(),
        ClosedPort::new(),
    );
    let mut config = isolated_config(&state, &pg, &redis);
    config.database.url = Some(format!("postgres://postgres:secret@{}/postgres", pg.addr()));
    // A working local server and scratch both allowed: neither may be used.
    config.database.local = LOCAL_POSTGRES.into();

    let started = Instant::now();
    let err = postgres::resolve(&config.database, state.path())
        .await
        .expect_err("a failing configured URL is an error");

    assert!(
        matches!(err, ServiceError::ConfiguredUnreachable { .. }),
        "{err}"
    );
    let message = err.to_string();
    assert!(message.contains("DATABASE_URL"), "{message}");
    assert!(!message.contains("secret"), "password shown: {message}");
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn a_configured_database_that_does_not_exist_is_refused_not_down() {
    let (state, redis) = (TempDir::new().unwrap(), ClosedPort::new());
    let pg = ClosedPort::new();
    let mut config = isolated_config(&state, &pg, &redis);
    // The real server answers; the database it names is not there.
    config.database.url = Some(format!(
        "postgres://postgres:secret@{LOCAL_POSTGRES}/perflab_no_such_database_{}",
        std::process::id()
    ));

    let err = postgres::resolve(&config.database, state.path())
        .await
        .expect_err("a missing database is an error");

    assert!(
        matches!(err, ServiceError::ConfiguredRefused { .. }),
        "{err}"
    );
    let message = err.message(&Text::builtin(Lang::En));
    assert!(message.contains("answers but refused"), "{message}");
    assert!(message.contains("createdb"), "{message}");
    assert!(
        message.contains("does not exist"),
        "the server's own words: {message}"
    );
    assert!(!message.contains("secret"), "password shown: {message}");
}

/// A server that accepts connections and never says a word: the worst case
/// for a probe without its own timeout.
fn silent_server() -> std::net::TcpListener {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind")
}

#[tokio::test]
async fn a_server_that_never_answers_costs_seconds_not_minutes() {
    let (state, pg, redis) = (
        TempDir::new().unwrap(),
        ClosedPort::new(),
        ClosedPort::new(),
    );
    let silent = silent_server();
    let addr = silent.local_addr().unwrap();
    let mut config = isolated_config(&state, &pg, &redis);
    config.database.url = Some(format!("postgres://postgres@{addr}/postgres"));
    config.redis.url = Some(format!("redis://{addr}"));

    let started = Instant::now();
    let (postgres, redis) = tokio::join!(
        postgres::resolve(&config.database, state.path()),
        services::redis::resolve(&config.redis)
    );

    assert!(postgres.is_err());
    assert!(matches!(redis, RedisAvailability::Missing { .. }));
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn local_default_creates_the_database() {
    let (state, pg, redis) = (
        TempDir::new().unwrap(),
        ClosedPort::new(),
        ClosedPort::new(),
    );
    let mut config = isolated_config(&state, &pg, &redis);
    config.database.local = LOCAL_POSTGRES.into();
    config.database.name = unique_db_name();
    let _cleanup = DropDatabase(config.database.name.clone());
    assert!(!database_exists(&config.database.name).await);

    let service = postgres::resolve(&config.database, state.path())
        .await
        .expect("resolve");

    assert_eq!(service.origin, Origin::LocalDefault);
    assert!(
        service.url.ends_with(&format!("/{}", config.database.name)),
        "{}",
        service.url
    );
    assert!(database_exists(&config.database.name).await);
    assert_eq!(select_one(&service.url).await, 1);
    // Finding it there the second time is fine too.
    let again = postgres::resolve(&config.database, state.path())
        .await
        .expect("again");
    assert_eq!(again.url, service.url);
}

#[tokio::test]
async fn scratch_cluster_serves_and_is_gone_after_shutdown() {
    let (state, pg, redis) = (
        TempDir::new().unwrap(),
        ClosedPort::new(),
        ClosedPort::new(),
    );
    let config = isolated_config(&state, &pg, &redis);

    let service = postgres::resolve(&config.database, state.path())
        .await
        .expect("scratch");

    assert_eq!(service.origin, Origin::Scratch);
    assert!(service.url.ends_with("/perflab"), "{}", service.url);
    let dir = service.scratch_dir().expect("scratch dir").to_path_buf();
    assert!(dir.join("data/PG_VERSION").is_file());
    let mut conn = PgConnection::connect(&service.url).await.expect("connect");
    sqlx::raw_sql("CREATE EXTENSION pg_trgm")
        .execute(&mut conn)
        .await
        .expect("pg_trgm can be created");
    let similarity: f32 = sqlx::query_scalar("SELECT similarity('keyboard', 'keybord')")
        .fetch_one(&mut conn)
        .await
        .expect("pg_trgm works");
    assert!(similarity > 0.3);
    conn.close().await.expect("close");

    let port = port_of(&service.url);
    service.shutdown().await;

    assert!(!dir.exists(), "{} left behind", dir.display());
    assert!(!accepts_connections(port), "port {port} still open");
}

#[tokio::test]
async fn scratch_cluster_is_gone_after_drop() {
    let (state, pg, redis) = (
        TempDir::new().unwrap(),
        ClosedPort::new(),
        ClosedPort::new(),
    );
    let config = isolated_config(&state, &pg, &redis);

    let service = postgres::resolve(&config.database, state.path())
        .await
        .expect("scratch");
    let dir = service.scratch_dir().expect("scratch dir").to_path_buf();
    let port = port_of(&service.url);
    assert!(accepts_connections(port));

    drop(service);

    assert!(!dir.exists(), "{} left behind", dir.display());
    assert!(!accepts_connections(port), "port {port} still open");
}

#[tokio::test]
async fn no_server_and_no_scratch_is_an_error_saying_what_to_do() {
    let (state, pg, redis) = (
        TempDir::new().unwrap(),
        ClosedPort::new(),
        ClosedPort::new(),
    );
    let mut config = isolated_config(&state, &pg, &redis);
    config.database.scratch = false;

    let err = postgres::resolve(&config.database, state.path())
        .await
        .expect_err("nothing to use");

    for lang in [Lang::Es, Lang::En] {
        let message = err.message(&Text::builtin(lang));
        assert!(message.contains(&pg.addr()), "{message}");
        assert!(message.contains("perflab doctor --fix"), "{message}");
        assert!(message.contains("DATABASE_URL"), "{message}");
    }
}

/// Everything `doctor` says about a server it could not reach is in the
/// learner's language, not the English of the log lines.
#[test]
fn doctor_in_spanish_says_why_nothing_answers_in_spanish() {
    let (dir, pg, redis) = (
        TempDir::new().unwrap(),
        ClosedPort::new(),
        ClosedPort::new(),
    );
    let env = [
        (
            "DATABASE_URL",
            format!("postgres://postgres@{}/perflab", pg.addr()),
        ),
        ("REDIS_URL", format!("redis://{}", redis.addr())),
    ];

    let output = perflab_in(dir.path(), &["doctor", "--lang", "es"], &env);

    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(2), "{stdout}");
    assert!(
        stdout.contains("(la URL configurada) no responde"),
        "{stdout}"
    );
    assert!(
        stdout.contains("(la REDIS_URL configurada) no responde"),
        "{stdout}"
    );
    for english in ["does not answer", "the shop runs", "Check that"] {
        assert!(
            !stdout.contains(english),
            "English {english:?} in:\n{stdout}"
        );
    }
}

#[test]
fn stale_scratch_dirs_are_removed_and_live_ones_kept() {
    let state = TempDir::new().unwrap();
    let base = state.path().join("scratch");
    std::fs::create_dir_all(base.join("perflab-pg-live/data")).unwrap();
    std::fs::create_dir_all(base.join("perflab-pg-stale/data")).unwrap();
    std::fs::create_dir_all(base.join("not-ours")).unwrap();
    let mut exited = std::process::Command::new("true").spawn().unwrap();
    exited.wait().unwrap();
    let dead = exited.id().to_string();
    let alive = std::process::id().to_string();
    std::fs::write(base.join("perflab-pg-stale/perflab.pid"), &dead).unwrap();
    std::fs::write(base.join("perflab-pg-stale/data/postmaster.pid"), &dead).unwrap();
    std::fs::write(base.join("perflab-pg-live/perflab.pid"), &alive).unwrap();

    let removed = scratch_postgres::remove_stale(state.path());

    assert!(
        removed.contains(&base.join("perflab-pg-stale")),
        "{removed:?}"
    );
    assert!(!base.join("perflab-pg-stale").exists());
    assert!(base.join("perflab-pg-live").exists());
    assert!(base.join("not-ours").exists());
}

#[tokio::test]
async fn orphaned_scratch_cluster_of_a_killed_perflab_is_stopped_and_removed() {
    let (state, pg, redis) = (
        TempDir::new().unwrap(),
        ClosedPort::new(),
        ClosedPort::new(),
    );
    let config = isolated_config(&state, &pg, &redis);
    let service = postgres::resolve(&config.database, state.path())
        .await
        .expect("scratch");
    let dir = service.scratch_dir().expect("dir").to_path_buf();
    let port = port_of(&service.url);
    // What a SIGKILLed perflab leaves: a running server whose owner is dead.
    std::mem::forget(service);
    let mut exited = std::process::Command::new("true").spawn().unwrap();
    exited.wait().unwrap();
    std::fs::write(dir.join("perflab.pid"), exited.id().to_string()).unwrap();

    let state_dir = state.path().to_path_buf();
    tokio::task::spawn_blocking(move || scratch_postgres::remove_stale(&state_dir))
        .await
        .unwrap();

    // Not `removed.contains(&dir)`: a parallel test's start may have removed it first.
    assert!(!dir.exists(), "{} left behind", dir.display());
    assert!(!accepts_connections(port), "port {port} still open");
}

// ---- Redis ----

#[tokio::test]
async fn redis_configured_url_is_used() {
    common::require(&[Need::Redis]);
    let (state, pg, redis) = (
        TempDir::new().unwrap(),
        ClosedPort::new(),
        ClosedPort::new(),
    );
    let mut config = isolated_config(&state, &pg, &redis);
    config.redis.url = Some(format!("redis://{LOCAL_REDIS}"));

    match services::redis::resolve(&config.redis).await {
        RedisAvailability::Up(service) => {
            assert_eq!(service.origin, Origin::Configured);
            assert!(service.version.starts_with('7'), "{}", service.version);
        }
        RedisAvailability::Missing { reason } => panic!("missing: {reason}"),
    }
}

#[tokio::test]
async fn redis_configured_url_that_fails_is_missing_with_a_reason() {
    common::require(&[Need::Redis]);
    let (state, pg, redis) = (
        TempDir::new().unwrap(),
        ClosedPort::new(),
        ClosedPort::new(),
    );
    let mut config = isolated_config(&state, &pg, &redis);
    config.redis.url = Some(format!("redis://{}", redis.addr()));
    config.redis.local = LOCAL_REDIS.into();

    match services::redis::resolve(&config.redis).await {
        RedisAvailability::Missing {
            reason: reason @ RedisMissing::ConfiguredDown { .. },
        } => {
            let said = reason.message(&Text::builtin(Lang::Es));
            assert!(said.contains("REDIS_URL"), "{said}");
            assert!(said.contains("sin caché"), "{said}");
        }
        RedisAvailability::Missing { reason } => panic!("another reason: {reason}"),
        RedisAvailability::Up(service) => panic!("fell through to {}", service.url),
    }
}

#[tokio::test]
async fn redis_local_default_is_used() {
    common::require(&[Need::Redis]);
    let (state, pg, redis) = (
        TempDir::new().unwrap(),
        ClosedPort::new(),
        ClosedPort::new(),
    );
    let mut config = isolated_config(&state, &pg, &redis);
    config.redis.local = LOCAL_REDIS.into();

    match services::redis::resolve(&config.redis).await {
        RedisAvailability::Up(service) => {
            assert_eq!(service.origin, Origin::LocalDefault);
            assert_eq!(service.url, format!("redis://{LOCAL_REDIS}"));
        }
        RedisAvailability::Missing { reason } => panic!("missing: {reason}"),
    }
}

#[tokio::test]
async fn redis_scratch_server_answers_and_is_gone_after_shutdown() {
    let (state, pg, redis) = (
        TempDir::new().unwrap(),
        ClosedPort::new(),
        ClosedPort::new(),
    );
    let config = isolated_config(&state, &pg, &redis);

    let service = match services::redis::resolve(&config.redis).await {
        RedisAvailability::Up(service) => service,
        RedisAvailability::Missing { reason } => panic!("missing: {reason}"),
    };
    assert_eq!(service.origin, Origin::Scratch);
    let client = redis::Client::open(service.url.as_str()).expect("url");
    let mut conn = client
        .get_multiplexed_async_connection()
        .await
        .expect("connect");
    let pong: String = redis::cmd("PING")
        .query_async(&mut conn)
        .await
        .expect("PING");
    assert_eq!(pong, "PONG");
    drop(conn);

    let port = port_of(&service.url);
    service.shutdown().await;
    assert!(!accepts_connections(port), "port {port} still open");
}

#[tokio::test]
async fn redis_scratch_server_is_gone_after_drop() {
    let (state, pg, redis) = (
        TempDir::new().unwrap(),
        ClosedPort::new(),
        ClosedPort::new(),
    );
    let config = isolated_config(&state, &pg, &redis);

    let RedisAvailability::Up(service) = services::redis::resolve(&config.redis).await else {
        panic!("no scratch redis");
    };
    let port = port_of(&service.url);
    drop(service);
    assert!(!accepts_connections(port), "port {port} still open");
}

#[tokio::test]
async fn redis_missing_when_nothing_answers_and_scratch_is_off() {
    let (state, pg, redis) = (
        TempDir::new().unwrap(),
        ClosedPort::new(),
        ClosedPort::new(),
    );
    let mut config = isolated_config(&state, &pg, &redis);
    config.redis.scratch = false;

    match services::redis::resolve(&config.redis).await {
        RedisAvailability::Missing {
            reason:
                reason @ RedisMissing::NothingLocal {
                    why: NoScratch::Disabled,
                    ..
                },
        } => {
            let said = reason.message(&Text::builtin(Lang::Es));
            assert!(said.contains(&redis.addr()), "{said}");
            assert!(said.contains("perflab doctor --fix"), "{said}");
            assert!(said.contains("PERFLAB_SCRATCH"), "{said}");
        }
        RedisAvailability::Missing { reason } => panic!("another reason: {reason}"),
        RedisAvailability::Up(service) => panic!("unexpected {}", service.url),
    }
}

// ---- start and probe ----

#[tokio::test]
async fn start_gets_both_and_shutdown_stops_what_it_started() {
    let (state, pg, redis) = (
        TempDir::new().unwrap(),
        ClosedPort::new(),
        ClosedPort::new(),
    );
    let config = isolated_config(&state, &pg, &redis);

    let services = services::start(&config).await.expect("start");

    assert_eq!(services.postgres.origin, Origin::Scratch);
    let dir = services.postgres.scratch_dir().expect("dir").to_path_buf();
    let RedisAvailability::Up(redis_service) = &services.redis else {
        panic!("no redis");
    };
    let redis_port = port_of(&redis_service.url);
    services.shutdown().await;
    assert!(!dir.exists());
    assert!(!accepts_connections(redis_port));
}

#[tokio::test]
async fn probe_on_the_healthy_machine_finds_both() {
    common::require(&[Need::Redis]);
    let (state, pg, redis) = (
        TempDir::new().unwrap(),
        ClosedPort::new(),
        ClosedPort::new(),
    );
    let mut config = isolated_config(&state, &pg, &redis);
    config.database.local = LOCAL_POSTGRES.into();
    config.redis.local = LOCAL_REDIS.into();

    let report = services::probe(&config).await;

    assert!(report.runnable());
    match &report.postgres {
        PostgresReport::Reachable {
            origin, pg_trgm, ..
        } => {
            assert_eq!(*origin, Origin::LocalDefault);
            assert!(pg_trgm);
        }
        other => panic!("{other:?}"),
    }
    assert!(
        matches!(report.redis, RedisReport::Reachable { .. }),
        "{:?}",
        report.redis
    );
}

#[tokio::test]
async fn probe_with_nothing_reachable_and_scratch_off_is_not_runnable() {
    let (state, pg, redis) = (
        TempDir::new().unwrap(),
        ClosedPort::new(),
        ClosedPort::new(),
    );
    let mut config = isolated_config(&state, &pg, &redis);
    config.database.scratch = false;
    config.redis.scratch = false;

    let report = services::probe(&config).await;

    assert!(!report.runnable());
    match &report.postgres {
        PostgresReport::Unavailable { problem } => {
            let said = problem.message(&Text::builtin(Lang::Es));
            assert!(said.contains("perflab doctor --fix"), "{said}");
            assert!(said.contains("desactivados"), "{said}");
        }
        other => panic!("{other:?}"),
    }
    assert!(
        matches!(report.redis, RedisReport::Missing { .. }),
        "{:?}",
        report.redis
    );
}

#[tokio::test]
async fn probe_says_it_would_start_scratch_servers_without_starting_them() {
    let (state, pg, redis) = (
        TempDir::new().unwrap(),
        ClosedPort::new(),
        ClosedPort::new(),
    );
    let config = isolated_config(&state, &pg, &redis);

    let report = services::probe(&config).await;

    assert!(report.runnable());
    match &report.postgres {
        PostgresReport::WouldStartScratch {
            bin_dir, pg_trgm, ..
        } => {
            assert!(bin_dir.join("initdb").is_file());
            assert_eq!(*pg_trgm, Some(true));
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        report.redis,
        RedisReport::WouldStartScratch { .. }
    ));
    assert!(
        !state.path().join("scratch").exists(),
        "probe created files"
    );
}

#[tokio::test]
async fn redis_turned_off_is_missing_even_with_a_local_server() {
    common::require(&[Need::Redis]);
    let (state, pg, redis) = (
        TempDir::new().unwrap(),
        ClosedPort::new(),
        ClosedPort::new(),
    );
    let mut config = isolated_config(&state, &pg, &redis);
    config.redis.local = LOCAL_REDIS.into();
    config.redis.enabled = false;

    match services::redis::resolve(&config.redis).await {
        RedisAvailability::Missing { reason } => {
            assert_eq!(reason, RedisMissing::Disabled);
            let said = reason.message(&Text::builtin(Lang::En));
            assert!(said.contains("PERFLAB_REDIS"), "{said}")
        }
        RedisAvailability::Up(service) => panic!("fell through to {}", service.url),
    }
    assert!(matches!(
        services::probe(&config).await.redis,
        RedisReport::Missing { .. }
    ));
}

// ---- leftovers of a killed perflab ----

#[tokio::test]
async fn an_orphaned_scratch_redis_is_stopped_on_the_next_run() {
    let records = TempDir::new().unwrap();
    let port = ClosedPort::new();
    let addr = port.addr();
    let port_number: u16 = addr.rsplit_once(':').unwrap().1.parse().unwrap();
    drop(port);
    // What a killed perflab on macOS leaves: a running redis-server, and its
    // record naming an owner that is dead.
    let mut server = std::process::Command::new(
        services::redis::find_redis_server().expect("redis-server in PATH"),
    )
    .args(["--port", &port_number.to_string(), "--bind", "127.0.0.1"])
    .args(["--save", "", "--appendonly", "no"])
    .stdout(std::process::Stdio::null())
    .spawn()
    .expect("redis-server runs");
    common::wait_until(Duration::from_secs(10), "redis-server up", || async {
        accepts_connections(port_number)
    })
    .await;
    let mut owner = std::process::Command::new("true").spawn().unwrap();
    owner.wait().unwrap();
    let mut record = leftovers::ServerRecord::of(server.id()).expect("the server runs");
    record.owner = owner.id();
    let path = leftovers::redis_record_path(records.path(), port_number);
    leftovers::write_record(&path, &record).unwrap();

    let dir = records.path().to_path_buf();
    let stopped = tokio::task::spawn_blocking(move || leftovers::stop_orphaned_redis(&dir))
        .await
        .unwrap();

    assert_eq!(stopped, [server.id()]);
    assert!(!path.exists(), "record left behind");
    assert!(server.wait().is_ok());
    assert!(!accepts_connections(port_number));
}

// ---- a configured service never falls through (the real binary) ----

/// Runs the perflab binary in `dir` with `env` on top of a clean slate for
/// the variables that pick services.
fn perflab_in(dir: &Path, args: &[&str], env: &[(&str, String)]) -> Output {
    let mut command = common::perflab_command(dir, args);
    command
        .env("PERFLAB_SCALE", "small")
        .env("PERFLAB_SEED", "7");
    for var in [
        "DATABASE_URL",
        "REDIS_URL",
        "PERFLAB_REDIS",
        "PERFLAB_SCRATCH",
        // The stand-in package manager records whether perflab set it.
        "DEBIAN_FRONTEND",
    ] {
        command.env_remove(var);
    }
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().expect("the perflab binary runs")
}

fn workspace() -> (TempDir, PathBuf) {
    let dir = TempDir::new().unwrap();
    let init = perflab_in(dir.path(), &["init", "ws"], &[]);
    assert!(
        init.status.success(),
        "{}",
        String::from_utf8_lossy(&init.stderr)
    );
    let ws = dir.path().join("ws");
    (dir, ws)
}

/// The shop's Redis namespace for a database URL (as `shop::start` builds it).
fn namespace(database_url: &str) -> String {
    let options: sqlx::postgres::PgConnectOptions = database_url.parse().expect("url");
    format!(
        "{}:{}/{}",
        options.get_host(),
        options.get_port(),
        options.get_database().unwrap_or("postgres")
    )
}

/// `GET key` on the machine's Redis (read-only: it is shared).
async fn local_redis_get(key: &str) -> Option<String> {
    let client = redis::Client::open(format!("redis://{LOCAL_REDIS}")).expect("url");
    let mut conn = client
        .get_multiplexed_async_connection()
        .await
        .expect("the machine's Redis");
    redis::cmd("GET")
        .arg(key)
        .query_async(&mut conn)
        .await
        .expect("GET")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_with_a_dead_configured_redis_fails_and_never_touches_the_local_one() {
    let database = common::database_url("pinned");
    // Every shop that starts on Redis begins a new epoch of its namespace:
    // a child that fell through to the machine's Redis would bump this.
    let epoch_key = format!("perflab:{}:epoch", namespace(&database));
    let before = local_redis_get(&epoch_key).await;
    let dead = ClosedPort::new();
    let (_dir, ws) = workspace();
    let env = [
        ("DATABASE_URL", database.clone()),
        ("REDIS_URL", format!("redis://{}", dead.addr())),
    ];

    let output = tokio::task::spawn_blocking(move || {
        perflab_in(
            &ws,
            &["check", "1.2", "--format", "json", "--lang", "en"],
            &env,
        )
    })
    .await
    .unwrap();

    let report: serde_json::Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&output.stderr)));
    let check = &report["labs"][0]["checks"][0];
    assert_eq!(check["id"], "redis-connected", "{report}");
    assert_eq!(check["verdict"], "fail", "{report}");
    assert_eq!(output.status.code(), Some(1), "{report}");
    assert_eq!(
        local_redis_get(&epoch_key).await,
        before,
        "the shop child used the machine's Redis"
    );
    drop(dead);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_with_a_dead_configured_database_fails_without_touching_the_local_server() {
    let prefix = std::env::var("PERFLAB_TEST_DB_PREFIX").unwrap_or_default();
    let name = format!("perflab_test_{prefix}nofall");
    let _cleanup = DropDatabase(name.clone());
    let dead = ClosedPort::new();
    let (_dir, ws) = workspace();
    // Were the configured URL passed over, the local server (which works)
    // would get this database.
    std::fs::write(
        ws.join("perflab.toml"),
        format!("[database]\nname = \"{name}\"\n"),
    )
    .unwrap();
    let env = [
        (
            "DATABASE_URL",
            format!("postgres://postgres@{}/{name}", dead.addr()),
        ),
        ("REDIS_URL", format!("redis://{LOCAL_REDIS}")),
    ];
    let state = ws.join(".state");

    let output = tokio::task::spawn_blocking(move || perflab_in(&ws, &["check", "1.2"], &env))
        .await
        .unwrap();

    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains(&dead.addr()) && stderr.contains("DATABASE_URL"),
        "{stderr}"
    );
    assert!(
        !database_exists(&name).await,
        "fell through to the local server"
    );
    assert!(!state.join("shops").exists(), "a shop was started");
}

// ---- doctor --fix, with a stand-in package manager ----

/// A PATH holding only stand-ins that write what they were asked into `log`:
/// apt-get, service, sudo (runs its command) and env (the real one).
fn fake_package_manager(dir: &Path, log: &Path) -> String {
    use std::os::unix::fs::PermissionsExt;
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    for name in ["apt-get", "service"] {
        let script = format!(
            "#!/bin/sh\necho \"{name} $* (DEBIAN_FRONTEND=$DEBIAN_FRONTEND)\" >> '{}'\n",
            log.display()
        );
        std::fs::write(bin.join(name), script).unwrap();
    }
    std::fs::write(bin.join("sudo"), "#!/bin/sh\nexec \"$@\"\n").unwrap();
    for name in ["apt-get", "service", "sudo"] {
        std::fs::set_permissions(bin.join(name), std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    std::os::unix::fs::symlink("/usr/bin/env", bin.join("env")).unwrap();
    bin.display().to_string()
}

/// The environment of a machine with PostgreSQL and no Redis at all: nothing
/// on the Redis port, no redis-server on PATH.
fn without_redis(path: String, closed_redis: &ClosedPort) -> Vec<(&'static str, String)> {
    vec![
        ("PATH", path),
        ("PERFLAB_LOCAL_POSTGRES", LOCAL_POSTGRES.into()),
        ("PERFLAB_LOCAL_REDIS", closed_redis.addr()),
    ]
}

#[test]
fn doctor_fix_without_a_terminal_or_yes_refuses_in_one_line() {
    if std::fs::read_to_string("/etc/os-release").is_ok_and(|t| !t.contains("debian")) {
        return; // The stand-in is apt-get: a Debian-family machine's manager.
    }
    let dir = TempDir::new().unwrap();
    let log = dir.path().join("ran.log");
    let closed = ClosedPort::new();
    let env = without_redis(fake_package_manager(dir.path(), &log), &closed);

    let output = perflab_in(dir.path(), &["doctor", "--fix", "--lang", "en"], &env);

    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("Redis") && stderr.contains("--yes"),
        "{stderr}"
    );
    assert!(
        !log.exists(),
        "it ran something: {:?}",
        std::fs::read_to_string(&log)
    );
}

#[test]
fn doctor_fix_yes_runs_the_plans_commands_then_looks_again() {
    if std::fs::read_to_string("/etc/os-release").is_ok_and(|t| !t.contains("debian")) {
        return;
    }
    let dir = TempDir::new().unwrap();
    let log = dir.path().join("ran.log");
    let closed = ClosedPort::new();
    let env = without_redis(fake_package_manager(dir.path(), &log), &closed);

    let output = perflab_in(
        dir.path(),
        &["doctor", "--fix", "--yes", "--lang", "en"],
        &env,
    );

    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let ran = std::fs::read_to_string(&log).expect("the plan ran");
    let ran: Vec<&str> = ran.lines().collect();
    assert_eq!(
        ran,
        [
            "apt-get update (DEBIAN_FRONTEND=)",
            "apt-get install -y redis-server (DEBIAN_FRONTEND=noninteractive)",
            "service redis-server start (DEBIAN_FRONTEND=)",
        ]
    );
    assert!(stdout.contains("Missing: Redis"), "{stdout}");
    // The stand-ins installed nothing: looking again still finds no Redis.
    assert!(
        stdout.contains("the shop will run without a cache"),
        "{stdout}"
    );
    assert!(stdout.contains("The shop can run."), "{stdout}");
}

// ---- a distribution's server: TCP refused, the unix socket lets the OS user in ----

/// A PostgreSQL server configured as Debian's and Fedora's are once
/// `doctor --fix` made the user's role: TCP connections refused, the socket
/// (in /tmp, where perflab looks) open to the OS user. Stopped on drop.
struct DistroLikeServer {
    process: std::process::Child,
    port: u16,
    _dir: TempDir,
}

impl DistroLikeServer {
    fn start() -> Self {
        use std::os::unix::process::CommandExt;
        let binaries = scratch_postgres::find_binaries().expect("PostgreSQL server binaries");
        let user = postgres::os_user().expect("an OS user");
        // initdb refuses root: as root the server runs as `postgres`.
        let run_as = nix::unistd::geteuid().is_root().then(|| {
            nix::unistd::User::from_name("postgres")
                .ok()
                .flatten()
                .expect("a postgres user")
        });
        let dir = tempfile::Builder::new()
            .prefix("perflab-test-distro-")
            .tempdir()
            .unwrap();
        let as_server = |command: &mut std::process::Command| {
            if let Some(u) = &run_as {
                command.uid(u.uid.as_raw()).gid(u.gid.as_raw());
            }
        };
        if let Some(u) = &run_as {
            nix::unistd::chown(dir.path(), Some(u.uid), Some(u.gid)).unwrap();
        }
        let data = dir.path().join("data");
        let mut initdb = std::process::Command::new(binaries.bin_dir.join("initdb"));
        initdb
            .arg("-D")
            .arg(&data)
            .args(["-U", &user, "-A", "trust", "--no-locale", "--no-sync"])
            .stdout(Stdio::null());
        as_server(&mut initdb);
        assert!(initdb.status().expect("initdb runs").success());
        std::fs::write(
            data.join("pg_hba.conf"),
            "local all all trust\nhost all all 127.0.0.1/32 reject\nhost all all ::1/128 reject\n",
        )
        .unwrap();
        let port = services::net::free_port().unwrap();
        let mut server = std::process::Command::new(binaries.bin_dir.join("postgres"));
        server
            .arg("-D")
            .arg(&data)
            .args(["-p", &port.to_string(), "-k", "/tmp"])
            .args(["-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"])
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        as_server(&mut server);
        let process = server.spawn().expect("postgres runs");
        Self {
            process,
            port,
            _dir: dir,
        }
    }
}

impl Drop for DistroLikeServer {
    fn drop(&mut self) {
        let pid = nix::unistd::Pid::from_raw(self.process.id() as i32);
        let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGINT);
        let _ = self.process.wait();
    }
}

#[tokio::test]
async fn a_local_server_refusing_tcp_is_reached_over_its_socket_as_the_os_user() {
    let server = DistroLikeServer::start();
    let socket = PathBuf::from(format!("/tmp/.s.PGSQL.{}", server.port));
    // A socket that accepts is not yet a server that answers ("the database
    // system is starting up"): wait for pg_isready on the socket.
    let isready = scratch_postgres::find_binaries()
        .expect("PostgreSQL server binaries")
        .bin_dir
        .join("pg_isready");
    common::wait_until(Duration::from_secs(30), "the server's socket", || async {
        socket.exists()
            && accepts_connections(server.port)
            && std::process::Command::new(&isready)
                .args(["-q", "-h", "/tmp", "-p", &server.port.to_string()])
                .status()
                .is_ok_and(|s| s.success())
    })
    .await;
    let (state, pg, redis) = (
        TempDir::new().unwrap(),
        ClosedPort::new(),
        ClosedPort::new(),
    );
    let mut config = isolated_config(&state, &pg, &redis);
    config.database.local = format!("127.0.0.1:{}", server.port);
    config.database.name = unique_db_name();
    config.database.scratch = false;

    let service = postgres::resolve(&config.database, state.path())
        .await
        .expect("in through the socket");

    assert_eq!(service.origin, Origin::LocalDefault);
    assert!(service.url.ends_with("?host=/tmp"), "{}", service.url);
    assert_eq!(select_one(&service.url).await, 1, "the URL reaches it too");
    match services::probe(&config).await.postgres {
        PostgresReport::Reachable { location, .. } => {
            assert!(location.contains("unix socket in /tmp"), "{location}")
        }
        other => panic!("{other:?}"),
    }
}
