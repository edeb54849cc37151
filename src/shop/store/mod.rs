//! The shop's data access: plain SQL next to the function that needs it, run
//! with sqlx's runtime queries (no build-time database), on a pool that the
//! settings can resize at runtime.
//!
//! Every query goes through [`count_query`] first, so the shop can answer
//! `X-Query-Count` — the number the N+1 lab is about. The count lives in a
//! task-local scoped to one request by the `query_count` middleware.
//!
//! Every pooled connection opens with PostgreSQL's `statement_timeout` and
//! `lock_timeout` ([`Timeouts`]), sent in the startup packet so they cost no
//! round trip: a `LOCK TABLE` elsewhere or a runaway query makes a request
//! fail (503, see `shop::error`) within seconds instead of hanging it.

pub mod dedicated;
pub mod explain;
pub mod indexes;
pub mod orders;
pub mod products;
pub mod reports;
pub mod student_sql;
pub mod users;

use std::cell::Cell;
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgPool, Postgres};

use crate::shop::settings::DatabaseSettings;

tokio::task_local! {
    /// SQL statements sent while answering the current request.
    pub static QUERY_COUNT: Cell<u32>;
}

/// Notes that one SQL statement is about to be sent. Outside a request (tests,
/// background tasks) it does nothing.
pub fn count_query() {
    let _ = QUERY_COUNT.try_with(|count| count.set(count.get() + 1));
}

/// The database handle: a pool that can be replaced when the lab changes its
/// size or timeout. A request takes the current pool once ([`Db::pool`]) and
/// keeps it to the end, so a swap never pulls a pool out from under it; the
/// old pool closes when the last request holding it finishes ([`Pool`]'s drop).
pub struct Db {
    options: PgConnectOptions,
    pool: ArcSwap<Pool>,
    timeouts: Timeouts,
}

/// How long PostgreSQL lets the shop's statements run and wait for locks.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Timeouts {
    /// `statement_timeout` of every pooled connection.
    pub statement: Duration,
    /// `lock_timeout` of every pooled connection.
    pub lock: Duration,
    /// `statement_timeout` of the streamed export, which runs as long as its
    /// client reads ([`Db::export_connection`]).
    pub export: Duration,
}

/// One generation of the connection pool. Dereferences to sqlx's `PgPool`.
pub struct Pool(PgPool);

impl std::ops::Deref for Pool {
    type Target = PgPool;
    fn deref(&self) -> &PgPool {
        &self.0
    }
}

impl Drop for Pool {
    /// The last holder is gone: close the connections politely (sqlx's
    /// `close` is async, so it runs as a task; without a runtime the sockets
    /// simply drop).
    fn drop(&mut self) {
        let pool = self.0.clone();
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move { pool.close().await });
        }
    }
}

impl Db {
    /// Builds the pool lazily: connections open on first use, so starting the
    /// shop never waits on the database.
    pub fn new(options: PgConnectOptions, settings: &DatabaseSettings, timeouts: Timeouts) -> Self {
        let options = options.options([
            ("statement_timeout", millis(timeouts.statement)),
            ("lock_timeout", millis(timeouts.lock)),
        ]);
        let pool = Self::build(options.clone(), settings);
        Self {
            options,
            pool: ArcSwap::from_pointee(pool),
            timeouts,
        }
    }

    fn build(options: PgConnectOptions, settings: &DatabaseSettings) -> Pool {
        Pool(
            PgPoolOptions::new()
                .max_connections(settings.pool_size)
                .acquire_timeout(settings.acquire_timeout)
                .connect_lazy_with(options.application_name("perflab-shop")),
        )
    }

    /// The pool to use for this request; hold it for the whole request.
    pub fn pool(&self) -> Arc<Pool> {
        self.pool.load_full()
    }

    /// Swaps in a pool with the new size and timeout. Requests in flight finish
    /// on the old one, which closes after them.
    pub fn resize(&self, settings: &DatabaseSettings) {
        self.pool
            .store(Arc::new(Self::build(self.options.clone(), settings)));
    }

    /// A pooled connection for the streamed export, whose one statement lasts
    /// as long as the client takes to read the catalog: it gets the export's
    /// `statement_timeout` instead of the pool's, and is closed rather than
    /// returned afterwards, so no other request inherits that timeout.
    pub async fn export_connection(&self, pool: &Pool) -> sqlx::Result<PoolConnection<Postgres>> {
        let mut conn = pool.acquire().await?;
        conn.close_on_drop();
        count_query();
        // A SET takes no bind parameters; the value is a number we format.
        let set = format!("SET statement_timeout = {}", millis(self.timeouts.export));
        sqlx::raw_sql(sqlx::AssertSqlSafe(set))
            .execute(&mut *conn)
            .await?;
        Ok(conn)
    }

    /// Closes the current pool (shutdown).
    pub async fn close(&self) {
        self.pool.load_full().close().await;
    }
}

/// A duration as PostgreSQL's integer milliseconds (its default unit for
/// timeouts): at least 1, since 0 means "no timeout", and at most what its
/// `int` setting holds (24 days).
fn millis(duration: Duration) -> u128 {
    duration.as_millis().clamp(1, i32::MAX as u128)
}
