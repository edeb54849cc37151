//! The traffic a check drives through the load generator: one path or a small
//! weighted mix, `{id}` drawn Zipf-skewed over a range and `{category}`
//! uniformly, closed loop (`users`) or open loop (`rate`).
//!
//! The traffic goes to every instance the context knows (the shop and its
//! peers), connections dealt over them in turn.
//!
//! A lab names its traffic profile once (`[traffic]` in `lab.toml`); the
//! runner puts it in the [`Context`] and every check that measures under load
//! uses it unless the check gives its own `traffic = { … }`.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use super::{CheckError, Context};
use crate::load::{self, Endpoint, LoadConfig, LoadRun, Mix, Model, Param, Snapshot};

/// One weighted path of a mix.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MixEntry {
    pub path: String,
    #[serde(default = "one")]
    pub weight: u32,
    /// `GET` unless given (`POST /auth/login`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// A JSON body, sent with `Content-Type: application/json`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
}

impl MixEntry {
    fn endpoint(&self) -> Result<Endpoint, CheckError> {
        let method = match &self.method {
            None => hyper::Method::GET,
            Some(name) => hyper::Method::from_bytes(name.to_ascii_uppercase().as_bytes())
                .map_err(|_| CheckError::Spec(format!("{name:?} is no HTTP method")))?,
        };
        let endpoint = match &self.body {
            Some(body) => Endpoint::json(method, &self.path, body.clone()),
            None => Endpoint {
                method,
                ..Endpoint::get(&self.path)
            },
        };
        Ok(endpoint.weight(self.weight))
    }

    /// `GET /path`, as messages name it.
    fn describe(&self) -> String {
        let method = self.method.as_deref().unwrap_or("GET").to_ascii_uppercase();
        format!("{method} {}", self.path)
    }
}

fn one() -> u32 {
    1
}

/// What to send, how hard and for how long.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrafficSpec {
    /// One path (`/products/{id}`); or give `mix`.
    pub path: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mix: Vec<MixEntry>,
    /// `{id}`'s range, inclusive.
    #[serde(default = "default_ids")]
    pub ids: [u64; 2],
    /// The Zipf exponent of `{id}` (1.0: the top 1 % of ids get about half the requests).
    #[serde(default = "default_zipf")]
    pub zipf: f64,
    /// `{category}`'s range, inclusive, drawn uniformly.
    #[serde(default = "default_categories")]
    pub categories: [u64; 2],
    /// Closed loop: this many virtual users, each sending as fast as answered.
    pub users: Option<usize>,
    /// Open loop: this many requests per second, whatever the answers.
    pub rate: Option<f64>,
    #[serde(with = "humantime_serde", default = "default_duration")]
    pub duration: Duration,
    /// Log each virtual user in as a fixture user and send its token.
    #[serde(default)]
    pub login: bool,
    /// Each virtual user connects from its own loopback address (see
    /// `LoadConfig::per_user_address`): the rate-limiting labs.
    #[serde(default)]
    pub per_user_address: bool,
    /// Headers sent with every request, e.g. `["Accept-Encoding: gzip"]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub headers: Vec<String>,
}

fn default_ids() -> [u64; 2] {
    [1, 1000]
}
fn default_zipf() -> f64 {
    1.0
}
fn default_categories() -> [u64; 2] {
    [1, 20]
}
fn default_duration() -> Duration {
    Duration::from_secs(5)
}

impl TrafficSpec {
    /// One path with every other field at its default.
    pub fn path(path: impl Into<String>) -> Self {
        Self {
            path: Some(path.into()),
            mix: Vec::new(),
            ids: default_ids(),
            zipf: default_zipf(),
            categories: default_categories(),
            users: None,
            rate: None,
            duration: default_duration(),
            login: false,
            per_user_address: false,
            headers: Vec::new(),
        }
    }

    /// The requests in the mix's order, as messages name them (`GET /a`).
    pub fn requests(&self) -> Vec<String> {
        match &self.path {
            Some(path) => vec![format!("GET {path}")],
            None => self.mix.iter().map(MixEntry::describe).collect(),
        }
    }

    /// The requests, for messages: "GET /a, POST /b".
    pub fn describe(&self) -> String {
        self.requests().join(", ")
    }

    pub(super) fn mix(&self) -> Result<Mix, CheckError> {
        let endpoints: Vec<Endpoint> = match &self.path {
            Some(path) => vec![Endpoint::get(path)],
            None => self
                .mix
                .iter()
                .map(MixEntry::endpoint)
                .collect::<Result<_, _>>()?,
        };
        if endpoints.is_empty() {
            return Err(CheckError::Spec(
                "the traffic needs a `path` or a `mix`".into(),
            ));
        }
        let uses = |name: &str| endpoints.iter().any(|e| e.path.contains(name));
        let mut params = BTreeMap::new();
        if uses("{id}") {
            let [lo, hi] = self.ids;
            params.insert("id".to_string(), Param::zipf(lo, hi, self.zipf)?);
        }
        if uses("{category}") {
            let [lo, hi] = self.categories;
            params.insert("category".to_string(), Param::Uniform { lo, hi });
        }
        let headers = self
            .headers
            .iter()
            .map(|header| crate::load::parse_header(header))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Mix::new(endpoints, params)?.with_headers(headers))
    }

    fn model(&self) -> Model {
        match (self.rate, self.users) {
            (Some(rate), users) => Model::Open {
                rate,
                connections: users.unwrap_or(16),
            },
            (None, users) => Model::Closed {
                users: users.unwrap_or(8),
            },
        }
    }

    /// Starts the traffic; `cancel` stops it early.
    pub async fn start(
        &self,
        ctx: &Context,
        cancel: CancellationToken,
    ) -> Result<LoadRun, CheckError> {
        Ok(load::start(self.config(ctx)?, cancel).await?)
    }

    /// The load generator's configuration for this traffic against the shop
    /// and its peers: a lab that stages several instances loads them all,
    /// its connections dealt over them in turn, as a load balancer would.
    pub(super) fn config(&self, ctx: &Context) -> Result<LoadConfig, CheckError> {
        let mut config = LoadConfig::new(&ctx.shop_url, self.mix()?, self.model(), self.duration);
        config.peers = ctx.peers.clone();
        config.timeout = Duration::from_secs(5);
        if self.login {
            config.login = Some(load::Login {
                sessions: ctx.sessions.clone(),
                ..load::Login::default()
            });
        }
        config.per_user_address = self.per_user_address;
        config.seed = ctx.next_seed();
        Ok(config)
    }

    /// Drives the traffic to its end and returns the final snapshot. Each
    /// run of a lab draws its own ids ([`Context::next_seed`]): a check after
    /// another, or a measured run after its warm-up, must not replay the ids
    /// the run before it just cached, which would pass for cache hits no
    /// real traffic gets.
    pub async fn drive(&self, ctx: &Context) -> Result<Snapshot, CheckError> {
        // Dropped with the check (time limit): the run stops with it.
        let cancel = CancellationToken::new();
        let _stop = cancel.clone().drop_guard();
        let config = self.config(ctx)?;
        Ok(load::start(config, cancel).await?.finish().await?)
    }
}

/// The time limit of a check driving `own` traffic or the lab's: the run
/// itself, plus logins, connection set-up and the last answers.
pub(crate) fn limit(own: Option<&TrafficSpec>, ctx: &Context) -> Duration {
    let run = own
        .or(ctx.traffic.as_ref())
        .map_or(Duration::ZERO, |t| t.duration);
    run + Duration::from_secs(20)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_profile_reads_from_toml_with_defaults() {
        let t: TrafficSpec = toml::from_str("path = \"/products/{id}\"\nusers = 8").unwrap();
        assert_eq!(t.ids, [1, 1000]);
        assert_eq!(t.duration, Duration::from_secs(5));
        assert!(t.mix().is_ok());
        let bad = toml::from_str::<TrafficSpec>("path = \"/x\"\nuser = 8");
        assert!(bad.is_err(), "unknown fields are refused");
    }

    #[test]
    fn a_mix_entry_may_post_a_json_body() {
        let t: TrafficSpec = toml::from_str(
            "mix = [{ path = \"/products/{id}\", weight = 9 }, \
             { path = \"/auth/login\", method = \"post\", body = '{\"email\": \"a\"}' }]",
        )
        .unwrap();
        let mix = t.mix().unwrap();
        let methods: Vec<_> = mix.endpoints().map(|e| e.method.clone()).collect();
        assert_eq!(methods, [hyper::Method::GET, hyper::Method::POST]);
        assert!(mix.endpoints().nth(1).unwrap().body.is_some());
        assert_eq!(t.describe(), "GET /products/{id}, POST /auth/login");
        let bad: TrafficSpec =
            toml::from_str("mix = [{ path = \"/x\", method = \"G E T\" }]").unwrap();
        assert!(bad.mix().is_err());
    }

    #[test]
    fn a_category_placeholder_is_filled() {
        let t = TrafficSpec::path("/products?category={category}&sort=price");
        assert!(t.mix().is_ok());
    }
}
