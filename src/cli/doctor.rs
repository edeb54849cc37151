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
//! line. Then it looks again and reports as above. Its words are the
//! catalogue's (`labs/messages/*/services.ftl`); the findings' own details
//! (a server's error, a path) come from `services` as they are.

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Args;

use super::EXIT_ENVIRONMENT;
use crate::config::Config;
use crate::messages::{Lang, Text};
use crate::msg;
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

pub async fn run(config: &Config, args: &DoctorArgs, lang: Lang) -> ExitCode {
    let text = Text::builtin(lang);
    if args.fix
        && let Err(problem) = fix(config, args.yes, &text).await
    {
        eprintln!("perflab: {problem}");
        return ExitCode::from(EXIT_ENVIRONMENT);
    }
    report(config, &text).await
}

/// How long a server just installed may take to answer: a package's start
/// script returns before the server accepts connections.
const ANSWER_WITHIN: std::time::Duration = std::time::Duration::from_secs(20);

/// Waits, up to [`ANSWER_WITHIN`], until the servers the plan installed
/// answer, so that the report that follows does not call a server that is
/// still starting "not answering".
async fn wait_for_installed(config: &Config, installed: &[install::Missing]) {
    use crate::services::{PostgresReport, RedisReport};
    let deadline = tokio::time::Instant::now() + ANSWER_WITHIN;
    loop {
        let report = crate::services::probe(config).await;
        let postgres = !installed.contains(&install::Missing::Postgres)
            || matches!(report.postgres, PostgresReport::Reachable { .. });
        let redis = !installed.contains(&install::Missing::Redis)
            || matches!(report.redis, RedisReport::Reachable { .. });
        if (postgres && redis) || tokio::time::Instant::now() >= deadline {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
}

/// Installs what is missing, with consent. `Err` is one line for stderr.
async fn fix(config: &Config, yes: bool, text: &Text) -> Result<(), String> {
    let missing = install::missing(config).await;
    let machine = tokio::task::spawn_blocking(Machine::detect)
        .await
        .map_err(|e| e.to_string())?;
    let plan = match machine.plan(&missing) {
        Ok(Some(plan)) => plan,
        Ok(None) => {
            println!("{}\n", msg!(text, "doctor-fix-nothing"));
            return Ok(());
        }
        Err(e) => return Err(e.message(text)),
    };
    let terminal = std::io::stdin().is_terminal();
    match install::consent(yes, terminal) {
        Consent::Refused => {
            return Err(msg!(
                text,
                "doctor-fix-refused",
                missing = missing_names(&plan),
                manager = plan.manager.program()
            ));
        }
        Consent::Given => print_plan(&plan, text),
        Consent::Ask => {
            print_plan(&plan, text);
            let question = msg!(text, "doctor-fix-ask");
            if !ask(&question, text).await {
                return Err(msg!(text, "doctor-fix-declined"));
            }
        }
    }
    install::run(
        &plan,
        |step| println!("\n→ {}", step.command_line()),
        |step, outcome| {
            if let StepOutcome::FailedHarmlessly(status) = outcome {
                let program = step.argv.first().map(String::as_str).unwrap_or("");
                let line = msg!(
                    text,
                    "doctor-fix-already-done",
                    status = status.as_str(),
                    program = program
                );
                println!("  {line}");
            }
        },
    )
    .await
    .map_err(|e| e.message(text))?;
    wait_for_installed(config, &plan.missing).await;
    println!("\n{}\n", msg!(text, "doctor-fix-installed"));
    Ok(())
}

fn missing_names(plan: &Plan) -> String {
    let names: Vec<&str> = plan.missing.iter().map(|m| m.name()).collect();
    names.join(", ")
}

fn print_plan(plan: &Plan, text: &Text) {
    println!(
        "{}",
        msg!(
            text,
            "doctor-fix-plan",
            missing = missing_names(plan),
            manager = plan.manager.program()
        )
    );
    for step in &plan.steps {
        println!("  {}", step.command_line());
    }
}

/// Asks a y/N question on the terminal; anything but yes is no.
async fn ask(question: &str, text: &Text) -> bool {
    use std::io::Write;
    print!("{question} ");
    let _ = std::io::stdout().flush();
    let yes: Vec<String> = msg!(text, "doctor-fix-yes-words")
        .split_whitespace()
        .map(str::to_lowercase)
        .collect();
    tokio::task::spawn_blocking(move || {
        let mut answer = String::new();
        std::io::stdin().read_line(&mut answer).ok()?;
        Some(yes.contains(&answer.trim().to_lowercase()))
    })
    .await
    .ok()
    .flatten()
    .unwrap_or(false)
}

async fn report(config: &Config, text: &Text) -> ExitCode {
    let report = services::probe(config).await;
    let mut lines = vec!["PostgreSQL".to_string()];
    lines.extend(postgres_lines(
        text,
        &report.postgres,
        &config.database.name,
    ));
    lines.push("Redis".to_string());
    lines.extend(redis_lines(text, &report.redis));
    let runnable = report.runnable();
    lines.push(String::new());
    lines.push(match runnable {
        true => msg!(text, "doctor-can-run"),
        false => msg!(text, "doctor-cannot-run"),
    });
    println!("{}", lines.join("\n"));
    match runnable {
        true => ExitCode::SUCCESS,
        false => ExitCode::from(EXIT_ENVIRONMENT),
    }
}

/// One finding: a label in a column, then what was found.
fn finding(label: String, found: impl std::fmt::Display) -> String {
    format!("  {label:<12} {found}")
}

fn origin_words(text: &Text, origin: Origin) -> String {
    match origin {
        Origin::Configured => msg!(text, "doctor-origin-configured"),
        Origin::LocalDefault => msg!(text, "doctor-origin-local"),
        Origin::Scratch => msg!(text, "doctor-origin-scratch"),
    }
}

fn postgres_lines(text: &Text, report: &PostgresReport, database: &str) -> Vec<String> {
    match report {
        PostgresReport::Reachable {
            origin,
            location,
            server_version,
            pg_trgm,
        } => {
            let mut lines = vec![
                finding(
                    msg!(text, "doctor-label-where"),
                    format!("{} {location}", origin_words(text, *origin)),
                ),
                finding(
                    msg!(text, "doctor-label-reachable"),
                    msg!(text, "doctor-yes"),
                ),
                finding(msg!(text, "doctor-label-version"), server_version),
                pg_trgm_line(text, Some(*pg_trgm)),
            ];
            if *origin == Origin::LocalDefault {
                lines.push(finding(
                    msg!(text, "doctor-label-database"),
                    msg!(text, "doctor-database-created", name = database),
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
            let from = bin_dir.display().to_string();
            let found = match run_as {
                Some(user) => msg!(
                    text,
                    "doctor-postgres-would-start-as",
                    local = local.as_str(),
                    from = from,
                    user = user.as_str()
                ),
                None => msg!(
                    text,
                    "doctor-postgres-would-start",
                    local = local.as_str(),
                    from = from
                ),
            };
            vec![
                finding(msg!(text, "doctor-label-where"), found),
                finding(
                    msg!(text, "doctor-label-reachable"),
                    msg!(text, "doctor-postgres-not-yet"),
                ),
                pg_trgm_line(text, *pg_trgm),
            ]
        }
        PostgresReport::Unavailable { problem } => vec![
            finding(
                msg!(text, "doctor-label-reachable"),
                msg!(text, "doctor-no"),
            ),
            finding(msg!(text, "doctor-label-problem"), problem.message(text)),
        ],
    }
}

fn pg_trgm_line(text: &Text, available: Option<bool>) -> String {
    finding(
        "pg_trgm".into(),
        match available {
            Some(true) => msg!(text, "doctor-pg-trgm-available"),
            Some(false) => msg!(
                text,
                "doctor-pg-trgm-missing",
                package = crate::services::install::contrib_package()
            ),
            None => msg!(text, "doctor-pg-trgm-unknown"),
        },
    )
}

fn redis_lines(text: &Text, report: &RedisReport) -> Vec<String> {
    match report {
        RedisReport::Reachable {
            origin,
            location,
            version,
        } => vec![
            finding(
                msg!(text, "doctor-label-where"),
                format!("{} {location}", origin_words(text, *origin)),
            ),
            finding(
                msg!(text, "doctor-label-reachable"),
                msg!(text, "doctor-yes"),
            ),
            finding(msg!(text, "doctor-label-version"), version),
        ],
        RedisReport::WouldStartScratch { local, binary } => vec![
            finding(
                msg!(text, "doctor-label-where"),
                msg!(
                    text,
                    "doctor-redis-would-start",
                    local = local.as_str(),
                    binary = binary.display().to_string()
                ),
            ),
            finding(
                msg!(text, "doctor-label-reachable"),
                msg!(text, "doctor-redis-not-yet"),
            ),
        ],
        RedisReport::Missing { reason } => vec![
            finding(
                msg!(text, "doctor-label-reachable"),
                msg!(text, "doctor-redis-missing"),
            ),
            finding(msg!(text, "doctor-label-why"), reason.message(text)),
        ],
    }
}
