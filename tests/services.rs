//! Integration tests for `services` against real servers: the machine runs
//! PostgreSQL on 127.0.0.1:5432 (trust auth) and Redis on 127.0.0.1:6379, and
//! has the server binaries for scratch instances.
//!
//! Tests run in parallel: each uses its own database name, temp state dir and
//! closed ports. Scratch servers are cleaned up by the services' own `Drop`
//! even when an assertion fails.

mod common;

use common::ClosedPort;
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use perflab::config::Config;
use perflab::services::postgres::{self, Origin};
use perflab::services::redis::RedisAvailability;
use perflab::services::{self, PostgresReport, RedisReport, ServiceError, scratch_postgres};
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

    let message = err.to_string();
    assert!(message.contains(&pg.addr()), "{message}");
    assert!(message.contains("apt-get install postgresql"), "{message}");
    assert!(message.contains("DATABASE_URL"), "{message}");
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
    let (state, pg, redis) = (
        TempDir::new().unwrap(),
        ClosedPort::new(),
        ClosedPort::new(),
    );
    let mut config = isolated_config(&state, &pg, &redis);
    config.redis.url = Some(format!("redis://{}", redis.addr()));
    config.redis.local = LOCAL_REDIS.into();

    match services::redis::resolve(&config.redis).await {
        RedisAvailability::Missing { reason } => {
            assert!(reason.contains("REDIS_URL"), "{reason}");
            assert!(reason.contains("without a cache"), "{reason}");
        }
        RedisAvailability::Up(service) => panic!("fell through to {}", service.url),
    }
}

#[tokio::test]
async fn redis_local_default_is_used() {
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
        RedisAvailability::Missing { reason } => {
            assert!(reason.contains(&redis.addr()), "{reason}");
            assert!(reason.contains("apt-get install redis-server"), "{reason}");
        }
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
            assert!(problem.contains("apt-get install postgresql"), "{problem}")
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
