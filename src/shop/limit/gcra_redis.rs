//! The shared store: Redis, so every shop instance spends one budget.
//!
//! GCRA is one Lua script — read the key's theoretical arrival time, decide,
//! write it back — so two instances cannot both take the last request; it
//! reads `redis.call('TIME')` so every instance decides by one clock. The key
//! expires when its budget is whole again, so idle clients cost nothing.
//! The script is sent with `invoke_async`, which loads it again after a
//! `NOSCRIPT` (a restarted Redis); `invoke_script` would not (redis-rs #1394).
//!
//! The connection is its own `ConnectionManager`, built lazily with the
//! cache's short timeouts (`cache::redis::connection_manager`): while Redis
//! is down a call fails in milliseconds and the caller applies
//! `on_store_error`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use redis::aio::ConnectionManager;

use super::client::Identity;
use super::decision::Decision;
use super::policy::Policy;
use crate::shop::cache::redis::connection_manager;

/// No limiter call waits longer than this: past it, `on_store_error` decides.
const CALL_TIMEOUT: Duration = Duration::from_millis(150);

/// KEYS[1]: the key. ARGV[1]: the emission interval (µs), ARGV[2]: the burst.
/// Returns {allowed, remaining, µs until whole, µs until allowed, now µs}.
/// Microseconds since the epoch (~1.8e15) are exact in Lua's doubles; they
/// are written with `%.0f` because Lua's default number format keeps only
/// 14 digits.
const GCRA_LUA: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local capacity = interval * tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local new_tat = tat + interval
if new_tat - now > capacity then
  return {0, 0, tat - now, new_tat - now - capacity, now}
end
local ttl = math.ceil((new_tat - now) / 1000)
redis.call('SET', KEYS[1], string.format('%.0f', new_tat), 'PX', ttl)
return {1, math.floor((now + capacity - new_tat) / interval), new_tat - now, 0, now}
";

/// Why the shared store gave no answer.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("this shop was started without Redis")]
    NoRedis,
    #[error("Redis did not answer within {CALL_TIMEOUT:?}")]
    Timeout,
    #[error("Redis did not answer a moment ago; one request tries it again shortly")]
    Down,
    #[error("Redis: {0}")]
    Redis(#[from] redis::RedisError),
}

pub struct RedisStore {
    conn: ConnectionManager,
    gcra: redis::Script,
    /// `perflab:{namespace}:rl:`
    prefix: String,
}

impl RedisStore {
    /// Connects lazily: a Redis that is down at start-up costs nothing until
    /// the settings ask for it.
    pub fn new(url: &str, namespace: &str) -> Result<Self, redis::RedisError> {
        Ok(Self {
            conn: connection_manager(url)?,
            gcra: redis::Script::new(GCRA_LUA),
            prefix: format!("perflab:{namespace}:rl:"),
        })
    }

    /// The key of `who`'s count under `policy` for `algorithm` (`gcra`,
    /// `log`). The tier is not in it: a caller has one.
    pub fn key(&self, algorithm: &str, policy: &Policy, who: Identity) -> String {
        format!("{}{algorithm}:{}:{who}", self.prefix, policy.class.name())
    }

    /// A connection for one call (cheap: the manager is a handle).
    pub fn conn(&self) -> ConnectionManager {
        self.conn.clone()
    }

    /// Runs `call` with the store's timeout.
    pub async fn timed<T>(
        call: impl Future<Output = redis::RedisResult<T>>,
    ) -> Result<T, StoreError> {
        match tokio::time::timeout(CALL_TIMEOUT, call).await {
            Ok(result) => Ok(result?),
            Err(_) => Err(StoreError::Timeout),
        }
    }

    /// Spends one request of `who`'s budget under `policy`, atomically.
    pub async fn gcra(&self, policy: &Policy, who: Identity) -> Result<Decision, StoreError> {
        let interval = u64::try_from(policy.interval().as_micros())
            .unwrap_or(u64::MAX)
            .max(1);
        let mut conn = self.conn();
        let mut invocation = self.gcra.key(self.key("gcra", policy, who));
        invocation.arg(interval).arg(policy.burst);
        let (allowed, remaining, full_in, retry, now): (i64, i64, i64, i64, i64) =
            Self::timed(invocation.invoke_async(&mut conn)).await?;
        let micros = |us: i64| Duration::from_micros(u64::try_from(us).unwrap_or(0));
        Ok(Decision {
            allowed: allowed == 1,
            remaining: u32::try_from(remaining).unwrap_or(0),
            full_in: micros(full_in),
            retry_after: micros(retry),
            now: UNIX_EPOCH + micros(now),
        })
    }
}

/// Wall-clock seconds, as the course's `int(time.time())`.
pub fn unix_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shop::limit::policy::{Class, Tier};
    use crate::shop::settings::RateLimitSettings;

    const LOCAL_REDIS: &str = "redis://127.0.0.1:6379";

    /// A namespace of this test's own, for this run.
    fn store(test: &str) -> RedisStore {
        let ns = format!("unit-{test}-{}-{}", std::process::id(), unix_secs());
        RedisStore::new(LOCAL_REDIS, &ns).expect("redis url")
    }

    fn hourly(requests: u32) -> Policy {
        let s = RateLimitSettings {
            requests,
            burst: requests,
            period: Duration::from_secs(3600),
            ..RateLimitSettings::default()
        };
        Policy::new(&s, Tier::Guest, Class::Default)
    }

    #[tokio::test]
    async fn the_script_spends_exactly_the_budget_and_says_how_long_to_wait() {
        let store = store("script");
        let policy = hourly(3);
        let who = Identity::User(7);
        let mut remaining = Vec::new();
        for _ in 0..3 {
            let d = store.gcra(&policy, who).await.expect("local Redis answers");
            assert!(d.allowed, "{d:?}");
            remaining.push(d.remaining);
        }
        assert_eq!(remaining, [2, 1, 0]);
        let limited = store.gcra(&policy, who).await.expect("answers");
        assert!(!limited.allowed);
        // 1200 s per request: the first comes back 1200 s after it was sent.
        assert!(
            limited.retry_after <= Duration::from_secs(1200),
            "{limited:?}"
        );
        assert!(
            limited.retry_after > Duration::from_secs(1190),
            "{limited:?}"
        );
        assert!(limited.full_in > Duration::from_secs(3590), "{limited:?}");
        let mut conn = store.conn();
        let ttl: i64 = redis::cmd("PTTL")
            .arg(store.key("gcra", &policy, who))
            .query_async(&mut conn)
            .await
            .expect("pttl");
        assert!(
            ttl > 3_500_000 && ttl <= 3_600_000,
            "the key vanishes when whole: {ttl}"
        );
        let _: () = redis::cmd("DEL")
            .arg(store.key("gcra", &policy, who))
            .query_async(&mut conn)
            .await
            .expect("del");
    }

    /// BENCHMARKS: the Redis limiter's added p50 per request. Run with
    /// `cargo test --release --lib gcra_redis::tests::p50 -- --ignored --nocapture`.
    #[tokio::test]
    #[ignore = "measurement, prints numbers"]
    async fn p50_of_a_check() {
        let store = store("p50");
        let policy = hourly(1_000_000);
        let mut times = Vec::with_capacity(10_000);
        for i in 0..10_000 {
            let started = std::time::Instant::now();
            store
                .gcra(&policy, Identity::User(i % 100))
                .await
                .expect("local Redis answers");
            times.push(started.elapsed());
        }
        // A bare PING on the same connection: the round trip the script
        // cannot avoid, for comparison.
        let mut pings = Vec::with_capacity(10_000);
        let mut conn = store.conn();
        for _ in 0..10_000 {
            let started = std::time::Instant::now();
            let _: String = redis::cmd("PING")
                .query_async(&mut conn)
                .await
                .expect("PING");
            pings.push(started.elapsed());
        }
        for (what, times) in [("gcra check", &mut times), ("PING", &mut pings)] {
            times.sort();
            println!(
                "redis {what}: p50 {:?} p99 {:?}",
                times[times.len() / 2],
                times[times.len() * 99 / 100]
            );
        }
    }
}
