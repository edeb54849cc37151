//! `EXPLAIN (ANALYZE, FORMAT JSON)` of the lab queries, by name, so the runner
//! and the TUI can show the plan PostgreSQL actually chose. `ANALYZE` executes
//! the statement, so it runs inside a transaction that is always rolled back.

use serde::Serialize;
use sqlx::PgPool;

use super::products::{self, Sort};
use super::{orders, reports};

/// The queries a lab may ask to explain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LabQuery {
    /// `GET /products?category=…&sort=price` (lab 2.1).
    CategoryListing,
    /// `GET /products/search?q=…` (lab 2.2).
    Search,
    /// The items of one order (lab 2.3).
    OrderItems,
    /// `GET /reports/top-products` (lab 4.2).
    TopProducts,
}

/// Parameters a lab query needs; defaults make each one meaningful.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(default)]
pub struct ExplainParams {
    pub category: i64,
    pub q: String,
    pub order: i64,
}

impl Default for ExplainParams {
    fn default() -> Self {
        Self {
            category: 1,
            q: "keyboard".into(),
            order: 1,
        }
    }
}

/// The plan, as PostgreSQL's JSON.
pub async fn explain(
    pool: &PgPool,
    query: LabQuery,
    params: &ExplainParams,
) -> sqlx::Result<serde_json::Value> {
    let sql = match query {
        LabQuery::CategoryListing => products::listing_sql(true, Sort::PriceAsc),
        LabQuery::Search => products::SEARCH_SQL,
        LabQuery::OrderItems => orders::ITEMS_SQL,
        LabQuery::TopProducts => reports::TOP_PRODUCTS_SQL,
    };
    // Our own constant SQL behind a fixed prefix: no user text is spliced in.
    let statement = format!("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {sql}");
    let query_builder = sqlx::query_scalar::<_, serde_json::Value>(sqlx::AssertSqlSafe(statement));
    let query_builder = match query {
        LabQuery::CategoryListing => query_builder.bind(params.category).bind(20_i64).bind(0_i64),
        LabQuery::Search => query_builder
            .bind(products::contains_pattern(&params.q))
            .bind(20_i64),
        LabQuery::OrderItems => query_builder.bind(params.order),
        LabQuery::TopProducts => query_builder.bind(10_i64),
    };
    let mut tx = pool.begin().await?;
    let plan = query_builder.fetch_one(&mut *tx).await;
    tx.rollback().await?;
    plan
}
