//! `perflab labs validate DIR`: proves a lab pack. The pack must read
//! cleanly (unique ids, known blocks, hints, both languages, a solution that
//! makes valid settings); then, on real services and the small catalog in a
//! database of its own (`perflab_validate`), every lab's starting state must
//! fail at least one of its checks and its solution must pass them all. Labs
//! run in order, so lab 1.1's solution measures the baseline the later labs'
//! relative targets compare with.

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
    /// Only these labs (ids); the others still run first when a relative
    /// target needs lab 1.1's baseline.
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
    config.database.name = "perflab_validate".into();
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
    if let Some(unknown) = args.only.iter().find(|id| catalog.lab(id).is_none()) {
        return Err(Failure::environment(format!(
            "--only {unknown}: no such lab in {}",
            args.dir.display()
        )));
    }
    println!("{}: {} labs read", args.dir.display(), catalog.labs.len());
    let mut stop = StopSignal::new().map_err(Failure::environment)?;
    let services = start_services(config, true).await?;
    let env = run_env(config, &services, course)?;
    let mut baseline: Option<BTreeMap<String, f64>> = None;
    let mut problems = 0;
    let mut environment = false;
    for lab in &catalog.labs {
        let wanted = args.only.is_empty() || args.only.contains(&lab.id);
        if !wanted && !lab.records_baseline {
            continue;
        }
        let verdict = tokio::select! {
            verdict = prove(&env, lab, &mut baseline) => verdict,
            () = stop.recv() => {
                services.shutdown().await;
                return Err(Failure::environment("interrupted; every server perflab started is stopped"));
            }
        };
        if wanted {
            println!("{}", verdict.line(lab));
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
            0 => "pack valid: every start fails and every solution passes".to_string(),
            n => format!("{n} lab(s) do not prove themselves"),
        }
    );
    Ok(match (environment, problems) {
        (true, _) => super::EXIT_ENVIRONMENT,
        (false, 0) => 0,
        (false, _) => 1,
    })
}

/// What one lab showed.
struct Proof {
    start_failed: bool,
    solution_passed: bool,
    /// A run failed for the machine's sake (no shop, no Redis), not the pack's.
    environment: bool,
    details: Vec<String>,
}

impl Proof {
    fn ok(&self) -> bool {
        self.start_failed && self.solution_passed
    }

    fn line(&self, lab: &Lab) -> String {
        let mark = |ok| if ok { "✓" } else { "✗" };
        format!(
            "{} {:<20} start fails {}   solution passes {}",
            mark(self.ok()),
            lab.id,
            mark(self.start_failed),
            mark(self.solution_passed)
        )
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
        Ok(settings) => {
            runner::run_lab(
                env,
                lab,
                &settings,
                lab.start.indexes.as_deref(),
                baseline.clone(),
            )
            .await
        }
        Err(e) => Err(runner::RunError::Settings(e)),
    };
    let start_failed = match &start {
        Ok(results) => {
            let failed = results.iter().any(|r| r.verdict == Verdict::Fail)
                && !results.iter().any(|r| r.verdict == Verdict::Error);
            if !failed {
                details.push("start: no check failed (or one could not measure):".to_string());
                details.extend(describe(results));
            }
            failed
        }
        Err(e) => {
            blame(e);
            details.push(format!("start: {e}"));
            false
        }
    };
    let solved = match lab.solved_settings() {
        Ok(settings) => {
            let indexes = lab.solution.indexes.as_deref();
            runner::run_lab(env, lab, &settings, indexes, baseline.clone()).await
        }
        Err(e) => Err(runner::RunError::Settings(e)),
    };
    let solution_passed = match &solved {
        Ok(results) => {
            let passed = crate::check::lab_passed(results.iter().map(|r| r.verdict));
            if passed && lab.records_baseline {
                *baseline = Some(runner::baseline_of(results));
            }
            if !passed {
                details.push("solution: not every check passed:".to_string());
                details.extend(describe(results));
            }
            passed
        }
        Err(e) => {
            blame(e);
            details.push(format!("solution: {e}"));
            false
        }
    };
    Proof {
        start_failed,
        solution_passed,
        environment,
        details,
    }
}

fn describe(results: &[CheckResult]) -> Vec<String> {
    results
        .iter()
        .map(|r| format!("  {:?} {} — {}", r.verdict, r.id, r.message))
        .collect()
}
