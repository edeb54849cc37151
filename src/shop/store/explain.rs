//! `EXPLAIN (ANALYZE, BUFFERS, SETTINGS, FORMAT JSON)` of the lab queries, by
//! name, so the runner and the TUI can show the plan PostgreSQL actually
//! chose. `ANALYZE` executes the statement, so it runs inside a transaction
//! that is always rolled back.
//!
//! A plan check must judge the student's indexes, not a setting: a database
//! or role default (`ALTER DATABASE … SET enable_seqscan = off`) or a session
//! `SET` left on a pooled connection would make any plan pass. So the plan is
//! made on a [`Dedicated`] connection (no pooled session state) on which every
//! planner setting that came from the database, the role or the client is put
//! back to the server's own value (`postgresql.conf` where perflab may read
//! it, else the built-in default). `SETTINGS` lists in the plan whatever still
//! differs from the built-in defaults, so a reader can see it.

use serde::Serialize;
use sqlx::{Connection, PgConnection, PgPool};

use super::dedicated::Dedicated;

use super::products::{self, Sort};
use super::{orders, reports};
use crate::shop::settings::TopProductsSource;

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
    /// Plan as if the table were too large to read whole: `enable_seqscan =
    /// off` for this plan only (after the server's defaults are put back).
    /// On the `small` catalog a 23-page table is cheaper to scan than any
    /// index, so this is how a check asks whether an index *can* serve the
    /// query; a Seq Scan still shows when no index can.
    pub large_table: bool,
}

impl Default for ExplainParams {
    fn default() -> Self {
        Self {
            category: 1,
            q: "keyboard".into(),
            order: 1,
            large_table: false,
        }
    }
}

/// The plan, as PostgreSQL's JSON; `top_products` picks which report query
/// `top_products` plans (the one the shop runs now).
pub async fn explain(
    pool: &PgPool,
    query: LabQuery,
    params: &ExplainParams,
    top_products: TopProductsSource,
) -> sqlx::Result<serde_json::Value> {
    let sql = match query {
        LabQuery::CategoryListing => products::listing_sql(true, Sort::PriceAsc),
        LabQuery::Search => products::SEARCH_SQL,
        LabQuery::OrderItems => orders::ITEMS_SQL,
        LabQuery::TopProducts => reports::top_products_sql(top_products),
    };
    // Our own constant SQL behind a fixed prefix: no user text is spliced in.
    let statement = format!("EXPLAIN (ANALYZE, BUFFERS, SETTINGS, FORMAT JSON) {sql}");
    let query_builder = sqlx::query_scalar::<_, serde_json::Value>(sqlx::AssertSqlSafe(statement));
    let query_builder = match query {
        LabQuery::CategoryListing => query_builder.bind(params.category).bind(20_i64).bind(0_i64),
        LabQuery::Search => query_builder
            .bind(products::contains_pattern(&params.q))
            .bind(20_i64),
        LabQuery::OrderItems => query_builder.bind(params.order),
        LabQuery::TopProducts => query_builder.bind(10_i64),
    };
    let mut db = Dedicated::open(pool).await?;
    let plan = async {
        let mut tx = db.conn().begin().await?;
        server_defaults(&mut tx).await?;
        if params.large_table {
            sqlx::raw_sql("SET LOCAL enable_seqscan = off")
                .execute(&mut *tx)
                .await?;
        }
        let plan = query_builder.fetch_one(&mut *tx).await;
        tx.rollback().await?;
        plan
    }
    .await;
    db.close().await?;
    plan
}

/// Where a setting's value may come from without being the server's own:
/// `pg_settings.source` for per-database, per-role and per-session values.
const NOT_THE_SERVERS: [&str; 5] = ["database", "user", "database user", "client", "session"];

/// Puts every planner setting (`Query Tuning`, `Resource Usage`, and
/// `search_path`) that a database, role, client or session changed back to
/// the server's value, for this transaction. The value is the one from
/// `postgresql.conf` when this role may read `pg_file_settings`
/// (superusers and `pg_read_all_settings`), else the built-in default.
async fn server_defaults(conn: &mut PgConnection) -> sqlx::Result<()> {
    let file_readable: bool = sqlx::query_scalar(
        "SELECT pg_has_role(current_user, 'pg_read_all_settings', 'MEMBER') \
         OR (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)",
    )
    .fetch_one(&mut *conn)
    .await?;
    let file_values = if file_readable {
        "(SELECT f.setting FROM pg_file_settings f \
          WHERE f.name = s.name AND f.applied AND f.error IS NULL)"
    } else {
        "NULL"
    };
    let statement = format!(
        "SELECT count(set_config(s.name, COALESCE({file_values}, s.boot_val), true)) \
         FROM pg_settings s \
         WHERE s.source = ANY($1) AND s.context IN ('user', 'superuser') \
           AND (s.category LIKE 'Query Tuning%' OR s.category LIKE 'Resource Usage%' \
                OR s.name = 'search_path')"
    );
    let reset: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(statement))
        .bind(NOT_THE_SERVERS.as_slice())
        .fetch_one(&mut *conn)
        .await?;
    if reset > 0 {
        tracing::info!(
            reset,
            "explain: planner settings put back to the server's values"
        );
    }
    Ok(())
}
