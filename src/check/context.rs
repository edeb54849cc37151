//! What a check may reach: the shop's public URL, its control API (when the
//! runner started the shop), its database, its process, other instances of
//! it, a Redis server the check may stop, the lab's traffic profile and the
//! student's baseline, and the learner's language. A grader pointing
//! `--target URL` at a student's own API has only the first; kinds that need
//! more answer `NotApplicable` through [`CheckError::Unavailable`].

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use thiserror::Error;

use super::TrafficSpec;
pub use crate::messages::Lang;
use crate::messages::Text;

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
    /// What lab 1.1 measured (`p95_ms`, `rps`, …), for "× better than the baseline" targets.
    pub baseline: Option<BTreeMap<String, f64>>,
    /// The learner's language and the message catalogue.
    pub text: Text,
    /// The one HTTP client of the checks (keep-alive across requests).
    pub http: reqwest::Client,
}

/// A Redis server a check may stop and start (shared by the runner and the check).
pub type RedisServer = Arc<tokio::sync::Mutex<crate::services::redis::ScratchRedis>>;

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
}

/// Why a check could not measure.
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
    #[error("unexpected answer from {url}: {what}")]
    Unexpected { url: String, what: String },
    #[error("load generator: {0}")]
    Load(#[from] crate::load::LoadError),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("the check is misconfigured: {0}")]
    Spec(String),
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
            baseline: None,
            text: text.into(),
            http,
        }
    }

    /// The learner's language.
    pub fn lang(&self) -> Lang {
        self.text.lang()
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
            .ok_or_else(|| CheckError::Unexpected {
                url,
                what: "no access_token in the login answer".into(),
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
