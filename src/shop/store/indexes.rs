//! The student's indexes: applying `workspace/indexes.sql` and dropping it again.
//!
//! The catalog starts with primary keys, foreign keys and the schema's own
//! [`SCHEMA_INDEXES`], so every other index that does not back a constraint on
//! the shop's tables is the student's: listed, and dropped on reset.
//!
//! Apply first passes the file through [`student_sql::check`] (only what the
//! labs teach), then asks the database what only it knows (which schema a
//! table resolves to, whose index a `DROP INDEX` names), and only then runs
//! the statements, each on its own through the extended protocol (PostgreSQL
//! itself refuses a second statement hidden in one), in one transaction under
//! `statement_timeout` and `lock_timeout`, on a [`Dedicated`] connection that
//! is cancelled on the server if the caller goes away. A refusal or a failure
//! changes nothing.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use sqlx::postgres::PgErrorPosition;
use sqlx::{Acquire, PgConnection, PgPool};

use super::dedicated::Dedicated;
use super::student_sql::{self, Action, Position, Reason, Refused, StudentSql};

/// The shop's tables, the only ones perflab looks at or drops indexes from.
pub const SHOP_TABLES: [&str; 5] = ["categories", "products", "users", "orders", "order_items"];

/// Secondary indexes `fixtures/schema.sql` creates because the shop's own
/// queries need them (a product's `sold`, the top-products summary's ranking):
/// never the student's, so never listed or dropped here.
pub const SCHEMA_INDEXES: [&str; 2] = ["order_items_product_id_idx", "product_sales_revenue_idx"];

/// A secondary index on a shop table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct StudentIndex {
    pub name: String,
    pub table: String,
    pub definition: String,
}

/// How long the student's statements may run and wait for a lock. The
/// control API takes them as query parameters (`?lock_timeout=30s`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ApplyLimits {
    /// Per statement: an index over the default catalog's million order
    /// items takes a few seconds; a minute means something is wrong.
    #[serde(with = "humantime_serde")]
    pub statement_timeout: Duration,
    /// How long a statement waits for a table another session has locked
    /// before giving up with a clear error instead of hanging.
    #[serde(with = "humantime_serde")]
    pub lock_timeout: Duration,
}

impl Default for ApplyLimits {
    fn default() -> Self {
        Self {
            statement_timeout: Duration::from_secs(60),
            lock_timeout: Duration::from_secs(5),
        }
    }
}

impl ApplyLimits {
    /// The longest either limit may be; zero would mean "no limit" to PostgreSQL.
    pub const MAX: Duration = Duration::from_secs(3600);

    /// Whether both limits are within (0, [`Self::MAX`]].
    pub fn is_valid(&self) -> bool {
        [self.statement_timeout, self.lock_timeout]
            .iter()
            .all(|d| d.as_millis() >= 1 && *d <= Self::MAX)
    }
}

/// Why the student's SQL did not apply; nothing was changed in any case.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    /// The guard refused the file (or, for `DROP INDEX`, the database said
    /// the index is not the student's) before any statement ran.
    #[error(transparent)]
    Refused(#[from] Refused),
    /// PostgreSQL refused a statement while it ran.
    #[error(transparent)]
    Failed(#[from] Failed),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// PostgreSQL's refusal of one statement, placed in the student's file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{}", self.place(), self.explanation())]
pub struct Failed {
    /// Where in the file; `None` for perflab's own statements (dropping).
    pub position: Option<Position>,
    /// The statement's first words.
    pub statement: String,
    /// PostgreSQL's SQLSTATE (`42703`, `55P03`…).
    pub code: String,
    pub message: String,
    pub detail: Option<String>,
    pub hint: Option<String>,
    pub limits: ApplyLimits,
}

impl Failed {
    fn place(&self) -> String {
        match self.position {
            Some(p) => format!("line {}, column {}: ", p.line, p.column),
            None => String::new(),
        }
    }

    fn explanation(&self) -> String {
        let statement = &self.statement;
        match self.code.as_str() {
            // lock_not_available: our lock_timeout fired.
            "55P03" => format!(
                "`{statement}` waited {} for a table another session holds locked \
                 (lock_timeout); finish or stop that session (an open psql transaction?) \
                 and apply again",
                humantime::format_duration(self.limits.lock_timeout)
            ),
            // query_canceled: our statement_timeout (or a cancel) fired.
            "57014" => format!(
                "`{statement}` was stopped after {} (statement_timeout) or cancelled; \
                 nothing was changed",
                humantime::format_duration(self.limits.statement_timeout)
            ),
            code => {
                let mut text = format!(
                    "PostgreSQL refused `{statement}`: ERROR {code}: {}",
                    self.message
                );
                if let Some(detail) = &self.detail {
                    text.push_str(&format!(" (DETAIL: {detail})"));
                }
                if let Some(hint) = &self.hint {
                    text.push_str(&format!(" (HINT: {hint})"));
                }
                text
            }
        }
    }
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

/// Checks the student's SQL, runs it in one transaction and returns the
/// indexes that now exist. On any error nothing is changed.
pub async fn apply(
    pool: &PgPool,
    sql: &str,
    limits: ApplyLimits,
) -> Result<Vec<StudentIndex>, IndexError> {
    let checked = student_sql::check(sql)?;
    let mut db = Dedicated::open(pool).await?;
    let applied = run(db.conn(), &checked, limits).await;
    // Closed only once the work is done: dropped before that (the caller went
    // away), the guard cancels the statement on the server.
    db.close().await?;
    applied?;
    Ok(list(pool).await?)
}

async fn run(
    conn: &mut PgConnection,
    checked: &StudentSql,
    limits: ApplyLimits,
) -> Result<(), IndexError> {
    let mut tx = conn.begin().await?;
    set_limits(&mut tx, limits).await?;
    vouch(&mut tx, checked).await?;
    for statement in &checked.statements {
        // The extended protocol runs exactly one statement: were the parser
        // and PostgreSQL ever to disagree on where one ends, PostgreSQL
        // refuses instead of running a second.
        sqlx::query(sqlx::AssertSqlSafe(statement.sql.clone()))
            .persistent(false)
            .execute(&mut *tx)
            .await
            .map_err(|e| failed(e, Some((checked, statement)), limits))?;
    }
    // Fresh statistics so the planner judges the new indexes on real numbers.
    sqlx::query("ANALYZE products, orders, order_items, users, categories")
        .execute(&mut *tx)
        .await
        .map_err(|e| failed(e, None, limits))?;
    tx.commit().await?;
    Ok(())
}

/// `SET LOCAL` of the limits, and of the client check where the server has it.
async fn set_limits(conn: &mut PgConnection, limits: ApplyLimits) -> sqlx::Result<()> {
    let ms = |d: Duration| format!("{}ms", d.as_millis());
    sqlx::query(
        "SELECT set_config('statement_timeout', $1, true), \
                set_config('lock_timeout', $2, true), \
                (SELECT set_config(name, '1s', true) FROM pg_settings \
                 WHERE name = 'client_connection_check_interval')",
    )
    .bind(ms(limits.statement_timeout))
    .bind(ms(limits.lock_timeout))
    .execute(conn)
    .await?;
    Ok(())
}

/// What only the database knows, checked for every statement before any runs:
/// a table resolves to the shop's schema, and a `DROP INDEX` names the
/// student's own index (or nothing yet: one the file creates, or `IF EXISTS`).
async fn vouch(conn: &mut PgConnection, checked: &StudentSql) -> Result<(), IndexError> {
    for statement in &checked.statements {
        match &statement.action {
            Action::CreateIndex { table } | Action::Analyze { table: Some(table) } => {
                let elsewhere: Option<bool> = sqlx::query_scalar(
                    "SELECT n.nspname <> current_schema() FROM pg_class c \
                     JOIN pg_namespace n ON n.oid = c.relnamespace \
                     WHERE c.oid = to_regclass($1)",
                )
                .bind(table.quoted())
                .fetch_optional(&mut *conn)
                .await?;
                if elsewhere == Some(true) {
                    let reason = Reason::Table(table.display());
                    return Err(statement.refuse(table.position, reason).into());
                }
            }
            Action::DropIndex { names } => {
                for name in names {
                    let student: Option<bool> = sqlx::query_scalar(
                        "SELECT c.oid = ANY(ARRAY(SELECT x.indexrelid FROM pg_index x \
                           JOIN pg_class i ON i.oid = x.indexrelid \
                           JOIN pg_class t ON t.oid = x.indrelid \
                           JOIN pg_namespace n ON n.oid = t.relnamespace \
                           WHERE n.nspname = current_schema() AND t.relname = ANY($2) \
                             AND i.relname <> ALL($3) \
                             AND NOT EXISTS (SELECT 1 FROM pg_constraint k \
                                             WHERE k.conindid = x.indexrelid))) \
                         FROM pg_class c WHERE c.oid = to_regclass($1)",
                    )
                    .bind(name.quoted())
                    .bind(SHOP_TABLES.as_slice())
                    .bind(SCHEMA_INDEXES.as_slice())
                    .fetch_optional(&mut *conn)
                    .await?;
                    if student == Some(false) {
                        let reason = Reason::NotYourIndex(name.display());
                        return Err(statement.refuse(name.position, reason).into());
                    }
                }
            }
            Action::CreateExtension | Action::Analyze { table: None } => {}
        }
    }
    Ok(())
}

/// Drops every student index in one transaction (under `lock_timeout`);
/// returns their names.
pub async fn drop_all(pool: &PgPool, limits: ApplyLimits) -> Result<Vec<String>, IndexError> {
    let indexes = list(pool).await?;
    if indexes.is_empty() {
        return Ok(Vec::new());
    }
    let mut db = Dedicated::open(pool).await?;
    let dropped = drop_each(db.conn(), &indexes, limits).await;
    db.close().await?;
    dropped?;
    Ok(indexes.into_iter().map(|i| i.name).collect())
}

async fn drop_each(
    conn: &mut PgConnection,
    indexes: &[StudentIndex],
    limits: ApplyLimits,
) -> Result<(), IndexError> {
    let mut tx = conn.begin().await?;
    set_limits(&mut tx, limits).await?;
    for index in indexes {
        let statement = format!("DROP INDEX IF EXISTS {}", quote_ident(&index.name));
        sqlx::query(sqlx::AssertSqlSafe(statement))
            .execute(&mut *tx)
            .await
            .map_err(|e| failed(e, None, limits))?;
    }
    tx.commit().await?;
    Ok(())
}

/// A database error while running `statement` of the student's file (or one
/// of perflab's own when `None`), placed in the file.
fn failed(
    error: sqlx::Error,
    statement: Option<(&StudentSql, &student_sql::Statement)>,
    limits: ApplyLimits,
) -> IndexError {
    let sqlx::Error::Database(db) = &error else {
        return IndexError::Database(error);
    };
    let Some(pg) = db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>() else {
        return IndexError::Database(error);
    };
    let position = statement.map(|(checked, statement)| match pg.position() {
        Some(PgErrorPosition::Original(at)) => checked.position_in(statement, at),
        _ => statement.position,
    });
    IndexError::Failed(Failed {
        position,
        statement: statement
            .map(|(_, s)| s.summary.clone())
            .unwrap_or_else(|| "perflab's own statement".into()),
        code: pg.code().to_string(),
        message: pg.message().to_string(),
        detail: pg.detail().map(str::to_string),
        hint: pg.hint().map(str::to_string),
        limits,
    })
}

/// Quotes an identifier the way PostgreSQL does (`"a""b"`).
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn limits_must_be_positive_and_bounded() {
        assert!(ApplyLimits::default().is_valid());
        let zero = ApplyLimits {
            lock_timeout: Duration::ZERO,
            ..ApplyLimits::default()
        };
        assert!(!zero.is_valid(), "0 means no limit to PostgreSQL");
        let long = ApplyLimits {
            statement_timeout: ApplyLimits::MAX + Duration::from_secs(1),
            ..ApplyLimits::default()
        };
        assert!(!long.is_valid());
    }

    #[test]
    fn failures_say_where_and_what_to_do() {
        let failed = |code: &str| Failed {
            position: Some(Position { line: 3, column: 7 }),
            statement: "CREATE INDEX a ON products (x)".into(),
            code: code.into(),
            message: "column \"x\" does not exist".into(),
            detail: None,
            hint: Some("a hint".into()),
            limits: ApplyLimits::default(),
        };
        let text = failed("42703").to_string();
        assert!(
            text.starts_with("line 3, column 7: PostgreSQL refused"),
            "{text}"
        );
        assert!(
            text.contains("ERROR 42703") && text.contains("(HINT: a hint)"),
            "{text}"
        );
        let text = failed("55P03").to_string();
        assert!(
            text.contains("waited 5s") && text.contains("lock_timeout"),
            "{text}"
        );
        let text = failed("57014").to_string();
        assert!(
            text.contains("1m") && text.contains("statement_timeout"),
            "{text}"
        );
    }

    #[test]
    fn identifiers_are_quoted() {
        assert_eq!(quote_ident("idx\"x"), "\"idx\"\"x\"");
    }
}
