//! PostgreSQL: the configured URL, else the local default server (creating the
//! `perflab` database), else a scratch cluster (see [`super::scratch_postgres`]).
//!
//! An explicit URL that fails is an error, never a silent fall-through: a student
//! who set `DATABASE_URL` wants that server. Only "nothing listens locally" leads
//! to a scratch cluster; a local server that answers but refuses us is an error
//! that says how to get in. perflab touches no database but its own.
//!
//! The local server is tried over TCP with trust authentication (a scratch
//! or CI server, Homebrew's), then over its unix socket as the OS user: the
//! way Debian, Ubuntu and Fedora let a user in (peer authentication) once a
//! role of the same name exists (`perflab doctor --fix` creates it).

use std::path::{Path, PathBuf};
use std::str::FromStr;

use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::{Connection, Executor};

use super::net::{CONNECT_TIMEOUT, mask_password, one_line, split_host_port};
use super::scratch_postgres::{self, ScratchCluster};
use super::{NoScratch, Origin as ServiceOrigin, ServiceError};
use crate::config::DatabaseConfig;

/// Where the server came from (shared with Redis).
pub use super::Origin;

/// The maintenance database every PostgreSQL server has; perflab connects to it
/// only to create its own database.
pub const MAINTENANCE_DB: &str = "postgres";

/// A reachable PostgreSQL database owned by perflab, and the scratch cluster
/// behind it if perflab started one (stopped on `shutdown` or drop).
#[derive(Debug)]
pub struct PostgresService {
    /// Connection URL of the database the shop uses. No password is ever added
    /// by perflab; a configured URL is kept as given.
    pub url: String,
    pub origin: Origin,
    /// `SHOW server_version`, e.g. `15.14 (Debian 15.14-0+deb12u1)`.
    pub server_version: String,
    scratch: Option<ScratchCluster>,
}

impl PostgresService {
    /// The scratch cluster's directory, if perflab started one.
    pub fn scratch_dir(&self) -> Option<&Path> {
        self.scratch.as_ref().map(ScratchCluster::dir)
    }

    /// Stops and removes the scratch cluster, if any; a server perflab found is left alone.
    pub async fn shutdown(mut self) {
        if let Some(cluster) = self.scratch.take() {
            cluster.shutdown().await;
        }
    }
}

/// Why a connection attempt failed: it decides whether to try the next option.
#[derive(Debug)]
pub(crate) enum ConnectError {
    /// Nothing listens there (refused, unreachable, timed out).
    NotListening(String),
    /// A server answered and said no (authentication, missing database, ...).
    Refused(String),
}

impl std::fmt::Display for ConnectError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NotListening(cause) | Self::Refused(cause) => f.write_str(cause),
        }
    }
}

/// One connection attempt, bounded by [`CONNECT_TIMEOUT`].
pub(crate) async fn connect(options: &PgConnectOptions) -> Result<PgConnection, ConnectError> {
    match tokio::time::timeout(CONNECT_TIMEOUT, PgConnection::connect_with(options)).await {
        Err(_) => Err(ConnectError::NotListening(format!(
            "no answer within {} s",
            CONNECT_TIMEOUT.as_secs()
        ))),
        Ok(Err(sqlx::Error::Io(e))) => Err(ConnectError::NotListening(one_line(&e.to_string()))),
        Ok(Err(e)) => Err(ConnectError::Refused(one_line(&e.to_string()))),
        Ok(Ok(conn)) => Ok(conn),
    }
}

pub(crate) async fn server_version(conn: &mut PgConnection) -> Result<String, sqlx::Error> {
    sqlx::query_scalar("SHOW server_version")
        .fetch_one(conn)
        .await
}

/// Whether the server can `CREATE EXTENSION pg_trgm` (the database labs need it).
pub(crate) async fn pg_trgm_available(conn: &mut PgConnection) -> Result<bool, sqlx::Error> {
    let row: Option<i32> =
        sqlx::query_scalar("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'")
            .fetch_optional(conn)
            .await?;
    Ok(row.is_some())
}

/// Finds or starts PostgreSQL in the order the module doc gives.
pub async fn resolve(
    config: &DatabaseConfig,
    state_dir: &Path,
) -> Result<PostgresService, ServiceError> {
    if let Some(url) = &config.url {
        return configured(url).await;
    }
    let not_listening = match local_default(config).await {
        Ok(service) => return Ok(service),
        Err(LocalError::Fatal(e)) => return Err(e),
        Err(LocalError::NotListening(cause)) => cause,
    };
    if !config.scratch {
        return Err(ServiceError::NoServer {
            local: config.local.clone(),
            cause: not_listening,
            why: NoScratch::Disabled,
        });
    }
    let cluster = scratch_postgres::start(config, state_dir, &not_listening).await?;
    Ok(PostgresService {
        url: cluster.url(&config.name),
        origin: ServiceOrigin::Scratch,
        server_version: cluster.server_version().to_string(),
        scratch: Some(cluster),
    })
}

async fn configured(url: &str) -> Result<PostgresService, ServiceError> {
    let unreachable = |cause: String| ServiceError::ConfiguredUnreachable {
        url: mask_password(url),
        cause,
    };
    let options = PgConnectOptions::from_str(url).map_err(|e| unreachable(e.to_string()))?;
    let mut conn = connect(&options).await.map_err(|e| match e {
        ConnectError::NotListening(cause) => unreachable(cause),
        // A server answered: saying it "does not answer" would send the
        // user to look for a server that runs (a missing database, a wrong
        // password).
        ConnectError::Refused(cause) => ServiceError::ConfiguredRefused {
            url: mask_password(url),
            cause,
        },
    })?;
    let server_version = server_version(&mut conn)
        .await
        .map_err(|e| unreachable(e.to_string()))?;
    let _ = conn.close().await;
    Ok(PostgresService {
        url: url.to_string(),
        origin: ServiceOrigin::Configured,
        server_version,
        scratch: None,
    })
}

enum LocalError {
    /// Nothing answers locally: a scratch cluster may take over.
    NotListening(String),
    /// Something answers but cannot be used: the user must act.
    Fatal(ServiceError),
}

/// The local default server, as the OS user then as `postgres`, with trust auth.
async fn local_default(config: &DatabaseConfig) -> Result<PostgresService, LocalError> {
    let LocalLogin {
        mut conn,
        user,
        socket,
    } = connect_local(&config.local, MAINTENANCE_DB).await?;
    let fatal_create = |cause: String| {
        LocalError::Fatal(ServiceError::CreateDatabase {
            name: config.name.clone(),
            addr: config.local.clone(),
            cause,
        })
    };
    ensure_database(&mut conn, &config.name)
        .await
        .map_err(|e| fatal_create(e.to_string()))?;
    let server_version = server_version(&mut conn)
        .await
        .map_err(|e| fatal_create(e.to_string()))?;
    let _ = conn.close().await;
    Ok(PostgresService {
        url: local_url(&config.local, &user, socket.as_deref(), &config.name),
        origin: ServiceOrigin::LocalDefault,
        server_version,
        scratch: None,
    })
}

/// How perflab got into the local server.
pub(crate) struct LocalLogin {
    pub conn: PgConnection,
    pub user: String,
    /// The unix socket directory, when TCP refused and the socket let us in.
    pub socket: Option<PathBuf>,
}

/// Connects to `database` on the local server (`host:port`), trying the trust-auth
/// users over TCP in turn, then the OS user over the server's unix socket.
async fn connect_local(addr: &str, database: &str) -> Result<LocalLogin, LocalError> {
    let Some((host, port)) = split_host_port(addr) else {
        return Err(LocalError::NotListening(format!(
            "{addr:?} is not host:port"
        )));
    };
    let users = trust_users();
    let mut refusals = Vec::new();
    for user in &users {
        let options = PgConnectOptions::new_without_pgpass()
            .host(&host)
            .port(port)
            .username(user)
            .database(database);
        match connect(&options).await {
            Ok(conn) => {
                return Ok(LocalLogin {
                    conn,
                    user: user.clone(),
                    socket: None,
                });
            }
            Err(ConnectError::NotListening(cause)) => return Err(LocalError::NotListening(cause)),
            Err(ConnectError::Refused(cause)) => refusals.push(format!("{user}: {cause}")),
        }
    }
    if let Some(user) = os_user().filter(|_| is_loopback(&host)) {
        match connect_socket(port, &user, database).await {
            Ok(Some((conn, dir))) => {
                return Ok(LocalLogin {
                    conn,
                    user,
                    socket: Some(dir),
                });
            }
            Ok(None) => {}
            Err(cause) => refusals.push(format!("{user} over the unix socket: {cause}")),
        }
    }
    Err(LocalError::Fatal(ServiceError::LocalRefused {
        addr: addr.to_string(),
        users: users.join(", "),
        cause: refusals.join("; "),
        user: os_user().unwrap_or_else(|| "$USER".into()),
    }))
}

fn is_loopback(host: &str) -> bool {
    matches!(host, "localhost" | "127.0.0.1" | "::1")
}

/// Where distributions put the server's socket (Debian and Fedora first).
const SOCKET_DIRS: [&str; 3] = ["/var/run/postgresql", "/run/postgresql", "/tmp"];

/// Connects as `user` through the first socket of `port` found; `Ok(None)`
/// when there is none.
async fn connect_socket(
    port: u16,
    user: &str,
    database: &str,
) -> Result<Option<(PgConnection, PathBuf)>, String> {
    let socket = format!(".s.PGSQL.{port}");
    let Some(dir) = SOCKET_DIRS
        .iter()
        .map(PathBuf::from)
        .find(|dir| dir.join(&socket).exists())
    else {
        return Ok(None);
    };
    let options = PgConnectOptions::new_without_pgpass()
        .socket(&dir)
        .port(port)
        .username(user)
        .database(database);
    connect(&options)
        .await
        .map(|conn| Some((conn, dir)))
        .map_err(|e| e.to_string())
}

/// The URL of `database` on the local server, the way perflab got in.
pub(crate) fn local_url(addr: &str, user: &str, socket: Option<&Path>, database: &str) -> String {
    match socket {
        // sqlx reads a `host` parameter that is a path as the socket directory.
        Some(dir) => format!("postgres://{user}@{addr}/{database}?host={}", dir.display()),
        None => format!("postgres://{user}@{addr}/{database}"),
    }
}

/// The users a local trust-auth server may know: the OS user (what `psql`
/// would use), then the superuser every installation has.
pub(crate) fn trust_users() -> Vec<String> {
    let mut users: Vec<String> = os_user().into_iter().collect();
    if !users.iter().any(|u| u == "postgres") {
        users.push("postgres".into());
    }
    users
}

/// The OS user perflab runs as (`$USER`, else the user database).
pub fn os_user() -> Option<String> {
    std::env::var("USER")
        .ok()
        .filter(|u| !u.is_empty())
        .or_else(|| {
            nix::unistd::User::from_uid(nix::unistd::geteuid())
                .ok()
                .flatten()
                .map(|u| u.name)
        })
}

/// Creates `name` unless it exists. Two perflabs racing to create it is fine.
pub(crate) async fn ensure_database(
    conn: &mut PgConnection,
    name: &str,
) -> Result<(), sqlx::Error> {
    let exists: Option<i32> = sqlx::query_scalar("SELECT 1 FROM pg_database WHERE datname = $1")
        .bind(name)
        .fetch_optional(&mut *conn)
        .await?;
    if exists.is_some() {
        return Ok(());
    }
    // Identifiers cannot be bound as parameters; quoting (doubling `"`) makes
    // any name one identifier.
    let sql = format!("CREATE DATABASE \"{}\"", name.replace('"', "\"\""));
    match conn.execute(sqlx::AssertSqlSafe(sql)).await {
        Ok(_) => Ok(()),
        // 42P04 duplicate_database; 23505 when a concurrent CREATE won the race.
        Err(sqlx::Error::Database(e))
            if matches!(e.code().as_deref(), Some("42P04") | Some("23505")) =>
        {
            Ok(())
        }
        Err(e) => Err(e),
    }
}

/// What the local default server looks like, for `probe` (nothing is created).
pub(crate) enum LocalProbe {
    Found {
        user: String,
        socket: Option<PathBuf>,
        server_version: String,
        pg_trgm: bool,
    },
    /// Nothing listens there.
    NotListening(String),
    /// A server answers but perflab cannot use it; says what to do.
    Unusable(ServiceError),
}

/// Looks at the local default server without creating anything.
pub(crate) async fn probe_local(addr: &str) -> LocalProbe {
    let LocalLogin {
        mut conn,
        user,
        socket,
    } = match connect_local(addr, MAINTENANCE_DB).await {
        Ok(found) => found,
        Err(LocalError::NotListening(cause)) => return LocalProbe::NotListening(cause),
        Err(LocalError::Fatal(e)) => return LocalProbe::Unusable(e),
    };
    let probed = probe_connection(&mut conn).await;
    let _ = conn.close().await;
    match probed {
        Ok((server_version, pg_trgm)) => LocalProbe::Found {
            user,
            socket,
            server_version,
            pg_trgm,
        },
        Err(cause) => LocalProbe::Unusable(ServiceError::Unanswered {
            addr: addr.to_string(),
            cause,
        }),
    }
}

/// `(server_version, pg_trgm available)` over an open connection.
pub(crate) async fn probe_connection(conn: &mut PgConnection) -> Result<(String, bool), String> {
    let version = server_version(conn).await.map_err(|e| e.to_string())?;
    let pg_trgm = pg_trgm_available(conn).await.map_err(|e| e.to_string())?;
    Ok((version, pg_trgm))
}
