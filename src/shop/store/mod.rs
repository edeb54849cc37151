//! The shop's data access: plain SQL next to the function that needs it, run
//! with sqlx's runtime queries (no build-time database), on a pool that the
//! settings can resize at runtime.
//!
//! Every query goes through [`count_query`] first, so the shop can answer
//! `X-Query-Count` — the number the N+1 lab is about. The count lives in a
//! task-local scoped to one request by the `query_count` middleware.

pub mod explain;
pub mod indexes;
pub mod orders;
pub mod products;
pub mod reports;
pub mod users;

use std::cell::Cell;
use std::sync::Arc;

use arc_swap::ArcSwap;
use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

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
/// size or timeout. Requests in flight keep the pool they started with; the
/// old pool closes once they give their connections back.
pub struct Db {
    options: PgConnectOptions,
    pool: ArcSwap<PgPool>,
}

impl Db {
    /// Builds the pool lazily: connections open on first use, so starting the
    /// shop never waits on the database.
    pub fn new(options: PgConnectOptions, settings: &DatabaseSettings) -> Self {
        let pool = Self::build(options.clone(), settings);
        Self {
            options,
            pool: ArcSwap::from_pointee(pool),
        }
    }

    fn build(options: PgConnectOptions, settings: &DatabaseSettings) -> PgPool {
        PgPoolOptions::new()
            .max_connections(settings.pool_size)
            .acquire_timeout(settings.acquire_timeout)
            .connect_lazy_with(options.application_name("perflab-shop"))
    }

    /// The pool to use for this request.
    pub fn pool(&self) -> Arc<PgPool> {
        self.pool.load_full()
    }

    /// Swaps in a pool with the new size and timeout, and closes the old one
    /// in the background once its connections come back.
    pub fn resize(&self, settings: &DatabaseSettings) {
        let fresh = Self::build(self.options.clone(), settings);
        let old = self.pool.swap(Arc::new(fresh));
        tokio::spawn(async move { old.close().await });
    }

    /// Closes the current pool (shutdown).
    pub async fn close(&self) {
        self.pool.load_full().close().await;
    }
}
