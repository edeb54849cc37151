//! The printers of check results: human (one line per check, the learner
//! message under it), JSON (for scripts), and JUnit XML (for CI: a test suite
//! per lab, a test case per check, via quick-junit). They render plain data
//! and know no check kind; every measured value is printed with its unit
//! (`Unit::format`), and nothing is printed where a check measured no number.
//! Their words come from the message catalogue (`cli-report.ftl`). `grade`
//! builds on the same [`LabReport`]s.

use std::collections::BTreeMap;
use std::time::Duration;

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
use serde::Serialize;

use crate::check::{CheckResult, Unit, Verdict};
use crate::messages::Text;
use crate::msg;

/// One lab's run.
#[derive(Debug, Clone, Serialize)]
pub struct LabReport {
    pub id: String,
    pub title: String,
    pub passed: bool,
    /// Why the lab could not run at all (the shop did not start, the SQL was refused).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The error was the student's own file (bad SQL), not the environment.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub students_fault: bool,
    /// How many checks the lab has (those that ran, or would have).
    #[serde(skip)]
    pub planned_checks: usize,
    /// Wall-clock time of the lab: starting its shops, its checks, stopping them.
    pub elapsed_ms: u64,
    pub checks: Vec<CheckReport>,
}

/// One check, as printed.
#[derive(Debug, Clone, Serialize)]
pub struct CheckReport {
    pub id: String,
    pub kind: &'static str,
    pub verdict: Verdict,
    /// In `unit`; `None` when the check's result is a judgement, not a number.
    pub measured: Option<f64>,
    pub unit: Option<Unit>,
    pub target: String,
    pub message: String,
    pub details: BTreeMap<String, f64>,
    pub elapsed_ms: u64,
    /// "×2.4 better than the baseline", when lab 1.1 measured this check.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vs_baseline: Option<f64>,
}

impl LabReport {
    pub fn new(
        id: &str,
        title: &str,
        results: Vec<CheckResult>,
        baseline: Option<&BTreeMap<String, f64>>,
    ) -> Self {
        let checks: Vec<CheckReport> = results
            .into_iter()
            .map(|r| CheckReport::new(r, baseline))
            .collect();
        Self {
            id: id.to_string(),
            title: title.to_string(),
            passed: passed(&checks),
            error: None,
            students_fault: false,
            planned_checks: checks.len(),
            elapsed_ms: checks.iter().map(|c| c.elapsed_ms).sum(),
            checks,
        }
    }

    /// A lab that could not run: `students` when the student's own files were
    /// refused (a failure), else the environment (an error).
    pub fn failed_to_run(
        lab: &crate::lab::Lab,
        text: &Text,
        error: String,
        students: bool,
    ) -> Self {
        Self {
            id: lab.id.clone(),
            title: lab.title.get(text.lang()).to_string(),
            passed: false,
            error: Some(error),
            students_fault: students,
            planned_checks: lab.checks.len(),
            elapsed_ms: 0,
            checks: Vec::new(),
        }
    }

    /// The lab's wall-clock time, measured around the whole run.
    pub fn took(mut self, elapsed: Duration) -> Self {
        self.elapsed_ms = u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX);
        self
    }
}

fn passed(checks: &[CheckReport]) -> bool {
    crate::check::lab_passed(checks.iter().map(|c| c.verdict))
}

impl CheckReport {
    fn new(r: CheckResult, baseline: Option<&BTreeMap<String, f64>>) -> Self {
        let vs_baseline = baseline
            .and_then(|b| b.get(&format!("{}.p95_ms", r.id)))
            .zip(r.details.get("p95_ms"))
            .filter(|(_, now)| **now > 0.0)
            .map(|(before, now)| before / now);
        Self {
            id: r.id,
            kind: r.kind,
            verdict: r.verdict,
            measured: r.measured,
            unit: r.unit,
            target: r.target,
            message: r.message,
            details: r.details,
            elapsed_ms: u64::try_from(r.elapsed.as_millis()).unwrap_or(u64::MAX),
            vs_baseline,
        }
    }

    /// The measured value with its unit ("4.49 ms", "98.8 %"), or `—` when
    /// the check measured no number. A value without a unit is a check's bug;
    /// it prints bare rather than not at all.
    pub fn measured_text(&self) -> String {
        crate::check::measured_text(self.measured, self.unit)
    }

    /// ✓ ✗ – ! for pass, fail, not applicable, could not measure.
    pub fn mark(&self) -> &'static str {
        match self.verdict {
            Verdict::Pass => "✓",
            Verdict::Fail => "✗",
            Verdict::NotApplicable => "–",
            Verdict::Error => "!",
        }
    }

    /// `  ✓ detail    4.49 ms   p95 < 6.97 ms`, the message under it, and
    /// the factor against the baseline when there is one.
    pub fn human(&self) -> String {
        // The latency check's own message says how it compares with the
        // baseline (check::vs_baseline); the JSON keeps the factor.
        format!(
            "  {} {:<24} {:>10}   {}\n      {}\n",
            self.mark(),
            self.id,
            self.measured_text(),
            self.target,
            self.message
        )
    }
}

/// The exit code of a run: 1 when a check failed or a lab's own files (the
/// student's SQL) were refused, else 2 when a check could not measure or a
/// lab could not run for the environment's sake, else 0. Not applicable is
/// neither.
pub fn exit_code(labs: &[LabReport]) -> u8 {
    let verdicts = || labs.iter().flat_map(|l| &l.checks).map(|c| c.verdict);
    let students_fault = labs.iter().any(|l| l.students_fault);
    if verdicts().any(|v| v == Verdict::Fail) || students_fault {
        1
    } else if verdicts().any(|v| v == Verdict::Error) || labs.iter().any(|l| l.error.is_some()) {
        2
    } else {
        0
    }
}

pub fn human_lab(lab: &LabReport, text: &Text) -> String {
    let mut out = format!("{} — {}\n", lab.id, lab.title);
    if let Some(error) = &lab.error {
        out.push_str(&format!(
            "  ! {}\n",
            msg!(text, "report-could-not-run", error = error.as_str())
        ));
    }
    for check in &lab.checks {
        out.push_str(&check.human());
    }
    let verdict = match lab.passed {
        true => msg!(text, "report-lab-passed"),
        false => msg!(text, "report-lab-not-yet"),
    };
    out.push_str(&format!("  → {verdict}\n"));
    out
}

pub fn json(labs: &[LabReport]) -> String {
    #[derive(Serialize)]
    struct Run<'a> {
        passed: bool,
        labs: &'a [LabReport],
    }
    let run = Run {
        passed: labs.iter().all(|l| l.passed),
        labs,
    };
    serde_json::to_string_pretty(&run).unwrap_or_default() + "\n"
}

/// JUnit XML: a suite per lab, a case per check; a lab that could not run is
/// one errored case, so CI never reads "0 tests, all green" for it.
pub fn junit(labs: &[LabReport]) -> Result<String, String> {
    let mut report = Report::new("perflab");
    for lab in labs {
        let mut suite = TestSuite::new(lab.id.as_str());
        if let Some(error) = &lab.error {
            let kind = match lab.students_fault {
                true => NonSuccessKind::Failure,
                false => NonSuccessKind::Error,
            };
            let mut status = TestCaseStatus::non_success(kind);
            status.set_message(error.as_str());
            suite.add_test_case(TestCase::new("setup", status));
        }
        for check in &lab.checks {
            let mut status = match check.verdict {
                Verdict::Pass => TestCaseStatus::success(),
                Verdict::Fail => TestCaseStatus::non_success(NonSuccessKind::Failure),
                Verdict::Error => TestCaseStatus::non_success(NonSuccessKind::Error),
                Verdict::NotApplicable => TestCaseStatus::skipped(),
            };
            if let TestCaseStatus::NonSuccess { .. } | TestCaseStatus::Skipped { .. } = status {
                status.set_message(check.message.as_str());
            }
            let mut case = TestCase::new(check.id.as_str(), status);
            case.set_classname(format!("{}.{}", lab.id, check.kind));
            case.set_time(std::time::Duration::from_millis(check.elapsed_ms));
            // For CI logs (instructors): field names stay English, as in
            // the JSON; the message is in the learner's language.
            case.set_system_out(format!(
                "measured: {}\ntarget: {}\n{}",
                check.measured_text(),
                check.target,
                check.message
            ));
            suite.add_test_case(case);
        }
        report.add_test_suite(suite);
    }
    report.to_string().map_err(|e| e.to_string())
}
