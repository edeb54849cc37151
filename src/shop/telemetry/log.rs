//! The request log: one line per request in `<state_dir>/logs/shop-<port>.log`,
//! JSON (one field per fact, for tools) or text (an access-log line for
//! people, lab 3.6's start), as `middleware.request_log` says.
//!
//! A request formats its line itself, straight into bytes (the JSON line
//! field by field, its strings escaped by serde_json, its nulls written as
//! the schema says), and appends it to the log's shared buffer; a writer thread of
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

use std::cell::RefCell;
use std::io::{self, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::extract::{ConnectInfo, MatchedPath, Request};
use axum::http::{HeaderMap, HeaderValue, Method};
use axum::response::Response;
use file_rotate::compression::Compression;
use file_rotate::suffix::AppendCount;
use file_rotate::{ContentLimit, FileRotate};

use super::timing::{Breakdown, push_thousandths, write_millis};
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

    /// Queues `line` for the file, opening it first if need be. The line
    /// is written straight into the shared buffer, under its lock: no
    /// buffer of its own to allocate, fill and copy for every request
    /// (issue 13's budget; the lock is held for the ~300 bytes' formatting).
    pub async fn write(&self, line: Line<'_>) {
        if let Some(sink) = self.open().await {
            sink.buffer.append_with(|out| line.write_to(out));
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
    /// Lines in `bytes`.
    lines: u64,
    closed: bool,
}

impl Buffer {
    fn lock(&self) -> MutexGuard<'_, Pending> {
        // A panic while holding the lock leaves whole lines behind it: go on.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Appends one line (its newline included), as `write` writes it; wakes
    /// the writer for the first line and for a full batch, and waits while
    /// the buffer is full.
    fn append_with(&self, write: impl FnOnce(&mut Vec<u8>)) {
        let mut pending = self.lock();
        while pending.bytes.len() >= MAX_PENDING && !pending.closed {
            pending = self
                .room
                .wait(pending)
                .unwrap_or_else(|poisoned| poisoned.into_inner());
        }
        let was = pending.bytes.len();
        write(&mut pending.bytes);
        pending.lines += 1;
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
            let lines = std::mem::take(&mut pending.lines);
            drop(pending);
            self.room.notify_all();
            write_batch(&mut file, &spare, lines, counts);
            spare.clear();
        }
    }
}

/// Writes one batch of whole lines (so file-rotate's `BytesSurpassed` puts
/// a batch in one file, never a line across two) and counts them as the
/// file takes or refuses them. A refused batch is not retried: a partial
/// write already put some of its lines in the file. `lines` were counted as
/// they were appended (a scan of every byte here showed in the shop's
/// profile).
fn write_batch(file: &mut impl Write, batch: &[u8], lines: u64, counts: &Counts) {
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
    method: Method,
    /// `None` when no route matched ([`UNMATCHED`]).
    route: Option<MatchedPath>,
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
    pub fn new(request: &mut Request, keys: &Keys, settings: &RequestLogSettings) -> Self {
        Self {
            format: settings.format,
            method: request.method().clone(),
            route: request.extensions().get::<MatchedPath>().cloned(),
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
            user_id: AuthUser::of_request(request, keys).map(|user| user.id),
            headers: logged_headers(request.headers(), settings.headers),
            logged_headers: settings.headers,
        }
    }

    fn route(&self) -> &str {
        self.route.as_ref().map_or(UNMATCHED, MatchedPath::as_str)
    }

    /// The line for this request, answered with `response` after `latency`.
    pub fn finish<'a>(
        self,
        response: &'a Response,
        latency: Duration,
        request_id: Option<&'a HeaderValue>,
    ) -> Line<'a> {
        let facts = Facts {
            time: SystemTime::now(),
            request_id: request_id.and_then(|id| id.to_str().ok()),
            status: response.status().as_u16(),
            latency,
            cache: response
                .headers()
                .get(crate::shop::cache::X_CACHE)
                .and_then(|v| v.to_str().ok()),
            queries: response.extensions().get::<Breakdown>().map(|b| b.queries),
            rate_limit: rate_limit_outcome(response),
        };
        Line { entry: self, facts }
    }

    /// `{"time":"2026-12-06T03:40:41.123Z","request_id":"…",…}`, fields in
    /// the schema's order (time first); a fact the request does not have (an
    /// anonymous caller's `user_id`) is null, as the schema says; `headers`
    /// only when logged.
    ///
    /// Written field by field rather than by deriving `Serialize`: every
    /// request of the timed stack pays for this line (issue 13's budget),
    /// and the derived record's map entries, escaping and f64 were ~0.7 µs
    /// of it (BENCHMARKS, "The stack in alternating pairs"). Strings still
    /// go through serde_json, so every value is escaped as JSON requires.
    fn json_line(&self, facts: &Facts<'_>, out: &mut Vec<u8>) {
        out.extend_from_slice(b"{\"time\":\"");
        write_time(out, facts.time);
        out.extend_from_slice(b"\",\"request_id\":");
        json_str(out, facts.request_id);
        out.extend_from_slice(b",\"method\":");
        json_str(out, Some(self.method.as_str()));
        out.extend_from_slice(b",\"route\":");
        json_str(out, Some(self.route()));
        out.extend_from_slice(b",\"status\":");
        json_int(out, Some(facts.status));
        out.extend_from_slice(b",\"latency_ms\":");
        write_millis(out, facts.latency);
        out.extend_from_slice(b",\"user_id\":");
        json_int(out, self.user_id);
        out.extend_from_slice(b",\"cache\":");
        json_str(out, facts.cache);
        out.extend_from_slice(b",\"queries\":");
        json_int(out, facts.queries);
        out.extend_from_slice(b",\"rate_limit\":");
        json_str(out, facts.rate_limit);
        if self.logged_headers != LoggedHeaders::None {
            out.extend_from_slice(b",\"headers\":");
            // Writing to a Vec cannot fail, and a map of strings always
            // serialises.
            let _ = serde_json::to_writer(&mut *out, &headers_json(&self.headers));
        }
        out.extend_from_slice(b"}\n");
    }

    /// `127.0.0.1 - 42 [2026-12-06T03:40:41.123Z] "GET /products/42?x=1 HTTP/1.1" 200 3.2ms …`
    fn access_line(&self, facts: &Facts<'_>, out: &mut Vec<u8>) {
        let dash = || "-".to_string();
        // Straight into `out` (the log's buffer, under its lock): writing
        // to a Vec cannot fail.
        let _ = write!(
            out,
            "{} - {} [",
            self.peer.map_or_else(dash, |peer| peer.ip().to_string()),
            self.user_id.map_or_else(dash, |id| id.to_string()),
        );
        write_time(out, facts.time);
        let _ = write!(
            out,
            "] \"{} {} {}\" {} {:.1}ms id={} cache={} queries={} rate_limit={}",
            self.method,
            self.target,
            self.version,
            facts.status,
            facts.latency.as_secs_f64() * 1000.0,
            facts.request_id.unwrap_or("-"),
            facts.cache.unwrap_or("-"),
            facts.queries.map_or_else(dash, |n| n.to_string()),
            facts.rate_limit.unwrap_or("-"),
        );
        for (name, value) in &self.headers {
            let _ = write!(out, " {name}={value:?}");
        }
        out.push(b'\n');
    }
}

/// What only the response tells.
struct Facts<'a> {
    time: SystemTime,
    request_id: Option<&'a str>,
    status: u16,
    latency: Duration,
    cache: Option<&'a str>,
    queries: Option<u32>,
    rate_limit: Option<&'static str>,
}

/// A request's line: its entry and its response's facts, written (newline
/// included) where it goes, in the log's buffer.
pub struct Line<'a> {
    entry: Entry,
    facts: Facts<'a>,
}

impl Line<'_> {
    fn write_to(&self, out: &mut Vec<u8>) {
        match self.entry.format {
            LogFormat::Json => self.entry.json_line(&self.facts, out),
            LogFormat::Text => self.entry.access_line(&self.facts, out),
        }
    }
}

/// A JSON string (escaped by serde_json), or null.
fn json_str(out: &mut Vec<u8>, value: Option<&str>) {
    match value {
        Some(value) => {
            // Writing to a Vec cannot fail.
            let _ = serde::Serializer::serialize_str(&mut serde_json::Serializer::new(out), value);
        }
        None => out.extend_from_slice(b"null"),
    }
}

/// A JSON integer, or null.
fn json_int(out: &mut Vec<u8>, value: Option<impl itoa::Integer>) {
    match value {
        Some(value) => out.extend_from_slice(itoa::Buffer::new().format(value).as_bytes()),
        None => out.extend_from_slice(b"null"),
    }
}

/// RFC 3339 in UTC with milliseconds, `2026-12-06T03:40:41.123Z`: the part
/// up to the second is formatted (by chrono) once a second per thread, the
/// milliseconds by hand.
fn write_time(out: &mut Vec<u8>, time: SystemTime) {
    thread_local! {
        /// The second last formatted, and its text.
        static SECOND: RefCell<(u64, String)> = const { RefCell::new((u64::MAX, String::new())) };
    }
    let since = time.duration_since(UNIX_EPOCH).unwrap_or_default();
    let second = since.as_secs();
    SECOND.with_borrow_mut(|(cached, text)| {
        if *cached != second {
            let whole = UNIX_EPOCH + Duration::from_secs(second);
            *text = chrono::DateTime::<chrono::Utc>::from(whole)
                .format("%Y-%m-%dT%H:%M:%S")
                .to_string();
            *cached = second;
        }
        out.extend_from_slice(text.as_bytes());
    });
    push_thousandths(out, since.subsec_millis());
    out.push(b'Z');
}

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

    fn written(write: impl FnOnce(&mut Vec<u8>)) -> String {
        let mut line = Vec::new();
        write(&mut line);
        String::from_utf8(line).unwrap()
    }

    fn entry(format: LogFormat, which: LoggedHeaders) -> Entry {
        let mut headers = HeaderMap::new();
        for name in CREDENTIALS {
            headers.insert(name, HeaderValue::from_static("secret-value"));
        }
        headers.insert("accept", HeaderValue::from_static("*/*"));
        Entry {
            format,
            method: Method::GET,
            route: None,
            target: "/products/42?x=1".into(),
            version: "HTTP/1.1".into(),
            peer: Some(([127, 0, 0, 1], 5000).into()),
            user_id: None,
            headers: logged_headers(&headers, which),
            logged_headers: which,
        }
    }

    fn facts() -> Facts<'static> {
        Facts {
            time: SystemTime::now(),
            request_id: Some("abc"),
            status: 200,
            latency: Duration::from_micros(1250),
            cache: None,
            queries: Some(2),
            rate_limit: None,
        }
    }

    #[test]
    fn a_json_line_has_every_field_in_order_with_nulls_and_redacted_headers() {
        let entry = entry(LogFormat::Json, LoggedHeaders::Redacted);
        let text = written(|out| entry.json_line(&facts(), out));
        assert!(text.ends_with("}\n"), "{text}");
        assert!(!text.contains("secret-value"), "{text}");
        let json: serde_json::Value = serde_json::from_str(text.trim_end()).unwrap();
        // In the schema's order (serde_json's map would sort them: read
        // where each starts in the text).
        let order = [
            "time",
            "request_id",
            "method",
            "route",
            "status",
            "latency_ms",
            "user_id",
            "cache",
            "queries",
            "rate_limit",
            "headers",
        ];
        let starts: Vec<usize> = order
            .iter()
            .map(|field| text.find(&format!("\"{field}\":")).expect(field))
            .collect();
        assert!(starts.is_sorted(), "{text}");
        assert_eq!(json.as_object().unwrap().len(), order.len(), "{text}");
        assert_eq!(json["method"], "GET");
        assert_eq!(json["route"], UNMATCHED);
        assert_eq!(json["status"], 200);
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
    fn json_strings_are_escaped_and_headers_left_out_unless_logged() {
        let entry = entry(LogFormat::Json, LoggedHeaders::None);
        let facts = Facts {
            request_id: Some(r#"a"b\c"#),
            cache: Some("HIT"),
            rate_limit: Some("allowed"),
            ..facts()
        };
        let text = written(|out| entry.json_line(&facts, out));
        let json: serde_json::Value = serde_json::from_str(text.trim_end()).unwrap();
        assert_eq!(json["request_id"], r#"a"b\c"#);
        assert_eq!(json["cache"], "HIT");
        assert_eq!(json["rate_limit"], "allowed");
        assert!(json.get("headers").is_none(), "{text}");
    }

    #[test]
    fn times_and_latencies_read_as_chrono_and_floats_write_them() {
        for nanos in [
            0,
            999_999,
            1_000_000,
            59_999_000_000,
            1_796_596_675_123_456_789,
        ] {
            let time = UNIX_EPOCH + Duration::from_nanos(nanos);
            let mut out = Vec::new();
            write_time(&mut out, time);
            let expected = chrono::DateTime::<chrono::Utc>::from(time)
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
            assert_eq!(String::from_utf8(out).unwrap(), expected);
        }
        for (micros, expected) in [(0, 0.0), (7, 0.007), (1_250, 1.25), (61_234_567, 61234.567)] {
            let mut out = Vec::new();
            write_millis(&mut out, Duration::from_micros(micros));
            let read: f64 = serde_json::from_slice(&out).unwrap();
            assert_eq!(read, expected, "{}", String::from_utf8_lossy(&out));
        }
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
        buffer.append_with(|out| out.extend_from_slice(b"{\"a\":1}\n"));
        // A full batch goes without waiting for the gathering time…
        let big = [vec![b'x'; BATCH_BYTES], b"\n".to_vec()].concat();
        buffer.append_with(|out| out.extend_from_slice(&big));
        buffer.append_with(|out| out.extend_from_slice(b"{\"a\":2}\n"));
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
        write_batch(&mut Full, b"one\ntwo\n", 2, &counts);
        assert_eq!(counts.failed.load(Ordering::Relaxed), 2);
        assert_eq!(counts.written.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn a_text_line_is_written_as_it_is() {
        let entry = entry(LogFormat::Text, LoggedHeaders::All);
        let text = written(|out| entry.access_line(&facts(), out));
        assert!(
            text.starts_with("127.0.0.1 - - ["),
            "an access-log line: {text}"
        );
        assert!(text.contains("\"GET /products/42?x=1 HTTP/1.1\" 200 1.2ms id=abc"));
        assert!(text.contains("authorization=\"secret-value\""), "{text}");
        assert_eq!(text.lines().count(), 1);
    }
}
