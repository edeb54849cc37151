//! perflab's configuration: `perflab.toml` (from `--config`, else `./perflab.toml`,
//! else built-in defaults), then environment overrides (`DATABASE_URL`, `REDIS_URL`,
//! `PERFLAB_*`).
//!
//! Every other piece receives a [`Config`] value; nothing else reads the
//! environment. A bad file is reported as one line naming the file, the key and
//! what was expected ([`ConfigError`]); loading never panics.

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The whole configuration, after the file and the environment were applied.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub database: DatabaseConfig,
    pub redis: RedisConfig,
    pub shop: ShopConfig,
    pub fixtures: FixturesConfig,
    /// Where perflab keeps its own files: the control token, scratch services,
    /// progress. Defaults to `$XDG_STATE_HOME/perflab` or `~/.local/state/perflab`.
    pub state_dir: Option<PathBuf>,
    /// Set (`PERFLAB_PARENT_PID`) only in a shop child the lab runner started:
    /// the runner's pid. The child stops when its parent is gone, on systems
    /// where the kernel cannot be asked to signal it (macOS); never in a file.
    #[serde(skip)]
    pub parent_pid: Option<u32>,
}

/// How to reach PostgreSQL. See `services::postgres` for the order of preference.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseConfig {
    /// A full connection URL. When set, it is the only server perflab uses.
    pub url: Option<String>,
    /// The local default server probed when no URL is set (`host:port`).
    pub local: String,
    /// Name of the database perflab creates and owns on the local server.
    pub name: String,
    /// Whether perflab may start a private scratch cluster when nothing else answers.
    pub scratch: bool,
}

/// How to reach Redis. Without any Redis the shop still runs (no cache).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct RedisConfig {
    /// `false` (`PERFLAB_REDIS=off`): no Redis at all, not even the local one.
    /// The lab runner pins its shop children this way when it has no Redis,
    /// so a child never falls through to a server the runner did not choose.
    pub enabled: bool,
    pub url: Option<String>,
    /// The local default server probed when no URL is set (`host:port`).
    pub local: String,
    /// Whether perflab may start a scratch `redis-server` when nothing else answers.
    pub scratch: bool,
}

/// Where the shop listens and what it signs tokens with.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct ShopConfig {
    /// Host the public API binds to.
    pub host: String,
    /// Port of the public API (0 picks a free one).
    pub port: u16,
    /// Port of the control API, always on 127.0.0.1 (0 picks a free one).
    pub control_port: u16,
    /// HS256 secret for the shop's JWTs. When unset, a random one is created
    /// once in the state directory and shared by every shop instance that uses
    /// it, so a token from one is accepted by another (labs run two instances).
    pub jwt_secret: Option<String>,
    /// `[shop.limits]`: connection cap, header/request/database timeouts,
    /// URI and header ceilings (see `shop::server`).
    pub limits: crate::shop::ServerLimits,
}

/// What the seeded catalog looks like.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct FixturesConfig {
    pub scale: crate::fixtures::Scale,
    pub seed: u64,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        Self {
            url: None,
            local: "localhost:5432".into(),
            name: "perflab".into(),
            scratch: true,
        }
    }
}

impl Default for RedisConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            url: None,
            local: "localhost:6379".into(),
            scratch: true,
        }
    }
}

impl Default for ShopConfig {
    fn default() -> Self {
        Self {
            host: "127.0.0.1".into(),
            port: 8000,
            control_port: 0,
            jwt_secret: None,
            limits: crate::shop::ServerLimits::default(),
        }
    }
}

impl Default for FixturesConfig {
    fn default() -> Self {
        Self {
            scale: crate::fixtures::Scale::Default,
            seed: 7,
        }
    }
}

/// A configuration that cannot be used, said in one line.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("environment variable {var}={value:?}: expected {expected}")]
    Env {
        var: &'static str,
        value: String,
        expected: &'static str,
    },
}

impl Config {
    /// Loads the configuration the way every command does: the explicit file if
    /// given (it must exist), else `./perflab.toml` if present, else defaults;
    /// then the process environment on top.
    pub fn load(explicit: Option<&Path>) -> Result<Self, ConfigError> {
        let from_file = match explicit {
            Some(path) => Some(path.to_path_buf()),
            None => Some(PathBuf::from("perflab.toml")).filter(|p| p.is_file()),
        };
        let mut config = match from_file {
            Some(path) => Self::from_file(&path)?,
            None => Self::default(),
        };
        config.apply_env(|name| std::env::var(name).ok())?;
        Ok(config)
    }

    /// Parses one TOML file.
    pub fn from_file(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_toml(&text).map_err(|message| ConfigError::Parse {
            path: path.to_path_buf(),
            message,
        })
    }

    /// Parses TOML text; the error is one line naming the key and what was expected.
    pub fn from_toml(text: &str) -> Result<Self, String> {
        // serde_path_to_error names the key (`shop.port`), which toml's own
        // message leaves out for type errors.
        let deserializer =
            toml::Deserializer::parse(text).map_err(|e| one_line_toml_error(text, &e, ""))?;
        serde_path_to_error::deserialize(deserializer).map_err(|e| {
            let key = e.path().to_string();
            one_line_toml_error(text, e.inner(), &key)
        })
    }

    /// Applies `DATABASE_URL`, `REDIS_URL` and `PERFLAB_*` from `lookup`
    /// (the process environment in production, a map in tests).
    pub fn apply_env(
        &mut self,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<(), ConfigError> {
        let get = |name: &str| lookup(name).filter(|v| !v.is_empty());
        if let Some(url) = get("DATABASE_URL") {
            self.database.url = Some(url);
        }
        if let Some(url) = get("REDIS_URL") {
            self.redis.url = Some(url);
        }
        if let Some(local) = get("PERFLAB_LOCAL_POSTGRES") {
            self.database.local = local;
        }
        if let Some(local) = get("PERFLAB_LOCAL_REDIS") {
            self.redis.local = local;
        }
        if let Some(dir) = get("PERFLAB_STATE_DIR") {
            self.state_dir = Some(PathBuf::from(dir));
        }
        if let Some(secret) = get("PERFLAB_JWT_SECRET") {
            self.shop.jwt_secret = Some(secret);
        }
        if let Some(v) = get("PERFLAB_PORT") {
            self.shop.port = parse_env("PERFLAB_PORT", v, "a port number (0-65535)")?;
        }
        if let Some(v) = get("PERFLAB_CONTROL_PORT") {
            self.shop.control_port =
                parse_env("PERFLAB_CONTROL_PORT", v, "a port number (0-65535)")?;
        }
        if let Some(v) = get("PERFLAB_SCALE") {
            self.fixtures.scale = parse_env("PERFLAB_SCALE", v, "`small` or `default`")?;
        }
        if let Some(v) = get("PERFLAB_SEED") {
            self.fixtures.seed = parse_env("PERFLAB_SEED", v, "an unsigned integer")?;
        }
        if let Some(v) = get("PERFLAB_REDIS") {
            self.redis.enabled = parse_switch("PERFLAB_REDIS", v)?;
        }
        if let Some(v) = get("PERFLAB_PARENT_PID") {
            self.parent_pid = Some(parse_env("PERFLAB_PARENT_PID", v, "a process id")?);
        }
        if let Some(v) = get("PERFLAB_SCRATCH") {
            let allow = parse_env::<bool>("PERFLAB_SCRATCH", v, "`true` or `false`")?;
            self.database.scratch = allow;
            self.redis.scratch = allow;
        }
        Ok(())
    }

    /// The state directory, resolved.
    pub fn state_dir(&self) -> PathBuf {
        if let Some(dir) = &self.state_dir {
            return dir.clone();
        }
        let base = std::env::var_os("XDG_STATE_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/state")))
            .unwrap_or_else(std::env::temp_dir);
        base.join("perflab")
    }
}

fn parse_env<T: std::str::FromStr>(
    var: &'static str,
    value: String,
    expected: &'static str,
) -> Result<T, ConfigError> {
    value.trim().parse().map_err(|_| ConfigError::Env {
        var,
        value,
        expected,
    })
}

/// `on`/`off` (also `true`/`false`, `1`/`0`): how a person writes a switch.
fn parse_switch(var: &'static str, value: String) -> Result<bool, ConfigError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "on" | "true" | "1" | "yes" => Ok(true),
        "off" | "false" | "0" | "no" => Ok(false),
        _ => Err(ConfigError::Env {
            var,
            value,
            expected: "`on` or `off`",
        }),
    }
}

/// `toml`'s errors span several lines with a source excerpt; perflab's promise is
/// one line: where (line, column) and the message, which names the key.
pub fn one_line_toml_error(text: &str, error: &toml::de::Error, key: &str) -> String {
    let mut message = error.message().trim().replace('\n', " ");
    if !key.is_empty() && key != "." {
        message = format!("key `{key}`: {message}");
    }
    match error.span() {
        Some(span) => {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
            format!("line {line}, column {column}: {message}")
        }
        None => message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn empty_file_gives_defaults() {
        assert_eq!(Config::from_toml("").unwrap(), Config::default());
    }

    #[test]
    fn file_values_are_read() {
        let config = Config::from_toml(
            "[database]\nurl = \"postgres://x@h/db\"\n[shop]\nport = 9000\n[fixtures]\nscale = \"small\"\nseed = 3\n",
        )
        .unwrap();
        assert_eq!(config.database.url.as_deref(), Some("postgres://x@h/db"));
        assert_eq!(config.shop.port, 9000);
        assert_eq!(config.fixtures.scale, crate::fixtures::Scale::Small);
        assert_eq!(config.fixtures.seed, 3);
    }

    #[test]
    fn shop_limits_read_from_the_file() {
        let config =
            Config::from_toml("[shop.limits]\nmax_connections = 64\nrequest_timeout = \"5s\"\n")
                .unwrap();
        assert_eq!(config.shop.limits.max_connections, 64);
        assert_eq!(
            config.shop.limits.request_timeout,
            std::time::Duration::from_secs(5)
        );
        let err = Config::from_toml("[shop.limits]\nmax_conns = 1\n").unwrap_err();
        assert!(err.contains("max_conns"), "{err}");
    }

    #[test]
    fn unknown_key_is_named() {
        let err = Config::from_toml("[shop]\nprot = 9000\n").unwrap_err();
        assert!(err.contains("prot"), "{err}");
        assert!(!err.contains('\n'), "{err}");
    }

    #[test]
    fn wrong_type_says_what_was_expected() {
        let err = Config::from_toml("[shop]\nport = \"eighty\"\n").unwrap_err();
        assert!(err.contains("port") || err.contains("integer"), "{err}");
        assert!(!err.contains('\n'), "{err}");
    }

    #[test]
    fn bad_scale_names_the_choices() {
        let err = Config::from_toml("[fixtures]\nscale = \"huge\"\n").unwrap_err();
        assert!(err.contains("huge"), "{err}");
    }

    #[test]
    fn file_error_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("perflab.toml");
        std::fs::write(&path, "[shop]\nport = -1\n").unwrap();
        let err = Config::from_file(&path).unwrap_err().to_string();
        assert!(err.starts_with(&path.display().to_string()), "{err}");
    }

    #[test]
    fn env_overrides_file() {
        let mut config = Config::from_toml("[database]\nurl = \"postgres://file\"\n").unwrap();
        let env: HashMap<&str, &str> = [
            ("DATABASE_URL", "postgres://env"),
            ("REDIS_URL", "redis://env"),
            ("PERFLAB_PORT", "8123"),
            ("PERFLAB_SCALE", "small"),
        ]
        .into();
        config
            .apply_env(|k| env.get(k).map(|v| v.to_string()))
            .unwrap();
        assert_eq!(config.database.url.as_deref(), Some("postgres://env"));
        assert_eq!(config.redis.url.as_deref(), Some("redis://env"));
        assert_eq!(config.shop.port, 8123);
        assert_eq!(config.fixtures.scale, crate::fixtures::Scale::Small);
    }

    #[test]
    fn redis_can_be_switched_off_and_the_parent_pinned() {
        let mut config = Config::default();
        assert!(config.redis.enabled);
        let env: HashMap<&str, &str> =
            [("PERFLAB_REDIS", "off"), ("PERFLAB_PARENT_PID", "42")].into();
        config
            .apply_env(|k| env.get(k).map(|v| v.to_string()))
            .unwrap();
        assert!(!config.redis.enabled);
        assert_eq!(config.parent_pid, Some(42));
        let err = Config::default()
            .apply_env(|k| (k == "PERFLAB_REDIS").then(|| "maybe".to_string()))
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "environment variable PERFLAB_REDIS=\"maybe\": expected `on` or `off`"
        );
        let file = Config::from_toml("[redis]\nenabled = false\n").unwrap();
        assert!(!file.redis.enabled);
    }

    #[test]
    fn bad_env_value_is_one_clear_line() {
        let mut config = Config::default();
        let err = config
            .apply_env(|k| (k == "PERFLAB_PORT").then(|| "99999".to_string()))
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "environment variable PERFLAB_PORT=\"99999\": expected a port number (0-65535)"
        );
    }
}
