//! Finds or starts the real servers the shop runs on: PostgreSQL and Redis.
//!
//! Order of preference for each: the configured URL; else the local default
//! server; else a private scratch instance started from the server binaries on
//! the machine, stopped when perflab is done with it. Redis is optional: without
//! it the shop still serves, and says so.
//!
//! [`start`] gets the servers, after cleaning what a killed perflab left
//! ([`leftovers`]); [`probe`] only looks (for `perflab doctor` and the TUI)
//! and never starts anything; [`install`] plans and runs the package
//! manager's commands for what is not installed (`perflab doctor --fix`).
//! Every process perflab starts dies with it ([`children`]). Depends on
//! `config`; used by the CLI (`serve`, `seed`, `doctor`), the lab runner and
//! the tests.

pub mod children;
pub mod install;
pub mod leftovers;
pub mod net;
pub mod postgres;
mod process;
pub mod process_info;
pub mod redis;
mod report;
pub mod scratch_postgres;

pub use report::{PostgresReport, RedisReport, Report, probe};

use crate::config::Config;

/// Where a server came from: it decides what perflab may do to it (only a
/// scratch server is perflab's to stop).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// The URL from `perflab.toml` or the environment (`DATABASE_URL`, `REDIS_URL`).
    Configured,
    /// The server on the default local port.
    LocalDefault,
    /// A private server perflab started and will stop.
    Scratch,
}

/// The servers the shop will use, and the guards that stop what perflab started.
#[derive(Debug)]
pub struct Services {
    pub postgres: postgres::PostgresService,
    pub redis: redis::RedisAvailability,
}

impl Services {
    /// Stops the scratch servers perflab started (servers it found are left alone).
    pub async fn shutdown(self) {
        self.redis.shutdown().await;
        self.postgres.shutdown().await;
    }
}

/// Why PostgreSQL could not be had, said so that the user knows what to do.
/// (Redis never fails `start`: it is reported as [`redis::RedisAvailability::Missing`].)
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error(
        "PostgreSQL at {url} (the configured database URL) does not answer: {cause}. \
         Check that the server runs and the URL is right, or unset DATABASE_URL to let perflab \
         use the local server"
    )]
    ConfiguredUnreachable { url: String, cause: String },

    #[error(
        "the PostgreSQL server at {addr} refused perflab (tried users {users}): {cause}. \
         Give your user a role (`sudo -u postgres createuser --createdb {user}`) or set \
         DATABASE_URL to a URL with a user and password that may connect"
    )]
    LocalRefused {
        addr: String,
        users: String,
        cause: String,
        /// The OS user, whose role peer authentication would accept.
        user: String,
    },

    #[error(
        "cannot create the database {name:?} on {addr}: {cause}. Create it yourself \
         (`createdb {name}`) or set DATABASE_URL to a database perflab may use"
    )]
    CreateDatabase {
        name: String,
        addr: String,
        cause: String,
    },

    #[error(
        "no PostgreSQL: nothing answers at {local} ({cause}) and {why}. Install the server \
         (`perflab doctor --fix`) or set DATABASE_URL"
    )]
    NoServer {
        local: String,
        cause: String,
        why: String,
    },

    #[error(
        "cannot start a scratch PostgreSQL cluster: {step} failed: {cause}. \
         Set DATABASE_URL to a running server instead"
    )]
    Scratch { step: &'static str, cause: String },
}

/// Finds or starts PostgreSQL (required) and Redis (optional), after
/// cleaning the leftovers of a perflab that was killed.
pub async fn start(config: &Config) -> Result<Services, ServiceError> {
    let state_dir = config.state_dir();
    let dir = state_dir.clone();
    if let Ok(cleaned) = tokio::task::spawn_blocking(move || leftovers::clean(&dir)).await
        && !cleaned.is_empty()
    {
        tracing::info!(
            ?cleaned,
            "removed what a perflab that was killed left behind"
        );
    }
    let postgres = postgres::resolve(&config.database, &state_dir).await?;
    let redis = redis::resolve(&config.redis).await;
    Ok(Services { postgres, redis })
}
