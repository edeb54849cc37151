//! `health`: GETs the shop's health endpoint and compares fields named by
//! dotted paths (`cache.backend`, `database.status`) with the values a lab
//! expects — lab 1.2's "the shop reports cache backend redis, connected".
//! Uses only the public API, so it measures any API with such an endpoint
//! (the contract's `GET /health`). A judgement, not a number: the result has
//! no measured value; the answer's status and the fields that matched are in
//! the details.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;

use super::context::Oddity;
use super::verdict::next_step;
use super::{CheckError, Context, Kind, Outcome};
use crate::msg;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HealthSpec {
    pub id: Option<String>,
    #[serde(default, with = "humantime_serde")]
    pub timeout: Option<Duration>,
    /// Why it must pass in the lab's starting state too (see `labs validate`).
    pub guard: Option<String>,
    #[serde(default = "default_path")]
    pub path: String,
    /// Dotted path → expected value, all of which must match. A string
    /// compares as is; a number or a bool by its JSON text (`3`, `true`), so
    /// `"x" = 3` and `"x" = "3"` mean the same.
    pub expect: BTreeMap<String, Value>,
}

fn default_path() -> String {
    "/health".into()
}

/// A field that did not have the expected value.
#[derive(Debug, PartialEq)]
struct Mismatch {
    path: String,
    /// What the answer held there, as JSON text; `None` when nothing.
    seen: Option<String>,
    wanted: String,
}

/// A JSON value as the text it is compared by.
fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The value at a dotted path (`cache.backend`; array elements by index, `items.0.id`).
fn lookup<'a>(body: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.')
        .try_fold(body, |value, segment| match value {
            Value::Object(map) => map.get(segment),
            Value::Array(items) => items.get(segment.parse::<usize>().ok()?),
            _ => None,
        })
}

impl HealthSpec {
    fn mismatches(&self, body: &Value) -> Vec<Mismatch> {
        self.expect
            .iter()
            .filter_map(|(path, wanted)| {
                let wanted = text(wanted);
                let seen = lookup(body, path).map(text);
                (seen.as_deref() != Some(wanted.as_str())).then(|| Mismatch {
                    path: path.clone(),
                    seen,
                    wanted,
                })
            })
            .collect()
    }
}

impl Kind for HealthSpec {
    const NAME: &'static str = "health";

    fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    fn guard(&self) -> Option<&str> {
        self.guard.as_deref()
    }

    fn target(&self, _: &Context) -> String {
        // Field = value: the API's own words, the same in every language.
        self.expect
            .iter()
            .map(|(path, wanted)| format!("{path}: {}", text(wanted)))
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn limit(&self, _: &Context) -> Duration {
        self.timeout.unwrap_or(Duration::from_secs(15))
    }

    async fn measure(&self, ctx: &Context) -> Result<Outcome, CheckError> {
        if self.expect.is_empty() {
            return Err(CheckError::Spec(
                "a health check needs at least one field in `expect`".into(),
            ));
        }
        let url = ctx.url(&self.path);
        // A 503 (database down) still describes the shop: read its body too.
        let response = ctx.send(ctx.http.get(&url), &url).await?;
        let status = response.status().as_u16();
        let body: Value = response.json().await.map_err(|_| CheckError::Answer {
            url: url.clone(),
            what: Oddity::NotJson(status),
        })?;
        let mismatches = self.mismatches(&body);
        let matched = self.expect.len() - mismatches.len();
        let message = message(ctx, (&self.path, status), &self.target(ctx), &mismatches);
        // The contract's status: 5xx means the API says it cannot serve,
        // whatever the fields say.
        let ok = mismatches.is_empty() && status < 500;
        Ok(Outcome::judgement(ok, message).with_details([
            ("status", f64::from(status)),
            ("matched", matched as f64),
            ("fields", self.expect.len() as f64),
        ]))
    }
}

fn message(
    ctx: &Context,
    (path, status): (&str, u16),
    target: &str,
    mismatches: &[Mismatch],
) -> String {
    let text = &ctx.text;
    if status >= 500 {
        return msg!(
            text,
            "check-health-unavailable",
            path = path,
            status = status,
            target = target,
            mode = ctx.mode()
        );
    }
    if mismatches.is_empty() {
        let head = msg!(
            text,
            "check-health-ok",
            path = path,
            status = status,
            target = target
        );
        return format!("{head} {}", next_step(text, true, String::new));
    }
    let list: Vec<String> = mismatches
        .iter()
        .map(|m| match &m.seen {
            Some(seen) => msg!(
                text,
                "check-health-mismatch",
                field = &m.path,
                seen = seen,
                wanted = &m.wanted
            ),
            None => msg!(
                text,
                "check-health-missing",
                field = &m.path,
                wanted = &m.wanted
            ),
        })
        .collect();
    let head = msg!(
        text,
        "check-health-head",
        path = path,
        status = status,
        target = target,
        list = list.join("; ")
    );
    let about_cache = mismatches.iter().any(|m| m.path.starts_with("cache."));
    let next = match about_cache {
        true => msg!(text, "check-health-hint-cache", mode = ctx.mode()),
        false => msg!(text, "check-health-hint", mode = ctx.mode()),
    };
    format!("{head} {next}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::Lang;

    fn spec(toml: &str) -> HealthSpec {
        toml::from_str(toml).expect("a valid spec")
    }

    #[test]
    fn dotted_paths_reach_nested_fields_and_array_elements() {
        let body = serde_json::json!({
            "cache": { "backend": "redis", "status": "up" },
            "database": { "latency_ms": 1.5, "ok": true },
            "items": [{ "id": 7 }],
        });
        assert_eq!(lookup(&body, "cache.backend"), Some(&Value::from("redis")));
        assert_eq!(lookup(&body, "items.0.id"), Some(&Value::from(7)));
        assert_eq!(lookup(&body, "cache.fallback"), None);
        assert_eq!(lookup(&body, "cache.backend.deeper"), None);
        assert_eq!(text(&body["database"]["ok"]), "true");
        assert_eq!(text(&body["database"]["latency_ms"]), "1.5");
    }

    #[test]
    fn every_mismatch_is_listed_with_what_was_seen() {
        let s = spec(
            "expect = { \"cache.backend\" = \"redis\", \"cache.status\" = \"up\", \"database.status\" = \"up\", \"n\" = 3 }",
        );
        let body = serde_json::json!({
            "cache": { "backend": "memory", "status": "up" },
            "database": { "status": "up" },
            "n": 3,
        });
        let found = s.mismatches(&body);
        assert_eq!(
            found,
            [Mismatch {
                path: "cache.backend".into(),
                seen: Some("memory".into()),
                wanted: "redis".into(),
            }]
        );
        let target = Context::new("http://x", Lang::En);
        let shop = target.clone().with_control("http://c", "t");
        let text = message(&shop, ("/health", 200), &s.target(&shop), &found);
        assert!(
            text.contains("cache.backend: \"memory\" (wanted \"redis\")"),
            "{text}"
        );
        assert!(
            text.contains("lab 1.2") && text.contains("shop.toml"),
            "{text}"
        );
        let text = message(&target, ("/health", 200), &s.target(&target), &found);
        assert!(!text.contains("shop.toml"), "{text}");
        let down = message(&target, ("/health", 503), "t", &[]);
        assert!(
            down.contains("503") && !down.contains("Target met"),
            "{down}"
        );
        let missing = s.mismatches(&serde_json::json!({ "status": "ok" }));
        assert_eq!(missing.len(), 4);
        assert!(missing.iter().all(|m| m.seen.is_none()));
    }
}
