//! The admin writer of a read/write mix (lab 1.4, "hit ratio ≥ 70 % with
//! 5 % writes"): while a check's traffic runs, writers change the price of
//! products drawn from the traffic's own Zipf distribution — hot products get
//! written as often as they are read — paced so that writes are `share` of
//! all requests, and every price they changed is put back at the end, or
//! when the check is dropped ([`super::prices::PutBack`]).
//!
//! Pacing: the load generator publishes the requests it finished every
//! [`PACE_WINDOW`]; between two snapshots the writers extrapolate with the
//! last window's rate, so writes follow the reads instead of arriving late in
//! bursts. Up to [`WRITERS`] writes are in flight at once, never more than
//! are due, so the share is reached and never overshot as long as the shop
//! takes writes as fast as they are due — which is why lab 1.4's reads come
//! at a fixed rate (an open loop), not as fast as a cache can answer. The
//! share reached is measured and returned; `hit_ratio` refuses a run whose
//! share is off the target. The original prices come from the database, not
//! from a GET: in the labs that use this a cached read may be stale, and
//! putting a stale price "back" would corrupt the catalog.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::PoisonError;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use rand::SeedableRng;
use rand::rngs::SmallRng;
use rust_decimal::Decimal;
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;
use tokio::sync::watch;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::prices::{PutBack, price_in};
use super::{CheckError, Context, TrafficSpec};
use crate::load::{Snapshot, Zipf};

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

/// Drives `traffic` to its end with writes at `share` of the requests, then
/// puts every changed price back; returns the reads' final snapshot and the
/// counts.
pub(crate) async fn drive(
    ctx: &Context,
    traffic: &TrafficSpec,
    share: f64,
) -> Result<(Snapshot, Writes), CheckError> {
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
    let restore = PutBack::new(ctx, &token);
    let [lo, hi] = traffic.ids;
    let writer = Writer {
        ctx,
        token: &token,
        db: &db,
        share,
        zipf: Zipf::new(lo, hi, traffic.zipf)?,
        rng: Mutex::new(SmallRng::from_rng(&mut rand::rng())),
        restore: &restore,
        counts: Mutex::default(),
        claimed: AtomicU64::new(0),
        written: AtomicU64::new(0),
    };
    let run = writer.run(traffic).await;
    let written = writer.written.load(Ordering::SeqCst);
    let restored = restore.now().await;
    db.close().await;
    let snapshot = run?;
    restored?;
    let writes = Writes {
        reads: snapshot.total.requests,
        writes: written,
    };
    Ok((snapshot, writes))
}

struct Writer<'a> {
    ctx: &'a Context,
    token: &'a str,
    db: &'a PgPool,
    share: f64,
    zipf: Zipf,
    rng: Mutex<SmallRng>,
    /// Keeps the original prices and puts them back.
    restore: &'a PutBack,
    /// Writes per product, to vary each next price.
    counts: Mutex<BTreeMap<i64, u64>>,
    /// Writes taken on by a writer (in flight or done).
    claimed: AtomicU64,
    written: AtomicU64,
}

impl Writer<'_> {
    /// Runs the traffic and the writers together; returns the reads' final snapshot.
    async fn run(&self, traffic: &TrafficSpec) -> Result<Snapshot, CheckError> {
        let cancel = CancellationToken::new();
        let _stop = cancel.clone().drop_guard();
        let mut config = traffic.config(self.ctx)?;
        config.window = PACE_WINDOW;
        let mut run = crate::load::start(config, cancel).await?;
        // The run's clock starts as `start` returns: no read comes after this.
        let ends = Instant::now() + traffic.duration;
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
                    // The last snapshot's count is final: nothing to extrapolate.
                    rps: if snapshot.done {
                        0.0
                    } else {
                        snapshot.window.rps
                    },
                    at: Instant::now(),
                });
            }
            done.cancel();
        };
        let writers = (0..WRITERS).map(|_| self.write_while(paced.clone(), ends, &done));
        let (_, written) = tokio::join!(feed, futures::future::join_all(writers));
        written.into_iter().collect::<Result<(), _>>()?;
        Ok(run.finish().await?)
    }

    /// Takes on a write whenever the writes fall behind, until `done`.
    async fn write_while(
        &self,
        mut pace: watch::Receiver<Pace>,
        ends: Instant,
        done: &CancellationToken,
    ) -> Result<(), CheckError> {
        while !done.is_cancelled() {
            let now = *pace.borrow_and_update();
            // Reads are extrapolated up to the run's end, never past it: the
            // last answers arriving late must not make room for writes.
            let since = now.at.elapsed().min(ends.saturating_duration_since(now.at));
            let due = writes_due(now.reads, now.rps, since, self.share);
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
        let known = self.restore.originals();
        let known = known
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&id)
            .copied();
        if let Some(price) = known {
            return Ok(price);
        }
        let price = price_in(self.db, id).await.map_err(|e| match e {
            CheckError::Spec(_) => CheckError::Spec(format!(
                "product {id}, drawn from the traffic's ids, does not exist: narrow `ids`"
            )),
            other => other,
        })?;
        // Two writers may read the same product at once: the first one kept wins.
        Ok(self.restore.remember(id, price))
    }
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
