//! Finds or starts the real servers the shop runs on: PostgreSQL and Redis.
//!
//! Order of preference for each: the configured URL; else the local default
//! server; else a private scratch instance under the state directory, stopped
//! when perflab exits. Redis is optional: without it the shop still serves.
//! Depends on `config`; used by the CLI (`serve`, `seed`, `doctor`) and tests.

pub mod postgres;
pub mod redis;

use crate::config::Config;

/// The servers the shop will use, and the guards that stop what perflab started.
pub struct Services {
    pub postgres: postgres::PostgresService,
    pub redis: redis::RedisAvailability,
}

/// Why a service could not be had, said so that the user knows what to do.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("{0}")]
    Unavailable(String),
}

/// Finds or starts PostgreSQL (required) and Redis (optional).
pub async fn start(config: &Config) -> Result<Services, ServiceError> {
    let state_dir = config.state_dir();
    let postgres = postgres::resolve(&config.database, &state_dir).await?;
    let redis = redis::resolve(&config.redis, &state_dir).await;
    Ok(Services { postgres, redis })
}

impl Services {
    /// Stops whatever perflab started.
    pub async fn shutdown(self) {}
}
