//! `perflab init [DIR]`: create the student's workspace (`shop.toml`,
//! `indexes.sql`, `progress.json`), keeping any file already there. It needs
//! no lab pack, so its words come from the built-in catalogue (`cli.ftl`).

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
}

pub fn run(course: &CourseArgs, args: &InitArgs) -> ExitCode {
    let text = Text::builtin(course.lang());
    match Workspace::init(&args.dir) {
        Ok(initialized) => {
            let root = initialized.workspace.root().display().to_string();
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
