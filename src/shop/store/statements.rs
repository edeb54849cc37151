//! Counting the SQL statements a request sends, in one place: sqlx emits one
//! `tracing` event (target `sqlx::query`) for every statement it runs on any
//! executor — pool, pooled or dedicated connection, transaction — and the
//! [`StatementCounter`] layer adds each one to the current request's counter
//! ([`QUERY_COUNT`], a task-local the `X-Query-Count` middleware scopes). A
//! new query cannot forget to count itself, which 22 hand-placed calls could.
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

use sqlx::{PgPool, Postgres, Transaction};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;

/// sqlx's target for its per-statement events.
const TARGET: &str = "sqlx::query";

tokio::task_local! {
    /// SQL statements sent while answering the current request.
    pub static QUERY_COUNT: Cell<u32>;
}

/// Whether a [`layer`] was made part of the global subscriber.
static INSTALLED: AtomicBool = AtomicBool::new(false);

/// Adds one to the current request's statement count for every sqlx
/// statement event; outside a request (tests, background tasks) nothing.
#[derive(Debug, Default)]
pub struct StatementCounter;

impl<S: Subscriber> Layer<S> for StatementCounter {
    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        if event.metadata().target() == TARGET {
            add(1);
        }
    }
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

/// Adds `n` statements to the current request's count.
fn add(n: u32) {
    let _ = QUERY_COUNT.try_with(|count| count.set(count.get() + n));
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
        let counted = QUERY_COUNT
            .scope(Cell::new(0), async {
                tracing::debug!(target: "sqlx::query", summary = "SELECT 1");
                tracing::warn!(target: "sqlx::query", "slow statement");
                tracing::debug!(target: "sqlx::other", "not a statement");
                QUERY_COUNT.with(Cell::get)
            })
            .await;
        assert_eq!(counted, 2);
        // Outside a request the event is simply not counted.
        tracing::debug!(target: "sqlx::query", summary = "SELECT 1");
    }
}
