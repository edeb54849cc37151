//! A query plan as a tree a student can read: PostgreSQL's
//! `EXPLAIN (ANALYZE, FORMAT JSON)` turned into one line per node — what the
//! node does, actual vs estimated rows, its time — with the nodes that matter
//! for Block 2 marked: a Seq Scan that read a large table, an index the plan
//! used, a sort that spilled to disk, an estimate far off the actual rows.
//!
//! Pure: JSON in, [`PlanTree`] out, and [`PlanTree::lines`] renders it as
//! text in the learner's language (`labs/messages/*/explain.ftl`). No
//! terminal code, so `perflab explain` prints it and the TUI's plan panel can
//! draw the same lines with its own styles (one [`Mark`] per marked node).
//! Depends on `messages` only.

use serde_json::Value;

use crate::messages::Text;
use crate::msg;

/// A Seq Scan that read at least this many rows is marked: at the `small`
/// scale the products table has 1,000 rows, at `default` 100,000, and the
/// index a lab asks for reads a category's few dozen instead.
pub const LARGE_SCAN_ROWS: f64 = 1000.0;

/// An estimate this many times off the actual rows (either way) is marked:
/// the planner chose with wrong numbers (stale statistics, a pattern it
/// cannot estimate).
pub const MISESTIMATE_FACTOR: f64 = 10.0;

/// What makes a node worth a student's attention.
#[derive(Debug, Clone, PartialEq)]
pub enum Mark {
    /// A sequential scan that read `read` rows of `table` to keep `kept`.
    SeqScanLarge { table: String, read: f64, kept: f64 },
    /// The plan reads through this index.
    IndexUsed { index: String },
    /// A sort that did not fit in `work_mem` and wrote `kb` to disk.
    SortSpilled { kb: f64 },
    /// The planner expected `estimated` rows and got `actual`.
    Misestimate { estimated: f64, actual: f64 },
}

/// One plan node.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanNode {
    /// Depth in the tree (the root is 0).
    pub depth: usize,
    /// `Seq Scan on products`, `Index Scan using idx on products`, `Sort`…
    pub label: String,
    /// Rows the node returned over all its loops.
    pub actual_rows: f64,
    /// Rows the planner expected over all loops.
    pub estimated_rows: f64,
    /// Time to the node's last row, over all loops, in ms.
    pub time_ms: f64,
    /// `Index Cond`, `Filter`, `Sort Key`… as PostgreSQL wrote them.
    pub detail: Option<String>,
    pub marks: Vec<Mark>,
}

/// A whole plan: its nodes depth-first, and the totals.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanTree {
    pub nodes: Vec<PlanNode>,
    pub planning_ms: f64,
    pub execution_ms: f64,
}

/// The JSON is not an `EXPLAIN (ANALYZE, FORMAT JSON)` answer.
#[derive(Debug, thiserror::Error, PartialEq)]
#[error("not an EXPLAIN (ANALYZE, FORMAT JSON) plan: {0}")]
pub struct PlanError(&'static str);

impl PlanTree {
    /// Reads PostgreSQL's JSON: `[{"Plan": {…}, "Planning Time": …,
    /// "Execution Time": …}]` (the array or its one element).
    pub fn from_json(json: &Value) -> Result<Self, PlanError> {
        let root = match json {
            Value::Array(items) => items.first().ok_or(PlanError("an empty array"))?,
            other => other,
        };
        let plan = root.get("Plan").ok_or(PlanError("no \"Plan\""))?;
        let execution_ms = root["Execution Time"].as_f64().ok_or(PlanError(
            "no \"Execution Time\" (was it run with ANALYZE?)",
        ))?;
        let mut nodes = Vec::new();
        walk(plan, 0, &mut nodes);
        Ok(Self {
            nodes,
            planning_ms: root["Planning Time"].as_f64().unwrap_or(0.0),
            execution_ms,
        })
    }

    /// Every mark of the plan, in node order.
    pub fn marks(&self) -> impl Iterator<Item = &Mark> {
        self.nodes.iter().flat_map(|n| n.marks.iter())
    }

    /// The indexes the plan reads through.
    pub fn indexes(&self) -> Vec<&str> {
        self.marks()
            .filter_map(|m| match m {
                Mark::IndexUsed { index } => Some(index.as_str()),
                _ => None,
            })
            .collect()
    }

    /// The tables a node reads with a Seq Scan, large or not.
    pub fn seq_scans(&self) -> Vec<&str> {
        self.nodes
            .iter()
            .filter_map(|n| n.label.strip_prefix("Seq Scan on "))
            .collect()
    }

    /// The tree as text: one line per node (indented with box-drawing
    /// branches, its rows, estimate and time, then its marks), a line of
    /// detail under a node that has one, and the totals last.
    pub fn lines(&self, text: &Text) -> Vec<String> {
        let mut lines = Vec::with_capacity(self.nodes.len() * 2 + 1);
        for node in &self.nodes {
            let indent = if node.depth == 0 {
                String::new()
            } else {
                format!("{}└─ ", "   ".repeat(node.depth - 1))
            };
            let stats = msg!(
                text,
                "explain-node-stats",
                rows = round(node.actual_rows),
                estimated = round(node.estimated_rows),
                time = format!("{:.2}", node.time_ms)
            );
            let mut line = format!("{indent}{}  {stats}", node.label);
            for mark in &node.marks {
                line.push_str("  ");
                line.push_str(&mark_text(text, mark));
            }
            lines.push(line);
            if let Some(detail) = &node.detail {
                let pad = "   ".repeat(node.depth);
                lines.push(format!("{pad}   {detail}"));
            }
        }
        lines.push(msg!(
            text,
            "explain-totals",
            planning = format!("{:.2}", self.planning_ms),
            execution = format!("{:.2}", self.execution_ms)
        ));
        lines
    }
}

fn round(rows: f64) -> i64 {
    rows.round() as i64
}

fn mark_text(text: &Text, mark: &Mark) -> String {
    match mark {
        Mark::SeqScanLarge { table, read, kept } => msg!(
            text,
            "explain-mark-seq-scan",
            table = table.as_str(),
            read = round(*read),
            kept = round(*kept)
        ),
        Mark::IndexUsed { index } => msg!(text, "explain-mark-index", index = index.as_str()),
        Mark::SortSpilled { kb } => msg!(text, "explain-mark-sort-spilled", kb = round(*kb)),
        Mark::Misestimate { estimated, actual } => msg!(
            text,
            "explain-mark-misestimate",
            estimated = round(*estimated),
            actual = round(*actual)
        ),
    }
}

fn walk(node: &Value, depth: usize, out: &mut Vec<PlanNode>) {
    let loops = node["Actual Loops"].as_f64().unwrap_or(1.0).max(1.0);
    let actual_rows = node["Actual Rows"].as_f64().unwrap_or(0.0) * loops;
    let estimated_rows = node["Plan Rows"].as_f64().unwrap_or(0.0) * loops;
    let mut marks = Vec::new();
    let kind = node["Node Type"].as_str().unwrap_or("?");
    let table = node["Relation Name"].as_str();
    if kind == "Seq Scan" {
        let removed = node["Rows Removed by Filter"].as_f64().unwrap_or(0.0) * loops;
        let read = actual_rows + removed;
        if read >= LARGE_SCAN_ROWS {
            marks.push(Mark::SeqScanLarge {
                table: table.unwrap_or("?").to_string(),
                read,
                kept: actual_rows,
            });
        }
    }
    if let Some(index) = node["Index Name"].as_str() {
        marks.push(Mark::IndexUsed {
            index: index.to_string(),
        });
    }
    if node["Sort Space Type"] == "Disk" {
        marks.push(Mark::SortSpilled {
            kb: node["Sort Space Used"].as_f64().unwrap_or(0.0),
        });
    }
    let (low, high) = if actual_rows < estimated_rows {
        (actual_rows, estimated_rows)
    } else {
        (estimated_rows, actual_rows)
    };
    // Scans only: above them a Limit stops its input early, so a Sort's or
    // a join's "actual" is cut short, not misestimated.
    if table.is_some() && high >= 100.0 && high >= low.max(1.0) * MISESTIMATE_FACTOR {
        marks.push(Mark::Misestimate {
            estimated: estimated_rows,
            actual: actual_rows,
        });
    }
    out.push(PlanNode {
        depth,
        label: label(node, kind, table),
        actual_rows,
        estimated_rows,
        time_ms: node["Actual Total Time"].as_f64().unwrap_or(0.0) * loops,
        detail: detail(node),
        marks,
    });
    for child in node["Plans"].as_array().into_iter().flatten() {
        walk(child, depth + 1, out);
    }
}

/// `Seq Scan on products`, `Index Scan using idx on products`, `Bitmap
/// Index Scan on idx`, `Hash Join`.
fn label(node: &Value, kind: &str, table: Option<&str>) -> String {
    // As PostgreSQL's text format writes them: a Bitmap Index Scan reads no
    // table, so it is "on" its index.
    match (node["Index Name"].as_str(), table) {
        (Some(index), Some(table)) => format!("{kind} using {index} on {table}"),
        (Some(index), None) => format!("{kind} on {index}"),
        (None, Some(table)) => format!("{kind} on {table}"),
        (None, None) => kind.to_string(),
    }
}

/// The condition or key that explains the node, as PostgreSQL printed it.
fn detail(node: &Value) -> Option<String> {
    for key in ["Index Cond", "Recheck Cond", "Hash Cond", "Filter"] {
        if let Some(cond) = node[key].as_str() {
            return Some(format!("{key}: {cond}"));
        }
    }
    let keys: Vec<&str> = node["Sort Key"]
        .as_array()?
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let method = node["Sort Method"].as_str().unwrap_or("");
    Some(
        format!("Sort Key: {} {method}", keys.join(", "))
            .trim_end()
            .to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messages::Lang;
    use serde_json::json;

    fn before_the_index() -> Value {
        json!([{
            "Plan": {
                "Node Type": "Limit", "Actual Rows": 20, "Plan Rows": 20,
                "Actual Loops": 1, "Actual Total Time": 0.142,
                "Plans": [{
                    "Node Type": "Sort", "Actual Rows": 20, "Plan Rows": 216,
                    "Actual Loops": 1, "Actual Total Time": 0.139,
                    "Sort Key": ["price"], "Sort Method": "external merge",
                    "Sort Space Type": "Disk", "Sort Space Used": 1234,
                    "Plans": [{
                        "Node Type": "Seq Scan", "Relation Name": "products",
                        "Actual Rows": 216, "Plan Rows": 216, "Actual Loops": 1,
                        "Actual Total Time": 0.1, "Filter": "(category_id = 1)",
                        "Rows Removed by Filter": 784
                    }]
                }]
            },
            "Planning Time": 0.25, "Execution Time": 0.167
        }])
    }

    #[test]
    fn marks_the_large_seq_scan_and_the_spilled_sort() {
        let tree = PlanTree::from_json(&before_the_index()).unwrap();
        assert_eq!(tree.nodes.len(), 3);
        assert_eq!(tree.seq_scans(), ["products"]);
        assert!(tree.indexes().is_empty());
        assert_eq!(
            tree.nodes[2].marks,
            [Mark::SeqScanLarge {
                table: "products".into(),
                read: 1000.0,
                kept: 216.0
            }]
        );
        assert_eq!(tree.nodes[1].marks, [Mark::SortSpilled { kb: 1234.0 }]);
        assert_eq!(
            tree.nodes[2].detail.as_deref(),
            Some("Filter: (category_id = 1)")
        );
        let lines = tree.lines(&Text::from(Lang::En));
        assert!(lines[0].starts_with("Limit  "), "{lines:?}");
        assert!(lines[1].starts_with("└─ Sort  "), "{lines:?}");
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("   └─ Seq Scan on products"))
        );
        assert!(lines.iter().any(|l| l.contains("1000")), "{lines:?}");
    }

    #[test]
    fn marks_the_index_and_counts_loops() {
        let json = json!({
            "Plan": {
                "Node Type": "Index Scan", "Index Name": "products_cat_price",
                "Relation Name": "products", "Actual Rows": 2, "Plan Rows": 1,
                "Actual Loops": 10, "Actual Total Time": 0.01,
                "Index Cond": "(category_id = 1)"
            },
            "Execution Time": 0.2
        });
        let tree = PlanTree::from_json(&json).unwrap();
        assert_eq!(tree.indexes(), ["products_cat_price"]);
        assert_eq!(tree.nodes[0].actual_rows, 20.0);
        assert_eq!(
            tree.nodes[0].label,
            "Index Scan using products_cat_price on products"
        );
        assert!(tree.seq_scans().is_empty());
    }

    #[test]
    fn a_plan_without_analyze_is_refused() {
        let err = PlanTree::from_json(&json!([{ "Plan": {} }])).unwrap_err();
        assert!(err.to_string().contains("ANALYZE"));
        assert!(PlanTree::from_json(&json!([])).is_err());
    }
}
