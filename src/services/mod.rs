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
pub mod latency;
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
use crate::messages::Text;
use crate::msg;

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
/// `Display` is the English line for logs; [`ServiceError::message`] is the
/// learner's, from the catalogue (`services.ftl`). A `cause` is the server's
/// or the system's own words, quoted as they are.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ServiceError {
    #[error(
        "PostgreSQL at {url} (the configured database URL) does not answer: {cause}. \
         Check that the server runs and the URL is right, or unset DATABASE_URL to let perflab \
         use the local server"
    )]
    ConfiguredUnreachable { url: String, cause: String },

    #[error(
        "PostgreSQL at {url} (the configured database URL) answers but refused perflab: {cause}. \
         Check the URL's user, password and database name (`createdb` creates a missing \
         database), or unset DATABASE_URL to let perflab use the local server"
    )]
    ConfiguredRefused { url: String, cause: String },

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

    #[error("the PostgreSQL server at {addr} answers but could not be asked its version: {cause}")]
    Unanswered { addr: String, cause: String },

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
        why: NoScratch,
    },

    #[error(
        "cannot start a scratch PostgreSQL cluster: {step} failed: {cause}. \
         Set DATABASE_URL to a running server instead"
    )]
    Scratch { step: ScratchStep, cause: String },
}

impl ServiceError {
    /// The error in the learner's words (`services.ftl`).
    pub fn message(&self, text: &Text) -> String {
        match self {
            ServiceError::ConfiguredUnreachable { url, cause } => msg!(
                text,
                "service-pg-configured-down",
                url = url.as_str(),
                cause = cause.as_str()
            ),
            ServiceError::ConfiguredRefused { url, cause } => msg!(
                text,
                "service-pg-configured-refused",
                url = url.as_str(),
                cause = cause.as_str()
            ),
            ServiceError::LocalRefused {
                addr,
                users,
                cause,
                user,
            } => msg!(
                text,
                "service-pg-refused",
                addr = addr.as_str(),
                users = users.as_str(),
                cause = cause.as_str(),
                user = user.as_str()
            ),
            ServiceError::Unanswered { addr, cause } => msg!(
                text,
                "service-pg-unanswered",
                addr = addr.as_str(),
                cause = cause.as_str()
            ),
            ServiceError::CreateDatabase { name, addr, cause } => msg!(
                text,
                "service-pg-create-database",
                name = name.as_str(),
                addr = addr.as_str(),
                cause = cause.as_str()
            ),
            ServiceError::NoServer { local, cause, why } => msg!(
                text,
                "service-pg-none",
                local = local.as_str(),
                cause = cause.as_str(),
                why = why.message(text)
            ),
            ServiceError::Scratch { step, cause } => msg!(
                text,
                "service-pg-scratch-failed",
                step = step.message(text),
                cause = cause.as_str()
            ),
        }
    }
}

/// Why no scratch server could be had, as the end of a sentence.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoScratch {
    #[error("scratch servers are disabled (PERFLAB_SCRATCH=false or scratch = false)")]
    Disabled,
    #[error(
        "no PostgreSQL server binaries (initdb, postgres) were found in PATH or \
         /usr/lib/postgresql/*/bin to start a scratch cluster"
    )]
    NoPostgresBinaries,
    #[error(
        "perflab runs as root, which initdb refuses, and neither a `postgres` nor a \
         `nobody` user exists to run a scratch cluster as (run perflab as a normal user)"
    )]
    RootWithoutUser,
    #[error("no redis-server was found in PATH to start a scratch one")]
    NoRedisBinary,
    /// A scratch redis-server was started and did not come up: the cause.
    #[error("a scratch redis-server did not start: {0}")]
    RedisFailed(String),
}

impl NoScratch {
    pub fn message(&self, text: &Text) -> String {
        match self {
            NoScratch::Disabled => msg!(text, "service-no-scratch-disabled"),
            NoScratch::NoPostgresBinaries => msg!(text, "service-no-scratch-pg-binaries"),
            NoScratch::RootWithoutUser => msg!(text, "service-no-scratch-root"),
            NoScratch::NoRedisBinary => msg!(text, "service-no-scratch-redis-binary"),
            NoScratch::RedisFailed(cause) => msg!(
                text,
                "service-no-scratch-redis-failed",
                cause = cause.as_str()
            ),
        }
    }
}

/// The step of starting a scratch PostgreSQL cluster that failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScratchStep {
    Directory,
    Initdb,
    FreePort,
    Start,
    CreateDatabase,
    Version,
}

impl ScratchStep {
    pub fn message(self, text: &Text) -> String {
        match self {
            ScratchStep::Directory => msg!(text, "service-step-directory"),
            ScratchStep::Initdb => msg!(text, "service-step-initdb"),
            ScratchStep::FreePort => msg!(text, "service-step-free-port"),
            ScratchStep::Start => msg!(text, "service-step-start"),
            ScratchStep::CreateDatabase => msg!(text, "service-step-create-database"),
            ScratchStep::Version => msg!(text, "service-step-version"),
        }
    }
}

impl std::fmt::Display for ScratchStep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ScratchStep::Directory => "creating its directory",
            ScratchStep::Initdb => "initdb",
            ScratchStep::FreePort => "finding a free port",
            ScratchStep::Start => "starting the server",
            ScratchStep::CreateDatabase => "creating the database",
            ScratchStep::Version => "asking its version",
        })
    }
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
