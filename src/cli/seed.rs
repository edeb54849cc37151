//! `perflab seed`: load the catalog (reused when the marker matches).

use std::process::ExitCode;
use std::str::FromStr;
use std::time::Instant;

use clap::Args;
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, PgPool};

use super::EXIT_ENVIRONMENT;
use crate::config::Config;
use crate::fixtures::{self, Scale, SeedOptions, SeedOutcome};
use crate::messages::{Lang, Text};
use crate::services;

#[derive(Debug, Args)]
pub struct SeedArgs {
    /// Catalog size (default from the configuration: `default`).
    #[arg(long)]
    pub scale: Option<Scale>,
    /// RNG seed: the same seed gives the same rows.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Drop and reload even if the same catalog is already there.
    #[arg(long)]
    pub force: bool,
}

pub async fn run(config: Config, args: SeedArgs, lang: Lang) -> ExitCode {
    let services = match services::start(&config).await {
        Ok(services) => services,
        Err(e) => {
            eprintln!("perflab: {}", e.message(&Text::builtin(lang)));
            return ExitCode::from(EXIT_ENVIRONMENT);
        }
    };
    let options = SeedOptions {
        scale: args.scale.unwrap_or(config.fixtures.scale),
        seed: args.seed.unwrap_or(config.fixtures.seed),
        force: args.force,
        progress: true,
    };
    let result = ensure_seeded(&services.postgres.url, &options, true).await;
    services.shutdown().await;
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("perflab: {e}");
            ExitCode::from(EXIT_ENVIRONMENT)
        }
    }
}

/// Connects to the perflab database and makes sure the catalog is there,
/// saying on stderr (when `announce`) whether it was loaded or reused and how
/// long it took. The TUI does not announce: stderr is its screen.
pub async fn ensure_seeded(
    database_url: &str,
    options: &SeedOptions,
    announce: bool,
) -> Result<(), String> {
    // Loading a catalog runs statements of seconds by design: sqlx's
    // slow-statement warnings would print them whole on the student's terminal.
    let connect = PgConnectOptions::from_str(database_url)
        .map_err(|e| format!("cannot connect to PostgreSQL to seed the catalog: {e}"))?
        .disable_statement_logging();
    let pool = PgPool::connect_with(connect)
        .await
        .map_err(|e| format!("cannot connect to PostgreSQL to seed the catalog: {e}"))?;
    let started = Instant::now();
    let outcome = fixtures::seed(&pool, options).await;
    pool.close().await;
    let elapsed = started.elapsed();
    let outcome = outcome.map_err(|e| e.to_string())?;
    if !announce {
        return Ok(());
    }
    match outcome {
        SeedOutcome::Reused => eprintln!(
            "catalog `{}` (seed {}) already loaded: reused in {elapsed:.2?}",
            options.scale, options.seed
        ),
        SeedOutcome::Seeded => eprintln!(
            "catalog `{}` (seed {}) loaded in {elapsed:.2?}",
            options.scale, options.seed
        ),
    }
    Ok(())
}
