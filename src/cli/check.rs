//! `perflab check LAB|--all`: runs labs' checks and prints measured vs
//! target. In a workspace it starts the shop with the student's `shop.toml`
//! and `indexes.sql` on the services perflab finds, records the attempt in
//! progress (lab 1.1 records the baseline); with `--target URL` it measures
//! any API that follows the contract through HTTP alone, records nothing,
//! and marks the checks that need more as not applicable.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};

use super::course::{CourseArgs, Failure, find_lab, load_progress, save_progress, workspace};
use super::report::{self, LabReport};
use super::stop::StopSignal;
use crate::config::Config;
use crate::fixtures::SeedOptions;
use crate::lab::runner::{self, RunEnv};
use crate::lab::{Lab, Workspace};
use crate::services::{self, Services, redis::RedisAvailability};

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The lab (`1.3-cache-aside` or `1.3`).
    #[arg(required_unless_present = "all", conflicts_with = "all")]
    pub lab: Option<String>,
    /// Every lab, in order.
    #[arg(long)]
    pub all: bool,
    /// Measure this API instead of starting the shop (HTTP-only checks).
    #[arg(long)]
    pub target: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Write the report here instead of stdout.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Human,
    Json,
    Junit,
}

pub async fn run(config: Config, course: &CourseArgs, args: &CheckArgs) -> ExitCode {
    match check(config, course, args).await {
        Ok(code) => ExitCode::from(code),
        Err(failure) => failure.exit(),
    }
}

async fn check(config: Config, course: &CourseArgs, args: &CheckArgs) -> Result<u8, Failure> {
    let catalog = course.catalog()?;
    let labs: Vec<&Lab> = match &args.lab {
        Some(query) => vec![find_lab(&catalog, query)?],
        None => catalog.labs.iter().collect(),
    };
    let human = args.format == Format::Human && args.out.is_none();
    let print = |lab: &LabReport| {
        if human {
            print!("{}", report::human_lab(lab, course.lang()));
        }
    };
    let (reports, students_fault) = match &args.target {
        Some(url) => (against(url, &labs, course, print).await, false),
        None => {
            let workspace = workspace()?;
            // Only a run of lab 1.1 by name may replace the baseline: a later
            // `--all` with the cache off (Block 2) must not move the reference.
            let record = Record::Attempts {
                baseline: args.lab.is_some(),
            };
            in_workspace(&config, &workspace, &labs, course, record, print).await?
        }
    };
    write_report(args, &reports, course)?;
    Ok(report::exit_code(&reports, students_fault))
}

pub(super) async fn against(
    url: &str,
    labs: &[&Lab],
    course: &CourseArgs,
    print: impl Fn(&LabReport),
) -> Vec<LabReport> {
    let mut reports = Vec::new();
    for lab in labs {
        let results = runner::run_against(url, lab, course.lang()).await;
        let report = LabReport::new(&lab.id, lab.title.get(course.lang()), results, None);
        print(&report);
        reports.push(report);
    }
    reports
}

const INTERRUPTED: &str =
    "interrupted; the shops and servers perflab started are stopped, progress so far is saved";

/// What a workspace run writes into progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Record {
    /// Nothing (grading reads, it does not count attempts).
    Nothing,
    /// Attempts and best values; the baseline too when `baseline`.
    Attempts { baseline: bool },
}

/// Runs `labs` on the student's workspace; returns the reports and whether
/// a lab could not run because of the student's own files.
pub(super) async fn in_workspace(
    config: &Config,
    workspace: &Workspace,
    labs: &[&Lab],
    course: &CourseArgs,
    record_as: Record,
    print: impl Fn(&LabReport),
) -> Result<(Vec<LabReport>, bool), Failure> {
    // The student's own file is at fault: a failed check's exit code.
    let settings = workspace.settings().map_err(|e| Failure {
        message: format!("{e}; fix shop.toml (or `perflab reset LAB` to start the lab again)"),
        code: 1,
    })?;
    let indexes = workspace
        .indexes()
        .map_err(|e| Failure::environment(format!("cannot read indexes.sql: {e}")))?;
    let mut progress = load_progress(workspace)?;
    let mut stop = StopSignal::new().map_err(Failure::environment)?;
    let services = start_services(config, true).await?;
    let env = run_env(config, &services, course)?;
    let mut reports = Vec::new();
    let mut students_fault = false;
    for lab in labs {
        let baseline = progress.baseline().map(|b| b.measurements.clone());
        let run = runner::run_lab(&env, lab, &settings, Some(&indexes), baseline.clone());
        let run = tokio::select! {
            run = run => run,
            // Dropping the run stops its shops (kill on drop) and its Redis;
            // a dropped check's prices go back before the database stops.
            () = stop.recv() => {
                crate::check::settle(std::time::Duration::from_secs(10)).await;
                services.shutdown().await;
                return Err(Failure::environment(INTERRUPTED));
            }
        };
        let report = match run {
            Ok(results) => {
                if let Record::Attempts { baseline } = record_as {
                    runner::record(&mut progress, lab, &results, baseline);
                }
                LabReport::new(&lab.id, lab.title.get(env.lang), results, baseline.as_ref())
            }
            Err(e) => {
                students_fault |= e.is_students();
                LabReport::failed_to_run(lab, env.lang, e.to_string(), e.is_students())
            }
        };
        if record_as != Record::Nothing {
            progress.set_current(&lab.id);
            // Saved after every lab: an interrupted --all keeps what it measured.
            save_progress(workspace, &progress)?;
        }
        print(&report);
        reports.push(report);
    }
    services.shutdown().await;
    Ok((reports, students_fault))
}

/// PostgreSQL and Redis as `perflab serve` finds them, with the catalog loaded.
pub async fn start_services(config: &Config, announce: bool) -> Result<Services, Failure> {
    let services = services::start(config)
        .await
        .map_err(|e| Failure::environment(e.to_string()))?;
    let seed = SeedOptions {
        scale: config.fixtures.scale,
        seed: config.fixtures.seed,
        force: false,
        progress: false,
    };
    if let Err(e) = super::seed::ensure_seeded(&services.postgres.url, &seed, announce).await {
        services.shutdown().await;
        return Err(Failure::environment(e));
    }
    Ok(services)
}

pub fn run_env(
    config: &Config,
    services: &Services,
    course: &CourseArgs,
) -> Result<RunEnv, Failure> {
    let program = std::env::current_exe()
        .map_err(|e| Failure::environment(format!("cannot find the perflab binary: {e}")))?;
    Ok(RunEnv {
        program,
        state_dir: config.state_dir(),
        database_url: services.postgres.url.clone(),
        redis_url: match &services.redis {
            RedisAvailability::Up(redis) => Some(redis.url.clone()),
            RedisAvailability::Missing { .. } => None,
        },
        scale: config.fixtures.scale,
        seed: config.fixtures.seed,
        lang: course.lang(),
    })
}

fn write_report(
    args: &CheckArgs,
    reports: &[LabReport],
    course: &CourseArgs,
) -> Result<(), Failure> {
    let text = match args.format {
        Format::Human if args.out.is_none() => return Ok(()),
        Format::Human => reports
            .iter()
            .map(|r| report::human_lab(r, course.lang()))
            .collect(),
        Format::Json => report::json(reports),
        Format::Junit => report::junit(reports)
            .map_err(|e| Failure::environment(format!("cannot write JUnit XML: {e}")))?,
    };
    match &args.out {
        Some(path) => crate::lab::atomic_file::atomic_write(path, text.as_bytes())
            .map_err(|e| Failure::environment(format!("cannot write {}: {e}", path.display()))),
        None => {
            print!("{text}");
            Ok(())
        }
    }
}
