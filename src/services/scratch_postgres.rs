//! A private, throw-away PostgreSQL cluster for machines where no server runs:
//! `initdb` into a fresh directory, `postgres` on a free 127.0.0.1 port with its
//! unix socket in its own directory, the `perflab` database created; stopped and
//! removed on `shutdown` or drop.
//!
//! initdb refuses to run as root. As root, perflab runs initdb and the server as
//! an unprivileged user (`postgres`, else `nobody`) and keeps the cluster in a
//! temp directory chowned to that user (see [`create_cluster_dir`] for why).
//! The server gets its fast-shutdown signal if perflab dies (Linux, see
//! [`super::children`]); clusters left by a perflab that was killed are
//! stopped and removed on the next start.
//! Used by [`super::postgres`] (start) and [`super::report`] (what would be used).

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use nix::sys::signal::{Signal, kill};
use nix::unistd::{Gid, Pid, Uid, User, chown, geteuid};
use sqlx::Connection;
use sqlx::postgres::{PgConnectOptions, PgConnection};
use tokio::time::Instant;

use super::net::{POLL_INTERVAL, START_DEADLINE, free_port};
use super::postgres::{MAINTENANCE_DB, connect, ensure_database, server_version};
use super::process::ServerProcess;
use super::process_info;
use super::{NoScratch, ScratchStep, ServiceError};
use crate::config::DatabaseConfig;

/// Every scratch cluster directory starts with this, so stale ones can be found.
pub const DIR_PREFIX: &str = "perflab-pg-";
/// Holds the pid of the perflab that owns the cluster.
const OWNER_FILE: &str = "perflab.pid";
/// The superuser initdb creates; trust auth, reachable only on 127.0.0.1.
const SUPERUSER: &str = "postgres";
/// How many free ports to try when another process takes ours first.
const PORT_ATTEMPTS: usize = 3;
/// How long an orphaned scratch server gets to stop before its directory is left for next time.
const ORPHAN_STOP_BOUND: Duration = Duration::from_secs(10);

/// The server binaries a scratch cluster is started from.
#[derive(Debug, Clone)]
pub struct ServerBinaries {
    /// The directory holding `initdb` and `postgres` (symlinks resolved).
    pub bin_dir: PathBuf,
}

impl ServerBinaries {
    fn initdb(&self) -> PathBuf {
        self.bin_dir.join("initdb")
    }
    fn postgres(&self) -> PathBuf {
        self.bin_dir.join("postgres")
    }
}

/// The unprivileged user initdb and the server run as when perflab is root.
#[derive(Debug, Clone)]
pub struct RunAs {
    pub name: String,
    uid: Uid,
    gid: Gid,
}

/// What starting a scratch cluster would use; found without starting anything.
#[derive(Debug, Clone)]
pub struct Plan {
    pub binaries: ServerBinaries,
    /// `None` when perflab is not root and runs the server itself.
    pub run_as: Option<RunAs>,
}

/// Finds the binaries and, as root, the user to run them as. Blocking (reads
/// the file system and the user database): call from `spawn_blocking`.
/// The error says why no cluster can be started, as the end of a sentence.
pub fn plan() -> Result<Plan, NoScratch> {
    let binaries = find_binaries().ok_or(NoScratch::NoPostgresBinaries)?;
    Ok(Plan {
        binaries,
        run_as: run_as()?,
    })
}

/// The first directory in PATH, then Debian's `/usr/lib/postgresql/<version>/bin`
/// and Homebrew's keg-only `postgresql@<version>/bin` (highest version
/// first), that holds both `initdb` and `postgres`.
pub fn find_binaries() -> Option<ServerBinaries> {
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).collect())
        .unwrap_or_default();
    dirs.extend(versioned_bin_dirs(Path::new("/usr/lib/postgresql"), ""));
    // Homebrew's `postgresql@16` is keg-only: not in PATH unless linked.
    for prefix in ["/opt/homebrew/opt", "/usr/local/opt"] {
        dirs.extend(versioned_bin_dirs(Path::new(prefix), "postgresql@"));
    }
    let dir = dirs
        .into_iter()
        .find(|d| d.join("initdb").is_file() && d.join("postgres").is_file())?;
    // Take `postgres` from beside the real initdb, so both are one version even
    // when PATH holds symlinks.
    let bin_dir = std::fs::canonicalize(dir.join("initdb"))
        .ok()
        .and_then(|p| p.parent().map(Path::to_path_buf))
        .filter(|d| d.join("postgres").is_file())
        .unwrap_or(dir);
    Some(ServerBinaries { bin_dir })
}

/// `<base>/<prefix><version>/bin`, highest version first.
fn versioned_bin_dirs(base: &Path, prefix: &str) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(base) else {
        return Vec::new();
    };
    let mut versions: Vec<(u32, PathBuf)> = entries
        .flatten()
        .filter_map(|e| {
            let name = e.file_name();
            let version = name.to_str()?.strip_prefix(prefix)?.parse().ok()?;
            Some((version, e.path().join("bin")))
        })
        .collect();
    versions.sort_by_key(|(version, _)| std::cmp::Reverse(*version));
    versions.into_iter().map(|(_, dir)| dir).collect()
}

/// As root, the user to run initdb and the server as: initdb refuses root.
fn run_as() -> Result<Option<RunAs>, NoScratch> {
    if !geteuid().is_root() {
        return Ok(None);
    }
    ["postgres", "nobody"]
        .into_iter()
        .find_map(|name| User::from_name(name).ok().flatten())
        .map(|user| {
            Some(RunAs {
                name: user.name,
                uid: user.uid,
                gid: user.gid,
            })
        })
        .ok_or(NoScratch::RootWithoutUser)
}

/// Whether the server can offer `pg_trgm`, from its share directory; `None`
/// when that cannot be told without starting it. Blocking.
pub fn pg_trgm_installed(binaries: &ServerBinaries) -> Option<bool> {
    let output = Command::new(binaries.bin_dir.join("pg_config"))
        .arg("--sharedir")
        .output()
        .ok()
        .filter(|o| o.status.success())?;
    let share = String::from_utf8(output.stdout).ok()?;
    Some(
        Path::new(share.trim())
            .join("extension/pg_trgm.control")
            .is_file(),
    )
}

/// A running scratch cluster. Dropping it stops the server, then removes the
/// directory (fields drop in order: the process before the directory).
#[derive(Debug)]
pub struct ScratchCluster {
    process: ServerProcess,
    dir: ClusterDir,
    port: u16,
    server_version: String,
}

impl ScratchCluster {
    pub fn dir(&self) -> &Path {
        &self.dir.path
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn server_version(&self) -> &str {
        &self.server_version
    }

    /// The URL of `database` on this cluster.
    pub fn url(&self, database: &str) -> String {
        format!("postgres://{SUPERUSER}@127.0.0.1:{}/{database}", self.port)
    }

    /// Fast shutdown (SIGINT), bounded wait, SIGKILL if needed; then removes the directory.
    pub async fn shutdown(self) {
        let Self {
            mut process, dir, ..
        } = self;
        process.stop().await;
        dir.remove().await;
    }

    /// Immediate shutdown (SIGQUIT): every backend exits at once, releasing
    /// nothing on the way, as when the server dies. A fast shutdown lets the
    /// backend that holds a lock release it before its waiters see the
    /// signal, so one of them may still finish its query. Then removes the
    /// directory.
    pub async fn crash(self) {
        let Self {
            mut process, dir, ..
        } = self;
        process.stop_with(Signal::SIGQUIT).await;
        dir.remove().await;
    }
}

/// Starts a scratch cluster with `config.name` created in it. `not_listening`
/// is why the local default server was passed over, for the error when no
/// cluster can be started either.
pub async fn start(
    config: &DatabaseConfig,
    state_dir: &Path,
    not_listening: &str,
) -> Result<ScratchCluster, ServiceError> {
    let state_dir = state_dir.to_path_buf();
    let local = config.local.clone();
    let cause = not_listening.to_string();
    let (plan, dir) = blocking(move || -> Result<(Plan, ClusterDir), ServiceError> {
        remove_stale(&state_dir);
        let plan = plan().map_err(|why| ServiceError::NoServer { local, cause, why })?;
        let dir = create_cluster_dir(&state_dir, plan.run_as.as_ref())
            .map_err(|e| scratch_error(ScratchStep::Directory, e.to_string()))?;
        Ok((plan, dir))
    })
    .await?;
    initdb(&plan, &dir).await?;
    let (process, port, mut conn) = start_server(&plan, &dir).await?;
    ensure_database(&mut conn, &config.name)
        .await
        .map_err(|e| scratch_error(ScratchStep::CreateDatabase, e.to_string()))?;
    let server_version = server_version(&mut conn)
        .await
        .map_err(|e| scratch_error(ScratchStep::Version, e.to_string()))?;
    let _ = conn.close().await;
    Ok(ScratchCluster {
        process,
        dir,
        port,
        server_version,
    })
}

fn scratch_error(step: ScratchStep, cause: String) -> ServiceError {
    ServiceError::Scratch { step, cause }
}

/// Runs blocking set-up work off the async threads.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, ServiceError> + Send + 'static,
) -> Result<T, ServiceError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| scratch_error(ScratchStep::Directory, e.to_string()))?
}

/// The cluster's directory; removed when dropped unless already removed.
#[derive(Debug)]
struct ClusterDir {
    path: PathBuf,
    removed: bool,
}

impl ClusterDir {
    fn data(&self) -> PathBuf {
        self.path.join("data")
    }
    fn socket_dir(&self) -> PathBuf {
        self.path.join("sock")
    }
    fn log(&self) -> PathBuf {
        self.path.join("server.log")
    }

    async fn remove(mut self) {
        let path = self.path.clone();
        let removed = tokio::task::spawn_blocking(move || std::fs::remove_dir_all(path)).await;
        // On failure Drop tries once more.
        self.removed = matches!(removed, Ok(Ok(())));
    }
}

impl Drop for ClusterDir {
    fn drop(&mut self) {
        if !self.removed {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

/// Makes a fresh cluster directory: `perflab.pid` (the owner), `sock/`, `server.log`.
///
/// As root it goes under the system temp dir, chowned to the server's user: the
/// state dir is usually under /root, which is mode 700, so an unprivileged server
/// could not reach a data directory there; a fresh 700 dir in /tmp owned by that
/// user is reachable by it alone. As a normal user it goes under
/// `<state_dir>/scratch/`.
fn create_cluster_dir(state_dir: &Path, run_as: Option<&RunAs>) -> std::io::Result<ClusterDir> {
    let base = match run_as {
        Some(_) => std::env::temp_dir(),
        None => state_dir.join("scratch"),
    };
    std::fs::create_dir_all(&base)?;
    let dir = ClusterDir {
        path: tempfile::Builder::new()
            .prefix(DIR_PREFIX)
            .tempdir_in(&base)?
            .keep(),
        removed: false,
    };
    std::fs::write(dir.path.join(OWNER_FILE), std::process::id().to_string())?;
    std::fs::create_dir(dir.socket_dir())?;
    std::fs::File::create(dir.log())?;
    if let Some(user) = run_as {
        for path in [dir.path.clone(), dir.socket_dir()] {
            chown(&path, Some(user.uid), Some(user.gid)).map_err(std::io::Error::from)?;
        }
    }
    Ok(dir)
}

/// Runs `command` as the plan's user when perflab is root.
fn as_server_user<C: CommandExt>(command: &mut C, plan: &Plan) {
    if let Some(user) = &plan.run_as {
        // std drops the supplementary groups when root sets uid/gid.
        command.uid(user.uid.as_raw()).gid(user.gid.as_raw());
    }
}

async fn initdb(plan: &Plan, dir: &ClusterDir) -> Result<(), ServiceError> {
    let mut command = tokio::process::Command::new(plan.binaries.initdb());
    command
        .arg("-D")
        .arg(dir.data())
        .args(["-U", SUPERUSER, "-A", "trust", "-E", "UTF8"])
        // C locale: the same on every machine; --no-sync: the cluster is thrown away.
        .args(["--no-locale", "--no-sync"])
        .current_dir(&dir.path)
        .stdin(Stdio::null())
        .kill_on_drop(true);
    as_server_user(command.as_std_mut(), plan);
    let output = command.output().await.map_err(|e| {
        scratch_error(
            ScratchStep::Initdb,
            format!("{}: {e}", plan.binaries.initdb().display()),
        )
    })?;
    if output.status.success() {
        return Ok(());
    }
    Err(scratch_error(
        ScratchStep::Initdb,
        format!(
            "{}: {}",
            output.status,
            tail(&String::from_utf8_lossy(&output.stderr))
        ),
    ))
}

/// Starts the server on a free port and waits until it accepts connections,
/// trying another port if someone took ours between picking and binding.
async fn start_server(
    plan: &Plan,
    dir: &ClusterDir,
) -> Result<(ServerProcess, u16, PgConnection), ServiceError> {
    for _ in 0..PORT_ATTEMPTS {
        let port = free_port().map_err(|e| scratch_error(ScratchStep::FreePort, e.to_string()))?;
        let mut process = spawn_server(plan, dir, port).await?;
        match wait_ready(&mut process, port, dir).await {
            Ready::Up(conn) => return Ok((process, port, conn)),
            Ready::PortTaken => continue,
            Ready::Failed(cause) => return Err(scratch_error(ScratchStep::Start, cause)),
        }
    }
    Err(scratch_error(
        ScratchStep::Start,
        format!("{PORT_ATTEMPTS} free ports were taken by other processes before it could bind"),
    ))
}

async fn spawn_server(
    plan: &Plan,
    dir: &ClusterDir,
    port: u16,
) -> Result<ServerProcess, ServiceError> {
    let mut command = Command::new(plan.binaries.postgres());
    command
        .arg("-D")
        .arg(dir.data())
        .arg("-p")
        .arg(port.to_string())
        .arg("-k")
        .arg(dir.socket_dir())
        .args(["-c", "listen_addresses=127.0.0.1"])
        // Thrown away on exit: nothing to make durable, and without fsync the
        // seeding is quicker and a stop (even at perflab's death) takes no
        // checkpoint flush.
        .args(["-c", "fsync=off"])
        .current_dir(&dir.path)
        .stdin(Stdio::null())
        // Its own process group: a Ctrl-C in the terminal goes to perflab,
        // which then stops the server in order, after the shop.
        .process_group(0);
    as_server_user(&mut command, plan);
    let log = dir.log();
    blocking(move || {
        let open = || std::fs::OpenOptions::new().append(true).open(&log);
        let (out, err) = (open(), open());
        let spawned = match (out, err) {
            (Ok(out), Ok(err)) => {
                command.stdout(out).stderr(err);
                // SIGINT, fast shutdown, also when perflab dies: a postmaster
                // that is killed leaves its shared memory behind.
                ServerProcess::spawn(command, Signal::SIGINT)
            }
            (Err(e), _) | (_, Err(e)) => Err(e),
        };
        spawned.map_err(|e| scratch_error(ScratchStep::Start, e.to_string()))
    })
    .await
}

enum Ready {
    Up(PgConnection),
    PortTaken,
    Failed(String),
}

/// Polls until the server accepts a connection, it exits, or the deadline passes.
async fn wait_ready(process: &mut ServerProcess, port: u16, dir: &ClusterDir) -> Ready {
    let options = PgConnectOptions::new_without_pgpass()
        .host("127.0.0.1")
        .port(port)
        .username(SUPERUSER)
        .database(MAINTENANCE_DB);
    let deadline = Instant::now() + START_DEADLINE;
    loop {
        if let Some(status) = process.exited() {
            let log = read_log(dir).await;
            if log.contains("Address already in use") {
                return Ready::PortTaken;
            }
            return Ready::Failed(format!("postgres exited ({status}): {}", tail(&log)));
        }
        match connect(&options).await {
            Ok(conn) => return Ready::Up(conn),
            Err(e) if Instant::now() >= deadline => {
                return Ready::Failed(format!(
                    "not accepting connections after {} s ({e}): {}",
                    START_DEADLINE.as_secs(),
                    tail(&read_log(dir).await)
                ));
            }
            Err(_) => tokio::time::sleep(POLL_INTERVAL).await,
        }
    }
}

async fn read_log(dir: &ClusterDir) -> String {
    tokio::fs::read_to_string(dir.log())
        .await
        .unwrap_or_default()
}

/// The last lines of a log, on one line: enough to see why, short enough to read.
fn tail(text: &str) -> String {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(3)..].join(" | ")
}

/// Removes scratch clusters left by a perflab that was killed: their owner is
/// gone (a server still running there is stopped first). Blocking. Returns
/// what was removed.
pub fn remove_stale(state_dir: &Path) -> Vec<PathBuf> {
    let bases = [std::env::temp_dir(), state_dir.join("scratch")];
    let mut removed = Vec::new();
    for base in bases {
        let Ok(entries) = std::fs::read_dir(&base) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let ours = entry.file_name().to_string_lossy().starts_with(DIR_PREFIX);
            if ours && is_stale(&path) && std::fs::remove_dir_all(&path).is_ok() {
                removed.push(path);
            }
        }
    }
    removed
}

/// A directory is stale when its owner is dead. A server still running there
/// (perflab was SIGKILLed, so nothing stopped it) is stopped first.
fn is_stale(dir: &Path) -> bool {
    if !owner_gone(dir) {
        return false;
    }
    // postmaster.pid's first line is the server's pid.
    match read_pid(&dir.join("data/postmaster.pid")) {
        Some(server) if alive(server) => stop_orphan(server, dir),
        _ => true,
    }
}

/// Without an owner file (a crash mid-creation, or one being created right
/// now) the owner counts as gone only once the directory is a minute old.
fn owner_gone(dir: &Path) -> bool {
    if let Some(owner) = read_pid(&dir.join(OWNER_FILE)) {
        return !alive(owner);
    }
    let age = std::fs::metadata(dir)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.elapsed().ok());
    age.is_some_and(|age| age >= Duration::from_secs(60))
}

/// Fast-shuts-down an orphaned server; true once it is gone. The pid is only
/// trusted if its command line names this directory: pids get reused, and a
/// reused pid means our server is long gone.
fn stop_orphan(pid: i32, dir: &Path) -> bool {
    let cmdline = u32::try_from(pid)
        .ok()
        .and_then(process_info::facts)
        .map(|facts| facts.cmd.join(" "))
        .unwrap_or_default();
    let dir_text = dir.to_string_lossy();
    if !cmdline.contains(dir_text.as_ref()) {
        return true;
    }
    let _ = kill(Pid::from_raw(pid), Signal::SIGINT);
    let deadline = std::time::Instant::now() + ORPHAN_STOP_BOUND;
    while std::time::Instant::now() < deadline {
        if !alive(pid) {
            return true;
        }
        // Blocking context: remove_stale runs under spawn_blocking.
        std::thread::sleep(POLL_INTERVAL);
    }
    false
}

fn read_pid(path: &Path) -> Option<i32> {
    let text = std::fs::read_to_string(path).ok()?;
    text.lines().next()?.trim().parse().ok()
}

/// Whether `pid` is a live process. A zombie (exited, not yet reaped by its
/// parent) is not: its server has stopped.
fn alive(pid: i32) -> bool {
    u32::try_from(pid).is_ok_and(process_info::alive)
}
