//! What a check hands back: a [`Verdict`] and a [`CheckResult`] carrying the
//! measured value, the target and the learner message. Plain data, so the
//! human, JSON and JUnit printers and the TUI render it without knowing kinds.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;

use crate::messages::Text;
use crate::msg;

/// The outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The measured value meets the target.
    Pass,
    /// It does not: the message says what to look at next.
    Fail,
    /// The check cannot run against this target (e.g. no control API with
    /// `--target URL`); it neither passes nor fails.
    NotApplicable,
    /// Measuring went wrong (unreachable shop, time limit): not the student's
    /// score, an environment problem.
    Error,
}

/// Whether a lab with these verdicts passed: at least one check passed and
/// none failed or could not measure (not-applicable ones neither help nor
/// hurt). The one rule the reports, progress and the TUI share.
pub fn lab_passed(verdicts: impl IntoIterator<Item = Verdict>) -> bool {
    let mut any_pass = false;
    for verdict in verdicts {
        match verdict {
            Verdict::Pass => any_pass = true,
            Verdict::NotApplicable => {}
            Verdict::Fail | Verdict::Error => return false,
        }
    }
    any_pass
}

/// The unit a check's `measured` value is in: every printed value carries it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// Milliseconds (latencies).
    Ms,
    /// A percentage, 0–100 (hit ratio, a share of writes).
    Percent,
    /// Requests per second.
    PerSecond,
    /// A plain count (stale reads, queries, connections, 5xx answers).
    Count,
    /// Megabytes (memory).
    Megabytes,
}

/// A measured value as printed: with its unit, or "—" when there is no
/// value or no unit to say what it means.
pub fn measured_text(measured: Option<f64>, unit: Option<Unit>) -> String {
    match (measured, unit) {
        (Some(value), Some(unit)) => unit.format(value),
        _ => "—".to_string(),
    }
}

impl Unit {
    /// `value` with its unit, as printed: "4.49 ms", "98.8 %", "844 req/s", "3", "13 MB".
    pub fn format(self, value: f64) -> String {
        match self {
            Self::Ms if value < 10.0 => format!("{value:.2} ms"),
            Self::Ms => format!("{value:.1} ms"),
            Self::Percent => format!("{value:.1} %"),
            Self::PerSecond => format!("{value:.0} req/s"),
            Self::Count => format!("{value:.0}"),
            Self::Megabytes => format!("{value:.0} MB"),
        }
    }

    /// A target's bound as the lab wrote it, with the unit: "80 %", "50 ms",
    /// "0.5 ms" — no digits the lab did not give.
    pub fn target(self, value: f64) -> String {
        // Rounded first: 0.07 × 100 is 7.000000000000001 in binary.
        let value = (value * 1000.0).round() / 1000.0;
        match self {
            Self::Count => format!("{value}"),
            Self::Ms => format!("{value} ms"),
            Self::Percent => format!("{value} %"),
            Self::PerSecond => format!("{value} req/s"),
            Self::Megabytes => format!("{value} MB"),
        }
    }
}

/// One check's result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckResult {
    /// The lab's id for the check (its kind when the lab gives none).
    pub id: String,
    pub kind: &'static str,
    /// The value measured, in `unit`, when the check measured one value;
    /// `None` for checks whose result is a judgement, not a number.
    pub measured: Option<f64>,
    /// The unit of `measured` (always set when `measured` is).
    pub unit: Option<Unit>,
    /// The target in words, e.g. "p95 < 50 ms".
    pub target: String,
    pub verdict: Verdict,
    /// For the learner, in the context's language.
    pub message: String,
    /// Everything else the kind measured (`p50_ms`, `rps`, `requests`…): what
    /// progress keeps as best values and lab 1.1 keeps as the baseline.
    pub details: BTreeMap<String, f64>,
    pub elapsed: Duration,
}

/// The last sentence of a message: "target met", or the kind's hint.
pub(crate) fn next_step(text: &Text, ok: bool, hint: impl FnOnce() -> String) -> String {
    match ok {
        true => msg!(text, "check-target-met"),
        false => hint(),
    }
}

/// "p95 2.4× better than your baseline", or "1.4× slower" when `factor`
/// (baseline p95 / this p95) is below 1: never "0.7× better".
pub fn vs_baseline(text: &Text, factor: f64) -> String {
    let (slower, factor) = match factor < 1.0 && factor > 0.0 {
        true => ("yes", 1.0 / factor),
        false => ("no", factor),
    };
    msg!(
        text,
        "check-vs-baseline",
        slower = slower,
        factor = format!("{factor:.1}")
    )
}

/// What a kind measured, before the runner adds id, kind and time.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub measured: Option<f64>,
    pub unit: Option<Unit>,
    pub verdict: Verdict,
    pub message: String,
    pub details: BTreeMap<String, f64>,
}

impl Outcome {
    /// A value measured in `unit`, judged: `Pass` when `ok`, else `Fail`.
    pub fn measured(ok: bool, value: f64, unit: Unit, message: String) -> Self {
        Self {
            measured: Some(value),
            unit: Some(unit),
            ..Self::judgement(ok, message)
        }
    }

    /// A judgement that is not one number (headers present, fields equal):
    /// nothing to print in a "measured" column.
    pub fn judgement(ok: bool, message: String) -> Self {
        Self::unjudged(if ok { Verdict::Pass } else { Verdict::Fail }, message)
    }

    /// An outcome that is not a judgement of the student's work.
    pub fn unjudged(verdict: Verdict, message: String) -> Self {
        Self {
            measured: None,
            unit: None,
            verdict,
            message,
            details: BTreeMap::new(),
        }
    }

    /// Adds the other values measured.
    pub fn with_details<'a>(mut self, details: impl IntoIterator<Item = (&'a str, f64)>) -> Self {
        self.details
            .extend(details.into_iter().map(|(k, v)| (k.to_string(), v)));
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_unit_prints_its_symbol() {
        assert_eq!(Unit::Ms.format(4.487), "4.49 ms");
        assert_eq!(Unit::Ms.format(58.04), "58.0 ms");
        assert_eq!(Unit::Percent.format(98.76), "98.8 %");
        assert_eq!(Unit::PerSecond.format(843.6), "844 req/s");
        assert_eq!(Unit::Count.format(2.0), "2");
        assert_eq!(Unit::Megabytes.format(13.2), "13 MB");
    }

    #[test]
    fn a_target_keeps_the_digits_the_lab_gave() {
        assert_eq!(Unit::Percent.target(0.07 * 100.0), "7 %");
        assert_eq!(Unit::Percent.target(80.0), "80 %");
        assert_eq!(Unit::Ms.target(0.001), "0.001 ms");
        assert_eq!(Unit::Ms.target(6.9712), "6.971 ms");
        assert_eq!(Unit::Count.target(3.0), "3");
    }

    #[test]
    fn a_ratio_below_one_reads_slower() {
        let en = Text::from(super::super::Lang::En);
        assert_eq!(vs_baseline(&en, 2.44), "p95 2.4× better than your baseline");
        assert_eq!(vs_baseline(&en, 0.7), "p95 1.4× slower than your baseline");
        let es = Text::from(super::super::Lang::Es);
        assert_eq!(
            vs_baseline(&es, 0.5),
            "p95 2.0× más lento que tu línea base"
        );
    }

    #[test]
    fn a_lab_passes_on_a_pass_and_nothing_worse() {
        use Verdict::*;
        assert!(lab_passed([Pass, NotApplicable]));
        assert!(
            !lab_passed([NotApplicable]),
            "nothing measured is not a pass"
        );
        assert!(!lab_passed([Pass, Fail]));
        assert!(!lab_passed([Pass, Error]));
        assert!(!lab_passed([]));
    }
}
