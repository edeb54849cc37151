//! `perflab grade`: runs every lab's checks (in the workspace, or against
//! `--target URL`) and weighs them as the course does — performance 40 %,
//! monitoring 30 %, code 30 %, each category scored by the share of its
//! checks that passed. Categories the pack has no labs for yet are left out
//! and the weights renormalised, and the report says so. Prints a summary,
//! JSON, or GitHub Classroom's autograding result.

use std::collections::BTreeMap;
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use serde::Serialize;

use super::check::{Record, against, in_workspace};
use super::course::{CourseArgs, Failure, workspace};
use super::report::LabReport;
use crate::check::{Lang, Verdict};
use crate::config::Config;
use crate::lab::{Catalog, Category, Lab};

#[derive(Debug, Args)]
pub struct GradeArgs {
    /// Grade this API instead of the workspace's shop (HTTP-only checks).
    #[arg(long)]
    pub target: Option<String>,
    #[arg(long, value_enum, default_value_t = GradeFormat::Human)]
    pub format: GradeFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GradeFormat {
    Human,
    Json,
    /// GitHub Classroom's autograding result JSON (one test per category).
    Classroom,
}

/// One category's share of the grade.
#[derive(Debug, Clone, Serialize)]
pub struct CategoryScore {
    pub category: Category,
    /// The course's weight (0.4 or 0.3).
    pub weight: f64,
    pub passed: usize,
    pub checks: usize,
    /// Points out of 100 for the whole grade.
    pub points: f64,
    pub max_points: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Grade {
    /// Out of 100.
    pub score: f64,
    pub categories: Vec<CategoryScore>,
    /// Categories the pack has no checks for yet (their weight was shared out).
    pub missing: Vec<Category>,
}

pub async fn run(config: Config, course: &CourseArgs, args: &GradeArgs) -> ExitCode {
    match grade(config, course, args).await {
        Ok(code) => ExitCode::from(code),
        Err(failure) => failure.exit(),
    }
}

async fn grade(config: Config, course: &CourseArgs, args: &GradeArgs) -> Result<u8, Failure> {
    let catalog = course.catalog()?;
    let labs: Vec<&Lab> = catalog.labs.iter().collect();
    let quiet = |_: &LabReport| {};
    let (reports, students_fault) = match &args.target {
        Some(url) => (against(url, &labs, course, quiet).await, false),
        None => {
            let ws = workspace()?;
            in_workspace(&config, &ws, &labs, course, Record::Nothing, quiet).await?
        }
    };
    let grade = score(&catalog, &reports);
    let text = match args.format {
        GradeFormat::Human => human(&grade, &reports, course.lang()),
        GradeFormat::Json => serde_json::to_string_pretty(&grade).unwrap_or_default() + "\n",
        GradeFormat::Classroom => classroom(&grade),
    };
    print!("{text}");
    Ok(super::report::exit_code(&reports, students_fault))
}

/// Weighs the reports by their labs' block categories.
pub fn score(catalog: &Catalog, reports: &[LabReport]) -> Grade {
    let mut tally: BTreeMap<Category, (usize, usize)> = BTreeMap::new();
    for report in reports {
        let Some(category) = catalog
            .lab(&report.id)
            .and_then(|lab| catalog.block(lab.block))
            .map(|block| block.category)
        else {
            continue;
        };
        let entry = tally.entry(category).or_default();
        for check in report
            .checks
            .iter()
            .filter(|c| c.verdict != Verdict::NotApplicable)
        {
            entry.1 += 1;
            entry.0 += usize::from(check.verdict == Verdict::Pass);
        }
        // A lab that could not run fails every check it has.
        if report.error.is_some() {
            entry.1 += report.planned_checks;
        }
    }
    let present: f64 = tally
        .iter()
        .filter(|(_, (_, total))| *total > 0)
        .map(|(c, _)| c.weight())
        .sum();
    let categories: Vec<CategoryScore> = tally
        .iter()
        .filter(|(_, (_, total))| *total > 0)
        .map(|(&category, &(passed, checks))| {
            let max_points = 100.0 * category.weight() / present;
            CategoryScore {
                category,
                weight: category.weight(),
                passed,
                checks,
                points: max_points * passed as f64 / checks as f64,
                max_points,
            }
        })
        .collect();
    let missing = Category::ALL
        .into_iter()
        .filter(|c| !categories.iter().any(|s| s.category == *c))
        .collect();
    Grade {
        score: categories.iter().map(|c| c.points).sum(),
        categories,
        missing,
    }
}

fn human(grade: &Grade, reports: &[LabReport], lang: Lang) -> String {
    let mut out = String::new();
    for report in reports {
        let passed = report
            .checks
            .iter()
            .filter(|c| c.verdict == Verdict::Pass)
            .count();
        let mark = if report.passed { "✓" } else { "✗" };
        out.push_str(&format!(
            "  {mark} {:<20} {passed}/{}\n",
            report.id,
            report.checks.len()
        ));
    }
    for c in &grade.categories {
        out.push_str(&format!(
            "{:<12} {:>3.0} % × {:>5.1} / {:.1} ({}/{} {})\n",
            c.category.name(),
            c.weight * 100.0,
            c.points,
            c.max_points,
            c.passed,
            c.checks,
            lang.pick("comprobaciones", "checks")
        ));
    }
    if !grade.missing.is_empty() {
        let names: Vec<&str> = grade.missing.iter().map(|c| c.name()).collect();
        out.push_str(&lang.pick(
            format!(
                "(sin laboratorios aún: {}; su peso se reparte entre las demás)\n",
                names.join(", ")
            ),
            format!(
                "(no labs yet: {}; their weight is shared among the others)\n",
                names.join(", ")
            ),
        ));
    }
    out.push_str(&format!(
        "{}: {:.1} / 100\n",
        lang.pick("Nota", "Grade"),
        grade.score
    ));
    out
}

/// GitHub Classroom's result JSON (what its graders pass to the reporter):
/// one test per category, scored in points of 100.
pub fn classroom(grade: &Grade) -> String {
    let tests: Vec<serde_json::Value> = grade
        .categories
        .iter()
        .map(|c| {
            serde_json::json!({
                "name": c.category.name(),
                "status": if c.passed == c.checks { "pass" } else { "fail" },
                "message": format!("{}/{} checks passed", c.passed, c.checks),
                "test_code": "perflab grade",
                "filename": "",
                "line_no": 0,
                "execution_time": "0s",
                "score": (c.points * 100.0).round() / 100.0,
            })
        })
        .collect();
    let result = serde_json::json!({
        "version": 1,
        "status": if grade.categories.iter().all(|c| c.passed == c.checks) { "pass" } else { "fail" },
        "max_score": 100,
        "tests": tests,
    });
    serde_json::to_string_pretty(&result).unwrap_or_default() + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::CheckResult;

    fn result(id: &str, verdict: Verdict) -> CheckResult {
        CheckResult {
            id: id.into(),
            kind: "health",
            measured: Some(1.0),
            unit: Some(crate::check::Unit::Count),
            target: "t".into(),
            verdict,
            message: "m".into(),
            details: BTreeMap::new(),
            elapsed: std::time::Duration::ZERO,
        }
    }

    #[test]
    fn block_1_alone_carries_the_whole_grade_and_says_what_is_missing() {
        let catalog = Catalog::embedded().expect("embedded pack");
        let reports = vec![
            LabReport::new("1.2-redis", "t", vec![result("a", Verdict::Pass)], None),
            LabReport::new(
                "1.3-cache-aside",
                "t",
                vec![
                    result("b", Verdict::Pass),
                    result("c", Verdict::Fail),
                    result("d", Verdict::NotApplicable),
                ],
                None,
            ),
        ];
        let grade = score(&catalog, &reports);
        assert_eq!(grade.categories.len(), 1);
        let performance = &grade.categories[0];
        assert_eq!(
            (performance.passed, performance.checks),
            (2, 3),
            "N/A is not counted"
        );
        assert!((performance.max_points - 100.0).abs() < 1e-9);
        assert!((grade.score - 200.0 / 3.0).abs() < 1e-9);
        assert_eq!(grade.missing, [Category::Monitoring, Category::Code]);
        let classroom: serde_json::Value = serde_json::from_str(&classroom(&grade)).unwrap();
        assert_eq!(classroom["max_score"], 100);
        assert_eq!(classroom["tests"][0]["status"], "fail");
    }
}
