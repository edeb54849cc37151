//! The traffic a check drives through the load generator: one path or a small
//! weighted mix, `{id}` drawn Zipf-skewed over a range, closed loop (`users`)
//! or open loop (`rate`). Shared by the kinds that measure under load.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;
use tokio_util::sync::CancellationToken;

use super::{CheckError, Context};
use crate::load::{self, Endpoint, LoadConfig, LoadRun, Mix, Model, Param, Snapshot};

/// One weighted path of a mix.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MixEntry {
    pub path: String,
    #[serde(default = "one")]
    pub weight: u32,
}

fn one() -> u32 {
    1
}

/// What to send, how hard and for how long.
#[derive(Debug, Clone)]
pub struct Traffic<'a> {
    pub path: Option<&'a str>,
    pub mix: &'a [MixEntry],
    /// `{id}`'s range, inclusive.
    pub ids: [u64; 2],
    pub zipf: f64,
    pub users: Option<usize>,
    pub rate: Option<f64>,
    pub duration: Duration,
    /// Log each virtual user in as a fixture user.
    pub login: bool,
}

impl Traffic<'_> {
    /// The paths, for messages: "GET /a, GET /b".
    pub fn describe(&self) -> String {
        let paths: Vec<&str> = match self.path {
            Some(path) => vec![path],
            None => self.mix.iter().map(|m| m.path.as_str()).collect(),
        };
        paths
            .iter()
            .map(|p| format!("GET {p}"))
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn mix(&self) -> Result<Mix, CheckError> {
        let endpoints: Vec<Endpoint> = match self.path {
            Some(path) => vec![Endpoint::get(path)],
            None => self
                .mix
                .iter()
                .map(|m| Endpoint::get(&m.path).weight(m.weight))
                .collect(),
        };
        if endpoints.is_empty() {
            return Err(CheckError::Spec("give a `path` or a `mix`".into()));
        }
        let mut params = BTreeMap::new();
        if endpoints.iter().any(|e| e.path.contains("{id}")) {
            let [lo, hi] = self.ids;
            params.insert("id".to_string(), Param::zipf(lo, hi, self.zipf)?);
        }
        Ok(Mix::new(endpoints, params)?)
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
        let mut config = LoadConfig::new(&ctx.shop_url, self.mix()?, self.model(), self.duration);
        config.timeout = Duration::from_secs(5);
        if self.login {
            config.login = Some(load::Login::default());
        }
        Ok(load::start(config, cancel).await?)
    }

    /// Drives the traffic to its end and returns the final snapshot.
    pub async fn drive(&self, ctx: &Context) -> Result<Snapshot, CheckError> {
        // Dropped with the check (time limit): the run stops with it.
        let cancel = CancellationToken::new();
        let _stop = cancel.clone().drop_guard();
        Ok(self.start(ctx, cancel).await?.finish().await?)
    }
}
