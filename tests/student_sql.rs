//! The student's indexes.sql is a contract, not a shell — against real
//! PostgreSQL through the shop's control API: every form outside what the labs
//! teach is refused with its line and column and changes nothing (row counts,
//! stored settings, constraints, indexes, relations, functions, extensions, and
//! no program run); every form the labs teach works; EXPLAIN cannot be made to
//! pass by a setting stored on the database; a held lock fails the apply within
//! lock_timeout; a request that goes away cancels its statement on the server;
//! seeding restores the schema's constraints and indexes and clears stored
//! settings; `perflab check` refuses the file before starting anything.
//!
//! A binary of its own, each test on a database of its own: they lock tables,
//! store database settings and install extensions.

mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

use common::{TestShop, problem, wait_until};
use futures::FutureExt;
use perflab::fixtures::{self, Scale, SeedOptions, SeedOutcome};
use perflab::shop::settings::ShopSettings;
use perflab::shop::store::indexes::{self, ApplyLimits, IndexError};
use reqwest::StatusCode;
use serde_json::Value;
use sqlx::{Connection, PgConnection, PgPool};

/// Long enough for any condition here on a busy 2-core machine, far shorter
/// than the 10-minute lock_timeout the cancellation tests use.
const PATIENCE: Duration = Duration::from_secs(60);

async fn apply(shop: &TestShop, query: &str, sql: &str) -> reqwest::Response {
    shop.http
        .post(shop.control(&format!("/indexes/apply{query}")))
        .bearer_auth(shop.control_token())
        .body(sql.to_string())
        .send()
        .await
        .expect("control request")
}

async fn pool(db: &str) -> PgPool {
    PgPool::connect(&common::database_url(db))
        .await
        .expect("connect")
}

async fn database_name(pool: &PgPool) -> String {
    sqlx::query_scalar("SELECT current_database()::text")
        .fetch_one(pool)
        .await
        .expect("current_database")
}

/// Everything a refused file must leave as it was.
#[derive(Debug, PartialEq, Eq)]
struct Snapshot {
    rows: (i64, i64, i64, i64, i64),
    lists: Vec<Vec<String>>,
}

async fn snapshot(pool: &PgPool) -> Snapshot {
    let rows = sqlx::query_as(
        "SELECT (SELECT count(*) FROM categories), (SELECT count(*) FROM products), \
                (SELECT count(*) FROM users), (SELECT count(*) FROM orders), \
                (SELECT count(*) FROM order_items)",
    )
    .fetch_one(pool)
    .await
    .expect("row counts");
    let mut lists = Vec::new();
    for query in [
        // Settings stored on this database, for every role or one.
        "SELECT setrole::regrole::text || ' ' || array_to_string(setconfig, ',') \
         FROM pg_db_role_setting \
         WHERE setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database())",
        "SELECT conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid) \
         FROM pg_constraint WHERE connamespace = current_schema()::regnamespace",
        "SELECT indexname || ' ' || indexdef FROM pg_indexes WHERE schemaname = current_schema()",
        "SELECT relname || ' ' || relkind::text FROM pg_class \
         WHERE relnamespace = current_schema()::regnamespace",
        "SELECT proname::text FROM pg_proc WHERE pronamespace = current_schema()::regnamespace",
        "SELECT extname::text FROM pg_extension",
        "SELECT tgname::text FROM pg_trigger WHERE NOT tgisinternal",
    ] {
        let mut list: Vec<String> = sqlx::query_scalar(query)
            .fetch_all(pool)
            .await
            .unwrap_or_else(|e| panic!("{query}: {e}"));
        list.sort();
        lists.push(list);
    }
    Snapshot { rows, lists }
}

#[tokio::test]
async fn every_form_outside_the_labs_is_refused_and_changes_nothing() {
    const DB: &str = "student_sql_refused";
    let shop = TestShop::start(DB, ShopSettings::default()).await;
    let pool = pool(DB).await;
    let database = database_name(&pool).await;
    let before = snapshot(&pool).await;
    let program_ran = tempfile::tempdir().expect("tempdir");
    let marker = program_ran.path().join("ran");
    // (statement, column of what is refused, reason); each follows a good
    // statement on line 1, which must not be applied either.
    let cases: Vec<(String, u64, &str)> = [
        ("COMMIT;\nDROP TABLE users;".to_string(), 1, "statement"),
        (
            format!("ALTER DATABASE {database} SET enable_seqscan = off;"),
            1,
            "statement",
        ),
        (
            "ALTER TABLE order_items ADD CONSTRAINT h UNIQUE (order_id, id);".into(),
            1,
            "statement",
        ),
        (
            format!("COPY (SELECT 1) TO PROGRAM 'touch {}';", marker.display()),
            1,
            "statement",
        ),
        ("CREATE EXTENSION dblink;".into(), 18, "extension"),
        ("CREATE TABLE t (x int);".into(), 1, "statement"),
        ("SET enable_seqscan = off;".into(), 1, "statement"),
        ("DROP TABLE products CASCADE;".into(), 1, "statement"),
        (
            "DO $$ BEGIN EXECUTE 'DROP TABLE users CASCADE'; END $$;".into(),
            1,
            "statement",
        ),
        ("SELECT pg_sleep(5);".into(), 1, "statement"),
        (
            "CREATE INDEX i ON perflab_meta (value);".into(),
            19,
            "table",
        ),
        (
            "CREATE INDEX i ON pg_catalog.pg_class (relname);".into(),
            19,
            "table",
        ),
        ("CREATE INDEX i ON pg_class (relname);".into(), 19, "table"),
        (
            "DROP INDEX order_items_product_id_idx;".into(),
            12,
            "not-your-index",
        ),
        (
            "DROP INDEX IF EXISTS products_pkey;".into(),
            22,
            "not-your-index",
        ),
        (
            "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1';".into(),
            1,
            "statement",
        ),
        (
            "CREATE INDEX i ON products (price) TABLESPACE pg_default;".into(),
            36,
            "syntax",
        ),
    ]
    .into();
    for (bad, column, reason) in cases {
        let sql = format!("CREATE INDEX leak ON products (stock);\n{bad}");
        let body = problem(
            apply(&shop, "", &sql).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(body["outcome"], "refused", "{bad}: {body}");
        assert_eq!(body["reason"], reason, "{bad}: {body}");
        assert_eq!(
            (body["line"].as_u64(), body["column"].as_u64()),
            (Some(2), Some(column)),
            "{bad}: {body}"
        );
        assert!(
            body["allowed"]
                .as_str()
                .is_some_and(|a| a.contains("CREATE [UNIQUE] INDEX"))
        );
        assert!(
            body["statement"].as_str().is_some_and(|s| !s.is_empty()),
            "{body}"
        );
        assert_eq!(snapshot(&pool).await, before, "{bad} changed the database");
    }
    assert!(!marker.exists(), "COPY … TO PROGRAM ran a program");
    pool.close().await;
    shop.stop().await;
}

#[tokio::test]
async fn errors_point_at_the_line_and_column_in_the_file() {
    const DB: &str = "student_sql_refused";
    let shop = TestShop::start(DB, ShopSettings::default()).await;
    let place = |body: &Value| (body["line"].as_u64(), body["column"].as_u64());
    let running = &shop;
    let refused = move |sql: &'static str| async move {
        problem(
            apply(running, "", sql).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await
    };
    // After blank lines and comments.
    let body = refused("\n\n-- a comment\n  /* x */ SET x = 1;").await;
    assert_eq!(place(&body), (Some(4), Some(11)), "{body}");
    // The second statement on one line.
    let body = refused("CREATE INDEX a ON products (stock); ALTER TABLE products ADD c int;").await;
    assert_eq!(place(&body), (Some(1), Some(37)), "{body}");
    assert_eq!(body["statement"], "ALTER TABLE products ADD c int");
    // PostgreSQL's own refusal, placed in the file: the second statement on
    // line 3, at the column PostgreSQL points to inside it.
    let line = "CREATE INDEX pos_ok ON products (stock);  CREATE INDEX pos_bad ON products ((price + nope));";
    let sql = format!("-- one\n\n{line}");
    let body = problem(
        apply(&shop, "", &sql).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(body["outcome"], "failed", "{body}");
    assert_eq!(body["reason"], "42703", "{body}");
    let column = line.find("nope").map(|i| i as u64 + 1);
    assert_eq!(place(&body), (Some(3), column), "{body}");
    // Where PostgreSQL gives no position, the statement's start.
    let line = "CREATE INDEX pos_ok ON products (stock); CREATE INDEX pos_bad ON products (nope);";
    let body = problem(
        apply(&shop, "", line).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    let column = line.find("CREATE INDEX pos_bad").map(|i| i as u64 + 1);
    assert_eq!(place(&body), (Some(1), column), "{body}");
    let detail = body["detail"].as_str().unwrap_or_default();
    assert!(detail.contains("\"nope\" does not exist"), "{detail}");
    let names: Value = shop.control_json("/indexes").await;
    assert_eq!(
        names["indexes"],
        serde_json::json!([]),
        "rolled back: {names}"
    );
    shop.stop().await;
}

#[tokio::test]
async fn every_form_the_labs_teach_works() {
    const DB: &str = "student_sql_accepted";
    let shop = TestShop::start(DB, ShopSettings::default()).await;
    let sql = "-- Lab 2.1\n\
        CREATE INDEX idx_cat_price ON products (category_id, price);\n\
        CREATE EXTENSION IF NOT EXISTS pg_trgm;\n\
        CREATE EXTENSION IF NOT EXISTS btree_gin; CREATE EXTENSION IF NOT EXISTS btree_gist;\n\
        CREATE INDEX IF NOT EXISTS idx_name_trgm ON products USING gin (name gin_trgm_ops);\n\
        CREATE UNIQUE INDEX idx_users_email ON users (lower(email));\n\
        CREATE INDEX idx_orders_user ON orders (user_id) INCLUDE (total) WHERE status = 'paid';\n\
        CREATE INDEX CONCURRENTLY idx_items_order ON order_items (order_id);\n\
        CREATE INDEX idx_gist ON orders USING gist (user_id);\n\
        create index idx_tmp on Categories using hash (slug);\n\
        DROP INDEX IF EXISTS idx_tmp;\n\
        DROP INDEX IF EXISTS idx_never_existed;\n\
        ANALYZE products; ANALYZE orders (user_id); ANALYZE;\n";
    let response = apply(&shop, "", sql).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.expect("json");
    let mut names: Vec<&str> = body["indexes"]
        .as_array()
        .expect("indexes")
        .iter()
        .filter_map(|i| i["name"].as_str())
        .collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "idx_cat_price",
            "idx_gist",
            "idx_items_order",
            "idx_name_trgm",
            "idx_orders_user",
            "idx_users_email"
        ]
    );
    let pool = pool(DB).await;
    let extensions: Vec<String> = sqlx::query_scalar(
        "SELECT extname::text FROM pg_extension WHERE extname <> 'plpgsql' ORDER BY 1",
    )
    .fetch_all(&pool)
    .await
    .expect("extensions");
    assert_eq!(extensions, ["btree_gin", "btree_gist", "pg_trgm"]);
    // Applied again, the index without IF NOT EXISTS already exists: PostgreSQL's
    // refusal, placed on line 2, and nothing of the file kept.
    let body = problem(
        apply(&shop, "", sql).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(
        (body["outcome"].as_str(), body["reason"].as_str()),
        (Some("failed"), Some("42P07"))
    );
    assert_eq!(body["line"], 2, "{body}");
    // Dropping one's own index is a lab form too.
    let response = apply(&shop, "", "DROP INDEX idx_gist;").await;
    assert_eq!(response.status(), StatusCode::OK);
    let dropped: Value = shop
        .http
        .post(shop.control("/indexes/drop"))
        .bearer_auth(shop.control_token())
        .send()
        .await
        .expect("drop")
        .json()
        .await
        .expect("json");
    assert_eq!(
        dropped["dropped"].as_array().map(Vec::len),
        Some(5),
        "{dropped}"
    );
    let schema_index: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_indexes WHERE indexname = 'order_items_product_id_idx'",
    )
    .fetch_one(&pool)
    .await
    .expect("count");
    assert_eq!(schema_index, 1);
    pool.close().await;
    shop.stop().await;
}

/// The plan's node types with their relation, depth first.
fn nodes(plan: &Value, out: &mut Vec<String>) {
    if let Some(kind) = plan["Node Type"].as_str() {
        let on = plan["Relation Name"].as_str().unwrap_or("");
        let index = plan["Index Name"].as_str().unwrap_or("");
        out.push(format!("{kind} {on} {index}").trim().to_string());
    }
    for child in plan["Plans"].as_array().into_iter().flatten() {
        nodes(child, out);
    }
}

#[tokio::test]
async fn explain_reads_the_servers_settings_not_the_databases() {
    const DB: &str = "student_sql_explain";
    let pool = pool(DB).await;
    let database = database_name(&pool).await;
    // Out of band, as a student's psql (or an old unguarded indexes.sql) could.
    for statement in [
        format!("ALTER DATABASE \"{database}\" SET enable_seqscan = off"),
        format!("ALTER ROLE CURRENT_USER IN DATABASE \"{database}\" SET seq_page_cost = 1000"),
    ] {
        sqlx::raw_sql(sqlx::AssertSqlSafe(statement))
            .execute(&pool)
            .await
            .expect("store a setting");
    }
    // The settings are in force for every new session on this database…
    let mut conn = PgConnection::connect(&common::database_url(DB))
        .await
        .expect("connect");
    let seqscan: String = sqlx::query_scalar("SHOW enable_seqscan")
        .fetch_one(&mut conn)
        .await
        .expect("show");
    assert_eq!(seqscan, "off", "the stored setting applies to new sessions");
    conn.close().await.ok();
    // …the shop's among them; its explain still plans with the server's.
    let shop = TestShop::start(DB, ShopSettings::default()).await;
    let plan: Value = shop.control_json("/explain/category_listing").await;
    let mut found = Vec::new();
    nodes(&plan[0]["Plan"], &mut found);
    assert!(
        found.iter().any(|n| n == "Seq Scan products"),
        "no index for this query, so a Seq Scan: {found:?}"
    );
    let settings = &plan[0]["Settings"];
    assert!(
        settings.get("enable_seqscan").is_none() && settings.get("seq_page_cost").is_none(),
        "the plan lists what differs from the defaults: {settings}"
    );
    shop.stop().await;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "ALTER DATABASE \"{database}\" RESET ALL; \
         ALTER ROLE CURRENT_USER IN DATABASE \"{database}\" RESET ALL"
    )))
    .execute(&pool)
    .await
    .expect("reset");
    pool.close().await;
}

/// Holds `LOCK TABLE products IN ACCESS EXCLUSIVE MODE` until committed.
async fn lock_products(db: &str) -> PgConnection {
    let mut conn = PgConnection::connect(&common::database_url(db))
        .await
        .expect("connect");
    sqlx::raw_sql("BEGIN; LOCK TABLE products IN ACCESS EXCLUSIVE MODE")
        .execute(&mut conn)
        .await
        .expect("lock");
    conn
}

/// The backend waiting on a lock to run `statement` (its prefix), if any.
async fn waiting_backend(pool: &PgPool, statement: &str) -> Option<i32> {
    sqlx::query_scalar(
        "SELECT pid FROM pg_stat_activity \
         WHERE datname = current_database() AND wait_event_type = 'Lock' \
           AND starts_with(query, $1)",
    )
    .bind(statement)
    .fetch_optional(pool)
    .await
    .expect("pg_stat_activity")
}

/// Waits (with a deadline) until `statement` waits on a lock; its backend.
async fn waiting_on_lock(pool: &PgPool, statement: &str) -> i32 {
    let deadline = std::time::Instant::now() + PATIENCE;
    loop {
        if let Some(pid) = waiting_backend(pool, statement).await {
            return pid;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for `{statement}` to wait on the lock"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn backend_alive(pool: &PgPool, pid: i32) -> bool {
    sqlx::query_scalar("SELECT count(*) > 0 FROM pg_stat_activity WHERE pid = $1")
        .bind(pid)
        .fetch_one(pool)
        .await
        .expect("pg_stat_activity")
}

#[tokio::test]
async fn a_held_lock_fails_the_apply_within_lock_timeout() {
    const DB: &str = "student_sql_lock";
    let shop = TestShop::start(DB, ShopSettings::default()).await;
    let mut locker = lock_products(DB).await;
    // The shop's default lock_timeout (5 s): a clear error, not a hang.
    let body = problem(
        apply(&shop, "", "CREATE INDEX locked_idx ON products (stock);").await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(
        (body["outcome"].as_str(), body["reason"].as_str()),
        (Some("failed"), Some("55P03"))
    );
    let detail = body["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains("lock_timeout") && detail.contains("another session"),
        "{detail}"
    );
    sqlx::raw_sql("COMMIT")
        .execute(&mut locker)
        .await
        .expect("unlock");
    locker.close().await.ok();
    let names: Value = shop.control_json("/indexes").await;
    assert_eq!(names["indexes"], serde_json::json!([]), "{names}");
    shop.stop().await;
}

#[tokio::test]
async fn a_request_that_goes_away_cancels_its_statement() {
    const DB: &str = "student_sql_cancel";
    let shop = TestShop::start(DB, ShopSettings::default()).await;
    let pool = pool(DB).await;
    let mut locker = lock_products(DB).await;
    let long = "?lock_timeout=10min&statement_timeout=10min";
    // Through the control API: the client hangs up.
    let request = {
        let http = shop.http.clone();
        let url = shop.control(&format!("/indexes/apply{long}"));
        let token = shop.control_token().to_string();
        tokio::spawn(async move {
            http.post(url)
                .bearer_auth(token)
                .body("CREATE INDEX cancel_http ON products (stock)")
                .send()
                .await
        })
    };
    let pid = waiting_on_lock(&pool, "CREATE INDEX cancel_http").await;
    request.abort();
    wait_until(PATIENCE, "the abandoned statement to stop", || {
        backend_alive(&pool, pid).map(|alive| !alive)
    })
    .await;
    // In the library: the future is dropped.
    let task = {
        let pool = pool.clone();
        let limits = ApplyLimits {
            statement_timeout: Duration::from_secs(600),
            lock_timeout: Duration::from_secs(600),
        };
        tokio::spawn(async move {
            indexes::apply(&pool, "CREATE INDEX cancel_lib ON products (stock)", limits).await
        })
    };
    let pid = waiting_on_lock(&pool, "CREATE INDEX cancel_lib").await;
    task.abort();
    wait_until(PATIENCE, "the dropped statement to stop", || {
        backend_alive(&pool, pid).map(|alive| !alive)
    })
    .await;
    sqlx::raw_sql("COMMIT")
        .execute(&mut locker)
        .await
        .expect("unlock");
    locker.close().await.ok();
    assert!(
        indexes::list(&pool).await.expect("list").is_empty(),
        "nothing was created"
    );
    pool.close().await;
    shop.stop().await;
}

#[tokio::test]
async fn postgres_itself_refuses_a_second_statement_in_one() {
    // What `apply` relies on if the parser and PostgreSQL ever disagreed on
    // where a statement ends: the extended protocol runs exactly one.
    let pool = pool("student_sql_refused").await;
    let error = sqlx::query("SELECT 1; SELECT 2")
        .persistent(false)
        .execute(&pool)
        .await
        .expect_err("two statements");
    assert!(error.to_string().contains("multiple commands"), "{error}");
    // And the guard's own refusal reaches a library caller as such.
    let refused = indexes::apply(&pool, "VACUUM products", ApplyLimits::default()).await;
    assert!(
        matches!(refused, Err(IndexError::Refused(_))),
        "{refused:?}"
    );
    pool.close().await;
}

#[tokio::test]
async fn seeding_restores_the_schema_and_clears_stored_settings() {
    const DB: &str = "student_sql_seed";
    let pool = pool(DB).await;
    let database = database_name(&pool).await;
    let options = |force| SeedOptions {
        scale: Scale::Small,
        seed: 7,
        force,
        progress: false,
    };
    let sound = snapshot(&pool).await;
    let tamper = |statements: String| {
        let pool = pool.clone();
        async move {
            sqlx::raw_sql(sqlx::AssertSqlSafe(statements))
                .execute(&pool)
                .await
                .expect("tamper")
        }
    };
    // What an unguarded indexes.sql did, and psql still can.
    tamper(format!(
        "DROP INDEX order_items_product_id_idx; \
         ALTER TABLE order_items ADD CONSTRAINT h UNIQUE (order_id, id); \
         ALTER TABLE products DROP CONSTRAINT products_price_check; \
         ALTER TABLE products ADD CONSTRAINT products_price_check CHECK (price >= -1); \
         ALTER TABLE orders DROP CONSTRAINT orders_user_fk; \
         CREATE INDEX order_items_product_id_idx ON order_items (quantity); \
         ALTER DATABASE \"{database}\" SET enable_seqscan = off; \
         ALTER ROLE CURRENT_USER IN DATABASE \"{database}\" SET work_mem = '64kB'"
    ))
    .await;
    assert_ne!(snapshot(&pool).await, sound);
    // A restart: the catalog is reused, and restored.
    let outcome = fixtures::seed(&pool, &options(false)).await.expect("seed");
    assert_eq!(outcome, SeedOutcome::Reused);
    assert_eq!(snapshot(&pool).await, sound, "restored in place");
    // A catalog seeded before the schema's fingerprint was kept in perflab_meta:
    // the reference comes from fixtures/schema.sql itself.
    tamper(
        "DELETE FROM perflab_meta WHERE key = 'schema_fingerprint'; \
         DROP INDEX order_items_product_id_idx"
            .into(),
    )
    .await;
    let outcome = fixtures::seed(&pool, &options(false)).await.expect("seed");
    assert_eq!(outcome, SeedOutcome::Reused);
    assert_eq!(
        snapshot(&pool).await,
        sound,
        "restored without a kept fingerprint"
    );
    // `perflab seed --force` restores a dropped schema index (and settings).
    tamper(format!(
        "DROP INDEX order_items_product_id_idx; \
         ALTER DATABASE \"{database}\" SET enable_seqscan = off"
    ))
    .await;
    let outcome = fixtures::seed(&pool, &options(true)).await.expect("seed");
    assert_eq!(outcome, SeedOutcome::Seeded);
    assert_eq!(snapshot(&pool).await, sound, "reloaded");
    // A change no repair can undo in place (a column) reloads the catalog.
    tamper("ALTER TABLE products ADD COLUMN extra int".into()).await;
    let outcome = fixtures::seed(&pool, &options(false)).await.expect("seed");
    assert_eq!(outcome, SeedOutcome::Seeded);
    assert_eq!(snapshot(&pool).await, sound, "reloaded");
    // All sound: one read, reused.
    let outcome = fixtures::seed(&pool, &options(false)).await.expect("seed");
    assert_eq!(outcome, SeedOutcome::Reused);
    pool.close().await;
}

#[test]
fn perflab_check_refuses_the_file_before_starting_anything() {
    let dir = tempfile::tempdir().expect("tempdir");
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_perflab"))
            .current_dir(dir.path())
            .args(args)
            .env("LANG", "C.UTF-8")
            .env("PERFLAB_STATE_DIR", dir.path().join(".state"))
            // Nothing may be reached: a refused file starts no service.
            .env("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none")
            .env("PERFLAB_SCRATCH", "false")
            .stdin(Stdio::null())
            .output()
            .expect("the perflab binary runs")
    };
    assert!(run(&["init", "ws"]).status.success());
    let ws = dir.path().join("ws");
    std::fs::write(
        ws.join("indexes.sql"),
        "-- mine\n\nCREATE INDEX ok ON products (stock); ALTER DATABASE perflab SET enable_seqscan = off;\n",
    )
    .expect("write indexes.sql");
    let output = Command::new(env!("CARGO_BIN_EXE_perflab"))
        .current_dir(&ws)
        .args(["--lang", "en", "check", "1.1"])
        .env("PERFLAB_STATE_DIR", dir.path().join(".state"))
        .env("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none")
        .env("PERFLAB_SCRATCH", "false")
        .stdin(Stdio::null())
        .output()
        .expect("the perflab binary runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    let path = ws.join("indexes.sql");
    let expected = format!("{}:3:38: ALTER DATABASE is not allowed", path.display());
    assert!(stderr.contains(&expected), "{stderr}");
    assert!(stderr.contains("CREATE [UNIQUE] INDEX"), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
}
