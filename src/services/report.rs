//! What perflab would use, found without starting anything: the library side of
//! `perflab doctor`, kept here so the TUI can show the same findings.

use std::path::PathBuf;
use std::str::FromStr;

use sqlx::Connection;
use sqlx::postgres::PgConnectOptions;

use super::net::mask_password;
use super::postgres::{LocalProbe, connect, probe_connection, probe_local};
use super::redis::{Found, RedisMissing, find, find_redis_server};
use super::scratch_postgres::{self, Plan};
use super::{NoScratch, ServiceError};
use crate::config::{Config, DatabaseConfig, RedisConfig};

/// Everything `probe` found.
#[derive(Debug, Clone)]
pub struct Report {
    pub postgres: PostgresReport,
    pub redis: RedisReport,
}

impl Report {
    /// Whether the shop can run: it needs PostgreSQL (found, or a scratch
    /// cluster that can be started); Redis is optional.
    pub fn runnable(&self) -> bool {
        !matches!(self.postgres, PostgresReport::Unavailable { .. })
    }
}

/// What perflab found for PostgreSQL.
#[derive(Debug, Clone)]
pub enum PostgresReport {
    /// A server answers: the configured URL (password masked) or the local default.
    Reachable {
        origin: super::Origin,
        /// Where, in words: the masked URL, or `host:port as user <name>`.
        location: String,
        server_version: String,
        pg_trgm: bool,
    },
    /// Nothing answers locally, and a scratch cluster would be started.
    WouldStartScratch {
        local: String,
        bin_dir: PathBuf,
        /// The user the server would run as (perflab is root), if any.
        run_as: Option<String>,
        /// From the server's share directory; `None` if it cannot be told.
        pg_trgm: Option<bool>,
    },
    /// No PostgreSQL can be had; `problem` says what was tried and what to do.
    Unavailable { problem: ServiceError },
}

/// What perflab found for Redis.
#[derive(Debug, Clone)]
pub enum RedisReport {
    Reachable {
        origin: super::Origin,
        location: String,
        version: String,
    },
    WouldStartScratch {
        local: String,
        binary: PathBuf,
    },
    /// No Redis: the shop runs without a cache. `reason` says how to get one.
    Missing {
        reason: RedisMissing,
    },
}

/// Looks at PostgreSQL and Redis the way `start` would, without starting or creating anything.
pub async fn probe(config: &Config) -> Report {
    let (postgres, redis) =
        tokio::join!(probe_postgres(&config.database), probe_redis(&config.redis));
    Report { postgres, redis }
}

async fn probe_postgres(config: &DatabaseConfig) -> PostgresReport {
    if let Some(url) = &config.url {
        return probe_configured_postgres(url).await;
    }
    let not_listening = match probe_local(&config.local).await {
        LocalProbe::Found {
            user,
            socket,
            server_version,
            pg_trgm,
        } => {
            let through = socket
                .map(|dir| format!(" through the unix socket in {}", dir.display()))
                .unwrap_or_default();
            return PostgresReport::Reachable {
                origin: super::Origin::LocalDefault,
                location: format!("{} as user {user}{through}", config.local),
                server_version,
                pg_trgm,
            };
        }
        LocalProbe::Unusable(problem) => return PostgresReport::Unavailable { problem },
        LocalProbe::NotListening(cause) => cause,
    };
    let unavailable = |why: NoScratch| PostgresReport::Unavailable {
        problem: ServiceError::NoServer {
            local: config.local.clone(),
            cause: not_listening.clone(),
            why,
        },
    };
    if !config.scratch {
        return unavailable(NoScratch::Disabled);
    }
    let planned = tokio::task::spawn_blocking(|| {
        scratch_postgres::plan().map(|plan| {
            let pg_trgm = scratch_postgres::pg_trgm_installed(&plan.binaries);
            (plan, pg_trgm)
        })
    })
    .await
    .unwrap_or(Err(NoScratch::NoPostgresBinaries));
    match planned {
        Ok((Plan { binaries, run_as }, pg_trgm)) => PostgresReport::WouldStartScratch {
            local: config.local.clone(),
            bin_dir: binaries.bin_dir,
            run_as: run_as.map(|u| u.name),
            pg_trgm,
        },
        Err(why) => unavailable(why),
    }
}

async fn probe_configured_postgres(url: &str) -> PostgresReport {
    let location = mask_password(url);
    let problem = |cause: String| PostgresReport::Unavailable {
        problem: ServiceError::ConfiguredUnreachable {
            url: location.clone(),
            cause,
        },
    };
    let options = match PgConnectOptions::from_str(url) {
        Ok(options) => options,
        Err(e) => return problem(e.to_string()),
    };
    let mut conn = match connect(&options).await {
        Ok(conn) => conn,
        Err(e) => return problem(e.to_string()),
    };
    let probed = probe_connection(&mut conn).await;
    let _ = conn.close().await;
    match probed {
        Ok((server_version, pg_trgm)) => PostgresReport::Reachable {
            origin: super::Origin::Configured,
            location: location.clone(),
            server_version,
            pg_trgm,
        },
        Err(cause) => problem(cause),
    }
}

async fn probe_redis(config: &RedisConfig) -> RedisReport {
    match find(config).await {
        Found::Answers {
            url,
            origin,
            version,
        } => RedisReport::Reachable {
            origin,
            location: match origin {
                super::Origin::Configured => mask_password(&url),
                _ => config.local.clone(),
            },
            version,
        },
        Found::Missing(reason) => RedisReport::Missing { reason },
        Found::ScratchWanted { local, cause } => {
            match tokio::task::spawn_blocking(find_redis_server)
                .await
                .ok()
                .flatten()
            {
                Some(binary) => RedisReport::WouldStartScratch { local, binary },
                None => RedisReport::Missing {
                    reason: RedisMissing::NothingLocal {
                        local,
                        cause,
                        why: NoScratch::NoRedisBinary,
                    },
                },
            }
        }
    }
}
