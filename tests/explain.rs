//! `perflab explain` as a student runs it: the real binary in a real
//! workspace, on real PostgreSQL. Lab 2.1's plan reads the whole products
//! table before the student's index and uses that index after it; the JSON
//! format is PostgreSQL's own plan; a name that is neither a lab nor a query
//! is one line and exit 2.

mod common;

use std::path::Path;
use std::process::Output;

const DB: &str = "explain";

fn perflab(dir: &Path, args: &[&str]) -> Output {
    common::perflab_command(dir, args)
        .env("DATABASE_URL", common::database_url(DB))
        // The tests' catalog, so the command reuses it instead of reseeding.
        .env("PERFLAB_SCALE", "small")
        .env("PERFLAB_SEED", "7")
        .env("PERFLAB_REDIS", "off")
        .output()
        .expect("the perflab binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn workspace() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let init = perflab(dir.path(), &["init", "ws"]);
    assert!(init.status.success(), "{}", text(&init.stderr));
    let ws = dir.path().join("ws");
    (dir, ws)
}

#[test]
fn lab_2_1_reads_the_whole_table_before_the_index_and_uses_it_after() {
    common::require(&[common::Need::Postgres]);
    let (_dir, ws) = workspace();

    let before = perflab(&ws, &["explain", "2.1", "--lang", "en"]);
    let out = text(&before.stdout);
    assert!(before.status.success(), "{out}{}", text(&before.stderr));
    assert!(out.contains("Seq Scan on products"), "{out}");
    assert!(
        out.contains("Seq Scan: read 1000 rows of products"),
        "the large scan is marked: {out}"
    );
    assert!(!out.contains("uses index"), "{out}");

    std::fs::write(
        ws.join("indexes.sql"),
        "CREATE INDEX my_listing_idx ON products (category_id, price);\n",
    )
    .unwrap();
    let after = perflab(&ws, &["explain", "2.1", "--lang", "en"]);
    let out = text(&after.stdout);
    assert!(after.status.success(), "{out}{}", text(&after.stderr));
    assert!(out.contains("using my_listing_idx on products"), "{out}");
    assert!(out.contains("uses index my_listing_idx"), "{out}");
    assert!(!out.contains("Seq Scan on products"), "{out}");

    let json = perflab(&ws, &["explain", "category_listing", "--format", "json"]);
    assert!(json.status.success(), "{}", text(&json.stderr));
    let plan: serde_json::Value = serde_json::from_slice(&json.stdout).expect("JSON");
    assert!(plan[0]["Plan"]["Node Type"].is_string(), "{plan}");
    assert!(plan[0]["Execution Time"].is_number(), "{plan}");
}

#[test]
fn an_unknown_name_is_one_line_and_exit_2() {
    let (_dir, ws) = workspace();
    let out = perflab(&ws, &["explain", "products_by_colour", "--lang", "en"]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("products_by_colour") && err.contains("category_listing"),
        "{err}"
    );
}
