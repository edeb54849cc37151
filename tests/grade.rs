//! `perflab grade` and the `--target` side of `check`, with the real binary
//! on real PostgreSQL and Redis: the course's weights with labs not attempted
//! listed at 0, the same numbers and exit code in human, JSON and Classroom
//! form, a bad `shop.toml` named by key and line, a baseline kept per target
//! apart from the workspace's progress, and `--peer` giving lab 1.5's
//! shared-keys check a second instance.
//!
//! Grading runs real load, so the labs here are few (`--only`) and run from
//! a copy of the pack whose traffic is shortened: what is tested is the
//! grading and the plumbing, not how fast this machine is.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use common::TestShop;
use perflab::lab::{Catalog, Category};
use perflab::shop::settings::{CacheBackend, CachedRoute, ShopSettings};
use serde_json::Value;

fn perflab(dir: &Path, args: &[&str]) -> Output {
    common::perflab_command(dir, args)
        .env("PERFLAB_SCALE", "small")
        .env_remove("DATABASE_URL")
        .env_remove("REDIS_URL")
        .env_remove("PERFLAB_LABS")
        .output()
        .expect("the perflab binary runs")
}

/// `perflab` run off the async test's threads.
async fn perflab_async(dir: &Path, args: &[&str]) -> Output {
    let dir = dir.to_path_buf();
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        perflab(&dir, &args)
    })
    .await
    .expect("joined")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn json(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}\n{}", stdout(output), stderr(output)))
}

/// The built-in pack with short traffic (1 s profiles, 50 requests for a
/// baseline). Returns the `labs` folder.
fn test_pack(dir: &Path) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let labs = dir.join("pack/labs");
    common::copy_dir(&root.join("labs"), &labs);
    common::copy_dir(&root.join("solutions"), &dir.join("pack/solutions"));
    for lab in ["1.1-baseline", "1.3-cache-aside"] {
        let path = labs.join(lab).join("lab.toml");
        let text = std::fs::read_to_string(&path).expect("lab.toml");
        let short = text
            .replace("min_requests = 2000", "min_requests = 50")
            .replace("duration = \"4s\"", "duration = \"1s\"")
            .replace("duration = \"12s\"", "duration = \"1s\"");
        assert_ne!(short, text, "{lab}: nothing shortened");
        std::fs::write(&path, short).expect("write lab.toml");
    }
    labs
}

/// A workspace on its own seeded database (small scale), with the test pack.
fn workspace(dir: &Path, db: &str) -> (PathBuf, String) {
    // Created and seeded here, so the runs below reuse it at once.
    let url = common::database_url(db);
    let name = url.rsplit('/').next().expect("database name").to_string();
    let init = perflab(dir, &["init", "ws"]);
    assert!(init.status.success(), "{}", stderr(&init));
    let ws = dir.join("ws");
    std::fs::write(
        ws.join("perflab.toml"),
        format!("[database]\nname = \"{name}\"\n[fixtures]\nscale = \"small\"\n"),
    )
    .expect("perflab.toml");
    let labs = test_pack(dir).display().to_string();
    (ws, labs)
}

/// The points each lab's part of `category` is worth in the built-in pack,
/// to the hundredth: the category's weight shared among the labs of its
/// blocks and the final project, whose checks count in all three.
fn lab_share(category: Category) -> f64 {
    let catalog = Catalog::embedded().expect("the built-in pack");
    let parts = catalog
        .labs
        .iter()
        .filter(|lab| {
            let block = catalog.block(lab.block).expect("its block").category;
            lab.checks
                .iter()
                .any(|check| lab.check_category(check.id(), block) == category)
        })
        .count();
    (category.weight() * 10_000.0 / parts as f64).round() / 100.0
}

/// The category `name` of a grade's JSON.
fn category<'a>(grade: &'a Value, name: &str) -> &'a Value {
    grade["categories"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["category"] == name))
        .unwrap_or_else(|| panic!("no {name} in {grade}"))
}

fn lab<'a>(grade: &'a Value, id: &str) -> &'a Value {
    grade["labs"]
        .as_array()
        .and_then(|l| l.iter().find(|l| l["id"] == id))
        .unwrap_or_else(|| panic!("no {id} in {grade}"))
}

fn check<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["labs"][0]["checks"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["id"] == id))
        .unwrap_or_else(|| panic!("no check {id} in {report}"))
}

#[test]
fn a_bad_shop_toml_stops_check_and_grade_naming_key_and_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let init = perflab(dir.path(), &["init", "ws"]);
    assert!(init.status.success(), "{}", stderr(&init));
    let ws = dir.path().join("ws");
    std::fs::write(
        ws.join("shop.toml"),
        "# mine\n[cache]\nbackend = \"reddis\"\nttl = \"5m\"\n",
    )
    .expect("shop.toml");
    for args in [
        &["grade", "--lang", "en"][..],
        &["grade", "--format", "classroom", "--lang", "en"],
        &["check", "1.2", "--lang", "en"],
    ] {
        let output = perflab(&ws, args);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            stderr(&output)
        );
        let message = stderr(&output);
        assert_eq!(message.trim().lines().count(), 1, "{args:?}: {message}");
        assert!(
            message.contains("`cache.backend`, line 3")
                && message.contains("unknown value `reddis`, expected off | memory | redis"),
            "{args:?}: {message}"
        );
        assert!(stdout(&output).is_empty(), "{args:?}: no half grade");
    }
    std::fs::write(
        ws.join("shop.toml"),
        "[cache]\nbackend = \"redis\"\n\nttl = \"5 minutos\"\n",
    )
    .expect("shop.toml");
    let output = perflab(&ws, &["check", "1.3"]);
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(
        message.contains("`cache.ttl`, línea 4")
            && message.contains("`5 minutos` no es una duración")
            && message.contains("\"30s\", \"5m\" o \"1h\""),
        "{message}"
    );
}

#[test]
fn one_lab_graded_counts_its_share_and_every_format_agrees() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (ws, labs) = workspace(dir.path(), "grade_ws");
    let grade = |format: &str| {
        perflab(
            &ws,
            &[
                "--labs", &labs, "--lang", "en", "grade", "--only", "1.2", "--format", format,
            ],
        )
    };

    let each = lab_share(Category::Performance);
    // Unsolved: the workspace starts with the cache off, 1.2 wants Redis.
    let (human, document, room) = (grade("human"), grade("json"), grade("classroom"));
    for output in [&human, &document, &room] {
        assert_eq!(output.status.code(), Some(1), "{}", stderr(output));
    }
    let failed = json(&document);
    assert_eq!(failed["status"], "fail");
    assert_eq!(failed["score"], 0.0);
    assert_eq!(lab(&failed, "1.2-redis")["status"], "failed");
    assert_eq!(json(&room)["status"], "fail");
    assert!(
        stdout(&human).contains("Grade: 0.00 / 100 — failing"),
        "{}",
        stdout(&human)
    );
    // What to redo, with the points it would add.
    assert!(
        stdout(&human).contains(&format!(
            "To gain points:\n  1.2-redis: +{each:.2} (failing: redis-connected;"
        )),
        "{}",
        stdout(&human)
    );
    let unsolved = lab(&failed, "1.2-redis");
    assert_eq!(
        (
            unsolved["checks"][0]["points"].as_f64(),
            unsolved["checks"][0]["max_points"].as_f64()
        ),
        (Some(0.0), Some(each)),
        "{unsolved}"
    );

    let apply = perflab(&ws, &["--labs", &labs, "solution", "1.2", "--apply"]);
    assert!(apply.status.success(), "{}", stderr(&apply));
    let (human, document, room) = (grade("human"), grade("json"), grade("classroom"));
    for output in [&human, &document, &room] {
        assert_eq!(output.status.code(), Some(0), "{}", stderr(output));
    }

    // JSON: the course's weights, one of the performance labs (ten and the
    // final project's part), the rest at 0.
    let graded = json(&document);
    assert_eq!(graded["status"], "pass");
    assert_eq!(graded["score"], each, "40 / 11 parts");
    let performance = category(&graded, "performance");
    assert_eq!(performance["max_points"], 40.0);
    assert_eq!(performance["points"], each);
    let code = category(&graded, "code");
    assert_eq!(
        (code["points"].as_f64(), code["max_points"].as_f64()),
        (Some(0.0), Some(30.0))
    );
    let monitoring = category(&graded, "monitoring");
    assert_eq!(monitoring["max_points"], 30.0);
    assert_eq!(monitoring["blocks_without_labs"], serde_json::json!([]));
    let redis = lab(&graded, "1.2-redis");
    assert_eq!(redis["status"], "passed");
    assert_eq!(
        (redis["points"].as_f64(), redis["max_points"].as_f64()),
        (Some(each), Some(each))
    );
    let health = &redis["checks"][0];
    assert_eq!(health["id"], "redis-connected");
    assert_eq!(health["verdict"], "pass");
    assert_eq!(
        (health["points"].as_f64(), health["max_points"].as_f64()),
        (Some(each), Some(each))
    );
    for field in ["kind", "measured", "unit", "target", "message"] {
        assert!(health.get(field).is_some(), "{field} missing: {health}");
    }
    for other in [
        "1.1-baseline",
        "1.3-cache-aside",
        "1.6-degradation",
        "3.1-timing",
    ] {
        let lab = lab(&graded, other);
        assert_eq!(lab["status"], "not_attempted", "{lab}");
        assert_eq!(lab["points"], 0.0, "{lab}");
    }
    assert_eq!(
        lab(&graded, "3.1-timing")["max_points"].as_f64(),
        Some(lab_share(Category::Code)),
        "30 / 7: six code labs and the final project's part"
    );
    let memory = lab(&graded, "4.3-memory");
    assert_eq!(memory["status"], "not_attempted", "{memory}");
    assert_eq!(
        memory["max_points"].as_f64(),
        Some(lab_share(Category::Monitoring)),
        "the monitoring block's labs and the final's part share its 30"
    );
    // The final project, not attempted, is listed in each category it
    // counts in, at 0.
    let finals: Vec<&Value> = graded["labs"]
        .as_array()
        .expect("labs")
        .iter()
        .filter(|l| l["id"] == "final")
        .collect();
    let categories: Vec<&str> = finals
        .iter()
        .filter_map(|l| l["category"].as_str())
        .collect();
    assert_eq!(
        categories,
        ["performance", "monitoring", "code"],
        "{finals:?}"
    );
    assert!(finals.iter().all(|l| l["points"] == 0.0), "{finals:?}");

    // Classroom: the same score, its tests adding up to it, real time.
    let room = json(&room);
    assert_eq!(room["status"], "pass");
    assert_eq!(room["max_score"], 100);
    let tests = room["tests"].as_array().expect("tests");
    let sum: f64 = tests.iter().filter_map(|t| t["score"].as_f64()).sum();
    assert!((sum - each).abs() < 1e-9, "{room}");
    let performance = tests
        .iter()
        .find(|t| {
            t["name"]
                .as_str()
                .is_some_and(|n| n.starts_with("performance"))
        })
        .expect("a performance test");
    let time = performance["execution_time"]
        .as_str()
        .and_then(|t| t.strip_suffix('s'))
        .and_then(|t| t.parse::<f64>().ok())
        .expect("execution_time like 1.23s");
    assert!(time > 0.0, "{performance}");
    assert!(
        performance["message"]
            .as_str()
            .is_some_and(|m| m.contains(&format!("1.1-baseline: 0.00 / {each:.2} (not attempted)"))),
        "{performance}"
    );

    // Human: the same numbers.
    let text = stdout(&human);
    assert!(
        text.contains(&format!("Grade: {each:.2} / 100 — no check failed")),
        "{text}"
    );
    assert!(
        text.contains(&format!("performance (40 %): {each:.2} / 40.00")),
        "{text}"
    );
    assert!(text.contains("code (30 %): 0.00 / 30.00"), "{text}");
    assert!(
        text.contains("3.1-timing") && text.contains("not attempted"),
        "{text}"
    );
    assert!(text.contains("monitoring (30 %): 0.00 / 30.00"), "{text}");
    assert!(!text.contains("no labs in this pack"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_keeps_its_own_baseline_apart_from_the_workspace() {
    let db = "grade_target";
    common::database_url(db);
    let shop = TestShop::start(db, ShopSettings::default()).await;
    let url = shop.url("");
    let dir = tempfile::tempdir().expect("temp dir");
    let labs = test_pack(dir.path()).display().to_string();
    let init = perflab_async(dir.path(), &["init", "ws"]).await;
    assert!(init.status.success(), "{}", stderr(&init));
    let ws = dir.path().join("ws");
    let progress_before = std::fs::read(ws.join("progress.json")).expect("progress");
    let run = |lab: &'static str| {
        let (ws, labs, url) = (ws.clone(), labs.clone(), url.clone());
        async move {
            perflab_async(
                &ws,
                &[
                    "--labs", &labs, "--lang", "en", "check", lab, "--target", &url, "--format",
                    "json",
                ],
            )
            .await
        }
    };

    // No baseline for this API yet: the relative check says what to run.
    let before = run("1.3").await;
    let report = json(&before);
    let detail = check(&report, "detail");
    assert_eq!(detail["verdict"], "not_applicable", "{report}");
    let message = detail["message"].as_str().unwrap_or_default();
    assert!(
        message.contains(&format!("perflab check 1.1 --target {url}")),
        "{message}"
    );
    assert!(!message.contains("shop.toml"), "{message}");

    let baseline = run("1.1").await;
    assert_eq!(baseline.status.code(), Some(0), "{}", stderr(&baseline));
    let port = url.rsplit(':').next().expect("port");
    let file = ws
        .join(".state/targets")
        .join(format!("127.0.0.1_{port}.json"));
    assert!(
        stderr(&baseline).contains(&file.display().to_string()),
        "{}",
        stderr(&baseline)
    );
    let saved: Value =
        serde_json::from_slice(&std::fs::read(&file).expect("the target's baseline"))
            .expect("JSON");
    let p95 = saved["measurements"]["detail.p95_ms"]
        .as_f64()
        .expect("detail.p95_ms");
    assert_eq!(
        std::fs::read(ws.join("progress.json")).expect("progress"),
        progress_before,
        "the workspace's progress is untouched"
    );

    // Now the relative check runs, against that baseline.
    let after = run("1.3").await;
    let report = json(&after);
    let detail = check(&report, "detail");
    assert!(
        matches!(detail["verdict"].as_str(), Some("pass" | "fail")),
        "judged, not skipped: {report}"
    );
    let target = detail["target"].as_str().unwrap_or_default();
    assert!(
        target.contains(&format!("baseline's {p95:.2} ms")),
        "{target} vs {p95}"
    );
    assert_eq!(
        std::fs::read(ws.join("progress.json")).expect("progress"),
        progress_before
    );
    shop.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn peer_lets_lab_1_5_compare_two_instances_of_a_target() {
    let db = "grade_peer";
    common::database_url(db);
    let mut settings = ShopSettings::default();
    settings.cache.backend = CacheBackend::Redis;
    settings.cache.endpoints = vec![
        CachedRoute::ProductDetail,
        CachedRoute::ProductList,
        CachedRoute::Categories,
    ];
    settings.cache.ttl = Duration::from_secs(300);
    let redis = Some(common::LOCAL_REDIS_URL.to_string());
    let a = TestShop::start_with_redis(db, settings.clone(), redis.clone()).await;
    let b = TestShop::start_with_redis(db, settings, redis).await;
    common::wait_for_cache_status(&a, "up").await;
    common::wait_for_cache_status(&b, "up").await;
    let (url_a, url_b) = (a.url(""), b.url(""));
    let dir = tempfile::tempdir().expect("temp dir");

    let alone = perflab_async(
        dir.path(),
        &[
            "--lang", "en", "check", "1.5", "--target", &url_a, "--format", "json",
        ],
    )
    .await;
    assert_eq!(
        alone.status.code(),
        Some(0),
        "not applicable is no failure: {}",
        stderr(&alone)
    );
    let report = json(&alone);
    let shared = check(&report, "shared-keys");
    assert_eq!(shared["verdict"], "not_applicable", "{report}");
    assert!(
        shared["message"]
            .as_str()
            .is_some_and(|m| m.contains("--peer URL")),
        "{shared}"
    );

    let paired = perflab_async(
        dir.path(),
        &[
            "--lang", "en", "check", "1.5", "--target", &url_a, "--peer", &url_b, "--format",
            "json",
        ],
    )
    .await;
    let report = json(&paired);
    assert_eq!(check(&report, "shared-keys")["verdict"], "pass", "{report}");
    assert_eq!(paired.status.code(), Some(0), "{}", stderr(&paired));

    let graded = perflab_async(
        dir.path(),
        &[
            "grade", "--target", &url_a, "--peer", &url_b, "--only", "1.5", "--format", "json",
        ],
    )
    .await;
    assert_eq!(graded.status.code(), Some(0), "{}", stderr(&graded));
    let grade = json(&graded);
    assert_eq!(lab(&grade, "1.5-list-keys")["status"], "passed", "{grade}");
    assert_eq!(grade["score"], lab_share(Category::Performance));
    a.stop().await;
    b.stop().await;
}
