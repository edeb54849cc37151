//! `perflab reset LAB|--all`: puts the files a lab edits back to its starting
//! state and forgets its progress — after a confirmation, unless `--yes`.
//! The previous files stay as `.bak`, so even a confirmed reset loses nothing.

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

use clap::Args;

use super::course::{CourseArgs, Failure, find_lab, load_progress, save_progress, workspace};
use crate::check::Lang;
use crate::lab::Workspace;
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
    let lang = course.lang();
    let catalog = course.catalog()?;
    let workspace = workspace()?;
    let (what, settings, lab_id) = match &args.lab {
        Some(query) => {
            let lab = find_lab(&catalog, query)?;
            let settings = lab.start_settings().map_err(Failure::environment)?;
            (lab.id.clone(), settings, Some(lab.id.clone()))
        }
        None => (
            lang.pick("todos los laboratorios", "every lab").to_string(),
            ShopSettings::default(),
            None,
        ),
    };
    if !args.yes && !confirm(lang, &what)? {
        return Ok(lang
            .pick("Nada cambió.\n", "Nothing changed.\n")
            .to_string());
    }
    let mut progress = load_progress(&workspace)?;
    let backup = write(&workspace, &settings, lab_id.is_none())?;
    match &lab_id {
        Some(id) => progress.reset(id),
        None => progress.reset_all(),
    }
    save_progress(&workspace, &progress)?;
    Ok(lang.pick(
        format!("{what}: estado inicial restaurado (tus archivos anteriores están en {backup}).\n"),
        format!("{what}: starting state restored (your previous files are in {backup}).\n"),
    ))
}

/// Writes the starting files; returns where the previous ones went.
fn write(
    workspace: &Workspace,
    settings: &ShopSettings,
    indexes_too: bool,
) -> Result<String, Failure> {
    let io = |e: std::io::Error| Failure::environment(format!("cannot write the workspace: {e}"));
    let mut backups = vec![workspace.write_settings(settings).map_err(io)?];
    if indexes_too {
        backups.push(
            workspace
                .write_indexes(Workspace::starting_indexes())
                .map_err(io)?,
        );
    }
    Ok(backups
        .iter()
        .map(|p| super::course::shown(p))
        .collect::<Vec<_>>()
        .join(", "))
}

/// Asks on the terminal; without one, refuses and says to pass --yes.
fn confirm(lang: Lang, what: &str) -> Result<bool, Failure> {
    if !std::io::stdin().is_terminal() {
        return Err(Failure::environment(
            "reset needs a confirmation and there is no terminal to ask on; pass --yes",
        ));
    }
    print!(
        "{}",
        lang.pick(
            format!("¿Restaurar el estado inicial de {what}? Se guardan copias .bak. [s/N] "),
            format!("Restore the starting state of {what}? .bak copies are kept. [y/N] "),
        )
    );
    let _ = std::io::stdout().flush();
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| Failure::environment(format!("cannot read the answer: {e}")))?;
    Ok(matches!(
        answer.trim().to_lowercase().as_str(),
        "y" | "yes" | "s" | "si" | "sí"
    ))
}
