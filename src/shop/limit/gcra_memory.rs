//! GCRA in this process, with `governor`'s keyed limiters: one per policy
//! (tier × endpoint class, collapsed when those switches are off), keyed by
//! [`Identity`]. Exact under concurrency (one compare-and-swap per request).
//!
//! The limiters are built from the settings' budgets and rebuilt when those
//! change: the built set sits behind an `ArcSwap` next to the budgets it was
//! built from, so a request compares, and only a mismatch takes the rebuild
//! lock (the first request after a change builds, the others wait for it and
//! use its result instead of building their own).
//!
//! A key is a 64-bit keyed hash of the [`Identity`], not the identity: an
//! entry of 16 bytes instead of 32 is what keeps a million keys under the
//! 64 MB goal (BENCHMARKS). Two identities share a budget only if their
//! hashes collide — about 3 in 100 million at a million keys — and the hash
//! key is random per process, so no client can aim for a collision.
//!
//! Keyed state never shrinks by itself (governor #171): [`MemoryGcra::sweep`]
//! drops every key whose budget is whole again and returns the memory; the
//! limiter's sweeper calls it every few seconds (see `super::Limiter`).

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use arc_swap::ArcSwap;
use governor::clock::{Clock, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};

use super::client::Identity;
use super::decision::Decision;
use super::policy::{Class, Policy, Tier};
use crate::shop::settings::{Multipliers, RateLimitSettings, Tiers};

type KeyedGcra =
    RateLimiter<u64, DefaultKeyedStateStore<u64>, DefaultClock, StateInformationMiddleware>;

/// The settings a set of limiters depends on: other changes (the algorithm,
/// the store, trusted proxies) keep the counts.
#[derive(Debug, Clone, PartialEq)]
struct Budgets {
    requests: u32,
    period: Duration,
    burst: u32,
    per_tier: bool,
    tiers: Tiers,
    per_endpoint: bool,
    multipliers: Multipliers,
}

impl Budgets {
    fn of(s: &RateLimitSettings) -> Self {
        Self {
            requests: s.requests,
            period: s.period,
            burst: s.burst,
            per_tier: s.per_tier,
            tiers: s.tiers.clone(),
            per_endpoint: s.per_endpoint,
            multipliers: s.multipliers.clone(),
        }
    }
}

struct Built {
    budgets: Budgets,
    limiters: HashMap<(Tier, Class), KeyedGcra>,
}

impl Built {
    fn new(settings: &RateLimitSettings) -> Self {
        let mut limiters = HashMap::new();
        for tier in Tier::ALL {
            for class in Class::ALL {
                let policy = Policy::new(settings, tier, class);
                limiters
                    .entry((policy.tier, policy.class))
                    .or_insert_with(|| RateLimiter::dashmap(quota(&policy)).with_middleware());
            }
        }
        Self {
            budgets: Budgets::of(settings),
            limiters,
        }
    }
}

/// `period / budget` per request, `burst` at once.
fn quota(policy: &Policy) -> Quota {
    let burst = std::num::NonZeroU32::new(policy.burst).unwrap_or(std::num::NonZeroU32::MIN);
    // `interval()` is never zero, so `with_period` always gives a quota.
    Quota::with_period(policy.interval())
        .unwrap_or_else(|| Quota::per_second(burst))
        .allow_burst(burst)
}

pub struct MemoryGcra {
    built: ArcSwap<Built>,
    rebuilding: Mutex<()>,
    /// SipHash with this process's random key: identity → key.
    hasher: RandomState,
}

impl Default for MemoryGcra {
    fn default() -> Self {
        Self {
            built: ArcSwap::from_pointee(Built::new(&RateLimitSettings::default())),
            rebuilding: Mutex::new(()),
            hasher: RandomState::new(),
        }
    }
}

impl MemoryGcra {
    /// Spends one request of `who`'s budget under `policy`.
    pub fn check(&self, settings: &RateLimitSettings, policy: &Policy, who: Identity) -> Decision {
        let built = self.current(settings);
        let Some(limiter) = built.limiters.get(&(policy.tier, policy.class)) else {
            // Unreachable: `Built::new` makes every policy `Policy::new` can
            // give for these settings. Letting the request through beats a 500.
            tracing::error!(?policy, "no in-memory limiter for this policy");
            return Decision {
                allowed: true,
                remaining: policy.budget,
                full_in: Duration::ZERO,
                retry_after: Duration::ZERO,
                now: SystemTime::now(),
            };
        };
        let now = SystemTime::now();
        match limiter.check_key(&self.hasher.hash_one(who)) {
            Ok(state) => {
                let quota = state.quota();
                let remaining = state.remaining_burst_capacity();
                let spent = quota.burst_size().get().saturating_sub(remaining);
                Decision {
                    allowed: true,
                    remaining,
                    // An upper bound, off by less than one interval: governor
                    // does not expose the theoretical arrival time.
                    full_in: quota.replenish_interval() * spent,
                    retry_after: Duration::ZERO,
                    now,
                }
            }
            Err(not_until) => {
                let quota = not_until.quota();
                let wait = not_until.wait_time_from(limiter.clock().now());
                let rest = quota.burst_size().get() - 1;
                Decision {
                    allowed: false,
                    remaining: 0,
                    full_in: wait + quota.replenish_interval() * rest,
                    retry_after: wait,
                    now,
                }
            }
        }
    }

    /// The limiters for `settings`' budgets, built once per change.
    fn current(&self, settings: &RateLimitSettings) -> Arc<Built> {
        let budgets = Budgets::of(settings);
        let built = self.built.load_full();
        if built.budgets == budgets {
            return built;
        }
        let _one_builder = self.rebuilding.lock().unwrap_or_else(|e| e.into_inner());
        let built = self.built.load_full();
        if built.budgets == budgets {
            return built;
        }
        let fresh = Arc::new(Built::new(settings));
        self.built.store(Arc::clone(&fresh));
        fresh
    }

    /// Forgets every key whose budget is whole again and gives the memory
    /// back.
    pub fn sweep(&self) {
        for limiter in self.built.load().limiters.values() {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
    }

    /// Keys held, over all policies.
    pub fn len(&self) -> usize {
        self.built.load().limiters.values().map(|l| l.len()).sum()
    }
}

#[cfg(test)]
mod tests {
    use std::net::{IpAddr, Ipv4Addr};

    use super::*;

    fn hourly(requests: u32) -> RateLimitSettings {
        RateLimitSettings {
            enabled: true,
            requests,
            burst: requests,
            period: Duration::from_secs(3600),
            ..RateLimitSettings::default()
        }
    }

    fn policy(settings: &RateLimitSettings) -> Policy {
        Policy::new(settings, Tier::Guest, Class::Default)
    }

    #[test]
    fn a_budget_passes_exactly_then_limits_with_the_wait() {
        let gcra = MemoryGcra::default();
        let s = hourly(5);
        let p = policy(&s);
        let who = Identity::User(1);
        let remaining: Vec<u32> = (0..5)
            .map(|_| gcra.check(&s, &p, who))
            .map(|d| {
                assert!(d.allowed);
                d.remaining
            })
            .collect();
        assert_eq!(remaining, [4, 3, 2, 1, 0]);
        let limited = gcra.check(&s, &p, who);
        assert!(!limited.allowed);
        // 3600 s / 5 = 720 s per request; one came back at most 720 s from now.
        assert!(
            limited.retry_after <= Duration::from_secs(720),
            "{limited:?}"
        );
        assert!(
            limited.retry_after > Duration::from_secs(719),
            "{limited:?}"
        );
        assert!(gcra.check(&s, &p, Identity::User(2)).allowed, "another key");
    }

    #[test]
    fn changed_budgets_rebuild_and_other_changes_keep_the_counts() {
        let gcra = MemoryGcra::default();
        let s = hourly(2);
        let who = Identity::Ip(IpAddr::V4(Ipv4Addr::LOCALHOST));
        gcra.check(&s, &policy(&s), who);
        gcra.check(&s, &policy(&s), who);
        let mut same = s.clone();
        same.trusted_proxies = vec!["10.0.0.0/8".into()];
        assert!(!gcra.check(&same, &policy(&same), who).allowed);
        let bigger = hourly(3);
        let d = gcra.check(&bigger, &policy(&bigger), who);
        assert!(d.allowed && d.remaining == 2, "{d:?}");
    }

    #[test]
    fn sweep_forgets_whole_budgets_only() {
        let gcra = MemoryGcra::default();
        let s = RateLimitSettings {
            period: Duration::from_secs(1),
            requests: 1_000_000,
            burst: 1_000_000,
            ..hourly(1)
        };
        let slow = hourly(1);
        for id in 0..100 {
            gcra.check(&s, &policy(&s), Identity::User(id));
        }
        // One microsecond per request: whole again almost at once.
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while gcra.len() > 0 && std::time::Instant::now() < deadline {
            gcra.sweep();
        }
        assert_eq!(gcra.len(), 0);
        gcra.check(&slow, &policy(&slow), Identity::User(1));
        gcra.sweep();
        assert_eq!(gcra.len(), 1, "a spent budget is kept");
    }

    /// BENCHMARKS: RSS with a million distinct keys (goal < 64 MB). Run with
    /// `cargo test --release --lib gcra_memory::tests::rss -- --ignored --nocapture`.
    #[test]
    #[ignore = "measurement, prints numbers"]
    fn rss_after_a_million_keys() {
        let rss_mb = || {
            let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
            let pages: u64 = statm
                .split_whitespace()
                .nth(1)
                .and_then(|p| p.parse().ok())
                .unwrap_or(0);
            pages as f64 * 4096.0 / 1_048_576.0
        };
        let gcra = MemoryGcra::default();
        let s = RateLimitSettings {
            enabled: true,
            ..RateLimitSettings::default()
        };
        let p = policy(&s);
        let before = rss_mb();
        for i in 0..1_000_000u32 {
            let ip = IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + i));
            gcra.check(&s, &p, Identity::Ip(ip));
        }
        let full = rss_mb();
        println!(
            "keys {} rss before {before:.1} MB, after 1M keys {full:.1} MB",
            gcra.len()
        );
        // 100/min: a key that sent one request is whole again after 600 ms,
        // and governor drops it one interval later.
        std::thread::sleep(Duration::from_millis(1300));
        gcra.sweep();
        println!("after sweep: keys {} rss {:.1} MB", gcra.len(), rss_mb());
    }
}
