//! A connection of its own for the control API's heavy statements (the
//! student's index SQL, `EXPLAIN ANALYZE`): opened with the pool's options but
//! never pooled, so no session state reaches it from a request or leaves it
//! for one, and closed when the call is done.
//!
//! Its second job is cancellation. When the caller goes away mid-statement
//! (the control API request is dropped because the runner was interrupted),
//! the future holding this connection is dropped; the socket closes, but
//! PostgreSQL only notices a closed socket when it next talks to the client,
//! so a `CREATE INDEX` waiting on a lock or scanning a million rows would go
//! on. The drop guard therefore asks the server to cancel the backend
//! (`pg_cancel_backend`, from a fresh connection: sqlx has no cancel request),
//! and the session also sets `client_connection_check_interval` (PostgreSQL
//! 14+) so the server checks for a vanished client by itself, which covers a
//! shop killed outright.

use chrono::{DateTime, Utc};
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection, PgConnection, PgPool};

/// A connection outside the pool whose statement is cancelled on the server
/// if it is dropped before [`Dedicated::close`].
pub struct Dedicated {
    conn: PgConnection,
    guard: CancelGuard,
}

impl Dedicated {
    /// Opens a connection with the same options as `pool`'s, named
    /// `perflab-control` so that the pool check (lab 2.4), which counts the
    /// shop's `perflab-shop` connections, does not count it.
    pub async fn open(pool: &PgPool) -> sqlx::Result<Self> {
        let options = (*pool.connect_options())
            .clone()
            .application_name("perflab-control");
        let mut conn = options.connect().await?;
        // `backend_start` tells this backend from a later one that reuses its pid.
        let (pid, started): (i32, DateTime<Utc>) = sqlx::query_as(
            "SELECT pid, backend_start FROM pg_stat_activity WHERE pid = pg_backend_pid()",
        )
        .fetch_one(&mut conn)
        .await?;
        Ok(Self {
            conn,
            guard: CancelGuard {
                options,
                pid,
                started,
                armed: true,
            },
        })
    }

    /// The connection, for statements.
    pub fn conn(&mut self) -> &mut PgConnection {
        &mut self.conn
    }

    /// The server process behind this connection (tests look for it in
    /// `pg_stat_activity`).
    pub fn pid(&self) -> i32 {
        self.guard.pid
    }

    /// Closes the connection politely; nothing is cancelled.
    pub async fn close(mut self) -> sqlx::Result<()> {
        self.guard.armed = false;
        self.conn.close().await
    }
}

/// Cancels the backend's statement on drop unless disarmed.
struct CancelGuard {
    options: PgConnectOptions,
    pid: i32,
    started: DateTime<Utc>,
    armed: bool,
}

impl Drop for CancelGuard {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            // No runtime (process exit): the socket closes with the process
            // and client_connection_check_interval ends the statement.
            return;
        };
        let (options, pid, started) = (self.options.clone(), self.pid, self.started);
        runtime.spawn(async move {
            let cancelled = async {
                let mut conn = options.connect().await?;
                sqlx::query(
                    "SELECT pg_cancel_backend(pid) FROM pg_stat_activity \
                     WHERE pid = $1 AND backend_start = $2",
                )
                .bind(pid)
                .bind(started)
                .execute(&mut conn)
                .await?;
                conn.close().await
            };
            if let Err(e) = cancelled.await {
                tracing::warn!(pid, error = %e, "could not cancel an abandoned statement");
            }
        });
    }
}
