//! `headers`: requests a path a few times in a row and requires headers on
//! every answer, optionally with expected values per request (`HIT|MISS`
//! alternatives), e.g. `X-Cache` MISS then HIT. Uses only the public API.
//! A judgement, not a number: the result has no measured value; the count
//! of problems is in the details.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;

use super::{CheckError, Context, Kind, Outcome};
use crate::msg;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HeadersSpec {
    pub id: Option<String>,
    #[serde(default, with = "humantime_serde")]
    pub timeout: Option<Duration>,
    /// Why it must pass in the lab's starting state too (see `labs validate`).
    pub guard: Option<String>,
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

    fn guard(&self) -> Option<&str> {
        self.guard.as_deref()
    }

    fn target(&self, ctx: &Context) -> String {
        let mut parts = Vec::new();
        if !self.require.is_empty() {
            let headers = self.require.join(", ");
            parts.push(msg!(
                ctx.text,
                "check-headers-target-require",
                headers = headers
            ));
        }
        for (k, expect) in self.expect.iter().enumerate() {
            for (name, wanted) in expect {
                parts.push(msg!(
                    ctx.text,
                    "check-headers-target-expect",
                    request = k + 1,
                    header = name,
                    wanted = wanted
                ));
            }
        }
        parts.join("; ")
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
        let message = message(ctx, &self.path, &self.target(ctx), problems.first());
        Ok(Outcome::judgement(problems.is_empty(), message)
            .with_details([("problems", problems.len() as f64)]))
    }
}

fn message(ctx: &Context, path: &str, target: &str, problem: Option<&Problem>) -> String {
    let text = &ctx.text;
    let Some(p) = problem else {
        let head = msg!(text, "check-headers-ok", path = path, target = target);
        return format!("{head} {}", msg!(text, "check-target-met"));
    };
    let wanted = p.wanted.as_deref().unwrap_or("*");
    let head = match &p.seen {
        None => msg!(
            text,
            "check-headers-missing",
            request = p.request,
            path = path,
            header = &p.header,
            target = target
        ),
        Some(seen) => msg!(
            text,
            "check-headers-wrong",
            request = p.request,
            path = path,
            header = &p.header,
            seen = seen,
            wanted = wanted,
            target = target
        ),
    };
    format!(
        "{head} {}",
        msg!(text, "check-headers-hint", mode = ctx.mode())
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::Lang;

    #[test]
    fn targets_and_messages_speak_the_learners_language() {
        let spec: HeadersSpec = toml::from_str(
            "path = \"/products/42\"\nrequire = [\"x-cache\"]\n\
             expect = [{ \"x-cache\" = \"MISS|HIT\" }, { \"x-cache\" = \"HIT\" }]",
        )
        .unwrap();
        let es = Context::new("http://x", Lang::Es);
        assert_eq!(
            spec.target(&es),
            "lleva x-cache; petición 1: x-cache MISS|HIT; petición 2: x-cache HIT"
        );
        let problem = Problem {
            request: 2,
            header: "x-cache".into(),
            seen: Some("MISS".into()),
            wanted: Some("HIT".into()),
        };
        let target = Context::new("http://x", Lang::En);
        let said = message(&target, "/products/42", "t", Some(&problem));
        assert!(
            said.contains("On request 2 to GET /products/42, x-cache was \"MISS\""),
            "{said}"
        );
        assert!(!said.contains("cache.endpoints"), "{said}");
        let shop = target.with_control("http://c", "t");
        let said = message(&shop, "/products/42", "t", Some(&problem));
        assert!(said.contains("cache.endpoints"), "{said}");
    }
}
