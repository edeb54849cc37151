//! `explain`: asks the control API for `EXPLAIN (ANALYZE, FORMAT JSON)` of a
//! lab query and passes when the plan uses an index (a named one, if the lab
//! says) and has no Seq Scan on the table the lab names. Measured: the
//! execution time PostgreSQL reported, in ms.

use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;

use super::context::Oddity;
use super::verdict::next_step;
use super::{CheckError, Context, Kind, Outcome, Unit};
use crate::msg;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExplainSpec {
    pub id: Option<String>,
    #[serde(default, with = "humantime_serde")]
    pub timeout: Option<Duration>,
    /// Why it must pass in the lab's starting state too (see `labs validate`).
    pub guard: Option<String>,
    /// category_listing | search | order_items | top_products
    pub query: String,
    /// An index the plan must use; any index when absent.
    pub index: Option<String>,
    /// A table that must not be read by a Seq Scan.
    pub no_seq_scan_on: Option<String>,
    /// Plan as if the tables were too large to scan (`enable_seqscan = off`
    /// for this plan only): whether an index *can* serve the query, which a
    /// small catalog's planner would not show (a trigram index on 1,000
    /// products loses to reading 23 pages). The message says so.
    #[serde(default)]
    pub as_if_large: bool,
}

impl ExplainSpec {
    /// The control API's path for this check's plan (also the TUI's plan panel).
    pub fn control_path(&self) -> String {
        match self.as_if_large {
            true => format!("/explain/{}?large_table=true", self.query),
            false => format!("/explain/{}", self.query),
        }
    }
}

/// What the plan shows.
#[derive(Debug, Default, PartialEq)]
struct Plan {
    indexes: Vec<String>,
    seq_scans: Vec<String>,
}

fn walk(node: &Value, plan: &mut Plan) {
    if let Some(index) = node["Index Name"].as_str() {
        plan.indexes.push(index.to_string());
    }
    if node["Node Type"] == "Seq Scan" {
        let table = node["Relation Name"].as_str().unwrap_or("?");
        plan.seq_scans.push(table.to_string());
    }
    for child in node["Plans"].as_array().into_iter().flatten() {
        walk(child, plan);
    }
}

impl ExplainSpec {
    fn judge(&self, plan: &Plan) -> bool {
        let index_ok = match &self.index {
            Some(name) => plan.indexes.iter().any(|i| i == name),
            None => !plan.indexes.is_empty(),
        };
        let scan_ok = self
            .no_seq_scan_on
            .as_ref()
            .is_none_or(|table| !plan.seq_scans.contains(table));
        index_ok && scan_ok
    }
}

impl Kind for ExplainSpec {
    const NAME: &'static str = "explain";

    fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    fn guard(&self) -> Option<&str> {
        self.guard.as_deref()
    }

    fn target(&self, ctx: &Context) -> String {
        let text = &ctx.text;
        let uses = match &self.index {
            Some(index) => msg!(text, "check-explain-target-index", index = index),
            None => msg!(text, "check-explain-target-any-index"),
        };
        match &self.no_seq_scan_on {
            Some(table) => msg!(
                text,
                "check-explain-target-no-seq-scan",
                uses = uses,
                table = table
            ),
            None => uses,
        }
    }

    fn limit(&self, _: &Context) -> Duration {
        self.timeout.unwrap_or(Duration::from_secs(30))
    }

    async fn measure(&self, ctx: &Context) -> Result<Outcome, CheckError> {
        let path = self.control_path();
        let body = ctx.control_json(&path).await?;
        let root = &body[0];
        let Some(time_ms) = root["Execution Time"].as_f64() else {
            return Err(CheckError::Answer {
                url: path,
                what: Oddity::NoExecutionTime,
            });
        };
        let mut plan = Plan::default();
        walk(&root["Plan"], &mut plan);
        let ok = self.judge(&plan);
        let mut message = message(ctx, &self.query, &self.target(ctx), &plan, (time_ms, ok));
        if self.as_if_large {
            message = format!("{} {message}", msg!(ctx.text, "check-explain-as-if-large"));
        }
        Ok(Outcome::measured(ok, time_ms, Unit::Ms, message))
    }
}

fn message(
    ctx: &Context,
    query: &str,
    target: &str,
    plan: &Plan,
    (time_ms, ok): (f64, bool),
) -> String {
    let text = &ctx.text;
    let list = |v: &[String]| {
        if v.is_empty() {
            "-".to_string()
        } else {
            v.join(", ")
        }
    };
    let head = msg!(
        text,
        "check-explain-head",
        query = query,
        time = Unit::Ms.format(time_ms),
        indexes = list(&plan.indexes),
        scans = list(&plan.seq_scans),
        target = target
    );
    let next = next_step(text, ok, || msg!(text, "check-explain-hint", query = query));
    format!("{head} {next}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_indexes_and_seq_scans_in_nested_plans() {
        let plan: Value = serde_json::json!({
            "Node Type": "Limit",
            "Plans": [{ "Node Type": "Seq Scan", "Relation Name": "products" },
                      { "Node Type": "Index Scan", "Index Name": "idx_a", "Relation Name": "orders" }]
        });
        let mut found = Plan::default();
        walk(&plan, &mut found);
        assert_eq!(found.indexes, ["idx_a"]);
        assert_eq!(found.seq_scans, ["products"]);
        let spec: ExplainSpec =
            toml::from_str("query = \"x\"\nno_seq_scan_on = \"products\"").expect("spec");
        assert!(!spec.judge(&found));
    }
}
