//! `perflab list` (the day's labs by block, with the student's progress when
//! run inside a workspace) and `perflab show LAB` (a lab's instructions, what
//! to edit, its checks and targets). Plain text on stdout, no terminal needed;
//! perflab's own words come from the catalogue (`cli.ftl`), the lab's from
//! the pack.

use std::process::ExitCode;

use clap::Args;

use super::course::{CourseArgs, Failure, find_lab, find_workspace, load_progress};
use crate::check::Context;
use crate::lab::actions::{self, Surface};
use crate::lab::progress::LabStatus;
use crate::lab::{Catalog, Lab, Progress};
use crate::messages::Text;
use crate::msg;

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
    let text = course.text(&catalog);
    // Outside a workspace the list still shows; progress is an extra.
    let progress = find_workspace(&text)
        .ok()
        .and_then(|ws| load_progress(&ws, &text).ok());
    print!("{}", render_list(&catalog, progress.as_ref(), &text));
    ExitCode::SUCCESS
}

fn render_list(catalog: &Catalog, progress: Option<&Progress>, text: &Text) -> String {
    let lang = text.lang();
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
        let header = msg!(
            text,
            "list-block",
            block = block.number,
            title = block.title.get(lang),
            passed = passed,
            labs = labs.len()
        );
        out.push_str(&format!("\n{header}\n"));
        for lab in labs {
            let mark = match status(progress, &lab.id) {
                LabStatus::Passed => "✓",
                LabStatus::InProgress => "…",
                LabStatus::NotStarted => " ",
            };
            let current = progress.and_then(Progress::current) == Some(lab.id.as_str());
            let here = match current {
                true => format!("  {}", msg!(text, "list-here")),
                false => String::new(),
            };
            out.push_str(&format!(
                "  [{mark}] {:<18} {}{here}\n",
                lab.id,
                lab.title.get(lang),
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
    let text = course.text(&catalog);
    let lab = find_lab(&catalog, &text, &args.lab)?;
    let instructions = lab.instructions.get(text.lang()).trim_end();
    let mut out = actions::render(instructions, &lab.id, Surface::Cli, &text);
    out.push_str("\n\n");
    let edits = lab.edits.join(", ");
    out.push_str(&msg!(
        text,
        "show-edits",
        edits = edits,
        lab = lab.id.as_str()
    ));
    out.push('\n');
    out.push_str(&msg!(text, "show-checks"));
    out.push('\n');
    // Targets as far as they are known without a run (no baseline yet).
    let ctx = Context::new("http://127.0.0.1", text.clone());
    for spec in &lab.checks {
        let line = msg!(
            text,
            "show-check",
            id = spec.id(),
            kind = spec.kind(),
            target = spec.target(&ctx)
        );
        out.push_str(&format!("  - {line}\n"));
    }
    out.push_str(&msg!(
        text,
        "show-hints",
        lab = lab.id.as_str(),
        count = lab.hints.len()
    ));
    out.push('\n');
    Ok(out)
}
