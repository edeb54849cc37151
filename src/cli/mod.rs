//! The command line: clap definitions and dispatch. No logic of its own: each
//! subcommand calls the piece of DESIGN.md that does the work and maps its errors
//! to one line and an exit code (0 ok, 1 a check failed, 2 usage or environment).

mod bench;
mod check;
mod class;
mod course;
mod doctor;
mod explain;
mod grade;
mod hint;
mod html_report;
mod init;
mod list;
mod profile;
mod report;
mod reset;
mod seed;
mod serve;
mod stop;
mod tui;
mod validate;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::Config;

/// perflab — a lab runner for the web API performance course.
#[derive(Debug, Parser)]
#[command(name = "perflab", version, about)]
pub struct Cli {
    /// Configuration file (default: ./perflab.toml if present).
    #[arg(long, global = true, env = "PERFLAB_CONFIG")]
    pub config: Option<PathBuf>,
    #[command(flatten)]
    pub course: course::CourseArgs,
    /// Without a command: the TUI (the course day).
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub tui: tui::TuiArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the shop API in the foreground and print its URLs.
    Serve(serve::ServeArgs),
    /// Say what PostgreSQL and Redis perflab finds, and what to do about anything missing
    /// (--fix installs it).
    Doctor(doctor::DoctorArgs),
    /// Load the catalog into the perflab database (reused when already there).
    Seed(seed::SeedArgs),
    /// Drive load at URLs (closed loop, or open loop with --rate) and report latency.
    Bench(bench::BenchArgs),
    /// Create the student's workspace (shop.toml, indexes.sql, progress.json).
    Init(init::InitArgs),
    /// The day's labs by block, with your progress.
    List,
    /// A lab's instructions, what to edit and its checks.
    Show(list::ShowArgs),
    /// Run a lab's checks (or every lab's) and print measured vs target.
    Check(check::CheckArgs),
    /// Grade every lab with the course's weights (performance 40 %, monitoring 30 %, code 30 %).
    Grade(grade::GradeArgs),
    /// The plan of a lab's query (or a named query) with your indexes.sql, as a tree.
    Explain(explain::ExplainArgs),
    /// Sample a running shop's CPU for N seconds: a flamegraph SVG and its hottest functions.
    Profile(profile::ProfileArgs),
    /// The next hint of a lab.
    Hint(hint::HintArgs),
    /// A lab's reference solution (recorded in your progress); --apply writes it.
    Solution(hint::SolutionArgs),
    /// Put a lab's files back to its starting state (asks first unless --yes).
    Reset(reset::ResetArgs),
    /// Write the report you hand in: one HTML file with your attempts, charts and grade.
    Report(html_report::ReportArgs),
    /// Tools for lab authors.
    #[command(subcommand)]
    Labs(validate::LabsCommand),
}

/// Exit code for usage or environment errors.
pub const EXIT_ENVIRONMENT: u8 = 2;

/// Parses the command line and runs it.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::load(cli.config.as_deref()) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("perflab: {e}");
            return ExitCode::from(EXIT_ENVIRONMENT);
        }
    };
    // The TUI owns the terminal: its logs go to a file, never over the screen.
    match &cli.command {
        None => init_tracing_to_file(&config.state_dir().join("perflab.log")),
        Some(_) => init_tracing(),
    }
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("perflab: cannot start the async runtime: {e}");
            return ExitCode::from(EXIT_ENVIRONMENT);
        }
    };
    runtime.block_on(async move {
        let Some(command) = cli.command else {
            return tui::run(config, &cli.course, &cli.tui).await;
        };
        match command {
            Command::Serve(args) => serve::run(config, args, cli.course.lang()).await,
            Command::Doctor(args) => doctor::run(&config, &args, cli.course.lang()).await,
            Command::Seed(args) => seed::run(config, args, cli.course.lang()).await,
            Command::Bench(args) => bench::run(args).await,
            Command::Init(args) => init::run(&cli.course, &args),
            Command::List => list::list(&cli.course),
            Command::Show(args) => list::show(&cli.course, &args),
            Command::Check(args) => check::run(config, &cli.course, &args).await,
            Command::Grade(args) => grade::run(config, &cli.course, &args).await,
            Command::Explain(args) => explain::run(config, &cli.course, &args).await,
            Command::Profile(args) => profile::run(config, args, cli.course.lang()).await,
            Command::Hint(args) => hint::hint(&cli.course, &args),
            Command::Solution(args) => hint::solution(&cli.course, &args),
            Command::Reset(args) => reset::run(&cli.course, &args),
            Command::Report(args) => html_report::run(&cli.course, &args),
            Command::Labs(command) => validate::run(config, &cli.course, &command).await,
        }
    })
}

fn init_tracing_to_file(path: &std::path::Path) {
    use tracing_subscriber::EnvFilter;
    let file = path.parent().map(std::fs::create_dir_all).and_then(|_| {
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .ok()
    });
    let Some(file) = file else {
        return;
    };
    let filter =
        EnvFilter::try_from_env("PERFLAB_LOG").unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let log = tracing_subscriber::fmt::layer()
        .with_ansi(false)
        .with_writer(std::sync::Mutex::new(file));
    init_subscriber(log, filter);
}

fn init_tracing() {
    use tracing_subscriber::EnvFilter;
    let filter =
        EnvFilter::try_from_env("PERFLAB_LOG").unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let log = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
    init_subscriber(log, filter);
}

/// The process's subscriber: the log layer under its own filter, and the
/// shop's statement counter (`X-Query-Count`) under its own, so the log's
/// `sqlx=warn` does not hide the statements from the counter.
fn init_subscriber<L>(log: L, filter: tracing_subscriber::EnvFilter)
where
    L: tracing_subscriber::Layer<tracing_subscriber::Registry> + Send + Sync,
{
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let _ = tracing_subscriber::registry()
        .with(log.with_filter(filter))
        .with(crate::shop::store::statements::layer())
        .try_init();
}
