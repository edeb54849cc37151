//! `rate_limit`: sends a burst from one caller and counts what got through,
//! as a grader would from outside — Block 3's labs 3.2 (one user: exactly
//! the budget passes, the rest get 429 with `Retry-After` and the
//! `X-RateLimit-*` budget; another user unaffected; spoofed forwarding
//! headers buy nothing), 3.3 (rapid guest logins: the tier × endpoint
//! budget) and 3.4 (the burst alternating between two instances: one shared
//! budget).
//!
//! Every run must meet a fresh budget, or a student's second run inside the
//! period would see the first run's spending: the caller is a basic fixture
//! user that changes every two seconds, and anonymous bursts (and logins)
//! come from a loopback address of their own (any 127.x.y.z reaches a shop
//! listening on 127.0.0.1), which the shop sees as a new client. GCRA refills one request every period/budget,
//! so a burst that lasts longer may pass that many more: the check allows
//! exactly those refills and says so.

use std::time::Duration;

use serde::Deserialize;
use tokio::time::Instant;

use super::verdict::next_step;
use super::{CheckError, Context, Kind, Outcome, Surface, Unit};
use crate::msg;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimitSpec {
    pub id: Option<String>,
    #[serde(default, with = "humantime_serde")]
    pub timeout: Option<Duration>,
    /// Why it must pass in the lab's starting state too (see `labs validate`).
    pub guard: Option<String>,
    /// `GET` this path, or `POST /auth/login` with a wrong password.
    #[serde(default = "default_path")]
    pub path: String,
    /// Requests in the burst.
    pub requests: usize,
    /// Exactly this many must get through (not 429); without it, exactly
    /// the budget the answers advertise (`X-RateLimit-Limit`): spoofing
    /// must not buy more than the caller's own budget, whatever it is.
    pub allowed: Option<u64>,
    /// Who sends the burst.
    #[serde(default)]
    pub caller: Caller,
    /// Each request claims another client address in `X-Forwarded-For`,
    /// `X-Real-IP` and `Forwarded` (an attacker's trick; anonymous callers).
    #[serde(default)]
    pub spoof: bool,
    /// Alternate the burst between the shop and its other instance.
    #[serde(default)]
    pub across_instances: bool,
    /// After the burst, another user's first request must pass with a full
    /// budget.
    #[serde(default)]
    pub other_user: bool,
    /// Requests in flight at once (logins go one at a time).
    pub concurrency: Option<usize>,
}

fn default_path() -> String {
    "/products/1".into()
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Caller {
    /// A logged-in fixture user.
    #[default]
    User,
    /// Nobody logged in: the shop keys the budget by the client's address.
    Guest,
}

/// What one request of the burst got.
#[derive(Debug, Default)]
struct Tally {
    passed: u64,
    limited: u64,
    /// Neither 2xx/4xx-but-not-429 nor 429: 5xx, transport errors.
    broken: u64,
    /// Answers (passed or limited) without the `X-RateLimit-*` budget.
    no_budget: u64,
    /// 429s without a usable `Retry-After`.
    no_retry_after: u64,
    /// The budget and its period, as the headers said.
    limit: Option<u64>,
    window: Option<u64>,
}

impl RateLimitSpec {
    fn is_login(&self) -> bool {
        self.path == "/auth/login"
    }

    fn request(
        &self,
        client: &reqwest::Client,
        base: &str,
        token: Option<&str>,
        k: usize,
    ) -> reqwest::RequestBuilder {
        let url = format!("{base}{}", self.path);
        let mut request = if self.is_login() {
            let (email, _) = crate::fixtures::users::credentials(2);
            client
                .post(url)
                .json(&serde_json::json!({ "email": email, "password": "wrong" }))
        } else {
            client.get(url)
        };
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if self.spoof {
            let claimed = format!("10.{}.{}.{}", (k >> 16) & 255, (k >> 8) & 255, k & 255);
            request = request
                .header("x-forwarded-for", &claimed)
                .header("x-real-ip", &claimed)
                .header("forwarded", format!("for={claimed}"));
        }
        request
    }

    async fn burst(
        &self,
        ctx: &Context,
        client: &reqwest::Client,
        token: Option<&str>,
    ) -> (Tally, Duration) {
        use futures::StreamExt;
        let bases: Vec<&str> = if self.across_instances {
            std::iter::once(ctx.shop_url.as_str())
                .chain(ctx.peers.iter().map(String::as_str))
                .collect()
        } else {
            vec![ctx.shop_url.as_str()]
        };
        let concurrency = self
            .concurrency
            .unwrap_or(if self.is_login() { 1 } else { 10 })
            .max(1);
        let started = Instant::now();
        let answers: Vec<_> = futures::stream::iter(0..self.requests)
            .map(|k| {
                let request = self.request(client, bases[k % bases.len()], token, k);
                async move { request.send().await }
            })
            .buffer_unordered(concurrency)
            .collect()
            .await;
        let elapsed = started.elapsed();
        let mut tally = Tally::default();
        for answer in answers {
            let Ok(response) = answer else {
                tally.broken += 1;
                continue;
            };
            let status = response.status().as_u16();
            let headers = response.headers();
            let number = |name: &str| number(headers, name);
            let budget = [
                "x-ratelimit-limit",
                "x-ratelimit-remaining",
                "x-ratelimit-reset",
            ]
            .iter()
            .all(|name| number(name).is_some());
            match status {
                429 => {
                    tally.limited += 1;
                    if number("retry-after").is_none_or(|s| s == 0) {
                        tally.no_retry_after += 1;
                    }
                }
                s if s >= 500 => {
                    tally.broken += 1;
                    continue;
                }
                _ => tally.passed += 1,
            }
            if !budget {
                tally.no_budget += 1;
            }
            tally.limit = tally.limit.or(number("x-ratelimit-limit"));
            tally.window = tally.window.or_else(|| window(headers));
        }
        (tally, elapsed)
    }

    /// Another user's first request: does it pass with its whole budget?
    async fn other_user_passes(
        &self,
        ctx: &Context,
        client: &reqwest::Client,
    ) -> Result<bool, CheckError> {
        let token = login_basic(ctx, true).await?;
        let url = ctx.url("/products/1");
        let response = ctx.send(client.get(&url).bearer_auth(token), &url).await?;
        let headers = response.headers();
        Ok(response.status().is_success()
            && matches!(
                (
                    number(headers, "x-ratelimit-limit"),
                    number(headers, "x-ratelimit-remaining")
                ),
                (Some(limit), Some(remaining)) if remaining + 1 >= limit
            ))
    }
}

/// The period in seconds from `RateLimit-Policy: "name";q=100;w=60`.
fn window(headers: &reqwest::header::HeaderMap) -> Option<u64> {
    let policy = headers.get("ratelimit-policy")?.to_str().ok()?;
    policy
        .split(';')
        .find_map(|part| part.trim().strip_prefix("w="))
        .and_then(|w| w.trim().parse().ok())
}

/// A header's value as a whole number, if it is one.
fn number(headers: &reqwest::header::HeaderMap, name: &str) -> Option<u64> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
}

/// Checks of this process that chose users so far: `check --all` runs
/// 3.2 and 3.4 seconds apart, and with the Redis store a budget outlives
/// the shop that spent it.
static RUNS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// The users this process has sent a burst or a probe as. The time-based
/// slots of [`candidates`] keep separate processes apart; within one, a run
/// a minute or so after another could land on the same slot (the time's
/// step cancelling the run's: `check --all` met a user 3.4 had spent, 96 of
/// 150 through), so a user is never chosen twice.
static CHOSEN: std::sync::Mutex<std::collections::BTreeSet<i64>> =
    std::sync::Mutex::new(std::collections::BTreeSet::new());

fn chosen() -> std::sync::MutexGuard<'static, std::collections::BTreeSet<i64>> {
    CHOSEN
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Candidates for the burst's user (even ids) and for the other user (odd
/// ids) among customers 100–199 (every scale has 200; the labs' traffic logs
/// in 2, 3, …). The first pair moves on every 2 seconds and with every run
/// in this process, so a run meets users no run of the last 100 s spent
/// (and after 100 s a budget of a minute is whole again).
fn candidates(other: bool) -> impl Iterator<Item = i64> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let run = RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    // Runs in one process step by 7 pairs (prime to 50): far from the time's.
    let slot = ((now / 2 + run * 7) % 50) as i64;
    (0..50)
        .map(move |k| 100 + 2 * ((slot + k) % 50) + i64::from(other))
        .filter(|user| !chosen().contains(user))
}

/// The tier a JWT's payload names (`tier`), read without verifying it: the
/// check only uses it to choose whom to send.
fn token_tier(token: &str) -> Option<String> {
    use base64::Engine;
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    claims["tier"].as_str().map(str::to_string)
}

/// Logs in a basic customer (the course's 100 requests/min is per such a
/// user; a premium one has more): the first candidate whose token says
/// `basic`, or says no tier at all (an API of the student's own). Each
/// login comes from a fresh address, as logins are anonymous requests that
/// a limiter with tiers allows only a few per address.
async fn login_basic(ctx: &Context, other: bool) -> Result<String, CheckError> {
    let mut last = Err(CheckError::Spec("no fixture user to log in".into()));
    for user in candidates(other).take(8) {
        let mut client = ctx.clone();
        client.http = ctx.fresh_client();
        let token = client.login(user).await?;
        match token_tier(&token).as_deref() {
            None | Some("basic") => {
                chosen().insert(user);
                return Ok(token);
            }
            Some(_) => last = Ok(token),
        }
    }
    last
}

impl Kind for RateLimitSpec {
    const NAME: &'static str = "rate_limit";

    fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    fn guard(&self) -> Option<&str> {
        self.guard.as_deref()
    }

    fn target(&self, ctx: &Context) -> String {
        match self.allowed {
            Some(allowed) => msg!(
                ctx.text,
                "check-rate-limit-target",
                allowed = allowed,
                requests = self.requests
            ),
            None => msg!(
                ctx.text,
                "check-rate-limit-target-advertised",
                requests = self.requests
            ),
        }
    }

    fn limit(&self, _: &Context) -> Duration {
        self.timeout.unwrap_or(Duration::from_secs(60))
    }

    async fn measure(&self, ctx: &Context) -> Result<Outcome, CheckError> {
        if self.across_instances && ctx.peers.is_empty() {
            return Err(CheckError::Unavailable(Surface::Peer));
        }
        let client = ctx.fresh_client();
        let token = match self.caller {
            Caller::User => Some(login_basic(ctx, false).await?),
            Caller::Guest => None,
        };
        let (tally, elapsed) = self.burst(ctx, &client, token.as_deref()).await;
        // GCRA refills one request every period/budget while the burst runs.
        let refills = match (tally.limit, tally.window) {
            (Some(limit), Some(window)) if limit > 0 && window > 0 => {
                (elapsed.as_secs_f64() * limit as f64 / window as f64).floor() as u64
            }
            _ => 0,
        };
        // Without a number, the budget the answers advertise.
        let allowed = self.allowed.or(tally.limit).unwrap_or(0);
        let exact = (allowed..=allowed + refills).contains(&tally.passed);
        let headers_ok = tally.no_budget == 0 && tally.no_retry_after == 0;
        let other_ok = match self.other_user {
            true => Some(self.other_user_passes(ctx, &client).await?),
            false => None,
        };
        let ok = exact && headers_ok && tally.broken == 0 && other_ok != Some(false);
        let text = &ctx.text;
        let mut parts = vec![msg!(
            text,
            "check-rate-limit-head",
            passed = tally.passed,
            requests = self.requests,
            limited = tally.limited,
            ms = elapsed.as_millis() as u64,
            target = self.target(ctx)
        )];
        if refills > 0 {
            parts.push(msg!(text, "check-rate-limit-refills", refills = refills));
        }
        if tally.broken > 0 {
            parts.push(msg!(text, "check-rate-limit-broken", count = tally.broken));
        }
        if tally.no_budget > 0 {
            parts.push(msg!(
                text,
                "check-rate-limit-no-budget",
                count = tally.no_budget
            ));
        }
        if tally.no_retry_after > 0 {
            parts.push(msg!(
                text,
                "check-rate-limit-no-retry-after",
                count = tally.no_retry_after
            ));
        }
        if other_ok == Some(false) {
            parts.push(msg!(text, "check-rate-limit-other-user"));
        }
        parts.push(next_step(text, ok, || {
            let why = match (tally.passed > allowed, self.spoof, self.across_instances) {
                (true, true, _) => "spoofed",
                (true, _, true) => "instances",
                (true, _, _) => "too-many",
                (false, _, _) => "too-few",
            };
            msg!(text, "check-rate-limit-hint", why = why)
        }));
        Ok(Outcome::measured(
            ok,
            tally.passed as f64,
            Unit::Count,
            parts.join(" "),
        ))
    }
}
