//! Counting the SQL statements a request sends, and the time they took, in
//! one place: sqlx emits one `tracing` event (target `sqlx::query`, with
//! `elapsed_secs`) for every statement it runs on any executor — pool,
//! pooled or dedicated connection, transaction — and the
//! [`StatementCounter`] layer adds each one to the current request's tally
//! ([`STATEMENTS`], a task-local the `X-Query-Count` middleware scopes; the
//! db time goes to `Server-Timing`). A new query cannot forget to count
//! itself, which 22 hand-placed calls could.
//!
//! Transactions: sqlx sends `COMMIT` and `ROLLBACK` through its executor
//! (counted), but queues `BEGIN` without an event, so [`begin`] counts it;
//! start every transaction there. A transaction dropped without committing
//! queues its `ROLLBACK` without an event either: an error path's rollback
//! is not counted.
//!
//! The layer only sees events when it is part of the process's subscriber:
//! `perflab`'s CLI composes it with its log layer ([`layer`]), and
//! [`ensure_installed`] installs it alone where nothing else did (the
//! in-process shops of the tests). The statement events are at sqlx's
//! `DEBUG`, so the counter's own per-layer filter enables them while the log
//! layer's `sqlx=warn` keeps them out of the log.

use std::cell::Cell;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use sqlx::{PgPool, Postgres, Transaction};
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;

/// sqlx's target for its per-statement events.
const TARGET: &str = "sqlx::query";

/// sqlx's field with a statement's duration in seconds.
const ELAPSED: &str = "elapsed_secs";

tokio::task_local! {
    /// SQL statements sent while answering the current request.
    pub static STATEMENTS: Cell<Tally>;
}

/// What the current request's statements cost.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub queries: u32,
    /// Wall-clock time with at least one statement running: statements that
    /// overlap (a `join!`) count once, so `db` never exceeds the request's
    /// own time.
    pub db: Duration,
    /// The end of the last statement counted, to skip overlapping time.
    covered_until: Option<Instant>,
}

impl Tally {
    /// Counts a statement that ends now after `elapsed`. Statements end in
    /// order on one task, so the union of their intervals only needs the
    /// last end: the part of this one before it is already counted (or
    /// falls in a gap, which then goes uncounted: an underestimate, never an
    /// overestimate).
    fn statement(&mut self, end: Instant, elapsed: Duration) {
        self.queries += 1;
        let start = end.checked_sub(elapsed).unwrap_or(end);
        let from = self
            .covered_until
            .map_or(start, |covered| covered.max(start));
        self.db += end.saturating_duration_since(from);
        self.covered_until = Some(self.covered_until.map_or(end, |covered| covered.max(end)));
    }
}

/// The current request's db time so far (zero outside a request): the cache
/// subtracts the statements it ran from its own time.
pub fn db_time() -> Duration {
    STATEMENTS
        .try_with(|tally| tally.get().db)
        .unwrap_or_default()
}

/// Adds a statement that ended at `end` after `elapsed` to the current
/// request's tally (nothing outside a request). Besides sqlx's events, a
/// statement another task ran for this request among others (the cache
/// fallback's batched generation read): the request waited for it as for
/// its own.
pub fn count(end: Instant, elapsed: Duration) {
    let _ = STATEMENTS.try_with(|tally| {
        let mut updated = tally.get();
        updated.statement(end, elapsed);
        tally.set(updated);
    });
}

/// Whether a [`layer`] was made part of the global subscriber.
static INSTALLED: AtomicBool = AtomicBool::new(false);

/// Adds every sqlx statement event to the current request's tally; outside
/// a request (tests, background tasks) nothing.
#[derive(Debug, Default)]
pub struct StatementCounter;

impl<S: Subscriber> Layer<S> for StatementCounter {
    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        if event.metadata().target() != TARGET {
            return;
        }
        let mut elapsed = Elapsed(Duration::ZERO);
        event.record(&mut elapsed);
        count(Instant::now(), elapsed.0);
    }
}

/// Reads `elapsed_secs` off a statement event.
struct Elapsed(Duration);

impl Visit for Elapsed {
    fn record_f64(&mut self, field: &Field, value: f64) {
        if field.name() == ELAPSED {
            self.0 = Duration::try_from_secs_f64(value).unwrap_or_default();
        }
    }

    fn record_debug(&mut self, _: &Field, _: &dyn std::fmt::Debug) {}
}

/// The counter with its own filter (every level of sqlx's statement events,
/// nothing else), to compose with the process's log layer.
pub fn layer<S>() -> impl Layer<S>
where
    S: Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
{
    INSTALLED.store(true, Ordering::Relaxed);
    StatementCounter.with_filter(Targets::new().with_target(TARGET, Level::TRACE))
}

/// Installs the counter as the global subscriber unless one holding it is
/// already there. Returns whether statements are counted; `false` means
/// another subscriber without the layer came first (`X-Query-Count` then
/// reads 0), which the shop logs at start.
pub fn ensure_installed() -> bool {
    if INSTALLED.load(Ordering::Relaxed) {
        return true;
    }
    let installed = tracing_subscriber::registry()
        .with(layer())
        .try_init()
        .is_ok();
    if !installed {
        INSTALLED.store(false, Ordering::Relaxed);
    }
    installed
}

/// Adds `n` statements that took no measured time to the current request's
/// count.
fn add(n: u32) {
    let _ = STATEMENTS.try_with(|tally| {
        let mut updated = tally.get();
        updated.queries += n;
        tally.set(updated);
    });
}

/// Starts a transaction and counts its `BEGIN`, which sqlx sends without a
/// statement event (see the module's comment).
pub async fn begin(pool: &PgPool) -> sqlx::Result<Transaction<'static, Postgres>> {
    let tx = pool.begin().await?;
    add(1);
    Ok(tx)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn statement_events_count_inside_a_request_only() {
        assert!(
            ensure_installed(),
            "no other subscriber in this test binary"
        );
        let counted = STATEMENTS
            .scope(Cell::default(), async {
                tracing::debug!(target: "sqlx::query", summary = "SELECT 1", elapsed_secs = 0.0);
                tracing::warn!(target: "sqlx::query", "slow statement");
                tracing::debug!(target: "sqlx::other", "not a statement");
                STATEMENTS.with(Cell::get)
            })
            .await;
        assert_eq!(counted.queries, 2);
        // Outside a request the event is simply not counted.
        tracing::debug!(target: "sqlx::query", summary = "SELECT 1");
    }

    #[test]
    fn overlapping_statements_count_their_time_once() {
        let ms = Duration::from_millis;
        let t0 = Instant::now();
        let mut tally = Tally::default();
        tally.statement(t0 + ms(10), ms(10));
        // Ran alongside the first (a join!) from 4 to 12 ms: 2 ms are new.
        tally.statement(t0 + ms(12), ms(8));
        // Then one on its own from 20 to 23 ms.
        tally.statement(t0 + ms(23), ms(3));
        assert_eq!(tally.queries, 3);
        assert_eq!(tally.db, ms(15));
    }
}
