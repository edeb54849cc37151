//! `perflab hint LAB` (the next progressive hint, counted in progress) and
//! `perflab solution LAB [--apply]` (the reference solution, revealed only on
//! request and recorded; `--apply` merges it into the workspace, keeping the
//! previous files as `<file>.<timestamp>.bak`); `solution --all [--apply]`
//! does every lab's at once, in the pack's order, with one backup of each
//! file (an instructor's solved day). Words from `cli.ftl`.

use std::process::ExitCode;

use clap::Args;

use super::course::{
    CourseArgs, Failure, find_lab, find_workspace, load_progress, save_progress, shown,
};
use crate::lab::{Catalog, Workspace};
use crate::messages::Text;
use crate::msg;

#[derive(Debug, Args)]
pub struct HintArgs {
    /// The lab (`1.3-cache-aside` or `1.3`).
    pub lab: String,
}

#[derive(Debug, Args)]
pub struct SolutionArgs {
    /// The lab (`1.3-cache-aside` or `1.3`).
    #[arg(required_unless_present = "all", conflicts_with = "all")]
    pub lab: Option<String>,
    /// Every lab's solution, in the pack's order (with `--apply`: the day
    /// solved, each file written once).
    #[arg(long)]
    pub all: bool,
    /// Write the solution into the workspace (shop.toml merged, indexes.sql
    /// replaced; the previous files are kept as <file>.<timestamp>.bak).
    #[arg(long)]
    pub apply: bool,
}

pub fn hint(course: &CourseArgs, args: &HintArgs) -> ExitCode {
    match next_hint(course, args) {
        Ok(text) => {
            println!("{text}");
            ExitCode::SUCCESS
        }
        Err(failure) => failure.exit(),
    }
}

fn next_hint(course: &CourseArgs, args: &HintArgs) -> Result<String, Failure> {
    let catalog = course.catalog()?;
    let text = course.text(&catalog);
    let lab = find_lab(&catalog, &text, &args.lab)?;
    let workspace = find_workspace(&text)?;
    let mut progress = load_progress(&workspace, &text)?;
    let used = progress.lab(&lab.id).map_or(0, |l| l.hints_used) as usize;
    let total = lab.hints.len();
    if used >= total {
        // All seen: show the last again without counting it twice.
        let hint = msg!(
            text,
            "hint-line",
            number = total,
            total = total,
            hint = render(lab, total - 1, &text)
        );
        let none_left = msg!(text, "hint-none-left", lab = lab.id.as_str());
        return Ok(format!("{hint}\n{none_left}"));
    }
    progress.use_hint(&lab.id);
    save_progress(&workspace, &progress, &text)?;
    Ok(msg!(
        text,
        "hint-line",
        number = used + 1,
        total = total,
        hint = render(lab, used, &text)
    ))
}

/// Hint `n` of `lab` as a terminal without the TUI reads it: actions as commands.
fn render(lab: &crate::lab::Lab, n: usize, text: &crate::messages::Text) -> String {
    let hint = lab.hints[n].get(text.lang()).trim();
    crate::lab::actions::render(hint, &lab.id, crate::lab::actions::Surface::Cli, text)
}

pub fn solution(course: &CourseArgs, args: &SolutionArgs) -> ExitCode {
    match reveal(course, args) {
        Ok(text) => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Err(failure) => failure.exit(),
    }
}

fn reveal(course: &CourseArgs, args: &SolutionArgs) -> Result<String, Failure> {
    let catalog = course.catalog()?;
    let text = course.text(&catalog);
    let Some(query) = &args.lab else {
        return reveal_all(&catalog, &text, args.apply);
    };
    let lab = find_lab(&catalog, &text, query)?;
    let workspace = find_workspace(&text)?;
    let mut progress = load_progress(&workspace, &text)?;
    progress.reveal_solution(&lab.id, chrono::Utc::now());
    save_progress(&workspace, &progress, &text)?;
    let mut out = String::new();
    // The files' own comment syntax heads each: it is copied as it stands.
    if let Some(settings) = &lab.solution.settings_text {
        out.push_str(&format!("# shop.toml\n{}\n", settings.trim_end()));
    }
    if let Some(sql) = &lab.solution.indexes {
        out.push_str(&format!("-- indexes.sql\n{}\n", sql.trim_end()));
    }
    if !args.apply {
        out.push_str(&format!(
            "\n{}\n",
            msg!(text, "solution-how-to-apply", lab = lab.id.as_str())
        ));
        return Ok(out);
    }
    let patch = lab.solution_patch();
    let sql = lab.solution.indexes.as_deref();
    out.push_str(&apply(&workspace, &text, patch.as_ref(), sql.into_iter())?);
    Ok(out)
}

/// Every lab's solution: recorded as revealed, and with `apply` merged into
/// the workspace in the pack's order (later labs' settings over earlier
/// ones', as a student solving the day in order leaves them).
fn reveal_all(catalog: &Catalog, text: &Text, apply_them: bool) -> Result<String, Failure> {
    let workspace = find_workspace(text)?;
    let mut progress = load_progress(&workspace, text)?;
    let now = chrono::Utc::now();
    for lab in &catalog.labs {
        progress.reveal_solution(&lab.id, now);
    }
    save_progress(&workspace, &progress, text)?;
    let ids: Vec<&str> = catalog.labs.iter().map(|lab| lab.id.as_str()).collect();
    let mut out = format!(
        "{}\n",
        msg!(
            text,
            "solution-all",
            count = ids.len(),
            labs = ids.join(", ")
        )
    );
    if !apply_them {
        out.push_str(&format!("{}\n", msg!(text, "solution-all-how-to-apply")));
        return Ok(out);
    }
    let mut patch = toml::Table::new();
    for lab in &catalog.labs {
        if let Some(own) = lab.solution_patch() {
            crate::lab::catalog::merge(&mut patch, &own);
        }
    }
    let sql = catalog
        .labs
        .iter()
        .filter_map(|lab| lab.solution.indexes.as_deref());
    out.push_str(&apply(
        &workspace,
        text,
        Some(&patch).filter(|p| !p.is_empty()),
        sql,
    )?);
    Ok(out)
}

/// Merges `patch` into `shop.toml` and adds each of `sql` to `indexes.sql`
/// (one backup of each file); the lines saying what changed.
fn apply<'a>(
    workspace: &Workspace,
    text: &Text,
    patch: Option<&toml::Table>,
    sql: impl Iterator<Item = &'a str>,
) -> Result<String, Failure> {
    let mut out = String::new();
    if let Some(patch) = patch {
        let backup = workspace.merge_settings(patch).map_err(|reason| {
            Failure::environment(msg!(text, "solution-not-applied", reason = reason))
        })?;
        let line = match backup == workspace.shop_toml() {
            true => msg!(text, "solution-shop-toml-unchanged"),
            false => msg!(text, "solution-shop-toml-applied", backup = shown(&backup)),
        };
        out.push_str(&format!("\n{line}\n"));
    }
    // Added to what the file holds, not put in its place: the Block 2 labs'
    // indexes accumulate (2.2's must not drop 2.1's).
    let sql: Vec<&str> = sql.collect();
    if !sql.is_empty() {
        let current = workspace.indexes().unwrap_or_default();
        let file = sql
            .iter()
            .fold(current, |file, solution| with_solution(&file, solution));
        let backup = workspace.write_indexes(&file).map_err(|e| {
            Failure::environment(msg!(
                text,
                "solution-indexes-unwritten",
                error = e.to_string()
            ))
        })?;
        let line = match backup == workspace.indexes_sql() {
            true => msg!(text, "solution-indexes-unchanged"),
            false => msg!(text, "solution-indexes-applied", backup = shown(&backup)),
        };
        out.push_str(&format!("{line}\n"));
    }
    Ok(out)
}

/// `current` with `solution` appended, unless it already holds it.
fn with_solution(current: &str, solution: &str) -> String {
    if current.contains(solution.trim()) {
        return current.to_string();
    }
    match current.trim_end() {
        "" => solution.to_string(),
        kept => format!("{kept}\n\n{solution}"),
    }
}

#[cfg(test)]
mod tests {
    use super::with_solution;

    #[test]
    fn a_solution_adds_to_the_indexes_once() {
        let first = with_solution("-- mine\n", "CREATE INDEX a ON t (x);\n");
        assert_eq!(first, "-- mine\n\nCREATE INDEX a ON t (x);\n");
        assert_eq!(with_solution(&first, "CREATE INDEX a ON t (x);\n"), first);
        let second = with_solution(&first, "CREATE INDEX b ON t (y);\n");
        assert!(second.contains("a ON t (x)") && second.ends_with("b ON t (y);\n"));
    }
}
