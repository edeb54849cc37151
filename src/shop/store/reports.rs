//! `/reports/top-products`: an honest aggregation over every order item — the
//! slow path the profiling lab (4.2) asks students to find and fix.

use rust_decimal::Decimal;
use serde::Serialize;
use sqlx::PgPool;

/// One line of the best-sellers report.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct TopProduct {
    pub product_id: i64,
    pub name: String,
    pub units: i64,
    pub revenue: Decimal,
}

/// Revenue per product over every non-cancelled order, best first.
pub const TOP_PRODUCTS_SQL: &str = "SELECT p.id AS product_id, p.name, \
       sum(oi.quantity)::bigint AS units, sum(oi.quantity * oi.unit_price) AS revenue \
     FROM order_items oi \
     JOIN orders o ON o.id = oi.order_id \
     JOIN products p ON p.id = oi.product_id \
     WHERE o.status <> 'cancelled' \
     GROUP BY p.id, p.name \
     ORDER BY revenue DESC, p.id \
     LIMIT $1";

pub async fn top_products(pool: &PgPool, limit: i64) -> sqlx::Result<Vec<TopProduct>> {
    sqlx::query_as(TOP_PRODUCTS_SQL)
        .bind(limit)
        .fetch_all(pool)
        .await
}
