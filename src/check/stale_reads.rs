//! `stale_reads`: readers fetch one product while an admin writer sets its
//! price to 1000, 1001, 1002… one write after another. A read that *started*
//! after write k returned yet shows a price below k is stale; the target is
//! none. Uses the public API (the admin logs in as the fixture admin); the
//! original price comes from the database when the context has it — a GET
//! through a cache that serves stale prices could answer the last run's — and
//! is put back on every exit path, a dropped check included
//! ([`super::prices`]).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

use rust_decimal::Decimal;
use serde::Deserialize;
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::prices::{self, PutBack};
use super::verdict::next_step;
use super::{CheckError, Context, Kind, Outcome, Unit};
use crate::msg;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StaleReadsSpec {
    pub id: Option<String>,
    #[serde(default, with = "humantime_serde")]
    pub timeout: Option<Duration>,
    /// Why it must pass in the lab's starting state too (see `labs validate`).
    pub guard: Option<String>,
    /// The product written and read.
    #[serde(default = "default_product")]
    pub product: i64,
    #[serde(default = "default_readers")]
    pub readers: usize,
    /// How long the writer keeps writing.
    #[serde(with = "humantime_serde", default = "default_duration")]
    pub duration: Duration,
    #[serde(default)]
    pub max: u64,
}

fn default_product() -> i64 {
    1
}
fn default_readers() -> usize {
    4
}
fn default_duration() -> Duration {
    Duration::from_secs(3)
}

/// Shared by the writer and the readers.
#[derive(Default)]
struct Board {
    /// The price of the last write that returned.
    committed: AtomicI64,
    stale: AtomicU64,
    reads: AtomicU64,
    done: AtomicBool,
}

/// The price of the first write; each next write adds one.
const FIRST_PRICE: i64 = 1000;

/// What a run counted.
struct Counts {
    stale: u64,
    writes: i64,
    reads: u64,
}

impl StaleReadsSpec {
    /// Writes increasing prices, one after another, until the duration is over;
    /// returns how many.
    async fn writes(&self, ctx: &Context, token: &str, board: &Board) -> Result<i64, CheckError> {
        let deadline = Instant::now() + self.duration;
        let mut price = FIRST_PRICE;
        while Instant::now() < deadline {
            price += 1;
            ctx.set_price(token, self.product, Decimal::from(price))
                .await?;
            board.committed.store(price, Ordering::SeqCst);
        }
        Ok(price - FIRST_PRICE)
    }

    /// The writer and the readers; the caller puts the price back.
    async fn run(&self, ctx: &Context, token: &str) -> Result<Counts, CheckError> {
        ctx.set_price(token, self.product, Decimal::from(FIRST_PRICE))
            .await?;
        let board = Arc::new(Board {
            committed: AtomicI64::new(FIRST_PRICE),
            ..Board::default()
        });
        // Cache the first price, so a cache that is never retired shows.
        prices::price_from_api(ctx, self.product).await?;
        // Dropped with the check: the readers stop with it.
        let mut readers = JoinSet::new();
        for _ in 0..self.readers.max(1) {
            readers.spawn(read(ctx.clone(), self.product, Arc::clone(&board)));
        }
        let written = self.writes(ctx, token, &board).await;
        board.done.store(true, Ordering::SeqCst);
        while let Some(joined) = readers.join_next().await {
            joined.map_err(|e| CheckError::Task(e.to_string()))??;
        }
        Ok(Counts {
            stale: board.stale.load(Ordering::SeqCst),
            writes: written?,
            reads: board.reads.load(Ordering::Relaxed),
        })
    }
}

/// Reads until the writer is done, plus one read after, so every write is read.
async fn read(ctx: Context, product: i64, board: Arc<Board>) -> Result<(), CheckError> {
    let mut last_round = false;
    loop {
        let floor = Decimal::from(board.committed.load(Ordering::SeqCst));
        let price = prices::price_from_api(&ctx, product).await?;
        board.reads.fetch_add(1, Ordering::Relaxed);
        if price < floor {
            board.stale.fetch_add(1, Ordering::SeqCst);
        }
        if last_round {
            return Ok(());
        }
        last_round = board.done.load(Ordering::SeqCst);
    }
}

impl Kind for StaleReadsSpec {
    const NAME: &'static str = "stale_reads";

    fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    fn guard(&self) -> Option<&str> {
        self.guard.as_deref()
    }

    fn target(&self, ctx: &Context) -> String {
        msg!(ctx.text, "check-stale-target", max = self.max)
    }

    fn limit(&self, _: &Context) -> Duration {
        self.timeout
            .unwrap_or(self.duration + Duration::from_secs(20))
    }

    async fn measure(&self, ctx: &Context) -> Result<Outcome, CheckError> {
        let token = ctx.login(1).await?;
        let original = prices::original(ctx, self.product).await?;
        // From here on the price goes back, however the check ends.
        let restore = PutBack::new(ctx, &token);
        restore.remember(self.product, original);
        let counts = self.run(ctx, &token).await;
        let restored = restore.now().await;
        let counts = counts?;
        restored?;
        let ok = counts.stale <= self.max;
        let message = message(ctx, self.product, &self.target(ctx), &counts, ok);
        Ok(
            Outcome::measured(ok, counts.stale as f64, Unit::Count, message).with_details([
                ("reads", counts.reads as f64),
                ("writes", counts.writes as f64),
            ]),
        )
    }
}

fn message(ctx: &Context, product: i64, target: &str, counts: &Counts, ok: bool) -> String {
    let text = &ctx.text;
    let head = msg!(
        text,
        "check-stale-head",
        stale = counts.stale,
        reads = counts.reads,
        product = product,
        writes = counts.writes,
        target = target
    );
    let next = next_step(text, ok, || {
        msg!(text, "check-stale-hint", mode = ctx.mode())
    });
    format!("{head} {next}")
}
