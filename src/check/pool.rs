//! `pool_connections`: drives traffic while sampling `pg_stat_activity` for
//! the shop's server connections (application_name `perflab-shop`, the shop's
//! database) and judges the maximum seen. Needs the database URL; without it
//! (`--target URL`) the check is `NotApplicable`.

use std::time::Duration;

use serde::Deserialize;
use sqlx::postgres::PgPoolOptions;
use tokio_util::sync::CancellationToken;

use super::verdict::next_step;
use super::{CheckError, Context, Kind, Outcome, TrafficSpec, Unit};
use crate::msg;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PoolSpec {
    pub id: Option<String>,
    #[serde(default, with = "humantime_serde")]
    pub timeout: Option<Duration>,
    /// Why it must pass in the lab's starting state too (see `labs validate`).
    pub guard: Option<String>,
    /// Overrides the lab's traffic profile.
    pub traffic: Option<TrafficSpec>,
    /// Runs the traffic this long instead of its own duration: under a
    /// steady load the pool reaches its peak within the first seconds, and
    /// a check that only counts connections need not repeat a whole
    /// measured run (the final project's).
    #[serde(default, with = "humantime_serde")]
    pub duration: Option<Duration>,
    /// Connections must stay below this.
    pub below: u32,
}

/// The shop's server connections, counted from `pg_stat_activity` (also the
/// TUI's connections panel).
pub const COUNT_SQL: &str = "SELECT count(*) FROM pg_stat_activity \
     WHERE application_name = 'perflab-shop' AND datname = current_database()";

/// How often connections are counted while the load runs.
const SAMPLE_EVERY: Duration = Duration::from_millis(50);

impl Kind for PoolSpec {
    const NAME: &'static str = "pool_connections";

    fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    fn guard(&self) -> Option<&str> {
        self.guard.as_deref()
    }

    fn target(&self, ctx: &Context) -> String {
        msg!(ctx.text, "check-pool-target", below = self.below)
    }

    fn limit(&self, ctx: &Context) -> Duration {
        self.timeout.unwrap_or_else(|| {
            let traffic = self.traffic_in(ctx).ok();
            super::traffic::limit(traffic.as_ref(), ctx)
        })
    }

    async fn measure(&self, ctx: &Context) -> Result<Outcome, CheckError> {
        let url = ctx.database_url()?;
        // One connection of our own, named differently so it never counts itself.
        let db = PgPoolOptions::new().max_connections(1).connect(url).await?;
        let traffic = self.traffic_in(ctx)?;
        let cancel = CancellationToken::new();
        let _stop = cancel.clone().drop_guard();
        let run = traffic.start(ctx, cancel).await?;
        let finished = run.finish();
        tokio::pin!(finished);
        let mut max = 0i64;
        let mut tick = tokio::time::interval(SAMPLE_EVERY);
        loop {
            tokio::select! {
                done = &mut finished => break done.map(drop)?,
                _ = tick.tick() => {
                    let count: i64 = sqlx::query_scalar(COUNT_SQL).fetch_one(&db).await?;
                    max = max.max(count);
                }
            }
        }
        db.close().await;
        let ok = max < i64::from(self.below);
        let text = &ctx.text;
        let head = msg!(
            text,
            "check-pool-head",
            max = max,
            what = traffic.describe(),
            target = self.target(ctx)
        );
        let next = next_step(text, ok, || {
            msg!(text, "check-pool-hint", mode = ctx.mode())
        });
        let message = format!("{head} {next}");
        Ok(Outcome::measured(ok, max as f64, Unit::Count, message))
    }
}

impl PoolSpec {
    /// The traffic it drives: its own or the lab's, for `duration` if given.
    fn traffic_in(&self, ctx: &Context) -> Result<TrafficSpec, CheckError> {
        let mut traffic = ctx.traffic(self.traffic.as_ref())?.clone();
        if let Some(duration) = self.duration {
            traffic.duration = duration;
        }
        Ok(traffic)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::Lang;

    #[test]
    fn a_shorter_run_of_the_labs_traffic_bounds_the_check() {
        let spec: PoolSpec = toml::from_str("below = 20\nduration = \"4s\"").unwrap();
        let mut traffic = TrafficSpec::path("/products/{id}");
        traffic.duration = Duration::from_secs(10);
        let ctx = Context::new("http://127.0.0.1:1", Lang::En).with_traffic(traffic);
        let own = spec.limit(&ctx);
        let whole = PoolSpec {
            duration: None,
            ..spec
        }
        .limit(&ctx);
        assert_eq!(whole - own, Duration::from_secs(6), "{own:?} {whole:?}");
    }
}
