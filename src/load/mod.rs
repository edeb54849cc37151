//! The load generator: drives HTTP traffic at a server and measures it, made
//! so that it is not the bottleneck it measures on a 2-core laptop.
//!
//! Two models: an **open loop** (a fixed arrival rate, latency measured from
//! each request's scheduled time so coordinated omission is corrected) and a
//! **closed loop** (N virtual users, each waiting for its answer). Each
//! connection is a task of its own with a raw hyper HTTP/1.1 connection (no
//! pooled client); virtual users may log in first and send a bearer token,
//! and draw their requests from a weighted [`Mix`] with Zipf-skewed ids.
//!
//! Workers aggregate into HDR histograms; a collector publishes one small
//! [`Snapshot`] a window (1 s) on an `mpsc` channel — never a record per
//! request. The TUI's dashboard, the checks and `perflab bench` consume
//! snapshots; this module depends on nothing of perflab but the fixture
//! users' credentials.

mod closed_loop;
mod collector;
mod connection;
mod error;
mod identity;
mod mix;
mod open_loop;
mod report;
mod snapshot;
mod tally;
mod target;
mod worker;
mod zipf;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::{StreamExt, TryStreamExt};
use rand::SeedableRng;
use rand::rngs::SmallRng;
use tokio::sync::mpsc;
use tokio::task::{JoinHandle, JoinSet};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

pub use error::LoadError;
pub use identity::{Login, Sessions};
pub use mix::{Endpoint, Mix, Param};
pub use report::{EndpointInfo, LoginInfo, ParamInfo, RunInfo, header, json, summary, window_line};
pub use snapshot::{
    CacheAnswer, CacheCounts, ClassStats, EndpointStats, ErrorCounts, Latency, Snapshot, Stats,
    StatusClass, UserStats,
};
pub use tally::{HIGHEST_US, LOWEST_US, SIGNIFICANT_DIGITS};
pub use target::{Target, split_url, split_urls};
pub use worker::LATE_AFTER;
pub use zipf::Zipf;

use connection::Connection;
use tally::Tally;
use worker::Worker;

/// How traffic is generated.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Model {
    /// A fixed arrival rate (requests per second) spread over `connections`.
    Open { rate: f64, connections: usize },
    /// `users` virtual users, one connection each, back to back.
    Closed { users: usize },
}

impl Model {
    /// Connections (= virtual users) the model opens.
    pub fn connections(&self) -> usize {
        match *self {
            Self::Open { connections, .. } => connections,
            Self::Closed { users } => users,
        }
    }
}

/// Everything a run needs.
#[derive(Debug, Clone)]
pub struct LoadConfig {
    /// `http://host:port` of the server.
    pub target: String,
    /// `http://host:port` of other instances of the same server (same
    /// database, same paths): connection `k` goes to instance `k mod n`,
    /// `target` first. Dealt per connection, not per request, so the request
    /// path stays one socket and one lookup as with a single server.
    pub peers: Vec<String>,
    pub mix: Arc<Mix>,
    pub model: Model,
    pub duration: Duration,
    /// Per request, including a reconnect.
    pub timeout: Duration,
    /// Log each virtual user in first (per-user tokens and counts).
    pub login: Option<Login>,
    /// Each virtual user connects from a loopback address of its own
    /// (127.1.0.1, 127.1.0.2, …) when the target is on 127.0.0.1, as users
    /// on their own machines would: a per-address rate limit then sees each
    /// user, not one client sending everything.
    pub per_user_address: bool,
    /// Snapshot period.
    pub window: Duration,
    /// Seed of the mix's random streams (worker `k` uses `seed + k`).
    pub seed: u64,
}

impl LoadConfig {
    /// A closed or open loop against `target` with the defaults: 1 s windows,
    /// 10 s timeout, no login.
    pub fn new(target: impl Into<String>, mix: Mix, model: Model, duration: Duration) -> Self {
        Self {
            target: target.into(),
            peers: Vec::new(),
            mix: Arc::new(mix),
            model,
            duration,
            timeout: Duration::from_secs(10),
            login: None,
            per_user_address: false,
            window: Duration::from_secs(1),
            seed: 0,
        }
    }

    fn validate(&self) -> Result<(), LoadError> {
        let invalid = |what: &str| Err(LoadError::Invalid(what.to_string()));
        match self.model {
            Model::Open { rate, .. } if !(rate.is_finite() && rate > 0.0) => {
                invalid("the rate must be a positive number of requests per second")
            }
            m if m.connections() == 0 => invalid("at least one connection (user) is needed"),
            _ if self.window.is_zero() || self.timeout.is_zero() => {
                invalid("the window and the timeout must be longer than zero")
            }
            _ => Ok(()),
        }
    }
}

/// A started run: its snapshots, and its final snapshot through [`finish`](Self::finish).
pub struct LoadRun {
    /// One snapshot a window; the last has `done: true`.
    pub snapshots: mpsc::Receiver<Snapshot>,
    collector: JoinHandle<Snapshot>,
}

impl LoadRun {
    /// Waits for the end of the run (its duration, or `cancel`) and returns
    /// the final snapshot.
    pub async fn finish(self) -> Result<Snapshot, LoadError> {
        self.collector
            .await
            .map_err(|e| LoadError::Collector(e.to_string()))
    }
}

/// How many snapshots wait for a slow consumer before windows are dropped.
const SNAPSHOT_BUFFER: usize = 64;

/// Connects (and logs in) every virtual user, then starts the clock. Fails
/// fast, before any load, when the server is unreachable or a login fails.
pub async fn start(config: LoadConfig, cancel: CancellationToken) -> Result<LoadRun, LoadError> {
    config.validate()?;
    let mut targets = vec![Arc::new(Target::resolve(&config.target).await?)];
    for peer in &config.peers {
        targets.push(Arc::new(Target::resolve(peer).await?));
    }
    let workers = prepare(&config, &targets).await?;
    let shards = shards(workers.len());
    let workers: Vec<Worker> = workers
        .into_iter()
        .enumerate()
        .map(|(k, (connection, identity))| Worker {
            connection,
            backoff: worker::MIN_BACKOFF,
            identity,
            mix: Arc::clone(&config.mix),
            shards: Arc::clone(&shards),
            shard: k % shards.len(),
            rng: SmallRng::seed_from_u64(config.seed.wrapping_add(k as u64)),
        })
        .collect();
    let start = Instant::now();
    let mut tasks = JoinSet::new();
    let schedule = match config.model {
        Model::Open { rate, .. } => {
            open_loop::spawn(&mut tasks, workers, (start, config.duration, rate), &cancel);
            Some((rate, config.duration))
        }
        Model::Closed { .. } => {
            closed_loop::spawn(&mut tasks, workers, start + config.duration, &cancel);
            None
        }
    };
    let (sender, snapshots) = mpsc::channel(SNAPSHOT_BUFFER);
    let plan = collector::Plan {
        start,
        window: config.window,
        duration: config.duration,
        schedule,
    };
    let collector = tokio::spawn(collector::collect(shards, tasks, sender, plan));
    Ok(LoadRun {
        snapshots,
        collector,
    })
}

/// How many users connect and log in at once. The shop checks passwords
/// with argon2, one per core: hundreds of logins sent together would queue
/// there and time out, while queued here they are only sent in turn.
const LOGINS_AT_ONCE: usize = 8;

/// Opens every connection and logs every user in, a few at a time;
/// connection `k` goes to `targets[k mod n]` (and its user logs in there).
async fn prepare(
    config: &LoadConfig,
    targets: &[Arc<Target>],
) -> Result<Vec<(Connection, Option<identity::Identity>)>, LoadError> {
    let users = (0..config.model.connections()).map(|k| async move {
        let target = &targets[k % targets.len()];
        let mut connection = Connection::new(Arc::clone(target), config.timeout);
        if config.per_user_address && target.addr.ip() == std::net::Ipv4Addr::LOCALHOST {
            connection = connection.bound_to(user_address(k));
        }
        connection
            .connect()
            .await
            .map_err(|e| LoadError::Unreachable {
                addr: target.addr,
                reason: e.to_string(),
            })?;
        let identity = match &config.login {
            Some(login) => Some(identity::login(&mut connection, login, k as u32).await?),
            None => None,
        };
        Ok::<_, LoadError>((connection, identity))
    });
    futures::stream::iter(users)
        .buffered(LOGINS_AT_ONCE)
        .try_collect()
        .await
}

/// Virtual user `k`'s own loopback address: 127.1.0.1 + k.
fn user_address(k: usize) -> std::net::IpAddr {
    let base = u32::from(std::net::Ipv4Addr::new(127, 1, 0, 1));
    std::net::IpAddr::V4(std::net::Ipv4Addr::from(base.wrapping_add(k as u32)))
}

/// Shards the workers record into: enough that two cores rarely meet on one
/// lock, few enough that memory does not grow with the number of users.
fn shards(workers: usize) -> Arc<[Mutex<Tally>]> {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let count = workers.clamp(1, 4 * cores);
    (0..count).map(|_| Mutex::default()).collect()
}

/// `Name: value` as a header to send with every request (`perflab bench -H`,
/// a lab's traffic `headers`).
pub fn parse_header(
    text: &str,
) -> Result<(hyper::header::HeaderName, hyper::header::HeaderValue), LoadError> {
    let invalid = || LoadError::Invalid(format!("header {text:?}: expected `Name: value`"));
    let (name, value) = text.split_once(':').ok_or_else(invalid)?;
    let name =
        hyper::header::HeaderName::from_bytes(name.trim().as_bytes()).map_err(|_| invalid())?;
    let value = hyper::header::HeaderValue::from_str(value.trim()).map_err(|_| invalid())?;
    Ok((name, value))
}
