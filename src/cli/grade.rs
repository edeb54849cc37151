//! `perflab grade`: runs the labs' checks (in the workspace, or against
//! `--target URL` and its `--peer`s) and grades them as the course does.
//!
//! The rules, the same in every format:
//! - Each category counts with its course weight — performance 40 %,
//!   monitoring 30 %, code 30 % — whether or not the pack has labs for it
//!   yet: a category without labs scores 0 of its weight. Nothing is
//!   renormalised, so Block 1 alone is worth at most 40.
//! - Within a category every lab weighs the same; a lab scores the share of
//!   its applicable checks that passed. A lab whose checks count in several
//!   categories (the final project's `[categories]`) is one lab in each,
//!   scored on the checks that count there. A lab not run (`--only` left it out)
//!   scores 0 and is listed as not attempted; a lab that could not run
//!   scores 0. A check that does not apply (no control API behind
//!   `--target`) neither counts for nor against: a lab none of whose checks
//!   apply is left out of its category's average.
//! - A failing grade is one where a check that ran failed, or a lab's own
//!   files were refused: exit 1, `"status": "fail"` in JSON and Classroom. A
//!   check that could not measure, or a lab the environment kept from
//!   running, is exit 2 (`"error"`). Otherwise 0 (`"pass"`), whatever the
//!   score: labs not attempted cost points, not the status.
//!
//! Points are kept in hundredths, so human, JSON and Classroom print the
//! same numbers, and the Classroom tests (one per category) add up to the
//! score. Prints a summary (after each lab's report, as `check` prints it),
//! JSON, or GitHub Classroom's autograding result.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Args, ValueEnum};
use serde::Serialize;

use super::check::{Record, TargetArgs, against, in_workspace, open_target};
use super::course::{CourseArgs, Failure, find_lab, find_workspace};
use super::report::{self, CheckReport, LabReport};
use crate::check::Verdict;
use crate::config::Config;
use crate::lab::{Catalog, Category, Lab};
use crate::messages::Text;
use crate::msg;

#[derive(Debug, Args)]
pub struct GradeArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// Grade only this lab (repeatable); the others count as not attempted.
    #[arg(long, value_name = "LAB")]
    pub only: Vec<String>,
    /// Grade a class: a file of `name URL` lines, each API graded as
    /// `--target URL` grades one, then one table (`--format csv` or `json` too).
    #[arg(long, value_name = "FILE", conflicts_with = "target")]
    pub class: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = GradeFormat::Human)]
    pub format: GradeFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GradeFormat {
    Human,
    Json,
    /// GitHub Classroom's autograding result JSON (one test per category).
    Classroom,
    /// With `--class`: the class table as CSV (one row per student).
    Csv,
}

/// Whether the grade passes; the exit code in every format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GradeStatus {
    /// No check failed: exit 0.
    Pass,
    /// A check failed or the student's files were refused: exit 1.
    Fail,
    /// Something could not be measured, not the student's doing: exit 2.
    Error,
}

impl GradeStatus {
    fn of(reports: &[LabReport]) -> Self {
        match report::exit_code(reports) {
            0 => Self::Pass,
            1 => Self::Fail,
            _ => Self::Error,
        }
    }

    pub fn exit_code(self) -> u8 {
        match self {
            Self::Pass => 0,
            Self::Fail => 1,
            Self::Error => super::EXIT_ENVIRONMENT,
        }
    }

    /// Classroom's word for it (`pass`, `fail`, `error`).
    pub fn word(self) -> &'static str {
        match self {
            Self::Pass => "pass",
            Self::Fail => "fail",
            Self::Error => "error",
        }
    }
}

/// Where one lab stands in the grade.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LabGradeStatus {
    /// Every applicable check passed.
    Passed,
    /// A check failed, or the lab's own files were refused.
    Failed,
    /// A check could not measure, or the lab could not start.
    Error,
    /// None of its checks applies to this API: left out of the average.
    NotApplicable,
    /// Not run (left out by `--only`): 0 points.
    NotAttempted,
}

/// One lab's share of the grade.
#[derive(Debug, Clone, Serialize)]
pub struct LabGrade {
    pub id: String,
    pub title: String,
    pub block: u32,
    pub category: Category,
    pub status: LabGradeStatus,
    /// Out of 100 for the whole grade (the lab's part of its category).
    pub points: f64,
    pub max_points: f64,
    pub passed_checks: usize,
    pub applicable_checks: usize,
    /// Wall-clock time of the lab's run (0 when not attempted).
    pub elapsed_ms: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Each check: id, kind, verdict, measured (in `unit`), target,
    /// message, and the points it carries.
    pub checks: Vec<GradedCheck>,
}

/// One check in the grade: its report and its share of its lab's points
/// (the lab's points split equally among its applicable checks; one that
/// does not apply carries none).
#[derive(Debug, Clone, Serialize)]
pub struct GradedCheck {
    #[serde(flatten)]
    pub report: CheckReport,
    pub points: f64,
    pub max_points: f64,
}

/// One category's share of the grade.
#[derive(Debug, Clone, Serialize)]
pub struct CategoryGrade {
    pub category: Category,
    /// The course's weight (0.4 or 0.3).
    pub weight: f64,
    pub points: f64,
    /// `weight` × 100, always: never shared out among the other categories.
    pub max_points: f64,
    /// How many of the pack's labs count towards it.
    pub labs: usize,
    /// Blocks of this category that have no lab in the pack yet.
    pub blocks_without_labs: Vec<u32>,
    /// Wall-clock time of its labs' runs.
    pub elapsed_ms: u64,
}

/// The whole grade.
#[derive(Debug, Clone, Serialize)]
pub struct Grade {
    /// Out of `max_score`.
    pub score: f64,
    pub max_score: u32,
    pub status: GradeStatus,
    /// Wall-clock time of the whole grading, services included.
    pub elapsed_ms: u64,
    pub categories: Vec<CategoryGrade>,
    pub labs: Vec<LabGrade>,
}

pub async fn run(config: Config, course: &CourseArgs, args: &GradeArgs) -> ExitCode {
    match grade(config, course, args).await {
        Ok(code) => ExitCode::from(code),
        Err(failure) => failure.exit(),
    }
}

async fn grade(config: Config, course: &CourseArgs, args: &GradeArgs) -> Result<u8, Failure> {
    let started = Instant::now();
    let catalog = course.catalog()?;
    let text = course.text(&catalog);
    let labs = selected(&catalog, &text, &args.only)?;
    if let Some(class) = &args.class {
        return super::class::grade_class(&config, &catalog, &text, &labs, class, args.format)
            .await;
    }
    if args.format == GradeFormat::Csv {
        return Err(Failure::environment(msg!(text, "class-csv-needs-class")));
    }
    let human = args.format == GradeFormat::Human;
    // The human grade shows each lab's checks as they finish, like `check`.
    let print = |lab: &LabReport| {
        if human {
            print!("{}", report::human_lab(lab, &text));
        }
    };
    let reports = match &args.target.target {
        Some(url) => {
            let target = open_target(&config, url, &args.target.peer, &text)?;
            // Grading reads: it never replaces a target's baseline.
            against(&target, &labs, &text, None, print).await
        }
        None => {
            let workspace = find_workspace(&text)?;
            let record = Record::Nothing;
            in_workspace(&config, &workspace, &labs, course, &text, record, print).await?
        }
    };
    let grade = score(&catalog, &reports, &text, started.elapsed());
    let document = match args.format {
        GradeFormat::Human | GradeFormat::Csv => human_summary(&grade, &catalog, &text),
        GradeFormat::Json => json(&grade),
        GradeFormat::Classroom => classroom(&grade, &catalog, &text),
    };
    print!("{document}");
    Ok(grade.status.exit_code())
}

/// The labs `--only` names (every lab without it), in the pack's order.
fn selected<'a>(
    catalog: &'a Catalog,
    text: &Text,
    only: &[String],
) -> Result<Vec<&'a Lab>, Failure> {
    if only.is_empty() {
        return Ok(catalog.labs.iter().collect());
    }
    let mut wanted = Vec::new();
    for query in only {
        wanted.push(find_lab(catalog, text, query)?.id.as_str());
    }
    Ok(catalog
        .labs
        .iter()
        .filter(|lab| wanted.contains(&lab.id.as_str()))
        .collect())
}

/// The category a lab's block counts towards.
fn category_of(catalog: &Catalog, lab: &Lab) -> Option<Category> {
    catalog.block(lab.block).map(|block| block.category)
}

/// The ids of `lab`'s checks that count towards `category`; `None` when
/// none does (the lab is no part of it).
fn checks_in<'a>(catalog: &Catalog, lab: &'a Lab, category: Category) -> Option<Vec<&'a str>> {
    let block = category_of(catalog, lab)?;
    let ids: Vec<&str> = lab
        .checks
        .iter()
        .map(|check| check.id())
        .filter(|id| lab.check_category(id, block) == category)
        .collect();
    (!ids.is_empty()).then_some(ids)
}

/// How one lab stands before points are given.
struct Share {
    status: LabGradeStatus,
    /// In [0, 1]; `None` when none of its checks applies (left out).
    share: Option<f64>,
    passed: usize,
    applicable: usize,
}

impl Share {
    fn of(report: Option<&LabReport>) -> Self {
        let zero = |status, applicable| Self {
            status,
            share: Some(0.0),
            passed: 0,
            applicable,
        };
        let Some(report) = report else {
            return zero(LabGradeStatus::NotAttempted, 0);
        };
        if report.error.is_some() {
            let status = match report.students_fault {
                true => LabGradeStatus::Failed,
                false => LabGradeStatus::Error,
            };
            return zero(status, report.planned_checks);
        }
        let verdicts = || report.checks.iter().map(|c| c.verdict);
        let applicable = verdicts().filter(|v| *v != Verdict::NotApplicable).count();
        let passed = verdicts().filter(|v| *v == Verdict::Pass).count();
        let status = if applicable == 0 {
            LabGradeStatus::NotApplicable
        } else if verdicts().any(|v| v == Verdict::Fail) {
            LabGradeStatus::Failed
        } else if verdicts().any(|v| v == Verdict::Error) {
            LabGradeStatus::Error
        } else {
            LabGradeStatus::Passed
        };
        Self {
            status,
            share: (applicable > 0).then(|| passed as f64 / applicable as f64),
            passed,
            applicable,
        }
    }
}

/// Hundredths of a point to points (what every format prints).
fn points(hundredths: f64) -> f64 {
    hundredths.round() / 100.0
}

/// Grades the pack's labs from the reports of those that ran.
pub fn score(catalog: &Catalog, reports: &[LabReport], text: &Text, elapsed: Duration) -> Grade {
    let mut labs = Vec::new();
    let mut categories = Vec::new();
    for category in Category::ALL {
        let (graded, members) = grade_category(catalog, category, reports, text);
        categories.push(graded);
        labs.extend(members);
    }
    // Labs in pack order, whatever their category.
    labs.sort_by_key(|lab| catalog.labs.iter().position(|l| l.id == lab.id));
    // Each category's points are already whole hundredths: their sum is exact.
    let total: f64 = categories.iter().map(|c| (c.points * 100.0).round()).sum();
    Grade {
        score: total / 100.0,
        max_score: 100,
        status: GradeStatus::of(reports),
        elapsed_ms: u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX),
        categories,
        labs,
    }
}

/// One category: its weight shared equally among its labs that count, each
/// lab's points its share of that; the category's points are rounded once,
/// from the exact sum.
fn grade_category(
    catalog: &Catalog,
    category: Category,
    reports: &[LabReport],
    text: &Text,
) -> (CategoryGrade, Vec<LabGrade>) {
    // A lab's part of the category: the report of its checks that count
    // towards it (all of them, but for a lab like the final project whose
    // checks count in several).
    let members: Vec<(&Lab, Option<LabReport>)> = catalog
        .labs
        .iter()
        .filter_map(|lab| {
            let ids = checks_in(catalog, lab, category)?;
            let report = reports.iter().find(|r| r.id == lab.id).map(|r| {
                let mut part = r.clone();
                if !lab.categories.is_empty() {
                    part.checks.retain(|c| ids.contains(&c.id.as_str()));
                    part.planned_checks = ids.len();
                }
                part
            });
            Some((lab, report))
        })
        .collect();
    let shares: Vec<Share> = members
        .iter()
        .map(|(_, report)| Share::of(report.as_ref()))
        .collect();
    let counted = shares.iter().filter(|s| s.share.is_some()).count();
    // In hundredths of a point: 4000 for performance.
    let max = (category.weight() * 10_000.0).round();
    let each = match counted {
        0 => 0.0,
        n => max / n as f64,
    };
    let mut exact = 0.0;
    let mut labs = Vec::new();
    for ((lab, report), share) in members.iter().zip(shares) {
        let report = report.as_ref();
        let lab_points = share.share.map_or(0.0, |s| s * each);
        let per_check = match share.applicable {
            0 => 0.0,
            n => each / n as f64,
        };
        let checks = report
            .map(|r| r.checks.clone())
            .unwrap_or_default()
            .into_iter()
            .map(|check| {
                let worth = match check.verdict {
                    Verdict::NotApplicable => 0.0,
                    _ => per_check,
                };
                let earned = match check.verdict {
                    Verdict::Pass => worth,
                    _ => 0.0,
                };
                GradedCheck {
                    report: check,
                    points: points(earned),
                    max_points: points(worth),
                }
            })
            .collect();
        exact += lab_points;
        labs.push(LabGrade {
            id: lab.id.clone(),
            title: lab.title.get(text.lang()).to_string(),
            block: lab.block,
            category,
            status: share.status,
            points: points(lab_points),
            max_points: points(share.share.map_or(0.0, |_| each)),
            passed_checks: share.passed,
            applicable_checks: share.applicable,
            elapsed_ms: report.map_or(0, |r| r.elapsed_ms),
            error: report.and_then(|r| r.error.clone()),
            checks,
        });
    }
    let graded = CategoryGrade {
        category,
        weight: category.weight(),
        points: points(exact),
        max_points: max / 100.0,
        labs: members.len(),
        blocks_without_labs: catalog
            .course
            .blocks
            .iter()
            .filter(|b| b.category == category)
            .filter(|b| !catalog.labs.iter().any(|lab| lab.block == b.number))
            .map(|b| b.number)
            .collect(),
        elapsed_ms: labs.iter().map(|l| l.elapsed_ms).sum(),
    };
    (graded, labs)
}

/// A category's name in the learner's language.
pub(super) fn category_name(text: &Text, category: Category) -> String {
    match category {
        Category::Performance => msg!(text, "grade-category-performance"),
        Category::Monitoring => msg!(text, "grade-category-monitoring"),
        Category::Code => msg!(text, "grade-category-code"),
    }
}

/// A lab's state in words: "2/3 checks", "not attempted"…
fn lab_state(text: &Text, lab: &LabGrade) -> String {
    match (lab.status, &lab.error) {
        (LabGradeStatus::NotAttempted, _) => msg!(text, "grade-lab-not-attempted"),
        (LabGradeStatus::NotApplicable, _) => msg!(text, "grade-lab-not-applicable"),
        (_, Some(_)) => msg!(text, "grade-lab-could-not-run"),
        _ => msg!(
            text,
            "grade-lab-checks",
            passed = lab.passed_checks,
            applicable = lab.applicable_checks
        ),
    }
}

fn lab_mark(status: LabGradeStatus) -> &'static str {
    match status {
        LabGradeStatus::Passed => "✓",
        LabGradeStatus::Failed => "✗",
        LabGradeStatus::Error => "!",
        LabGradeStatus::NotApplicable => "–",
        LabGradeStatus::NotAttempted => "·",
    }
}

/// The blocks without labs, in words.
fn missing_blocks(catalog: &Catalog, text: &Text, category: &CategoryGrade) -> Vec<String> {
    category
        .blocks_without_labs
        .iter()
        .filter_map(|number| catalog.block(*number))
        .map(|block| {
            msg!(
                text,
                "grade-block-without-labs",
                block = block.number,
                title = block.title.get(text.lang())
            )
        })
        .collect()
}

/// The summary after the labs' reports: per category its labs and points,
/// then the score, the status and the rules in one sentence.
fn human_summary(grade: &Grade, catalog: &Catalog, text: &Text) -> String {
    let mut out = format!(
        "\n{}\n",
        msg!(
            text,
            "grade-title",
            course = catalog.course.title.get(text.lang())
        )
    );
    for category in &grade.categories {
        let header = msg!(
            text,
            "grade-category",
            name = category_name(text, category.category),
            weight = format!("{:.0}", category.weight * 100.0),
            points = format!("{:.2}", category.points),
            max = format!("{:.2}", category.max_points)
        );
        out.push_str(&format!("  {header}\n"));
        for lab in grade
            .labs
            .iter()
            .filter(|l| l.category == category.category)
        {
            out.push_str(&format!(
                "    {} {:<20} {:>6.2} / {:>5.2}   {}\n",
                lab_mark(lab.status),
                lab.id,
                lab.points,
                lab.max_points,
                lab_state(text, lab)
            ));
        }
        for line in missing_blocks(catalog, text, category) {
            out.push_str(&format!("    {line}\n"));
        }
    }
    for (k, line) in to_redo(grade, text).into_iter().enumerate() {
        let indent = if k == 0 { "" } else { "  " };
        out.push_str(&format!("{indent}{line}\n"));
    }
    let status = match grade.status {
        GradeStatus::Pass => msg!(text, "grade-status-pass"),
        GradeStatus::Fail => msg!(text, "grade-status-fail"),
        GradeStatus::Error => msg!(text, "grade-status-error"),
    };
    let score = format!("{:.2}", grade.score);
    out.push_str(&format!(
        "{}\n",
        msg!(text, "grade-total", score = score, status = status)
    ));
    out.push_str(&format!("{}\n", msg!(text, "grade-rules")));
    out
}

/// What to redo, most points first: each lab that failed or could not run
/// with the points it would add and its failing checks, then the labs not
/// attempted in one line.
fn to_redo(grade: &Grade, text: &Text) -> Vec<String> {
    let mut failed: Vec<&LabGrade> = grade
        .labs
        .iter()
        .filter(|l| matches!(l.status, LabGradeStatus::Failed | LabGradeStatus::Error))
        .collect();
    failed.sort_by(|a, b| (b.max_points - b.points).total_cmp(&(a.max_points - a.points)));
    let not_attempted: Vec<&LabGrade> = grade
        .labs
        .iter()
        .filter(|l| l.status == LabGradeStatus::NotAttempted)
        .collect();
    if failed.is_empty() && not_attempted.is_empty() {
        return Vec::new();
    }
    let mut lines = vec![msg!(text, "grade-redo")];
    for lab in failed {
        let checks: Vec<&str> = lab
            .checks
            .iter()
            .filter(|c| matches!(c.report.verdict, Verdict::Fail | Verdict::Error))
            .map(|c| c.report.id.as_str())
            .collect();
        let checks = checks.join(", ");
        let gain = format!("{:.2}", lab.max_points - lab.points);
        lines.push(match checks.is_empty() {
            true => msg!(
                text,
                "grade-redo-lab-not-run",
                lab = lab.id.as_str(),
                gain = gain
            ),
            false => msg!(
                text,
                "grade-redo-lab",
                lab = lab.id.as_str(),
                gain = gain,
                checks = checks
            ),
        });
    }
    if !not_attempted.is_empty() {
        let gain: f64 = not_attempted.iter().map(|l| l.max_points).sum();
        lines.push(msg!(
            text,
            "grade-redo-not-attempted",
            count = not_attempted.len(),
            gain = format!("{gain:.2}")
        ));
    }
    lines
}

fn json(grade: &Grade) -> String {
    // Plain data (strings, numbers, enums): serialising cannot fail.
    serde_json::to_string_pretty(grade).unwrap_or_default() + "\n"
}

/// `12.34s`, as Classroom's own graders write `execution_time`.
fn seconds(ms: u64) -> String {
    format!("{:.2}s", ms as f64 / 1000.0)
}

/// GitHub Classroom's result JSON (what its graders hand the reporter, which
/// adds up the tests' `score`s against `max_score`): one test per category,
/// scored in points of 100, its labs in the message, and the status that
/// agrees with the exit code.
pub fn classroom(grade: &Grade, catalog: &Catalog, text: &Text) -> String {
    let tests: Vec<serde_json::Value> = grade
        .categories
        .iter()
        .map(|category| {
            let labs: Vec<&LabGrade> = grade
                .labs
                .iter()
                .filter(|l| l.category == category.category)
                .collect();
            let mut parts: Vec<String> = labs
                .iter()
                .map(|lab| {
                    msg!(
                        text,
                        "grade-classroom-lab",
                        id = lab.id.as_str(),
                        points = format!("{:.2}", lab.points),
                        max = format!("{:.2}", lab.max_points),
                        state = lab_state(text, lab)
                    )
                })
                .collect();
            parts.extend(missing_blocks(catalog, text, category));
            let status = if labs.iter().any(|l| l.status == LabGradeStatus::Error) {
                "error"
            } else if category.points >= category.max_points {
                "pass"
            } else {
                "fail"
            };
            let name = format!(
                "{} ({:.0} %)",
                category_name(text, category.category),
                category.weight * 100.0
            );
            serde_json::json!({
                "name": name,
                "status": status,
                "message": parts.join("; "),
                "test_code": "perflab grade",
                "filename": "",
                "line_no": 0,
                "execution_time": seconds(category.elapsed_ms),
                "score": category.points,
            })
        })
        .collect();
    let result = serde_json::json!({
        "version": 1,
        "status": grade.status.word(),
        "max_score": grade.max_score,
        "tests": tests,
    });
    serde_json::to_string_pretty(&result).unwrap_or_default() + "\n"
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::check::{CheckResult, Lang, Unit};

    fn result(id: &str, verdict: Verdict) -> CheckResult {
        CheckResult {
            id: id.into(),
            kind: "health",
            measured: Some(1.0),
            unit: Some(Unit::Count),
            target: "t".into(),
            verdict,
            message: "m".into(),
            details: BTreeMap::new(),
            elapsed: Duration::from_millis(250),
        }
    }

    fn text() -> Text {
        Text::builtin(Lang::En)
    }

    fn passed(id: &str) -> LabReport {
        LabReport::new(id, "t", vec![result("a", Verdict::Pass)], None)
    }

    /// Every check of `lab` passed.
    fn solved(lab: &Lab) -> LabReport {
        let checks = lab
            .checks
            .iter()
            .map(|c| result(c.id(), Verdict::Pass))
            .collect();
        LabReport::new(&lab.id, "t", checks, None)
    }

    #[test]
    fn every_block_solved_is_the_course_s_100_each_category_at_its_weight() {
        let catalog = Catalog::embedded().expect("embedded pack");
        let reports: Vec<LabReport> = catalog.labs.iter().map(solved).collect();
        let grade = score(&catalog, &reports, &text(), Duration::from_secs(3));
        assert_eq!(grade.score, 100.0, "{grade:#?}");
        // The final project counts in all three categories, at a lab's share
        // in each.
        let finals: Vec<&LabGrade> = grade.labs.iter().filter(|l| l.id == "final").collect();
        assert_eq!(finals.len(), 3, "{finals:#?}");
        assert!(
            finals
                .iter()
                .all(|l| l.points > 0.0 && l.points == l.max_points)
        );
        assert_eq!(grade.status, GradeStatus::Pass);
        let by = |c: Category| grade.categories.iter().find(|g| g.category == c).unwrap();
        for (full, max) in [
            (Category::Performance, 40.0),
            (Category::Code, 30.0),
            (Category::Monitoring, 30.0),
        ] {
            assert_eq!((by(full).points, by(full).max_points), (max, max));
            assert!(by(full).blocks_without_labs.is_empty());
        }
    }

    #[test]
    fn labs_weigh_alike_not_attempted_is_0_and_not_applicable_is_left_out() {
        let catalog = Catalog::embedded().expect("embedded pack");
        let reports = vec![
            passed("1.2-redis"),
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
            LabReport::new(
                "1.5-list-keys",
                "t",
                vec![result("e", Verdict::NotApplicable)],
                None,
            ),
        ];
        let grade = score(&catalog, &reports, &text(), Duration::ZERO);
        // Ten parts count, the final project's included (1.5 does not
        // apply): 40 / 10 points each.
        let lab = |id: &str| grade.labs.iter().find(|l| l.id == id).unwrap();
        assert_eq!(
            (lab("1.2-redis").points, lab("1.2-redis").max_points),
            (4.0, 4.0)
        );
        assert_eq!(lab("1.3-cache-aside").points, 2.0, "1 of 2 applicable");
        assert_eq!(lab("1.3-cache-aside").status, LabGradeStatus::Failed);
        assert_eq!(lab("1.1-baseline").status, LabGradeStatus::NotAttempted);
        assert_eq!(
            (lab("1.1-baseline").points, lab("1.1-baseline").max_points),
            (0.0, 4.0)
        );
        assert_eq!(lab("1.5-list-keys").status, LabGradeStatus::NotApplicable);
        assert_eq!(lab("1.5-list-keys").max_points, 0.0);
        assert_eq!(grade.score, 6.0);
        assert_eq!(grade.status, GradeStatus::Fail);
        assert_eq!(grade.status.exit_code(), 1);
    }

    #[test]
    fn every_format_says_the_same_numbers_and_status() {
        let catalog = Catalog::embedded().expect("embedded pack");
        let reports = vec![passed("1.2-redis").took(Duration::from_millis(1234))];
        let grade = score(&catalog, &reports, &text(), Duration::from_secs(2));
        // 40 points over the ten performance labs of Blocks 1 and 2 and the
        // final project's part.
        assert_eq!(grade.score, 3.64);
        let json: serde_json::Value = serde_json::from_str(&json(&grade)).unwrap();
        assert_eq!(json["score"], 3.64);
        assert_eq!(json["status"], "pass");
        let lab = &json["labs"].as_array().unwrap()[1];
        assert_eq!(lab["id"], "1.2-redis");
        assert_eq!(lab["checks"][0]["unit"], "count");
        let room: serde_json::Value =
            serde_json::from_str(&classroom(&grade, &catalog, &text())).unwrap();
        let tests = room["tests"].as_array().unwrap();
        let sum: f64 = tests.iter().map(|t| t["score"].as_f64().unwrap()).sum();
        assert!((sum - 3.64).abs() < 1e-9, "{room}");
        assert_eq!(room["status"], "pass");
        assert_eq!(tests[0]["execution_time"], "1.23s");
        let human = human_summary(&grade, &catalog, &text());
        assert!(human.contains("3.64 / 100"), "{human}");
        assert!(
            human.contains("1.1-baseline") && human.contains("not attempted"),
            "{human}"
        );
    }

    #[test]
    fn a_lab_that_could_not_run_is_an_error_unless_it_was_the_students_sql() {
        let catalog = Catalog::embedded().expect("embedded pack");
        let lab = catalog.lab("1.2-redis").unwrap();
        let env = LabReport::failed_to_run(lab, &text(), "no shop".into(), false);
        let grade = score(&catalog, &[env], &text(), Duration::ZERO);
        assert_eq!(grade.status, GradeStatus::Error);
        assert_eq!(grade.status.exit_code(), 2);
        let sql = LabReport::failed_to_run(lab, &text(), "bad SQL".into(), true);
        let grade = score(&catalog, &[sql], &text(), Duration::ZERO);
        assert_eq!(grade.status, GradeStatus::Fail);
        assert_eq!(grade.labs[1].status, LabGradeStatus::Failed);
    }
}
