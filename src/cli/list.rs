//! `perflab list` (the day's labs by block, with the student's progress when
//! run inside a workspace) and `perflab show LAB` (a lab's instructions, what
//! to edit, its checks and targets). Plain text on stdout, no terminal needed.

use std::process::ExitCode;

use clap::Args;

use super::course::{CourseArgs, Failure, find_lab, load_progress, workspace};
use crate::check::Lang;
use crate::lab::progress::LabStatus;
use crate::lab::{Catalog, Lab, Progress};

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The lab (`1.3-cache-aside` or `1.3`).
    pub lab: String,
}

pub fn list(course: &CourseArgs) -> ExitCode {
    let catalog = match course.catalog() {
        Ok(catalog) => catalog,
        Err(failure) => return failure.exit(),
    };
    // Outside a workspace the list still shows; progress is an extra.
    let progress = workspace().ok().and_then(|ws| load_progress(&ws).ok());
    print!(
        "{}",
        render_list(&catalog, progress.as_ref(), course.lang())
    );
    ExitCode::SUCCESS
}

fn render_list(catalog: &Catalog, progress: Option<&Progress>, lang: Lang) -> String {
    let mut out = format!("{}\n", catalog.course.title.get(lang));
    for block in &catalog.course.blocks {
        let labs: Vec<&Lab> = catalog
            .labs
            .iter()
            .filter(|lab| lab.block == block.number)
            .collect();
        if labs.is_empty() {
            continue;
        }
        let passed = labs
            .iter()
            .filter(|lab| status(progress, &lab.id) == LabStatus::Passed)
            .count();
        out.push_str(&format!(
            "\n{} {} — {} ({passed}/{})\n",
            lang.pick("Bloque", "Block"),
            block.number,
            block.title.get(lang),
            labs.len()
        ));
        for lab in labs {
            let mark = match status(progress, &lab.id) {
                LabStatus::Passed => "✓",
                LabStatus::InProgress => "…",
                LabStatus::NotStarted => " ",
            };
            let current = progress.and_then(Progress::current) == Some(lab.id.as_str());
            out.push_str(&format!(
                "  [{mark}] {:<18} {}{}\n",
                lab.id,
                lab.title.get(lang),
                if current {
                    lang.pick("  ← aquí", "  ← here")
                } else {
                    ""
                }
            ));
        }
    }
    out
}

fn status(progress: Option<&Progress>, lab: &str) -> LabStatus {
    progress
        .and_then(|p| p.lab(lab))
        .map_or(LabStatus::NotStarted, |l| l.status)
}

pub fn show(course: &CourseArgs, args: &ShowArgs) -> ExitCode {
    match show_lab(course, args) {
        Ok(text) => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Err(failure) => failure.exit(),
    }
}

fn show_lab(course: &CourseArgs, args: &ShowArgs) -> Result<String, Failure> {
    let catalog = course.catalog()?;
    let lab = find_lab(&catalog, &args.lab)?;
    let lang = course.lang();
    let mut out = lab.instructions.get(lang).trim_end().to_string();
    out.push_str("\n\n");
    out.push_str(&lang.pick(
        format!(
            "Editas: {}. Para empezar desde el estado inicial del laboratorio: perflab reset {}\n",
            lab.edits.join(", "),
            lab.id
        ),
        format!(
            "You edit: {}. To begin from the lab's starting state: perflab reset {}\n",
            lab.edits.join(", "),
            lab.id
        ),
    ));
    out.push_str(&format!("{}\n", lang.pick("Comprobaciones:", "Checks:")));
    for spec in &lab.checks {
        out.push_str(&format!("  - {}\n", spec.describe()));
    }
    out.push_str(&lang.pick(
        format!(
            "Pistas: perflab hint {} ({} en total)\n",
            lab.id,
            lab.hints.len()
        ),
        format!(
            "Hints: perflab hint {} ({} in all)\n",
            lab.id,
            lab.hints.len()
        ),
    ));
    Ok(out)
}
