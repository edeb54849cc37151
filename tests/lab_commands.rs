//! The headless lab commands as a student and an author use them: the real
//! binary in a real workspace — list, show, hint, solution, reset, a broken
//! pack, and `check --target` against a shop that only has its public API.

mod common;

use std::path::Path;
use std::process::Output;

use common::TestShop;
use perflab::lab::{Catalog, Progress};
use perflab::shop::settings::{CacheBackend, CachedRoute, ShopSettings};

fn perflab(dir: &Path, args: &[&str]) -> Output {
    common::perflab_command(dir, args)
        .output()
        .expect("the perflab binary runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn workspace() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let init = perflab(dir.path(), &["init", "ws"]);
    assert!(init.status.success(), "{}", stderr(&init));
    let ws = dir.path().join("ws");
    (dir, ws)
}

fn progress(ws: &Path) -> Progress {
    match Progress::load(&ws.join("progress.json")).expect("progress loads") {
        perflab::lab::Loaded::Found(p) => p,
        other => panic!("unexpected progress state: {other:?}"),
    }
}

#[test]
fn the_embedded_pack_holds_blocks_1_to_4_and_the_final_project_in_order() {
    let catalog = Catalog::embedded().expect("the embedded pack reads");
    let ids: Vec<&str> = catalog.labs.iter().map(|l| l.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "1.1-baseline",
            "1.2-redis",
            "1.3-cache-aside",
            "1.4-invalidation",
            "1.5-list-keys",
            "1.6-degradation",
            "2.1-explain",
            "2.2-search",
            "2.3-n-plus-one",
            "2.4-pool",
            "3.1-timing",
            "3.2-rate-limit",
            "3.3-tiers",
            "3.4-shared-limit",
            "3.5-compression",
            "3.6-request-log",
            "4.1-metrics",
            "4.2-profile",
            "4.3-memory",
            "final"
        ]
    );
    // The final project counts in the course's three categories.
    let final_lab = catalog.lab("final").expect("the final project");
    let block = catalog.block(final_lab.block).expect("its block").category;
    let categories: std::collections::BTreeSet<_> = final_lab
        .checks
        .iter()
        .map(|check| final_lab.check_category(check.id(), block))
        .collect();
    assert_eq!(categories.len(), 3, "{categories:?}");
    for lab in &catalog.labs {
        assert!(lab.hints.len() >= 2, "{} has too few hints", lab.id);
        assert!(lab.instructions.es.starts_with("# ") && lab.instructions.en.starts_with("# "));
        assert!(lab.start_settings().is_ok() && lab.solved_settings().is_ok());
    }
}

#[test]
fn a_student_walks_a_lab_without_a_terminal() {
    let (_dir, ws) = workspace();
    let list = perflab(&ws, &["list"]);
    assert!(
        stdout(&list).contains("1.3-cache-aside"),
        "{}",
        stdout(&list)
    );

    let show = perflab(&ws, &["show", "1.3", "--lang", "en"]);
    assert!(show.status.success());
    assert!(
        stdout(&show).contains("## What you do"),
        "{}",
        stdout(&show)
    );

    for n in 1..=2 {
        let hint = perflab(&ws, &["hint", "1.3-cache-aside"]);
        assert!(
            stdout(&hint).starts_with(&format!("Pista {n}/")),
            "{}",
            stdout(&hint)
        );
    }
    assert_eq!(
        progress(&ws).lab("1.3-cache-aside").map(|l| l.hints_used),
        Some(2)
    );

    let applied = perflab(&ws, &["solution", "1.3", "--apply"]);
    assert!(applied.status.success(), "{}", stderr(&applied));
    let settings = ShopSettings::from_file(&ws.join("shop.toml")).expect("valid settings");
    assert_eq!(settings.cache.endpoints, [CachedRoute::ProductDetail]);
    let kept = std::fs::read_to_string(ws.join("shop.toml")).expect("shop.toml");
    assert!(kept.starts_with("# perflab"), "the student's comments stay");
    assert_eq!(backups(&ws).len(), 1, "the previous shop.toml is kept");
    assert!(
        progress(&ws)
            .lab("1.3-cache-aside")
            .is_some_and(|l| l.solution_revealed())
    );

    let unconfirmed = perflab(&ws, &["reset", "1.3"]);
    assert_eq!(unconfirmed.status.code(), Some(2));
    assert!(
        stderr(&unconfirmed).contains("--yes"),
        "{}",
        stderr(&unconfirmed)
    );
    let reset = perflab(&ws, &["reset", "1.3", "--yes"]);
    assert!(reset.status.success(), "{}", stderr(&reset));
    let settings = ShopSettings::from_file(&ws.join("shop.toml")).expect("valid settings");
    assert_eq!(settings.cache.backend, CacheBackend::Redis);
    assert!(
        settings.cache.endpoints.is_empty(),
        "the lab's starting state"
    );
    assert!(progress(&ws).lab("1.3-cache-aside").is_none());
    let again = perflab(&ws, &["reset", "1.4", "--yes"]);
    assert!(again.status.success(), "{}", stderr(&again));
    assert_eq!(
        backups(&ws).len(),
        3,
        "every generation is kept, none overwritten"
    );
}

fn backups(ws: &Path) -> Vec<String> {
    std::fs::read_dir(ws)
        .expect("workspace")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|name| name.starts_with("shop.toml.") && name.ends_with(".bak"))
        .collect()
}

#[test]
fn a_broken_pack_is_one_line_naming_file_and_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let labs = dir.path().join("labs");
    let lab = labs.join("1.1-x");
    std::fs::create_dir_all(&lab).expect("dirs");
    let course = include_str!("../labs/course.toml");
    std::fs::write(labs.join("course.toml"), course).expect("course");
    std::fs::write(
        lab.join("lab.toml"),
        "id = \"1.1-x\"\nblock = 1\ntitle = {\n",
    )
    .expect("lab");
    let labs_arg = labs.to_string_lossy().to_string();
    let output = perflab(dir.path(), &["--labs", &labs_arg, "list"]);
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert_eq!(message.trim().lines().count(), 1, "{message}");
    assert!(
        message.contains("lab.toml") && message.contains("line 3"),
        "{message}"
    );
}

/// Lab text names actions (`{{check}}`): headless they are commands with the
/// lab's id, and a name that is no action stops the pack, naming where.
#[test]
fn actions_in_lab_text_are_commands_headless_and_typos_stop_the_pack() {
    let (_dir, ws) = workspace();
    let show = perflab(&ws, &["show", "3.1", "--lang", "en"]);
    assert!(show.status.success(), "{}", stderr(&show));
    let text = stdout(&show);
    assert!(text.contains("4. Run `perflab check 3.1`."), "{text}");
    assert!(!text.contains("{{"), "{text}");
    let show = perflab(&ws, &["show", "4.3", "--lang", "es"]);
    let text = stdout(&show);
    assert!(text.contains("y ejecuta `perflab check 4.3`."), "{text}");

    let dir = tempfile::tempdir().expect("temp dir");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let labs = dir.path().join("labs");
    common::copy_dir(&root.join("labs"), &labs);
    common::copy_dir(&root.join("solutions"), &dir.path().join("solutions"));
    let en = labs.join("3.1-timing/en.md");
    let body = std::fs::read_to_string(&en).expect("en.md");
    std::fs::write(&en, body.replace("{{Check}}", "{{Chek}}")).expect("write");
    let labs_arg = labs.to_string_lossy().to_string();
    let output = perflab(dir.path(), &["--labs", &labs_arg, "list"]);
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(
        message.contains("3.1-timing")
            && message.contains("{{Chek}}")
            && message.contains("line 21"),
        "{message}"
    );

    // A grading category for a check the lab does not have stops it too.
    std::fs::write(&en, body).expect("restore en.md");
    let toml = labs.join("final/lab.toml");
    let text = std::fs::read_to_string(&toml).expect("lab.toml");
    let typo = text.replace(
        "request-log = \"monitoring\"",
        "request-logs = \"monitoring\"",
    );
    assert_ne!(typo, text);
    std::fs::write(&toml, typo).expect("write");
    let output = perflab(dir.path(), &["--labs", &labs_arg, "list"]);
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(
        message.contains("lab final") && message.contains("`request-logs`, which no check has"),
        "{message}"
    );
}

#[test]
fn an_outside_folder_is_told_to_init() {
    let dir = tempfile::tempdir().expect("temp dir");
    let output = perflab(dir.path(), &["hint", "1.1"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("perflab init"),
        "{}",
        stderr(&output)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_against_a_target_uses_http_alone() {
    let db = common::database_url("lab_target");
    let mut settings = ShopSettings::default();
    settings.cache.backend = CacheBackend::Memory;
    let shop = TestShop::start(&db, settings).await;
    let url = shop.url("");
    let dir = tempfile::tempdir().expect("temp dir");
    let output = tokio::task::spawn_blocking(move || {
        let path = dir.path().to_path_buf();
        let out = perflab(
            &path,
            &[
                "check", "1.3", "--target", &url, "--format", "json", "--lang", "en",
            ],
        );
        (out, dir)
    })
    .await
    .expect("joined")
    .0;
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON report");
    let checks = &report["labs"][0]["checks"];
    let verdict = |id: &str| {
        checks
            .as_array()
            .and_then(|c| c.iter().find(|c| c["id"] == id))
            .map(|c| c["verdict"].as_str().unwrap_or("").to_string())
    };
    // The hit ratio is graded over HTTP too: from the answers' X-Cache.
    assert_eq!(verdict("hit-ratio").as_deref(), Some("pass"), "{report}");
    assert_eq!(
        verdict("detail").as_deref(),
        Some("not_applicable"),
        "{report}"
    );
    assert_eq!(verdict("x-cache").as_deref(), Some("pass"), "{report}");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    shop.stop().await;
}

#[test]
fn applying_a_solution_twice_keeps_one_backup_and_says_so() {
    let (_dir, ws) = workspace();
    let first = perflab(&ws, &["solution", "1.2", "--apply", "--lang", "en"]);
    assert!(first.status.success(), "{}", stderr(&first));
    assert!(
        stdout(&first).contains("shop.toml updated (the previous one is in shop.toml."),
        "{}",
        stdout(&first)
    );
    let again = perflab(&ws, &["solution", "1.2", "--apply", "--lang", "en"]);
    assert!(again.status.success(), "{}", stderr(&again));
    assert!(
        stdout(&again).contains("shop.toml already had the solution"),
        "{}",
        stdout(&again)
    );
    assert_eq!(backups(&ws).len(), 1, "no backup of identical bytes");

    let show = perflab(&ws, &["show", "1.3"]);
    let text = stdout(&show);
    assert!(
        text.contains("Comprobaciones:") && text.contains("  - hit-ratio (hit_ratio): "),
        "{text}"
    );
    assert!(
        text.contains("Pistas: perflab hint 1.3-cache-aside (3 en total)"),
        "{text}"
    );

    let unknown = perflab(&ws, &["grade", "--only", "9.9", "--lang", "en"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(
        stderr(&unknown).contains("There is no lab `9.9`; perflab list shows them"),
        "{}",
        stderr(&unknown)
    );
}

#[test]
fn every_solution_at_once_is_shown_recorded_and_applied_with_one_backup() {
    let (_dir, ws) = workspace();
    let shown = perflab(&ws, &["solution", "--all", "--lang", "en"]);
    assert!(shown.status.success(), "{}", stderr(&shown));
    let text = stdout(&shown);
    assert!(
        text.contains("The solutions of 20 labs: 1.1-baseline,")
            && text.contains("perflab solution --all --apply"),
        "{text}"
    );
    let revealed = progress(&ws);
    assert!(
        ["1.1-baseline", "3.3-tiers", "final"]
            .iter()
            .all(|id| revealed.lab(id).is_some_and(|l| l.solution_revealed())),
        "every lab's solution is recorded as seen"
    );
    assert!(backups(&ws).is_empty(), "nothing written without --apply");

    let applied = perflab(&ws, &["solution", "--all", "--apply", "--lang", "en"]);
    assert!(applied.status.success(), "{}", stderr(&applied));
    assert_eq!(
        backups(&ws).len(),
        1,
        "one backup of shop.toml, however many labs change it"
    );
    let settings = perflab::shop::settings::ShopSettings::from_file(&ws.join("shop.toml"))
        .expect("valid settings");
    assert!(settings.rate_limit.per_tier && settings.monitoring.metrics);
    assert_eq!(
        settings.database.pool_size, 8,
        "2.4's pool, which the final keeps"
    );

    let neither = perflab(&ws, &["solution"]);
    assert_eq!(neither.status.code(), Some(2), "a lab or --all is needed");
}
