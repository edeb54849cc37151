//! `request_log`: sends the requests that carry secrets — a login with its
//! password, a token in `Authorization`, a failed login, a cookie — then
//! reads what the shop wrote to its request log since (lab 3.6): every new
//! line must parse as JSON, every response's `X-Request-Id` must be the
//! `request_id` of a line, and no secret may appear anywhere in the new
//! text. Reads the log file, so it applies to perflab's own shop only.
//!
//! The secrets are named in the message by kind ("the token"), never
//! printed: the check's own output must not leak them either.

use std::path::Path;
use std::time::Duration;

use serde::Deserialize;
use tokio::time::Instant;

use super::verdict::next_step;
use super::{CheckError, Context, Kind, Outcome, Surface, Unit};
use crate::msg;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestLogSpec {
    pub id: Option<String>,
    #[serde(default, with = "humantime_serde")]
    pub timeout: Option<Duration>,
    /// Why it must pass in the lab's starting state too (see `labs validate`).
    pub guard: Option<String>,
    /// The fixture user who logs in (its password is one of the secrets).
    #[serde(default = "default_user")]
    pub user: i64,
}

fn default_user() -> i64 {
    7
}

/// How long the shop's log writer may take to put the lines on disk.
const FLUSH_WAIT: Duration = Duration::from_secs(5);

/// The bytes of `path` from `offset` on (all of it when the file was
/// rotated and is now shorter).
fn read_from(path: &Path, offset: u64) -> String {
    let bytes = std::fs::read(path).unwrap_or_default();
    let start = if (bytes.len() as u64) < offset {
        0
    } else {
        offset as usize
    };
    String::from_utf8_lossy(&bytes[start..]).into_owned()
}

fn random_hex() -> String {
    let bytes: [u8; 12] = rand::random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl RequestLogSpec {
    /// Sends the requests; returns the secrets by kind and each response's
    /// request id (`None` when it had none).
    async fn send(
        &self,
        ctx: &Context,
    ) -> Result<(Vec<(&'static str, String)>, Vec<Option<String>>), CheckError> {
        let (email, password) = crate::fixtures::users::credentials(self.user);
        let wrong = format!("wrong-{}", random_hex());
        let cookie = random_hex();
        let login = ctx.url("/auth/login");
        let mut ids = Vec::new();
        let id_of = |response: &reqwest::Response| {
            response
                .headers()
                .get("x-request-id")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };

        let body = serde_json::json!({ "email": email, "password": password });
        let response = ctx.send(ctx.http.post(&login).json(&body), &login).await?;
        ids.push(id_of(&response));
        let answer = super::context::json(response, &login).await?;
        let token = answer["access_token"]
            .as_str()
            .unwrap_or_default()
            .to_string();

        let me = ctx.url("/users/me");
        let response = ctx.send(ctx.http.get(&me).bearer_auth(&token), &me).await?;
        ids.push(id_of(&response));

        let body = serde_json::json!({ "email": email, "password": wrong });
        let response = ctx.send(ctx.http.post(&login).json(&body), &login).await?;
        ids.push(id_of(&response));

        let product = ctx.url("/products/1");
        let request = ctx
            .http
            .get(&product)
            .header("cookie", format!("session={cookie}"));
        let response = ctx.send(request, &product).await?;
        ids.push(id_of(&response));

        let mut secrets = vec![
            ("password", password.to_string()),
            ("wrong-password", wrong),
            ("cookie", cookie),
        ];
        if !token.is_empty() {
            // The signature alone identifies the token as well as all of it.
            if let Some(signature) = token.rsplit('.').next() {
                secrets.push(("token", signature.to_string()));
            }
            secrets.push(("token", token));
        }
        Ok((secrets, ids))
    }
}

impl Kind for RequestLogSpec {
    const NAME: &'static str = "request_log";

    fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    fn guard(&self) -> Option<&str> {
        self.guard.as_deref()
    }

    fn target(&self, ctx: &Context) -> String {
        msg!(ctx.text, "check-log-target")
    }

    fn limit(&self, _: &Context) -> Duration {
        self.timeout.unwrap_or(Duration::from_secs(30))
    }

    async fn measure(&self, ctx: &Context) -> Result<Outcome, CheckError> {
        let path = ctx
            .log_file
            .clone()
            .ok_or(CheckError::Unavailable(Surface::LogFile))?;
        let offset = std::fs::metadata(&path).map_or(0, |m| m.len());
        let (secrets, ids) = self.send(ctx).await?;
        let requests = ids.len();

        // The writer is off the request path: wait for the lines (or give
        // up and judge what is there). Wait for the answers' own ids, not
        // for as many lines: lines of requests sent before this check (the
        // lab's traffic, a burst) may still be flushing and would be counted
        // in their place.
        let deadline = Instant::now() + FLUSH_WAIT;
        let awaited: Vec<&str> = ids.iter().flatten().map(String::as_str).collect();
        let all_logged = |written: &str| {
            written.lines().count() >= requests
                && awaited
                    .iter()
                    .all(|id| written.contains(&format!("\"{id}\"")))
        };
        let mut written = read_from(&path, offset);
        while !all_logged(&written) && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(100)).await;
            written = read_from(&path, offset);
        }
        let lines: Vec<&str> = written.lines().filter(|l| !l.trim().is_empty()).collect();
        let parsed: Vec<serde_json::Value> = lines
            .iter()
            .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
            .filter(serde_json::Value::is_object)
            .collect();
        let not_json = lines.len() - parsed.len();
        let logged_ids: Vec<&str> = parsed
            .iter()
            .filter_map(|line| line["request_id"].as_str())
            .collect();
        let no_id = ids.iter().filter(|id| id.is_none()).count();
        let unlogged = ids
            .iter()
            .flatten()
            .filter(|id| !logged_ids.contains(&id.as_str()))
            .count();
        let mut leaked: Vec<&str> = secrets
            .iter()
            .filter(|(_, secret)| written.contains(secret.as_str()))
            .map(|(kind, _)| *kind)
            .collect();
        leaked.dedup();

        let text = &ctx.text;
        let mut parts = vec![msg!(
            text,
            "check-log-head",
            requests = requests,
            lines = lines.len(),
            json = parsed.len()
        )];
        if lines.is_empty() {
            parts.push(msg!(text, "check-log-empty"));
        }
        if not_json > 0 {
            parts.push(msg!(text, "check-log-not-json", count = not_json));
        }
        if no_id > 0 {
            parts.push(msg!(text, "check-log-no-request-id", count = no_id));
        }
        if unlogged > 0 {
            parts.push(msg!(text, "check-log-unlogged", count = unlogged));
        }
        for kind in &leaked {
            parts.push(msg!(text, "check-log-leaked", secret = *kind));
        }
        let problems = not_json + no_id + unlogged + leaked.len() + usize::from(lines.is_empty());
        let ok = problems == 0;
        parts.push(next_step(text, ok, || {
            msg!(text, "check-log-hint", mode = ctx.mode())
        }));
        Ok(Outcome::measured(
            ok,
            problems as f64,
            Unit::Count,
            parts.join(" "),
        ))
    }
}
