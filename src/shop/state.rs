//! The state every handler receives (`State<Arc<AppState>>`): the database, the
//! live settings, the signing keys and the Redis connection. Passed, never global.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use arc_swap::ArcSwap;

use super::auth::Keys;
use super::settings::ShopSettings;
use super::store::Db;

/// Shared by every request of one shop instance.
pub struct AppState {
    pub db: Db,
    /// Swapped whole by the control API; readers take a snapshot per request.
    pub settings: ArcSwap<ShopSettings>,
    pub keys: Keys,
    /// Present when a Redis URL was given. The caching issue builds its cache
    /// on it; for now `/health` reports whether it answers.
    pub redis: Option<redis::aio::ConnectionManager>,
    /// Held while settings change (no `.await` inside, so a std mutex).
    pub applying: Mutex<()>,
}

impl AppState {
    /// The settings in force for this request.
    pub fn settings(&self) -> Arc<ShopSettings> {
        self.settings.load_full()
    }

    /// Replaces the settings with what `change` makes of the current ones,
    /// resizing the pool when its switches changed. Changes are serialised, so
    /// concurrent ones (the TUI and a check) neither lose each other nor leave
    /// the pool built from an older version.
    pub fn update_settings(
        &self,
        change: impl FnOnce(&ShopSettings) -> Result<ShopSettings, String>,
    ) -> Result<ShopSettings, String> {
        let _one_at_a_time = self.applying.lock().unwrap_or_else(|e| e.into_inner());
        let old = self.settings.load_full();
        let new = change(&old)?;
        new.validate()?;
        self.settings.store(Arc::new(new.clone()));
        if old.database.pool_size != new.database.pool_size
            || old.database.acquire_timeout != new.database.acquire_timeout
        {
            self.db.resize(&new.database);
        }
        Ok(new)
    }
}

/// A Redis connection that reconnects by itself and fails fast while Redis is
/// down, so a dead Redis costs milliseconds, not seconds (see CRATES.md: the
/// defaults block ~9 s per command during an outage).
pub fn redis_connection(url: &str) -> Result<redis::aio::ConnectionManager, redis::RedisError> {
    let client = redis::Client::open(url)?;
    let config = redis::aio::ConnectionManagerConfig::new()
        .set_number_of_retries(1)
        .set_max_delay(Duration::from_millis(200))
        .set_connection_timeout(Some(Duration::from_millis(100)))
        .set_response_timeout(Some(Duration::from_millis(100)));
    redis::aio::ConnectionManager::new_lazy_with_config(client, config)
}
