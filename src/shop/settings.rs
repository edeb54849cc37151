//! The lab's switches: every optimisation the course teaches is a field of
//! [`ShopSettings`], read from TOML (`workspace/shop.toml`) or JSON (the control
//! API) and swapped at runtime behind an `ArcSwap`, so a student flips a switch
//! and the next request runs with it.
//!
//! Two presets bracket the day: [`Preset::Baseline`] (every optimisation off —
//! where the labs start) and [`Preset::Optimized`] (every optimisation on — the
//! final project's reference). Later issues add their sections (cache,
//! middleware, monitoring) here and to both presets.

use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Every runtime switch of the shop.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ShopSettings {
    pub database: DatabaseSettings,
    pub export: ExportSettings,
}

/// Connection pool and query shape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseSettings {
    /// Maximum connections the shop opens (the course's target: fewer than 20).
    pub pool_size: u32,
    /// How long a request waits for a free connection before answering 503.
    #[serde(with = "humantime_serde")]
    pub acquire_timeout: Duration,
    /// How `GET /orders/{id}` loads its items' products.
    pub loading: Loading,
}

/// Lazy loading is the N+1 pattern the lab teaches: one query per order item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Loading {
    /// Order, items, then one product query per item (2 + N queries).
    Lazy,
    /// Order, then items joined with their products (2 queries).
    Eager,
}

/// `GET /products/export`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ExportSettings {
    pub mode: ExportMode,
}

/// Buffered builds the whole catalog in memory (the memory lab's problem);
/// streamed sends rows as the database yields them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExportMode {
    Buffered,
    Streamed,
}

/// The two reference states of the shop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Preset {
    /// Every optimisation off: where the labs start.
    Baseline,
    /// Every optimisation on: the final project's reference.
    Optimized,
}

impl Default for ShopSettings {
    fn default() -> Self {
        Self::preset(Preset::Baseline)
    }
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        ShopSettings::default().database
    }
}

impl Default for ExportSettings {
    fn default() -> Self {
        ShopSettings::default().export
    }
}

impl ShopSettings {
    /// The settings of a preset.
    pub fn preset(preset: Preset) -> Self {
        match preset {
            Preset::Baseline => Self {
                database: DatabaseSettings {
                    pool_size: 5,
                    acquire_timeout: Duration::from_secs(5),
                    loading: Loading::Lazy,
                },
                export: ExportSettings {
                    mode: ExportMode::Buffered,
                },
            },
            Preset::Optimized => Self {
                database: DatabaseSettings {
                    pool_size: 10,
                    acquire_timeout: Duration::from_secs(2),
                    loading: Loading::Eager,
                },
                export: ExportSettings {
                    mode: ExportMode::Streamed,
                },
            },
        }
    }

    /// Reads a settings file (TOML); the error is one line naming the file and key.
    pub fn from_file(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let settings: Self = toml::from_str(&text).map_err(|e| {
            format!(
                "{}: {}",
                path.display(),
                e.message().trim().replace('\n', " ")
            )
        })?;
        settings
            .validate()
            .map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(settings)
    }

    /// Values serde accepts but the shop cannot run with.
    pub fn validate(&self) -> Result<(), String> {
        let db = &self.database;
        if !(1..=100).contains(&db.pool_size) {
            return Err(format!(
                "database.pool_size = {}: expected 1 to 100 connections",
                db.pool_size
            ));
        }
        if db.acquire_timeout < Duration::from_millis(10)
            || db.acquire_timeout > Duration::from_secs(60)
        {
            return Err(format!(
                "database.acquire_timeout = {}: expected between 10ms and 60s",
                humantime::format_duration(db.acquire_timeout)
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_differ_in_every_switch() {
        let base = ShopSettings::preset(Preset::Baseline);
        let opt = ShopSettings::preset(Preset::Optimized);
        assert_eq!(base, ShopSettings::default());
        assert_ne!(base.database.loading, opt.database.loading);
        assert_ne!(base.export.mode, opt.export.mode);
        assert!(opt.database.pool_size < 20);
    }

    #[test]
    fn toml_round_trip_with_human_durations() {
        let settings: ShopSettings = toml::from_str(
            "[database]\npool_size = 3\nacquire_timeout = \"250ms\"\nloading = \"eager\"\n",
        )
        .unwrap();
        assert_eq!(settings.database.pool_size, 3);
        assert_eq!(
            settings.database.acquire_timeout,
            Duration::from_millis(250)
        );
        assert_eq!(settings.database.loading, Loading::Eager);
        assert_eq!(settings.export, ExportSettings::default());
        let text = toml::to_string(&settings).unwrap();
        assert_eq!(toml::from_str::<ShopSettings>(&text).unwrap(), settings);
    }

    #[test]
    fn unknown_switch_is_refused() {
        assert!(toml::from_str::<ShopSettings>("[database]\npool = 3\n").is_err());
    }

    #[test]
    fn validation_names_the_key() {
        let mut settings = ShopSettings::default();
        settings.database.pool_size = 0;
        assert!(
            settings
                .validate()
                .unwrap_err()
                .starts_with("database.pool_size")
        );
    }
}
