//! The closed loop: N virtual users, each sending its next request as soon
//! as the previous one answered (like wrk). Throughput is whatever the server
//! allows; latency is measured from the actual send, since there is no
//! schedule to fall behind.

use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::worker::Worker;

/// Starts one task per virtual user; each stops at `end` or on cancel.
pub(crate) fn spawn(
    tasks: &mut JoinSet<()>,
    workers: Vec<Worker>,
    end: Instant,
    cancel: &CancellationToken,
) {
    for worker in workers {
        // A child token each: polling a token locks its node, and 64 workers
        // polling one shared node would contend on every request.
        tasks.spawn(run(worker, end, cancel.child_token()));
    }
}

async fn run(mut worker: Worker, end: Instant, cancel: CancellationToken) {
    // One wait, pinned for the whole run, instead of registering a fresh
    // `cancelled()` with the token on every request.
    let cancelled = cancel.cancelled();
    tokio::pin!(cancelled);
    while Instant::now() < end {
        tokio::select! {
            biased;
            () = &mut cancelled => return,
            () = worker.exchange(None) => {}
        }
    }
}
