//! Redis: the configured URL, else the local default server, else a scratch
//! `redis-server` on a free port, else none at all.
//!
//! Redis is optional: every failure ends in [`RedisAvailability::Missing`] with a
//! reason the UI shows, never in an error; the shop then runs without a cache.
//! A scratch server keeps nothing on disk (`--save "" --appendonly no`), is
//! stopped on `shutdown` or drop, and dies with perflab (see
//! [`super::children`]; a record beside it lets the next run stop it where
//! the system cannot, see [`super::leftovers`]).
//!
//! A configured URL is the only server used (a dead one means no Redis, never
//! the local one), and `enabled = false` means none at all: the lab runner
//! pins its shop children to exactly the Redis it chose this way.

use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};

use nix::sys::signal::Signal;
use redis::AsyncConnectionConfig;
use tokio::time::Instant;

use super::leftovers::redis_record_path;
use super::net::{
    CONNECT_TIMEOUT, POLL_INTERVAL, START_DEADLINE, free_port, mask_password, one_line,
};
use super::process::ServerProcess;
use super::{NoScratch, Origin};
use crate::config::RedisConfig;
use crate::messages::Text;
use crate::msg;

/// How many free ports to try when another process takes ours first.
const PORT_ATTEMPTS: usize = 3;

/// A reachable Redis server, and the scratch process behind it if perflab started one.
#[derive(Debug)]
pub struct RedisService {
    pub url: String,
    pub origin: Origin,
    /// `redis_version` from `INFO server`, e.g. `7.0.15`.
    pub version: String,
    scratch: Option<ServerProcess>,
}

impl RedisService {
    /// Stops the scratch server, if perflab started one.
    pub async fn shutdown(mut self) {
        if let Some(mut process) = self.scratch.take() {
            process.stop().await;
        }
    }
}

/// Redis is optional: the shop runs without it and says so.
#[derive(Debug)]
pub enum RedisAvailability {
    Up(RedisService),
    /// No Redis; `reason` says what was tried and how to get one.
    Missing {
        reason: RedisMissing,
    },
}

impl RedisAvailability {
    pub async fn shutdown(self) {
        if let Self::Up(service) = self {
            service.shutdown().await;
        }
    }
}

/// Why there is no Redis. `Display` is the English line for logs, with how
/// to get one; [`RedisMissing::message`] the learner's (`services.ftl`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RedisMissing {
    #[error("Redis is turned off (PERFLAB_REDIS=off or enabled = false under [redis])")]
    Disabled,
    #[error(
        "Redis at {url} (the configured REDIS_URL) does not answer: {cause}; \
         the shop runs without a cache; to get one, `perflab doctor --fix` or set REDIS_URL"
    )]
    ConfiguredDown { url: String, cause: String },
    #[error(
        "nothing answers at {local} ({cause}) and {why}; \
         the shop runs without a cache; to get one, `perflab doctor --fix` or set REDIS_URL"
    )]
    NothingLocal {
        local: String,
        cause: String,
        why: NoScratch,
    },
}

impl RedisMissing {
    pub fn message(&self, text: &Text) -> String {
        match self {
            RedisMissing::Disabled => msg!(text, "service-redis-disabled"),
            RedisMissing::ConfiguredDown { url, cause } => msg!(
                text,
                "service-redis-configured-down",
                url = url.as_str(),
                cause = cause.as_str()
            ),
            RedisMissing::NothingLocal { local, cause, why } => msg!(
                text,
                "service-redis-none",
                local = local.as_str(),
                cause = cause.as_str(),
                why = why.message(text)
            ),
        }
    }
}

/// Where Redis would come from, found without starting anything: the
/// steps [`resolve`] and `probe` share.
pub(super) enum Found {
    /// A server answers: the configured URL or the local default.
    Answers {
        url: String,
        origin: Origin,
        version: String,
    },
    /// Nothing answers locally; a scratch server may be started.
    ScratchWanted {
        local: String,
        cause: String,
    },
    Missing(RedisMissing),
}

/// The configured URL, else the local default server; never another.
pub(super) async fn find(config: &RedisConfig) -> Found {
    if !config.enabled {
        return Found::Missing(RedisMissing::Disabled);
    }
    if let Some(url) = &config.url {
        return match ping(url).await {
            Ok(version) => Found::Answers {
                url: url.clone(),
                origin: Origin::Configured,
                version,
            },
            Err(cause) => Found::Missing(RedisMissing::ConfiguredDown {
                url: mask_password(url),
                cause,
            }),
        };
    }
    let local_url = format!("redis://{}", config.local);
    match ping(&local_url).await {
        Ok(version) => Found::Answers {
            url: local_url,
            origin: Origin::LocalDefault,
            version,
        },
        Err(cause) if !config.scratch => Found::Missing(RedisMissing::NothingLocal {
            local: config.local.clone(),
            cause,
            why: NoScratch::Disabled,
        }),
        Err(cause) => Found::ScratchWanted {
            local: config.local.clone(),
            cause,
        },
    }
}

/// PINGs `url` and reads its version, all within [`CONNECT_TIMEOUT`].
pub async fn ping(url: &str) -> Result<String, String> {
    match tokio::time::timeout(CONNECT_TIMEOUT, ping_unbounded(url)).await {
        Ok(result) => result.map_err(|e| one_line(&e.to_string())),
        Err(_) => Err(format!("no answer within {} s", CONNECT_TIMEOUT.as_secs())),
    }
}

async fn ping_unbounded(url: &str) -> redis::RedisResult<String> {
    let client = redis::Client::open(url)?;
    let config = AsyncConnectionConfig::new()
        .set_connection_timeout(Some(CONNECT_TIMEOUT))
        .set_response_timeout(Some(CONNECT_TIMEOUT));
    let mut conn = client
        .get_multiplexed_async_connection_with_config(&config)
        .await?;
    redis::cmd("PING").query_async::<String>(&mut conn).await?;
    let info: String = redis::cmd("INFO")
        .arg("server")
        .query_async(&mut conn)
        .await?;
    Ok(info
        .lines()
        .find_map(|line| line.strip_prefix("redis_version:"))
        .unwrap_or("unknown")
        .trim()
        .to_string())
}

/// Finds or starts Redis in the order the module doc gives.
pub async fn resolve(config: &RedisConfig) -> RedisAvailability {
    let (local, cause) = match find(config).await {
        Found::Answers {
            url,
            origin,
            version,
        } => {
            return RedisAvailability::Up(RedisService {
                url,
                origin,
                version,
                scratch: None,
            });
        }
        Found::Missing(reason) => return RedisAvailability::Missing { reason },
        Found::ScratchWanted { local, cause } => (local, cause),
    };
    match start_scratch().await {
        Ok(service) => RedisAvailability::Up(service),
        Err(why) => RedisAvailability::Missing {
            reason: RedisMissing::NothingLocal { local, cause, why },
        },
    }
}

/// `redis-server` from PATH, if there is one; else `valkey-server`, the
/// drop-in fork some distributions (Fedora 41+, Arch) ship instead.
pub fn find_redis_server() -> Option<std::path::PathBuf> {
    let path = std::env::var_os("PATH")?;
    let dirs: Vec<std::path::PathBuf> = std::env::split_paths(&path).collect();
    ["redis-server", "valkey-server"]
        .into_iter()
        .find_map(|name| {
            dirs.iter()
                .map(|dir| dir.join(name))
                .find(|candidate| candidate.is_file())
        })
}

/// Starts a scratch `redis-server`.
async fn start_scratch() -> Result<RedisService, NoScratch> {
    let binary = redis_server_binary()
        .await
        .ok_or(NoScratch::NoRedisBinary)?;
    for _ in 0..PORT_ATTEMPTS {
        let port = free_port().map_err(|e| NoScratch::RedisFailed(format!("no free port: {e}")))?;
        let (mut process, log) = spawn(&binary, port).await.map_err(NoScratch::RedisFailed)?;
        let url = format!("redis://127.0.0.1:{port}");
        match wait_ready(&mut process, &url, &log).await {
            Ok(version) => {
                return Ok(RedisService {
                    url,
                    origin: Origin::Scratch,
                    version,
                    scratch: Some(process),
                });
            }
            Err(log) if log.contains("Address already in use") => continue,
            Err(why) => return Err(NoScratch::RedisFailed(why)),
        }
    }
    Err(NoScratch::RedisFailed(format!(
        "{PORT_ATTEMPTS} free ports were taken before it could bind"
    )))
}

async fn redis_server_binary() -> Option<std::path::PathBuf> {
    tokio::task::spawn_blocking(find_redis_server)
        .await
        .ok()
        .flatten()
}

/// A private `redis-server` that can be stopped and started again on the same
/// port: what a check needs to take Redis away from a shop mid-load and give
/// it back (lab 1.6). Nothing else uses this server, so stopping it disturbs
/// no other shop or test. Stopped on drop.
#[derive(Debug)]
pub struct ScratchRedis {
    binary: std::path::PathBuf,
    port: u16,
    url: String,
    process: Option<ServerProcess>,
}

impl ScratchRedis {
    /// Starts one on a free port.
    pub async fn start() -> Result<Self, String> {
        let binary = redis_server_binary()
            .await
            .ok_or_else(|| NoScratch::NoRedisBinary.to_string())?;
        let service = start_scratch().await.map_err(|e| e.to_string())?;
        let port = service
            .url
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .ok_or_else(|| format!("unexpected scratch Redis URL {}", service.url))?;
        let RedisService { url, scratch, .. } = service;
        Ok(Self {
            binary,
            port,
            url,
            process: scratch,
        })
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn is_running(&self) -> bool {
        self.process.is_some()
    }

    /// Stops the server (SIGTERM, then SIGKILL) and waits for it to exit.
    pub async fn stop(&mut self) {
        if let Some(mut process) = self.process.take() {
            process.stop().await;
        }
    }

    /// Starts it again on the same port and waits until it answers PING.
    pub async fn restart(&mut self) -> Result<(), String> {
        self.stop().await;
        let (mut process, log) = spawn(&self.binary, self.port).await?;
        wait_ready(&mut process, &self.url, &log)
            .await
            .map_err(|why| format!("the scratch redis-server did not start again: {why}"))?;
        self.process = Some(process);
        Ok(())
    }
}

/// Spawns the server with its output in an anonymous temp file (nothing to
/// clean up, readable if it fails to start).
async fn spawn(
    binary: &std::path::Path,
    port: u16,
) -> Result<(ServerProcess, std::fs::File), String> {
    let mut command = Command::new(binary);
    command
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
        .args(["--save", "", "--appendonly", "no"])
        .stdin(Stdio::null())
        // Its own process group: a Ctrl-C in the terminal goes to perflab,
        // which then stops the server in order, after the shop.
        .process_group(0);
    let spawned = tokio::task::spawn_blocking(move || {
        let log = tempfile::tempfile()?;
        command.stdout(log.try_clone()?).stderr(log.try_clone()?);
        let mut process = ServerProcess::spawn(command, Signal::SIGTERM)?;
        process.record_at(redis_record_path(&std::env::temp_dir(), port));
        Ok::<_, std::io::Error>((process, log))
    })
    .await;
    match spawned {
        Ok(Ok(started)) => Ok(started),
        Ok(Err(e)) => Err(format!("cannot run {}: {e}", binary.display())),
        Err(e) => Err(format!("cannot run {}: {e}", binary.display())),
    }
}

/// Polls PING until it answers, the server exits, or the deadline passes.
/// The error is the server's output (or why it is not up).
async fn wait_ready(
    process: &mut ServerProcess,
    url: &str,
    log: &std::fs::File,
) -> Result<String, String> {
    let deadline = Instant::now() + START_DEADLINE;
    loop {
        if let Some(status) = process.exited() {
            return Err(format!("exited ({status}): {}", read_tail(log).await));
        }
        match ping(url).await {
            Ok(version) => return Ok(version),
            Err(e) if Instant::now() >= deadline => {
                return Err(format!(
                    "no PING answer after {} s: {e}",
                    START_DEADLINE.as_secs()
                ));
            }
            Err(_) => tokio::time::sleep(POLL_INTERVAL).await,
        }
    }
}

async fn read_tail(log: &std::fs::File) -> String {
    let Ok(mut log) = log.try_clone() else {
        return String::new();
    };
    let text = tokio::task::spawn_blocking(move || {
        use std::io::{Read, Seek};
        let mut text = String::new();
        let _ = log.rewind().and_then(|_| log.read_to_string(&mut text));
        text
    })
    .await
    .unwrap_or_default();
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(3)..].join(" | ")
}
