//! `redis_outage` (lab 1.6): Redis dies under load and the shop must keep
//! serving. Drives the lab's traffic, stops the shop's Redis after
//! `stop_after`, keeps it down for `down_for`, starts it again on the same
//! port and measures two things:
//!
//! - **5xx while Redis is down.** The load generator's snapshots count status
//!   codes per 1 s window by the time a request *finished*, so they cannot say
//!   exactly which requests fell inside the outage. Instead a few probers
//!   (ctx.http, paths drawn from the same traffic mix, at most one request
//!   per [`PROBE_EVERY`] each) send requests from the moment the stop begins
//!   until Redis answers PING again, and every one of them counts: a 5xx, or
//!   no answer within [`ANSWER_WITHIN`] (a shop that blocks on a dead Redis
//!   is not serving), is a failure. The lab's traffic keeps running
//!   meanwhile, so the outage happens under load; its 5xx over the whole run
//!   are reported too, not judged.
//! - **Hits resume.** From the moment Redis answers again, `probe_path` is
//!   requested every [`RESUME_POLL`] until it answers `X-Cache: HIT` while
//!   the restarted Redis has served at least one read that found its key
//!   (`keyspace_hits` in `INFO stats` > 0). The restarted server is empty and
//!   private to this shop, so a found key means the shop reads from it again;
//!   without that condition a shop that never reconnected would pass on the
//!   HITs of its in-process fallback. `resume_ms` is the time from Redis
//!   answering to that HIT.
//!
//! - **What stood in for Redis** (`cross_writes`, lab 1.6 with two
//!   instances): while Redis is down, the admin changes the price of
//!   `cross_product` on the shop (A) again and again, and after each write
//!   reads it on the peer (B): a read showing an earlier price is stale (the
//!   bug lab 1.4 names), and B's `X-Cache` says whether an in-process cache
//!   answered; a write A answers with a 5xx is a failure of the outage like a
//!   probe's. The original price is read before the load starts and put back
//!   once it is over (under it a write can wait past the pool's timeout), or
//!   on any other exit path ([`super::prices`]). And with the control API,
//!   the shop's pool timeouts (`GET /pool`, requests answered 503 for want
//!   of a connection) are read before and after the run. All are reported so
//!   that the fallbacks can be told apart (`database`: pool timeouts;
//!   `local`: stale reads; `memory`: B's hits); stale reads above
//!   `max_stale` fail the check.
//!
//! Needs the private Redis the runner started (`ctx.redis_server`); it is
//! always started again before the check returns, even on an error, and on a
//! time limit by a task the check leaves behind.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use hyper::header::HeaderValue;
use rand::SeedableRng;
use rand::rngs::SmallRng;
use serde::Deserialize;
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use rust_decimal::Decimal;

use super::prices::{self, PutBack};
use super::{CheckError, Context, Kind, Outcome, RedisServer, Surface, TrafficSpec, Unit};
use crate::load::{Mix, StatusClass};
use crate::msg;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RedisOutageSpec {
    pub id: Option<String>,
    #[serde(default, with = "humantime_serde")]
    pub timeout: Option<Duration>,
    /// Why it must pass in the lab's starting state too (see `labs validate`).
    pub guard: Option<String>,
    /// Overrides the lab's traffic profile.
    pub traffic: Option<TrafficSpec>,
    /// Load before Redis is stopped.
    #[serde(with = "humantime_serde", default = "default_stop_after")]
    pub stop_after: Duration,
    /// How long Redis stays down.
    #[serde(with = "humantime_serde", default = "default_down_for")]
    pub down_for: Duration,
    /// Hits from Redis must be back this long after it answers again.
    #[serde(with = "humantime_serde", default = "default_resume_within")]
    pub resume_within: Duration,
    /// Most 5xx (or unanswered) probe requests allowed while Redis is down.
    #[serde(default)]
    pub max_5xx: u64,
    /// The hot cached path polled for the first hit after the restart.
    #[serde(default = "default_probe_path")]
    pub probe_path: String,
    /// During the outage, write prices on the shop and read them on its
    /// peer (needs a peer).
    #[serde(default)]
    pub cross_writes: bool,
    /// The product `cross_writes` changes.
    #[serde(default = "default_cross_product")]
    pub cross_product: i64,
    /// Most stale reads on the peer allowed during the outage.
    #[serde(default)]
    pub max_stale: u64,
}

fn default_cross_product() -> i64 {
    1
}

/// The first price `cross_writes` sets; each next write adds one.
const CROSS_FIRST_PRICE: i64 = 2000;
/// Pause between two cross writes: a few a second, next to the lab's load.
const CROSS_EVERY: Duration = Duration::from_millis(100);

/// What the cross writes saw on the peer.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Cross {
    writes: u64,
    /// Writes A answered with a 5xx (a pool timeout, say): they count as
    /// failures of the outage, and no read follows them.
    failed_writes: u64,
    /// Reads on the peer that answered 200.
    reads: u64,
    stale: u64,
    /// Reads the peer answered `X-Cache: HIT`.
    hits: u64,
}

fn default_stop_after() -> Duration {
    Duration::from_secs(1)
}
fn default_down_for() -> Duration {
    Duration::from_secs(3)
}
fn default_resume_within() -> Duration {
    Duration::from_secs(5)
}
fn default_probe_path() -> String {
    "/products/1".into()
}

/// A probe request with no answer within this is counted as a failure.
const ANSWER_WITHIN: Duration = Duration::from_secs(2);
/// How often the probe path is requested after the restart.
const RESUME_POLL: Duration = Duration::from_millis(50);
/// Concurrent probers during the outage.
const PROBERS: u64 = 4;
/// Each prober sends at most one request this often: enough samples to catch
/// an intermittent 5xx (about 400 a second), without adding so much load to
/// the lab's traffic that the check would measure a harder test than the lab's.
const PROBE_EVERY: Duration = Duration::from_millis(10);

/// The probers' counts during the outage.
#[derive(Debug, Default)]
struct Tally {
    requests: AtomicU64,
    server_errors: AtomicU64,
    unanswered: AtomicU64,
}

/// What the check measured.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Measured {
    outage_requests: u64,
    outage_5xx: u64,
    outage_unanswered: u64,
    /// From Redis answering again to the first hit from it, when within the limit.
    resume: Option<Duration>,
    load_requests: u64,
    load_5xx: u64,
    /// The shop's pool timeouts during the run, when its control API is known.
    pool_timeouts: Option<u64>,
    cross: Option<Cross>,
}

impl Measured {
    /// Probe requests that failed.
    fn probe_failures(&self) -> u64 {
        self.outage_5xx + self.outage_unanswered
    }

    /// Everything that failed during the outage: probes and writes.
    fn failures(&self) -> u64 {
        self.probe_failures() + self.cross.map_or(0, |c| c.failed_writes)
    }
}

impl RedisOutageSpec {
    fn ok(&self, m: &Measured) -> (bool, bool) {
        let fresh = m.cross.is_none_or(|c| c.stale <= self.max_stale);
        let served = m.failures() <= self.max_5xx && m.outage_requests > 0 && fresh;
        let resumed = m.resume.is_some_and(|r| r <= self.resume_within);
        (served, resumed)
    }

    /// The whole scenario; the caller makes sure Redis runs afterwards.
    async fn outage(&self, ctx: &Context, server: &RedisServer) -> Result<Measured, CheckError> {
        let redis_url = server.lock().await.url().to_string();
        let traffic = ctx.traffic(self.traffic.as_ref())?;
        let cross_peer = match self.cross_writes {
            true => Some(
                ctx.peers
                    .first()
                    .cloned()
                    .ok_or(CheckError::Unavailable(Surface::Peer))?,
            ),
            false => None,
        };
        let admin = match cross_peer {
            Some(_) => Some(ctx.login(1).await?),
            None => None,
        };
        // The price to put back, read while the shop is idle: under the
        // lab's load a read can wait for a pool connection past its timeout.
        let put_back = admin.as_deref().map(|token| PutBack::new(ctx, token));
        if let Some(guard) = &put_back {
            let product = self.cross_product;
            guard.remember(product, prices::original(ctx, product).await?);
        }
        let timeouts_before = pool_timeouts(ctx).await;
        let mix = Arc::new(traffic.mix()?);
        let mut traffic = traffic.clone();
        // Long enough for the whole timeline; cancelled once it is measured.
        traffic.duration =
            self.stop_after + self.down_for + self.resume_within + Duration::from_secs(1);
        let cancel = CancellationToken::new();
        let _stop_load = cancel.clone().drop_guard();
        let run = traffic.start(ctx, cancel.clone()).await?;
        tokio::time::sleep(self.stop_after).await;

        let over = CancellationToken::new();
        let _stop_probers = over.clone().drop_guard();
        let tally = Arc::new(Tally::default());
        let mut probers = JoinSet::new();
        for seed in 0..PROBERS {
            let (ctx, mix, over, tally) = (ctx.clone(), mix.clone(), over.clone(), tally.clone());
            probers.spawn(probe(ctx, mix, seed, over, tally));
        }
        server.lock().await.stop().await;
        let cross = async {
            match (&cross_peer, &admin) {
                (Some(peer), Some(token)) => {
                    let deadline = Instant::now() + self.down_for;
                    let cross = self.cross(ctx, peer, token, deadline).await;
                    // Redis stays down as long as the lab says, whatever happened.
                    tokio::time::sleep_until(deadline).await;
                    Some(cross)
                }
                _ => {
                    tokio::time::sleep(self.down_for).await;
                    None
                }
            }
        };
        let cross = cross.await.transpose();
        let restarted = server.lock().await.restart().await;
        let back = Instant::now();
        over.cancel();
        while probers.join_next().await.is_some() {}
        restarted.map_err(|reason| CheckError::RedisRestart {
            url: redis_url.clone(),
            reason,
        })?;
        let cross = cross?;

        let resume = self.resume(ctx, &redis_url, back).await;
        cancel.cancel();
        let total = run.finish().await?.total;
        // Once the load is over: under it, the write could wait for a pool
        // connection past its timeout (`fallback = "database"`). An early
        // return puts the price back from the guard's drop.
        if let Some(guard) = put_back {
            guard.now().await?;
        }
        Ok(Measured {
            outage_requests: tally.requests.load(Ordering::SeqCst),
            outage_5xx: tally.server_errors.load(Ordering::SeqCst),
            outage_unanswered: tally.unanswered.load(Ordering::SeqCst),
            resume,
            load_requests: total.requests,
            load_5xx: total.class(StatusClass::ServerError).map_or(0, |c| c.count),
            pool_timeouts: match (timeouts_before, pool_timeouts(ctx).await) {
                (Some(before), Some(after)) => Some(after.saturating_sub(before)),
                _ => None,
            },
            cross,
        })
    }

    /// Until `deadline`: a price write on the shop, then a read of the same
    /// product on `peer`, again and again.
    async fn cross(
        &self,
        ctx: &Context,
        peer: &str,
        token: &str,
        deadline: Instant,
    ) -> Result<Cross, CheckError> {
        let product = self.cross_product;
        let url = format!("{}/products/{product}", peer.trim_end_matches('/'));
        let mut cross = Cross::default();
        let mut price = CROSS_FIRST_PRICE;
        while Instant::now() < deadline {
            let stored = match ctx.set_price(token, product, Decimal::from(price)).await {
                Ok(()) => true,
                // The shop could not serve the write (its pool, say): a
                // failure of the outage, and no read follows. The next
                // write's price is higher than this one's, whether it was
                // stored or not.
                Err(CheckError::Status { status, .. }) if status >= 500 => false,
                Err(e) => return Err(e),
            };
            cross.writes += u64::from(stored);
            cross.failed_writes += u64::from(!stored);
            if stored
                && let Ok(response) = ctx.http.get(&url).timeout(ANSWER_WITHIN).send().await
                && response.status().is_success()
            {
                let hit = response
                    .headers()
                    .get("x-cache")
                    .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"HIT"));
                let shown = response
                    .json::<serde_json::Value>()
                    .await
                    .ok()
                    .and_then(|body| body["price"].as_f64());
                cross.reads += 1;
                cross.hits += u64::from(hit);
                if shown.is_some_and(|shown| shown < price as f64) {
                    cross.stale += 1;
                }
            }
            price += 1;
            tokio::time::sleep(CROSS_EVERY).await;
        }
        Ok(cross)
    }

    /// The time from `back` to the first `X-Cache: HIT` on the probe path
    /// while the restarted Redis has served a read; `None` if none came
    /// within `resume_within`.
    async fn resume(&self, ctx: &Context, redis_url: &str, back: Instant) -> Option<Duration> {
        let url = ctx.url(&self.probe_path);
        let mut tick = tokio::time::interval(RESUME_POLL);
        while back.elapsed() <= self.resume_within {
            tick.tick().await;
            let answer = ctx.http.get(&url).timeout(ANSWER_WITHIN).send().await;
            let answered = back.elapsed();
            let hit = answer.is_ok_and(|r| {
                r.status().is_success()
                    && r.headers()
                        .get("x-cache")
                        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"HIT"))
            });
            if hit && keyspace_hits(redis_url).await.is_some_and(|n| n > 0) {
                return Some(answered);
            }
        }
        None
    }
}

/// Sends requests drawn from the traffic's mix, one after another, until
/// `over`; a request in flight then still counts (it was sent during the outage).
async fn probe(ctx: Context, mix: Arc<Mix>, seed: u64, over: CancellationToken, tally: Arc<Tally>) {
    let mut rng = SmallRng::seed_from_u64(seed);
    let host = HeaderValue::from_static("shop");
    let mut pace = tokio::time::interval(PROBE_EVERY);
    pace.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    while !over.is_cancelled() {
        pace.tick().await;
        let (_, Ok(request)) = mix.request(&mut rng, &host, None) else {
            return;
        };
        let url = ctx.url(&request.uri().to_string());
        let answer = async {
            let response = ctx.http.get(&url).timeout(ANSWER_WITHIN).send().await?;
            let status = response.status();
            // Read to the end: the connection is kept for the next request.
            response.bytes().await.map(|_| status)
        };
        tally.requests.fetch_add(1, Ordering::SeqCst);
        match answer.await {
            Ok(status) if status.is_server_error() => &tally.server_errors,
            Ok(_) => continue,
            Err(_) => &tally.unanswered,
        }
        .fetch_add(1, Ordering::SeqCst);
    }
}

/// The shop's pool timeouts so far (`GET /pool` on the control API), when
/// it has one that answers.
async fn pool_timeouts(ctx: &Context) -> Option<u64> {
    ctx.control.as_ref()?;
    ctx.control_json("/pool").await.ok()?["timeouts"].as_u64()
}

/// `keyspace_hits` of an `INFO stats` answer.
fn parse_keyspace_hits(info: &str) -> Option<u64> {
    info.lines()
        .find_map(|line| line.strip_prefix("keyspace_hits:"))
        .and_then(|n| n.trim().parse().ok())
}

/// Reads found by Redis since it started; `None` when it does not answer.
async fn keyspace_hits(url: &str) -> Option<u64> {
    let timeout = Duration::from_millis(300);
    let read = async {
        let client = redis::Client::open(url).ok()?;
        let config = redis::AsyncConnectionConfig::new()
            .set_connection_timeout(Some(timeout))
            .set_response_timeout(Some(timeout));
        let mut conn = client
            .get_multiplexed_async_connection_with_config(&config)
            .await
            .ok()?;
        let info: String = redis::cmd("INFO")
            .arg("stats")
            .query_async(&mut conn)
            .await
            .ok()?;
        parse_keyspace_hits(&info)
    };
    tokio::time::timeout(2 * timeout, read).await.ok().flatten()
}

/// Starts the server again if it is not running.
async fn ensure_running(server: &RedisServer) -> Result<(), CheckError> {
    let mut redis = server.lock().await;
    if redis.is_running() {
        return Ok(());
    }
    let url = redis.url().to_string();
    redis
        .restart()
        .await
        .map_err(|reason| CheckError::RedisRestart { url, reason })
}

/// Makes sure the student's Redis is running once the check is over: awaited
/// on every return, and from `Drop` (the time limit dropped the check
/// mid-outage) by a task of its own, since a drop cannot wait.
struct RunningAfter(Option<RedisServer>);

impl RunningAfter {
    async fn restore(mut self) -> Result<(), CheckError> {
        match self.0.take() {
            Some(server) => ensure_running(&server).await,
            None => Ok(()),
        }
    }
}

impl Drop for RunningAfter {
    fn drop(&mut self) {
        let Some(server) = self.0.take() else { return };
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                if let Err(e) = ensure_running(&server).await {
                    tracing::warn!("could not start the shop's Redis again: {e}");
                }
            });
        }
    }
}

impl Kind for RedisOutageSpec {
    const NAME: &'static str = "redis_outage";

    fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    fn guard(&self) -> Option<&str> {
        self.guard.as_deref()
    }

    fn target(&self, ctx: &Context) -> String {
        msg!(
            ctx.text,
            "check-outage-target",
            max = self.max_5xx,
            within = humantime::format_duration(self.resume_within).to_string()
        )
    }

    fn limit(&self, _: &Context) -> Duration {
        // The timeline, plus logins, a restart (up to 30 s) and the last answers.
        let timeline = self.stop_after + self.down_for + self.resume_within;
        self.timeout.unwrap_or(timeline + Duration::from_secs(45))
    }

    async fn measure(&self, ctx: &Context) -> Result<Outcome, CheckError> {
        let server = ctx
            .redis_server
            .clone()
            .ok_or(CheckError::Unavailable(Surface::RedisServer))?;
        let after = RunningAfter(Some(server.clone()));
        ensure_running(&server).await?;
        let measured = self.outage(ctx, &server).await;
        let restored = after.restore().await;
        let m = measured?;
        restored?;
        let (served, resumed) = self.ok(&m);
        let message = message(ctx, self, &self.target(ctx), &m);
        let mut details = vec![
            ("outage_requests", m.outage_requests as f64),
            ("outage_5xx", m.outage_5xx as f64),
            ("outage_unanswered", m.outage_unanswered as f64),
            ("load_requests", m.load_requests as f64),
            ("load_5xx", m.load_5xx as f64),
        ];
        if let Some(resume) = m.resume {
            details.push(("resume_ms", resume.as_secs_f64() * 1000.0));
        }
        if let Some(timeouts) = m.pool_timeouts {
            details.push(("pool_timeouts", timeouts as f64));
        }
        if let Some(c) = m.cross {
            details.extend([
                ("cross_writes", c.writes as f64),
                ("failed_writes", c.failed_writes as f64),
                ("peer_reads", c.reads as f64),
                ("peer_hits", c.hits as f64),
                ("peer_stale", c.stale as f64),
            ]);
        }
        Ok(
            Outcome::measured(served && resumed, m.failures() as f64, Unit::Count, message)
                .with_details(details),
        )
    }
}

fn message(ctx: &Context, spec: &RedisOutageSpec, target: &str, m: &Measured) -> String {
    let text = &ctx.text;
    let (served, resumed) = spec.ok(m);
    let duration = |d: Duration| humantime::format_duration(d).to_string();
    let mut parts = vec![msg!(
        text,
        "check-outage-probes",
        down = duration(spec.down_for),
        failed = m.probe_failures(),
        requests = m.outage_requests,
        errors = m.outage_5xx,
        answer = duration(ANSWER_WITHIN),
        unanswered = m.outage_unanswered,
        target = target
    )];
    let probe = &spec.probe_path;
    parts.push(match m.resume {
        Some(r) => msg!(
            text,
            "check-outage-resumed",
            path = probe,
            after = Unit::Ms.format(r.as_secs_f64() * 1000.0)
        ),
        None => msg!(
            text,
            "check-outage-not-resumed",
            path = probe,
            within = duration(spec.resume_within)
        ),
    });
    if let Some(timeouts) = m.pool_timeouts {
        parts.push(msg!(
            text,
            "check-outage-pool-timeouts",
            timeouts = timeouts
        ));
    }
    if let Some(c) = m.cross {
        parts.push(msg!(
            text,
            "check-outage-peer",
            writes = c.writes,
            failed = c.failed_writes,
            reads = c.reads,
            hits = c.hits,
            stale = c.stale
        ));
    }
    if m.load_5xx > 0 {
        parts.push(msg!(
            text,
            "check-outage-load-5xx",
            errors = m.load_5xx,
            requests = m.load_requests
        ));
    }
    parts.push(match (served, resumed) {
        (true, true) => msg!(text, "check-target-met"),
        (false, _) if m.outage_requests == 0 => {
            msg!(text, "check-outage-no-probe", mode = ctx.mode())
        }
        (false, _) if m.failures() <= spec.max_5xx => msg!(text, "check-outage-hint-stale"),
        (false, _) => msg!(text, "check-outage-hint-served", mode = ctx.mode()),
        (true, false) => msg!(text, "check-outage-hint-resumed"),
    });
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::Lang;

    fn spec(toml: &str) -> RedisOutageSpec {
        toml::from_str(toml).expect("a valid spec")
    }

    fn measured(failures: u64, resume_ms: Option<u64>) -> Measured {
        Measured {
            outage_requests: 500,
            outage_5xx: failures,
            outage_unanswered: 0,
            resume: resume_ms.map(Duration::from_millis),
            load_requests: 2000,
            load_5xx: failures,
            pool_timeouts: None,
            cross: None,
        }
    }

    #[test]
    fn defaults_follow_lab_1_6() {
        let s = spec("");
        assert_eq!(s.stop_after, Duration::from_secs(1));
        assert_eq!(s.down_for, Duration::from_secs(3));
        assert_eq!(s.resume_within, Duration::from_secs(5));
        assert_eq!((s.max_5xx, s.probe_path.as_str()), (0, "/products/1"));
        let ctx = Context::new("http://x", Lang::En);
        assert_eq!(
            s.target(&ctx),
            "≤ 0 5xx while Redis is down, hits resume within 5s"
        );
        assert!(toml::from_str::<RedisOutageSpec>("down = \"3s\"").is_err());
    }

    #[test]
    fn both_parts_are_judged() {
        let s = spec("max_5xx = 2");
        assert_eq!(s.ok(&measured(2, Some(800))), (true, true));
        assert_eq!(s.ok(&measured(3, Some(800))), (false, true));
        assert_eq!(s.ok(&measured(0, Some(5001))), (true, false));
        assert_eq!(s.ok(&measured(0, None)), (true, false));
        let silent = Measured {
            outage_requests: 0,
            ..measured(0, Some(10))
        };
        assert_eq!(
            s.ok(&silent),
            (false, true),
            "no probe at all proves nothing"
        );
    }

    #[test]
    fn messages_say_what_failed_and_what_to_look_at() {
        let s = spec("");
        let en = Context::new("http://x", Lang::En);
        let text = message(&en, &s, &s.target(&en), &measured(12, None));
        assert!(
            text.contains("12 of 500 probe requests got a 5xx (12)"),
            "{text}"
        );
        assert!(
            text.contains("no hit served from Redis within 5s"),
            "{text}"
        );
        assert!(text.contains("cache miss"), "{text}");
        let es = message(
            &Context::new("http://x", Lang::Es),
            &s,
            "t",
            &measured(0, None),
        );
        assert!(
            es.contains("ConnectionManager") && es.contains("Redis parado"),
            "{es}"
        );
        let ok = message(&en, &s, "t", &measured(0, Some(420)));
        assert!(
            ok.contains("after 420.0 ms") && ok.ends_with("Target met."),
            "{ok}"
        );
    }

    #[test]
    fn stale_reads_on_the_peer_fail_and_are_told_with_pool_timeouts() {
        let s = spec("cross_writes = true");
        let crossed = |stale, failed_writes| Measured {
            pool_timeouts: Some(7),
            cross: Some(Cross {
                writes: 20,
                failed_writes,
                reads: 20,
                stale,
                hits: 15,
            }),
            ..measured(0, Some(300))
        };
        assert_eq!(s.ok(&crossed(0, 0)), (true, true));
        assert_eq!(s.ok(&crossed(2, 0)), (false, true));
        // A write answered 5xx during the outage is a failure of it.
        assert_eq!(s.ok(&crossed(0, 1)), (false, true));
        assert!(
            message(&Context::new("http://x", Lang::En), &s, "t", &crossed(0, 3))
                .contains("3 more writes got a 5xx")
        );
        let en = Context::new("http://x", Lang::En);
        let text = message(&en, &s, "t", &crossed(2, 0));
        assert!(text.contains("7 requests"), "{text}");
        assert!(
            text.contains("20 price writes") && text.contains("2 showed an earlier price"),
            "{text}"
        );
        assert!(text.contains("lab 1.4"), "{text}");
        let es = message(&Context::new("http://x", Lang::Es), &s, "t", &crossed(0, 0));
        assert!(es.contains("15 desde su caché en memoria"), "{es}");
    }

    #[test]
    fn keyspace_hits_come_from_info_stats() {
        let info =
            "# Stats\r\ntotal_connections_received:3\r\nkeyspace_hits:17\r\nkeyspace_misses:4\r\n";
        assert_eq!(parse_keyspace_hits(info), Some(17));
        assert_eq!(parse_keyspace_hits("# Stats\r\n"), None);
    }
}
