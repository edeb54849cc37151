//! What a check may reach: the API's public URL, the control API (when the
//! runner started perflab's own shop), its database, its process, other
//! instances of it, a Redis server the check may stop, the lab's traffic
//! profile and the student's baseline, and the learner's language. A grader
//! pointing `--target URL` at a student's own API has only the first (and
//! the `--peer` instances it names): [`Subject::Target`]. There every kind
//! grades by the HTTP contract alone — status codes, bodies, `X-Cache`,
//! `X-Query-Count` — and speaks of the API's behaviour, never of perflab's
//! settings; kinds that need more answer `NotApplicable` through
//! [`CheckError::Unavailable`].

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use thiserror::Error;

use super::TrafficSpec;
pub use crate::messages::Lang;
use crate::messages::Text;
use crate::msg;

/// The shop's control API.
#[derive(Debug, Clone)]
pub struct Control {
    pub url: String,
    pub token: String,
}

/// Everything a check may measure through.
#[derive(Debug, Clone)]
pub struct Context {
    /// `http://host:port` of the API under test.
    pub shop_url: String,
    pub control: Option<Control>,
    pub database_url: Option<String>,
    /// The shop's process id, when the runner started it.
    pub shop_pid: Option<u32>,
    /// Public URLs of other instances of the same shop (same database and
    /// Redis), for the kinds that test what instances share.
    pub peers: Vec<String>,
    /// The shop's Redis, when the runner started a private one it may stop.
    pub redis_server: Option<RedisServer>,
    /// The lab's traffic profile, used by kinds that give none of their own.
    pub traffic: Option<TrafficSpec>,
    /// The shop's request log (`middleware.request_log`), when it is local.
    pub log_file: Option<std::path::PathBuf>,
    /// What lab 1.1 measured (`p95_ms`, `rps`, …), for "× better than the baseline" targets.
    pub baseline: Option<BTreeMap<String, f64>>,
    /// The learner's language and the message catalogue.
    pub text: Text,
    /// The one HTTP client of the checks (keep-alive across requests).
    pub http: reqwest::Client,
    /// The virtual users' tokens, kept across the lab's traffic runs.
    pub sessions: crate::load::Sessions,
    /// Each check is a visitor of its own ([`Context::as_new_visitor`]): set
    /// in the labs that meet the rate limiter, where one check's anonymous
    /// requests would otherwise spend the next one's budget (a guest gets 20
    /// a minute with the course's tiers).
    pub visitors_apart: bool,
    /// Traffic runs started in this lab so far (see [`Context::next_seed`]).
    runs: Arc<std::sync::atomic::AtomicU64>,
}

/// A Redis server a check may stop and start (shared by the runner and the check).
pub type RedisServer = Arc<tokio::sync::Mutex<crate::services::redis::ScratchRedis>>;

/// What the checks measure: perflab's own shop, whose settings the student
/// edits in `shop.toml`, or an API of the student's own (`--target URL`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    /// The runner started it: its control API is there.
    OwnShop,
    /// Only its public HTTP API (and peers) are known.
    Target,
}

impl Subject {
    /// The value of the `$mode` variable with which a message picks its
    /// own-shop or target wording.
    pub fn mode(self) -> &'static str {
        match self {
            Self::OwnShop => "shop",
            Self::Target => "target",
        }
    }
}

/// A surface a check needs and the context may lack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Surface {
    Control,
    Database,
    /// The shop process (for its memory).
    Process,
    /// A second instance of the shop.
    Peer,
    /// A Redis server of the shop's that the check may stop.
    RedisServer,
    /// Lab 1.1's measurement, which the target is relative to.
    Baseline,
    /// The shop's request log file.
    LogFile,
}

/// Why a check could not measure. `Display` is for logs; the learner reads
/// [`CheckError::render`], in their language.
#[derive(Debug, Error)]
pub enum CheckError {
    #[error("needs the {0:?} surface")]
    Unavailable(Surface),
    #[error("HTTP request to {url} failed: {source}")]
    Http {
        url: String,
        #[source]
        source: reqwest::Error,
    },
    #[error("{url} answered {status}: {body}")]
    Status {
        url: String,
        status: u16,
        body: String,
    },
    #[error("unexpected answer from {url}: {what:?}")]
    Answer { url: String, what: Oddity },
    #[error("load generator: {0}")]
    Load(#[from] crate::load::LoadError),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("cannot start Redis again at {url}: {reason}")]
    RedisRestart { url: String, reason: String },
    #[error("a task of the check failed: {0}")]
    Task(String),
    /// The writes of a read/write mix did not reach their share: the run did
    /// not measure what the target describes.
    #[error("writes were {measured:.4} of the requests, not {wanted:.4}")]
    WriteShare { wanted: f64, measured: f64 },
    /// The lab's TOML asks for something the check cannot do: for the pack's
    /// author, in English, like every message about the pack's files.
    #[error("the check is misconfigured: {0}")]
    Spec(String),
}

/// What an answer lacked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Oddity {
    /// A login answer without `access_token`.
    NoToken,
    /// A product without a numeric `price`.
    NoPrice,
    /// No numeric `X-Query-Count` header.
    NoQueryCount,
    /// A body that is not JSON, with the answer's status.
    NotJson(u16),
    /// An `EXPLAIN` without `Execution Time`.
    NoExecutionTime,
}

impl CheckError {
    /// The error in the learner's language: what failed, where, and the
    /// underlying detail (a library's own words, as it gave them).
    pub fn render(&self, text: &Text) -> String {
        match self {
            // The runner renders this one with the check's kind and subject
            // (`check::failed`); alone, neither is known.
            Self::Unavailable(surface) => super::unavailable(text, Subject::Target, "-", *surface),
            Self::Http { url, source } => {
                msg!(
                    text,
                    "check-error-http",
                    url = url,
                    error = source.to_string()
                )
            }
            Self::Status { url, status, body } => msg!(
                text,
                "check-error-status",
                url = url,
                status = *status,
                body = body
            ),
            Self::Answer { url, what } => match what {
                Oddity::NoToken => msg!(text, "check-error-no-token", url = url),
                Oddity::NoPrice => msg!(text, "check-error-no-price", url = url),
                Oddity::NoQueryCount => msg!(text, "check-error-no-query-count", url = url),
                Oddity::NotJson(status) => {
                    msg!(text, "check-error-not-json", url = url, status = *status)
                }
                Oddity::NoExecutionTime => msg!(text, "check-error-no-execution-time", url = url),
            },
            Self::Load(e) => msg!(text, "check-error-load", error = e.to_string()),
            Self::Database(e) => msg!(text, "check-error-database", error = e.to_string()),
            Self::RedisRestart { url, reason } => {
                msg!(text, "check-error-redis-restart", url = url, error = reason)
            }
            Self::Task(e) => msg!(text, "check-error-task", error = e),
            Self::WriteShare { wanted, measured } => msg!(
                text,
                "check-error-write-share",
                wanted = super::Unit::Percent.format(wanted * 100.0),
                measured = super::Unit::Percent.format(measured * 100.0)
            ),
            Self::Spec(e) => msg!(text, "check-error-spec", error = e),
        }
    }
}

/// Per request: a check's own time limit bounds the whole, this bounds one call.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

impl Context {
    /// A context with only the public API (what `--target URL` has).
    pub fn new(shop_url: impl Into<String>, text: impl Into<Text>) -> Self {
        let http = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .build()
            // Without TLS the builder has nothing that can fail; should it,
            // the default client still works, each check's limit bounding it.
            .unwrap_or_default();
        Self {
            shop_url: shop_url.into().trim_end_matches('/').to_string(),
            control: None,
            database_url: None,
            shop_pid: None,
            peers: Vec::new(),
            redis_server: None,
            traffic: None,
            log_file: None,
            baseline: None,
            text: text.into(),
            http,
            sessions: crate::load::Sessions::default(),
            visitors_apart: false,
            runs: Arc::default(),
        }
    }

    /// The random seed of the lab's next traffic run: the first run's is 0,
    /// each later one's 2³² further on (worker `k` of a run uses `seed + k`,
    /// so no two runs share a stream). Two checks driving the same traffic
    /// one after the other then ask for different ids, as two minutes of
    /// real traffic would, instead of replaying what the first one cached.
    pub(crate) fn next_seed(&self) -> u64 {
        self.runs.fetch_add(1, std::sync::atomic::Ordering::Relaxed) << 32
    }

    /// A client of its own: from a fresh loopback address when the shop is
    /// on loopback, so the shop sees a caller whose budget is untouched.
    pub(crate) fn fresh_client(&self) -> reqwest::Client {
        let mut builder = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .pool_max_idle_per_host(64);
        if on_loopback(&self.shop_url) {
            builder = builder.local_address(fresh_loopback());
        }
        builder.build().unwrap_or_else(|_| self.http.clone())
    }

    /// This context as another visitor: the same shop and lab, a client of
    /// its own ([`Context::fresh_client`]).
    pub(crate) fn as_new_visitor(&self) -> Self {
        Self {
            http: self.fresh_client(),
            ..self.clone()
        }
    }

    /// The learner's language.
    pub fn lang(&self) -> Lang {
        self.text.lang()
    }

    /// Whether this is perflab's own shop (the control API is there) or a target.
    pub fn subject(&self) -> Subject {
        match self.control {
            Some(_) => Subject::OwnShop,
            None => Subject::Target,
        }
    }

    /// `$mode` for the messages with an own-shop and a target wording.
    pub fn mode(&self) -> &'static str {
        self.subject().mode()
    }

    pub fn with_control(mut self, url: impl Into<String>, token: impl Into<String>) -> Self {
        let url = url.into().trim_end_matches('/').to_string();
        self.control = Some(Control {
            url,
            token: token.into(),
        });
        self
    }

    pub fn with_database(mut self, url: impl Into<String>) -> Self {
        self.database_url = Some(url.into());
        self
    }

    pub fn with_pid(mut self, pid: u32) -> Self {
        self.shop_pid = Some(pid);
        self
    }

    /// Adds another instance of the same shop (same database and Redis).
    pub fn with_peer(mut self, url: impl Into<String>) -> Self {
        self.peers
            .push(url.into().trim_end_matches('/').to_string());
        self
    }

    pub fn with_redis_server(mut self, server: RedisServer) -> Self {
        self.redis_server = Some(server);
        self
    }

    pub fn with_log_file(mut self, path: impl Into<std::path::PathBuf>) -> Self {
        self.log_file = Some(path.into());
        self
    }

    pub fn with_baseline(mut self, baseline: BTreeMap<String, f64>) -> Self {
        self.baseline = Some(baseline);
        self
    }

    pub fn with_traffic(mut self, traffic: TrafficSpec) -> Self {
        self.traffic = Some(traffic);
        self
    }

    /// The check's own traffic, else the lab's.
    pub fn traffic<'a>(
        &'a self,
        own: Option<&'a TrafficSpec>,
    ) -> Result<&'a TrafficSpec, CheckError> {
        own.or(self.traffic.as_ref()).ok_or_else(|| {
            CheckError::Spec(
                "no traffic: give the check `traffic = { … }` or the lab a [traffic] table".into(),
            )
        })
    }

    pub fn control(&self) -> Result<&Control, CheckError> {
        self.control
            .as_ref()
            .ok_or(CheckError::Unavailable(Surface::Control))
    }

    pub fn database_url(&self) -> Result<&str, CheckError> {
        self.database_url
            .as_deref()
            .ok_or(CheckError::Unavailable(Surface::Database))
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.shop_url)
    }

    /// Sends `request`, mapping transport errors to [`CheckError::Http`].
    pub async fn send(
        &self,
        request: reqwest::RequestBuilder,
        url: &str,
    ) -> Result<reqwest::Response, CheckError> {
        request.send().await.map_err(|source| CheckError::Http {
            url: url.to_string(),
            source,
        })
    }

    /// GET on the control API, as JSON.
    pub async fn control_json(&self, path: &str) -> Result<serde_json::Value, CheckError> {
        let control = self.control()?;
        let url = format!("{}{path}", control.url);
        let request = self.http.get(&url).bearer_auth(&control.token);
        json(self.send(request, &url).await?, &url).await
    }

    /// POST with no body on the control API, as JSON.
    pub async fn control_post(&self, path: &str) -> Result<serde_json::Value, CheckError> {
        let control = self.control()?;
        let url = format!("{}{path}", control.url);
        let request = self.http.post(&url).bearer_auth(&control.token);
        json(self.send(request, &url).await?, &url).await
    }

    /// Sets a product's price as the admin (`token`) through `PUT /products/{id}`.
    pub async fn set_price(
        &self,
        token: &str,
        product: i64,
        price: rust_decimal::Decimal,
    ) -> Result<(), CheckError> {
        let url = self.url(&format!("/products/{product}"));
        let body = serde_json::json!({ "price": price });
        let request = self.http.put(&url).bearer_auth(token).json(&body);
        json(self.send(request, &url).await?, &url).await.map(drop)
    }

    /// Logs fixture user `user` in (1 is the admin) and returns the bearer token.
    pub async fn login(&self, user: i64) -> Result<String, CheckError> {
        let (email, password) = crate::fixtures::users::credentials(user);
        let url = self.url("/auth/login");
        let body = serde_json::json!({ "email": email, "password": password });
        let answer = json(
            self.send(self.http.post(&url).json(&body), &url).await?,
            &url,
        )
        .await?;
        answer["access_token"]
            .as_str()
            .map(str::to_string)
            .ok_or(CheckError::Answer {
                url,
                what: Oddity::NoToken,
            })
    }
}

/// The body as JSON after a 2xx, else [`CheckError::Status`].
pub async fn json(response: reqwest::Response, url: &str) -> Result<serde_json::Value, CheckError> {
    let status = response.status();
    if !status.is_success() {
        let body = response.text().await.unwrap_or_default();
        return Err(CheckError::Status {
            url: url.to_string(),
            status: status.as_u16(),
            body: body.chars().take(200).collect(),
        });
    }
    response.json().await.map_err(|source| CheckError::Http {
        url: url.to_string(),
        source,
    })
}

fn on_loopback(url: &str) -> bool {
    url::Url::parse(url)
        .ok()
        .and_then(|url| url.host_str().map(str::to_string))
        .and_then(|host| host.parse::<std::net::IpAddr>().ok())
        .is_some_and(|ip| ip == std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST))
}

/// 127.x.y.z other than 127.0.0.1: a client address no earlier run used
/// (16 million to draw from).
fn fresh_loopback() -> std::net::IpAddr {
    let [x, y, z]: [u8; 3] = rand::random();
    std::net::IpAddr::V4(std::net::Ipv4Addr::new(127, x.max(1), y, z.clamp(1, 254)))
}
