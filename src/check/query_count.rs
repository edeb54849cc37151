//! `query_count`: requests a path (logged in as a fixture user when asked) and
//! requires the shop's `X-Query-Count` — the SQL statements the request took —
//! to be at most N: the N+1 lab's proof. Uses only the public API.

use std::time::Duration;

use serde::Deserialize;

use super::verdict::next_step;
use super::{CheckError, Context, Kind, Lang, Outcome};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueryCountSpec {
    pub id: Option<String>,
    #[serde(default, with = "humantime_serde")]
    pub timeout: Option<Duration>,
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

    fn target(&self, _: &Context) -> String {
        format!("X-Query-Count ≤ {}", self.max)
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
        let unexpected = |what: String| CheckError::Unexpected {
            url: url.clone(),
            what,
        };
        if !status.is_success() {
            return Err(unexpected(format!("status {status}")));
        }
        let count: u32 = response
            .headers()
            .get("x-query-count")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse().ok())
            .ok_or_else(|| unexpected("no numeric X-Query-Count header".into()))?;
        let ok = count <= self.max;
        let message = message(ctx.lang(), &self.path, &self.target(ctx), (count, ok));
        Ok(Outcome::judged(ok, Some(f64::from(count)), message))
    }
}

fn message(lang: Lang, path: &str, target: &str, (count, ok): (u32, bool)) -> String {
    let head = lang.pick(
        format!("GET {path} hizo {count} consultas SQL (objetivo {target})."),
        format!("GET {path} took {count} SQL queries (target {target})."),
    );
    let next = next_step(
        lang,
        ok,
        (
            "¿Una consulta por elemento (N+1)? Prueba database.loading = \"eager\" y mira X-Query-Count.",
            "One query per item (N+1)? Try database.loading = \"eager\" and watch X-Query-Count.",
        ),
    );
    format!("{head} {next}")
}
