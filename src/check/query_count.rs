//! `query_count`: requests a path (logged in as a fixture user when asked) and
//! requires the shop's `X-Query-Count` — the SQL statements the request took —
//! to be at most N: the N+1 lab's proof. Uses only the public API.

use std::time::Duration;

use serde::Deserialize;

use super::context::Oddity;
use super::verdict::next_step;
use super::{CheckError, Context, Kind, Outcome, Unit};
use crate::msg;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueryCountSpec {
    pub id: Option<String>,
    #[serde(default, with = "humantime_serde")]
    pub timeout: Option<Duration>,
    /// Why it must pass in the lab's starting state too (see `labs validate`).
    pub guard: Option<String>,
    pub path: String,
    /// Log in as fixture user n first (1 is the admin).
    pub user: Option<i64>,
    pub max: u32,
}

impl Kind for QueryCountSpec {
    const NAME: &'static str = "query_count";

    fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    fn guard(&self) -> Option<&str> {
        self.guard.as_deref()
    }

    fn target(&self, ctx: &Context) -> String {
        msg!(ctx.text, "check-query-count-target", max = self.max)
    }

    fn limit(&self, _: &Context) -> Duration {
        self.timeout.unwrap_or(Duration::from_secs(15))
    }

    async fn measure(&self, ctx: &Context) -> Result<Outcome, CheckError> {
        let url = ctx.url(&self.path);
        let mut request = ctx.http.get(&url);
        if let Some(user) = self.user {
            request = request.bearer_auth(ctx.login(user).await?);
        }
        let response = ctx.send(request, &url).await?;
        let status = response.status();
        if !status.is_success() {
            let body = response.text().await.unwrap_or_default();
            return Err(CheckError::Status {
                url,
                status: status.as_u16(),
                body: body.chars().take(200).collect(),
            });
        }
        let header = response.headers().get("x-query-count").cloned();
        // The order's items, when the answer lists them: what 2 + N counts.
        let items = response
            .json::<serde_json::Value>()
            .await
            .ok()
            .and_then(|body| body["items"].as_array().map(Vec::len));
        let count: u32 = header
            .as_ref()
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse().ok())
            .ok_or(CheckError::Answer {
                url,
                what: Oddity::NoQueryCount,
            })?;
        let ok = count <= self.max;
        let text = &ctx.text;
        let head = msg!(
            text,
            "check-query-count-head",
            path = &self.path,
            count = count,
            target = self.target(ctx)
        );
        let next = next_step(text, ok, || {
            msg!(text, "check-query-count-hint", mode = ctx.mode())
        });
        let message = match items {
            Some(items) => {
                let items = items as u64;
                let lazy = 2 + items;
                let why = msg!(text, "check-query-count-items", items = items, lazy = lazy);
                format!("{head} {why} {next}")
            }
            None => format!("{head} {next}"),
        };
        Ok(Outcome::measured(
            ok,
            f64::from(count),
            Unit::Count,
            message,
        ))
    }
}
