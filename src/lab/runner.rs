//! Runs a lab's checks against a real shop: starts the shop as a child
//! process (`perflab serve`, so its memory and CPU are its own and a crash
//! cannot take the runner down), with the settings under test, on the
//! services perflab found; applies the index SQL through the control API;
//! builds the check context (control API, database, pid, peers, a private
//! Redis when the lab stops one) and runs the checks in order.
//!
//! Each child is pinned to the services the runner chose and dies with the
//! runner ([`crate::services::children`]).
//!
//! Used by `perflab check`, `perflab labs validate` and the TUI. Depends on
//! `check`, `shop` (the endpoint file, the settings types and the index SQL
//! guard, which is pure) and `services` (the private Redis); the shop never
//! depends on it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use super::catalog::Lab;
use super::targets::Target;
use crate::check::{self, CheckResult, Context, Lang, RedisServer};
use crate::messages::Text;
use crate::msg;
use crate::services::children;
use crate::services::latency::{self, LatencyRelay};
use crate::services::redis::ScratchRedis;
use crate::shop::ShopEndpoint;
use crate::shop::settings::ShopSettings;
use crate::shop::store::indexes::ApplyLimits;
use crate::shop::store::student_sql;

/// How long a shop child may take to print its address (it seeds nothing:
/// the runner has seeded before).
const START_DEADLINE: Duration = Duration::from_secs(60);
/// How long a stopped child may take to finish its requests.
const STOP_GRACE: Duration = Duration::from_secs(12);

/// Where and how the shops of a run start.
#[derive(Debug, Clone)]
pub struct RunEnv {
    /// The perflab binary (`std::env::current_exe()`; tests pass Cargo's).
    pub program: PathBuf,
    pub state_dir: PathBuf,
    pub database_url: String,
    /// `None`: no Redis; the shop runs without a cache.
    pub redis_url: Option<String>,
    /// The catalog the database holds (so the child does not reseed).
    pub scale: crate::fixtures::Scale,
    pub seed: u64,
    pub lang: Lang,
}

/// Why a lab could not be run; one line, naming what to do.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The settings under test are invalid (a lab's start or solution).
    #[error("invalid settings: {0}")]
    Settings(String),
    #[error("cannot write the shop's settings file: {0}")]
    SettingsFile(std::io::Error),
    #[error("cannot start the shop ({program}): {source}; is the perflab binary still there?")]
    Spawn {
        program: String,
        source: std::io::Error,
    },
    #[error("the shop did not start: {0}; `perflab doctor` says what is missing")]
    ShopStart(String),
    #[error("the shop did not answer its control API: {0}; run the check again")]
    Control(String),
    /// The student's SQL was refused (by the guard, before anything started,
    /// or by PostgreSQL, rolled back): one line in the learner's language
    /// (labs/messages/*/sql.ftl) saying where, why and what to do.
    #[error("{0}")]
    Indexes(String),
    /// The lab's own starting SQL was refused: the pack is broken.
    #[error("the lab's starting indexes were refused: {0}")]
    StartIndexes(String),
    #[error("cannot start a private Redis for this lab: {0}")]
    Redis(String),
    #[error("cannot put the lab's network between the shop and PostgreSQL: {0}")]
    Relay(String),
}

impl RunError {
    /// The student's own work is at fault (exit 1), not the environment (exit 2).
    pub fn is_students(&self) -> bool {
        matches!(self, Self::Indexes(_))
    }
}

/// One `perflab serve` child.
pub struct ShopChild {
    child: Child,
    pub endpoint: ShopEndpoint,
    /// The settings file it read; removed when the child is dropped.
    _settings: tempfile::NamedTempFile,
    /// Its stderr, readable under `<state_dir>/runs/` while it runs.
    log: tempfile::NamedTempFile,
}

impl ShopChild {
    /// Starts a shop with `settings` and waits until it serves.
    pub async fn spawn(
        env: &RunEnv,
        settings: &ShopSettings,
        redis_url: Option<&str>,
    ) -> Result<Self, RunError> {
        let file = settings_file(&env.state_dir, settings).map_err(RunError::SettingsFile)?;
        let log = shop_log(&env.state_dir).map_err(RunError::SettingsFile)?;
        let mut command = Command::new(&env.program);
        command
            .arg("serve")
            .arg("--settings")
            .arg(file.path())
            .env("PERFLAB_STATE_DIR", &env.state_dir)
            .env("PERFLAB_PORT", "0")
            .env("PERFLAB_CONTROL_PORT", "0")
            .env("PERFLAB_SCALE", env.scale.to_string())
            .env("PERFLAB_SEED", env.seed.to_string())
            // Where the kernel cannot signal it when we die (macOS), the
            // child watches for that itself.
            .env("PERFLAB_PARENT_PID", std::process::id().to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log.reopen().map_err(RunError::SettingsFile)?)
            // A runner that drops it mid-run must not leave shops behind.
            .kill_on_drop(true);
        pin_services(&mut command, &env.database_url, redis_url);
        // SIGTERM when the runner dies: the child stops as on Ctrl-C and
        // removes its endpoint file.
        let mut child = children::spawn_tokio(command, Signal::SIGTERM)
            .await
            .map_err(|source| RunError::Spawn {
                program: env.program.display().to_string(),
                source,
            })?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| RunError::ShopStart("the child's output could not be read".into()))?;
        let url = match tokio::time::timeout(START_DEADLINE, shop_url(stdout)).await {
            Ok(Some(url)) => url,
            Ok(None) => return Err(RunError::ShopStart(last_line(log.path()))),
            Err(_) => {
                return Err(RunError::ShopStart(format!(
                    "no address after {} s",
                    START_DEADLINE.as_secs()
                )));
            }
        };
        let port = url
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .ok_or_else(|| RunError::ShopStart(format!("unexpected address {url}")))?;
        let endpoint = crate::shop::read_endpoint(&env.state_dir, port)
            .map_err(|e| RunError::ShopStart(format!("cannot read its endpoint file: {e}")))?;
        Ok(Self {
            child,
            endpoint,
            _settings: file,
            log,
        })
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    /// How the child ended, if it has (never blocks): the TUI's dashboard
    /// asks once a second, so a shop killed under load is named at once
    /// instead of its panels going on showing the last numbers.
    pub fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// The last `n` non-empty lines of its log (stderr): why it stopped.
    pub fn log_tail(&self, n: usize) -> Vec<String> {
        let text = std::fs::read_to_string(self.log.path()).unwrap_or_default();
        let mut lines: Vec<String> = text
            .lines()
            .rev()
            .filter(|l| !l.trim().is_empty())
            .take(n)
            .map(|l| l.trim().to_string())
            .collect();
        lines.reverse();
        lines
    }

    /// SIGTERM, then SIGKILL after the grace period.
    pub async fn stop(mut self) {
        if let Some(pid) = self.child.id() {
            let _ = kill(Pid::from_raw(pid as i32), Signal::SIGTERM);
            if tokio::time::timeout(STOP_GRACE, self.child.wait())
                .await
                .is_ok()
            {
                return;
            }
        }
        let _ = self.child.kill().await;
    }
}

/// Gives the child exactly the services the runner chose: this database,
/// this Redis or none at all. It never looks for a local server or starts a
/// scratch one of its own, whatever the environment or a `perflab.toml` in
/// the workspace says — a child that fell through to `localhost:6379` while
/// the runner had no Redis would pass checks against a server nobody chose.
fn pin_services(command: &mut Command, database_url: &str, redis_url: Option<&str>) {
    command
        .env("DATABASE_URL", database_url)
        .env("PERFLAB_SCRATCH", "false");
    match redis_url {
        Some(url) => command.env("REDIS_URL", url).env("PERFLAB_REDIS", "on"),
        None => command.env_remove("REDIS_URL").env("PERFLAB_REDIS", "off"),
    };
}

/// Reads the child's output until `shop <url>`; keeps draining it after (as
/// bytes, whatever they are), so the child never blocks on a full pipe.
async fn shop_url(stdout: tokio::process::ChildStdout) -> Option<String> {
    let mut reader = BufReader::new(stdout);
    let mut line = Vec::new();
    loop {
        line.clear();
        match reader.read_until(b'\n', &mut line).await {
            Ok(0) | Err(_) => return None,
            Ok(_) => {}
        }
        let text = String::from_utf8_lossy(&line);
        if let Some(url) = text.strip_prefix("shop ") {
            let url = url.trim().to_string();
            tokio::spawn(async move {
                let _ = tokio::io::copy(&mut reader, &mut tokio::io::sink()).await;
            });
            return Some(url);
        }
    }
}

fn settings_file(
    state_dir: &Path,
    settings: &ShopSettings,
) -> std::io::Result<tempfile::NamedTempFile> {
    let dir = state_dir.join("runs");
    std::fs::create_dir_all(&dir)?;
    let text = toml::to_string(settings).map_err(std::io::Error::other)?;
    let mut file = tempfile::Builder::new()
        .prefix("shop-")
        .suffix(".toml")
        .tempfile_in(&dir)?;
    std::io::Write::write_all(&mut file, text.as_bytes())?;
    Ok(file)
}

/// The child's log (stderr), kept until the next run for a post-mortem.
fn shop_log(state_dir: &Path) -> std::io::Result<tempfile::NamedTempFile> {
    let dir = state_dir.join("runs");
    std::fs::create_dir_all(&dir)?;
    tempfile::Builder::new()
        .prefix("shop-")
        .suffix(".log")
        .tempfile_in(&dir)
}

/// The last non-empty line of the child's log: why it stopped.
fn last_line(path: &Path) -> String {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|text| {
            text.lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .map(|l| l.trim_start_matches("perflab: ").to_string())
        })
        .unwrap_or_else(|| "it exited without saying why".into())
}

/// The shops and servers of one lab run.
pub struct Staged {
    pub shops: Vec<ShopChild>,
    pub redis: Option<RedisServer>,
    /// The network between the shops and PostgreSQL (`[stage] database_rtt`).
    relay: Option<LatencyRelay>,
}

impl Staged {
    /// Starts what the lab's `[stage]` asks for, with `settings`, the lab's
    /// starting indexes, then `indexes` (the student's or the solution's).
    pub async fn start(
        env: &RunEnv,
        lab: &Lab,
        settings: &ShopSettings,
        indexes: Option<&str>,
    ) -> Result<Self, RunError> {
        let text = Text::from(env.lang);
        refuse_early(&text, lab.start.indexes.as_deref(), indexes)?;
        let settings = &lab.settings_under_test(settings);
        let redis = match lab.stage.private_redis {
            true => Some(Arc::new(tokio::sync::Mutex::new(
                ScratchRedis::start().await.map_err(RunError::Redis)?,
            ))),
            false => None,
        };
        let redis_url = match &redis {
            Some(server) => Some(server.lock().await.url().to_string()),
            None => env.redis_url.clone(),
        };
        let relay = match lab.stage.database_rtt {
            Some(rtt) => Some(relay(&env.database_url, rtt).await?),
            None => None,
        };
        // The shops reach the database through the relay; the checks (and
        // the index SQL, through the control API's own connection) count
        // and measure directly.
        let mut shop_env = env.clone();
        if let Some(relay) = &relay {
            shop_env.database_url = relay
                .url_through(&env.database_url)
                .map_err(RunError::Relay)?;
        }
        let mut staged = Self {
            shops: Vec::new(),
            redis,
            relay,
        };
        for _ in 0..lab.stage.instances.max(1) {
            match ShopChild::spawn(&shop_env, settings, redis_url.as_deref()).await {
                Ok(shop) => staged.shops.push(shop),
                Err(e) => {
                    staged.stop().await;
                    return Err(e);
                }
            }
        }
        if let Err(e) = staged
            .apply_indexes(&text, lab.start.indexes.as_deref(), indexes)
            .await
        {
            staged.stop().await;
            return Err(e);
        }
        Ok(staged)
    }

    /// The student changed `indexes` while the shop runs (the dashboard):
    /// refused early as at the start, then applied as at the start.
    pub async fn reapply_indexes(
        &self,
        text: &Text,
        lab: &Lab,
        indexes: &str,
    ) -> Result<(), RunError> {
        refuse_early(text, None, Some(indexes))?;
        self.apply_indexes(text, lab.start.indexes.as_deref(), Some(indexes))
            .await
    }

    /// Drops the indexes a student made earlier, then applies the lab's
    /// starting ones and `indexes`, each on its own so PostgreSQL's line
    /// numbers point into the file that has the mistake.
    async fn apply_indexes(
        &self,
        text: &Text,
        start: Option<&str>,
        indexes: Option<&str>,
    ) -> Result<(), RunError> {
        let endpoint = &self.shops[0].endpoint;
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(120))
            .build()
            .unwrap_or_default();
        let post = |path: &str, body: String| {
            http.post(format!("{}{path}", endpoint.control_url))
                .bearer_auth(&endpoint.control_token)
                .body(body)
                .send()
        };
        let dropped = post("/indexes/drop", String::new())
            .await
            .map_err(|e| RunError::Control(e.to_string()))?;
        if !dropped.status().is_success() {
            return Err(RunError::Control(format!(
                "/indexes/drop answered {}",
                dropped.status()
            )));
        }
        for (sql, refused) in [
            (start, RunError::StartIndexes as fn(String) -> RunError),
            (indexes, RunError::Indexes),
        ] {
            let Some(sql) = sql.filter(|sql| has_statements(sql)) else {
                continue;
            };
            let applied = post("/indexes/apply", sql.to_string())
                .await
                .map_err(|e| RunError::Control(e.to_string()))?;
            let status = applied.status();
            if status.is_success() {
                continue;
            }
            let body: serde_json::Value = applied.json().await.unwrap_or_default();
            let detail = body["detail"].as_str().unwrap_or("no detail").to_string();
            return Err(match status.as_u16() {
                422 => refused(in_file(text, &body, &detail)),
                _ => RunError::Control(format!("/indexes/apply answered {status}: {detail}")),
            });
        }
        Ok(())
    }

    /// The context the lab's checks measure through.
    pub fn context(
        &self,
        env: &RunEnv,
        lab: &Lab,
        baseline: Option<BTreeMap<String, f64>>,
    ) -> Context {
        let first = &self.shops[0];
        let mut ctx = Context::new(&first.endpoint.url, env.lang)
            .with_control(&first.endpoint.control_url, &first.endpoint.control_token)
            .with_database(&env.database_url);
        if let Some(pid) = first.pid() {
            ctx = ctx.with_pid(pid);
        }
        ctx.peers = self.shops[1..]
            .iter()
            .map(|shop| shop.endpoint.url.clone())
            .collect();
        ctx.redis_server = self.redis.clone();
        ctx.traffic = lab.traffic.clone();
        ctx.log_file = first.endpoint.log_file.clone();
        ctx.baseline = baseline;
        ctx.visitors_apart = lab.stage.rate_limited;
        ctx
    }

    /// Stops every shop, then the relay and the private Redis.
    pub async fn stop(self) {
        for shop in self.shops {
            shop.stop().await;
        }
        drop(self.relay);
        if let Some(redis) = self.redis {
            redis.lock().await.stop().await;
        }
    }
}

/// A relay adding `rtt` to every round trip to the database at `url`.
async fn relay(url: &str, rtt: Duration) -> Result<LatencyRelay, RunError> {
    let upstream = latency::upstream_of(url).await.map_err(RunError::Relay)?;
    LatencyRelay::start(upstream, rtt)
        .await
        .map_err(|e| RunError::Relay(e.to_string()))
}

/// Refuses SQL outside what the labs teach before any shop or server starts
/// (a cheap parse; the control API checks again and asks the database the rest).
fn refuse_early(text: &Text, start: Option<&str>, indexes: Option<&str>) -> Result<(), RunError> {
    if let Some(Err(refused)) = start.map(student_sql::check) {
        // The pack's own SQL: its author reads the guard's English.
        return Err(RunError::StartIndexes(refused.in_file("start.indexes")));
    }
    if let Some(Err(refused)) = indexes.map(student_sql::check) {
        return Err(RunError::Indexes(refused_line(
            text,
            "indexes.sql",
            &refused,
        )));
    }
    Ok(())
}

/// The student's file refused by the guard, as one line in their language
/// (`file:line:column: why (in `statement`). … what it may hold`).
pub fn refused_line(text: &Text, file: &str, refused: &student_sql::Refused) -> String {
    sql_line(
        text,
        file,
        (refused.position.line, refused.position.column),
        &refused.statement,
        ("refused", refused.reason.key(), refused.reason.subject()),
    )
}

/// One line for a refused or failed file: `outcome` is the control API's
/// (`refused` or `failed`), `reason` the guard's reason or the SQLSTATE,
/// `subject` what it is about (or PostgreSQL's message).
fn sql_line(
    text: &Text,
    file: &str,
    (line, column): (u64, u64),
    statement: &str,
    (outcome, reason, subject): (&str, &str, &str),
) -> String {
    let limits = ApplyLimits::default();
    let duration = |d: Duration| humantime::format_duration(d).to_string();
    if outcome == "failed" {
        return match reason {
            "55P03" => msg!(
                text,
                "sql-lock-timeout",
                file = file,
                line = line,
                column = column,
                statement = statement,
                limit = duration(limits.lock_timeout)
            ),
            "57014" => msg!(
                text,
                "sql-statement-timeout",
                file = file,
                line = line,
                column = column,
                statement = statement,
                limit = duration(limits.statement_timeout)
            ),
            _ => msg!(
                text,
                "sql-failed",
                file = file,
                line = line,
                column = column,
                statement = statement,
                message = subject
            ),
        };
    }
    let reason = match reason {
        "statement" => msg!(text, "sql-reason-statement", kind = subject),
        "syntax" => msg!(text, "sql-reason-syntax", message = subject),
        "table" => msg!(text, "sql-reason-table", table = subject),
        "extension" => msg!(text, "sql-reason-extension", extension = subject),
        "clause" => msg!(text, "sql-reason-clause", clause = subject),
        "analyze-list" => msg!(text, "sql-reason-analyze-list"),
        "not-your-index" => msg!(text, "sql-reason-not-your-index", index = subject),
        other => format!("{other}: {subject}"),
    };
    msg!(
        text,
        "sql-refused",
        file = file,
        line = line,
        column = column,
        reason = reason,
        statement = statement,
        allowed = msg!(text, "sql-allowed")
    )
}

/// The control API's 422 as one line naming the file (`indexes.sql:3:5: …`).
fn in_file(text: &Text, problem: &serde_json::Value, detail: &str) -> String {
    let field = |name: &str| problem[name].as_str().unwrap_or_default();
    match (problem["line"].as_u64(), problem["column"].as_u64()) {
        (Some(line), Some(column)) => sql_line(
            text,
            "indexes.sql",
            (line, column),
            field("statement"),
            (field("outcome"), field("reason"), field("subject")),
        ),
        // Not about a place in the file (an empty body, perflab's own ANALYZE).
        _ => format!("indexes.sql: {detail}"),
    }
}

/// Whether SQL holds a statement (not only comments and blank lines); SQL the
/// guard refuses counts, so the control API says why.
fn has_statements(sql: &str) -> bool {
    student_sql::check(sql).map_or(true, |checked| !checked.statements.is_empty())
}

/// Starts the lab's stage with `settings` and `indexes`, runs its checks, stops.
pub async fn run_lab(
    env: &RunEnv,
    lab: &Lab,
    settings: &ShopSettings,
    indexes: Option<&str>,
    baseline: Option<BTreeMap<String, f64>>,
) -> Result<Vec<CheckResult>, RunError> {
    let quiet: OnPhase = Arc::new(|_| {});
    run_lab_reporting(env, lab, settings, indexes, baseline, &quiet).await
}

/// Where a lab run stands, for a progress display (the TUI's checks pane,
/// `perflab check`'s bar on a terminal).
#[derive(Debug, Clone, PartialEq)]
pub enum Phase {
    /// Starting the shop(s) and applying the indexes.
    StartingShop,
    /// Check `index` (from 1) of `total`: its traffic's warm-up (zero
    /// without one) comes first, then about `measure` of measuring, when
    /// the check drives traffic.
    Check {
        index: usize,
        total: usize,
        id: String,
        warmup: Duration,
        measure: Option<Duration>,
    },
    /// Stopping the shop(s): what the checks changed is put back.
    Restoring,
}

impl Phase {
    /// One line in the learner's language: the phase, `elapsed` since it
    /// began and, when known, how long it is expected to take.
    pub fn describe(&self, text: &Text, elapsed: Duration) -> String {
        let secs = elapsed.as_secs();
        match self {
            Self::StartingShop => msg!(text, "progress-starting-shop", elapsed = secs),
            Self::Restoring => msg!(text, "progress-restoring", elapsed = secs),
            Self::Check {
                index,
                total,
                id,
                warmup,
                measure,
            } => {
                let check = format!("{index}/{total} {id}");
                if elapsed < *warmup {
                    return msg!(
                        text,
                        "progress-warm-up",
                        check = check,
                        elapsed = secs,
                        expected = warmup.as_secs()
                    );
                }
                let measuring = elapsed.saturating_sub(*warmup).as_secs();
                match measure {
                    Some(expected) => msg!(
                        text,
                        "progress-measuring",
                        check = check,
                        elapsed = measuring,
                        expected = expected.as_secs().max(1)
                    ),
                    None => msg!(text, "progress-checking", check = check, elapsed = secs),
                }
            }
        }
    }
}

/// Told each phase as it begins.
pub type OnPhase = Arc<dyn Fn(Phase) + Send + Sync>;

/// [`run_lab`], telling `on_phase` where it stands.
pub async fn run_lab_reporting(
    env: &RunEnv,
    lab: &Lab,
    settings: &ShopSettings,
    indexes: Option<&str>,
    baseline: Option<BTreeMap<String, f64>>,
    on_phase: &OnPhase,
) -> Result<Vec<CheckResult>, RunError> {
    on_phase(Phase::StartingShop);
    let staged = Staged::start(env, lab, settings, indexes).await?;
    let ctx = staged.context(env, lab, baseline);
    let results = run_checks(lab, &ctx, on_phase).await;
    on_phase(Phase::Restoring);
    staged.stop().await;
    Ok(results)
}

/// The lab's checks in order, telling `on_phase` as each begins.
pub async fn run_checks(lab: &Lab, ctx: &Context, on_phase: &OnPhase) -> Vec<CheckResult> {
    let total = lab.checks.len();
    let mut results = Vec::with_capacity(total);
    for (n, spec) in lab.checks.iter().enumerate() {
        let (warmup, measure) = expected(spec, lab);
        on_phase(Phase::Check {
            index: n + 1,
            total,
            id: spec.id().to_string(),
            warmup,
            measure,
        });
        results.push(check::run(spec, ctx).await);
    }
    results
}

/// A check's warm-up and how long its traffic runs, from its spec (or the
/// lab's traffic it falls back on); `None` for checks that drive no load.
fn expected(spec: &check::CheckSpec, lab: &Lab) -> (Duration, Option<Duration>) {
    use check::CheckSpec;
    let lab_traffic = lab.traffic.as_ref().map(|t| t.duration);
    let of =
        |traffic: &Option<check::TrafficSpec>| traffic.as_ref().map(|t| t.duration).or(lab_traffic);
    match spec {
        CheckSpec::Latency(s) => (Duration::ZERO, of(&s.traffic)),
        CheckSpec::HitRatio(s) => (s.warmup, of(&s.traffic)),
        CheckSpec::PoolConnections(s) => (Duration::ZERO, of(&s.traffic)),
        CheckSpec::Baseline(s) => (
            Duration::ZERO,
            Some(s.profiles.values().map(|t| t.duration).sum()),
        ),
        _ => (Duration::ZERO, None),
    }
}

/// The checks of `lab` against any API that follows the contract
/// (`--target URL`): public HTTP only, to the API and the peers it was given,
/// with the baseline measured against that API; the other kinds say why they
/// do not apply, in words about the API and the flags that would make them
/// apply, never about perflab's own settings.
pub async fn run_against(target: &Target, lab: &Lab, text: &Text) -> Vec<CheckResult> {
    let mut ctx = Context::new(&target.url, text.clone());
    for peer in &target.peers {
        ctx = ctx.with_peer(peer);
    }
    ctx.traffic = lab.traffic.clone();
    ctx.baseline = target.baseline.clone();
    ctx.visitors_apart = lab.stage.rate_limited;
    let mut results = check::run_all(&lab.checks, &ctx).await;
    for result in &mut results {
        if let Some(message) = in_target_words(result, text, &target.url) {
            result.message = message;
        }
    }
    results
}

/// A check's "does not apply" said for `--target`: a missing second instance
/// is a `--peer` to give, a missing baseline a `check 1.1 --target` to run.
/// Matched on the check's own message, so any other reason stays as it is.
fn in_target_words(result: &CheckResult, text: &Text, url: &str) -> Option<String> {
    if result.verdict != check::Verdict::NotApplicable {
        return None;
    }
    let kind = result.kind;
    if result.message == msg!(text, "check-needs-peer", kind = kind) {
        return Some(msg!(text, "target-needs-peer", kind = kind));
    }
    let needs_baseline = msg!(text, "check-needs-baseline", kind = kind, mode = "target");
    if result.message == needs_baseline {
        return Some(msg!(text, "target-needs-baseline", kind = kind, url = url));
    }
    None
}

/// The percentiles besides the p95 a latency check's attempt keeps.
pub const LATENCY_PERCENTILES: [&str; 2] = ["p50_ms", "p99_ms"];

/// Records a lab's run in progress: the attempt, the best values (a refused
/// baseline measured nothing worth keeping), and — when `baseline` is
/// allowed and the lab passed with fresh measurements — the baseline.
pub fn record(
    progress: &mut crate::lab::Progress,
    lab: &Lab,
    results: &[CheckResult],
    baseline: bool,
) {
    use crate::check::Verdict;
    use crate::lab::progress::{Better, Measurement};
    let now = chrono::Utc::now();
    let better = |kind: &str| match kind {
        "hit_ratio" | "health" | "baseline" => Better::Higher,
        _ => Better::Lower,
    };
    let judged = || {
        results
            .iter()
            .filter(|r| matches!(r.verdict, Verdict::Pass | Verdict::Fail))
    };
    let mut measurements: Vec<Measurement> = judged()
        .filter(|r| r.kind != "baseline" || r.verdict == Verdict::Pass)
        .filter_map(|r| Some(Measurement::new(&r.id, r.measured?, better(r.kind))))
        .collect();
    // A latency check's p50 and p99 beside its p95, for the hand-in
    // report's percentile lines (`{id}.p50_ms`, `{id}.p99_ms`).
    for r in judged().filter(|r| r.kind == "latency") {
        for percentile in LATENCY_PERCENTILES {
            if let Some(value) = r.details.get(percentile) {
                let metric = format!("{}.{percentile}", r.id);
                measurements.push(Measurement::new(&metric, *value, Better::Lower));
            }
        }
    }
    let passed = crate::check::lab_passed(results.iter().map(|r| r.verdict));
    progress.record_attempt(&lab.id, passed, &measurements, now);
    // A kept baseline (cache on later in the day) reports no details: only a
    // real measurement replaces it.
    let values = baseline_of(results);
    if baseline && lab.records_baseline && passed && !values.is_empty() {
        progress.set_baseline(values, now);
    }
}

/// What a passed baseline lab records: its checks' details (the `baseline`
/// kind names them `{profile}.{metric}`).
pub fn baseline_of(results: &[CheckResult]) -> BTreeMap<String, f64> {
    results
        .iter()
        .flat_map(|r| r.details.iter().map(|(k, v)| (k.clone(), *v)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(command: &Command) -> BTreeMap<String, Option<String>> {
        command
            .as_std()
            .get_envs()
            .map(|(k, v)| {
                let text = |s: &std::ffi::OsStr| s.to_string_lossy().into_owned();
                (text(k), v.map(text))
            })
            .collect()
    }

    #[test]
    fn a_child_without_redis_is_told_none_at_all() {
        let mut command = Command::new("perflab");
        pin_services(&mut command, "postgres://u@h/db", None);
        let env = env_of(&command);
        assert_eq!(env["DATABASE_URL"].as_deref(), Some("postgres://u@h/db"));
        assert_eq!(env["REDIS_URL"], None, "removed, not inherited");
        assert_eq!(env["PERFLAB_REDIS"].as_deref(), Some("off"));
        assert_eq!(env["PERFLAB_SCRATCH"].as_deref(), Some("false"));
    }

    #[test]
    fn a_child_with_redis_gets_that_one() {
        let mut command = Command::new("perflab");
        pin_services(
            &mut command,
            "postgres://u@h/db",
            Some("redis://127.0.0.1:7000"),
        );
        let env = env_of(&command);
        assert_eq!(env["REDIS_URL"].as_deref(), Some("redis://127.0.0.1:7000"));
        assert_eq!(env["PERFLAB_REDIS"].as_deref(), Some("on"));
        assert_eq!(env["PERFLAB_SCRATCH"].as_deref(), Some("false"));
    }

    #[test]
    fn a_latency_attempt_keeps_its_p50_and_p99_beside_the_p95() {
        let catalog = crate::lab::Catalog::embedded().expect("the pack");
        let lab = catalog.lab("1.3-cache-aside").expect("1.3");
        let result = |id: &str, kind: &'static str, verdict, measured, details: &[(&str, f64)]| {
            check::CheckResult {
                id: id.into(),
                kind,
                measured: Some(measured),
                unit: None,
                target: String::new(),
                verdict,
                message: String::new(),
                details: details.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
                elapsed: std::time::Duration::ZERO,
            }
        };
        let results = [
            result("hit-ratio", "hit_ratio", check::Verdict::Pass, 91.0, &[]),
            result(
                "detail",
                "latency",
                check::Verdict::Fail,
                9.5,
                &[("p50_ms", 2.0), ("p95_ms", 9.5), ("p99_ms", 31.0)],
            ),
            // Could not measure: nothing of it is kept.
            result(
                "x-cache",
                "latency",
                check::Verdict::Error,
                1.0,
                &[("p50_ms", 1.0)],
            ),
        ];
        let mut progress = crate::lab::Progress::new();
        record(&mut progress, lab, &results, false);
        let attempt = &progress.lab(&lab.id).expect("recorded").history[0];
        let kept: Vec<(&str, f64)> = attempt
            .measured
            .iter()
            .map(|(k, v)| (k.as_str(), *v))
            .collect();
        assert_eq!(
            kept,
            [
                ("detail", 9.5),
                ("detail.p50_ms", 2.0),
                ("detail.p99_ms", 31.0),
                ("hit-ratio", 91.0)
            ]
        );
    }

    #[test]
    fn comments_alone_are_no_sql() {
        assert!(!has_statements(
            "-- nothing\n\n   -- here\n/* and\n here */"
        ));
        assert!(has_statements(
            "-- an index\nCREATE INDEX i ON products (c);"
        ));
        assert!(has_statements(
            "ALTER DATABASE perflab SET enable_seqscan = off"
        ));
    }

    #[test]
    fn refused_sql_stops_a_run_before_anything_starts() {
        let text = Text::from(Lang::En);
        let error = refuse_early(&text, None, Some("-- mine\nCOMMIT;")).expect_err("refused");
        assert!(error.is_students());
        let line = error.to_string();
        assert!(
            line.starts_with("indexes.sql:2:1: COMMIT is not allowed"),
            "{line}"
        );
        assert!(
            line.contains("CREATE [UNIQUE] INDEX") && !line.contains('\n'),
            "{line}"
        );
        let error = refuse_early(&text, Some("SET x = 1"), None).expect_err("refused");
        assert!(!error.is_students(), "the pack's fault: {error}");
        assert!(
            refuse_early(
                &text,
                Some("ANALYZE"),
                Some("CREATE INDEX i ON orders (user_id)")
            )
            .is_ok()
        );
    }
}
