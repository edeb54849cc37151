//! `perflab grade --class FILE`: grades a class — each student's API in turn,
//! exactly as `perflab grade --target URL` grades one (the same labs, the
//! same `--only`, the same [`grade::score`]) — then prints one table: human,
//! CSV or JSON, one row per student (name, URL, score, points per category,
//! status, reason).
//!
//! A flag of `grade` rather than a subcommand of its own: it is the grade,
//! many times over, and shares `--only` and the rules; only the formats
//! differ (`csv` is for a class, `classroom` for one student), and the
//! combinations that mean nothing are refused in one line before anything runs.
//!
//! A class file has one `name URL` line per student; blank lines and
//! `# comments` are allowed. A malformed line stops everything before the
//! first student is graded (exit 2, naming the line). A student API that is
//! down, stops answering mid-run or answers something that is not the
//! HTTP contract (its `/openapi.json` is not an OpenAPI document: an HTML
//! page, say) scores 0 on what could not be measured, with the reason in
//! its row; it never stops the class. Exit code: 0 when every student's
//! grade passes, 1 when any fails or could not be measured, 2 when the class
//! file (or the command line) is wrong.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::check::{against, open_target};
use super::course::Failure;
use super::grade::{self, GradeFormat, GradeStatus, LabGradeStatus};
use super::report::{self, LabReport};
use crate::config::Config;
use crate::lab::{Catalog, Category, Lab, targets};
use crate::messages::Text;
use crate::msg;

/// How long the contract probe waits for a student's API.
const PROBE_TIMEOUT: Duration = Duration::from_secs(10);

/// One student of the class file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Student {
    pub name: String,
    pub url: String,
}

/// One student's row in the class table.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub name: String,
    pub url: String,
    pub score: f64,
    pub max_score: u32,
    /// Points per category (`performance`, `monitoring`, `code`).
    pub categories: BTreeMap<Category, f64>,
    pub status: GradeStatus,
    /// Why the student did not pass: the API down, not the contract, or
    /// the labs that failed. `None` when the grade passes.
    pub reason: Option<String>,
}

/// Reads a class file: `name URL` per line, `#` comments and blank lines
/// allowed, names unique. The error is one line naming the file and line.
pub fn parse_class(path: &Path, content: &str, text: &Text) -> Result<Vec<Student>, String> {
    let file = path.display().to_string();
    let mut students: Vec<Student> = Vec::new();
    for (index, raw) in content.lines().enumerate() {
        let line = index + 1;
        let found = raw.trim();
        if found.is_empty() || found.starts_with('#') {
            continue;
        }
        let words: Vec<&str> = found.split_whitespace().collect();
        let [name, url] = words[..] else {
            return Err(msg!(
                text,
                "class-line-malformed",
                file = file.as_str(),
                line = line,
                found = found
            ));
        };
        if let Err(e) = targets::validate_url(url) {
            return Err(msg!(
                text,
                "class-line-bad-url",
                file = file.as_str(),
                line = line,
                problem = e.render(text)
            ));
        }
        if students.iter().any(|s| s.name == name) {
            return Err(msg!(
                text,
                "class-line-duplicate",
                file = file.as_str(),
                line = line,
                name = name
            ));
        }
        students.push(Student {
            name: name.to_string(),
            url: url.to_string(),
        });
    }
    if students.is_empty() {
        return Err(msg!(text, "class-empty", file = file.as_str()));
    }
    Ok(students)
}

/// Grades every student of `path` with `labs` and prints the table.
pub async fn grade_class(
    config: &Config,
    catalog: &Catalog,
    text: &Text,
    labs: &[&Lab],
    path: &Path,
    format: GradeFormat,
) -> Result<u8, Failure> {
    if format == GradeFormat::Classroom {
        return Err(Failure::environment(msg!(text, "class-no-classroom")));
    }
    let content = std::fs::read_to_string(path).map_err(|e| {
        Failure::environment(msg!(
            text,
            "class-unreadable",
            file = path.display().to_string(),
            error = e.to_string()
        ))
    })?;
    let students = parse_class(path, &content, text).map_err(Failure::environment)?;
    let mut rows = Vec::new();
    for student in &students {
        rows.push(grade_student(config, catalog, text, labs, student, format).await?);
    }
    let document = match format {
        GradeFormat::Csv => csv(&rows),
        GradeFormat::Json => json(&rows),
        _ => human_table(&rows, text),
    };
    print!("{document}");
    Ok(exit_code(&rows))
}

/// 0 when every student's grade passes, else 1.
pub fn exit_code(rows: &[Row]) -> u8 {
    match rows.iter().all(|r| r.status == GradeStatus::Pass) {
        true => 0,
        false => 1,
    }
}

/// One student: the contract probe, then the labs one by one as `grade
/// --target` runs them; after a lab that could not measure, the probe
/// again — an API that stopped answering is not waited on lab after lab.
async fn grade_student(
    config: &Config,
    catalog: &Catalog,
    text: &Text,
    labs: &[&Lab],
    student: &Student,
    format: GradeFormat,
) -> Result<Row, Failure> {
    let started = Instant::now();
    let name = student.name.as_str();
    let url = student.url.as_str();
    if format == GradeFormat::Human {
        println!("\n{}", msg!(text, "class-student", name = name, url = url));
    }
    let target = open_target(config, url, &[], text)?;
    let mut reports: Vec<LabReport> = Vec::new();
    let mut reason = probe(url, text).await.err();
    if reason.is_none() {
        for lab in labs {
            eprintln!(
                "{}",
                msg!(
                    text,
                    "class-lab-started",
                    name = name,
                    lab = lab.id.as_str()
                )
            );
            let mut ran = against(&target, &[*lab], text, None, |lab| {
                if format == GradeFormat::Human {
                    print!("{}", report::human_lab(lab, text));
                }
            })
            .await;
            let measured_all = ran.iter().all(measured_everything);
            reports.append(&mut ran);
            if measured_all {
                continue;
            }
            if let Err(why) = probe(url, text).await {
                reason = Some(msg!(
                    text,
                    "class-stopped",
                    lab = lab.id.as_str(),
                    problem = why
                ));
                break;
            }
        }
    } else if let Some(why) = &reason {
        eprintln!(
            "{}",
            msg!(text, "class-skipped", name = name, problem = why.as_str())
        );
    }
    let grade = grade::score(catalog, &reports, text, started.elapsed());
    // Nothing measured is not a pass, whatever the labs say.
    let status = match reason {
        Some(_) => GradeStatus::Error,
        None => grade.status,
    };
    let reason = reason.or_else(|| labs_to_redo(&grade, text));
    Ok(Row {
        name: student.name.clone(),
        url: student.url.clone(),
        score: grade.score,
        max_score: grade.max_score,
        categories: grade
            .categories
            .iter()
            .map(|c| (c.category, c.points))
            .collect(),
        status,
        reason,
    })
}

/// Every check of the lab measured (or did not apply), and it ran at all.
fn measured_everything(report: &LabReport) -> bool {
    report.error.is_none()
        && report
            .checks
            .iter()
            .all(|c| c.verdict != crate::check::Verdict::Error)
}

/// The labs that failed or could not measure, as the row's reason.
fn labs_to_redo(grade: &grade::Grade, text: &Text) -> Option<String> {
    let list = |status: LabGradeStatus| -> Vec<&str> {
        grade
            .labs
            .iter()
            .filter(|l| l.status == status)
            .map(|l| l.id.as_str())
            .collect()
    };
    let failed = list(LabGradeStatus::Failed);
    let errors = list(LabGradeStatus::Error);
    let mut parts = Vec::new();
    if !failed.is_empty() {
        parts.push(msg!(text, "class-reason-failed", labs = failed.join(", ")));
    }
    if !errors.is_empty() {
        parts.push(msg!(text, "class-reason-error", labs = errors.join(", ")));
    }
    (!parts.is_empty()).then(|| parts.join("; "))
}

/// Whether `url` answers the HTTP contract: `GET /openapi.json` gives an
/// OpenAPI document. `Err` is the reason in the learner's words.
pub async fn probe(url: &str, text: &Text) -> Result<(), String> {
    let address = format!("{}/openapi.json", url.trim_end_matches('/'));
    let client = reqwest::Client::builder()
        .timeout(PROBE_TIMEOUT)
        .build()
        .map_err(|e| e.to_string())?;
    let unreachable = |e: reqwest::Error| {
        msg!(
            text,
            "class-unreachable",
            url = url,
            error = one_line(&error_chain(&e))
        )
    };
    let response = client.get(&address).send().await.map_err(unreachable)?;
    let status = response.status();
    let content_type = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let not_contract = |what: String| {
        msg!(
            text,
            "class-not-contract",
            url = address.as_str(),
            what = what
        )
    };
    if !status.is_success() {
        return Err(not_contract(format!("HTTP {}", status.as_u16())));
    }
    let body = response.bytes().await.map_err(unreachable)?;
    let document: Option<serde_json::Value> = serde_json::from_slice(&body).ok();
    match document {
        Some(doc) if doc.get("openapi").and_then(|v| v.as_str()).is_some() => Ok(()),
        _ => {
            let shown = match content_type.is_empty() {
                true => "?".to_string(),
                false => content_type,
            };
            Err(not_contract(shown))
        }
    }
}

/// The deepest cause of a reqwest error ("tcp connect error: Connection
/// refused (os error 111)"): what an instructor needs, without the wrapping.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut deepest = error;
    while let Some(cause) = deepest.source() {
        deepest = cause;
    }
    deepest.to_string()
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The table on screen: one line per student, the reason under it.
fn human_table(rows: &[Row], text: &Text) -> String {
    let mut out = format!("\n{}\n", msg!(text, "class-title", students = rows.len()));
    out.push_str(&format!(
        "  {:<16} {:>7} {:>7} {:>7} {:>7}  {}\n",
        msg!(text, "class-column-name"),
        msg!(text, "class-column-score"),
        msg!(text, "class-column-performance"),
        msg!(text, "class-column-monitoring"),
        msg!(text, "class-column-code"),
        msg!(text, "class-column-status"),
    ));
    for row in rows {
        let points = |c: Category| row.categories.get(&c).copied().unwrap_or(0.0);
        let status = match row.status {
            GradeStatus::Pass => msg!(text, "class-status-pass"),
            GradeStatus::Fail => msg!(text, "class-status-fail"),
            GradeStatus::Error => msg!(text, "class-status-error"),
        };
        out.push_str(&format!(
            "  {:<16} {:>7.2} {:>7.2} {:>7.2} {:>7.2}  {}\n",
            row.name,
            row.score,
            points(Category::Performance),
            points(Category::Monitoring),
            points(Category::Code),
            status
        ));
        if let Some(reason) = &row.reason {
            out.push_str(&format!("      {reason}\n"));
        }
    }
    out.push_str(&format!("{}\n", msg!(text, "class-rules")));
    out
}

/// A CSV field, quoted when it must be (RFC 4180).
fn field(value: &str) -> String {
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_string()
    }
}

/// CSV for a spreadsheet: a header of field names (English, as the JSON's),
/// a row per student.
pub fn csv(rows: &[Row]) -> String {
    let mut out = String::from("name,url,score,performance,monitoring,code,status,reason\n");
    for row in rows {
        let points = |c: Category| format!("{:.2}", row.categories.get(&c).copied().unwrap_or(0.0));
        let cells = [
            field(&row.name),
            field(&row.url),
            format!("{:.2}", row.score),
            points(Category::Performance),
            points(Category::Monitoring),
            points(Category::Code),
            row.status.word().to_string(),
            field(row.reason.as_deref().unwrap_or("")),
        ];
        out.push_str(&cells.join(","));
        out.push('\n');
    }
    out
}

/// JSON for scripts: the class's status and its rows.
pub fn json(rows: &[Row]) -> String {
    #[derive(Serialize)]
    struct Class<'a> {
        status: GradeStatus,
        rows: &'a [Row],
    }
    let status = match exit_code(rows) {
        0 => GradeStatus::Pass,
        _ => GradeStatus::Fail,
    };
    // Plain data: serialising cannot fail.
    serde_json::to_string_pretty(&Class { status, rows }).unwrap_or_default() + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::Lang;

    fn text() -> Text {
        Text::builtin(Lang::En)
    }

    #[test]
    fn a_class_file_reads_names_and_urls_skipping_comments_and_blanks() {
        let file =
            "# class of Monday\n\nana http://127.0.0.1:8001\n  luis   http://10.0.0.2:9000/  \n";
        let students = parse_class(Path::new("class.txt"), file, &text()).unwrap();
        assert_eq!(
            students,
            vec![
                Student {
                    name: "ana".into(),
                    url: "http://127.0.0.1:8001".into()
                },
                Student {
                    name: "luis".into(),
                    url: "http://10.0.0.2:9000/".into()
                },
            ]
        );
    }

    #[test]
    fn a_malformed_line_is_one_line_naming_its_number() {
        let cases = [
            ("ana http://a:1\nluis\n", "line 2"),
            ("ana http://a:1 extra\n", "line 1"),
            ("# c\nana ftp://a:1\n", "line 2"),
            ("ana http://a:1\nana http://b:2\n", "line 2"),
        ];
        for (file, line) in cases {
            let error = parse_class(Path::new("class.txt"), file, &text()).unwrap_err();
            assert!(error.contains(line), "{file:?}: {error}");
            assert!(error.contains("class.txt"), "{error}");
            assert!(!error.contains('\n'), "one line: {error}");
        }
        let empty = parse_class(Path::new("class.txt"), "# nobody\n", &text()).unwrap_err();
        assert!(empty.contains("class.txt"), "{empty}");
    }

    fn row(name: &str, status: GradeStatus, reason: Option<&str>) -> Row {
        Row {
            name: name.into(),
            url: "http://127.0.0.1:8000".into(),
            score: 12.5,
            max_score: 100,
            categories: Category::ALL.iter().map(|c| (*c, 4.0)).collect(),
            status,
            reason: reason.map(str::to_string),
        }
    }

    #[test]
    fn csv_quotes_what_must_be_and_the_exit_code_is_1_unless_all_pass() {
        let rows = vec![
            row("ana", GradeStatus::Pass, None),
            row("luis", GradeStatus::Error, Some("down, \"refused\"")),
        ];
        let table = csv(&rows);
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines.len(), 3, "{table}");
        assert_eq!(
            lines[1],
            "ana,http://127.0.0.1:8000,12.50,4.00,4.00,4.00,pass,"
        );
        assert!(
            lines[2].ends_with(",error,\"down, \"\"refused\"\"\""),
            "{}",
            lines[2]
        );
        assert_eq!(exit_code(&rows), 1);
        assert_eq!(exit_code(&rows[..1]), 0);
        let json: serde_json::Value = serde_json::from_str(&json(&rows)).unwrap();
        assert_eq!(json["status"], "fail");
        assert_eq!(json["rows"][1]["categories"]["monitoring"], 4.0);
        assert_eq!(json["rows"][0]["reason"], serde_json::Value::Null);
    }
}
