//! The state every handler receives (`State<Arc<AppState>>`): the database, the
//! live settings, the signing keys and the cache. Passed, never global.

use std::sync::{Arc, Mutex};

use arc_swap::ArcSwap;

use super::auth::Keys;
use super::cache::Cache;
use super::limit::Limiter;
use super::metrics::Metrics;
use super::profile::breakdown::Breakdowns;
use super::settings::{CacheBackend, ShopSettings};
use super::store::Db;
use super::telemetry::RequestLog;

/// Shared by every request of one shop instance.
pub struct AppState {
    /// Shared with the cache, whose fallback keeps generations in it.
    pub db: Arc<Db>,
    /// Swapped whole by the control API; readers take a snapshot per request.
    pub settings: ArcSwap<ShopSettings>,
    pub keys: Keys,
    /// Redis, in-process or off, as the settings say.
    pub cache: Cache,
    /// Rate limiting's stores (`settings.rate_limit`).
    pub limiter: Limiter,
    /// The request log (`settings.middleware.request_log`).
    pub log: RequestLog,
    /// Time per part per route (`settings.monitoring.breakdown`, lab 4.2).
    pub breakdown: Breakdowns,
    /// This shop's Prometheus registry (`settings.monitoring`).
    pub metrics: Metrics,
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
    ) -> Result<SettingsChange, String> {
        let _one_at_a_time = self.applying.lock().unwrap_or_else(|e| e.into_inner());
        let old = self.settings.load_full();
        let new = change(&old)?;
        new.validate()?;
        if new.cache.backend == CacheBackend::Redis && !self.cache.has_redis() {
            return Err(
                "cache.backend = redis: this shop was started without Redis \
                        (set REDIS_URL or run a local redis-server, then restart it)"
                    .into(),
            );
        }
        self.settings.store(Arc::new(new.clone()));
        let retired = (old.database.pool_size != new.database.pool_size
            || old.database.acquire_timeout != new.database.acquire_timeout)
            .then(|| self.db.resize(&new.database));
        Ok(SettingsChange { old, new, retired })
    }
}

/// Settings before and after a change. No change of cache settings needs a
/// flush: every kind of entry stays right under every setting (see
/// [`super::cache`]), so the swap alone is the switch.
pub struct SettingsChange {
    pub old: Arc<ShopSettings>,
    pub new: ShopSettings,
    /// The pool a resize replaced, to [`super::store::Db::settle`].
    pub retired: Option<Arc<super::store::Pool>>,
}
