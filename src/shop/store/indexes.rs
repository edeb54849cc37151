//! The student's indexes: applying `workspace/indexes.sql` and dropping it again.
//!
//! The catalog starts with primary keys, foreign keys and the schema's own
//! [`SCHEMA_INDEXES`], so every other index that does not back a constraint on
//! the shop's tables is the student's: listed, and dropped on reset. Apply
//! runs the whole file in one transaction: bad SQL changes nothing and the
//! student reads PostgreSQL's own message.

use serde::Serialize;
use sqlx::postgres::PgErrorPosition;
use sqlx::{Executor, PgPool};

/// The shop's tables, the only ones perflab looks at or drops indexes from.
pub const SHOP_TABLES: [&str; 5] = ["categories", "products", "users", "orders", "order_items"];

/// Secondary indexes `fixtures/schema.sql` creates because the shop's own
/// queries need them (a product's `sold`): never the student's, so never
/// listed or dropped here.
pub const SCHEMA_INDEXES: [&str; 1] = ["order_items_product_id_idx"];

/// A secondary index on a shop table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct StudentIndex {
    pub name: String,
    pub table: String,
    pub definition: String,
}

/// PostgreSQL refused the student's SQL.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    /// PostgreSQL's own words, with its SQLSTATE and, when it gives one, the
    /// position in the file.
    #[error("{message}")]
    Rejected { message: String },
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// Secondary indexes (not backing a primary key, unique or exclusion
/// constraint, and not the schema's own) on the shop's tables.
pub async fn list(pool: &PgPool) -> sqlx::Result<Vec<StudentIndex>> {
    sqlx::query_as(
        "SELECT i.relname AS name, t.relname AS \"table\", pg_get_indexdef(i.oid) AS definition \
         FROM pg_index x \
         JOIN pg_class i ON i.oid = x.indexrelid \
         JOIN pg_class t ON t.oid = x.indrelid \
         JOIN pg_namespace n ON n.oid = t.relnamespace \
         WHERE n.nspname = current_schema() AND t.relname = ANY($1) \
           AND i.relname <> ALL($2) \
           AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid) \
         ORDER BY t.relname, i.relname",
    )
    .bind(SHOP_TABLES.as_slice())
    .bind(SCHEMA_INDEXES.as_slice())
    .fetch_all(pool)
    .await
}

/// Runs the student's SQL in one transaction and returns the indexes that now
/// exist. On error nothing is changed and the error carries PostgreSQL's message.
pub async fn apply(pool: &PgPool, sql: &str) -> Result<Vec<StudentIndex>, IndexError> {
    let mut tx = pool.begin().await?;
    // The student's file is the point of this call, so it is run as written;
    // the simple query protocol allows several statements in one file.
    let result = tx
        .execute(sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned())))
        .await;
    if let Err(error) = result {
        // Dropping `tx` rolls back; say it explicitly for the reader.
        tx.rollback().await?;
        return Err(rejected(error, sql));
    }
    tx.commit().await?;
    // Fresh statistics so the planner judges the new indexes on real numbers.
    sqlx::query("ANALYZE products, orders, order_items, users, categories")
        .execute(pool)
        .await?;
    Ok(list(pool).await?)
}

/// Drops every student index; returns their names.
pub async fn drop_all(pool: &PgPool) -> sqlx::Result<Vec<String>> {
    let indexes = list(pool).await?;
    for index in &indexes {
        let statement = format!("DROP INDEX IF EXISTS {}", quote_ident(&index.name));
        sqlx::query(sqlx::AssertSqlSafe(statement))
            .execute(pool)
            .await?;
    }
    Ok(indexes.into_iter().map(|i| i.name).collect())
}

fn rejected(error: sqlx::Error, sql: &str) -> IndexError {
    match error {
        sqlx::Error::Database(db) => {
            let pg = db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>();
            let mut message = format!("ERROR: {}", db.message());
            if let Some(pg) = pg {
                message = format!("ERROR {}: {}", pg.code(), pg.message());
                if let Some(PgErrorPosition::Original(position)) = pg.position() {
                    let (line, column) = line_and_column(sql, position);
                    message.push_str(&format!(" (at line {line}, column {column})"));
                }
                if let Some(detail) = pg.detail() {
                    message.push_str(&format!(" (DETAIL: {detail})"));
                }
                if let Some(hint) = pg.hint() {
                    message.push_str(&format!(" (HINT: {hint})"));
                }
            }
            IndexError::Rejected { message }
        }
        other => IndexError::Database(other),
    }
}

/// PostgreSQL reports a 1-based character position in the whole file; the
/// student's editor counts lines and columns.
fn line_and_column(sql: &str, position: usize) -> (usize, usize) {
    let before: String = sql.chars().take(position.saturating_sub(1)).collect();
    let line = before.matches('\n').count() + 1;
    let column = before.chars().rev().take_while(|&c| c != '\n').count() + 1;
    (line, column)
}

/// Quotes an identifier the way PostgreSQL does (`"a""b"`).
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_become_lines_and_columns() {
        let sql = "CREATE INDEX a ON t (x);\nCREATE INDEKS b";
        // PostgreSQL points at "INDEKS": character 33, 1-based.
        assert_eq!(line_and_column(sql, 33), (2, 8));
        assert_eq!(line_and_column(sql, 1), (1, 1));
    }

    #[test]
    fn schema_indexes_are_created_by_the_schema() {
        for name in SCHEMA_INDEXES {
            assert!(
                crate::fixtures::SCHEMA_SQL.contains(&format!("CREATE INDEX {name} ON")),
                "{name}"
            );
        }
    }

    #[test]
    fn identifiers_are_quoted() {
        assert_eq!(quote_ident("idx\"x"), "\"idx\"\"x\"");
    }
}
