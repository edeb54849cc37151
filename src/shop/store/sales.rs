//! `product_sales`: units and revenue per product over every non-cancelled
//! order, the precomputed aggregate behind `[reports] top_products =
//! "summary"` (lab 4.2's fix).
//!
//! Seeding fills it with [`FILL_SQL`]; [`record_order`] adds an order's lines
//! inside the transaction that places it, so the summary is exact whenever
//! that transaction commits (and untouched when it rolls back). The shop has
//! no write that changes an order's status or deletes one: if one is added,
//! it must call [`record_status_change`] in its own transaction, which
//! subtracts a cancelled order's lines and adds them back when it is restored.
//! `tests/profile.rs` proves summary == live after writes.

use rust_decimal::Decimal;
use sqlx::PgConnection;

/// The summary, recomputed from every order item (seeding; 1M rows at the
/// `default` scale take a few seconds once, instead of on every report).
pub const FILL_SQL: &str = "INSERT INTO product_sales (product_id, units, revenue) \
     SELECT oi.product_id, sum(oi.quantity), sum(oi.quantity * oi.unit_price) \
     FROM order_items oi JOIN orders o ON o.id = oi.order_id \
     WHERE o.status <> 'cancelled' \
     GROUP BY oi.product_id";

/// Adds an order's lines (`ids`, `quantities`, `prices`, one entry per
/// product) to the summary, in the caller's transaction. The rows are locked
/// in product-id order (the caller's arrays are sorted by id), as the
/// products were, so two orders never deadlock here either.
pub async fn record_order(
    conn: &mut PgConnection,
    ids: &[i64],
    quantities: &[i32],
    prices: &[Decimal],
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO product_sales (product_id, units, revenue) \
         SELECT t.id, t.quantity, t.quantity * t.price \
         FROM unnest($1::bigint[], $2::int[], $3::numeric[]) AS t(id, quantity, price) \
         ORDER BY t.id \
         ON CONFLICT (product_id) DO UPDATE \
         SET units = product_sales.units + excluded.units, \
             revenue = product_sales.revenue + excluded.revenue",
    )
    .bind(ids)
    .bind(quantities)
    .bind(prices)
    .execute(conn)
    .await
    .map(drop)
}

/// Moves order `order_id` in or out of the summary when its status crosses
/// `cancelled`: `counted` is whether it counts after the change. Call it in
/// the transaction that changes the status, only when the status crosses.
/// Adding may create a product's row; subtracting updates rows that exist
/// (the order was counted), since an inserted negative row would fail the
/// table's CHECK before `ON CONFLICT` is considered.
pub async fn record_status_change(
    conn: &mut PgConnection,
    order_id: i64,
    counted: bool,
) -> sqlx::Result<()> {
    let sql = if counted {
        "INSERT INTO product_sales (product_id, units, revenue) \
         SELECT product_id, sum(quantity), sum(quantity * unit_price) \
         FROM order_items WHERE order_id = $1 GROUP BY product_id ORDER BY product_id \
         ON CONFLICT (product_id) DO UPDATE \
         SET units = product_sales.units + excluded.units, \
             revenue = product_sales.revenue + excluded.revenue"
    } else {
        "UPDATE product_sales s SET units = s.units - t.units, revenue = s.revenue - t.revenue \
         FROM (SELECT product_id, sum(quantity) AS units, sum(quantity * unit_price) AS revenue \
               FROM order_items WHERE order_id = $1 GROUP BY product_id) t \
         WHERE s.product_id = t.product_id"
    };
    sqlx::query(sql)
        .bind(order_id)
        .execute(conn)
        .await
        .map(drop)
}
