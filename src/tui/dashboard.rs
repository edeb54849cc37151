//! The live dashboard's data: what the load generator's 1-second windows and
//! the shop's own surfaces (cache counters, process memory) said, kept as a
//! short history — a fixed number of points, never a record per request —
//! so drawing a frame costs the same after an hour as after a second.

use std::collections::VecDeque;

use crate::lab::catalog::Panel;
use crate::load::{Snapshot, StatusClass};

/// How many windows the charts keep (two minutes of 1-second windows).
pub const HISTORY: usize = 120;

/// One window, as charted.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    /// Seconds since the load started.
    pub t: f64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub rps: f64,
}

/// What the dashboard shows.
#[derive(Debug, Clone, Default)]
pub struct Dashboard {
    /// The lab whose traffic runs.
    pub lab: String,
    /// What runs: "GET /products/{id}".
    pub traffic: String,
    /// Its closed loop's virtual users, if it is one (said in the
    /// student's language when drawn).
    pub virtual_users: Option<usize>,
    pub points: VecDeque<Point>,
    /// The p95 line to beat (the lab's latency target, else the course's 200 ms).
    pub target_p95_ms: f64,
    /// Status codes over the whole run.
    pub status_codes: Vec<(u16, u64)>,
    pub errors: u64,
    pub requests: u64,
    /// Hits / lookups of the shop's cache since the load started.
    pub hit_ratio: Option<f64>,
    /// The shop process's resident memory.
    pub rss_mb: Option<f64>,
    /// The shop's PostgreSQL connections (`pg_stat_activity`).
    pub connections: Option<i64>,
    /// `X-Query-Count` of one probe request on the traffic's first path.
    pub query_count: Option<u64>,
    /// Per virtual user: (user, requests, 429s), over the run.
    pub users: Vec<(String, u64, u64)>,
    /// The plan of the lab's query, a line per node.
    pub plan: Option<Vec<String>>,
    /// What the lab shows.
    pub panels: Vec<Panel>,
    pub running: bool,
}

impl Dashboard {
    pub fn new(lab: &str, traffic: String, target_p95_ms: f64) -> Self {
        Self {
            lab: lab.to_string(),
            traffic,
            target_p95_ms,
            running: true,
            panels: Panel::DEFAULT.to_vec(),
            ..Self::default()
        }
    }

    pub fn shows(&self, panel: Panel) -> bool {
        self.panels.contains(&panel)
    }

    /// Takes one snapshot: a point from its window (2xx latencies, so fast
    /// errors do not flatter the chart), the run's totals.
    pub fn push(&mut self, snapshot: &Snapshot) {
        let ms = |us: u64| us as f64 / 1000.0;
        let ok = snapshot.window.class(StatusClass::Success);
        let latency = |f: fn(&crate::load::Latency) -> u64| ok.map_or(0.0, |c| ms(f(&c.latency)));
        self.points.push_back(Point {
            t: snapshot.elapsed_secs,
            p50_ms: latency(|l| l.p50_us),
            p95_ms: latency(|l| l.p95_us),
            p99_ms: latency(|l| l.p99_us),
            rps: snapshot.window.rps,
        });
        while self.points.len() > HISTORY {
            self.points.pop_front();
        }
        let total = &snapshot.total;
        self.status_codes = total.status_codes.iter().map(|(&c, &n)| (c, n)).collect();
        self.errors = total.errors.connect + total.errors.timeout + total.errors.other;
        self.requests = total.requests;
        self.users = total
            .users
            .iter()
            .map(|u| (u.user.clone(), u.requests, u.rate_limited))
            .collect();
        if snapshot.done {
            self.running = false;
        }
    }

    pub fn last(&self) -> Option<&Point> {
        self.points.back()
    }
}

/// An `EXPLAIN (FORMAT JSON)` answer as indented lines: node, relation,
/// index, and the execution time. In PostgreSQL's own words ("Seq Scan on
/// products", "Execution Time"), whatever the student's language: they are
/// the words `EXPLAIN` prints in psql, which the lab has them read too.
pub fn plan_lines(explain: &serde_json::Value) -> Vec<String> {
    fn walk(node: &serde_json::Value, depth: usize, out: &mut Vec<String>) {
        let mut line = format!(
            "{}{}",
            "  ".repeat(depth),
            node["Node Type"].as_str().unwrap_or("?")
        );
        if let Some(table) = node["Relation Name"].as_str() {
            line.push_str(&format!(" on {table}"));
        }
        if let Some(index) = node["Index Name"].as_str() {
            line.push_str(&format!(" using {index}"));
        }
        if let Some(ms) = node["Actual Total Time"].as_f64() {
            line.push_str(&format!("  {ms:.1} ms"));
        }
        out.push(line);
        for child in node["Plans"].as_array().into_iter().flatten() {
            walk(child, depth + 1, out);
        }
    }
    let root = explain.get(0).unwrap_or(explain);
    let mut lines = Vec::new();
    walk(&root["Plan"], 0, &mut lines);
    if let Some(ms) = root["Execution Time"].as_f64() {
        lines.push(format!("Execution Time {ms:.1} ms"));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plan_reads_as_indented_nodes() {
        let explain = serde_json::json!([{
            "Plan": {
                "Node Type": "Limit", "Actual Total Time": 7.2,
                "Plans": [{
                    "Node Type": "Index Scan", "Relation Name": "products",
                    "Index Name": "products_category_price", "Actual Total Time": 0.4
                }]
            },
            "Execution Time": 7.5
        }]);
        assert_eq!(
            plan_lines(&explain),
            [
                "Limit  7.2 ms",
                "  Index Scan on products using products_category_price  0.4 ms",
                "Execution Time 7.5 ms"
            ]
        );
    }
}
