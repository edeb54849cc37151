//! `perflab grade --class FILE` on a class of three: a good API (the shop
//! with every optimisation on), one that is stopped while it is being graded,
//! and a URL that serves an HTML page. Each run gives three rows and exit
//! code 1; the good one scores, the other two carry a reason.
//!
//! The stop is synchronised on what perflab says on stderr when a student's
//! lab starts (`stopped: lab 1.2-redis…`): the test reads stderr line by
//! line and stops that shop on that line, so the grade meets it gone in the
//! middle of its labs — no sleeps.

mod common;

use std::process::Stdio;

use common::{LOCAL_REDIS_URL, TestShop, perflab_command, wait_for_cache_status};
use perflab::shop::settings::{Preset, ShopSettings};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};

/// The labs graded: a health check (one request) and a measured lab under
/// load, so a shop stopped during the first is still missed by the second.
const ONLY: [&str; 4] = ["--only", "1.2", "--only", "1.3"];

async fn optimized(db: &str) -> TestShop {
    // As tests/target_grading.rs: a Block 1 API has no limiter yet.
    let mut settings = ShopSettings::preset(Preset::Optimized);
    settings.rate_limit.enabled = false;
    let shop = TestShop::start_with_redis(db, settings, Some(LOCAL_REDIS_URL.into())).await;
    wait_for_cache_status(&shop, "up").await;
    shop
}

/// A server that answers every path with an HTML page (a student who
/// pointed the class file at their web page, not their API).
async fn html_server() -> (String, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let app = axum::Router::new().fallback(|| async {
        axum::response::Html("<!doctype html><html><body><h1>My shop</h1></body></html>")
    });
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (url, task)
}

/// Runs the class grade in `format`, stopping `doomed` once perflab says its
/// first lab started; returns the exit code, stdout and stderr.
async fn grade_class(
    dir: &std::path::Path,
    class: &std::path::Path,
    format: &str,
    doomed: TestShop,
) -> (Option<i32>, String, String) {
    let class = class.to_str().expect("utf-8 path");
    let mut args = vec![
        "--lang", "en", "grade", "--class", class, "--format", format,
    ];
    args.extend(ONLY);
    let mut child = tokio::process::Command::from(perflab_command(dir, &args))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("perflab runs");
    let mut stdout = child.stdout.take().expect("stdout");
    let reading = tokio::spawn(async move {
        let mut out = String::new();
        stdout.read_to_string(&mut out).await.expect("stdout");
        out
    });
    let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
    let mut stderr = String::new();
    let mut doomed = Some(doomed);
    while let Some(line) = lines.next_line().await.expect("stderr") {
        if line.starts_with("stopped: lab ")
            && let Some(shop) = doomed.take()
        {
            shop.stop().await;
        }
        stderr.push_str(&line);
        stderr.push('\n');
    }
    assert!(
        doomed.is_none(),
        "the stopped student was never graded:\n{stderr}"
    );
    let status = child.wait().await.expect("perflab ends");
    (status.code(), reading.await.expect("stdout task"), stderr)
}

#[tokio::test]
async fn a_class_with_a_good_a_stopped_and_an_html_api_gives_three_rows_and_exit_1() {
    let good = optimized("class_good").await;
    let (html, html_task) = html_server().await;
    let dir = tempfile::tempdir().expect("temp dir");
    for format in ["csv", "json"] {
        let doomed = optimized("class_stopped").await;
        let class = dir.path().join("class.txt");
        std::fs::write(
            &class,
            format!(
                "# Monday's class\ngood {}\n\nstopped {}\nhtml {html}\n",
                good.shop.endpoint.url, doomed.shop.endpoint.url
            ),
        )
        .expect("class file");
        let (code, out, err) = grade_class(dir.path(), &class, format, doomed).await;
        assert_eq!(code, Some(1), "{format}:\n{out}\n{err}");
        let rows = match format {
            "csv" => csv_rows(&out),
            _ => json_rows(&out),
        };
        assert_eq!(rows.len(), 3, "{format}: {rows:#?}\n{out}\n{err}");
        let row = |name: &str| rows.iter().find(|r| r.name == name).expect(name);
        let good_row = row("good");
        assert!(good_row.score > 0.0, "{format}: {good_row:#?}\n{err}");
        assert!(good_row.performance > 0.0, "{good_row:#?}");
        assert_eq!(good_row.status, "pass", "{good_row:#?}\n{out}\n{err}");
        let stopped = row("stopped");
        assert_eq!(stopped.status, "error", "{stopped:#?}");
        assert!(
            stopped.reason.contains("stopped answering during lab"),
            "{stopped:#?}"
        );
        assert!(stopped.score < good_row.score, "{stopped:#?}");
        let html_row = row("html");
        assert_eq!(html_row.score, 0.0, "{html_row:#?}");
        assert_eq!(html_row.status, "error", "{html_row:#?}");
        assert!(
            html_row.reason.contains("not an OpenAPI document")
                && html_row.reason.contains("text/html"),
            "{html_row:#?}"
        );
        // The HTML page was never loaded as if it were the API.
        assert!(!err.contains("html: lab"), "{err}");
    }
    html_task.abort();
    good.stop().await;
}

#[tokio::test]
async fn a_malformed_class_file_stops_before_anyone_is_graded() {
    let dir = tempfile::tempdir().expect("temp dir");
    let class = dir.path().join("class.txt");
    std::fs::write(
        &class,
        "ana http://127.0.0.1:9\nluis http://127.0.0.1:9 extra\n",
    )
    .expect("class file");
    let output = perflab_command(
        dir.path(),
        &["--lang", "en", "grade", "--class", class.to_str().unwrap()],
    )
    .output()
    .expect("perflab runs");
    let text = common::output_text(&output);
    assert_eq!(output.status.code(), Some(2), "{text}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
    assert!(stderr.contains("line 2"), "{stderr}");
    assert!(!stderr.contains("ana: lab"), "nobody graded: {stderr}");
    assert!(output.stdout.is_empty(), "{text}");
}

/// A row as both formats give it.
#[derive(Debug)]
struct Row {
    name: String,
    score: f64,
    performance: f64,
    status: String,
    reason: String,
}

fn csv_rows(out: &str) -> Vec<Row> {
    let mut lines = out.lines();
    assert_eq!(
        lines.next(),
        Some("name,url,score,performance,monitoring,code,status,reason"),
        "{out}"
    );
    lines
        .map(|line| {
            let cells = split_csv(line);
            assert_eq!(cells.len(), 8, "{line}");
            Row {
                name: cells[0].clone(),
                score: cells[2].parse().expect("score"),
                performance: cells[3].parse().expect("points"),
                status: cells[6].clone(),
                reason: cells[7].clone(),
            }
        })
        .collect()
}

/// One CSV line's cells (RFC 4180 quoting, no line breaks inside).
fn split_csv(line: &str) -> Vec<String> {
    let mut cells = vec![String::new()];
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                cells.last_mut().unwrap().push('"');
            }
            ('"', _) => quoted = !quoted,
            (',', false) => cells.push(String::new()),
            (c, _) => cells.last_mut().unwrap().push(c),
        }
    }
    cells
}

fn json_rows(out: &str) -> Vec<Row> {
    let doc: Value = serde_json::from_str(out).unwrap_or_else(|e| panic!("{e}:\n{out}"));
    assert_eq!(doc["status"], "fail", "{doc}");
    doc["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| Row {
            name: r["name"].as_str().expect("name").into(),
            score: r["score"].as_f64().expect("score"),
            performance: r["categories"]["performance"].as_f64().expect("points"),
            status: r["status"].as_str().expect("status").into(),
            reason: r["reason"].as_str().unwrap_or_default().into(),
        })
        .collect()
}
