//! The course's sliding log (`UserRateLimiter` on its resources page), bugs
//! kept on purpose: it is lab 3.2's starting point, and the lab is about
//! finding them.
//!
//! - the member is `str(int(time.time()))`, so every request of one second is
//!   the same member: a same-second burst counts once;
//! - the request is recorded even when it is refused;
//! - count then record are separate commands: concurrent requests all read
//!   the same count;
//! - `Retry-After` is a fixed 60, whatever the window says.
//!
//! On Redis it sends the course's commands one by one (ZREMRANGEBYSCORE,
//! ZCARD, ZADD, EXPIRE); in memory a map per key emulates the sorted set
//! (member → score), each step under its own lock so the race stays.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use super::client::Identity;
use super::decision::Decision;
use super::gcra_redis::{RedisStore, StoreError, unix_secs};
use super::policy::{Class, Policy};

/// What the course sends, whatever the window.
const RETRY_AFTER: Duration = Duration::from_secs(60);

/// The course's answer from the count it read before recording.
fn decide(policy: &Policy, current_usage: u64) -> Decision {
    let limit = u64::from(policy.budget);
    Decision {
        allowed: current_usage < limit,
        remaining: u32::try_from(limit.saturating_sub(current_usage + 1)).unwrap_or(0),
        // `reset_time = int(time.time()) + window`.
        full_in: policy.period,
        retry_after: RETRY_AFTER,
        now: SystemTime::now(),
    }
}

fn window_secs(policy: &Policy) -> i64 {
    i64::try_from(policy.period.as_secs()).unwrap_or(i64::MAX)
}

/// `_get_current_usage`, `_record_request` and the decision, on Redis.
pub async fn check_redis(
    store: &RedisStore,
    policy: &Policy,
    who: Identity,
) -> Result<Decision, StoreError> {
    let key = store.key("log", policy, who);
    let window = window_secs(policy);
    let mut conn = store.conn();
    let window_start = unix_secs() - window;
    RedisStore::timed(
        redis::cmd("ZREMRANGEBYSCORE")
            .arg(&key)
            .arg(0)
            .arg(window_start)
            .query_async::<()>(&mut conn),
    )
    .await?;
    let current_usage: u64 =
        RedisStore::timed(redis::cmd("ZCARD").arg(&key).query_async(&mut conn)).await?;
    let current_time = unix_secs();
    RedisStore::timed(
        redis::cmd("ZADD")
            .arg(&key)
            .arg(current_time)
            .arg(current_time.to_string())
            .query_async::<()>(&mut conn),
    )
    .await?;
    RedisStore::timed(
        redis::cmd("EXPIRE")
            .arg(&key)
            .arg(window)
            .query_async::<()>(&mut conn),
    )
    .await?;
    Ok(decide(policy, current_usage))
}

/// One emulated sorted set and its `EXPIRE`.
#[derive(Default)]
struct SortedSet {
    /// member → score, as `ZADD key score member` keeps them.
    members: BTreeMap<String, i64>,
    expires_at: i64,
}

/// The in-memory emulation: key → sorted set.
#[derive(Default)]
pub struct MemoryLog {
    sets: Mutex<HashMap<(Class, Identity), SortedSet>>,
}

impl MemoryLog {
    fn with_set<T>(&self, key: (Class, Identity), f: impl FnOnce(&mut SortedSet) -> T) -> T {
        let mut sets = self.sets.lock().unwrap_or_else(|e| e.into_inner());
        let now = unix_secs();
        let set = sets.entry(key).or_default();
        if set.expires_at != 0 && set.expires_at <= now {
            *set = SortedSet::default();
        }
        f(set)
    }

    /// The same steps as [`check_redis`], each under its own lock.
    pub fn check(&self, policy: &Policy, who: Identity) -> Decision {
        let key = (policy.class, who);
        let window = window_secs(policy);
        let window_start = unix_secs() - window;
        // ZREMRANGEBYSCORE key 0 window_start; ZCARD key
        let current_usage = self.with_set(key, |set| {
            set.members.retain(|_, score| *score > window_start);
            set.members.len() as u64
        });
        let current_time = unix_secs();
        // ZADD key current_time str(current_time); EXPIRE key window
        self.with_set(key, |set| {
            set.members.insert(current_time.to_string(), current_time);
        });
        self.with_set(key, |set| set.expires_at = current_time + window);
        decide(policy, current_usage)
    }

    /// Drops the sets whose `EXPIRE` passed, as Redis would.
    pub fn sweep(&self) {
        let now = unix_secs();
        let mut sets = self.sets.lock().unwrap_or_else(|e| e.into_inner());
        sets.retain(|_, set| set.expires_at > now);
        sets.shrink_to_fit();
    }

    pub fn len(&self) -> usize {
        self.sets.lock().unwrap_or_else(|e| e.into_inner()).len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shop::limit::policy::Tier;
    use crate::shop::settings::RateLimitSettings;

    fn policy(requests: u32) -> Policy {
        let s = RateLimitSettings {
            requests,
            burst: requests,
            ..RateLimitSettings::default()
        };
        Policy::new(&s, Tier::Guest, Class::Default)
    }

    #[test]
    fn a_burst_within_few_seconds_counts_as_few_requests() {
        let log = MemoryLog::default();
        let p = policy(3);
        let started = unix_secs();
        let decisions: Vec<Decision> = (0..50).map(|_| log.check(&p, Identity::User(1))).collect();
        let seconds = unix_secs() - started + 1;
        // Each second adds one member: 50 requests read at most `seconds`.
        if seconds < 3 {
            assert!(decisions.iter().all(|d| d.allowed));
        }
        assert!(decisions.iter().all(|d| d.retry_after == RETRY_AFTER));
        assert_eq!(log.len(), 1);
    }

    #[test]
    fn a_refused_request_is_recorded_and_says_sixty_seconds() {
        let log = MemoryLog::default();
        let p = policy(1);
        assert!(log.check(&p, Identity::User(2)).allowed);
        let refused = log.check(&p, Identity::User(2));
        assert!(!refused.allowed);
        assert_eq!(refused.retry_after, Duration::from_secs(60));
        assert_eq!(refused.remaining, 0);
        assert_eq!(refused.full_in, Duration::from_secs(60));
    }
}
