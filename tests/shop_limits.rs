//! The limits a production API has, over real sockets against real
//! PostgreSQL: slow headers are cut off, the connection cap holds, oversized
//! or unsupported requests get problem documents, a locked table or a stopped
//! database is a 503 (never a hang or a reset), tokens expire on time, and
//! `/openapi.json` describes every route of the README's shop table.
//!
//! Tests that lock `products` use a database of their own, so the other
//! tests of this binary never wait on their locks. No test asserts a time:
//! where a deadline appears, it only bounds how long a broken shop can hang
//! the test.

mod common;

use std::time::Duration;

use common::{problem, wait_until};
use futures::FutureExt;
use perflab::config::Config;
use perflab::fixtures::{self, Scale, SeedOptions};
use perflab::services::scratch_postgres;
use perflab::shop::settings::ShopSettings;
use perflab::shop::{self, RunningShop, ServerLimits, ShopOptions};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use sqlx::{Connection, PgConnection};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const DB: &str = "limits";
/// `products` is locked here; nothing else uses it.
const LOCKED_DB: &str = "limits_locked";
const JWT_SECRET: &str = "limits-secret";

/// A shop on a free port within `limits`, on `database_url`.
struct LimitedShop {
    shop: RunningShop,
    http: reqwest::Client,
    _state: tempfile::TempDir,
}

impl LimitedShop {
    async fn start(database_url: String, settings: ShopSettings, limits: ServerLimits) -> Self {
        let state = tempfile::tempdir().expect("tempdir");
        let shop = shop::start_with_limits(
            ShopOptions {
                database_url,
                redis_url: None,
                settings,
                host: "127.0.0.1".into(),
                port: 0,
                control_port: 0,
                jwt_secret: JWT_SECRET.into(),
                state_dir: state.path().to_path_buf(),
            },
            limits,
        )
        .await
        .expect("shop starts");
        let http = reqwest::Client::builder()
            // Bounds a hang of a broken shop; no test asserts a time.
            .timeout(Duration::from_secs(60))
            .build()
            .expect("http client");
        Self {
            shop,
            http,
            _state: state,
        }
    }

    async fn on(db: &str, limits: ServerLimits) -> Self {
        Self::start(common::database_url(db), ShopSettings::default(), limits).await
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.shop.url())
    }

    async fn get(&self, path: &str) -> reqwest::Response {
        self.http.get(self.url(path)).send().await.expect("request")
    }

    async fn stop(self) {
        self.shop.shutdown().await;
    }
}

/// Reads `stream` until the server closes it (EOF or reset). `None` when it
/// stays open past a minute: only a shop without the limit gets there.
async fn read_until_closed(stream: &mut TcpStream) -> Option<Vec<u8>> {
    let mut received = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(60), async {
        let mut buf = [0u8; 4096];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => received.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    read.ok().map(|()| received)
}

#[tokio::test]
async fn a_client_that_never_finishes_its_headers_is_disconnected() {
    let limits = ServerLimits {
        header_read_timeout: Duration::from_secs(1),
        ..ServerLimits::default()
    };
    let shop = LimitedShop::on(DB, limits).await;
    let mut slow = TcpStream::connect(shop.shop.addr).await.expect("connect");
    slow.write_all(b"GET /health HTTP/1.1\r\nHost: shop\r\nX-Slow: ")
        .await
        .expect("half a request");
    let received = read_until_closed(&mut slow).await;
    assert!(
        received.is_some(),
        "the shop kept a half-sent request open for a minute"
    );
    // The shop itself still answers.
    assert_eq!(shop.get("/health").await.status(), StatusCode::OK);
    shop.stop().await;
}

#[tokio::test]
async fn the_connection_cap_holds_and_frees_up_when_clients_leave() {
    const CAP: usize = 4;
    let limits = ServerLimits {
        max_connections: CAP,
        // Long, so only our closing them frees the idle sockets.
        header_read_timeout: Duration::from_secs(120),
        ..ServerLimits::default()
    };
    let shop = LimitedShop::on(DB, limits).await;
    let mut idle = Vec::new();
    for _ in 0..CAP + 6 {
        let mut socket = TcpStream::connect(shop.shop.addr).await.expect("connect");
        socket
            .write_all(b"GET /health HTTP/1.1\r\n")
            .await
            .expect("half a request");
        idle.push(socket);
    }
    let connections = shop.shop.connections();
    wait_until(Duration::from_secs(10), "the cap's connections", || async {
        connections.open() == CAP
    })
    .await;
    // A client queued behind the idle ones: with no cap it would be accepted
    // (after them) and answered while they are all open.
    let queued = {
        let http = shop.http.clone();
        let url = shop.url("/health");
        tokio::spawn(async move { http.get(url).send().await.map(|r| r.status()) })
    };
    drop(idle);
    let status = queued.await.expect("task").expect("the queued client");
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        connections.peak(),
        CAP,
        "{} clients connected at once; the shop must never hold more than {CAP}",
        CAP + 7
    );
    shop.stop().await;
}

#[tokio::test]
async fn unsupported_methods_long_uris_and_large_headers_are_problem_documents() {
    let shop = LimitedShop::on(DB, ServerLimits::default()).await;

    let response = shop
        .http
        .delete(shop.url("/products"))
        .send()
        .await
        .unwrap();
    let allow = response.headers()["allow"].to_str().unwrap().to_string();
    assert!(allow.contains("GET") && allow.contains("POST"), "{allow}");
    problem(response, StatusCode::METHOD_NOT_ALLOWED).await;
    let brew = Method::from_bytes(b"BREW").unwrap();
    let response = shop
        .http
        .request(brew, shop.url("/products/1"))
        .send()
        .await
        .unwrap();
    problem(response, StatusCode::METHOD_NOT_ALLOWED).await;
    // The control API answers the same way.
    let response = shop
        .http
        .delete(format!("{}/settings", shop.shop.endpoint.control_url))
        .bearer_auth(&shop.shop.endpoint.control_token)
        .send()
        .await
        .unwrap();
    problem(response, StatusCode::METHOD_NOT_ALLOWED).await;

    let long = format!("/products/search?q={}", "a".repeat(9000));
    problem(shop.get(&long).await, StatusCode::URI_TOO_LONG).await;

    let large = shop
        .http
        .get(shop.url("/health"))
        .header("x-large", "a".repeat(20_000))
        .send()
        .await
        .unwrap();
    problem(large, StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE).await;
    let mut many = shop.http.get(shop.url("/health"));
    for n in 0..120 {
        many = many.header(format!("x-field-{n}"), "1");
    }
    // Past 100 fields hyper answers before the shop sees the request: the
    // status is right, the body is hyper's (empty). See server.rs.
    let many = many.send().await.unwrap();
    assert_eq!(many.status(), StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);

    // Within the limits, the same requests are served.
    let fine = shop
        .http
        .get(shop.url("/health"))
        .header("x-large", "a".repeat(4_000))
        .send()
        .await
        .unwrap();
    assert_eq!(fine.status(), StatusCode::OK);
    shop.stop().await;
}

#[tokio::test]
async fn a_query_string_that_is_not_utf8_is_a_400() {
    let shop = LimitedShop::on(DB, ServerLimits::default()).await;
    let body = problem(
        shop.get("/products/search?q=%FF%FE").await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert!(body["detail"].as_str().unwrap().contains("UTF-8"), "{body}");
    problem(
        shop.get("/products?sort=%C3").await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    // Escaped UTF-8 is text like any other.
    let ok = shop.get("/products/search?q=%C3%A9t%C3%A9").await;
    assert_eq!(ok.status(), StatusCode::OK);
    shop.stop().await;
}

/// A token signed with the shop's secret for fixture user 2, expiring
/// `expires_in` seconds from now (negative: already expired).
fn token_for_user_2(expires_in: i64) -> String {
    let now = chrono::Utc::now().timestamp();
    let claims = serde_json::json!({
        "sub": "2", "role": "customer", "tier": "standard",
        "iat": now - 3600, "exp": now + expires_in,
    });
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(JWT_SECRET.as_bytes()),
    )
    .expect("sign")
}

#[tokio::test]
async fn tokens_expire_without_leeway_and_the_bearer_scheme_ignores_case() {
    let shop = LimitedShop::on(DB, ServerLimits::default()).await;
    let me = |token: String, scheme: &'static str| {
        shop.http
            .get(shop.url("/users/me"))
            .header("authorization", format!("{scheme} {token}"))
            .send()
    };
    // jsonwebtoken's default leeway (60 s) would still take this one.
    let expired = me(token_for_user_2(-5), "Bearer").await.unwrap();
    problem(expired, StatusCode::UNAUTHORIZED).await;

    let valid = token_for_user_2(600);
    for scheme in ["Bearer", "bearer", "BEARER"] {
        let response = me(valid.clone(), scheme).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "scheme {scheme}");
        let profile: Value = response.json().await.unwrap();
        assert_eq!(profile["id"], 2);
    }
    let basic = me(valid, "Basic").await.unwrap();
    problem(basic, StatusCode::UNAUTHORIZED).await;
    shop.stop().await;
}

/// Holds `LOCK TABLE products IN ACCESS EXCLUSIVE MODE` until dropped.
async fn lock_products(database_url: &str) -> PgConnection {
    let mut conn = PgConnection::connect(database_url).await.expect("connect");
    sqlx::raw_sql("BEGIN; LOCK TABLE products IN ACCESS EXCLUSIVE MODE")
        .execute(&mut conn)
        .await
        .expect("lock products");
    conn
}

#[tokio::test]
async fn a_locked_table_answers_503_instead_of_hanging() {
    let url = common::database_url(LOCKED_DB);
    let lock_waits = ServerLimits {
        lock_timeout: Duration::from_millis(500),
        ..ServerLimits::default()
    };
    let mut streamed = ShopSettings::default();
    streamed.export.mode = perflab::shop::settings::ExportMode::Streamed;
    let busy = LimitedShop::start(url.clone(), streamed, lock_waits).await;
    let slow_request = ServerLimits {
        lock_timeout: Duration::from_secs(60),
        statement_timeout: Duration::from_secs(60),
        request_timeout: Duration::from_secs(1),
        ..ServerLimits::default()
    };
    let patient = LimitedShop::start(url.clone(), ShopSettings::default(), slow_request).await;
    // Both pools connected before the lock (a connection opening under it
    // would not wait for the lock, but keeps the test about the queries).
    assert_eq!(busy.get("/products/1").await.status(), StatusCode::OK);
    assert_eq!(patient.get("/products/1").await.status(), StatusCode::OK);

    let lock = lock_products(&url).await;
    // lock_timeout: PostgreSQL gives up.
    // The streamed export too: its first row is read before the head, so the
    // lock is a 503, not a 200 whose body breaks.
    for path in [
        "/products/2",
        "/products?category=1",
        "/categories",
        "/products/export",
    ] {
        let response = busy.get(path).await;
        assert_eq!(response.headers()["retry-after"], "1", "{path}");
        let body = problem(response, StatusCode::SERVICE_UNAVAILABLE).await;
        assert!(body["detail"].as_str().unwrap().contains("busy"), "{body}");
    }
    // The request timeout: the shop gives up on the request.
    let response = patient.get("/products/3").await;
    assert_eq!(response.headers()["retry-after"], "1");
    let body = problem(response, StatusCode::SERVICE_UNAVAILABLE).await;
    assert!(
        body["detail"].as_str().unwrap().contains("gave up"),
        "{body}"
    );

    lock.close().await.expect("unlock");
    assert_eq!(busy.get("/products/2").await.status(), StatusCode::OK);
    assert_eq!(patient.get("/products/3").await.status(), StatusCode::OK);
    busy.stop().await;
    patient.stop().await;
}

#[tokio::test]
async fn shutdown_stops_accepting_and_lets_a_request_in_flight_finish() {
    let url = common::database_url("limits_drain");
    let limits = ServerLimits {
        lock_timeout: Duration::from_secs(60),
        ..ServerLimits::default()
    };
    let shop = LimitedShop::start(url.clone(), ShopSettings::default(), limits).await;
    assert_eq!(shop.get("/products/1").await.status(), StatusCode::OK);
    let lock = lock_products(&url).await;
    let in_flight = {
        let (http, url) = (shop.http.clone(), shop.url("/products/2"));
        tokio::spawn(async move { http.get(url).send().await.map(|r| r.status()) })
    };
    wait_until(
        Duration::from_secs(30),
        "the request waiting on the lock",
        || shop_backends_waiting_on_a_lock(&url).map(|n| n == 1),
    )
    .await;
    let addr = shop.shop.addr;
    let stopping = tokio::spawn(shop.stop());
    wait_until(Duration::from_secs(10), "the listener closed", || async {
        TcpStream::connect(addr).await.is_err()
    })
    .await;
    assert!(!in_flight.is_finished(), "the request was cut off");
    lock.close().await.expect("unlock");
    let status = in_flight.await.expect("task").expect("an answer");
    assert_eq!(status, StatusCode::OK);
    stopping.await.expect("shutdown completes");
}

/// How many of the shop's connections wait on a lock.
async fn shop_backends_waiting_on_a_lock(database_url: &str) -> i64 {
    let Ok(mut conn) = PgConnection::connect(database_url).await else {
        return 0;
    };
    sqlx::query_scalar(
        "SELECT count(*) FROM pg_stat_activity \
         WHERE application_name = 'perflab-shop' AND wait_event_type = 'Lock'",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap_or(0)
}

#[tokio::test]
async fn requests_in_flight_when_postgres_stops_get_503_not_a_reset() {
    // The shop's error log, shown when the test fails: which error it mapped.
    let _ = tracing_subscriber::fmt()
        .with_test_writer()
        .with_ansi(false)
        .with_env_filter("perflab=warn")
        .try_init();
    // A scratch cluster of our own: stopping the shared server is not ours to do.
    let state = tempfile::tempdir().expect("tempdir");
    let mut config = Config::default();
    config.database.name = "perflab".into();
    let cluster = scratch_postgres::start(&config.database, state.path(), "a test wants its own")
        .await
        .expect("a scratch PostgreSQL cluster");
    let url = cluster.url("perflab");
    let seed = PgConnection::connect(&url).await.expect("connect");
    let options = SeedOptions {
        scale: Scale::Small,
        seed: 7,
        force: true,
        progress: false,
    };
    let pool = sqlx::PgPool::connect(&url).await.expect("pool");
    fixtures::seed(&pool, &options).await.expect("seed");
    pool.close().await;
    seed.close().await.expect("close");

    let mut settings = ShopSettings::default();
    settings.database.acquire_timeout = Duration::from_millis(500);
    // Requests wait on the lock until the server stops under them.
    let limits = ServerLimits {
        lock_timeout: Duration::from_secs(60),
        ..ServerLimits::default()
    };
    let shop = LimitedShop::start(url.clone(), settings, limits).await;
    assert_eq!(shop.get("/products/1").await.status(), StatusCode::OK);

    let _lock = lock_products(&url).await;
    let in_flight: Vec<_> = ["/products/2", "/products?category=2", "/categories"]
        .into_iter()
        .map(|path| {
            let http = shop.http.clone();
            let url = shop.url(path);
            tokio::spawn(async move { http.get(url).send().await })
        })
        .collect();
    wait_until(
        Duration::from_secs(30),
        "the requests waiting on the lock",
        || shop_backends_waiting_on_a_lock(&url).map(|n| n == 3),
    )
    .await;
    // Immediate: under a fast shutdown the lock holder may release the lock
    // before a waiter sees its signal, and that waiter then answers 200.
    cluster.crash().await;

    for request in in_flight {
        let response = request
            .await
            .expect("task")
            .expect("an answer, not a reset");
        if response.headers().get("retry-after").is_none() {
            let status = response.status();
            panic!("{status} without Retry-After: {:?}", response.text().await);
        }
        problem(response, StatusCode::SERVICE_UNAVAILABLE).await;
    }
    // With the server gone, new requests are 503 too.
    problem(
        shop.get("/products/4").await,
        StatusCode::SERVICE_UNAVAILABLE,
    )
    .await;
    assert_eq!(
        shop.get("/health").await.status(),
        StatusCode::SERVICE_UNAVAILABLE
    );
    shop.stop().await;
}

/// `METHOD /path` of every route in the README's shop table.
fn readme_shop_routes() -> Vec<(String, String)> {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    let table = readme
        .split("## The shop\n")
        .nth(1)
        .expect("a '## The shop' section")
        .lines()
        .skip_while(|line| !line.starts_with('|'))
        .take_while(|line| line.starts_with('|'));
    let mut routes = Vec::new();
    for row in table {
        let first_cell = row.split('|').nth(1).unwrap_or_default();
        for code in first_cell.split('`').skip(1).step_by(2) {
            if let Some((method, path)) = code.split_once(' ') {
                let path = path.split('?').next().unwrap_or_default();
                routes.push((method.to_lowercase(), path.to_string()));
            }
        }
    }
    routes
}

#[tokio::test]
async fn openapi_json_is_openapi_3_and_lists_every_route_of_the_readme() {
    let shop = LimitedShop::on(DB, ServerLimits::default()).await;
    let response = shop.get("/openapi.json").await;
    assert_eq!(response.status(), StatusCode::OK);
    let text = response.text().await.unwrap();
    let spec = oas3::from_json(&text).expect("a valid OpenAPI 3.1 document");
    assert!(spec.openapi.starts_with("3."), "{}", spec.openapi);
    let document: Value = serde_json::from_str(&text).unwrap();

    let routes = readme_shop_routes();
    assert!(routes.len() >= 14, "README table read: {routes:?}");
    for (method, path) in &routes {
        let operation = &document["paths"][path][method];
        assert!(
            operation.is_object(),
            "{method} {path} missing from /openapi.json"
        );
        assert!(
            operation["responses"]
                .as_object()
                .is_some_and(|r| !r.is_empty()),
            "{method} {path} has no responses"
        );
    }
    // Protected routes say so; errors are problem documents.
    assert_eq!(
        document["paths"]["/users/me"]["get"]["security"][0]["bearer"],
        serde_json::json!([])
    );
    assert!(
        document["components"]["responses"]["Problem"]["content"]["application/problem+json"]
            .is_object()
    );
    shop.stop().await;
}
