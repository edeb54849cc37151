//! PostgreSQL: the configured URL, else the local default server (creating the
//! `perflab` database), else a scratch cluster (see [`super::scratch_postgres`]).
//!
//! An explicit URL that fails is an error, never a silent fall-through: a student
//! who set `DATABASE_URL` wants that server. Only "nothing listens locally" leads
//! to a scratch cluster; a local server that answers but refuses us is an error
//! that says how to get in. perflab touches no database but its own.

use std::path::Path;
use std::str::FromStr;

use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::{Connection, Executor};

use super::net::{CONNECT_TIMEOUT, mask_password, one_line, split_host_port};
use super::scratch_postgres::{self, ScratchCluster};
use super::{Origin as ServiceOrigin, ServiceError};
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
            why: "scratch clusters are disabled (PERFLAB_SCRATCH=false or scratch = false)".into(),
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
    let mut conn = connect(&options)
        .await
        .map_err(|e| unreachable(e.to_string()))?;
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
    let (mut conn, user) = connect_local(&config.local, MAINTENANCE_DB).await?;
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
        url: format!("postgres://{user}@{}/{}", config.local, config.name),
        origin: ServiceOrigin::LocalDefault,
        server_version,
        scratch: None,
    })
}

/// Connects to `database` on the local server (`host:port`), trying the trust-auth
/// users in turn. Returns the connection and the user that got in.
async fn connect_local(addr: &str, database: &str) -> Result<(PgConnection, String), LocalError> {
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
            Ok(conn) => return Ok((conn, user.clone())),
            Err(ConnectError::NotListening(cause)) => return Err(LocalError::NotListening(cause)),
            Err(ConnectError::Refused(cause)) => refusals.push(format!("{user}: {cause}")),
        }
    }
    Err(LocalError::Fatal(ServiceError::LocalRefused {
        addr: addr.to_string(),
        users: users.join(", "),
        cause: refusals.join("; "),
    }))
}

/// The users a local trust-auth server may know: the OS user (what `psql`
/// would use), then the superuser every installation has.
pub(crate) fn trust_users() -> Vec<String> {
    let os_user = std::env::var("USER")
        .ok()
        .filter(|u| !u.is_empty())
        .or_else(|| {
            nix::unistd::User::from_uid(nix::unistd::geteuid())
                .ok()
                .flatten()
                .map(|u| u.name)
        });
    let mut users: Vec<String> = os_user.into_iter().collect();
    if !users.iter().any(|u| u == "postgres") {
        users.push("postgres".into());
    }
    users
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
        server_version: String,
        pg_trgm: bool,
    },
    /// Nothing listens there.
    NotListening(String),
    /// A server answers but perflab cannot use it; says what to do.
    Unusable(String),
}

/// Looks at the local default server without creating anything.
pub(crate) async fn probe_local(addr: &str) -> LocalProbe {
    let (mut conn, user) = match connect_local(addr, MAINTENANCE_DB).await {
        Ok(found) => found,
        Err(LocalError::NotListening(cause)) => return LocalProbe::NotListening(cause),
        Err(LocalError::Fatal(e)) => return LocalProbe::Unusable(e.to_string()),
    };
    let probed = probe_connection(&mut conn).await;
    let _ = conn.close().await;
    match probed {
        Ok((server_version, pg_trgm)) => LocalProbe::Found {
            user,
            server_version,
            pg_trgm,
        },
        Err(cause) => LocalProbe::Unusable(cause),
    }
}

/// `(server_version, pg_trgm available)` over an open connection.
pub(crate) async fn probe_connection(conn: &mut PgConnection) -> Result<(String, bool), String> {
    let version = server_version(conn).await.map_err(|e| e.to_string())?;
    let pg_trgm = pg_trgm_available(conn).await.map_err(|e| e.to_string())?;
    Ok((version, pg_trgm))
}
