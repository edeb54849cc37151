//! The shop's own HTTP/1 accept loop and the limits every production API has:
//! a cap on open connections, a deadline for a request's headers, a deadline
//! for its answer, and ceilings on the size of its URI and headers.
//!
//! Why not `axum::serve`: it sets no timer on hyper, so hyper's header read
//! timeout is off (axum #2741) and a client that sends half a request holds
//! its socket forever; and it accepts without bound, so enough such clients
//! exhaust the file descriptors and the shop stops accepting at all (the issue
//! measured it: 600 half-sent requests under `ulimit -n 512`). Here each
//! socket needs a [`Semaphore`] permit before it is accepted (beyond the cap,
//! clients wait in the kernel's backlog), and hyper's `http1::Builder` runs
//! with a [`TokioTimer`] and `header_read_timeout`, which also closes a
//! keep-alive connection idle for that long. HTTP/1 only: hyper-util's `auto`
//! builder reads the HTTP/2 preface with no timeout (hyper #3756), and nothing
//! the course uses speaks h2c.
//!
//! Used by `shop::start` for the public API and the control API alike; the
//! router it serves is wrapped by [`request_limits`] (414, 431, 400 for a
//! query that is not UTF-8, the request timeout), whose answers are problem
//! documents from `shop::error`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request};
use axum::http::{Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use serde::Deserialize;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;

use super::error::Error;

/// What one shop accepts. Defaults suit the course's machine; `perflab.toml`
/// can change them under `[shop.limits]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerLimits {
    /// Sockets open at once on the public API; beyond it new clients wait in
    /// the kernel's backlog until one closes. Default: 1024, or less when the
    /// open-file limit (`ulimit -n`) leaves less room ([`default_max_connections`]).
    pub max_connections: usize,
    /// How long a client may take to send a request's headers, and how long a
    /// keep-alive connection may sit idle; then the socket is closed.
    #[serde(with = "humantime_serde")]
    pub header_read_timeout: Duration,
    /// How long the shop works on a request before it answers 503. It runs
    /// until the response's head: a streamed body (the export) is not cut by it.
    #[serde(with = "humantime_serde")]
    pub request_timeout: Duration,
    /// Longest request target (path and query) in bytes; longer is 414.
    pub max_uri_bytes: usize,
    /// Largest header section (names, values and separators) in bytes;
    /// beyond it is 431. (More than 100 fields is hyper's own 431, see
    /// [`HYPER_MAX_BUF`].)
    pub max_header_bytes: usize,
    /// PostgreSQL's `statement_timeout` on the shop's connections: no query
    /// runs longer. Below `request_timeout`, so the database gives up first.
    #[serde(with = "humantime_serde")]
    pub statement_timeout: Duration,
    /// PostgreSQL's `lock_timeout`: a query waiting this long for a lock (a
    /// `LOCK TABLE`, a long migration) gives up, and the client gets a 503
    /// instead of a request that hangs.
    #[serde(with = "humantime_serde")]
    pub lock_timeout: Duration,
    /// `statement_timeout` of the streamed export's query, which lasts as long
    /// as the client takes to read 26 MB.
    #[serde(with = "humantime_serde")]
    pub export_timeout: Duration,
}

/// The control API's connection cap: it listens on 127.0.0.1 for the runner,
/// the TUI and the checks, a handful of clients.
pub const CONTROL_MAX_CONNECTIONS: usize = 64;

/// File descriptors kept free for everything but client sockets: the pool
/// (up to 100 connections, twice while a resize swaps pools), Redis, the
/// control API's sockets, logs, the runtime's own.
const RESERVED_FDS: u64 = 256 + CONTROL_MAX_CONNECTIONS as u64;

/// Hyper's read buffer, which bounds a request head before our own checks see
/// it. Heads between our limits and this get a problem document; beyond it
/// hyper answers a bare 431 itself (it has no hook for the body of its
/// automatic answers). Large enough for any request our limits accept.
///
/// Hyper also answers a bare 431 past 100 header fields. Raising that with
/// `max_headers` would let ours answer instead, but makes hyper allocate its
/// field arrays on the heap for every request: `max_headers(512)` cost 25 %
/// more CPU per cached request (12 → 15 µs, `bench/limits.sh`), for the body
/// of an answer only abusive clients see.
const HYPER_MAX_BUF: usize = 64 * 1024;

impl Default for ServerLimits {
    fn default() -> Self {
        Self {
            max_connections: default_max_connections(),
            header_read_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            max_uri_bytes: 8 * 1024,
            max_header_bytes: 16 * 1024,
            statement_timeout: Duration::from_secs(15),
            lock_timeout: Duration::from_secs(3),
            export_timeout: Duration::from_secs(300),
        }
    }
}

impl ServerLimits {
    /// Refuses limits that would make the shop unusable, naming the key.
    pub fn validate(&self) -> Result<(), String> {
        let positive = [
            ("max_connections", self.max_connections),
            ("max_uri_bytes", self.max_uri_bytes),
            ("max_header_bytes", self.max_header_bytes),
        ];
        if let Some((key, _)) = positive.iter().find(|(_, value)| *value == 0) {
            return Err(format!("shop.limits.{key} must be at least 1"));
        }
        let head = self.max_uri_bytes + self.max_header_bytes;
        if head > HYPER_MAX_BUF - 1024 {
            return Err(format!(
                "shop.limits.max_uri_bytes + max_header_bytes = {head}: expected at most {}",
                HYPER_MAX_BUF - 1024
            ));
        }
        let durations = [
            ("header_read_timeout", self.header_read_timeout),
            ("request_timeout", self.request_timeout),
            ("statement_timeout", self.statement_timeout),
            ("lock_timeout", self.lock_timeout),
            ("export_timeout", self.export_timeout),
        ];
        if let Some((key, _)) = durations
            .iter()
            .find(|(_, value)| *value < Duration::from_millis(1))
        {
            return Err(format!("shop.limits.{key} must be at least 1ms"));
        }
        Ok(())
    }
}

/// 1024 sockets, or fewer when `RLIMIT_NOFILE` leaves less after
/// [`RESERVED_FDS`] (at least 32, so a tiny limit still serves someone).
pub fn default_max_connections() -> usize {
    use nix::sys::resource::{Resource, getrlimit};
    let soft = getrlimit(Resource::RLIMIT_NOFILE).map_or(u64::MAX, |(soft, _)| soft);
    let room = soft.saturating_sub(RESERVED_FDS).max(32);
    usize::try_from(room).map_or(1024, |room| room.min(1024))
}

/// Open connections of one listener, now and at most so far (the connection
/// cap's test reads the peak; a dashboard could read both).
#[derive(Debug, Default)]
pub struct ConnectionGauge {
    open: AtomicUsize,
    peak: AtomicUsize,
}

impl ConnectionGauge {
    pub fn open(&self) -> usize {
        self.open.load(Ordering::Relaxed)
    }

    pub fn peak(&self) -> usize {
        self.peak.load(Ordering::Relaxed)
    }

    fn opened(self: &Arc<Self>) -> OpenConnection {
        let now = self.open.fetch_add(1, Ordering::Relaxed) + 1;
        self.peak.fetch_max(now, Ordering::Relaxed);
        OpenConnection(Arc::clone(self))
    }
}

/// Counts one connection as open until dropped.
struct OpenConnection(Arc<ConnectionGauge>);

impl Drop for OpenConnection {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Serves `router` on `listener` until `cancel`, then lets every connection
/// finish its request in flight (hyper's graceful shutdown) and returns.
/// With `connect_info`, each request carries its socket's peer as axum's
/// `ConnectInfo<SocketAddr>` (the rate limiter keys anonymous callers by it).
/// Aborting the returned task closes every connection at once: they live in
/// its `JoinSet`.
pub fn spawn(
    listener: TcpListener,
    router: Router,
    max_connections: usize,
    limits: &ServerLimits,
    connect_info: bool,
    cancel: CancellationToken,
) -> (tokio::task::JoinHandle<()>, Arc<ConnectionGauge>) {
    let gauge = Arc::new(ConnectionGauge::default());
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .max_buf_size(HYPER_MAX_BUF);
    let task = tokio::spawn(accept_loop(
        listener,
        router,
        Arc::new(Semaphore::new(max_connections)),
        builder,
        Arc::clone(&gauge),
        connect_info,
        cancel,
    ));
    (task, gauge)
}

async fn accept_loop(
    listener: TcpListener,
    router: Router,
    permits: Arc<Semaphore>,
    builder: http1::Builder,
    gauge: Arc<ConnectionGauge>,
    connect_info: bool,
    cancel: CancellationToken,
) {
    let mut connections = JoinSet::new();
    loop {
        // The permit first: at the cap, stop accepting and leave new clients
        // in the backlog rather than take a descriptor for each.
        let permit = tokio::select! {
            () = cancel.cancelled() => break,
            permit = Arc::clone(&permits).acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
        };
        let (stream, peer) = tokio::select! {
            () = cancel.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    accept_failed(e, &cancel).await;
                    continue;
                }
            },
        };
        let open = gauge.opened();
        // The peer for the public API's rate limiter. The extension map it
        // allocates exists anyway: axum's router inserts `MatchedPath`.
        let router = router.clone();
        let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
            let mut request = request.map(Body::new);
            if connect_info {
                request.extensions_mut().insert(ConnectInfo(peer));
            }
            router.clone().oneshot(request)
        });
        let connection = builder.serve_connection(TokioIo::new(stream), service);
        let cancel = cancel.clone();
        connections.spawn(async move {
            let _slot = (permit, open);
            let mut connection = std::pin::pin!(connection);
            let result = tokio::select! {
                result = connection.as_mut() => result,
                () = cancel.cancelled() => {
                    connection.as_mut().graceful_shutdown();
                    connection.await
                }
            };
            if let Err(e) = result {
                // Header timeouts, clients gone mid-request: routine on the web.
                tracing::debug!(%peer, error = %e, "connection ended with an error");
            }
        });
        // Forget finished connections so the set holds only live ones.
        while connections.try_join_next().is_some() {}
    }
    drop(listener);
    while connections.join_next().await.is_some() {}
}

/// Accept errors: a client that gave up before we took it is nothing; being
/// out of file descriptors (or any other error) is worth a log line and a
/// short pause, or the loop would spin on the same error (what axum does too).
async fn accept_failed(error: std::io::Error, cancel: &CancellationToken) {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(
        error.kind(),
        ConnectionAborted | ConnectionRefused | ConnectionReset
    ) {
        return;
    }
    tracing::warn!(error = %error, "accept failed; retrying in 100 ms");
    tokio::select! {
        () = cancel.cancelled() => {}
        () = tokio::time::sleep(Duration::from_millis(100)) => {}
    }
}

/// Wraps a router in the per-request limits: 414 for a long URI, 431 for
/// large headers, 400 for a query string that is not UTF-8, and 503 when the answer takes longer than
/// `request_timeout` — each a problem document.
///
/// The timeout is written here rather than taken from tower-http's
/// `TimeoutLayer`: that layer answers with an empty body, and every error of
/// the shop is a problem document with `Retry-After`. It covers the time to
/// the response's head, so a streamed body (the export) is not cut by it.
pub fn request_limits(router: Router, limits: &ServerLimits) -> Router {
    let limits = Arc::new(limits.clone());
    router.layer(middleware::from_fn(move |request: Request, next: Next| {
        let limits = Arc::clone(&limits);
        async move { limit_request(&limits, request, next).await }
    }))
}

async fn limit_request(limits: &ServerLimits, request: Request, next: Next) -> Response {
    if let Err(error) = check_head(limits, &request) {
        return error.into_response();
    }
    let method = request.method().clone();
    match tokio::time::timeout(limits.request_timeout, next.run(request)).await {
        Ok(response) => problem_for_bare_405(response, &method),
        Err(_) => Error::RequestTimeout(limits.request_timeout).into_response(),
    }
}

/// axum answers a method a route lacks with an empty 405; this makes it a
/// problem document like every other error, keeping its `Allow` header. Done
/// here, once for both routers, rather than with a fallback on each.
fn problem_for_bare_405(response: Response, method: &Method) -> Response {
    if response.status() != StatusCode::METHOD_NOT_ALLOWED
        || response.headers().contains_key(header::CONTENT_TYPE)
    {
        return response;
    }
    let allow = response.headers().get(header::ALLOW).cloned();
    let mut problem = Error::MethodNotAllowed(method.to_string()).into_response();
    if let Some(allow) = allow {
        problem.headers_mut().insert(header::ALLOW, allow);
    }
    problem
}

fn check_head(limits: &ServerLimits, request: &Request) -> Result<(), Error> {
    let uri = request
        .uri()
        .path_and_query()
        .map_or(0, |target| target.as_str().len());
    if uri > limits.max_uri_bytes {
        return Err(Error::UriTooLong(limits.max_uri_bytes));
    }
    let headers = request.headers();
    // As on the wire: `name: value\r\n`.
    let bytes: usize = headers
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len() + 4)
        .sum();
    if bytes > limits.max_header_bytes {
        return Err(Error::HeadersTooLarge(limits.max_header_bytes));
    }
    // `?q=%FF%FE`: axum's `Query` would replace the bytes with U+FFFD and
    // answer as if the client had sent those characters.
    if let Some(query) = request.uri().query()
        && !query_is_utf8(query)
    {
        return Err(Error::BadRequest(
            "the query string's percent-escapes are not valid UTF-8; encode the text as UTF-8"
                .into(),
        ));
    }
    Ok(())
}

/// Escapes cannot span `&` or `=`, so the whole string decodes iff every
/// key and value does.
fn query_is_utf8(query: &str) -> bool {
    percent_encoding::percent_decode_str(query)
        .decode_utf8()
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_the_database_gives_up_before_the_request() {
        let limits = ServerLimits::default();
        assert_eq!(limits.validate(), Ok(()));
        assert!(limits.statement_timeout < limits.request_timeout);
        assert!(limits.lock_timeout < limits.statement_timeout);
        assert!((32..=1024).contains(&limits.max_connections));
    }

    #[test]
    fn limits_read_from_toml_and_refuse_nonsense() {
        let limits: ServerLimits =
            toml::from_str("max_connections = 8\nheader_read_timeout = \"2s\"\n").unwrap();
        assert_eq!(limits.max_connections, 8);
        assert_eq!(limits.header_read_timeout, Duration::from_secs(2));
        assert_eq!(limits.request_timeout, Duration::from_secs(30));
        let zero = ServerLimits {
            max_connections: 0,
            ..ServerLimits::default()
        };
        assert!(zero.validate().unwrap_err().contains("max_connections"));
        assert!(toml::from_str::<ServerLimits>("max_conections = 8").is_err());
    }

    #[test]
    fn a_query_is_utf8_only_when_its_escapes_decode_to_utf8() {
        assert!(query_is_utf8("q=keyboard&limit=5"));
        assert!(query_is_utf8("q=%C3%A9t%C3%A9")); // "été"
        assert!(query_is_utf8("q=100%"));
        assert!(!query_is_utf8("q=%FF%FE"));
        assert!(!query_is_utf8("q=%C3&x=%A9"));
    }

    #[test]
    fn a_connection_counts_until_dropped_and_the_peak_stays() {
        let gauge = Arc::new(ConnectionGauge::default());
        let (a, b) = (gauge.opened(), gauge.opened());
        assert_eq!((gauge.open(), gauge.peak()), (2, 2));
        drop((a, b));
        let _c = gauge.opened();
        assert_eq!((gauge.open(), gauge.peak()), (1, 2));
    }
}
