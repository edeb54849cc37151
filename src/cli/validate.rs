//! `perflab labs validate DIR`: proves a lab pack. The pack must read
//! cleanly (unique ids, known blocks, hints, both languages, a solution that
//! makes valid settings); then, on real services and the small catalog in a
//! database of its own (`perflab_validate`, or `<name>_validate` beside a
//! database named in the configuration), each check of every lab is proven
//! on its own: it fails in the lab's starting state — so it tests what the
//! lab teaches — unless the lab marks it as a guard (`guard = "why"`), which
//! must pass in both states; and the solution passes every check. Labs run in
//! order, so lab 1.1's solution measures the baseline the later labs'
//! relative targets compare with (run only when a lab asked for needs it).
//!
//! Its output is for the pack's author, in English, like every message about
//! the pack's files.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};

use super::check::{run_env, start_services};
use super::course::{CourseArgs, Failure};
use super::stop::StopSignal;
use crate::check::{CheckResult, Verdict};
use crate::config::Config;
use crate::fixtures::Scale;
use crate::lab::runner::{self, RunEnv};
use crate::lab::{Catalog, Lab};

#[derive(Debug, Subcommand)]
pub enum LabsCommand {
    /// Prove a pack: every lab's start fails its checks, its solution passes them.
    Validate(ValidateArgs),
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// The pack's labs folder (with solutions/ beside it).
    pub dir: PathBuf,
    /// Catalog size to validate on.
    #[arg(long, default_value = "small")]
    pub scale: Scale,
    /// Only these labs (`1.3` or `1.3-cache-aside`); the lab recording the
    /// baseline still runs first when one of them has a target relative to it.
    #[arg(long = "only")]
    pub only: Vec<String>,
}

pub async fn run(mut config: Config, course: &CourseArgs, command: &LabsCommand) -> ExitCode {
    let LabsCommand::Validate(args) = command;
    if config.database.url.is_some() {
        // Validation reseeds and drops indexes: never on a database a user named.
        return Failure::environment(
            "labs validate runs on a database of its own (perflab_validate) on the local \
             server; unset DATABASE_URL (and database.url) to run it",
        )
        .exit();
    }
    config.fixtures.scale = args.scale;
    // Its own database: validating must not reseed the student's catalog.
    config.database.name = format!("{}_validate", config.database.name);
    match validate(&config, course, args).await {
        Ok(code) => ExitCode::from(code),
        Err(failure) => failure.exit(),
    }
}

async fn validate(
    config: &Config,
    course: &CourseArgs,
    args: &ValidateArgs,
) -> Result<u8, Failure> {
    let catalog = Catalog::from_dir(&args.dir).map_err(|e| Failure {
        message: format!("the pack is invalid: {e}"),
        code: 1,
    })?;
    // `--only 1.3` or `--only 1.3-cache-aside`, as everywhere else.
    let mut only = Vec::new();
    for query in &args.only {
        let lab = catalog.find(query).ok_or_else(|| {
            Failure::environment(format!(
                "--only {query}: no such lab in {}",
                args.dir.display()
            ))
        })?;
        only.push(lab.id.clone());
    }
    println!("{}: {} labs read", args.dir.display(), catalog.labs.len());
    let mut stop = StopSignal::new().map_err(Failure::environment)?;
    let services = start_services(config, &catalog.text(course.lang()), true).await?;
    let env = run_env(config, &services, course)?;
    let mut baseline: Option<BTreeMap<String, f64>> = None;
    let mut problems = 0;
    let mut environment = false;
    let wanted = |lab: &Lab| only.is_empty() || only.contains(&lab.id);
    let baseline_needed = catalog.labs.iter().filter(|lab| wanted(lab)).any(|lab| {
        lab.checks
            .iter()
            .any(crate::check::CheckSpec::needs_baseline)
    });
    for lab in &catalog.labs {
        let runs = wanted(lab) || (lab.records_baseline && baseline_needed);
        if !runs {
            continue;
        }
        let verdict = tokio::select! {
            verdict = prove(&env, lab, &mut baseline) => verdict,
            () = stop.recv() => {
                // A dropped check puts back what it changed: before the
                // database it writes to goes away.
                crate::check::settle(SETTLE_LIMIT).await;
                services.shutdown().await;
                return Err(Failure::environment("interrupted; every server perflab started is stopped"));
            }
        };
        if wanted(lab) {
            println!("{}", verdict.line(lab));
            for line in verdict.check_lines(lab) {
                println!("    {line}");
            }
            for detail in &verdict.details {
                println!("    {detail}");
            }
            problems += usize::from(!verdict.ok());
        }
        environment |= verdict.environment;
    }
    services.shutdown().await;
    println!(
        "{}",
        match problems {
            0 => "pack valid: every check fails at the start (or is a guard that passes there) and every solution passes".to_string(),
            n => format!("{n} lab(s) do not prove themselves"),
        }
    );
    Ok(match (environment, problems) {
        (true, _) => super::EXIT_ENVIRONMENT,
        (false, 0) => 0,
        (false, _) => 1,
    })
}

/// How long an interrupted validation waits for a dropped check's clean-up.
const SETTLE_LIMIT: std::time::Duration = std::time::Duration::from_secs(10);

/// What one check showed in the two states.
struct CheckProof {
    id: String,
    guard: Option<String>,
    /// Its verdict in the starting state (`None`: the start could not run).
    start: Option<Verdict>,
    solved: Option<Verdict>,
}

impl CheckProof {
    /// A check is proven when it fails at the start and passes solved; a
    /// guard, when it passes in both.
    fn ok(&self) -> bool {
        let start_wanted = match self.guard {
            Some(_) => Verdict::Pass,
            None => Verdict::Fail,
        };
        self.start == Some(start_wanted) && self.solved == Some(Verdict::Pass)
    }

    fn line(&self) -> String {
        let mark = if self.ok() { "✓" } else { "✗" };
        let state = |v: Option<Verdict>| v.map_or("did not run".to_string(), |v| format!("{v:?}"));
        let (start, solved) = (state(self.start), state(self.solved));
        let why = match (&self.guard, self.ok()) {
            (Some(reason), true) => format!("guard, passes in both states: {reason}"),
            (None, true) => "fails at the start, passes solved".to_string(),
            (Some(reason), false) => format!(
                "guard ({reason}) must pass in both states: start {start}, solution {solved}"
            ),
            (None, false) if self.start == Some(Verdict::Pass) => format!(
                "passes at the start: make the start break it, or mark it `guard = \"why\"` \
                 in lab.toml (solution {solved})"
            ),
            (None, false) => {
                format!("start {start} (wanted Fail), solution {solved} (wanted Pass)")
            }
        };
        format!("{mark} {:<24} {why}", self.id)
    }
}

/// What one lab showed.
struct Proof {
    checks: Vec<CheckProof>,
    /// A run failed for the machine's sake (no shop, no Redis), not the pack's.
    environment: bool,
    details: Vec<String>,
}

impl Proof {
    fn start_ok(&self) -> bool {
        self.checks.iter().all(|c| {
            c.start
                == Some(if c.guard.is_some() {
                    Verdict::Pass
                } else {
                    Verdict::Fail
                })
        })
    }

    fn solution_ok(&self) -> bool {
        self.checks.iter().all(|c| c.solved == Some(Verdict::Pass))
    }

    fn ok(&self) -> bool {
        !self.checks.is_empty() && self.checks.iter().all(CheckProof::ok)
    }

    fn line(&self, lab: &Lab) -> String {
        let mark = |ok| if ok { "✓" } else { "✗" };
        format!(
            "{} {:<20} start fails {}   solution passes {}",
            mark(self.ok()),
            lab.id,
            mark(self.start_ok()),
            mark(self.solution_ok())
        )
    }

    fn check_lines(&self, _: &Lab) -> Vec<String> {
        self.checks.iter().map(CheckProof::line).collect()
    }
}

async fn prove(env: &RunEnv, lab: &Lab, baseline: &mut Option<BTreeMap<String, f64>>) -> Proof {
    let mut details = Vec::new();
    let mut environment = false;
    let mut blame = |e: &runner::RunError| {
        environment |= !matches!(
            e,
            runner::RunError::StartIndexes(_)
                | runner::RunError::Indexes(_)
                | runner::RunError::Settings(_)
        );
    };
    let start = match lab.start_settings() {
        // The runner applies the lab's starting indexes itself; the student
        // starts with an indexes.sql of their own that adds nothing.
        Ok(settings) => runner::run_lab(env, lab, &settings, None, baseline.clone()).await,
        Err(e) => Err(runner::RunError::Settings(e)),
    };
    let solved = match lab.solved_settings() {
        Ok(settings) => {
            let indexes = lab.solution.indexes.as_deref();
            runner::run_lab(env, lab, &settings, indexes, baseline.clone()).await
        }
        Err(e) => Err(runner::RunError::Settings(e)),
    };
    for (state, run) in [("start", &start), ("solution", &solved)] {
        if let Err(e) = run {
            blame(e);
            details.push(format!("{state}: {e}"));
        }
    }
    if let Ok(results) = &solved
        && lab.records_baseline
        && crate::check::lab_passed(results.iter().map(|r| r.verdict))
    {
        *baseline = Some(runner::baseline_of(results));
    }
    // The results come in the order of the lab's checks.
    let verdict_of = |run: &Result<Vec<CheckResult>, runner::RunError>, k: usize| {
        run.as_ref()
            .ok()
            .and_then(|results| results.get(k))
            .map(|r| r.verdict)
    };
    let checks: Vec<CheckProof> = lab
        .checks
        .iter()
        .enumerate()
        .map(|(k, spec)| CheckProof {
            id: spec.id().to_string(),
            guard: spec.guard().map(str::to_string),
            start: verdict_of(&start, k),
            solved: verdict_of(&solved, k),
        })
        .collect();
    // What the checks that did not prove themselves said, for the author.
    for (state, run) in [("start", &start), ("solution", &solved)] {
        let Ok(results) = run else { continue };
        for (proof, result) in checks.iter().zip(results) {
            if !proof.ok() {
                details.push(format!("  {state}: {}", describe(result)));
            }
        }
    }
    Proof {
        checks,
        environment,
        details,
    }
}

fn describe(r: &CheckResult) -> String {
    format!("{:?} {} — {}", r.verdict, r.id, r.message)
}
