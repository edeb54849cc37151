//! `perflab doctor`: what PostgreSQL and Redis perflab finds, and what to do
//! about anything missing. It only looks (via [`services::probe`]); it never
//! starts a scratch server or creates a database just to report.
//!
//! Exit 0 when the shop can run (PostgreSQL reachable, or a scratch cluster can
//! be started), else [`EXIT_ENVIRONMENT`].

use std::process::ExitCode;

use super::EXIT_ENVIRONMENT;
use crate::config::Config;
use crate::services::{self, Origin, PostgresReport, RedisReport};

pub async fn run(config: &Config) -> ExitCode {
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
            Some(false) => {
                "MISSING: the database labs need it; `apt-get install postgresql-contrib`"
            }
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
