//! The request log: one line per request in `<state_dir>/logs/shop-<port>.log`,
//! JSON (one field per fact, for tools) or text (an access-log line for
//! people, lab 3.6's start), as `middleware.request_log` says.
//!
//! Lines are `tracing` events on a [`Dispatch`] of this shop's own — never
//! the global subscriber, which the process's other logs and other shops in
//! the same process (the tests) share — formatted on the request's task and
//! handed to tracing-appender's non-blocking writer, whose thread writes
//! them, batched, to a size-rotating file (`file-rotate`: 10 MB, four older
//! files kept). The writer is built with `lossy(false)`: a full queue
//! (128 000 lines) makes the request wait instead of dropping the line the
//! checks look for. The file is opened the first time a line is written, so
//! a shop that never logs creates none.
//!
//! The cost, measured on two shared cores with the load generator beside
//! the shop: about a fifth of the requests/s of a cached product detail —
//! mostly waking the writer's thread for each line, which
//! tracing-appender's queue does and this module cannot batch.
//!
//! What a line never holds: bodies (a login's password), and, unless
//! `headers = "all"` asks for the mistake, credential header values.

use std::io::{self, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::extract::{ConnectInfo, MatchedPath, Request};
use axum::http::HeaderMap;
use axum::response::Response;
use file_rotate::compression::Compression;
use file_rotate::suffix::AppendCount;
use file_rotate::{ContentLimit, FileRotate};
use tracing::field::{Field, Visit};
use tracing::{Dispatch, Event, Subscriber};
use tracing_appender::non_blocking::{ErrorCounter, NonBlockingBuilder, WorkerGuard};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

use super::timing::Breakdown;
use crate::shop::auth::{AuthUser, Keys};
use crate::shop::settings::{LogFormat, LoggedHeaders, RequestLogSettings};

/// A log file rotates at this size…
const FILE_BYTES: usize = 10 * 1024 * 1024;
/// …keeping this many older files (`.1` newest).
const OLD_FILES: usize = 4;

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

/// The field carrying a text line (JSON lines have one field per fact).
const ACCESS: &str = "access";
/// The field carrying the headers as a JSON object, written nested.
const HEADERS: &str = "headers";

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

/// The open file's writer, and the dispatch that formats lines for it.
struct Sink {
    dispatch: Dispatch,
    errors: ErrorCounter,
    /// Dropping it flushes the queue and stops the writer's thread.
    _guard: WorkerGuard,
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

    /// Lines lost: dropped by the writer's queue (never, as it is built)
    /// or refused by the file.
    pub fn dropped_lines(&self) -> u64 {
        let queue = self
            .sink
            .get()
            .map_or(0, |sink| sink.errors.dropped_lines());
        queue as u64 + self.counts.failed.load(Ordering::Relaxed)
    }

    /// Queues `line` for the file, opening it first if need be.
    pub async fn write(&self, line: Line) {
        if let Some(sink) = self.open().await {
            tracing::dispatcher::with_default(&sink.dispatch, || line.emit());
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
        let (writer, guard) = NonBlockingBuilder::default()
            .lossy(false)
            .thread_name("perflab-request-log")
            .finish(Batched::new(file, counts));
        let errors = writer.error_counter();
        let subscriber = tracing_subscriber::fmt()
            .event_format(LineFormat)
            .with_writer(writer)
            .finish();
        Ok(Self {
            dispatch: Dispatch::new(subscriber),
            errors,
            _guard: guard,
        })
    }
}

/// Lines gather here up to this size before they go to the file.
const BATCH_BYTES: usize = 64 * 1024;

/// The file behind the writer's thread: lines batched into one write
/// (a write per line was a system call per request, a fifth of the shop's
/// throughput on two cores), counted as the file takes or refuses them.
///
/// The thread hands over one whole line per `write` and calls `flush`
/// whenever its queue is empty, so a line waits only while others are
/// queued behind it, and a batch is whole lines: file-rotate's
/// `BytesSurpassed` writes a batch into one file, never a line across two.
struct Batched<W> {
    file: W,
    pending: Vec<u8>,
    counts: Arc<Counts>,
}

impl<W: Write> Batched<W> {
    fn new(file: W, counts: Arc<Counts>) -> Self {
        Self {
            file,
            pending: Vec::with_capacity(BATCH_BYTES),
            counts,
        }
    }

    fn write_pending(&mut self) -> io::Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let lines = self.pending.iter().filter(|&&b| b == b'\n').count() as u64;
        let written = self.file.write_all(&self.pending);
        // Written or refused, the batch is done with: retrying would repeat
        // the lines a partial write already put in the file.
        self.pending.clear();
        let count = match written {
            Ok(()) => &self.counts.written,
            Err(_) => &self.counts.failed,
        };
        count.fetch_add(lines, Ordering::Relaxed);
        written
    }
}

impl<W: Write> Write for Batched<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.pending.extend_from_slice(buf);
        if self.pending.len() >= BATCH_BYTES {
            self.write_pending()?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.write_pending()?;
        self.file.flush()
    }
}

/// What a line says about a request, taken before it is answered (the
/// request moves on) and completed with its response.
pub struct Entry {
    format: LogFormat,
    method: String,
    route: String,
    /// Path and query as received: only the text format writes it.
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
            target: request
                .uri()
                .path_and_query()
                .map_or_else(|| request.uri().path().to_string(), ToString::to_string),
            version: format!("{:?}", request.version()),
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
    /// Emits the line as an event of the current dispatch (the log's).
    fn emit(self) {
        match self.0 {
            Kind::Text(line) => tracing::info!(target: "perflab::request", access = line.as_str()),
            Kind::Json(entry) => {
                let (entry, facts) = *entry;
                let time = facts
                    .time
                    .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
                let headers = (entry.logged_headers != LoggedHeaders::None)
                    .then(|| headers_json(&entry.headers));
                // Two call sites, so that `headers = "none"` leaves the field
                // out instead of writing null.
                match headers {
                    None => tracing::info!(
                        target: "perflab::request",
                        time, request_id = facts.request_id, method = entry.method,
                        route = entry.route, status = facts.status,
                        latency_ms = facts.latency_ms, user_id = entry.user_id,
                        cache = facts.cache, queries = facts.queries,
                        rate_limit = facts.rate_limit,
                    ),
                    Some(headers) => tracing::info!(
                        target: "perflab::request",
                        time, request_id = facts.request_id, method = entry.method,
                        route = entry.route, status = facts.status,
                        latency_ms = facts.latency_ms, user_id = entry.user_id,
                        cache = facts.cache, queries = facts.queries,
                        rate_limit = facts.rate_limit, headers,
                    ),
                }
            }
        }
    }
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
fn headers_json(headers: &[(String, String)]) -> String {
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
    serde_json::Value::Object(object).to_string()
}

/// Writes a request's event as its line. Handwritten because
/// tracing-subscriber's JSON formatter leaves out a field with no value
/// (`user_id` of an anonymous caller) where the log's schema says null, and
/// names its own clock `timestamp`; fields keep the order they are declared
/// in (time first), and text lines are written as they are. Values are
/// written straight into the line, with serde_json's escaping.
struct LineFormat;

impl<S, N> FormatEvent<S, N> for LineFormat
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        _: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> std::fmt::Result {
        let mut line = JsonLine {
            fields: event.fields().map(|field| field.name()).collect(),
            out: Vec::with_capacity(256),
            next: 0,
            access: None,
        };
        event.record(&mut line);
        if let Some(access) = line.access {
            return writeln!(writer, "{access}");
        }
        line.nulls_until(line.fields.len());
        if line.out.is_empty() {
            line.out.push(b'{');
        }
        line.out.push(b'}');
        let text = std::str::from_utf8(&line.out).map_err(|_| std::fmt::Error)?;
        writeln!(writer, "{text}")
    }
}

/// A JSON object written field by field, in declared order: a declared
/// field the event left without a value is written as null.
struct JsonLine {
    fields: Vec<&'static str>,
    out: Vec<u8>,
    /// The index of the next declared field to write.
    next: usize,
    /// A text line, written as it is instead.
    access: Option<String>,
}

impl JsonLine {
    /// Writes nulls for the declared fields before index `end`.
    fn nulls_until(&mut self, end: usize) {
        while self.next < end {
            let name = self.fields[self.next];
            self.key(name);
            self.out.extend_from_slice(b"null");
            self.next += 1;
        }
    }

    fn key(&mut self, name: &str) {
        self.out.push(if self.out.is_empty() { b'{' } else { b',' });
        // Field names are Rust identifiers: nothing to escape.
        self.out.push(b'"');
        self.out.extend_from_slice(name.as_bytes());
        self.out.extend_from_slice(b"\":");
    }

    fn value(&mut self, field: &Field, value: impl serde::Serialize) {
        self.nulls_until(field.index());
        self.key(field.name());
        if serde_json::to_writer(&mut self.out, &value).is_err() {
            // Only non-finite floats fail, and the log writes none.
            self.out.extend_from_slice(b"null");
        }
        self.next = field.index() + 1;
    }
}

impl Visit for JsonLine {
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.value(field, value);
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.value(field, value);
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.value(field, value);
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.value(field, value);
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        match field.name() {
            ACCESS => self.access = Some(value.to_string()),
            // Built by `headers_json`: a JSON object already.
            HEADERS => {
                self.nulls_until(field.index());
                self.key(HEADERS);
                self.out.extend_from_slice(value.as_bytes());
                self.next = field.index() + 1;
            }
            _ => self.value(field, value),
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.value(field, format!("{value:?}"));
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use axum::http::HeaderValue;

    use super::*;

    /// A writer the test reads back.
    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl Write for Buffer {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn written(line: Line) -> String {
        let buffer = Buffer::default();
        let writer = buffer.clone();
        let subscriber = tracing_subscriber::fmt()
            .event_format(LineFormat)
            .with_writer(move || writer.clone())
            .finish();
        tracing::dispatcher::with_default(&Dispatch::new(subscriber), || line.emit());
        String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap()
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
    fn lines_reach_the_file_on_flush_and_are_counted() {
        let counts = Arc::new(Counts::default());
        let file = Buffer::default();
        let mut batched = Batched::new(file.clone(), Arc::clone(&counts));
        batched.write_all(b"{\"a\":1}\n").unwrap();
        batched.write_all(b"{\"a\":2}\n").unwrap();
        assert!(file.0.lock().unwrap().is_empty(), "batched until a flush");
        batched.flush().unwrap();
        assert_eq!(&*file.0.lock().unwrap(), b"{\"a\":1}\n{\"a\":2}\n");
        assert_eq!(counts.written.load(Ordering::Relaxed), 2);

        let big = vec![b'x'; BATCH_BYTES];
        batched.write_all(&big).unwrap();
        assert_eq!(
            file.0.lock().unwrap().len(),
            16 + BATCH_BYTES,
            "a full batch goes at once"
        );
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
