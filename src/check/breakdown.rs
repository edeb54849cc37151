//! `breakdown`: drives the lab's traffic at a route with the shop's span
//! breakdown zeroed first, then reads it from the control API (`GET
//! /breakdown`, `shop::profile::breakdown`) and names the part of each
//! request that took the most time — database, cache, serialisation or
//! compute — in the message, with every part's mean per request. Judged on
//! the p95 of the 2xx answers when the lab gives `p95_ms` (lab 4.2: < 200 ms
//! after the fix), and always on the breakdown having seen the route.
//! Needs the control API: on `--target URL` it is not applicable.

use std::time::Duration;

use serde::Deserialize;

use super::verdict::next_step;
use super::{CheckError, Context, Kind, Outcome, TrafficSpec, Unit, ms};
use crate::load::StatusClass;
use crate::msg;
use crate::shop::profile::breakdown::{PARTS, Part, Report, RouteBreakdown};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BreakdownSpec {
    pub id: Option<String>,
    #[serde(default, with = "humantime_serde")]
    pub timeout: Option<Duration>,
    /// Why it must pass in the lab's starting state too (see `labs validate`).
    pub guard: Option<String>,
    /// Overrides the lab's traffic profile.
    pub traffic: Option<TrafficSpec>,
    /// The route as the breakdown names it: the template (`/products/{id}`).
    pub route: String,
    /// p95 of the 2xx answers must stay below this many milliseconds.
    pub p95_ms: Option<f64>,
}

impl Kind for BreakdownSpec {
    const NAME: &'static str = "breakdown";

    fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    fn guard(&self) -> Option<&str> {
        self.guard.as_deref()
    }

    fn target(&self, ctx: &Context) -> String {
        let text = &ctx.text;
        let named = msg!(text, "check-breakdown-target", route = self.route.as_str());
        match self.p95_ms {
            Some(p95) => msg!(
                text,
                "check-breakdown-target-p95",
                named = named,
                p95 = Unit::Ms.target(p95)
            ),
            None => named,
        }
    }

    fn limit(&self, ctx: &Context) -> Duration {
        self.timeout
            .unwrap_or_else(|| super::traffic::limit(self.traffic.as_ref(), ctx))
    }

    async fn measure(&self, ctx: &Context) -> Result<Outcome, CheckError> {
        ctx.control()?;
        let traffic = ctx.traffic(self.traffic.as_ref())?;
        ctx.control_post("/breakdown/reset").await?;
        let snapshot = traffic.drive(ctx).await?;
        let report: Report = serde_json::from_value(ctx.control_json("/breakdown").await?)
            .map_err(|e| CheckError::Spec(format!("GET /breakdown: {e}")))?;
        let p95 = snapshot
            .total
            .class(StatusClass::Success)
            .map(|c| ms(c.latency.p95_us));
        let text = &ctx.text;
        let Some(route) = report.routes.get(&self.route).filter(|r| r.requests > 0) else {
            let route = self.route.as_str();
            let why = match report.enabled {
                true => msg!(text, "check-breakdown-no-route", route = route),
                false => msg!(text, "check-breakdown-off", route = route),
            };
            return Ok(Outcome::unjudged(super::Verdict::Fail, why));
        };
        let fast_enough = match (self.p95_ms, p95) {
            (Some(bound), Some(p95)) => p95 < bound,
            (Some(_), None) => false,
            (None, _) => true,
        };
        let message = message(ctx, &self.route, route, p95, fast_enough);
        let details = PARTS
            .into_iter()
            .map(|part| (part.name(), route.ms_per_request[&part]));
        let outcome = match p95 {
            Some(p95) => Outcome::measured(fast_enough, p95, Unit::Ms, message),
            None => Outcome::unjudged(super::Verdict::Fail, message),
        };
        Ok(outcome.with_details(details))
    }
}

fn message(
    ctx: &Context,
    path: &str,
    route: &RouteBreakdown,
    p95: Option<f64>,
    ok: bool,
) -> String {
    let text = &ctx.text;
    let part = |p| format!("{:.2}", route.ms_per_request[&p]);
    let head = msg!(
        text,
        "check-breakdown-head",
        route = path,
        requests = route.requests,
        p95 = p95.map_or("—".to_string(), |p| Unit::Ms.format(p)),
        db = part(Part::Db),
        cache = part(Part::Cache),
        serialise = part(Part::Serialise),
        compute = part(Part::Compute),
        dominant = route.dominant.name(),
        share = format!("{:.0}", route.dominant_share * 100.0)
    );
    let next = next_step(text, ok, || {
        msg!(
            text,
            "check-breakdown-hint",
            dominant = route.dominant.name()
        )
    });
    format!("{head} {next}")
}
