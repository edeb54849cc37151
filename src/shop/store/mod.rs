//! The shop's data access: plain SQL next to the function that needs it, run
//! with sqlx's runtime queries (no build-time database), on a pool that the
//! settings can resize at runtime.
//!
//! Every statement is counted for `X-Query-Count` — the number the N+1 lab
//! is about — from sqlx's own statement events ([`statements`]), so no query
//! has to remember to count itself. Transactions start with
//! [`statements::begin`].
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
pub mod sales;
pub mod statements;
pub mod student_sql;
pub mod users;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use arc_swap::ArcSwap;
use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, PgConnection, PgPool, Postgres};

use crate::shop::settings::DatabaseSettings;

pub use statements::STATEMENTS;

/// The database handle: a pool that can be replaced when the lab changes its
/// size or timeout. A request takes the current pool once ([`Db::pool`]) and
/// keeps it to the end, so a swap never pulls a pool out from under it; the
/// old pool closes when the last request holding it finishes ([`Pool`]'s drop).
pub struct Db {
    options: PgConnectOptions,
    pool: ArcSwap<Pool>,
    timeouts: Timeouts,
    /// `/health`'s own connection, outside the pool, so a saturated pool is
    /// not reported as a database that is down (see [`Db::probe`]).
    probe: tokio::sync::Mutex<Option<PgConnection>>,
    /// Requests that waited past the acquire timeout (answered 503).
    pool_timeouts: AtomicU64,
}

/// The pool's state for the control API (`GET /pool`) and lab 2.4.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PoolStats {
    /// `database.pool_size` in force.
    pub max: u32,
    /// Connections open now, busy or idle.
    pub open: u32,
    pub idle: usize,
    /// Requests answered 503 because no connection was free in time.
    pub timeouts: u64,
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
            probe: tokio::sync::Mutex::new(None),
            pool_timeouts: AtomicU64::new(0),
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
    /// on the old one, which closes after them; the old one is returned so a
    /// caller can wait for that ([`Db::settle`]).
    pub fn resize(&self, settings: &DatabaseSettings) -> Arc<Pool> {
        self.pool
            .swap(Arc::new(Self::build(self.options.clone(), settings)))
    }

    /// Waits until no request holds `retired` any more (or `within` passed),
    /// then closes its connections: after a resize returns through the control
    /// API, the server holds only the new pool's connections, so a check that
    /// counts them (lab 2.4) measures the new size, not both.
    ///
    /// Polled: an `Arc` has no "last other holder gone" notification, and the
    /// holders are requests in flight, which finish within their timeouts.
    pub async fn settle(&self, retired: Arc<Pool>, within: Duration) {
        let deadline = tokio::time::Instant::now() + within;
        while Arc::strong_count(&retired) > 1 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        retired.close().await;
    }

    /// `SELECT 1` on the probe connection (opened on first use, named
    /// `perflab-shop` like the pool's: it is one of the shop's server
    /// connections). The connection is taken out while in use and put back
    /// only after an answer, so a probe dropped mid-statement (its caller's
    /// timeout) leaves no half-read connection behind.
    pub async fn probe(&self) -> sqlx::Result<()> {
        let mut slot = self.probe.lock().await;
        let mut conn = match slot.take() {
            Some(conn) => conn,
            None => self.connect_outside_pool().await?,
        };
        sqlx::query("SELECT 1").execute(&mut conn).await?;
        *slot = Some(conn);
        Ok(())
    }

    /// A connection of the shop's outside the pool (named `perflab-shop`
    /// like the pool's, with the same timeouts), for a task that must not
    /// wait behind requests for one: the cache fallback's generation reads.
    pub async fn connect_outside_pool(&self) -> sqlx::Result<PgConnection> {
        self.options
            .clone()
            .application_name("perflab-shop")
            .connect()
            .await
    }

    /// Notes a request answered 503 because the pool had no free connection.
    pub fn note_pool_timeout(&self) {
        self.pool_timeouts.fetch_add(1, Ordering::Relaxed);
    }

    /// The current pool's size and use, and the timeouts so far.
    pub fn pool_stats(&self) -> PoolStats {
        let pool = self.pool();
        PoolStats {
            max: pool.options().get_max_connections(),
            open: pool.size(),
            idle: pool.num_idle(),
            timeouts: self.pool_timeouts.load(Ordering::Relaxed),
        }
    }

    /// A pooled connection for the streamed export, whose one statement lasts
    /// as long as the client takes to read the catalog: it gets the export's
    /// `statement_timeout` instead of the pool's, and is closed rather than
    /// returned afterwards, so no other request inherits that timeout.
    pub async fn export_connection(&self, pool: &Pool) -> sqlx::Result<PoolConnection<Postgres>> {
        let mut conn = pool.acquire().await?;
        conn.close_on_drop();
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
