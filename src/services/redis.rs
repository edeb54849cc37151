//! Redis: the configured URL, the local default server, or a scratch redis-server.

use std::path::Path;

use crate::config::RedisConfig;

/// A reachable Redis server.
#[derive(Debug)]
pub struct RedisService {
    pub url: String,
}

/// Redis is optional: the shop runs without it and says so.
#[derive(Debug)]
pub enum RedisAvailability {
    Up(RedisService),
    Missing { reason: String },
}

pub async fn resolve(config: &RedisConfig, _state_dir: &Path) -> RedisAvailability {
    let url = config
        .url
        .clone()
        .unwrap_or_else(|| format!("redis://{}", config.local));
    RedisAvailability::Up(RedisService { url })
}
