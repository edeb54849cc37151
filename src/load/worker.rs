//! A virtual user: one connection, optionally one identity, a random stream
//! for the mix, and the shard its outcomes are tallied in. Both loop models
//! drive the same `exchange`; they differ only in *when* they call it.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use rand::rngs::SmallRng;
use tokio::time::Instant;

use super::connection::{Connection, RequestError};
use super::identity::Identity;
use super::mix::Mix;
use super::tally::{Failure, Outcome, Tally, UserRef};

/// A request starting later than this after its scheduled time is "late":
/// scheduling noise stays under it, a busy connection or generator does not.
pub const LATE_AFTER: Duration = Duration::from_millis(2);

pub(crate) struct Worker {
    pub connection: Connection,
    /// After a refused connection, how long to wait before the next attempt
    /// (doubling to [`MAX_BACKOFF`]): a dead server must not turn the
    /// closed loop into a spin that starves the machine it runs on.
    pub backoff: Duration,
    pub identity: Option<Identity>,
    pub mix: Arc<Mix>,
    /// The run's shards and the one this worker records into.
    pub shards: Arc<[Mutex<Tally>]>,
    pub shard: usize,
    pub rng: SmallRng,
}

impl Worker {
    /// Sends one request and tallies it. `scheduled`: when the open loop's
    /// schedule wanted it sent; `None` in the closed loop, where it is "now".
    pub(crate) async fn exchange(&mut self, scheduled: Option<Instant>) {
        let sent = Instant::now();
        let scheduled = scheduled.unwrap_or(sent);
        let bearer = self.identity.as_ref().map(|i| &i.bearer);
        let (endpoint, request) =
            self.mix
                .request(&mut self.rng, &self.connection.target().host, bearer);
        let (result, bytes, cache, remaining) = match request {
            Ok(request) => match self.connection.send(request, false).await {
                Ok(reply) => (Ok(reply.status), reply.bytes, reply.cache, reply.remaining),
                Err(e) => (Err(failure(&e)), 0, None, None),
            },
            Err(_) => (Err(Failure::Other), 0, None, None),
        };
        let done = Instant::now();
        let refused = matches!(result, Err(Failure::Connect));
        let outcome = Outcome {
            scheduled: scheduled.into_std(),
            sent: sent.into_std(),
            done: done.into_std(),
            result,
            bytes,
            cache,
            remaining,
            late: sent.saturating_duration_since(scheduled) > LATE_AFTER,
            endpoint,
            user: self.identity.as_ref().map(|i| UserRef {
                index: i.index,
                name: &i.email,
            }),
        };
        // Poisoning would only mean another worker panicked mid-record; the
        // counts are still usable.
        self.shards[self.shard]
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .record(&outcome);
        if refused {
            tokio::time::sleep(self.backoff).await;
            self.backoff = (self.backoff * 2).min(MAX_BACKOFF);
        } else {
            self.backoff = MIN_BACKOFF;
        }
    }
}

/// The first wait after a refused connection.
pub const MIN_BACKOFF: Duration = Duration::from_millis(10);
/// The longest wait between connection attempts.
pub const MAX_BACKOFF: Duration = Duration::from_millis(500);

fn failure(error: &RequestError) -> Failure {
    match error {
        RequestError::Connect(_) => Failure::Connect,
        RequestError::Timeout => Failure::Timeout,
        RequestError::Http(_) => Failure::Other,
    }
}
