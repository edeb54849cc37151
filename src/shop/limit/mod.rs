//! Rate limiting (Block 3): who may send how many requests, as
//! `settings.rate_limit` says.
//!
//! [`enforce`] is the public router's layer: it finds whose budget a request
//! spends (the token's user, or the client's address — the socket's peer
//! unless a trusted proxy vouches for another, see `client`), which budget
//! (tier × endpoint class, see `policy`), spends one unit of it in the
//! chosen store, and answers 429 when there is none left. Every answer
//! carries the budget (`decision`) and an [`Outcome`] in its extensions for
//! the request log.
//!
//! Stores: GCRA in this process (`gcra_memory`) or in Redis
//! (`gcra_redis`), and the course's broken sliding log on either
//! (`sliding_log`). When Redis does not answer, `on_store_error` decides:
//! `open` counts in this process (same algorithm), `closed` refuses; never a
//! 500. While it is down, one request per `PROBE_EVERY` tries it again.

mod client;
mod decision;
mod gcra_memory;
mod gcra_redis;
mod policy;
mod sliding_log;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, SystemTime};

use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use self::client::Identity;
use self::decision::Decision;
use self::gcra_memory::MemoryGcra;
use self::gcra_redis::{RedisStore, StoreError};
use self::policy::{Class, Policy, Tier};
use self::sliding_log::MemoryLog;
use super::auth::{AuthUser, Keys};
use super::error::Error;
use super::settings::{LimitKey, LimitStore, RateAlgorithm, RateLimitSettings, StoreFailure};
use super::state::AppState;

/// How often stale in-memory keys are dropped (governor #171: nothing else
/// drops them).
const SWEEP_EVERY: Duration = Duration::from_secs(5);
/// What a refusal for a store that is down asks the client to wait.
const STORE_DOWN_RETRY: Duration = Duration::from_secs(1);
/// While Redis is down, one request per this tries it; the others go
/// straight to `on_store_error` instead of each waiting for a timeout (a
/// Redis that drops packets would add the full timeout to every request).
const PROBE_EVERY: Duration = Duration::from_millis(250);

/// What the limiter did with a request, in the response's extensions for
/// the request log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    Allowed,
    Limited,
    /// Redis did not answer; this process's store let it through
    /// (`on_store_error = "open"`).
    FallbackAllowed,
    /// Redis did not answer; this process's store refused it.
    FallbackLimited,
    /// Redis did not answer and `on_store_error = "closed"` refused it.
    StoreDown,
}

impl Outcome {
    pub fn is_allowed(self) -> bool {
        matches!(self, Self::Allowed | Self::FallbackAllowed)
    }

    /// As the request log writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Allowed => "allowed",
            Self::Limited => "limited",
            Self::FallbackAllowed => "fallback-allowed",
            Self::FallbackLimited => "fallback-limited",
            Self::StoreDown => "store-down",
        }
    }
}

/// The limiter's counters since the shop started, for the control API and
/// the dashboard.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct LimitStats {
    pub allowed: u64,
    /// Refused requests, store-down refusals included.
    pub limited: u64,
    /// Requests Redis did not decide: its call failed or timed out, or it
    /// was skipped while Redis is down.
    pub store_errors: u64,
    /// Keys held in this process (GCRA and sliding log).
    pub memory_keys: u64,
}

/// The stores that live in this process; the sweeper holds them weakly.
#[derive(Default)]
struct Local {
    gcra: MemoryGcra,
    log: MemoryLog,
}

impl Local {
    fn check(&self, settings: &RateLimitSettings, policy: &Policy, who: Identity) -> Decision {
        match settings.algorithm {
            RateAlgorithm::Gcra => self.gcra.check(settings, policy, who),
            RateAlgorithm::SlidingLog => self.log.check(policy, who),
        }
    }
}

/// The limiter's state for one shop: its stores and counters.
pub struct Limiter {
    local: Arc<Local>,
    redis: Option<RedisStore>,
    sweeping: AtomicBool,
    /// Whether the last Redis call failed, so an outage logs once.
    store_down: AtomicBool,
    /// While Redis is down: when (ms after `started`) to try it again.
    probe_at: AtomicU64,
    started: std::time::Instant,
    allowed: AtomicU64,
    limited: AtomicU64,
    store_errors: AtomicU64,
}

impl Limiter {
    /// A limiter whose shared store (when the settings ask for it) is the
    /// Redis at `redis_url`, its keys under `namespace`.
    pub fn new(redis_url: Option<&str>, namespace: &str) -> Result<Self, redis::RedisError> {
        Ok(Self {
            local: Arc::default(),
            redis: redis_url
                .map(|url| RedisStore::new(url, namespace))
                .transpose()?,
            sweeping: AtomicBool::new(false),
            store_down: AtomicBool::new(false),
            probe_at: AtomicU64::new(0),
            started: std::time::Instant::now(),
            allowed: AtomicU64::new(0),
            limited: AtomicU64::new(0),
            store_errors: AtomicU64::new(0),
        })
    }

    /// The counters now, for the control API and the dashboard.
    pub fn snapshot(&self) -> LimitStats {
        LimitStats {
            allowed: self.allowed.load(Ordering::Relaxed),
            limited: self.limited.load(Ordering::Relaxed),
            store_errors: self.store_errors.load(Ordering::Relaxed),
            memory_keys: (self.local.gcra.len() + self.local.log.len()) as u64,
        }
    }

    /// Spends one request of `who`'s budget under `policy` in the store the
    /// settings name.
    async fn check(
        &self,
        settings: &RateLimitSettings,
        policy: &Policy,
        who: Identity,
    ) -> (Decision, Outcome) {
        self.start_sweeper();
        let (decision, outcome) = match settings.store {
            LimitStore::Memory => {
                let decision = self.local.check(settings, policy, who);
                (decision, plain(decision))
            }
            // Boxed: the Redis round trip's state is ~1 KB, and unboxed it
            // would make every request's future that size, the in-memory
            // store's too (moved and allocated by each layer around it).
            LimitStore::Redis => match Box::pin(self.shared(settings.algorithm, policy, who)).await
            {
                Ok(decision) => {
                    if self.store_down.swap(false, Ordering::Relaxed) {
                        tracing::info!("the rate limiter's Redis answers again");
                    }
                    (decision, plain(decision))
                }
                Err(error) => self.store_failed(settings, policy, who, &error),
            },
        };
        let counter = if outcome.is_allowed() {
            &self.allowed
        } else {
            &self.limited
        };
        counter.fetch_add(1, Ordering::Relaxed);
        (decision, outcome)
    }

    async fn shared(
        &self,
        algorithm: RateAlgorithm,
        policy: &Policy,
        who: Identity,
    ) -> Result<Decision, StoreError> {
        let redis = self.redis.as_ref().ok_or(StoreError::NoRedis)?;
        let now = self.elapsed_ms();
        let probe_at = self.probe_at.load(Ordering::Relaxed);
        let probe_every = PROBE_EVERY.as_millis() as u64;
        // Down and not yet time to retry, or another request is retrying.
        if probe_at != 0
            && (now < probe_at
                || self
                    .probe_at
                    .compare_exchange(
                        probe_at,
                        now + probe_every,
                        Ordering::Relaxed,
                        Ordering::Relaxed,
                    )
                    .is_err())
        {
            return Err(StoreError::Down);
        }
        let decided = match algorithm {
            RateAlgorithm::Gcra => redis.gcra(policy, who).await,
            RateAlgorithm::SlidingLog => sliding_log::check_redis(redis, policy, who).await,
        };
        // From when it failed: a timeout must not eat the probe interval.
        let retry = match decided {
            Ok(_) => 0,
            Err(_) => self.elapsed_ms() + probe_every,
        };
        self.probe_at.store(retry, Ordering::Relaxed);
        decided
    }

    fn elapsed_ms(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// `on_store_error`: `open` decides in this process with the same
    /// algorithm, `closed` refuses.
    fn store_failed(
        &self,
        settings: &RateLimitSettings,
        policy: &Policy,
        who: Identity,
        error: &StoreError,
    ) -> (Decision, Outcome) {
        self.store_errors.fetch_add(1, Ordering::Relaxed);
        if !self.store_down.swap(true, Ordering::Relaxed) {
            tracing::warn!(%error, policy = ?settings.on_store_error,
                "the rate limiter's Redis does not answer; on_store_error decides until it does");
        }
        match settings.on_store_error {
            StoreFailure::Open => {
                let decision = self.local.check(settings, policy, who);
                let outcome = if decision.allowed {
                    Outcome::FallbackAllowed
                } else {
                    Outcome::FallbackLimited
                };
                (decision, outcome)
            }
            StoreFailure::Closed => (
                Decision {
                    allowed: false,
                    remaining: 0,
                    full_in: STORE_DOWN_RETRY,
                    retry_after: STORE_DOWN_RETRY,
                    now: SystemTime::now(),
                },
                Outcome::StoreDown,
            ),
        }
    }

    /// Starts, once, the task that drops stale in-memory keys. It holds the
    /// stores weakly, so it ends with the shop's limiter.
    fn start_sweeper(&self) {
        // Read first: a write per request would bounce the flag's cache
        // line between the worker threads.
        if self.sweeping.load(Ordering::Relaxed) || self.sweeping.swap(true, Ordering::Relaxed) {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        runtime.spawn(sweep(Arc::downgrade(&self.local)));
    }
}

async fn sweep(local: Weak<Local>) {
    let mut every = tokio::time::interval(SWEEP_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    every.tick().await;
    loop {
        every.tick().await;
        let Some(local) = local.upgrade() else { return };
        local.gcra.sweep();
        local.log.sweep();
    }
}

fn plain(decision: Decision) -> Outcome {
    if decision.allowed {
        Outcome::Allowed
    } else {
        Outcome::Limited
    }
}

/// The public router's rate-limiting layer.
pub async fn enforce(State(state): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    let settings = state.settings();
    limit(
        &state.limiter,
        &state.keys,
        &settings.rate_limit,
        request,
        next,
    )
    .await
}

async fn limit(
    limiter: &Limiter,
    keys: &Keys,
    limits: &RateLimitSettings,
    mut request: Request,
    next: Next,
) -> Response {
    // Health probes (the TUI's, a load balancer's) and Prometheus's scrapes
    // must not spend a client's budget, nor be refused while the shop is fine.
    if !limits.enabled || matches!(request.uri().path(), "/health" | "/metrics") {
        return next.run(request).await;
    }
    let class = Class::of(request.method(), request.uri().path());
    let (who, tier) = caller(&mut request, limits, keys);
    let policy = Policy::new(limits, tier, class);
    let (decision, outcome) = limiter.check(limits, &policy, who).await;
    let mut response = if outcome.is_allowed() {
        next.run(request).await
    } else {
        refusal(&decision, &policy, outcome).into_response()
    };
    decision.write_headers(&policy, response.headers_mut());
    response.extensions_mut().insert(outcome);
    response
}

/// Whose budget, and which tier's. An invalid token is anonymous: it must
/// not buy a fresh budget.
fn caller(request: &mut Request, settings: &RateLimitSettings, keys: &Keys) -> (Identity, Tier) {
    let user = (settings.key == LimitKey::User || settings.per_tier)
        .then(|| AuthUser::of_request(request, keys))
        .flatten();
    let tier = user
        .as_ref()
        .map_or(Tier::Guest, |user| Tier::from_claim(&user.tier));
    match user {
        Some(user) if settings.key == LimitKey::User => (Identity::User(user.id), tier),
        _ => {
            // Always there on the public API (`server::spawn`); a router
            // driven in-process without it counts every caller as one.
            let peer = request
                .extensions()
                .get::<ConnectInfo<SocketAddr>>()
                .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip());
            let ip = client::client_ip(peer, request.headers(), &settings.trusted_proxies);
            (Identity::Ip(ip), tier)
        }
    }
}

fn refusal(decision: &Decision, policy: &Policy, outcome: Outcome) -> Error {
    if outcome == Outcome::StoreDown {
        return Error::TooManyRequests(
            "the rate limiter's store (Redis) is unavailable and rate_limit.on_store_error = \
             \"closed\" refuses requests until it is back; retry shortly"
                .into(),
        );
    }
    Error::TooManyRequests(format!(
        "rate limit exceeded: {} {} requests per {}; retry after {} s",
        policy.budget,
        policy.class.name(),
        humantime::format_duration(policy.period),
        decision.retry_after_secs()
    ))
}

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use axum::routing::get;
    use tower::ServiceExt;

    use super::*;

    /// A router with one route behind [`limit`], and the limiter to inspect.
    async fn limited(settings: RateLimitSettings, redis: Option<&str>) -> (Router, Arc<Limiter>) {
        let limiter = Arc::new(Limiter::new(redis, "unit-enforce").expect("limiter"));
        let keys = Arc::new(Keys::new("unit-secret").await.expect("keys"));
        let settings = Arc::new(settings);
        let layer_limiter = Arc::clone(&limiter);
        let router = Router::new()
            .route("/products/1", get(|| async { "ok" }))
            .route("/health", get(|| async { "ok" }))
            .layer(axum::middleware::from_fn(
                move |request: Request<Body>, next: Next| {
                    let (limiter, keys, settings) = (
                        Arc::clone(&layer_limiter),
                        Arc::clone(&keys),
                        Arc::clone(&settings),
                    );
                    async move { limit(&limiter, &keys, &settings, request, next).await }
                },
            ));
        (router, limiter)
    }

    async fn send(router: &Router, path: &str) -> Response {
        let request = Request::get(path).body(Body::empty()).expect("request");
        router.clone().oneshot(request).await.expect("infallible")
    }

    fn one_per_hour() -> RateLimitSettings {
        RateLimitSettings {
            enabled: true,
            requests: 1,
            burst: 1,
            period: Duration::from_secs(3600),
            ..RateLimitSettings::default()
        }
    }

    /// Every request of every layer around the limiter carries its future:
    /// the Redis store's round trip (~1 KB of state) must not make the
    /// in-memory store's future that size (issue 13's budget).
    #[test]
    fn the_in_memory_check_does_not_carry_the_redis_round_trip() {
        let limiter = Limiter::new(None, "unit-size").expect("limiter");
        let settings = RateLimitSettings::default();
        let policy = Policy::new(&settings, Tier::Guest, Class::Default);
        let who = Identity::Ip(IpAddr::V4(Ipv4Addr::LOCALHOST));
        let check = limiter.check(&settings, &policy, who);
        let round_trip = limiter.shared(settings.algorithm, &policy, who);
        assert!(
            std::mem::size_of_val(&check) * 4 < std::mem::size_of_val(&round_trip),
            "check: {} bytes, the Redis round trip: {} bytes",
            std::mem::size_of_val(&check),
            std::mem::size_of_val(&round_trip)
        );
    }

    #[tokio::test]
    async fn each_answer_carries_its_outcome_and_the_counters_add_up() {
        let (router, limiter) = limited(one_per_hour(), None).await;
        let first = send(&router, "/products/1").await;
        assert_eq!(first.status(), StatusCode::OK);
        assert_eq!(first.extensions().get::<Outcome>(), Some(&Outcome::Allowed));
        let second = send(&router, "/products/1").await;
        assert_eq!(second.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(
            second.extensions().get::<Outcome>(),
            Some(&Outcome::Limited)
        );
        assert_eq!(second.headers()["retry-after"], "3600");
        let health = send(&router, "/health").await;
        assert_eq!(health.status(), StatusCode::OK, "probes spend no budget");
        assert!(health.extensions().get::<Outcome>().is_none());
        let stats = limiter.snapshot();
        assert_eq!(
            (stats.allowed, stats.limited, stats.store_errors),
            (1, 1, 0)
        );
        assert_eq!(stats.memory_keys, 1);
    }

    #[tokio::test]
    async fn while_redis_is_down_one_request_per_probe_interval_tries_it() {
        // Port 1: nothing listens, connections are refused at once.
        let limiter = Limiter::new(Some("redis://127.0.0.1:1"), "unit-probe").expect("url");
        let policy = Policy::new(&one_per_hour(), Tier::Guest, Class::Default);
        let who = Identity::User(1);
        let first = limiter.shared(RateAlgorithm::Gcra, &policy, who).await;
        assert!(
            matches!(first, Err(StoreError::Redis(_) | StoreError::Timeout)),
            "{first:?}"
        );
        let second = limiter.shared(RateAlgorithm::Gcra, &policy, who).await;
        assert!(matches!(second, Err(StoreError::Down)), "{second:?}");
    }

    #[tokio::test]
    async fn without_redis_the_shared_store_follows_on_store_error() {
        let shared = RateLimitSettings {
            store: LimitStore::Redis,
            ..one_per_hour()
        };
        let open = RateLimitSettings {
            on_store_error: StoreFailure::Open,
            ..shared.clone()
        };
        let (router, limiter) = limited(open, None).await;
        let answer = send(&router, "/products/1").await;
        assert_eq!(answer.status(), StatusCode::OK);
        assert_eq!(
            answer.extensions().get::<Outcome>(),
            Some(&Outcome::FallbackAllowed)
        );
        let answer = send(&router, "/products/1").await;
        assert_eq!(
            answer.extensions().get::<Outcome>(),
            Some(&Outcome::FallbackLimited)
        );
        assert_eq!(limiter.snapshot().store_errors, 2);

        let closed = RateLimitSettings {
            on_store_error: StoreFailure::Closed,
            ..shared
        };
        let (router, _) = limited(closed, None).await;
        let answer = send(&router, "/products/1").await;
        assert_eq!(answer.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(
            answer.extensions().get::<Outcome>(),
            Some(&Outcome::StoreDown)
        );
        assert_eq!(answer.headers()["retry-after"], "1");
    }
}
