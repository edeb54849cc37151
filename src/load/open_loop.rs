//! The open loop: a fixed arrival rate, request `i` due at `start + i/rate`
//! whatever the server does, so a stall shows up in the latencies instead of
//! silently lowering the rate (coordinated omission, as in wrk2).
//!
//! The schedule is one shared counter; a connection that is free claims the
//! next slot, waits for its time and sends. When every connection is busy no
//! slot is claimed, the due requests wait, and their latency — measured from
//! the scheduled time — grows: that is the point. A slot sent more than
//! [`LATE_AFTER`](super::LATE_AFTER) after its time is counted as late.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::worker::Worker;

/// The resolution of tokio's timer.
const TIMER_TICK: Duration = Duration::from_millis(1);

/// The slots of one open-loop run, or of one user's share of it.
pub(crate) struct Schedule {
    start: Instant,
    end: Instant,
    /// Nanoseconds between two slots of the whole run.
    interval_ns: f64,
    /// This schedule's slots are `first + claimed * stride`.
    first: u64,
    stride: u64,
    claimed: AtomicU64,
}

impl Schedule {
    /// Every slot of the run, shared by all connections.
    pub(crate) fn new(start: Instant, duration: Duration, rate: f64) -> Self {
        Self::share(start, duration, rate, 0, 1)
    }

    /// Slots `first, first + stride, …` of the run.
    fn share(start: Instant, duration: Duration, rate: f64, first: u64, stride: u64) -> Self {
        Self {
            start,
            end: start + duration,
            interval_ns: 1e9 / rate,
            first,
            stride,
            claimed: AtomicU64::new(0),
        }
    }

    /// The next slot's due time, or `None` when it falls after the end.
    fn claim(&self) -> Option<Instant> {
        let index = self.first + self.claimed.fetch_add(1, Ordering::Relaxed) * self.stride;
        let due = self.start + Duration::from_nanos((index as f64 * self.interval_ns) as u64);
        (due < self.end).then_some(due)
    }
}

/// Starts one task per connection: all drawing from one schedule, or, with
/// identities, each sending its own share of the slots.
pub(crate) fn spawn(
    tasks: &mut JoinSet<()>,
    workers: Vec<Worker>,
    (start, duration, rate): (Instant, Duration, f64),
    cancel: &CancellationToken,
) {
    let shared = Arc::new(Schedule::new(start, duration, rate));
    let users = workers.len() as u64;
    for (k, worker) in workers.into_iter().enumerate() {
        let schedule = if worker.identity.is_some() {
            Arc::new(Schedule::share(start, duration, rate, k as u64, users))
        } else {
            Arc::clone(&shared)
        };
        // A child token each: polling a token locks its node (see closed_loop).
        tasks.spawn(run(worker, schedule, cancel.child_token()));
    }
}

async fn run(mut worker: Worker, schedule: Arc<Schedule>, cancel: CancellationToken) {
    // One pinned wait for the run, not one registration per request.
    let cancelled = cancel.cancelled();
    tokio::pin!(cancelled);
    // Stop at the end of the run even with slots still due: an overloaded run
    // reports them as unsent rather than running over time.
    while let Some(due) = schedule.claim().filter(|_| Instant::now() < schedule.end) {
        let send = async {
            // Tokio's timer fires on the first 1 ms tick at or after its
            // deadline: aiming 1 ms early centres sends on their slots
            // instead of adding up to 1 ms to every corrected latency.
            tokio::time::sleep_until(due.checked_sub(TIMER_TICK).unwrap_or(due)).await;
            worker.exchange(Some(due)).await;
        };
        tokio::select! {
            biased;
            () = &mut cancelled => return,
            () = send => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_evenly_spaced_and_end_with_the_run() {
        let start = Instant::now();
        let schedule = Schedule::new(start, Duration::from_secs(1), 4.0);
        let slots: Vec<_> = std::iter::from_fn(|| schedule.claim()).collect();
        let offsets: Vec<u128> = slots.iter().map(|s| (*s - start).as_millis()).collect();
        assert_eq!(offsets, [0, 250, 500, 750]);
    }

    #[test]
    fn users_are_dealt_every_nth_slot() {
        let start = Instant::now();
        let second = Schedule::share(start, Duration::from_secs(1), 8.0, 1, 4);
        let slots: Vec<_> = std::iter::from_fn(|| second.claim()).collect();
        let offsets: Vec<u128> = slots.iter().map(|s| (*s - start).as_millis()).collect();
        assert_eq!(offsets, [125, 625]);
    }
}
