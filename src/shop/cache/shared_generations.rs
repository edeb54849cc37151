//! Scope generations kept in PostgreSQL: how one shop instance's in-process
//! fallback learns of every other instance's writes while Redis is down.
//!
//! Instances cannot tell each other anything through a Redis that does not
//! answer, but they all share the database, which is up (or nothing is
//! served at all). So every write of a shop that has Redis bumps its scopes
//! here too, after its commit and before it returns, exactly as it bumps them
//! in Redis; and while `cache.fallback = "memory"` stands in for Redis, every
//! lookup reads its scope's generation here first (one primary-key read) and
//! keys the in-process entry with it. A write on another instance therefore
//! retires this instance's entry before that write's response goes out — the
//! same promise Redis gives, for one cheap query per fallback hit instead of
//! the route's own.
//!
//! The table is `UNLOGGED`: a bump writes no WAL and waits for no flush, so
//! the hot `catalog` row is locked for microseconds. PostgreSQL empties such a
//! table after a crash; the token every read returns names the server's start
//! time and the table's identity, so generations that start again from zero
//! (a restart, the table dropped and created again) never meet an entry
//! filled before.
//!
//! Used only by [`super::Cache`]; reads and bumps go through the shop's own
//! pool ([`Db`]) and count in `X-Query-Count` like any statement.

use std::sync::Arc;
use std::time::Duration;

use crate::shop::store::Db;

/// A generation read or bump never waits longer than this.
const CALL_TIMEOUT: Duration = Duration::from_secs(1);

const CREATE_SQL: &str = "CREATE UNLOGGED TABLE IF NOT EXISTS perflab_cache_generations \
     (scope text PRIMARY KEY, generation bigint NOT NULL)";

// One statement for every scope of a write. Scopes arrive sorted and without
// duplicates, so concurrent writes lock their rows in one order (no
// deadlock) and ON CONFLICT never meets the same row twice.
const BUMP_SQL: &str = "INSERT INTO perflab_cache_generations AS g (scope, generation) \
     SELECT scope, 1 FROM unnest($1::text[]) AS scope \
     ON CONFLICT (scope) DO UPDATE SET generation = g.generation + 1";

// The `regclass` cast fails when the table is missing (42P01), so a read
// never mistakes "no table" for "generation 0".
const READ_SQL: &str = "SELECT \
     (extract(epoch FROM pg_postmaster_start_time()) * 1000000)::bigint, \
     'perflab_cache_generations'::regclass::oid::bigint, \
     coalesce((SELECT generation FROM perflab_cache_generations WHERE scope = $1), 0)";

/// PostgreSQL's "relation does not exist".
const UNDEFINED_TABLE: &str = "42P01";

/// Why a generation could not be read or bumped.
#[derive(Debug, thiserror::Error)]
pub enum SharedGenerationError {
    #[error("PostgreSQL did not answer within {CALL_TIMEOUT:?}")]
    Timeout,
    #[error("PostgreSQL: {0}")]
    Database(#[from] sqlx::Error),
}

/// The generations table, reached through the shop's pool.
pub struct SharedGenerations {
    db: Arc<Db>,
}

impl SharedGenerations {
    pub fn new(db: Arc<Db>) -> Self {
        Self { db }
    }

    /// Creates the table if it is missing (shop start; again whenever a
    /// statement finds it gone). Safe to race with another instance.
    pub async fn prepare(&self) -> Result<(), SharedGenerationError> {
        let pool = self.db.pool();
        let create = sqlx::query(CREATE_SQL).execute(&**pool);
        match tokio::time::timeout(CALL_TIMEOUT, create).await {
            Ok(Ok(_)) => Ok(()),
            // Two sessions creating it at once: one of them gets a unique
            // violation on the catalog, and the table exists either way.
            Ok(Err(e)) if matches!(code(&e).as_deref(), Some("23505" | "42P07")) => Ok(()),
            Ok(Err(e)) => Err(e.into()),
            Err(_) => Err(SharedGenerationError::Timeout),
        }
    }

    /// What an in-process entry of `scope` is keyed with now: the server's
    /// start, the table's identity and the scope's generation.
    pub async fn read(&self, scope: &str) -> Result<String, SharedGenerationError> {
        let (started, table, generation) = self
            .with_table(|| async {
                let pool = self.db.pool();
                sqlx::query_as::<_, (i64, i64, i64)>(READ_SQL)
                    .bind(scope)
                    .fetch_one(&**pool)
                    .await
            })
            .await?;
        Ok(format!("{started}.{table}@{generation}"))
    }

    /// Bumps every scope in one statement (its own transaction: this runs
    /// after the write committed).
    pub async fn bump(&self, scopes: &[String]) -> Result<(), SharedGenerationError> {
        let mut scopes = scopes.to_vec();
        scopes.sort();
        scopes.dedup();
        self.with_table(|| async {
            let pool = self.db.pool();
            sqlx::query(BUMP_SQL)
                .bind(&scopes)
                .execute(&**pool)
                .await
                .map(drop)
        })
        .await
    }

    /// Runs `statement` with the timeout; if the table is missing, creates
    /// it and runs the statement once more.
    async fn with_table<T, F, Fut>(&self, statement: F) -> Result<T, SharedGenerationError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<T, sqlx::Error>>,
    {
        match self.timed(statement()).await {
            Err(SharedGenerationError::Database(e))
                if code(&e).as_deref() == Some(UNDEFINED_TABLE) =>
            {
                self.prepare().await?;
                self.timed(statement()).await
            }
            result => result,
        }
    }

    async fn timed<T>(
        &self,
        statement: impl Future<Output = Result<T, sqlx::Error>>,
    ) -> Result<T, SharedGenerationError> {
        match tokio::time::timeout(CALL_TIMEOUT, statement).await {
            Ok(result) => result.map_err(SharedGenerationError::from),
            Err(_) => Err(SharedGenerationError::Timeout),
        }
    }
}

/// The SQLSTATE of a database error.
fn code(e: &sqlx::Error) -> Option<String> {
    e.as_database_error()
        .and_then(|d| d.code())
        .map(|c| c.into_owned())
}
