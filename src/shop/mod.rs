//! The shop: the live e-commerce API the labs optimise, every optimisation a
//! runtime setting.
//!
//! [`start`] binds the public API and the control API, writes the control token
//! to the state directory, and returns a [`RunningShop`] whose
//! [`shutdown`](RunningShop::shutdown) stops both gracefully. `perflab serve`
//! and the tests use it the same way; the TUI runs `perflab serve` as a child
//! process so the shop's memory and CPU are its own.
//!
//! The shop depends on `config`-free inputs ([`ShopOptions`], [`ServerLimits`])
//! so it can run against any database URL; it never imports the runner's pieces.
//! Both APIs are served by [`server`]'s accept loop, with its connection cap,
//! header and request timeouts.

pub mod auth;
pub mod cache;
pub mod control;
pub mod error;
pub mod header_arena;
pub mod limit;
pub mod memory;
pub mod metrics;
pub mod middleware;
pub mod openapi;
pub mod profile;
pub mod routes;
pub mod server;
pub mod settings;
pub mod state;
pub mod store;
pub mod telemetry;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arc_swap::ArcSwap;
use serde::{Deserialize, Serialize};
use sqlx::postgres::PgConnectOptions;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub use self::server::{ConnectionGauge, ServerLimits};
use self::settings::ShopSettings;
use self::state::AppState;

/// Everything the shop needs to run.
#[derive(Debug, Clone)]
pub struct ShopOptions {
    pub database_url: String,
    pub redis_url: Option<String>,
    pub settings: ShopSettings,
    /// Public API address; port 0 picks a free one.
    pub host: String,
    pub port: u16,
    /// Control API port on 127.0.0.1; 0 picks a free one.
    pub control_port: u16,
    pub jwt_secret: String,
    /// Where the control token file goes.
    pub state_dir: PathBuf,
}

/// Why the shop could not start, in one line with what to do.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(
        "port {port} on {host} is in use: stop the program using it, or pick another with --port (0 chooses a free one)"
    )]
    PortInUse { host: String, port: u16 },
    #[error("cannot listen on {host}:{port}: {source}")]
    Bind {
        host: String,
        port: u16,
        source: std::io::Error,
    },
    #[error("invalid database URL: {0}")]
    DatabaseUrl(sqlx::Error),
    #[error("invalid Redis URL: {0}")]
    RedisUrl(redis::RedisError),
    #[error("invalid settings: {0}")]
    Settings(String),
    #[error("invalid server limits: {0}")]
    Limits(String),
    #[error("cannot write the control token under {path}: {source}")]
    TokenFile {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot prepare authentication: {0}")]
    Auth(String),
}

/// What a running shop publishes in the state directory so that the runner and
/// the checks can find and control it (`shops/<port>.json`, mode 0600).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ShopEndpoint {
    pub url: String,
    pub control_url: String,
    pub control_token: String,
    pub pid: u32,
    /// The request log (`middleware.request_log`), once it is switched on.
    #[serde(default)]
    pub log_file: Option<PathBuf>,
}

/// How long shutdown waits for requests in flight.
pub const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(10);

/// A shop serving in the background of this process.
pub struct RunningShop {
    pub addr: SocketAddr,
    pub control_addr: SocketAddr,
    pub endpoint: ShopEndpoint,
    pub endpoint_file: PathBuf,
    state: Arc<AppState>,
    cancel: CancellationToken,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    connections: Arc<ConnectionGauge>,
}

/// Binds both listeners and starts serving, with the default [`ServerLimits`].
pub async fn start(options: ShopOptions) -> Result<RunningShop, StartError> {
    start_with_limits(options, ServerLimits::default()).await
}

/// Binds both listeners and starts serving within `limits`.
pub async fn start_with_limits(
    options: ShopOptions,
    limits: ServerLimits,
) -> Result<RunningShop, StartError> {
    options.settings.validate().map_err(StartError::Settings)?;
    limits.validate().map_err(StartError::Limits)?;
    if !store::statements::ensure_installed() {
        tracing::warn!("another tracing subscriber came first: X-Query-Count will read 0");
    }
    let connect: PgConnectOptions = options
        .database_url
        .parse()
        .map_err(StartError::DatabaseUrl)?;
    // The server and the database the entries come from: shops on another
    // server or database never share them.
    let namespace = format!(
        "{}:{}/{}",
        connect.get_host(),
        connect.get_port(),
        connect.get_database().unwrap_or("postgres")
    );
    let db = Arc::new(store::Db::new(
        connect,
        &options.settings.database,
        store::Timeouts {
            statement: limits.statement_timeout,
            lock: limits.lock_timeout,
            export: limits.export_timeout,
        },
    ));
    let cache = cache::Cache::new(options.redis_url.as_deref(), &namespace, Arc::clone(&db))
        .map_err(StartError::RedisUrl)?;
    let limiter = limit::Limiter::new(options.redis_url.as_deref(), &namespace)
        .map_err(StartError::RedisUrl)?;
    let keys = auth::Keys::new(&options.jwt_secret)
        .await
        .map_err(|e| StartError::Auth(e.to_string()))?;

    let public = bind(&options.host, options.port).await?;
    let control = bind("127.0.0.1", options.control_port).await?;
    let addr = local_addr(&public, &options.host, options.port)?;
    let control_addr = local_addr(&control, "127.0.0.1", options.control_port)?;
    let log_file = options
        .state_dir
        .join("logs")
        .join(format!("shop-{}.log", addr.port()));
    let state = Arc::new(AppState {
        db,
        settings: ArcSwap::from_pointee(options.settings.clone()),
        keys,
        cache,
        limiter,
        log: telemetry::RequestLog::new(log_file.clone()),
        breakdown: Default::default(),
        metrics: metrics::Metrics::new(),
        applying: std::sync::Mutex::new(()),
    });

    let control_token = random_token();
    let endpoint = ShopEndpoint {
        url: format!("http://{addr}"),
        control_url: format!("http://{control_addr}"),
        control_token: control_token.clone(),
        pid: std::process::id(),
        log_file: Some(log_file),
    };
    let endpoint_file = write_endpoint(&options.state_dir, addr.port(), &endpoint)?;

    memory::start_sampling();
    let cancel = CancellationToken::new();
    let watcher = {
        let state = Arc::clone(&state);
        let cancel = cancel.clone();
        tokio::spawn(async move { state.cache.watch(cancel).await })
    };
    let (public_task, connections) = server::spawn(
        public,
        server::request_limits(routes::router(Arc::clone(&state)), &limits),
        limits.max_connections,
        &limits,
        true,
        cancel.clone(),
    );
    let (control_task, _) = server::spawn(
        control,
        server::request_limits(control::router(Arc::clone(&state), control_token), &limits),
        server::CONTROL_MAX_CONNECTIONS,
        &limits,
        false,
        cancel.clone(),
    );
    let upkeep = {
        let state = Arc::clone(&state);
        let cancel = cancel.clone();
        tokio::spawn(async move { state.metrics.upkeep(cancel).await })
    };
    let tasks = vec![watcher, upkeep, public_task, control_task];
    tracing::info!(url = %endpoint.url, control = %endpoint.control_url, "shop listening");
    Ok(RunningShop {
        addr,
        control_addr,
        endpoint,
        endpoint_file,
        state,
        cancel,
        tasks,
        connections,
    })
}

impl RunningShop {
    /// Stops accepting, gives requests in flight [`SHUTDOWN_GRACE`] to finish
    /// (a slow reader of a streamed export must not keep the shop alive),
    /// closes the pool and removes the endpoint file.
    pub async fn shutdown(mut self) {
        self.cancel.cancel();
        let drained = tokio::time::timeout(
            SHUTDOWN_GRACE,
            futures::future::join_all(self.tasks.iter_mut()),
        )
        .await;
        if drained.is_err() {
            tracing::warn!("requests still running after {SHUTDOWN_GRACE:?}; closing them");
            self.tasks.iter().for_each(|task| task.abort());
        }
        self.state.db.close().await;
        let _ = std::fs::remove_file(&self.endpoint_file);
    }

    /// Waits, at most `within`, until the cache is up (or known down): see
    /// [`cache::Cache::ready`]. `perflab serve` announces the shop after it.
    pub async fn cache_ready(&self, within: std::time::Duration) -> cache::Readiness {
        self.state.cache.ready(within).await
    }

    /// The public base URL, e.g. `http://127.0.0.1:8000`.
    pub fn url(&self) -> &str {
        &self.endpoint.url
    }

    /// The public API's open connections, now and at the most so far.
    pub fn connections(&self) -> &ConnectionGauge {
        &self.connections
    }
}

async fn bind(host: &str, port: u16) -> Result<TcpListener, StartError> {
    TcpListener::bind((host, port)).await.map_err(|source| {
        if source.kind() == std::io::ErrorKind::AddrInUse {
            StartError::PortInUse {
                host: host.to_string(),
                port,
            }
        } else {
            StartError::Bind {
                host: host.to_string(),
                port,
                source,
            }
        }
    })
}

fn local_addr(listener: &TcpListener, host: &str, port: u16) -> Result<SocketAddr, StartError> {
    listener.local_addr().map_err(|source| StartError::Bind {
        host: host.to_string(),
        port,
        source,
    })
}

/// 256 random bits, hex-encoded (control tokens, the JWT secret).
pub(crate) fn random_token() -> String {
    let bytes: [u8; 32] = rand::random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A synced, owner-only (0600) temp file in `dir` holding `bytes`, ready to be
/// persisted under its final name: how the shop writes its secrets (control
/// tokens, the JWT secret), which no other user may read, even half-written.
pub(crate) fn owner_only_file(
    dir: &Path,
    bytes: &[u8],
) -> std::io::Result<tempfile::NamedTempFile> {
    use std::io::Write;
    use std::os::unix::fs::PermissionsExt;

    std::fs::create_dir_all(dir)?;
    let mut file = tempfile::NamedTempFile::new_in(dir)?;
    file.as_file()
        .set_permissions(std::fs::Permissions::from_mode(0o600))?;
    file.write_all(bytes)?;
    file.as_file().sync_all()?;
    Ok(file)
}

/// Writes `shops/<port>.json` atomically with owner-only permissions.
fn write_endpoint(
    state_dir: &Path,
    port: u16,
    endpoint: &ShopEndpoint,
) -> Result<PathBuf, StartError> {
    let dir = state_dir.join("shops");
    let path = dir.join(format!("{port}.json"));
    let io = |source| StartError::TokenFile {
        path: path.clone(),
        source,
    };
    let json = serde_json::to_vec_pretty(endpoint).map_err(|e| io(e.into()))?;
    owner_only_file(&dir, &json)
        .map_err(io)?
        .persist(&path)
        .map_err(|e| io(e.error))?;
    Ok(path)
}

/// Reads what a running shop published (used by the runner and the tests).
pub fn read_endpoint(state_dir: &Path, port: u16) -> std::io::Result<ShopEndpoint> {
    let text = std::fs::read(state_dir.join("shops").join(format!("{port}.json")))?;
    serde_json::from_slice(&text).map_err(std::io::Error::other)
}
