//! `perflab report [--out FILE]`: the report a student hands in — one
//! self-contained HTML file (no script, no stylesheet, font or image to
//! fetch: it opens offline) built from the workspace's progress file.
//!
//! Per lab it shows the attempts over time (an inline SVG chart per measured
//! check, drawn with plotters' SVG backend: its text is SVG `<text>`, so no
//! system font is loaded to draw it), the first and the latest values against
//! the checks' targets, and at the top the grade table from [`grade::score`].
//! Progress keeps whether each attempt passed, not every check's verdict: a
//! lab passed here scores its full share and one not passed scores 0 —
//! `perflab grade` runs the checks and gives partial shares.
//!
//! Every value shown carries its exact number in `data-value`, the text
//! rounded to two decimals, so a reader (or a test) can tie both to the
//! progress file. Words come from `report.ftl`.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use plotters::prelude::*;

use super::course::{CourseArgs, Failure, find_workspace, load_progress};
use super::grade::{self, Grade};
use super::report::LabReport;
use crate::check::{CheckResult, Context, Verdict};
use crate::lab::progress::{Baseline, LabProgress, LabStatus, Progress};
use crate::lab::{Catalog, Lab};
use crate::messages::Text;
use crate::msg;

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Where to write the HTML file (default: report.html in the workspace).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

pub fn run(course: &CourseArgs, args: &ReportArgs) -> ExitCode {
    match write(course, args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => failure.exit(),
    }
}

fn write(course: &CourseArgs, args: &ReportArgs) -> Result<(), Failure> {
    let catalog = course.catalog()?;
    let text = course.text(&catalog);
    let workspace = find_workspace(&text)?;
    let progress = load_progress(&workspace, &text)?;
    let html = render(&catalog, &progress, &text);
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| workspace.root().join("report.html"));
    crate::lab::atomic_file::atomic_write(&out, html.as_bytes()).map_err(|e| {
        Failure::environment(msg!(
            text,
            "handin-unwritable",
            path = out.display().to_string(),
            error = e.to_string()
        ))
    })?;
    println!(
        "{}",
        msg!(text, "handin-written", path = out.display().to_string())
    );
    Ok(())
}

/// The grade from progress: a lab passed has every check passed, one
/// attempted and not passed every check failed, one never run is not
/// attempted — then the grade's own rules.
pub fn grade_from_progress(catalog: &Catalog, progress: &Progress, text: &Text) -> Grade {
    let ctx = Context::new("http://127.0.0.1", text.clone());
    let reports: Vec<LabReport> = catalog
        .labs
        .iter()
        .filter_map(|lab| {
            let record = progress.lab(&lab.id).filter(|p| p.attempts > 0)?;
            let verdict = match record.status {
                LabStatus::Passed => Verdict::Pass,
                _ => Verdict::Fail,
            };
            let results = lab
                .checks
                .iter()
                .map(|spec| CheckResult {
                    id: spec.id().to_string(),
                    kind: spec.kind(),
                    measured: None,
                    unit: None,
                    target: spec.target(&ctx),
                    verdict,
                    message: String::new(),
                    details: BTreeMap::new(),
                    elapsed: Duration::ZERO,
                })
                .collect();
            Some(LabReport::new(
                &lab.id,
                lab.title.get(text.lang()),
                results,
                None,
            ))
        })
        .collect();
    grade::score(catalog, &reports, text, Duration::ZERO)
}

/// The whole HTML document.
pub fn render(catalog: &Catalog, progress: &Progress, text: &Text) -> String {
    let grade = grade_from_progress(catalog, progress, text);
    let title = msg!(
        text,
        "handin-title",
        course = catalog.course.title.get(text.lang())
    );
    let mut body = format!("<h1>{}</h1>\n", escape(&title));
    body.push_str(&format!(
        "<p class=\"generated\">{}</p>\n",
        escape(&msg!(
            text,
            "handin-generated",
            at = chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string()
        ))
    ));
    body.push_str(&grade_table(&grade, text));
    let mut ctx = Context::new("http://127.0.0.1", text.clone());
    if let Some(baseline) = progress.baseline() {
        body.push_str(&baseline_table(baseline, text));
        // Relative targets read in numbers: "p95 < 6.97 ms (half your
        // baseline's 13.94 ms)".
        ctx = ctx.with_baseline(baseline.measurements.clone());
    }
    for lab in &catalog.labs {
        body.push_str(&lab_section(lab, progress.lab(&lab.id), &ctx, text));
    }
    format!(
        "<!doctype html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>{title}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n{body}</body>\n</html>\n",
        lang = text.lang().code(),
        title = escape(&title),
    )
}

const STYLE: &str = "body{font-family:sans-serif;max-width:60em;margin:2em auto;color:#222}\
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:.2em .6em;\
text-align:left}td.value{text-align:right}.passed{color:#176b2c}.failed{color:#a11}\
section{margin-top:2em}.charts svg{margin:.3em}";

/// The grade: score, then a row per lab with its points.
fn grade_table(grade: &Grade, text: &Text) -> String {
    let mut out = format!(
        "<h2>{}</h2>\n<p id=\"score\" data-value=\"{}\">{}</p>\n",
        escape(&msg!(text, "handin-grade")),
        grade.score,
        escape(&msg!(
            text,
            "handin-score",
            score = format!("{:.2}", grade.score)
        ))
    );
    out.push_str(&format!(
        "<table id=\"grade\">\n<tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>\n",
        escape(&msg!(text, "handin-column-lab")),
        escape(&msg!(text, "handin-column-category")),
        escape(&msg!(text, "handin-column-points")),
        escape(&msg!(text, "handin-column-max")),
    ));
    for lab in &grade.labs {
        out.push_str(&format!(
            "<tr data-lab=\"{id}\"><td>{id}</td><td>{category}</td>{points}{max}</tr>\n",
            id = escape(&lab.id),
            category = escape(&grade::category_name(text, lab.category)),
            points = value_cell(lab.points),
            max = value_cell(lab.max_points),
        ));
    }
    out.push_str("</table>\n");
    out
}

/// What lab 1.1 measured with every optimisation off, and when: what the
/// relative targets of the later labs compare with.
fn baseline_table(baseline: &Baseline, text: &Text) -> String {
    let mut out = format!(
        "<h2>{}</h2>\n<p>{}</p>\n<table id=\"baseline\">\n",
        escape(&msg!(text, "handin-baseline")),
        escape(&msg!(
            text,
            "handin-baseline-at",
            at = baseline.at.format("%Y-%m-%d %H:%M UTC").to_string()
        ))
    );
    for (metric, value) in &baseline.measurements {
        out.push_str(&format!(
            "<tr data-metric=\"{metric}\"><td>{metric}</td>{}</tr>\n",
            value_cell(*value),
            metric = escape(metric),
        ));
    }
    out.push_str("</table>\n");
    out
}

/// A number as shown: two decimals, the exact value in `data-value`.
fn value_cell(value: f64) -> String {
    format!("<td class=\"value\" data-value=\"{value}\">{value:.2}</td>")
}

/// One lab: its state, the first and latest values against the targets,
/// and a chart per measured check.
fn lab_section(lab: &Lab, record: Option<&LabProgress>, ctx: &Context, text: &Text) -> String {
    let title = format!("{} — {}", lab.id, lab.title.get(text.lang()));
    let mut out = format!(
        "<section class=\"lab\" id=\"lab-{}\">\n<h2>{}</h2>\n",
        escape(&lab.id),
        escape(&title)
    );
    let Some(record) = record.filter(|r| !r.history.is_empty()) else {
        let attempts = record.map_or(0, |r| r.attempts);
        out.push_str(&format!(
            "<p>{}</p>\n</section>\n",
            escape(&msg!(text, "handin-no-history", attempts = attempts))
        ));
        return out;
    };
    let (state, class) = match record.status {
        LabStatus::Passed => (msg!(text, "handin-lab-passed"), "passed"),
        _ => (msg!(text, "handin-lab-not-passed"), "failed"),
    };
    out.push_str(&format!(
        "<p class=\"{class}\">{}</p>\n",
        escape(&msg!(
            text,
            "handin-attempts",
            attempts = record.attempts,
            state = state
        ))
    ));
    let first = &record.history[0];
    let latest = &record.history[record.history.len() - 1];
    out.push_str(&format!(
        "<table class=\"values\">\n<tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>\n",
        escape(&msg!(text, "handin-column-check")),
        escape(&msg!(text, "handin-column-target")),
        escape(&msg!(text, "handin-column-first")),
        escape(&msg!(text, "handin-column-latest")),
    ));
    let mut charts = String::new();
    for spec in &lab.checks {
        let id = spec.id();
        let series: Vec<(usize, f64, bool)> = record
            .history
            .iter()
            .enumerate()
            .filter_map(|(k, a)| a.measured.get(id).map(|v| (k + 1, *v, a.passed)))
            .collect();
        if series.is_empty() {
            continue;
        }
        let target = spec.target(ctx);
        let cell = |values: &BTreeMap<String, f64>| match values.get(id) {
            Some(v) => value_cell(*v),
            None => "<td class=\"value\">—</td>".to_string(),
        };
        out.push_str(&format!(
            "<tr data-check=\"{}\"><td>{}</td><td>{}</td>{}{}</tr>\n",
            escape(id),
            escape(id),
            escape(&target),
            cell(&first.measured),
            cell(&latest.measured)
        ));
        // A latency check's p50 and p99 around its p95, where kept.
        let others: Vec<(&str, Vec<(usize, f64)>)> = match spec.kind() {
            "latency" => crate::lab::runner::LATENCY_PERCENTILES
                .iter()
                .map(|percentile| {
                    let key = format!("{id}.{percentile}");
                    let points = record
                        .history
                        .iter()
                        .enumerate()
                        .filter_map(|(k, a)| a.measured.get(&key).map(|v| (k + 1, *v)))
                        .collect();
                    (percentile.trim_end_matches("_ms"), points)
                })
                .filter(|(_, points): &(&str, Vec<_>)| !points.is_empty())
                .collect(),
            _ => Vec::new(),
        };
        charts.push_str(&chart(id, &target, &series, &others, text));
    }
    out.push_str("</table>\n");
    out.push_str(&format!(
        "<div class=\"charts\">{charts}</div>\n</section>\n"
    ));
    out
}

/// A line beside a check's own: a latency check's p50 or p99 by attempt.
type Beside<'a> = (&'a str, Vec<(usize, f64)>);

/// One check's values over the lab's attempts: a line, a dot per attempt
/// (green passed, red not), the target in the caption; a latency check's
/// p50 and p99 as thin labelled lines around its p95.
fn chart(
    id: &str,
    target: &str,
    series: &[(usize, f64, bool)],
    others: &[Beside<'_>],
    text: &Text,
) -> String {
    let mut svg = String::new();
    let drawn = draw(&mut svg, id, target, series, others, text);
    match drawn {
        Ok(()) => svg,
        // Drawing into a String cannot fail on I/O; a plotters error is a
        // bug of ours, shown in place of the chart rather than losing the file.
        Err(e) => format!("<p>{}</p>", escape(&e.to_string())),
    }
}

fn draw(
    svg: &mut String,
    id: &str,
    target: &str,
    series: &[(usize, f64, bool)],
    others: &[Beside<'_>],
    text: &Text,
) -> Result<(), Box<dyn std::error::Error>> {
    let root = SVGBackend::with_string(svg, (420, 240)).into_drawing_area();
    root.fill(&WHITE)?;
    let values = || {
        series.iter().map(|p| p.1).chain(
            others
                .iter()
                .flat_map(|(_, points)| points.iter().map(|p| p.1)),
        )
    };
    let low = values().fold(f64::INFINITY, f64::min);
    let high = values().fold(f64::NEG_INFINITY, f64::max);
    let pad = ((high - low) * 0.1).max(high.abs() * 0.05).max(0.5);
    let last = series.last().map_or(1, |p| p.0);
    let mut chart = ChartBuilder::on(&root)
        .caption(format!("{id} ({target})"), ("sans-serif", 14))
        .margin(8)
        .x_label_area_size(40)
        .y_label_area_size(48)
        .build_cartesian_2d(0usize..last + 1, (low - pad)..(high + pad))?;
    chart
        .configure_mesh()
        .x_desc(msg!(text, "handin-axis-attempt"))
        .x_labels(last.min(10) + 1)
        .draw()?;
    chart.draw_series(LineSeries::new(
        series.iter().map(|p| (p.0, p.1)),
        BLUE.stroke_width(2),
    ))?;
    for (name, points) in others {
        let color = RGBColor(120, 120, 120);
        chart.draw_series(LineSeries::new(
            points.iter().copied(),
            color.stroke_width(1),
        ))?;
        // Labelled at its last point: "p50", "p99" (no legend box to read).
        if let Some(&(x, y)) = points.last() {
            chart.draw_series(std::iter::once(plotters::element::Text::new(
                name.to_string(),
                (x, y),
                ("sans-serif", 11).into_font().color(&color),
            )))?;
        }
    }
    chart.draw_series(series.iter().map(|&(x, y, passed)| {
        let color = if passed { GREEN } else { RED };
        Circle::new((x, y), 4, color.filled())
    }))?;
    root.present()?;
    Ok(())
}

/// Text for HTML.
fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::Lang;
    use crate::lab::progress::Measurement;

    #[test]
    fn the_report_is_self_contained_with_a_chart_per_measured_check() {
        let catalog = Catalog::embedded().expect("embedded pack");
        let text = Text::builtin(Lang::En);
        let mut progress = Progress::new();
        let at = |s: i64| chrono::DateTime::from_timestamp(1_790_000_000 + s, 0).unwrap();
        let hits = |v| Measurement::new("hit-ratio", v, crate::lab::progress::Better::Higher);
        progress.record_attempt("1.3-cache-aside", false, &[hits(41.5)], at(0));
        progress.record_attempt("1.3-cache-aside", true, &[hits(88.25)], at(60));
        let html = render(&catalog, &progress, &text);
        for external in ["<script", "<link", "src=", "@import", "url("] {
            assert!(!html.contains(external), "{external}");
        }
        assert!(html.contains("data-value=\"88.25\">88.25<"), "the latest");
        assert!(html.contains("data-value=\"41.5\">41.50<"), "the first");
        assert_eq!(html.matches("<svg").count(), 1, "one measured check");
        assert!(html.contains("hit-ratio ("), "the caption is SVG text");
        let grade = grade_from_progress(&catalog, &progress, &text);
        assert!(grade.score > 0.0);
        assert!(html.contains(&format!("data-value=\"{}\"", grade.score)));
    }

    #[test]
    fn a_latency_chart_draws_its_p50_and_p99_beside_the_p95() {
        let catalog = Catalog::embedded().expect("embedded pack");
        let text = Text::builtin(Lang::En);
        let mut progress = Progress::new();
        let at = |s: i64| chrono::DateTime::from_timestamp(1_790_000_000 + s, 0).unwrap();
        let lower = crate::lab::progress::Better::Lower;
        for (k, p95) in [30.0, 12.5].into_iter().enumerate() {
            let measured = [
                Measurement::new("detail", p95, lower),
                Measurement::new("detail.p50_ms", p95 / 3.0, lower),
                Measurement::new("detail.p99_ms", p95 * 2.0, lower),
            ];
            progress.record_attempt("1.3-cache-aside", k == 1, &measured, at(60 * k as i64));
        }
        let html = render(&catalog, &progress, &text);
        let section = html
            .split("id=\"lab-1.3-cache-aside\"")
            .nth(1)
            .expect("the lab's section");
        let svg = &section[..section.find("</section>").expect("end")];
        assert_eq!(svg.matches("<svg").count(), 1, "one chart for the check");
        assert!(
            svg.contains("p50\n</text>") && svg.contains("p99\n</text>"),
            "{svg}"
        );
        assert!(
            !html.contains("data-check=\"detail.p50_ms\""),
            "the percentiles are lines of the check's chart, not checks"
        );
        assert!(
            !html.contains("id=\"baseline\""),
            "no baseline measured yet"
        );

        // With lab 1.1's baseline, it is shown, and the relative target
        // reads in numbers.
        let baseline = [("detail.p95_ms".to_string(), 13.94)].into();
        progress.set_baseline(baseline, at(-600));
        let html = render(&catalog, &progress, &text);
        assert!(
            html.contains("<tr data-metric=\"detail.p95_ms\"><td>detail.p95_ms</td><td class=\"value\" data-value=\"13.94\">13.94</td></tr>"),
            "{html}"
        );
        assert!(
            html.contains("p95 &lt; 6.97 ms (half your baseline's 13.94 ms)"),
            "{html}"
        );
    }
}
