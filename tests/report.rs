//! `perflab report`: a workspace with recorded attempts gives one HTML file
//! that headless Chromium (Debian's package) opens offline, with an SVG
//! chart per measured check, and whose numbers are the progress file's.

mod common;

use std::path::Path;

use common::prerequisites::CHROMIUM;
use common::{Need, output_text, perflab_command, require};
use perflab::lab::progress::{Better, Measurement, Progress};
use serde_json::Value;

/// What Chromium built from the file: the DOM after loading it, offline.
fn dump_dom(file: &Path) -> String {
    let profile = tempfile::tempdir().expect("profile dir");
    let output = std::process::Command::new(CHROMIUM)
        .args(["--headless", "--disable-gpu", "--no-sandbox"])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", file.display()))
        .stdin(std::process::Stdio::null())
        .output()
        .expect("chromium runs");
    assert!(output.status.success(), "{}", output_text(&output));
    String::from_utf8(output.stdout).expect("utf-8 DOM")
}

/// Records attempts as `perflab check` does: lab 1.3 three times (failing,
/// then passing), lab 1.2 once.
fn record(progress_path: &Path) {
    let mut progress = Progress::new();
    let at = |s: i64| chrono::DateTime::from_timestamp(1_790_000_000 + s, 0).expect("a time");
    let hits = |v| Measurement::new("hit-ratio", v, Better::Higher);
    // A latency check keeps its p50 and p99 beside its p95 (`{id}.p50_ms`).
    let latency = |p50, p95, p99| {
        [
            Measurement::new("detail", p95, Better::Lower),
            Measurement::new("detail.p50_ms", p50, Better::Lower),
            Measurement::new("detail.p99_ms", p99, Better::Lower),
        ]
    };
    let [a, b, c] = latency(20.0, 48.0, 95.5);
    progress.record_attempt("1.3-cache-aside", false, &[hits(12.5), a, b, c], at(0));
    progress.record_attempt("1.3-cache-aside", false, &[hits(64.75)], at(300));
    let [a, b, c] = latency(1.25, 3.5, 7.0);
    progress.record_attempt("1.3-cache-aside", true, &[hits(91.125), a, b, c], at(900));
    progress.record_attempt("1.2-redis", true, &[], at(1200));
    progress.save(progress_path).expect("save progress");
}

/// The exact `data-value` of the cell in `column` (0: first, 1: latest) of
/// check `id`'s row.
fn cell(dom: &str, id: &str, column: usize) -> Option<f64> {
    let row_start = dom.find(&format!("data-check=\"{id}\""))?;
    let row = &dom[row_start..row_start + dom[row_start..].find("</tr>")?];
    let value = row.split("data-value=\"").nth(column + 1)?;
    value[..value.find('"')?].parse().ok()
}

#[test]
fn the_report_opens_in_chromium_with_its_charts_and_the_progress_numbers() {
    require(&[Need::Chromium]);
    let dir = tempfile::tempdir().expect("temp dir");
    let init = perflab_command(dir.path(), &["init", "ws"])
        .output()
        .expect("perflab runs");
    assert!(init.status.success(), "{}", output_text(&init));
    let ws = dir.path().join("ws");
    let progress_path = ws.join("progress.json");
    record(&progress_path);
    let out = dir.path().join("handed in.html");
    let report = perflab_command(
        &ws,
        &[
            "--lang",
            "es",
            "report",
            "--out",
            out.to_str().expect("utf-8"),
        ],
    )
    .output()
    .expect("perflab runs");
    assert!(report.status.success(), "{}", output_text(&report));

    let html = std::fs::read_to_string(&out).expect("the report");
    for external in ["<script", "<link", " src=", "@import", "url("] {
        assert!(!html.contains(external), "fetches something: {external}");
    }
    let dom = dump_dom(&out);
    // A chart per measured check: 1.3's hit ratio and p95 (1.2 measured nothing).
    assert_eq!(dom.matches("<svg").count(), 2, "{dom}");
    let charts = &dom[dom.find("<svg").expect("a chart")..];
    assert!(charts.contains("<text"), "the charts carry their text");
    assert!(charts.contains("hit-ratio"), "the caption names the check");
    assert!(
        charts.contains("<polyline") || charts.contains("<path"),
        "a line"
    );
    assert!(charts.matches("<circle").count() >= 4, "a dot per attempt");
    assert!(dom.contains("intento"), "in the learner's language");

    // The numbers are the progress file's: first and latest attempt.
    let saved: Value =
        serde_json::from_str(&std::fs::read_to_string(&progress_path).expect("progress"))
            .expect("progress JSON");
    let history = saved["labs"]["1.3-cache-aside"]["history"]
        .as_array()
        .expect("the history");
    assert_eq!(history.len(), 3);
    let value = |k: usize, id: &str| history[k]["measured"][id].as_f64();
    assert_eq!(cell(&dom, "hit-ratio", 0), value(0, "hit-ratio"), "first");
    assert_eq!(cell(&dom, "hit-ratio", 1), value(2, "hit-ratio"), "latest");
    assert_eq!(cell(&dom, "detail", 0), value(0, "detail"));
    assert_eq!(cell(&dom, "detail", 1), value(2, "detail"));
    // The latency check's p50 and p99 are kept beside its p95, and drawn.
    let (p50, p95, p99) = (
        value(2, "detail.p50_ms").expect("p50 kept"),
        value(2, "detail").expect("p95 kept"),
        value(2, "detail.p99_ms").expect("p99 kept"),
    );
    assert!(p50 <= p95 && p95 <= p99, "{p50} {p95} {p99}");
    assert!(charts.contains("p99"), "the p99 line is labelled");
    assert!(
        dom.contains(">91.13<") || dom.contains(">91.12<"),
        "shown rounded"
    );
    // The grade table: both labs passed score, the others are at 0.
    let score = dom
        .split("id=\"score\" data-value=\"")
        .nth(1)
        .expect("score");
    let score: f64 = score[..score.find('"').expect("end")]
        .parse()
        .expect("a number");
    assert!(score > 0.0 && score < 100.0, "{score}");
    assert!(dom.contains("data-lab=\"1.2-redis\""), "{dom}");
}
