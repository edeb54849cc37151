//! The request log: one line per request in `<state_dir>/logs/shop-<port>.log`,
//! JSON (one field per fact, for tools) or text (an access-log line for
//! people, lab 3.6's start), as `middleware.request_log` says.
//!
//! A request formats its line itself, straight into bytes (serde_json for
//! the JSON line, so the schema's nulls are written and every value is
//! escaped), and appends it to the log's shared buffer; a writer thread of
//! the log's own takes the buffer whole and writes it to a size-rotating
//! file (`file-rotate`: 10 MB, four older files kept). The thread is woken
//! by the first line into an empty buffer and by a full batch, never per
//! line, and gathers for [`GATHER_FOR`] before it writes: a line reaches the
//! file within about that time. The buffer is bounded: when the disk falls
//! [`MAX_PENDING`] behind, a request waits for room instead of the line the
//! checks look for being dropped. The file is opened the first time a line
//! is written, so a shop that never logs creates none.
//!
//! Written by hand, not with tracing-appender: its non-blocking writer sends
//! each line through a channel that wakes its thread per line — measured at
//! a quarter of a cached hit's throughput on two cores (BENCHMARKS.md,
//! "The request log") — and a line formatted through a `tracing` event
//! paid for a dispatch and a field visitor besides.
//!
//! What a line never holds: bodies (a login's password), and, unless
//! `headers = "all"` asks for the mistake, credential header values.

use std::io::{self, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};
use std::thread::JoinHandle;
use std::time::Duration;

use axum::extract::{ConnectInfo, MatchedPath, Request};
use axum::http::HeaderMap;
use axum::response::Response;
use file_rotate::compression::Compression;
use file_rotate::suffix::AppendCount;
use file_rotate::{ContentLimit, FileRotate};
use serde::Serialize;

use super::timing::Breakdown;
use crate::shop::auth::{AuthUser, Keys};
use crate::shop::settings::{LogFormat, LoggedHeaders, RequestLogSettings};

/// A log file rotates at this size…
const FILE_BYTES: usize = 10 * 1024 * 1024;
/// …keeping this many older files (`.1` newest).
const OLD_FILES: usize = 4;

/// How long the writer gathers lines after the first one wakes it.
pub const GATHER_FOR: Duration = Duration::from_millis(50);
/// A buffer this full wakes the writer without waiting [`GATHER_FOR`].
const BATCH_BYTES: usize = 256 * 1024;
/// A buffer this full makes requests wait for the writer (the disk is behind).
const MAX_PENDING: usize = 16 * 1024 * 1024;

/// Request headers whose values are credentials.
const CREDENTIALS: [&str; 5] = [
    "authorization",
    "cookie",
    "set-cookie",
    "proxy-authorization",
    "x-api-key",
];

/// The route of a request no route matched: never its raw path, whose ids
/// would make every request a route of its own.
pub const UNMATCHED: &str = "unmatched";

/// One shop's request log file.
pub struct RequestLog {
    path: PathBuf,
    /// Opened on the first line.
    sink: OnceLock<Sink>,
    /// One opener at a time.
    opening: tokio::sync::Mutex<()>,
    /// Whether a failure to open was reported already (once is enough).
    open_failed: AtomicBool,
    counts: Arc<Counts>,
}

#[derive(Debug, Default)]
struct Counts {
    written: AtomicU64,
    /// Lines the file refused (disk full, say).
    failed: AtomicU64,
}

impl RequestLog {
    /// A log that will write to `path` once enabled; nothing is opened yet.
    pub fn new(path: PathBuf) -> Self {
        Self {
            path,
            sink: OnceLock::new(),
            opening: tokio::sync::Mutex::new(()),
            open_failed: AtomicBool::new(false),
            counts: Arc::default(),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Lines in the file so far (older, rotated files included).
    pub fn lines_written(&self) -> u64 {
        self.counts.written.load(Ordering::Relaxed)
    }

    /// Lines the file refused.
    pub fn failed_lines(&self) -> u64 {
        self.counts.failed.load(Ordering::Relaxed)
    }

    /// Queues `line` for the file, opening it first if need be.
    pub async fn write(&self, line: Line) {
        if let Some(sink) = self.open().await {
            let mut bytes = Vec::with_capacity(256);
            line.write_to(&mut bytes);
            sink.buffer.append(&bytes);
        }
    }

    async fn open(&self) -> Option<&Sink> {
        if let Some(sink) = self.sink.get() {
            return Some(sink);
        }
        let _one = self.opening.lock().await;
        if let Some(sink) = self.sink.get() {
            return Some(sink);
        }
        let path = self.path.clone();
        let counts = Arc::clone(&self.counts);
        // Creating a directory and a file blocks: not on a runtime thread.
        match tokio::task::spawn_blocking(move || Sink::open(&path, counts)).await {
            Ok(Ok(sink)) => Some(self.sink.get_or_init(|| sink)),
            Ok(Err(e)) => {
                if !self.open_failed.swap(true, Ordering::Relaxed) {
                    tracing::warn!(path = %self.path.display(), error = %e, "cannot open the request log");
                }
                None
            }
            Err(e) => {
                tracing::warn!(error = %e, "opening the request log panicked");
                None
            }
        }
    }
}

/// The open file: the buffer requests append to, and the thread that
/// empties it into the file. Dropping it writes what is left and stops the
/// thread.
struct Sink {
    buffer: Arc<Buffer>,
    writer: Option<JoinHandle<()>>,
}

impl Sink {
    fn open(path: &Path, counts: Arc<Counts>) -> io::Result<Self> {
        // file-rotate panics when it cannot create the directory: create it
        // (and the file) first, so a failure is an error, not a panic.
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?;
        let file = FileRotate::new(
            path,
            AppendCount::new(OLD_FILES),
            ContentLimit::BytesSurpassed(FILE_BYTES),
            Compression::None,
            None,
        );
        let buffer = Arc::new(Buffer::default());
        let writer = std::thread::Builder::new()
            .name("perflab-request-log".into())
            .spawn({
                let buffer = Arc::clone(&buffer);
                move || buffer.drain_into(file, &counts)
            })?;
        Ok(Self {
            buffer,
            writer: Some(writer),
        })
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        self.buffer.close();
        if let Some(writer) = self.writer.take() {
            let _ = writer.join();
        }
    }
}

/// Lines on their way to the file.
#[derive(Default)]
struct Buffer {
    state: Mutex<Pending>,
    /// The writer waits here for lines.
    lines: Condvar,
    /// Requests wait here for room while the buffer is at [`MAX_PENDING`].
    room: Condvar,
}

#[derive(Default)]
struct Pending {
    bytes: Vec<u8>,
    closed: bool,
}

impl Buffer {
    fn lock(&self) -> MutexGuard<'_, Pending> {
        // A panic while holding the lock leaves whole lines behind it: go on.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Appends whole lines; wakes the writer for the first line and for a
    /// full batch, and waits while the buffer is full.
    fn append(&self, line: &[u8]) {
        let mut pending = self.lock();
        while pending.bytes.len() >= MAX_PENDING && !pending.closed {
            pending = self
                .room
                .wait(pending)
                .unwrap_or_else(|poisoned| poisoned.into_inner());
        }
        let was = pending.bytes.len();
        pending.bytes.extend_from_slice(line);
        let now = pending.bytes.len();
        drop(pending);
        if was == 0 || (was < BATCH_BYTES && now >= BATCH_BYTES) {
            self.lines.notify_one();
        }
    }

    fn close(&self) {
        self.lock().closed = true;
        self.lines.notify_all();
        self.room.notify_all();
    }

    /// The writer thread: takes the buffer whole, [`GATHER_FOR`] after the
    /// first line or at a full batch, and writes it, until closed and empty.
    fn drain_into(&self, mut file: impl Write, counts: &Counts) {
        let mut spare = Vec::new();
        loop {
            let mut pending = self.lock();
            while pending.bytes.is_empty() && !pending.closed {
                pending = self
                    .lines
                    .wait(pending)
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
            }
            if pending.bytes.len() < BATCH_BYTES && !pending.closed {
                pending = self
                    .lines
                    .wait_timeout(pending, GATHER_FOR)
                    .unwrap_or_else(|poisoned| poisoned.into_inner())
                    .0;
            }
            if pending.bytes.is_empty() && pending.closed {
                return;
            }
            std::mem::swap(&mut pending.bytes, &mut spare);
            drop(pending);
            self.room.notify_all();
            write_batch(&mut file, &spare, counts);
            spare.clear();
        }
    }
}

/// Writes one batch of whole lines (so file-rotate's `BytesSurpassed` puts
/// a batch in one file, never a line across two) and counts them as the
/// file takes or refuses them. A refused batch is not retried: a partial
/// write already put some of its lines in the file.
fn write_batch(file: &mut impl Write, batch: &[u8], counts: &Counts) {
    let lines = batch.iter().filter(|&&b| b == b'\n').count() as u64;
    let written = file.write_all(batch).and_then(|()| file.flush());
    let count = match written {
        Ok(()) => &counts.written,
        Err(_) => &counts.failed,
    };
    count.fetch_add(lines, Ordering::Relaxed);
}

/// What a line says about a request, taken before it is answered (the
/// request moves on) and completed with its response.
pub struct Entry {
    format: LogFormat,
    method: String,
    route: String,
    /// Path and query as received, and the HTTP version: only the text
    /// format writes them (empty for JSON).
    target: String,
    version: String,
    peer: Option<SocketAddr>,
    user_id: Option<i64>,
    headers: Vec<(String, String)>,
    logged_headers: LoggedHeaders,
}

impl Entry {
    pub fn new(request: &Request, keys: &Keys, settings: &RequestLogSettings) -> Self {
        let route = request
            .extensions()
            .get::<MatchedPath>()
            .map_or(UNMATCHED, MatchedPath::as_str);
        Self {
            format: settings.format,
            method: request.method().to_string(),
            route: route.to_string(),
            // Only the text line writes these: a JSON line does not pay for them.
            target: match settings.format {
                LogFormat::Text => request
                    .uri()
                    .path_and_query()
                    .map_or_else(|| request.uri().path().to_string(), ToString::to_string),
                LogFormat::Json => String::new(),
            },
            version: match settings.format {
                LogFormat::Text => format!("{:?}", request.version()),
                LogFormat::Json => String::new(),
            },
            peer: request
                .extensions()
                .get::<ConnectInfo<SocketAddr>>()
                .map(|ConnectInfo(peer)| *peer),
            user_id: AuthUser::from_headers(request.headers(), keys).map(|user| user.id),
            headers: logged_headers(request.headers(), settings.headers),
            logged_headers: settings.headers,
        }
    }

    /// The line for this request, answered with `response` after `latency`.
    pub fn finish(self, response: &Response, latency: Duration, request_id: Option<&str>) -> Line {
        let facts = Facts {
            time: chrono::Utc::now(),
            request_id: request_id.map(str::to_string),
            status: response.status().as_u16(),
            latency_ms: (latency.as_secs_f64() * 1_000_000.0).round() / 1000.0,
            cache: response
                .headers()
                .get("x-cache")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string),
            queries: response.extensions().get::<Breakdown>().map(|b| b.queries),
            rate_limit: rate_limit_outcome(response),
        };
        Line(match self.format {
            LogFormat::Json => Kind::Json(Box::new((self, facts))),
            LogFormat::Text => Kind::Text(self.access_line(&facts)),
        })
    }

    /// `127.0.0.1 - 42 [2026-12-06T03:40:41.123Z] "GET /products/42?x=1 HTTP/1.1" 200 3.2ms …`
    fn access_line(&self, facts: &Facts) -> String {
        let dash = || "-".to_string();
        let mut line = format!(
            "{} - {} [{}] \"{} {} {}\" {} {:.1}ms id={} cache={} queries={} rate_limit={}",
            self.peer.map_or_else(dash, |peer| peer.ip().to_string()),
            self.user_id.map_or_else(dash, |id| id.to_string()),
            facts
                .time
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            self.method,
            self.target,
            self.version,
            facts.status,
            facts.latency_ms,
            facts.request_id.clone().unwrap_or_else(dash),
            facts.cache.clone().unwrap_or_else(dash),
            facts.queries.map_or_else(dash, |n| n.to_string()),
            facts.rate_limit.unwrap_or("-"),
        );
        for (name, value) in &self.headers {
            line.push_str(&format!(" {name}={value:?}"));
        }
        line
    }
}

/// What only the response tells.
struct Facts {
    time: chrono::DateTime<chrono::Utc>,
    request_id: Option<String>,
    status: u16,
    latency_ms: f64,
    cache: Option<String>,
    queries: Option<u32>,
    rate_limit: Option<&'static str>,
}

/// A request's line, ready to emit.
pub struct Line(Kind);

enum Kind {
    Json(Box<(Entry, Facts)>),
    Text(String),
}

impl Line {
    /// Appends the line, newline included, to `out`.
    fn write_to(self, out: &mut Vec<u8>) {
        match self.0 {
            Kind::Text(line) => out.extend_from_slice(line.as_bytes()),
            Kind::Json(entry) => {
                let (entry, facts) = *entry;
                let headers = (entry.logged_headers != LoggedHeaders::None)
                    .then(|| headers_json(&entry.headers));
                let record = JsonRecord {
                    time: facts
                        .time
                        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                    request_id: facts.request_id.as_deref(),
                    method: &entry.method,
                    route: &entry.route,
                    status: facts.status,
                    latency_ms: facts.latency_ms,
                    user_id: entry.user_id,
                    cache: facts.cache.as_deref(),
                    queries: facts.queries,
                    rate_limit: facts.rate_limit,
                    headers,
                };
                // Only a non-finite float fails, and the log writes none.
                if serde_json::to_writer(&mut *out, &record).is_err() {
                    return;
                }
            }
        }
        out.push(b'\n');
    }
}

/// A JSON line, fields in the schema's order (time first). A fact the
/// request does not have (an anonymous caller's `user_id`) is written as
/// null, as the schema says; `headers` is left out unless logged.
#[derive(Serialize)]
struct JsonRecord<'a> {
    time: String,
    request_id: Option<&'a str>,
    method: &'a str,
    route: &'a str,
    status: u16,
    latency_ms: f64,
    user_id: Option<i64>,
    cache: Option<&'a str>,
    queries: Option<u32>,
    rate_limit: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    headers: Option<serde_json::Map<String, serde_json::Value>>,
}

/// The rate limiter's verdict: `limited`, `allowed`, or none when it is off.
/// What the rate limiter decided (`limit::Outcome`, which it puts in the
/// response's extensions); `None` when the limiter is off.
fn rate_limit_outcome(response: &Response) -> Option<&'static str> {
    response
        .extensions()
        .get::<crate::shop::limit::Outcome>()
        .map(|outcome| outcome.as_str())
}

/// The request's headers as `which` asks, in the order received.
fn logged_headers(headers: &HeaderMap, which: LoggedHeaders) -> Vec<(String, String)> {
    if which == LoggedHeaders::None {
        return Vec::new();
    }
    headers
        .iter()
        .map(|(name, value)| {
            let name = name.as_str();
            let value = if which == LoggedHeaders::Redacted && CREDENTIALS.contains(&name) {
                "[redacted]".to_string()
            } else {
                String::from_utf8_lossy(value.as_bytes()).into_owned()
            };
            (name.to_string(), value)
        })
        .collect()
}

/// Headers as one JSON object; a repeated header's values joined by ", ".
fn headers_json(headers: &[(String, String)]) -> serde_json::Map<String, serde_json::Value> {
    let mut object = serde_json::Map::new();
    for (name, value) in headers {
        match object.get_mut(name) {
            Some(serde_json::Value::String(seen)) => {
                seen.push_str(", ");
                seen.push_str(value);
            }
            _ => {
                object.insert(name.clone(), value.clone().into());
            }
        }
    }
    object
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    /// A file the test reads back.
    #[derive(Clone, Default)]
    struct Memory(Arc<Mutex<Vec<u8>>>);

    impl Write for Memory {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn written(line: Line) -> String {
        let mut out = Vec::new();
        line.write_to(&mut out);
        String::from_utf8(out).unwrap()
    }

    fn entry(format: LogFormat, which: LoggedHeaders) -> Entry {
        let mut headers = HeaderMap::new();
        for name in CREDENTIALS {
            headers.insert(name, HeaderValue::from_static("secret-value"));
        }
        headers.insert("accept", HeaderValue::from_static("*/*"));
        Entry {
            format,
            method: "GET".into(),
            route: "/products/{id}".into(),
            target: "/products/42?x=1".into(),
            version: "HTTP/1.1".into(),
            peer: Some(([127, 0, 0, 1], 5000).into()),
            user_id: None,
            headers: logged_headers(&headers, which),
            logged_headers: which,
        }
    }

    fn facts() -> Facts {
        Facts {
            time: chrono::Utc::now(),
            request_id: Some("abc".into()),
            status: 200,
            latency_ms: 1.25,
            cache: None,
            queries: Some(2),
            rate_limit: None,
        }
    }

    #[test]
    fn a_json_line_has_every_field_in_order_with_nulls_and_redacted_headers() {
        let line = Line(Kind::Json(Box::new((
            entry(LogFormat::Json, LoggedHeaders::Redacted),
            facts(),
        ))));
        let text = written(line);
        assert!(text.starts_with("{\"time\":"), "{text}");
        assert!(!text.contains("secret-value"), "{text}");
        let json: serde_json::Value = serde_json::from_str(text.trim_end()).unwrap();
        assert_eq!(json["user_id"], serde_json::Value::Null);
        assert_eq!(json["cache"], serde_json::Value::Null);
        assert_eq!(json["queries"], 2);
        assert_eq!(json["latency_ms"], 1.25);
        for name in CREDENTIALS {
            assert_eq!(json["headers"][name], "[redacted]", "{name}");
        }
        assert_eq!(json["headers"]["accept"], "*/*");
    }

    #[test]
    fn the_writer_writes_whole_batches_counts_them_and_writes_the_rest_when_closed() {
        let counts = Arc::new(Counts::default());
        let file = Memory::default();
        let buffer = Arc::new(Buffer::default());
        let writer = std::thread::spawn({
            let (buffer, file, counts) = (Arc::clone(&buffer), file.clone(), Arc::clone(&counts));
            move || buffer.drain_into(file, &counts)
        });
        buffer.append(b"{\"a\":1}\n");
        // A full batch goes without waiting for the gathering time…
        let big = [vec![b'x'; BATCH_BYTES], b"\n".to_vec()].concat();
        buffer.append(&big);
        buffer.append(b"{\"a\":2}\n");
        // …and closing writes what is left before the thread ends.
        buffer.close();
        writer.join().unwrap();
        let written = file.0.lock().unwrap().clone();
        assert_eq!(written.len(), 8 + BATCH_BYTES + 1 + 8);
        assert!(written.starts_with(b"{\"a\":1}\n"));
        assert!(written.ends_with(b"{\"a\":2}\n"));
        assert_eq!(counts.written.load(Ordering::Relaxed), 3);
        assert_eq!(counts.failed.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn a_batch_the_file_refuses_is_counted_as_failed() {
        struct Full;
        impl Write for Full {
            fn write(&mut self, _: &[u8]) -> io::Result<usize> {
                Err(io::Error::from(io::ErrorKind::StorageFull))
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let counts = Counts::default();
        write_batch(&mut Full, b"one\ntwo\n", &counts);
        assert_eq!(counts.failed.load(Ordering::Relaxed), 2);
        assert_eq!(counts.written.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn a_text_line_is_written_as_it_is() {
        let entry = entry(LogFormat::Text, LoggedHeaders::All);
        let line = Line(Kind::Text(entry.access_line(&facts())));
        let text = written(line);
        assert!(
            text.starts_with("127.0.0.1 - - ["),
            "an access-log line: {text}"
        );
        assert!(text.contains("\"GET /products/42?x=1 HTTP/1.1\" 200 1.2ms id=abc"));
        assert!(text.contains("authorization=\"secret-value\""), "{text}");
        assert_eq!(text.lines().count(), 1);
    }
}
