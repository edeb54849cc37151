//! `perflab init [DIR]`: create the student's workspace (`shop.toml`,
//! `indexes.sql`, `progress.json`), keeping any file already there.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::EXIT_ENVIRONMENT;
use crate::lab::Workspace;

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Where to create the workspace (default: ./workspace).
    #[arg(default_value = "workspace")]
    pub dir: PathBuf,
}

pub fn run(args: &InitArgs) -> ExitCode {
    match Workspace::init(&args.dir) {
        Ok(initialized) => {
            let root = initialized.workspace.root().display().to_string();
            if initialized.created.is_empty() {
                println!("{root} is already a perflab workspace; nothing changed.");
            } else {
                println!("perflab workspace in {root}:");
                for file in &initialized.created {
                    println!("  created {}", file.display());
                }
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("perflab: {e}");
            ExitCode::from(EXIT_ENVIRONMENT)
        }
    }
}
