//! The admin writer of a read/write mix (lab 1.4, "hit ratio ≥ 70 % with
//! writes"): while a check's traffic runs, one writer changes the price of
//! products drawn from the traffic's own Zipf distribution — hot products get
//! written as often as they are read — paced so that writes are about
//! `share` of all requests, and every price it changed is put back at the end.
//!
//! Pacing: the load generator publishes the requests it finished every
//! [`PACE_WINDOW`]; between two snapshots the writers extrapolate with the
//! last window's rate, so writes follow the reads instead of arriving late in
//! bursts. Up to [`WRITERS`] writes are in flight at once, never more than
//! are due, so the share is reached on a fast shop and never overshot. The original prices come from the database, not from a
//! GET: in the labs that use this a cached read may be stale, and putting a
//! stale price "back" would corrupt the catalog. Used by `hit_ratio`.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use futures::StreamExt;
use rand::SeedableRng;
use rand::rngs::SmallRng;
use rust_decimal::Decimal;
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;
use tokio::sync::watch;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::{CheckError, Context, TrafficSpec};
use crate::load::Zipf;

/// What a run with writes did.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Writes {
    /// Requests of the traffic (the reads).
    pub reads: u64,
    pub writes: u64,
}

impl Writes {
    /// writes / (reads + writes).
    pub fn share(&self) -> f64 {
        let all = self.reads + self.writes;
        if all == 0 {
            0.0
        } else {
            self.writes as f64 / all as f64
        }
    }
}

/// How often a writer looks again when writes are ahead of the reads.
const WRITER_TICK: Duration = Duration::from_millis(5);
/// Writes in flight at most: a write costs far more than a cached read, so
/// one writer alone falls behind a fast shop's reads.
const WRITERS: usize = 8;
/// The load generator's snapshot period here: the pace's resolution.
const PACE_WINDOW: Duration = Duration::from_millis(200);
/// Prices put back at once at the end.
const RESTORES_AT_ONCE: usize = 4;

/// The reads as of the last snapshot, and their rate.
#[derive(Debug, Clone, Copy)]
struct Pace {
    reads: u64,
    rps: f64,
    at: Instant,
}

/// Writes due after `reads` finished `since` ago at `rps` per second, for
/// writes to be `share` of all requests (writes = reads × share / (1 − share)).
fn writes_due(reads: u64, rps: f64, since: Duration, share: f64) -> u64 {
    let reads = reads as f64 + rps.max(0.0) * since.as_secs_f64();
    (reads * share / (1.0 - share)).floor() as u64
}

/// Original prices of the products written so far: shared with the guard
/// that puts them back, whatever ends the run.
type Originals = Arc<Mutex<BTreeMap<i64, Decimal>>>;

/// Drives `traffic` to its end with writes at `share` of the requests, then
/// puts every changed price back.
pub(crate) async fn drive(
    ctx: &Context,
    traffic: &TrafficSpec,
    share: f64,
) -> Result<Writes, CheckError> {
    if !(share > 0.0 && share < 1.0) {
        return Err(CheckError::Spec(format!(
            "write_share must be between 0 and 1 (0.05 = 5 % writes), not {share}"
        )));
    }
    let db = PgPoolOptions::new()
        .max_connections(2)
        .connect(ctx.database_url()?)
        .await?;
    let token = ctx.login(1).await?;
    let [lo, hi] = traffic.ids;
    let writer = Writer {
        ctx,
        token: &token,
        db: &db,
        share,
        zipf: Zipf::new(lo, hi, traffic.zipf)?,
        rng: Mutex::new(SmallRng::from_rng(&mut rand::rng())),
        originals: Originals::default(),
        counts: Mutex::default(),
        claimed: AtomicU64::new(0),
        written: AtomicU64::new(0),
    };
    let restore = PutBack {
        ctx: ctx.clone(),
        token: token.clone(),
        originals: Some(writer.originals.clone()),
    };
    let run = writer.run(traffic).await;
    let restored = restore.now().await;
    db.close().await;
    let reads = run?;
    restored?;
    Ok(Writes {
        reads,
        writes: writer.written.load(Ordering::SeqCst),
    })
}

struct Writer<'a> {
    ctx: &'a Context,
    token: &'a str,
    db: &'a PgPool,
    share: f64,
    zipf: Zipf,
    rng: Mutex<SmallRng>,
    originals: Originals,
    /// Writes per product, to vary each next price.
    counts: Mutex<BTreeMap<i64, u64>>,
    /// Writes taken on by a writer (in flight or done).
    claimed: AtomicU64,
    written: AtomicU64,
}

impl Writer<'_> {
    /// Runs the traffic and the writers together; returns the reads.
    async fn run(&self, traffic: &TrafficSpec) -> Result<u64, CheckError> {
        let cancel = CancellationToken::new();
        let _stop = cancel.clone().drop_guard();
        let mut config = traffic.config(self.ctx)?;
        config.window = PACE_WINDOW;
        let mut run = crate::load::start(config, cancel).await?;
        let (pace, paced) = watch::channel(Pace {
            reads: 0,
            rps: 0.0,
            at: Instant::now(),
        });
        let done = CancellationToken::new();
        let feed = async {
            while let Some(snapshot) = run.snapshots.recv().await {
                pace.send_replace(Pace {
                    reads: snapshot.total.requests,
                    rps: snapshot.window.rps,
                    at: Instant::now(),
                });
            }
            done.cancel();
        };
        let writers = (0..WRITERS).map(|_| self.write_while(paced.clone(), &done));
        let (_, written) = tokio::join!(feed, futures::future::join_all(writers));
        written.into_iter().collect::<Result<(), _>>()?;
        Ok(run.finish().await?.total.requests)
    }

    /// Takes on a write whenever the writes fall behind, until `done`.
    async fn write_while(
        &self,
        mut pace: watch::Receiver<Pace>,
        done: &CancellationToken,
    ) -> Result<(), CheckError> {
        while !done.is_cancelled() {
            let now = *pace.borrow_and_update();
            let due = writes_due(now.reads, now.rps, now.at.elapsed(), self.share);
            let claim = self
                .claimed
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |c| {
                    (c < due).then_some(c + 1)
                });
            if claim.is_ok() {
                self.write_one().await?;
                self.written.fetch_add(1, Ordering::SeqCst);
                continue;
            }
            tokio::select! {
                () = done.cancelled() => {}
                _ = pace.changed() => {}
                () = tokio::time::sleep(WRITER_TICK) => {}
            }
        }
        Ok(())
    }

    async fn write_one(&self) -> Result<(), CheckError> {
        let id = {
            let mut rng = self.rng.lock().unwrap_or_else(PoisonError::into_inner);
            self.zipf.sample(&mut *rng) as i64
        };
        let original = self.original(id).await?;
        let count = {
            let mut counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
            let count = counts.entry(id).or_default();
            *count += 1;
            *count
        };
        // A different price each time, a cent to a unit away, never negative.
        let delta = Decimal::new((count % 100 + 1) as i64, 2);
        let price = if original >= Decimal::ONE {
            original - delta
        } else {
            original + delta
        };
        self.ctx.set_price(self.token, id, price).await
    }

    /// The price before the first write, read from the database once.
    async fn original(&self, id: i64) -> Result<Decimal, CheckError> {
        let known = self.lock().get(&id).copied();
        if let Some(price) = known {
            return Ok(price);
        }
        let price: Option<Decimal> = sqlx::query_scalar("SELECT price FROM products WHERE id = $1")
            .bind(id)
            .fetch_optional(self.db)
            .await?;
        let price = price.ok_or_else(|| {
            CheckError::Spec(format!(
                "product {id}, drawn from the traffic's ids, does not exist: narrow `ids`"
            ))
        })?;
        // Two writers may read the same product at once: the first one kept wins.
        Ok(*self.lock().entry(id).or_insert(price))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<i64, Decimal>> {
        self.originals
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// Puts the original prices back: awaited at the end of a run, and from
/// `Drop` (the check's time limit dropped it) by a task of its own.
struct PutBack {
    ctx: Context,
    token: String,
    originals: Option<Originals>,
}

impl PutBack {
    async fn now(mut self) -> Result<(), CheckError> {
        match self.originals.take() {
            Some(originals) => put_back(&self.ctx, &self.token, &originals).await,
            None => Ok(()),
        }
    }
}

impl Drop for PutBack {
    fn drop(&mut self) {
        let Some(originals) = self.originals.take() else {
            return;
        };
        let (ctx, token) = (self.ctx.clone(), std::mem::take(&mut self.token));
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                if let Err(e) = put_back(&ctx, &token, &originals).await {
                    tracing::warn!("could not put product prices back: {e}");
                }
            });
        }
    }
}

/// Every price back, a few at a time; the first error, after trying them all.
async fn put_back(ctx: &Context, token: &str, originals: &Originals) -> Result<(), CheckError> {
    let prices: Vec<(i64, Decimal)> = originals
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .iter()
        .map(|(id, price)| (*id, *price))
        .collect();
    let results: Vec<Result<(), CheckError>> = futures::stream::iter(prices)
        .map(|(id, price)| ctx.set_price(token, id, price))
        .buffer_unordered(RESTORES_AT_ONCE)
        .collect()
        .await;
    results.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_follow_the_reads_at_the_share() {
        let none = Duration::ZERO;
        // 5 %: one write per 19 reads.
        assert_eq!(writes_due(0, 0.0, none, 0.05), 0);
        assert_eq!(writes_due(190, 0.0, none, 0.05), 10);
        // Between snapshots, the last window's rate carries the count on.
        assert_eq!(
            writes_due(190, 1900.0, Duration::from_millis(100), 0.05),
            20
        );
        assert_eq!(writes_due(100, 100.0, Duration::from_secs(1), 0.5), 200);
    }

    #[test]
    fn the_share_is_writes_over_all_requests() {
        let w = Writes {
            reads: 950,
            writes: 50,
        };
        assert!((w.share() - 0.05).abs() < 1e-9);
        assert_eq!(
            Writes {
                reads: 0,
                writes: 0
            }
            .share(),
            0.0
        );
    }
}
