//! `perflab doctor`: what PostgreSQL and Redis perflab finds, and what to do
//! about anything missing. It only looks (via [`services::probe`]); it never
//! starts a scratch server or creates a database just to report.
//!
//! Exit 0 when the shop can run (PostgreSQL reachable, or a scratch cluster can
//! be started), else [`EXIT_ENVIRONMENT`].
//!
//! `--fix` installs what is missing with the system's package manager
//! ([`services::install`]): it shows the exact commands, then runs them with
//! `--yes`, or after a y/N on a terminal; without either it refuses in one
//! line. Then it looks again and reports as above.

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Args;

use super::EXIT_ENVIRONMENT;
use crate::config::Config;
use crate::services::install::{self, Consent, Machine, Plan, StepOutcome};
use crate::services::{self, Origin, PostgresReport, RedisReport};

#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// Install what is missing (PostgreSQL, pg_trgm, Redis) with the system's
    /// package manager, after showing the commands and asking.
    #[arg(long)]
    pub fix: bool,
    /// With --fix: install without asking (needed without a terminal).
    #[arg(long, requires = "fix")]
    pub yes: bool,
}

pub async fn run(config: &Config, args: &DoctorArgs) -> ExitCode {
    if args.fix
        && let Err(problem) = fix(config, args.yes).await
    {
        eprintln!("perflab: {problem}");
        return ExitCode::from(EXIT_ENVIRONMENT);
    }
    report(config).await
}

/// Installs what is missing, with consent. `Err` is one line for stderr.
async fn fix(config: &Config, yes: bool) -> Result<(), String> {
    let missing = install::missing(config).await;
    let machine = tokio::task::spawn_blocking(Machine::detect)
        .await
        .map_err(|e| format!("cannot look at this machine: {e}"))?;
    let Some(plan) = machine.plan(&missing).map_err(|e| e.to_string())? else {
        println!("Nothing to install: PostgreSQL, pg_trgm and Redis are here.\n");
        return Ok(());
    };
    let terminal = std::io::stdin().is_terminal();
    match install::consent(yes, terminal) {
        Consent::Refused => return Err(refusal(&plan)),
        Consent::Given => print_plan(&plan),
        Consent::Ask => {
            print_plan(&plan);
            if !ask("Run these commands? [y/N] ").await {
                return Err("nothing was installed (you said no)".into());
            }
        }
    }
    install::run(
        &plan,
        |step| println!("\n→ {}", step.command_line()),
        |step, outcome| {
            if let StepOutcome::FailedHarmlessly(status) = outcome {
                println!(
                    "  ({status}: `{}` was already done; going on)",
                    step.argv.first().map(String::as_str).unwrap_or("")
                );
            }
        },
    )
    .await
    .map_err(|e| e.to_string())?;
    println!("\nInstalled. Looking again:\n");
    Ok(())
}

fn missing_names(plan: &Plan) -> String {
    let names: Vec<&str> = plan.missing.iter().map(|m| m.name()).collect();
    names.join(", ")
}

/// The one line without consent: what would run, and how to allow it.
fn refusal(plan: &Plan) -> String {
    format!(
        "doctor --fix would install {} with {} but has no terminal to ask; \
         run it again with --yes to install without asking",
        missing_names(plan),
        plan.manager
    )
}

fn print_plan(plan: &Plan) {
    println!(
        "Missing: {}. perflab will run, with {}:",
        missing_names(plan),
        plan.manager
    );
    for step in &plan.steps {
        println!("  {}", step.command_line());
    }
}

/// Asks a y/N question on the terminal; anything but y/yes is no.
async fn ask(question: &str) -> bool {
    use std::io::Write;
    print!("{question}");
    let _ = std::io::stdout().flush();
    tokio::task::spawn_blocking(|| {
        let mut answer = String::new();
        std::io::stdin().read_line(&mut answer).ok()?;
        Some(matches!(
            answer.trim().to_ascii_lowercase().as_str(),
            "y" | "yes"
        ))
    })
    .await
    .ok()
    .flatten()
    .unwrap_or(false)
}

async fn report(config: &Config) -> ExitCode {
    let report = services::probe(config).await;
    let mut lines = vec!["PostgreSQL".to_string()];
    lines.extend(postgres_lines(&report.postgres, &config.database.name));
    lines.push("Redis".to_string());
    lines.extend(redis_lines(&report.redis));
    let runnable = report.runnable();
    lines.push(String::new());
    lines.push(if runnable {
        "The shop can run.".to_string()
    } else {
        "The shop cannot run until PostgreSQL is available (see above).".to_string()
    });
    println!("{}", lines.join("\n"));
    if runnable {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_ENVIRONMENT)
    }
}

fn finding(label: &str, text: impl std::fmt::Display) -> String {
    format!("  {label:<10} {text}")
}

fn origin_words(origin: Origin) -> &'static str {
    match origin {
        Origin::Configured => "configured URL",
        Origin::LocalDefault => "local default server",
        Origin::Scratch => "scratch server",
    }
}

fn postgres_lines(report: &PostgresReport, database: &str) -> Vec<String> {
    match report {
        PostgresReport::Reachable {
            origin,
            location,
            server_version,
            pg_trgm,
        } => {
            let mut lines = vec![
                finding("where", format!("{} {location}", origin_words(*origin))),
                finding("reachable", "yes"),
                finding("version", server_version),
                pg_trgm_line(Some(*pg_trgm)),
            ];
            if *origin == Origin::LocalDefault {
                lines.push(finding(
                    "database",
                    format!("{database:?} (created there on first use if missing)"),
                ));
            }
            lines
        }
        PostgresReport::WouldStartScratch {
            local,
            bin_dir,
            run_as,
            pg_trgm,
        } => {
            let as_user = run_as
                .as_ref()
                .map(|u| format!(", running as user {u}"))
                .unwrap_or_default();
            vec![
                finding(
                    "where",
                    format!(
                        "nothing answers at {local}; perflab would start a private scratch \
                         cluster from {}{as_user}",
                        bin_dir.display()
                    ),
                ),
                finding("reachable", "not yet (started on demand, removed on exit)"),
                pg_trgm_line(*pg_trgm),
            ]
        }
        PostgresReport::Unavailable { problem } => {
            vec![finding("reachable", "no"), finding("problem", problem)]
        }
    }
}

fn pg_trgm_line(available: Option<bool>) -> String {
    finding(
        "pg_trgm",
        match available {
            Some(true) => "available",
            Some(false) => "MISSING: the database labs need it; `perflab doctor --fix` installs it",
            None => "unknown until the server starts",
        },
    )
}

fn redis_lines(report: &RedisReport) -> Vec<String> {
    match report {
        RedisReport::Reachable {
            origin,
            location,
            version,
        } => vec![
            finding("where", format!("{} {location}", origin_words(*origin))),
            finding("reachable", "yes"),
            finding("version", version),
        ],
        RedisReport::WouldStartScratch { local, binary } => vec![
            finding(
                "where",
                format!(
                    "nothing answers at {local}; perflab would start a scratch {}",
                    binary.display()
                ),
            ),
            finding("reachable", "not yet (started on demand, stopped on exit)"),
        ],
        RedisReport::Missing { reason } => vec![
            finding("reachable", "no: the shop will run without a cache"),
            finding("why", reason),
        ],
    }
}
