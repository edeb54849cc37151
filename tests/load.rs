//! The load generator against small axum servers with known behaviour, over
//! real TCP on 127.0.0.1: a fixed delay, a one-off stall, per-user rate
//! limits, fast 429s beside slow 200s, and the window stream. Each server
//! counts what it saw so the generator's counts can be compared exactly.

mod common;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use perflab::load::{self, LoadConfig, LoadError, Login, Mix, Model, Snapshot, StatusClass};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

/// Tests that assert on latency take turns: two at once on 2 cores would
/// measure each other. (Each test has its own runtime; a tokio mutex does
/// not care which one waits on it.)
static TIMING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Serves `router` on a free loopback port; returns `http://127.0.0.1:port`.
async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    format!("http://{addr}")
}

async fn run(config: LoadConfig) -> Snapshot {
    load::start(config, CancellationToken::new())
        .await
        .expect("the run starts")
        .finish()
        .await
        .expect("the run ends")
}

fn ms(us: u64) -> f64 {
    us as f64 / 1000.0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closed_loop_measures_a_fixed_delay_and_counts_exactly() {
    let _turn = TIMING.lock().await;
    let served = Arc::new(AtomicU64::new(0));
    let router = Router::new()
        .route(
            "/slow",
            get(|State(served): State<Arc<AtomicU64>>| async move {
                served.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(20)).await;
                "ok"
            }),
        )
        .with_state(Arc::clone(&served));
    let base = serve(router).await;
    let users = 8;
    let config = LoadConfig::new(
        base,
        Mix::single("/slow").unwrap(),
        Model::Closed { users },
        Duration::from_secs(2),
    );
    let last = run(config).await;
    let total = &last.total;
    assert_eq!(total.requests, served.load(Ordering::SeqCst));
    assert_eq!(total.status_codes.get(&200), Some(&total.requests));
    assert_eq!(total.errors.total(), 0);
    // HDR precision is 0.1 %; the timer adds up to ~1 ms, scheduling a bit more.
    let (p50, p99) = (ms(total.latency.p50_us), ms(total.latency.p99_us));
    assert!((19.9..30.0).contains(&p50), "p50 {p50} ms");
    assert!((19.9..60.0).contains(&p99), "p99 {p99} ms");
    // Closed loop: corrected and uncorrected are the same thing.
    assert_eq!(total.latency, total.uncorrected);
    let ideal = users as f64 / 0.020;
    assert!(
        total.rps > 0.7 * ideal && total.rps <= 1.01 * ideal,
        "rps {}",
        total.rps
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_loop_corrects_for_a_stall() {
    let _turn = TIMING.lock().await;
    // The 50th request stalls for 1 s; the single connection cannot send the
    // requests due meanwhile.
    let seen = Arc::new(AtomicU64::new(0));
    let router = Router::new()
        .route(
            "/",
            get(|State(seen): State<Arc<AtomicU64>>| async move {
                if seen.fetch_add(1, Ordering::SeqCst) == 50 {
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
                "ok"
            }),
        )
        .with_state(Arc::clone(&seen));
    let base = serve(router).await;
    let config = LoadConfig::new(
        base,
        Mix::single("/").unwrap(),
        Model::Open {
            rate: 200.0,
            connections: 1,
        },
        Duration::from_millis(2500),
    );
    let last = run(config).await;
    let total = &last.total;
    let (corrected, uncorrected) = (ms(total.latency.p99_us), ms(total.uncorrected.p99_us));
    assert!(corrected >= 500.0, "corrected p99 {corrected} ms");
    assert!(uncorrected < 100.0, "uncorrected p99 {uncorrected} ms");
    assert!(ms(total.uncorrected.max_us) >= 1000.0);
    assert!(total.late >= 150, "late {}", total.late);
    // The schedule caught up after the stall: (almost) every slot was sent.
    assert!(total.requests >= 480, "requests {}", total.requests);
    assert_eq!(total.requests + last.unsent, 500);
    assert_eq!(total.requests, seen.load(Ordering::SeqCst));
}

/// Requests per bearer token, and how many of them got 429.
#[derive(Default)]
struct Limits {
    per_token: Mutex<HashMap<String, (u64, u64)>>,
}

const LIMIT: u64 = 25;

async fn login(Json(body): Json<Value>) -> Result<Json<Value>, StatusCode> {
    let email = body["email"].as_str().unwrap_or_default();
    let n: u64 = email
        .strip_prefix("user")
        .and_then(|rest| rest.strip_suffix("@perflab.test"))
        .and_then(|n| n.parse().ok())
        .ok_or(StatusCode::UNAUTHORIZED)?;
    if body["password"] != format!("perflab-{}", n % 4) {
        return Err(StatusCode::UNAUTHORIZED);
    }
    Ok(Json(
        json!({ "access_token": format!("token-{email}"), "token_type": "bearer" }),
    ))
}

/// Counts each token's requests, refuses those past [`LIMIT`] and says the
/// budget left in `X-RateLimit-Remaining`, as the shop's limiter does.
async fn limited(
    State(limits): State<Arc<Limits>>,
    headers: HeaderMap,
) -> (StatusCode, [(&'static str, String); 1]) {
    let Some(token) = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    else {
        return (
            StatusCode::UNAUTHORIZED,
            [("x-ratelimit-remaining", "0".into())],
        );
    };
    let mut per_token = limits.per_token.lock().unwrap();
    let (count, rejected) = per_token.entry(token.to_string()).or_default();
    *count += 1;
    let left = [(
        "x-ratelimit-remaining",
        LIMIT.saturating_sub(*count).to_string(),
    )];
    if *count > LIMIT {
        *rejected += 1;
        (StatusCode::TOO_MANY_REQUESTS, left)
    } else {
        (StatusCode::OK, left)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn per_user_counts_and_429s_match_the_server() {
    let _turn = TIMING.lock().await;
    let limits = Arc::new(Limits::default());
    let router = Router::new()
        .route("/auth/login", post(login))
        .route("/limited", get(limited))
        .with_state(Arc::clone(&limits));
    let base = serve(router).await;
    let mut config = LoadConfig::new(
        base,
        Mix::single("/limited").unwrap(),
        Model::Closed { users: 4 },
        Duration::from_millis(800),
    );
    config.login = Some(Login::default());
    let last = run(config).await;
    let per_token = limits.per_token.lock().unwrap();
    assert_eq!(last.total.users.len(), 4);
    for user in &last.total.users {
        let (count, rejected) = per_token[&format!("token-{}", user.user)];
        assert_eq!(user.requests, count, "{}", user.user);
        assert_eq!(user.rate_limited, rejected, "{}", user.user);
        assert_eq!(user.status_codes.get(&200), Some(&LIMIT));
        assert!(user.rate_limited > 0);
        // The budget the server last said: spent.
        assert_eq!(user.remaining, Some(0), "{}", user.user);
    }
    let emails: Vec<&str> = last.total.users.iter().map(|u| u.user.as_str()).collect();
    assert_eq!(
        emails,
        [
            "user2@perflab.test",
            "user3@perflab.test",
            "user4@perflab.test",
            "user5@perflab.test"
        ]
    );
    let rejected: u64 = per_token.values().map(|(_, r)| r).sum();
    assert_eq!(last.total.rate_limited, rejected);
}

#[tokio::test]
async fn a_failed_login_stops_the_run_before_it_starts() {
    let router = Router::new().route("/auth/login", post(|| async { StatusCode::UNAUTHORIZED }));
    let mut config = LoadConfig::new(
        serve(router).await,
        Mix::single("/").unwrap(),
        Model::Closed { users: 2 },
        Duration::from_secs(1),
    );
    config.login = Some(Login::default());
    let error = load::start(config, CancellationToken::new()).await.err();
    assert!(matches!(error, Some(LoadError::Login { .. })), "{error:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn latency_is_split_by_status_class() {
    let _turn = TIMING.lock().await;
    // One request in 32 is a slow 200; the rest are instant 429s, which
    // would hide the slow ones in an overall p95.
    let seen = Arc::new(AtomicU64::new(0));
    let router = Router::new()
        .route(
            "/",
            get(|State(seen): State<Arc<AtomicU64>>| async move {
                if seen.fetch_add(1, Ordering::SeqCst) % 32 == 0 {
                    tokio::time::sleep(Duration::from_millis(30)).await;
                    StatusCode::OK
                } else {
                    StatusCode::TOO_MANY_REQUESTS
                }
            }),
        )
        .with_state(seen);
    let config = LoadConfig::new(
        serve(router).await,
        Mix::single("/").unwrap(),
        Model::Closed { users: 4 },
        Duration::from_millis(1500),
    );
    let last = run(config).await;
    let total = &last.total;
    let ok = total.class(StatusClass::Success).expect("some 2xx");
    let limited = total.class(StatusClass::ClientError).expect("some 4xx");
    assert!(
        ms(ok.latency.p95_us) >= 29.9,
        "2xx p95 {}",
        ms(ok.latency.p95_us)
    );
    assert!(
        ms(limited.latency.p95_us) < 15.0,
        "4xx p95 {}",
        ms(limited.latency.p95_us)
    );
    assert!(
        ms(total.latency.p95_us) < 29.9,
        "overall p95 {}",
        ms(total.latency.p95_us)
    );
    assert_eq!(ok.count + limited.count, total.requests);
    assert_eq!(limited.count, total.rate_limited);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn windows_sum_to_the_total() {
    let _turn = TIMING.lock().await;
    let router = Router::new().route(
        "/",
        get(|| async {
            tokio::time::sleep(Duration::from_millis(5)).await;
            "ok"
        }),
    );
    let config = LoadConfig::new(
        serve(router).await,
        Mix::single("/").unwrap(),
        Model::Closed { users: 2 },
        Duration::from_secs(3),
    );
    let mut run = load::start(config, CancellationToken::new()).await.unwrap();
    let mut windows = Vec::new();
    while let Some(snapshot) = run.snapshots.recv().await {
        windows.push(snapshot);
    }
    let last = run.finish().await.unwrap();
    assert!(windows.len() >= 3, "{} windows", windows.len());
    assert_eq!(windows.last(), Some(&last));
    assert!(last.done && windows[..windows.len() - 1].iter().all(|w| !w.done));
    let sum: u64 = windows.iter().map(|w| w.window.requests).sum();
    assert_eq!(sum, last.total.requests);
    for full in &windows[..2] {
        assert!(
            (0.8..1.3).contains(&full.window.secs),
            "{}",
            full.window.secs
        );
        assert!(full.window.requests > 100);
    }
}

#[tokio::test]
async fn cancel_stops_a_run_early() {
    let router = Router::new().route("/", get(|| async { "ok" }));
    let config = LoadConfig::new(
        serve(router).await,
        Mix::single("/").unwrap(),
        Model::Open {
            rate: 100.0,
            connections: 2,
        },
        Duration::from_secs(60),
    );
    let cancel = CancellationToken::new();
    let mut run = load::start(config, cancel.clone()).await.unwrap();
    // Cancel once the first window is in: the run ends then, not at 60 s.
    let first = run.snapshots.recv().await.unwrap();
    cancel.cancel();
    let last = tokio::time::timeout(Duration::from_secs(5), run.finish())
        .await
        .expect("the run stops promptly")
        .unwrap();
    assert!(last.done && last.total.requests >= first.total.requests);
    assert!(
        last.elapsed_secs < 10.0,
        "stopped at {} s",
        last.elapsed_secs
    );
}

#[tokio::test]
async fn an_unreachable_server_is_one_clear_error() {
    // Bound but not listening: refused, and no other test can take the port.
    let closed = common::ClosedPort::new();
    let addr = closed.addr();
    let config = LoadConfig::new(
        format!("http://{addr}"),
        Mix::single("/").unwrap(),
        Model::Closed { users: 1 },
        Duration::from_secs(1),
    );
    let error = load::start(config, CancellationToken::new()).await.err();
    let message = error.map(|e| e.to_string()).unwrap_or_default();
    assert!(
        message.starts_with(&format!("cannot connect to {addr}")),
        "{message}"
    );
}

/// user2 is rate limited (instant 429s); everyone else waits 40 ms for a 200.
async fn one_user_limited(headers: HeaderMap) -> StatusCode {
    let token = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if token.ends_with("user2@perflab.test") {
        StatusCode::TOO_MANY_REQUESTS
    } else {
        tokio::time::sleep(Duration::from_millis(40)).await;
        StatusCode::OK
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_loop_deals_each_user_an_equal_share() {
    let _turn = TIMING.lock().await;
    let router = Router::new()
        .route("/auth/login", post(login))
        .route("/mixed", get(one_user_limited));
    let mut config = LoadConfig::new(
        serve(router).await,
        Mix::single("/mixed").unwrap(),
        Model::Open {
            rate: 200.0,
            connections: 4,
        },
        Duration::from_secs(1),
    );
    config.login = Some(Login::default());
    let last = run(config).await;
    // 200 slots dealt round-robin, 50 each. The limited user's instant 429s
    // must not win it the slots the slow users cannot keep up with (a shared
    // schedule would give it most of them); those are unsent instead.
    let users = &last.total.users;
    assert_eq!(users.len(), 4);
    let limited = users
        .iter()
        .find(|u| u.user == "user2@perflab.test")
        .unwrap();
    assert_eq!(limited.requests, limited.rate_limited);
    assert!(
        (48..=50).contains(&limited.requests),
        "{}",
        limited.requests
    );
    for slow in users.iter().filter(|u| u.rate_limited == 0) {
        assert!(slow.requests <= 50, "{}: {}", slow.user, slow.requests);
    }
    let sent: u64 = users.iter().map(|u| u.requests).sum();
    assert_eq!(sent + last.unsent, 200);
    assert!(last.unsent > 0);
}

/// What the byte-counting server answers to every request: a head written
/// the way hyper and axum write theirs, and a 1000-byte body.
fn fixed_response() -> Vec<u8> {
    let head = "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 1000\r\n\r\n";
    [head.as_bytes(), &[b'x'; 1000]].concat()
}

/// A raw TCP server answering every request with [`fixed_response`]: the
/// bytes on the wire are known exactly, which no HTTP framework would let a
/// test say of its own responses.
async fn fixed_bytes_server() -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let response: Arc<[u8]> = fixed_response().into();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let response = Arc::clone(&response);
            tokio::spawn(async move {
                let mut pending = Vec::new();
                let mut chunk = [0u8; 4096];
                loop {
                    // One request at a time: a GET ends at its blank line.
                    let end = loop {
                        if let Some(at) = pending.windows(4).position(|w| w == b"\r\n\r\n") {
                            break at + 4;
                        }
                        match socket.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => pending.extend_from_slice(&chunk[..n]),
                        }
                    };
                    pending.drain(..end);
                    if socket.write_all(&response).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    format!("http://{addr}")
}

/// Runs the real `perflab bench` with `args`; returns (exit code, stdout, stderr).
async fn bench(args: &[&str]) -> (Option<i32>, String, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_perflab"))
        .arg("bench")
        .args(args)
        .current_dir(dir.path())
        .env("LANG", "C.UTF-8")
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .expect("perflab runs");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bench_says_what_it_runs_then_mean_stdev_percentiles_and_bytes() {
    let _turn = TIMING.lock().await;
    let base = fixed_bytes_server().await;
    let url = format!("{base}/fixed");
    let (code, out, err) = bench(&["--users", "2", "--duration", "1s", &url]).await;
    assert_eq!(code, Some(0), "{out}{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0],
        format!("closed loop: 2 users, one connection each, for 1s: GET {url}"),
        "{out}"
    );
    assert!(
        lines[1].contains(" requests in ") && lines[1].contains("/s received ("),
        "{out}"
    );
    let columns: Vec<&str> = lines[2].split_whitespace().collect();
    assert_eq!(
        columns,
        [
            "latency", "mean", "stdev", "p50", "p90", "p95", "p99", "max"
        ]
    );
    // Closed loop: one latency line (scheduled and sent are the same time).
    let all = lines[3].strip_prefix("all responses").expect(&out);
    let values: Vec<&str> = all.split_whitespace().collect();
    assert_eq!(values.len(), 7, "{out}");
    assert!(values.iter().all(|v| v.ends_with("ms")), "{out}");
    assert!(!out.contains("corrected"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bench_json_puts_the_summary_first_and_echoes_its_configuration() {
    let _turn = TIMING.lock().await;
    let base = fixed_bytes_server().await;
    let url = format!("{base}/fixed/{{id}}");
    let args = [
        "--rate",
        "100",
        "--connections",
        "2",
        "--duration",
        "1s",
        "--ids",
        "50",
        "--zipf",
        "0",
        "--json",
        &url,
    ];
    let (code, out, err) = bench(&args).await;
    assert_eq!(code, Some(0), "{out}{err}");
    // Nothing but the JSON on stdout (no header line), summary first.
    assert!(out.starts_with("{\n  \"summary\": {"), "{out}");
    let json: Value = serde_json::from_str(&out).expect("stdout is one JSON document");
    let summary = &json["summary"];
    let responses = summary["responses"].as_u64().expect("responses");
    assert!(responses > 0, "{out}");
    assert_eq!(summary["status_codes"]["200"], responses);
    // Every byte of every response, head and body, as the server wrote it.
    assert_eq!(
        summary["bytes"].as_u64(),
        Some(responses * fixed_response().len() as u64)
    );
    let (bytes, secs) = (summary["bytes"].as_f64(), summary["secs"].as_f64());
    let per_sec = summary["bytes_per_sec"].as_f64().expect("bytes_per_sec");
    let expected = bytes.unwrap_or_default() / secs.unwrap_or(1.0);
    assert!((per_sec - expected).abs() < 1e-6 * expected, "{out}");
    for key in [
        "mean_us", "stdev_us", "p50_us", "p95_us", "p99_us", "max_us",
    ] {
        assert!(summary["latency"][key].is_number(), "{key}: {out}");
    }
    assert!(summary["unsent"].is_number(), "{out}");
    assert_eq!(
        json["config"],
        json!({
            "mode": "open",
            "rate": 100.0,
            "users": null,
            "connections": 2,
            "duration_secs": 1.0,
            "timeout_secs": 10.0,
            "target": base,
            "endpoints": [{ "method": "GET", "path": "/fixed/{id}", "weight": 1 }],
            "params": { "id": { "distribution": "zipf", "lo": 1, "hi": 50, "exponent": 0.0 } },
            "login": null,
            "seed": 0,
        })
    );
}

#[tokio::test]
async fn bench_help_gives_each_option_one_line() {
    let (code, out, err) = bench(&["--help"]).await;
    assert_eq!(code, Some(0), "{err}");
    let lines: Vec<&str> = out.lines().collect();
    let login = lines
        .iter()
        .position(|l| l.trim_start().starts_with("--login"))
        .expect(&out);
    assert!(lines[login].contains("user2@perflab.test"), "{out}");
    // Every line of the options list starts an option: none is wrapped.
    let options = lines.iter().position(|l| *l == "Options:").expect(&out);
    for line in &lines[options + 1..] {
        assert!(
            line.trim_start().starts_with('-'),
            "a wrapped line: {line:?}"
        );
    }
}

/// A server that counts its requests.
async fn counting_server() -> (String, Arc<AtomicU64>) {
    let served = Arc::new(AtomicU64::new(0));
    let router = Router::new()
        .route(
            "/",
            get(|State(served): State<Arc<AtomicU64>>| async move {
                served.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(2)).await;
                "ok"
            }),
        )
        .with_state(Arc::clone(&served));
    (serve(router).await, served)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_with_peers_deals_its_connections_over_every_instance() {
    let _turn = TIMING.lock().await;
    let (first, first_served) = counting_server().await;
    let (second, second_served) = counting_server().await;
    for model in [
        Model::Closed { users: 4 },
        Model::Open {
            rate: 200.0,
            connections: 4,
        },
    ] {
        let before = [&first_served, &second_served].map(|s| s.load(Ordering::SeqCst));
        let mut config = LoadConfig::new(
            first.clone(),
            Mix::single("/").unwrap(),
            model,
            Duration::from_secs(1),
        );
        config.peers = vec![second.clone()];
        let last = run(config).await;
        let [a, b] = [&first_served, &second_served]
            .map(|s| s.load(Ordering::SeqCst))
            .into_iter()
            .zip(before)
            .map(|(now, then)| now - then)
            .collect::<Vec<_>>()
            .try_into()
            .unwrap();
        assert_eq!(
            a + b,
            last.total.requests,
            "{model:?}: every request counted"
        );
        assert_eq!(last.total.errors.total(), 0, "{model:?}");
        // Two connections each, the same delay: each instance serves about
        // half; a quarter leaves room for scheduling without hiding a miss.
        let quarter = last.total.requests / 4;
        assert!(a > quarter && b > quarter, "{model:?}: {a} and {b}");
    }
}

#[tokio::test]
async fn an_unreachable_peer_is_one_clear_error() {
    let (first, _) = counting_server().await;
    let closed = common::ClosedPort::new();
    let mut config = LoadConfig::new(
        first,
        Mix::single("/").unwrap(),
        Model::Closed { users: 2 },
        Duration::from_secs(1),
    );
    config.peers = vec![format!("http://{}", closed.addr())];
    match load::start(config, CancellationToken::new()).await {
        Err(LoadError::Unreachable { addr, .. }) => assert_eq!(addr.to_string(), closed.addr()),
        Err(other) => panic!("expected Unreachable, got {other}"),
        Ok(_) => panic!("a run with an unreachable peer must not start"),
    }
}

#[tokio::test]
async fn runs_that_share_sessions_log_each_user_in_once_per_server() {
    let logins = Arc::new(AtomicU64::new(0));
    let counted = Arc::clone(&logins);
    let router = Router::new()
        .route(
            "/auth/login",
            post(move |body: Json<Value>| {
                counted.fetch_add(1, Ordering::Relaxed);
                login(body)
            }),
        )
        .route("/ok", get(|| async { StatusCode::OK }));
    let (first, second) = (serve(router.clone()).await, serve(router).await);
    let sessions = load::Sessions::default();
    let config = |base: &str| {
        let mut config = LoadConfig::new(
            base,
            Mix::single("/ok").unwrap(),
            Model::Closed { users: 3 },
            Duration::from_millis(200),
        );
        config.login = Some(Login {
            sessions: sessions.clone(),
            ..Login::default()
        });
        config
    };
    for _ in 0..3 {
        let snapshot = run(config(&first)).await;
        assert_eq!(snapshot.total.users.len(), 3);
    }
    assert_eq!(logins.load(Ordering::Relaxed), 3, "one login per user");
    run(config(&second)).await;
    assert_eq!(
        logins.load(Ordering::Relaxed),
        6,
        "another server's sessions are its own"
    );
    assert_eq!(sessions.len(), 6);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mix_reports_each_endpoint_with_the_latency_of_its_2xx() {
    let _turn = TIMING.lock().await;
    let router = Router::new()
        .route("/fast", get(|| async { StatusCode::OK }))
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_millis(30)).await;
                StatusCode::OK
            }),
        )
        .route("/gone", get(|| async { StatusCode::NOT_FOUND }));
    let mix = Mix::new(
        vec![
            load::Endpoint::get("/fast"),
            load::Endpoint::get("/slow"),
            load::Endpoint::get("/gone"),
        ],
        Default::default(),
    )
    .unwrap();
    let snapshot = run(LoadConfig::new(
        serve(router).await,
        mix,
        Model::Closed { users: 4 },
        Duration::from_millis(800),
    ))
    .await;
    let endpoints = &snapshot.total.endpoints;
    assert_eq!(endpoints.len(), 3, "{endpoints:?}");
    let requests: u64 = endpoints.iter().map(|e| e.requests).sum();
    assert_eq!(requests, snapshot.total.requests);
    let [fast, slow, gone] = [&endpoints[0], &endpoints[1], &endpoints[2]];
    assert_eq!((fast.index, slow.index, gone.index), (0, 1, 2));
    assert!(ms(slow.ok.p50_us) >= 29.9, "{slow:?}");
    assert!(ms(fast.ok.p95_us) < ms(slow.ok.p50_us), "{fast:?} {slow:?}");
    assert!(
        gone.requests > 0 && gone.ok.count == 0,
        "404s have no 2xx latency: {gone:?}"
    );
}
