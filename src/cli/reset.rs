//! `perflab reset LAB|--all`: puts the files a lab edits back to its starting
//! state and forgets its progress — after a confirmation, unless `--yes`.
//! The previous files stay as `<file>.<timestamp>.bak` (every generation), so
//! even a confirmed reset loses nothing. Words from `cli.ftl`.

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

use clap::Args;

use super::course::{CourseArgs, Failure, find_lab, find_workspace, load_progress, save_progress};
use crate::lab::Workspace;
use crate::messages::Text;
use crate::msg;
use crate::shop::settings::ShopSettings;

#[derive(Debug, Args)]
pub struct ResetArgs {
    /// The lab (`1.3-cache-aside` or `1.3`).
    #[arg(required_unless_present = "all", conflicts_with = "all")]
    pub lab: Option<String>,
    /// Every lab: shop.toml and indexes.sql as `perflab init` made them, no progress.
    #[arg(long)]
    pub all: bool,
    /// Do not ask for confirmation.
    #[arg(long, short)]
    pub yes: bool,
}

pub fn run(course: &CourseArgs, args: &ResetArgs) -> ExitCode {
    match reset(course, args) {
        Ok(text) => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Err(failure) => failure.exit(),
    }
}

fn reset(course: &CourseArgs, args: &ResetArgs) -> Result<String, Failure> {
    let catalog = course.catalog()?;
    let text = course.text(&catalog);
    let workspace = find_workspace(&text)?;
    let (what, settings, lab_id) = match &args.lab {
        Some(query) => {
            let lab = find_lab(&catalog, &text, query)?;
            // A lab whose start does not read is the pack's bug, for its author.
            let settings = lab.start_settings().map_err(Failure::environment)?;
            (lab.id.clone(), settings, Some(lab.id.clone()))
        }
        None => (msg!(text, "reset-every-lab"), ShopSettings::default(), None),
    };
    if !args.yes && !confirm(&text, &what)? {
        return Ok(format!("{}\n", msg!(text, "reset-nothing-changed")));
    }
    let mut progress = load_progress(&workspace, &text)?;
    let backups = write(&workspace, &settings, lab_id.is_none(), &text)?;
    match &lab_id {
        Some(id) => progress.reset(id),
        None => progress.reset_all(),
    }
    save_progress(&workspace, &progress, &text)?;
    let done = match backups.is_empty() {
        true => msg!(text, "reset-done-unchanged", what = what.as_str()),
        false => msg!(
            text,
            "reset-done",
            what = what.as_str(),
            backups = backups.join(", ")
        ),
    };
    Ok(format!("{done}\n"))
}

/// Writes the starting files; returns where the previous ones went (none
/// when the files already held the starting state).
fn write(
    workspace: &Workspace,
    settings: &ShopSettings,
    indexes_too: bool,
    text: &Text,
) -> Result<Vec<String>, Failure> {
    let io = |e: std::io::Error| {
        Failure::environment(msg!(text, "reset-unwritten", error = e.to_string()))
    };
    let mut written = vec![(
        workspace.write_settings(settings).map_err(io)?,
        workspace.shop_toml(),
    )];
    if indexes_too {
        written.push((
            workspace
                .write_indexes(Workspace::starting_indexes())
                .map_err(io)?,
            workspace.indexes_sql(),
        ));
    }
    // `replace` answers the file itself when nothing changed: no backup.
    Ok(written
        .iter()
        .filter(|(backup, file)| backup != file)
        .map(|(backup, _)| super::course::shown(backup))
        .collect())
}

/// Asks on the terminal; without one, refuses and says to pass --yes.
fn confirm(text: &Text, what: &str) -> Result<bool, Failure> {
    if !std::io::stdin().is_terminal() {
        return Err(Failure::environment(msg!(text, "reset-needs-yes")));
    }
    print!("{} ", msg!(text, "reset-confirm", what = what));
    let _ = std::io::stdout().flush();
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| Failure::environment(msg!(text, "reset-no-answer", error = e.to_string())))?;
    Ok(matches!(
        answer.trim().to_lowercase().as_str(),
        "y" | "yes" | "s" | "si" | "sí"
    ))
}
