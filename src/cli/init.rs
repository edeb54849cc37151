//! `perflab init [DIR]`: create the student's workspace (`shop.toml`,
//! `indexes.sql`, `progress.json`), keeping any file already there. It needs
//! no lab pack, so its words come from the built-in catalogue (`cli.ftl`).
//!
//! `--classroom` also writes `.github/workflows/perflab.yml`: GitHub Actions
//! starts PostgreSQL and Redis as service containers, installs perflab and
//! reports `perflab grade --format classroom` to GitHub Classroom.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::EXIT_ENVIRONMENT;
use super::course::CourseArgs;
use crate::lab::Workspace;
use crate::messages::Text;
use crate::msg;

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Where to create the workspace (default: ./workspace).
    #[arg(default_value = "workspace")]
    pub dir: PathBuf,
    /// Also write a GitHub Actions workflow that grades the workspace on every push, for GitHub Classroom
    #[arg(long)]
    pub classroom: bool,
    /// What the workflow gives `cargo install --locked` to install perflab, e.g. "--git https://example.org/perflab.git --tag v0.1.0" (default: perflab from crates.io at this version)
    #[arg(
        long,
        value_name = "ARGS",
        requires = "classroom",
        allow_hyphen_values = true
    )]
    pub install_from: Option<String>,
}

/// The workflow `--classroom` writes, with `{{lang}}`, `{{version}}` and
/// `{{install}}` to fill.
const CLASSROOM_WORKFLOW: &str = include_str!("../lab/templates/classroom.yml");

/// Where `--classroom` writes it, from the workspace's root.
pub const CLASSROOM_WORKFLOW_PATH: &str = ".github/workflows/perflab.yml";

/// The workflow for a workspace graded in `lang`, installing perflab with
/// `cargo install --locked <install>`.
pub fn classroom_workflow(lang: &str, install: &str) -> String {
    CLASSROOM_WORKFLOW
        .replace("{{lang}}", lang)
        .replace("{{version}}", env!("CARGO_PKG_VERSION"))
        .replace("{{install}}", install)
}

pub fn run(course: &CourseArgs, args: &InitArgs) -> ExitCode {
    let text = Text::builtin(course.lang());
    match Workspace::init(&args.dir) {
        Ok(mut initialized) => {
            let root = initialized.workspace.root().display().to_string();
            if args.classroom {
                let install = args
                    .install_from
                    .clone()
                    .unwrap_or_else(|| format!("perflab --version {}", env!("CARGO_PKG_VERSION")));
                let workflow = classroom_workflow(course.lang().code(), &install);
                let path = initialized.workspace.root().join(CLASSROOM_WORKFLOW_PATH);
                match write_new(&path, &workflow) {
                    Ok(true) => initialized.created.push(path),
                    Ok(false) => {}
                    Err(e) => {
                        let file = path.display().to_string();
                        let error = e.to_string();
                        eprintln!(
                            "perflab: {}",
                            msg!(text, "init-workflow-failed", file = file, error = error)
                        );
                        return ExitCode::from(EXIT_ENVIRONMENT);
                    }
                }
            }
            if initialized.created.is_empty() {
                println!("{}", msg!(text, "init-already", dir = root));
            } else {
                println!("{}", msg!(text, "init-made", dir = root));
                for file in &initialized.created {
                    let file = file.display().to_string();
                    println!("  {}", msg!(text, "init-created", file = file));
                }
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("perflab: {}", e.render(&text));
            ExitCode::from(EXIT_ENVIRONMENT)
        }
    }
}

/// Writes `text` to `path` unless a file is there (a workflow the instructor
/// edited is kept, as `init` keeps every file); whether it wrote.
fn write_new(path: &std::path::Path, text: &str) -> std::io::Result<bool> {
    if path.exists() {
        return Ok(false);
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(path, text)?;
    Ok(true)
}
