//! `perflab hint LAB` (the next progressive hint, counted in progress) and
//! `perflab solution LAB [--apply]` (the reference solution, revealed only on
//! request and recorded; `--apply` merges it into the workspace, keeping the
//! previous files as `.bak`).

use std::process::ExitCode;

use clap::Args;

use super::course::{
    CourseArgs, Failure, find_lab, load_progress, save_progress, shown, workspace,
};

#[derive(Debug, Args)]
pub struct HintArgs {
    /// The lab (`1.3-cache-aside` or `1.3`).
    pub lab: String,
}

#[derive(Debug, Args)]
pub struct SolutionArgs {
    /// The lab (`1.3-cache-aside` or `1.3`).
    pub lab: String,
    /// Write the solution into the workspace (shop.toml merged, indexes.sql
    /// replaced; the previous files are kept as .bak).
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
    let lab = find_lab(&catalog, &args.lab)?;
    let lang = course.lang();
    let workspace = workspace()?;
    let mut progress = load_progress(&workspace)?;
    let used = progress.lab(&lab.id).map_or(0, |l| l.hints_used) as usize;
    if used >= lab.hints.len() {
        // All seen: show the last again without counting it twice.
        let last = lab.hints.len();
        return Ok(format!(
            "{} {last}/{last}: {}\n{}",
            lang.pick("Pista", "Hint"),
            lab.hints[last - 1].get(lang).trim(),
            lang.pick(
                format!(
                    "No quedan más pistas. La solución: perflab solution {}",
                    lab.id
                ),
                format!("No hints left. The solution: perflab solution {}", lab.id),
            )
        ));
    }
    progress.use_hint(&lab.id);
    save_progress(&workspace, &progress)?;
    Ok(format!(
        "{} {}/{}: {}",
        lang.pick("Pista", "Hint"),
        used + 1,
        lab.hints.len(),
        lab.hints[used].get(lang).trim()
    ))
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
    let lab = find_lab(&catalog, &args.lab)?;
    let lang = course.lang();
    let workspace = workspace()?;
    let mut progress = load_progress(&workspace)?;
    progress.reveal_solution(&lab.id, chrono::Utc::now());
    save_progress(&workspace, &progress)?;
    let mut out = String::new();
    if let Some(text) = &lab.solution.settings_text {
        out.push_str(&format!("# shop.toml\n{}\n", text.trim_end()));
    }
    if let Some(sql) = &lab.solution.indexes {
        out.push_str(&format!("-- indexes.sql\n{}\n", sql.trim_end()));
    }
    if !args.apply {
        out.push_str(&lang.pick(
            format!(
                "\nPara escribirla en tu espacio de trabajo: perflab solution {} --apply\n",
                lab.id
            ),
            format!(
                "\nTo write it into your workspace: perflab solution {} --apply\n",
                lab.id
            ),
        ));
        return Ok(out);
    }
    if let Some(patch) = &lab.solution_patch() {
        let backup = workspace
            .merge_settings(patch)
            .map_err(Failure::environment)?;
        out.push_str(&lang.pick(
            format!(
                "\nshop.toml actualizado (el anterior está en {}).\n",
                shown(&backup)
            ),
            format!(
                "\nshop.toml updated (the previous one is in {}).\n",
                shown(&backup)
            ),
        ));
    }
    if let Some(sql) = &lab.solution.indexes {
        let backup = workspace
            .write_indexes(sql)
            .map_err(|e| Failure::environment(format!("cannot write indexes.sql: {e}")))?;
        out.push_str(&lang.pick(
            format!(
                "indexes.sql reemplazado (el anterior está en {}).\n",
                shown(&backup)
            ),
            format!(
                "indexes.sql replaced (the previous one is in {}).\n",
                shown(&backup)
            ),
        ));
    }
    Ok(out)
}
