//! `perflab check LAB|--all`: runs labs' checks and prints measured vs
//! target. In a workspace it starts the shop with the student's `shop.toml`
//! and `indexes.sql` on the services perflab finds, records the attempt in
//! progress (lab 1.1 records the baseline). With `--target URL` it measures
//! any API that follows the contract through HTTP alone — and the instances
//! given with `--peer URL`, for the checks that compare two — records nothing
//! in the workspace, keeps lab 1.1's baseline for that API apart
//! (`lab::targets`), and marks the checks that need more as not applicable.
//!
//! `grade` runs labs through the same two functions ([`in_workspace`],
//! [`against`]). Ctrl-C, SIGTERM or SIGHUP stop a run's shops gracefully
//! (`Staged::stop`), so no endpoint file is left behind.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::{Args, ValueEnum};

use super::course::{CourseArgs, Failure, find_lab, find_workspace, load_progress, save_progress};
use super::report::{self, LabReport};
use super::stop::StopSignal;
use crate::check::{self, CheckResult};
use crate::config::Config;
use crate::fixtures::SeedOptions;
use crate::lab::runner::{self, RunEnv, RunError, Staged};
use crate::lab::targets::{self, Target, TargetStore};
use crate::lab::{Lab, Workspace};
use crate::messages::Text;
use crate::msg;
use crate::services::{self, Services, redis::RedisAvailability};

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The lab (`1.3-cache-aside` or `1.3`).
    #[arg(required_unless_present = "all", conflicts_with = "all")]
    pub lab: Option<String>,
    /// Every lab, in order.
    #[arg(long)]
    pub all: bool,
    #[command(flatten)]
    pub target: TargetArgs,
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Write the report here instead of stdout.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// `--target URL [--peer URL]…`, shared by `check` and `grade`.
#[derive(Debug, Clone, Args)]
pub struct TargetArgs {
    /// Measure this API instead of starting the shop (HTTP-only checks).
    #[arg(long, value_name = "URL")]
    pub target: Option<String>,
    /// Another instance of the --target API, on the same database and Redis,
    /// for the checks that compare instances (lab 1.5); repeatable.
    #[arg(long, value_name = "URL", requires = "target")]
    pub peer: Vec<String>,
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
    let text = course.text(&catalog);
    let labs: Vec<&Lab> = match &args.lab {
        Some(query) => vec![find_lab(&catalog, &text, query)?],
        None => catalog.labs.iter().collect(),
    };
    let human = args.format == Format::Human && args.out.is_none();
    let print = |lab: &LabReport| {
        if human {
            print!("{}", report::human_lab(lab, &text));
        }
    };
    let reports = match &args.target.target {
        Some(url) => {
            let target = open_target(&config, url, &args.target.peer, &text)?;
            // As in a workspace, only lab 1.1 named on its own may replace
            // the API's baseline.
            let store = args
                .lab
                .is_some()
                .then(|| TargetStore::new(&config.state_dir()));
            against(&target, &labs, &text, store.as_ref(), print).await
        }
        None => {
            let workspace = find_workspace(&text)?;
            // Only a run of lab 1.1 by name may replace the baseline: a later
            // `--all` with the cache off (Block 2) must not move the reference.
            let record = Record::Attempts {
                baseline: args.lab.is_some(),
            };
            in_workspace(&config, &workspace, &labs, course, &text, record, print).await?
        }
    };
    write_report(args, &reports, &text)?;
    Ok(report::exit_code(&reports))
}

/// The `--target` API with its peers and the baseline kept for it.
pub(super) fn open_target(
    config: &Config,
    url: &str,
    peers: &[String],
    text: &Text,
) -> Result<Target, Failure> {
    let invalid = |e: targets::TargetError| Failure::environment(e.render(text));
    for peer in peers {
        targets::validate_url(peer).map_err(invalid)?;
    }
    let baseline = TargetStore::new(&config.state_dir())
        .baseline(url)
        .map_err(invalid)?;
    Ok(Target {
        url: url.to_string(),
        peers: peers.to_vec(),
        baseline: baseline.map(|b| b.measurements),
    })
}

/// Runs `labs` against the target. With `store`, a passed baseline lab's
/// fresh measurements become the target's baseline (and the labs after it
/// compare with them).
pub(super) async fn against(
    target: &Target,
    labs: &[&Lab],
    text: &Text,
    store: Option<&TargetStore>,
    print: impl Fn(&LabReport),
) -> Vec<LabReport> {
    let mut target = target.clone();
    let mut reports = Vec::new();
    for lab in labs {
        let started = Instant::now();
        let results = runner::run_against(&target, lab, text).await;
        if let Some(store) = store {
            keep_target_baseline(store, &mut target, lab, &results, text);
        }
        let title = lab.title.get(text.lang());
        let report = LabReport::new(&lab.id, title, results, target.baseline.as_ref())
            .took(started.elapsed());
        print(&report);
        reports.push(report);
    }
    reports
}

/// Saves a passed baseline lab's measurements for the target and says where
/// (on stderr: stdout may be a JSON or JUnit document).
fn keep_target_baseline(
    store: &TargetStore,
    target: &mut Target,
    lab: &Lab,
    results: &[CheckResult],
    text: &Text,
) {
    let values = runner::baseline_of(results);
    let passed = check::lab_passed(results.iter().map(|r| r.verdict));
    if !lab.records_baseline || !passed || values.is_empty() {
        return;
    }
    match store.save_baseline(&target.url, values.clone(), chrono::Utc::now()) {
        Ok(path) => {
            let path = path.display().to_string();
            let url = target.url.as_str();
            eprintln!(
                "{}",
                msg!(text, "target-baseline-saved", url = url, path = path)
            );
            target.baseline = Some(values);
        }
        Err(e) => eprintln!("perflab: {}", e.render(text)),
    }
}

/// What a workspace run writes into progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Record {
    /// Nothing (grading reads, it does not count attempts).
    Nothing,
    /// Attempts and best values; the baseline too when `baseline`.
    Attempts { baseline: bool },
}

/// Runs `labs` on the student's workspace. A `shop.toml` that does not read
/// stops everything before a server starts (exit 2, naming key and line).
pub(super) async fn in_workspace(
    config: &Config,
    workspace: &Workspace,
    labs: &[&Lab],
    course: &CourseArgs,
    text: &Text,
    record_as: Record,
    print: impl Fn(&LabReport),
) -> Result<Vec<LabReport>, Failure> {
    let settings = workspace
        .shop_settings()
        .map_err(|e| Failure::environment(msg!(text, "shop-toml-fix", problem = e.render(text))))?;
    let indexes = workspace.indexes().map_err(|e| {
        Failure::environment(msg!(text, "run-indexes-unreadable", error = e.to_string()))
    })?;
    // SQL outside what the labs teach is refused before anything starts:
    // the student's file, so a failure (exit 1) in their words.
    crate::shop::store::student_sql::check(&indexes).map_err(|refused| Failure {
        message: runner::refused_line(
            text,
            &workspace.indexes_sql().display().to_string(),
            &refused,
        ),
        code: 1,
    })?;
    let mut progress = load_progress(workspace, text)?;
    let mut stop = StopSignal::new().map_err(Failure::environment)?;
    let services = start_services(config, text, true).await?;
    let env = run_env(config, &services, course)?;
    let mut reports = Vec::new();
    for lab in labs {
        let started = Instant::now();
        let baseline = progress.baseline().map(|b| b.measurements.clone());
        let run = run_lab(&env, lab, &settings, &indexes, baseline.clone(), &mut stop).await;
        let report = match run {
            Ok(Some(results)) => {
                if let Record::Attempts { baseline } = record_as {
                    runner::record(&mut progress, lab, &results, baseline);
                }
                LabReport::new(&lab.id, lab.title.get(env.lang), results, baseline.as_ref())
            }
            Ok(None) => {
                services.shutdown().await;
                return Err(Failure::environment(msg!(text, "run-interrupted")));
            }
            Err(e) => {
                let students = e.is_students();
                // The student's SQL refused is already a line in their
                // language (sql.ftl); the rest is the environment's.
                LabReport::failed_to_run(lab, text, e.to_string(), students)
            }
        };
        let report = report.took(started.elapsed());
        if record_as != Record::Nothing {
            progress.set_current(&lab.id);
            // Saved after every lab: an interrupted --all keeps what it measured.
            save_progress(workspace, &progress, text)?;
        }
        print(&report);
        reports.push(report);
    }
    services.shutdown().await;
    Ok(reports)
}

/// Starts the lab's stage, runs its checks and stops it; `Ok(None)` when a
/// stop signal came. Either way the shops are stopped gracefully (their
/// endpoint files removed): one that is starting is let finish, then stopped.
/// How long an interrupted run waits for a dropped check to put back what it changed.
const SETTLE_LIMIT: std::time::Duration = std::time::Duration::from_secs(10);

async fn run_lab(
    env: &RunEnv,
    lab: &Lab,
    settings: &crate::shop::settings::ShopSettings,
    indexes: &str,
    baseline: Option<std::collections::BTreeMap<String, f64>>,
    stop: &mut StopSignal,
) -> Result<Option<Vec<CheckResult>>, RunError> {
    let bar = PhaseBar::new();
    let on_phase = bar.on_phase(Text::from(env.lang));
    on_phase(runner::Phase::StartingShop);
    let start = Staged::start(env, lab, settings, Some(indexes));
    tokio::pin!(start);
    let (staged, interrupted) = tokio::select! {
        staged = &mut start => (staged, false),
        // Dropping a start half-way would SIGKILL the shops it made.
        () = stop.recv() => (start.await, true),
    };
    let staged = staged?;
    if interrupted {
        staged.stop().await;
        return Ok(None);
    }
    let ctx = staged.context(env, lab, baseline);
    let results = tokio::select! {
        results = runner::run_checks(lab, &ctx, &on_phase) => Some(results),
        () = stop.recv() => None,
    };
    on_phase(runner::Phase::Restoring);
    if results.is_none() {
        // A dropped check puts back the prices it changed: through the shop,
        // while it still runs.
        check::settle(SETTLE_LIMIT).await;
    }
    drop(ctx);
    staged.stop().await;
    Ok(results)
}

/// A one-line spinner on stderr saying where a lab run stands (starting the
/// shop, warm-up, measuring, restoring) with its elapsed and expected time,
/// redrawn every second — only when stderr is a terminal: a report piped or
/// captured by CI gets no control characters.
struct PhaseBar {
    bar: indicatif::ProgressBar,
}

impl PhaseBar {
    fn new() -> Self {
        use std::io::IsTerminal;
        let bar = match std::io::stderr().is_terminal() {
            true => indicatif::ProgressBar::new_spinner(),
            false => indicatif::ProgressBar::hidden(),
        };
        Self { bar }
    }

    /// What the runner tells: each phase restarts the line's clock; a task
    /// redraws it once a second with the phase's own words.
    fn on_phase(&self, text: Text) -> runner::OnPhase {
        let bar = self.bar.clone();
        let current = std::sync::Arc::new(std::sync::Mutex::new(None::<(runner::Phase, Instant)>));
        let ticker = std::sync::Arc::clone(&current);
        let ticking = bar.clone();
        let ticker_text = text.clone();
        if !bar.is_hidden() {
            bar.enable_steady_tick(std::time::Duration::from_millis(120));
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
                while !ticking.is_finished() {
                    tick.tick().await;
                    let line = match &*ticker.lock().unwrap_or_else(|p| p.into_inner()) {
                        Some((phase, since)) => phase.describe(&ticker_text, since.elapsed()),
                        None => continue,
                    };
                    ticking.set_message(line);
                }
            });
        }
        std::sync::Arc::new(move |phase: runner::Phase| {
            bar.set_message(phase.describe(&text, std::time::Duration::ZERO));
            *current.lock().unwrap_or_else(|p| p.into_inner()) = Some((phase, Instant::now()));
        })
    }
}

/// Gone with the run, however it ends (an error, Ctrl-C).
impl Drop for PhaseBar {
    fn drop(&mut self) {
        self.bar.finish_and_clear();
    }
}

/// PostgreSQL and Redis as `perflab serve` finds them, with the catalog loaded.
pub async fn start_services(
    config: &Config,
    text: &Text,
    announce: bool,
) -> Result<Services, Failure> {
    let services = services::start(config)
        .await
        .map_err(|e| Failure::environment(e.message(text)))?;
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

/// Where the run's shops start: this binary, on these services.
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

fn write_report(args: &CheckArgs, reports: &[LabReport], text: &Text) -> Result<(), Failure> {
    let document = match args.format {
        Format::Human if args.out.is_none() => return Ok(()),
        Format::Human => reports.iter().map(|r| report::human_lab(r, text)).collect(),
        Format::Json => report::json(reports),
        Format::Junit => report::junit(reports)
            .map_err(|e| Failure::environment(format!("cannot write JUnit XML: {e}")))?,
    };
    match &args.out {
        Some(path) => crate::lab::atomic_file::atomic_write(path, document.as_bytes())
            .map_err(|e| Failure::environment(format!("cannot write {}: {e}", path.display()))),
        None => {
            print!("{document}");
            Ok(())
        }
    }
}
