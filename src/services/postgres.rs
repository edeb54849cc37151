//! PostgreSQL: the configured URL, the local default server, or a scratch cluster.

use std::path::Path;

use super::ServiceError;
use crate::config::DatabaseConfig;

/// Where the server came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    Configured,
    LocalDefault,
    Scratch,
}

/// A reachable PostgreSQL database owned by perflab.
#[derive(Debug)]
pub struct PostgresService {
    pub url: String,
    pub origin: Origin,
}

pub async fn resolve(
    config: &DatabaseConfig,
    _state_dir: &Path,
) -> Result<PostgresService, ServiceError> {
    match &config.url {
        Some(url) => Ok(PostgresService {
            url: url.clone(),
            origin: Origin::Configured,
        }),
        None => Ok(PostgresService {
            url: format!("postgres://postgres@{}/{}", config.local, config.name),
            origin: Origin::LocalDefault,
        }),
    }
}
