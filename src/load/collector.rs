//! The collector: once a window it drains the workers' shards into a window
//! tally, adds it to the run's total and publishes a [`Snapshot`] of both.
//! Publishing uses `try_send`: a consumer that falls behind loses window
//! detail (every snapshot carries the cumulative total) but never slows the
//! run, and a run whose receiver was dropped still finishes.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio::time::{Instant, MissedTickBehavior};

use super::snapshot::{Snapshot, Stats};
use super::tally::Tally;

/// What the collector needs to know about the run.
pub(crate) struct Plan {
    pub start: Instant,
    pub window: Duration,
    /// How long the run was meant to last.
    pub duration: Duration,
    /// Open loop: the rate and duration, to count unsent slots at the end.
    pub schedule: Option<(f64, Duration)>,
}

/// Publishes windows until every worker has ended, then the final snapshot.
pub(crate) async fn collect(
    shards: Arc<[Mutex<Tally>]>,
    mut workers: JoinSet<()>,
    snapshots: mpsc::Sender<Snapshot>,
    plan: Plan,
) -> Snapshot {
    let mut publisher = Publisher {
        shards,
        total: Tally::default(),
        window_start: plan.start,
        start: plan.start,
    };
    let mut ticker = tokio::time::interval_at(plan.start + plan.window, plan.window);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticker.tick() => {
                let _ = snapshots.try_send(publisher.publish());
            }
            joined = workers.join_next() => match joined {
                None => break,
                Some(Err(e)) if e.is_panic() => tracing::error!("a load worker panicked: {e}"),
                Some(_) => {}
            },
        }
    }
    let mut last = publisher.publish();
    last.done = true;
    // Requests still in flight at the end finish after it (up to the request
    // timeout on an overloaded server): the run's rate is over the time it
    // was sending, not over the time its last answer took to come back.
    let sending = last.elapsed_secs.min(plan.duration.as_secs_f64());
    if sending > 0.0 {
        last.total.rps = last.total.requests as f64 / sending;
    }
    if let Some((rate, duration)) = plan.schedule {
        let due = (rate * last.elapsed_secs.min(duration.as_secs_f64())).ceil() as u64;
        last.unsent = due.saturating_sub(last.total.requests);
    }
    let _ = snapshots.try_send(last.clone());
    last
}

struct Publisher {
    shards: Arc<[Mutex<Tally>]>,
    total: Tally,
    start: Instant,
    window_start: Instant,
}

impl Publisher {
    fn publish(&mut self) -> Snapshot {
        let mut window = Tally::default();
        for shard in self.shards.iter() {
            shard
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .drain_into(&mut window);
        }
        self.total.merge(&window);
        let now = Instant::now();
        let snapshot = Snapshot {
            elapsed_secs: (now - self.start).as_secs_f64(),
            window: Stats::of(&window, now - self.window_start),
            total: Stats::of(&self.total, now - self.start),
            unsent: 0,
            done: false,
        };
        self.window_start = now;
        snapshot
    }
}
