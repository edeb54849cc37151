//! The Block 1 pack proven end to end on real PostgreSQL and Redis, with the
//! real binary: `perflab labs validate labs/` (every start fails, every
//! solution passes), and a student's day — every solution applied in order,
//! then `check --all --format junit` passes and the JUnit file is read by a
//! real consumer (Python's junitparser, Debian's python3-junitparser).
//!
//! Both run in one test, one after the other: they measure latency, and two
//! measurements at once on 2 cores would disturb each other.

mod common;

use std::path::Path;
use std::process::{Command, Output};

fn perflab(dir: &Path, args: &[&str]) -> Output {
    common::perflab_command(dir, args)
        .env("PERFLAB_SCALE", "small")
        .env_remove("DATABASE_URL")
        .env_remove("REDIS_URL")
        .output()
        .expect("the perflab binary runs")
}

#[test]
fn the_pack_proves_itself_and_a_solved_day_passes_in_junit() {
    // Checked before the 90-second run, not after it.
    use common::Need;
    common::require(&[Need::Postgres, Need::RedisServer, Need::Junitparser]);
    let labs = concat!(env!("CARGO_MANIFEST_DIR"), "/labs");
    let dir = tempfile::tempdir().expect("temp dir");

    let validate = perflab(dir.path(), &["labs", "validate", labs]);
    let said = common::output_text(&validate);
    // Lab 1.3's p95 "≤ half the baseline" compares two timings taken
    // minutes apart; on a shared 2-core machine whose speed moves by a third
    // between them it can miss either way (see `only_the_relative_p95`
    // below). Every other lab and check must prove itself.
    let crossed: Vec<&str> = said
        .lines()
        .filter(|l| l.trim_start().starts_with('✗'))
        .map(str::trim)
        .collect();
    let only_1_3_detail = crossed.len() == 2
        && crossed[0].starts_with("✗ 1.3-cache-aside")
        && crossed[1].starts_with("✗ detail");
    assert!(
        validate.status.success() || only_1_3_detail,
        "labs validate:\n{said}"
    );

    // A student's day, in a database of its own at the small scale.
    let init = perflab(dir.path(), &["init", "ws"]);
    assert!(init.status.success(), "{}", common::output_text(&init));
    let ws = dir.path().join("ws");
    std::fs::write(
        ws.join("perflab.toml"),
        "[database]\nname = \"perflab_test_day\"\n[fixtures]\nscale = \"small\"\n",
    )
    .expect("config");
    let out = perflab(&ws, &["solution", "1.1-baseline", "--apply"]);
    assert!(
        out.status.success(),
        "solution 1.1: {}",
        common::output_text(&out)
    );
    let baseline = perflab(&ws, &["check", "1.1"]);
    assert!(
        baseline.status.success(),
        "check 1.1:\n{}",
        common::output_text(&baseline)
    );
    // The rest of the day in one command, as an instructor solves it.
    let all = perflab(&ws, &["--lang", "en", "solution", "--all", "--apply"]);
    let said = common::output_text(&all);
    assert!(all.status.success(), "solution --all: {said}");
    assert!(
        said.contains("The solutions of 20 labs: 1.1-baseline, 1.2-redis")
            && said.contains("4.3-memory, final."),
        "{said}"
    );
    let indexes = std::fs::read_to_string(ws.join("indexes.sql")).expect("indexes.sql");
    assert_eq!(
        indexes
            .matches("CREATE INDEX products_category_price_idx")
            .count(),
        1,
        "2.1's index once, the final's `IF NOT EXISTS` beside it:\n{indexes}"
    );
    let report = ws.join("report.xml");
    let all = perflab(
        &ws,
        &["check", "--all", "--format", "junit", "--out", "report.xml"],
    );
    let xml = std::fs::read_to_string(&report).unwrap_or_default();
    // One check compares two timings at the edge of its target here: lab
    // 1.3's p95 "≤ half the baseline" on the small catalog, in a debug
    // build, on two cores shared with the load — 1.2× slower to 2.0× better
    // measured against a 2× target (the machine's speed moves between the
    // baseline and the check), where the course's scale in release gives 25×
    // (BENCHMARKS.md, "A solved day"; `bench/check_all.sh default`). Timing
    // goals belong to the benchmarks: that one failure is allowed, the rest
    // of the day must pass.
    let only_the_relative_p95 = |xml: &str| {
        let mut failures = xml.match_indices("<failure").map(|(at, _)| at);
        match (failures.next(), failures.next()) {
            (Some(at), None) => xml[..at]
                .rsplit("<testcase")
                .next()
                .is_some_and(|case| case.contains("classname=\"1.3-cache-aside.latency\"")),
            _ => false,
        }
    };
    assert!(
        all.status.code() == Some(0)
            || (all.status.code() == Some(1) && only_the_relative_p95(&xml)),
        "check --all:\n{}\n{xml}",
        common::output_text(&all)
    );

    let python = common::prerequisites::python_with_junitparser().expect("checked first");
    let script = "import sys\nfrom junitparser import JUnitXml\nxml = JUnitXml.fromfile(sys.argv[1])\n\
                  suites = list(xml)\ncases = [c for s in suites for c in s]\n\
                  bad = [c.name for c in cases if not c.is_passed]\n\
                  print(len(suites), len(cases), len(bad))\n";
    let parsed = Command::new(python)
        .args(["-c", script])
        .arg(&report)
        .output()
        .expect("python runs");
    assert!(
        parsed.status.success(),
        "junitparser: {}",
        common::output_text(&parsed)
    );
    let counts: Vec<usize> = String::from_utf8_lossy(&parsed.stdout)
        .split_whitespace()
        .filter_map(|n| n.parse().ok())
        .collect();
    assert_eq!(counts.len(), 3, "{}", common::output_text(&parsed));
    assert_eq!(counts[0], 20, "a suite per lab");
    assert!(counts[1] >= 7, "a case per check");
    assert!(
        counts[2] == 0 || (counts[2] == 1 && only_the_relative_p95(&xml)),
        "every case passed but lab 1.3's relative p95:\n{xml}"
    );
}
