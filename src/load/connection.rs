//! One keep-alive HTTP/1.1 connection, driven inside the task that uses it.
//!
//! Why not a pooled client: a pool adds a lock and a checkout per request and
//! hides reconnects (hyper #1970); a load generator wants exactly N sockets.
//! Why not spawn hyper's connection future: driving it in the same task as
//! the request (a `select!` over both) saves a task and a cross-thread wake-up
//! per request, which matters when the generator shares 2 cores with the
//! server it measures. A broken or closed connection is dropped and the next
//! request reconnects; that reconnect counts in the request's latency, as in
//! wrk.

use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::client::conn::http1::{self, SendRequest};
use hyper::header::HeaderName;
use hyper::{Request, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use super::snapshot::CacheAnswer;
use super::target::Target;

/// The header a cacheable route of the contract answers with: HIT, MISS or
/// BYPASS. Read on every response: one lookup in a map hyper has already
/// built, so counting it costs the generator nothing it would notice.
static X_CACHE: HeaderName = HeaderName::from_static("x-cache");
/// The course's budget header: what a rate-limited caller has left.
static X_RATELIMIT_REMAINING: HeaderName = HeaderName::from_static("x-ratelimit-remaining");

type Driver = http1::Connection<TokioIo<TcpStream>, Full<Bytes>>;

/// Why one request failed (counted, never fatal to the run).
#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    #[error("connect: {0}")]
    Connect(std::io::Error),
    #[error("timed out")]
    Timeout,
    #[error("{0}")]
    Http(#[from] hyper::Error),
}

/// A response as the generator needs it: the status, its size, its
/// `X-Cache` answer, and the body only when asked for (logins); load requests
/// drain it without keeping it.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    /// Bytes received: the head as it is on the wire (see [`head_bytes`])
    /// plus the body. Chunked framing is not counted.
    pub bytes: u64,
    pub cache: Option<CacheAnswer>,
    /// The response's `X-RateLimit-Remaining`, if it had one.
    pub remaining: Option<u32>,
    pub body: Option<Bytes>,
}

struct Live {
    sender: SendRequest<Full<Bytes>>,
    driver: Pin<Box<Driver>>,
}

/// A connection to the target, (re)opened on demand.
pub struct Connection {
    target: Arc<Target>,
    timeout: Duration,
    /// The local address to connect from (a virtual user's own), else the
    /// system's choice.
    source: Option<std::net::IpAddr>,
    live: Option<Live>,
}

impl Connection {
    pub fn new(target: Arc<Target>, timeout: Duration) -> Self {
        Self {
            target,
            timeout,
            source: None,
            live: None,
        }
    }

    /// Connects (and reconnects) from `source`.
    pub fn bound_to(mut self, source: std::net::IpAddr) -> Self {
        self.source = Some(source);
        self
    }

    pub fn target(&self) -> &Target {
        &self.target
    }

    /// Opens the socket now (before the clock starts), within the timeout.
    pub async fn connect(&mut self) -> Result<(), RequestError> {
        let live = tokio::time::timeout(self.timeout, open(&self.target, self.source))
            .await
            .map_err(|_| RequestError::Timeout)??;
        self.live = Some(live);
        Ok(())
    }

    /// Sends one request and reads the whole response, within the timeout.
    pub async fn send(
        &mut self,
        request: Request<Full<Bytes>>,
        keep_body: bool,
    ) -> Result<Reply, RequestError> {
        let result = tokio::time::timeout(self.timeout, self.send_once(request, keep_body))
            .await
            .unwrap_or(Err(RequestError::Timeout));
        if result.is_err() {
            self.live = None;
        }
        result
    }

    /// Sends on the live connection; if it turned out closed before the
    /// request was written (the server dropped an idle keep-alive), reconnects
    /// once and sends again.
    async fn send_once(
        &mut self,
        request: Request<Full<Bytes>>,
        keep_body: bool,
    ) -> Result<Reply, RequestError> {
        match self.exchange(request, keep_body).await {
            Err(Unsent::Retry(request)) => {
                self.live = None;
                self.exchange(*request, keep_body)
                    .await
                    .map_err(Unsent::into_error)
            }
            other => other.map_err(Unsent::into_error),
        }
    }

    async fn exchange(
        &mut self,
        request: Request<Full<Bytes>>,
        keep_body: bool,
    ) -> Result<Reply, Unsent> {
        let mut live = match self.live.take() {
            Some(live) => live,
            None => open(&self.target, self.source)
                .await
                .map_err(Unsent::Failed)?,
        };
        let (result, ended) = drive(&mut live, request, keep_body).await;
        // A connection that ended or failed is dropped: the next request
        // opens a fresh one.
        if result.is_ok() && !ended {
            self.live = Some(live);
        }
        result
    }
}

/// Runs one exchange while polling the connection's driver, which does the
/// actual socket I/O. Returns whether the connection ended meanwhile.
async fn drive(
    live: &mut Live,
    request: Request<Full<Bytes>>,
    keep_body: bool,
) -> (Result<Reply, Unsent>, bool) {
    let Live { sender, driver } = live;
    let exchange = async {
        if sender.ready().await.is_err() {
            return Err(Unsent::Retry(Box::new(request)));
        }
        let response = match sender.try_send_request(request).await {
            Ok(response) => response,
            Err(mut e) => {
                return Err(match e.take_message() {
                    Some(request) => Unsent::Retry(Box::new(request)),
                    None => Unsent::Failed(e.into_error().into()),
                });
            }
        };
        let status = response.status();
        let head = head_bytes(&response);
        let cache = response
            .headers()
            .get(&X_CACHE)
            .map(|v| CacheAnswer::of(v.as_bytes()));
        let remaining = response
            .headers()
            .get(&X_RATELIMIT_REMAINING)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok());
        let (body, body_bytes) = read_body(response.into_body(), keep_body)
            .await
            .map_err(|e| Unsent::Failed(e.into()))?;
        Ok(Reply {
            status,
            bytes: head + body_bytes,
            cache,
            remaining,
            body,
        })
    };
    tokio::pin!(exchange);
    tokio::select! {
        biased;
        result = &mut exchange => (result, false),
        // The connection ended (closed or broken): it must not be polled
        // again, and the exchange now fails or finishes at once.
        _ = driver.as_mut() => (exchange.await, true),
    }
}

/// An exchange that failed, with the request back when it was never written.
enum Unsent {
    /// Boxed: the rare path should not make every result 256 bytes.
    Retry(Box<Request<Full<Bytes>>>),
    Failed(RequestError),
}

impl Unsent {
    fn into_error(self) -> RequestError {
        match self {
            Self::Retry(_) => RequestError::Connect(std::io::Error::new(
                std::io::ErrorKind::ConnectionReset,
                "the connection closed before the request was sent",
            )),
            Self::Failed(e) => e,
        }
    }
}

async fn open(target: &Target, source: Option<std::net::IpAddr>) -> Result<Live, RequestError> {
    let stream = match source {
        None => TcpStream::connect(target.addr).await,
        Some(source) => {
            let socket = match source {
                std::net::IpAddr::V4(_) => tokio::net::TcpSocket::new_v4(),
                std::net::IpAddr::V6(_) => tokio::net::TcpSocket::new_v6(),
            }
            .map_err(RequestError::Connect)?;
            socket
                .bind((source, 0).into())
                .map_err(RequestError::Connect)?;
            socket.connect(target.addr).await
        }
    }
    .map_err(RequestError::Connect)?;
    // Requests are small and latency is what we measure: no Nagle delay.
    stream.set_nodelay(true).map_err(RequestError::Connect)?;
    let (sender, driver) = http1::handshake(TokioIo::new(stream)).await?;
    Ok(Live {
        sender,
        driver: Box::pin(driver),
    })
}

/// The size of a response's head on the wire, rebuilt from what hyper
/// parsed: `HTTP/1.1 200 OK\r\n`, `name: value\r\n` per header, `\r\n`.
/// hyper does not report the bytes it read; names keep their length whatever
/// their case, so this is exact for a server that writes one space after the
/// colon and the standard reason phrase (hyper, axum, nginx do). A few
/// additions per response: nothing next to a syscall.
fn head_bytes<B>(response: &hyper::Response<B>) -> u64 {
    let reason = response.status().canonical_reason().map_or(0, str::len);
    // "HTTP/1.1 " + "200" + " " + reason + "\r\n", and the blank line.
    let mut bytes = 9 + 3 + 1 + reason + 2 + 2;
    for (name, value) in response.headers() {
        bytes += name.as_str().len() + 2 + value.len() + 2;
    }
    bytes as u64
}

/// Reads the whole body; returns it when `keep`, and its length.
async fn read_body(mut body: Incoming, keep: bool) -> Result<(Option<Bytes>, u64), hyper::Error> {
    if keep {
        let bytes = body.collect().await?.to_bytes();
        let len = bytes.len() as u64;
        return Ok((Some(bytes), len));
    }
    let mut len = 0u64;
    while let Some(frame) = body.frame().await {
        if let Some(data) = frame?.data_ref() {
            len += data.len() as u64;
        }
    }
    Ok((None, len))
}
