//! `perflab` without a command: the TUI, in the workspace around the current
//! folder (or `./workspace`, made on first run so one command starts the
//! day), with PostgreSQL and Redis started in the background.

use std::process::ExitCode;

use chrono::NaiveTime;
use clap::Args;

use super::check::{run_env, start_services};
use super::course::{CourseArgs, Failure, find_workspace};
use crate::config::Config;
use crate::lab::{Loaded, Progress, Workspace};
use crate::tui::{self, Options, Ready};

#[derive(Debug, Clone, Args)]
pub struct TuiArgs {
    /// The day's first block starts at HH:MM (the course: 12:00).
    #[arg(long, value_parser = parse_time)]
    pub start: Option<NaiveTime>,
    /// No timetable: go at your own pace.
    #[arg(long)]
    pub free: bool,
}

fn parse_time(text: &str) -> Result<NaiveTime, String> {
    NaiveTime::parse_from_str(text, "%H:%M").map_err(|_| format!("`{text}` is not HH:MM"))
}

pub async fn run(config: Config, course: &CourseArgs, args: &TuiArgs) -> ExitCode {
    match open(config, course, args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => failure.exit(),
    }
}

async fn open(config: Config, course: &CourseArgs, args: &TuiArgs) -> Result<(), Failure> {
    let catalog = course.catalog()?;
    let workspace = match find_workspace(&catalog.text(course.lang())) {
        Ok(ws) => ws,
        Err(_) => {
            Workspace::init(std::path::Path::new("workspace"))
                .map_err(|e| Failure::environment(e.to_string()))?
                .workspace
        }
    };
    let (progress, notice) = match Progress::load(&workspace.progress_path()) {
        Ok(Loaded::Fresh(p) | Loaded::Found(p)) => (p, None),
        Ok(Loaded::Recovered {
            progress, reason, ..
        }) => (progress, Some(reason)),
        Err(e) => return Err(Failure::environment(e.to_string())),
    };
    let lang = course.lang();
    let course = course.clone();
    let text = catalog.text(lang);
    let options = Options {
        catalog,
        workspace,
        progress,
        lang,
        start: args.start,
        free: args.free,
        notice,
        config: config.clone(),
    };
    // Called once the TUI knows nothing is missing, or after it installed it.
    let start: tui::StartServices = std::sync::Arc::new(move || {
        let (config, course, text) = (config.clone(), course.clone(), text.clone());
        Box::pin(async move {
            let services = start_services(&config, &text, false)
                .await
                .map_err(|f| f.message)?;
            let env = run_env(&config, &services, &course).map_err(|f| f.message)?;
            Ok(Ready { env, services })
        })
    });
    tui::run(options, start).await.map_err(Failure::environment)
}
