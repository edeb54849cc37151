//! Scope generations kept in PostgreSQL: how one shop instance's in-process
//! fallback learns of every other instance's writes while Redis is down.
//!
//! Instances cannot tell each other anything through a Redis that does not
//! answer, but they all share the database, which is up (or nothing is
//! served at all). So every write of a shop that has Redis bumps its scopes
//! here too, after its commit and before it returns, exactly as it bumps them
//! in Redis; and while `cache.fallback = "memory"` stands in for Redis, every
//! lookup reads its scope's generation here first and keys the in-process
//! entry with it. A write on another instance therefore retires this
//! instance's entry before that write's response goes out — the same promise
//! Redis gives.
//!
//! **Reads are batched.** A read per hit would put every hit on the pool,
//! and when the database is a network round trip away the fallback would
//! exhaust the pool exactly as `fallback = "database"` does (lab 1.6). So one
//! task per shop reads the generations of every lookup waiting, in one
//! statement on a connection of its own (outside the pool, opened on first
//! use): however many hits arrive, one statement is in flight. A lookup is
//! only answered by a statement *sent after it arrived* — those arriving
//! while one runs wait for the next — so no write whose response went out
//! before a lookup began is missed: batching costs at most one extra round
//! trip of latency, never a stale read.
//!
//! The table is `UNLOGGED`: a bump writes no WAL and waits for no flush, so
//! the hot `catalog` row is locked for microseconds. PostgreSQL empties such a
//! table after a crash; the token every read returns names the server's start
//! time and the table's identity, so generations that start again from zero
//! (a restart, the table dropped and created again) never meet an entry
//! filled before.
//!
//! **Bumps take the same road**, before the reads queued with them: a bump
//! that waited for a pool connection behind the requests of a saturated pool
//! would time out, and the other instances would serve the write's scopes
//! stale until their TTL (seen in lab 1.6 before it went this way).
//!
//! Used only by [`super::Cache`]; only the table's creation at start goes
//! through the shop's pool ([`Db`]). A statement counts in the
//! `X-Query-Count` of every request it answered ([`statements::count`]).

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use sqlx::PgConnection;
use tokio::sync::{mpsc, oneshot};

use crate::shop::store::{Db, statements};

/// A generation read or bump never waits longer than this.
const CALL_TIMEOUT: Duration = Duration::from_secs(1);

const CREATE_SQL: &str = "CREATE UNLOGGED TABLE IF NOT EXISTS perflab_cache_generations \
     (scope text PRIMARY KEY, generation bigint NOT NULL)";

// One statement for every scope of the writes waiting (see `distinct`).
const BUMP_SQL: &str = "INSERT INTO perflab_cache_generations AS g (scope, generation) \
     SELECT scope, 1 FROM unnest($1::text[]) AS scope \
     ON CONFLICT (scope) DO UPDATE SET generation = g.generation + 1";

// Every scope of a batch in one statement. A missing table fails it (42P01),
// so a read never mistakes "no table" for "generation 0".
const READ_SQL: &str = "SELECT \
     (extract(epoch FROM pg_postmaster_start_time()) * 1000000)::bigint, \
     'perflab_cache_generations'::regclass::oid::bigint, \
     s.scope, coalesce(g.generation, 0) \
     FROM unnest($1::text[]) AS s(scope) \
     LEFT JOIN perflab_cache_generations g ON g.scope = s.scope";

/// Most lookups one statement answers; more wait for the next.
const MOST_PER_BATCH: usize = 1024;

/// PostgreSQL's "relation does not exist".
const UNDEFINED_TABLE: &str = "42P01";

/// Why a generation could not be read or bumped.
#[derive(Debug, thiserror::Error)]
pub enum SharedGenerationError {
    #[error("PostgreSQL did not answer within {CALL_TIMEOUT:?}")]
    Timeout,
    #[error("PostgreSQL: {0}")]
    Database(#[from] sqlx::Error),
    /// The statement this call waited for failed (its error as text: one
    /// statement answers many calls).
    #[error("PostgreSQL: {0}")]
    Shared(String),
    #[error("the generations task stopped")]
    Stopped,
}

/// The generations table, read and bumped by a task of its own on a
/// connection of its own.
pub struct SharedGenerations {
    db: Arc<Db>,
    /// The task's queue, started by the first call (a task needs the
    /// runtime, which building the shop does not).
    jobs: OnceLock<mpsc::UnboundedSender<Job>>,
}

/// What the task is asked.
enum Job {
    /// A lookup waiting for its scope's token.
    Read {
        scope: String,
        reply: oneshot::Sender<Result<(String, Sent), String>>,
    },
    /// A committed write's scopes. Never dropped, even when its caller has
    /// given up waiting: other instances' entries depend on it.
    Bump {
        scopes: Vec<String>,
        reply: oneshot::Sender<Result<Sent, String>>,
    },
}

/// When the statement that answered a job ended, and how long it ran (for
/// the request's `X-Query-Count` and db time).
#[derive(Debug, Clone, Copy)]
struct Sent {
    ended: Instant,
    elapsed: Duration,
}

impl SharedGenerations {
    pub fn new(db: Arc<Db>) -> Self {
        Self {
            db,
            jobs: OnceLock::new(),
        }
    }

    /// Creates the table if it is missing (shop start; again whenever a
    /// statement finds it gone). Safe to race with another instance.
    pub async fn prepare(&self) -> Result<(), SharedGenerationError> {
        create_table(&self.db).await
    }

    /// What an in-process entry of `scope` is keyed with now: the server's
    /// start, the table's identity and the scope's generation, read by a
    /// statement sent after this call began.
    pub async fn read(&self, scope: &str) -> Result<String, SharedGenerationError> {
        let (reply, answer) = oneshot::channel();
        let scope = scope.to_string();
        self.send(Job::Read { scope, reply })?;
        let (token, sent) = wait(answer).await?;
        statements::count(sent.ended, sent.elapsed);
        Ok(token)
    }

    /// Bumps every scope, in one statement with any other write's waiting
    /// (its own transaction: this runs after the write committed), before
    /// any read that arrives after it.
    pub async fn bump(&self, scopes: &[String]) -> Result<(), SharedGenerationError> {
        let (reply, answer) = oneshot::channel();
        self.send(Job::Bump {
            scopes: scopes.to_vec(),
            reply,
        })?;
        let sent = wait(answer).await?;
        statements::count(sent.ended, sent.elapsed);
        Ok(())
    }

    fn send(&self, job: Job) -> Result<(), SharedGenerationError> {
        let jobs = self.jobs.get_or_init(|| {
            let (sender, receiver) = mpsc::unbounded_channel();
            tokio::spawn(serve(Arc::clone(&self.db), receiver));
            sender
        });
        jobs.send(job).map_err(|_| SharedGenerationError::Stopped)
    }
}

/// The task's answer, within [`CALL_TIMEOUT`].
async fn wait<T>(answer: oneshot::Receiver<Result<T, String>>) -> Result<T, SharedGenerationError> {
    match tokio::time::timeout(CALL_TIMEOUT, answer).await {
        Ok(Ok(Ok(value))) => Ok(value),
        Ok(Ok(Err(e))) => Err(SharedGenerationError::Shared(e)),
        Ok(Err(_)) => Err(SharedGenerationError::Stopped),
        Err(_) => Err(SharedGenerationError::Timeout),
    }
}

/// Creates the table if it is missing, through the pool.
async fn create_table(db: &Db) -> Result<(), SharedGenerationError> {
    let pool = db.pool();
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

/// The task: takes every job waiting; sends the bumps' scopes in one
/// statement, then the reads' in another, answers them, and again, until the
/// shop drops its [`SharedGenerations`]. Jobs that arrive while a statement
/// runs queue for the next round, so each read is answered by a statement
/// sent after it arrived, and after every bump that arrived before it.
async fn serve(db: Arc<Db>, mut queue: mpsc::UnboundedReceiver<Job>) {
    let mut conn = None;
    let mut jobs = Vec::with_capacity(MOST_PER_BATCH);
    while queue.recv_many(&mut jobs, MOST_PER_BATCH).await > 0 {
        let mut bumps = Vec::new();
        let mut reads = Vec::new();
        for job in jobs.drain(..) {
            match job {
                Job::Bump { scopes, reply } => bumps.push((scopes, reply)),
                // A lookup that timed out has nobody to answer.
                Job::Read { reply, .. } if reply.is_closed() => {}
                Job::Read { scope, reply } => reads.push((scope, reply)),
            }
        }
        if !bumps.is_empty() {
            let scopes = distinct(bumps.iter().flat_map(|(scopes, _)| scopes.iter()));
            let (result, sent) = run(&db, &mut conn, Sql::Bump(&scopes)).await;
            for (_, reply) in bumps {
                let _ = reply.send(result.as_ref().map(|_| sent).map_err(Clone::clone));
            }
        }
        if !reads.is_empty() {
            let scopes = distinct(reads.iter().map(|(scope, _)| scope));
            let (result, sent) = run(&db, &mut conn, Sql::Read(&scopes)).await;
            for (scope, reply) in reads {
                let answer = match &result {
                    Ok(tokens) => tokens
                        .get(&scope)
                        .map(|token| (token.clone(), sent))
                        .ok_or_else(|| format!("no row for scope {scope}")),
                    Err(e) => Err(e.clone()),
                };
                let _ = reply.send(answer);
            }
        }
    }
}

/// Sorted and without duplicates: concurrent bumps then lock their rows in
/// one order (no deadlock), and ON CONFLICT never meets one row twice.
fn distinct<'a>(scopes: impl Iterator<Item = &'a String>) -> Vec<String> {
    let mut scopes: Vec<String> = scopes.cloned().collect();
    scopes.sort_unstable();
    scopes.dedup();
    scopes
}

/// One of the task's statements.
enum Sql<'a> {
    Bump(&'a [String]),
    Read(&'a [String]),
}

/// Runs `sql` on the task's connection within [`CALL_TIMEOUT`]: opened if
/// there is none, dropped on an error or a timeout (its state unknown) to
/// open afresh next time. A kept connection that fails is replaced and the
/// statement sent once more on the new one: it may have died since its last
/// statement (PostgreSQL restarted, the backend was terminated), and a bump
/// lost there would leave other instances serving the write's scopes stale.
/// A bump sent twice only retires twice. A missing table is created and the
/// statement sent once more. Returns the read's tokens by scope (none for a
/// bump).
async fn run(
    db: &Db,
    conn: &mut Option<PgConnection>,
    sql: Sql<'_>,
) -> (Result<HashMap<String, String>, String>, Sent) {
    let started = Instant::now();
    let result = tokio::time::timeout(CALL_TIMEOUT, async {
        let kept = conn.take();
        let was_kept = kept.is_some();
        let mut open = match kept {
            Some(open) => open,
            None => db.connect_outside_pool().await?,
        };
        let mut answer = send(&mut open, &sql).await;
        if was_kept && answer.is_err() {
            open = db.connect_outside_pool().await?;
            answer = send(&mut open, &sql).await;
        }
        if let Err(e) = &answer
            && code(e).as_deref() == Some(UNDEFINED_TABLE)
        {
            create_table(db).await?;
            answer = send(&mut open, &sql).await;
        }
        let answer = answer?;
        *conn = Some(open);
        Ok::<_, SharedGenerationError>(answer)
    })
    .await
    .unwrap_or(Err(SharedGenerationError::Timeout))
    .map_err(|e| e.to_string());
    let ended = Instant::now();
    let sent = Sent {
        ended,
        elapsed: ended - started,
    };
    (result, sent)
}

async fn send(
    conn: &mut PgConnection,
    sql: &Sql<'_>,
) -> Result<HashMap<String, String>, sqlx::Error> {
    match sql {
        Sql::Bump(scopes) => {
            sqlx::query(BUMP_SQL).bind(scopes).execute(conn).await?;
            Ok(HashMap::new())
        }
        Sql::Read(scopes) => {
            let rows: Vec<(i64, i64, String, i64)> = sqlx::query_as(READ_SQL)
                .bind(scopes)
                .fetch_all(conn)
                .await?;
            Ok(rows
                .into_iter()
                .map(|(started, table, scope, generation)| {
                    (scope, format!("{started}.{table}@{generation}"))
                })
                .collect())
        }
    }
}

/// The SQLSTATE of a database error.
fn code(e: &sqlx::Error) -> Option<String> {
    e.as_database_error()
        .and_then(|d| d.code())
        .map(|c| c.into_owned())
}
