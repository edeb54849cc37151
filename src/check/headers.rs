//! `headers`: requests a path a few times in a row and requires headers on
//! every answer, optionally with expected values per request (`HIT|MISS`
//! alternatives), e.g. `X-Cache` MISS then HIT. Uses only the public API.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;

use super::{CheckError, Context, Kind, Lang, Outcome};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HeadersSpec {
    pub id: Option<String>,
    #[serde(default, with = "humantime_serde")]
    pub timeout: Option<Duration>,
    pub path: String,
    /// Headers every answer must carry.
    #[serde(default)]
    pub require: Vec<String>,
    /// Per request, in order: header → accepted values separated by `|`.
    #[serde(default)]
    pub expect: Vec<BTreeMap<String, String>>,
    /// Requests to send (at least one per `expect` entry).
    pub requests: Option<usize>,
}

/// The first thing wrong, for the message.
#[derive(Debug, PartialEq)]
struct Problem {
    request: usize,
    header: String,
    /// What was there, if anything.
    seen: Option<String>,
    wanted: Option<String>,
}

impl HeadersSpec {
    fn requests(&self) -> usize {
        self.requests.unwrap_or(1).max(self.expect.len()).max(1)
    }

    /// Every problem of answer `k` (from 0).
    fn problems(&self, k: usize, headers: &reqwest::header::HeaderMap) -> Vec<Problem> {
        let seen = |name: &str| {
            headers
                .get(name)
                .map(|v| v.to_str().unwrap_or("?").to_string())
        };
        let mut problems: Vec<Problem> = self
            .require
            .iter()
            .filter(|name| headers.get(name.as_str()).is_none())
            .map(|name| Problem {
                request: k + 1,
                header: name.clone(),
                seen: None,
                wanted: None,
            })
            .collect();
        for (name, wanted) in self.expect.get(k).into_iter().flatten() {
            let value = seen(name);
            let ok = value
                .as_deref()
                .is_some_and(|v| wanted.split('|').any(|w| w.trim().eq_ignore_ascii_case(v)));
            if !ok {
                problems.push(Problem {
                    request: k + 1,
                    header: name.clone(),
                    seen: value,
                    wanted: Some(wanted.clone()),
                });
            }
        }
        problems
    }
}

impl Kind for HeadersSpec {
    const NAME: &'static str = "headers";

    fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    fn target(&self, _: &Context) -> String {
        let mut parts: Vec<String> = self.require.clone();
        for (k, expect) in self.expect.iter().enumerate() {
            for (name, wanted) in expect {
                parts.push(format!("#{}: {name}: {wanted}", k + 1));
            }
        }
        parts.join(", ")
    }

    fn limit(&self, _: &Context) -> Duration {
        self.timeout.unwrap_or(Duration::from_secs(15))
    }

    async fn measure(&self, ctx: &Context) -> Result<Outcome, CheckError> {
        let url = ctx.url(&self.path);
        let mut problems = Vec::new();
        for k in 0..self.requests() {
            let response = ctx.send(ctx.http.get(&url), &url).await?;
            problems.extend(self.problems(k, response.headers()));
        }
        let message = message(ctx.lang(), &self.path, &self.target(ctx), problems.first());
        Ok(Outcome::judged(
            problems.is_empty(),
            Some(problems.len() as f64),
            message,
        ))
    }
}

fn message(lang: Lang, path: &str, target: &str, problem: Option<&Problem>) -> String {
    let Some(p) = problem else {
        return lang.pick(
            format!("GET {path} lleva las cabeceras esperadas ({target})."),
            format!("GET {path} carries the expected headers ({target})."),
        );
    };
    let seen = p.seen.as_deref().unwrap_or("-");
    let wanted = p.wanted.as_deref().unwrap_or("*");
    lang.pick(
        format!("En la petición {} a GET {path}, {} fue «{seen}» (se esperaba {wanted}; objetivo {target}). ¿Está la ruta en cache.endpoints y la caché encendida?", p.request, p.header),
        format!("On request {} to GET {path}, {} was \"{seen}\" (expected {wanted}; target {target}). Is the route in cache.endpoints and the cache on?", p.request, p.header),
    )
}
