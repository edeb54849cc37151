//! Shared by the integration tests: a shop started in-process against the real
//! local PostgreSQL (and Redis), on a database of its own seeded at `small`
//! scale, and a few HTTP helpers.
//!
//! Each test binary gets its own database (`perflab_test_<name>`), reseeded
//! once per run so every run starts from the same catalog; tests inside one
//! binary share it and keep out of each other's way by touching distinct rows.

#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use perflab::config::Config;
use perflab::fixtures::{self, Scale, SeedOptions};
use perflab::shop::settings::ShopSettings;
use perflab::shop::{self, RunningShop, ShopOptions};
use reqwest::StatusCode;
use serde_json::Value;

/// The machine's Redis, which CI starts (`.ci/run`); a shop given it checks
/// first that it answers, so a Redis that is down reads as one line.
pub const LOCAL_REDIS_URL: &str = "redis://127.0.0.1:6379";

/// The URL of database `perflab_test_<name>`, created and seeded once per run
/// of this test binary. Tests that must not see other tests' writes (a
/// product write retires every cached listing) take a name of their own.
/// `PERFLAB_TEST_DB_PREFIX` keeps two checkouts testing on one server apart.
pub fn database_url(name: &str) -> String {
    require(&[Need::Postgres]);
    static URLS: OnceLock<Mutex<HashMap<String, String>>> = OnceLock::new();
    let mut urls = URLS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some(url) = urls.get(name) {
        return url.clone();
    }
    let prefix = std::env::var("PERFLAB_TEST_DB_PREFIX").unwrap_or_default();
    let database = format!("perflab_test_{prefix}{name}");
    // Seeding runs on a runtime of its own: each #[tokio::test] has its own
    // runtime, and a pool must not outlive the runtime that made it.
    let url = std::thread::spawn(move || {
        let runtime = tokio::runtime::Runtime::new().expect("runtime");
        runtime.block_on(prepare_database(database))
    })
    .join()
    .expect("seeding thread panicked");
    urls.insert(name.to_string(), url.clone());
    url
}

async fn prepare_database(name: String) -> String {
    let mut config = Config::default();
    config.database.name = name;
    config.database.scratch = false;
    config.redis.scratch = false;
    config.state_dir = Some(std::env::temp_dir().join("perflab-tests-state"));
    let services = perflab::services::start(&config)
        .await
        .expect("the local PostgreSQL must be running for the integration tests");
    let url = services.postgres.url.clone();
    let pool = sqlx::PgPool::connect(&url).await.expect("connect");
    let options = SeedOptions {
        scale: Scale::Small,
        seed: 7,
        force: true,
        progress: false,
    };
    fixtures::seed(&pool, &options).await.expect("seed");
    pool.close().await;
    services.shutdown().await;
    url
}

/// A shop on a free port, with its client.
pub struct TestShop {
    pub shop: RunningShop,
    pub http: reqwest::Client,
    pub state_dir: tempfile::TempDir,
}

impl TestShop {
    pub async fn start(db: &str, settings: ShopSettings) -> Self {
        Self::start_with_redis(db, settings, None).await
    }

    pub async fn start_with_redis(
        db: &str,
        settings: ShopSettings,
        redis_url: Option<String>,
    ) -> Self {
        Self::start_with(db, settings, redis_url, "test-secret").await
    }

    /// A shop signing with another JWT secret (tokens must not cross).
    pub async fn start_with_secret(db: &str, secret: &str) -> Self {
        Self::start_with(db, ShopSettings::default(), None, secret).await
    }

    /// A shop reaching its database at `database_url` (a latency relay's).
    pub async fn start_through(
        database_url: String,
        settings: ShopSettings,
        redis_url: Option<String>,
    ) -> Self {
        Self::start_at(database_url, settings, redis_url, "test-secret").await
    }

    async fn start_with(
        db: &str,
        settings: ShopSettings,
        redis_url: Option<String>,
        jwt_secret: &str,
    ) -> Self {
        Self::start_at(database_url(db), settings, redis_url, jwt_secret).await
    }

    async fn start_at(
        database_url: String,
        settings: ShopSettings,
        redis_url: Option<String>,
        jwt_secret: &str,
    ) -> Self {
        if redis_url.as_deref() == Some(LOCAL_REDIS_URL) {
            require(&[Need::Redis]);
        }
        let state_dir = tempfile::tempdir().expect("tempdir");
        let shop = shop::start(ShopOptions {
            database_url,
            redis_url,
            settings,
            host: "127.0.0.1".into(),
            port: 0,
            control_port: 0,
            jwt_secret: jwt_secret.into(),
            state_dir: state_dir.path().to_path_buf(),
        })
        .await
        .expect("shop starts");
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("http client");
        Self {
            shop,
            http,
            state_dir,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.shop.endpoint.url)
    }

    pub fn control(&self, path: &str) -> String {
        format!("{}{path}", self.shop.endpoint.control_url)
    }

    pub fn control_token(&self) -> &str {
        &self.shop.endpoint.control_token
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http.get(self.url(path)).send().await.expect("request")
    }

    pub async fn get_as(&self, path: &str, token: &str) -> reqwest::Response {
        self.http
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("request")
    }

    /// Sends `body` as JSON to the public API, with a bearer token if given.
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: &Value,
    ) -> reqwest::Response {
        let request = self.http.request(method, self.url(path)).json(body);
        let request = match token {
            Some(token) => request.bearer_auth(token),
            None => request,
        };
        request.send().await.expect("request")
    }

    /// GETs a control API path and parses its JSON.
    pub async fn control_json<T: serde::de::DeserializeOwned>(&self, path: &str) -> T {
        self.http
            .get(self.control(path))
            .bearer_auth(self.control_token())
            .send()
            .await
            .expect("control request")
            .json()
            .await
            .expect("control json")
    }

    /// Changes some settings through the control API (a JSON merge patch),
    /// as the TUI does; panics unless the shop took them.
    pub async fn patch_settings(&self, patch: &Value) {
        let response = self
            .http
            .patch(self.control("/settings"))
            .bearer_auth(self.control_token())
            .json(patch)
            .send()
            .await
            .expect("control request");
        assert_eq!(response.status(), reqwest::StatusCode::OK, "{patch}");
    }

    /// The cache's counters per route, read through the control API.
    pub async fn cache_stats(&self) -> Value {
        self.control_json("/cache/stats").await
    }

    /// The shop's settings, read through the control API.
    pub async fn settings(&self) -> ShopSettings {
        self.control_json("/settings").await
    }

    /// Logs in and returns the bearer token.
    pub async fn login(&self, email: &str, password: &str) -> String {
        let response = self
            .http
            .post(self.url("/auth/login"))
            .json(&serde_json::json!({ "email": email, "password": password }))
            .send()
            .await
            .expect("login request");
        assert_eq!(response.status(), StatusCode::OK, "login as {email}");
        let body: Value = response.json().await.expect("login json");
        body["access_token"].as_str().expect("token").to_string()
    }

    pub async fn admin(&self) -> String {
        self.login(
            fixtures::users::ADMIN_EMAIL,
            fixtures::users::ADMIN_PASSWORD,
        )
        .await
    }

    pub async fn customer(&self, id: i64) -> String {
        let (email, password) = fixtures::users::credentials(id);
        self.login(&email, password).await
    }

    /// Replaces the shop's settings through the control API.
    pub async fn put_settings(&self, settings: &ShopSettings) {
        let response = self
            .http
            .put(self.control("/settings"))
            .bearer_auth(self.control_token())
            .json(settings)
            .send()
            .await
            .expect("control request");
        assert_eq!(
            response.status(),
            StatusCode::OK,
            "{:?}",
            response.text().await
        );
    }

    pub async fn stop(self) {
        self.shop.shutdown().await;
    }
}

/// Asserts a problem document with `status` and returns it.
pub async fn problem(response: reqwest::Response, status: StatusCode) -> Value {
    assert_eq!(response.status(), status);
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    assert_eq!(content_type, "application/problem+json");
    let body: Value = response.json().await.expect("problem json");
    assert_eq!(body["status"], status.as_u16());
    assert!(body["detail"].as_str().is_some_and(|d| !d.is_empty()));
    body
}

/// The number the shop reported in `X-Query-Count`.
pub fn query_count(response: &reqwest::Response) -> u32 {
    response.headers()["x-query-count"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("a number")
}

/// Polls `condition` until it holds or `timeout` passes; panics with `what`.
pub async fn wait_until<F, Fut>(timeout: Duration, what: &str, mut condition: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + timeout;
    while !condition().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A port nothing listens on, kept that way while this lives: the socket is
/// bound but not listening, so connections are refused and no scratch server
/// (or other test) can take the port meanwhile.
pub struct ClosedPort(tokio::net::TcpSocket);

impl ClosedPort {
    pub fn new() -> Self {
        let socket = tokio::net::TcpSocket::new_v4().expect("socket");
        socket.set_reuseaddr(false).expect("no SO_REUSEADDR");
        socket
            .bind("127.0.0.1:0".parse().expect("addr"))
            .expect("bind a free port");
        Self(socket)
    }

    pub fn addr(&self) -> String {
        self.0.local_addr().expect("local addr").to_string()
    }
}

/// A check context on `shop`: its public URL, control API and database.
pub fn check_context(
    shop: &TestShop,
    db: &str,
    lang: perflab::check::Lang,
) -> perflab::check::Context {
    perflab::check::Context::new(&shop.shop.endpoint.url, lang)
        .with_control(&shop.shop.endpoint.control_url, shop.control_token())
        .with_database(database_url(db))
}

/// Parses one check of a lab's TOML (`kind = …` and its fields).
pub fn check_spec(toml: &str) -> perflab::check::CheckSpec {
    toml::from_str(toml).expect("a valid check spec")
}

/// Waits until the shop's `/health` reports `cache.status` = `status`.
pub async fn wait_for_cache_status(shop: &TestShop, status: &str) {
    wait_until(
        Duration::from_secs(10),
        &format!("cache {status}"),
        || async {
            let health: Value = shop.get("/health").await.json().await.unwrap_or_default();
            health["cache"]["status"] == status
        },
    )
    .await;
}

/// Every product's price in database `perflab_test_<db>`, as exact text.
pub async fn product_prices(db: &str) -> std::collections::BTreeMap<i64, String> {
    let pool = sqlx::PgPool::connect(&database_url(db))
        .await
        .expect("connect");
    let rows: Vec<(i64, String)> = sqlx::query_as("SELECT id, price::text FROM products")
        .fetch_all(&pool)
        .await
        .expect("prices");
    pool.close().await;
    rows.into_iter().collect()
}

/// Block 1's pack as the repository holds it (`labs/` and `solutions/`).
pub fn block1() -> perflab::lab::Catalog {
    let labs = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("labs");
    perflab::lab::Catalog::from_dir(&labs).expect("the pack reads")
}

/// Check `id` of lab `lab` (`1.3`) in the repository's pack, as its TOML says it.
pub fn lab_check(lab: &str, id: &str) -> perflab::check::CheckSpec {
    let catalog = block1();
    let lab = catalog.find(lab).expect("a Block 1 lab");
    lab.checks
        .iter()
        .find(|spec| spec.id() == id)
        .unwrap_or_else(|| panic!("lab {} has no check {id}", lab.id))
        .clone()
}

/// Product `id`'s price in database `perflab_test_<db>`, as exact text.
pub async fn product_price(db: &str, id: i64) -> String {
    let pool = sqlx::PgPool::connect(&database_url(db))
        .await
        .expect("connect");
    let price: String = sqlx::query_scalar("SELECT price::text FROM products WHERE id = $1")
        .bind(id)
        .fetch_one(&pool)
        .await
        .expect("a price");
    pool.close().await;
    price
}

/// A server that accepts connections and never answers: a peer that hangs,
/// for stopping a check midway at a known step. Accepts until dropped.
pub struct SilentServer {
    addr: std::net::SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl SilentServer {
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let task = tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((socket, _)) = listener.accept().await {
                held.push(socket);
            }
        });
        Self { addr, task }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for SilentServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Every result that measured a number says its unit; a judgement has neither.
pub fn assert_units(results: &[perflab::check::CheckResult]) {
    for r in results {
        assert_eq!(
            r.measured.is_some(),
            r.unit.is_some(),
            "{} ({}): measured {:?} in {:?}",
            r.id,
            r.kind,
            r.measured,
            r.unit
        );
    }
}

/// What a test needs from the machine, checked before it starts.
pub mod prerequisites;
pub use prerequisites::{Need, require};

/// `perflab labs validate labs/ --scale small --only LAB` on a database of
/// its own (`perflab_test_<prefix><db>`), its output once it succeeded.
pub fn validate_only(lab: &str, db: &str) -> String {
    let dir = tempfile::tempdir().expect("temp dir");
    let prefix = std::env::var("PERFLAB_TEST_DB_PREFIX").unwrap_or_default();
    let config = dir.path().join("perflab.toml");
    std::fs::write(
        &config,
        format!("[database]\nname = \"perflab_test_{prefix}{db}\"\n"),
    )
    .expect("config");
    let labs = concat!(env!("CARGO_MANIFEST_DIR"), "/labs");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_perflab"))
        .current_dir(dir.path())
        .args(["--config", config.to_str().expect("utf-8 path")])
        .args(["labs", "validate", labs, "--scale", "small", "--only", lab])
        .env("PERFLAB_STATE_DIR", dir.path().join("state"))
        .env_remove("DATABASE_URL")
        .env_remove("REDIS_URL")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("perflab runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "{text}");
    text
}

/// The line of `validate_only`'s output that proves check `id`.
pub fn proven_line(text: &str, id: &str) -> String {
    text.lines()
        .find(|l| l.trim_start().starts_with(&format!("✓ {id} ")))
        .unwrap_or_else(|| panic!("no proven line for {id}:\n{text}"))
        .to_string()
}

/// The perflab binary to run in `dir` with `args`: its state in
/// `dir/.state`, a fixed `LANG`, no terminal. Callers add their environment.
pub fn perflab_command(dir: &std::path::Path, args: &[&str]) -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_perflab"));
    command
        .current_dir(dir)
        .args(args)
        .env("LANG", "C.UTF-8")
        .env("PERFLAB_STATE_DIR", dir.join(".state"))
        .stdin(std::process::Stdio::null());
    command
}

/// Copies a folder and everything under it (a lab pack a test changes).
pub fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir").flatten() {
        let path = entry.path();
        let target = to.join(entry.file_name());
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            std::fs::copy(&path, &target).expect("copy");
        }
    }
}

/// A finished command's stdout and stderr, for assertion messages.
pub fn output_text(output: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}
