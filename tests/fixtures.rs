//! Seeding against a real PostgreSQL (`PERFLAB_TEST_PG`, default
//! `postgres://postgres@127.0.0.1:5432`, a superuser with trust auth).
//!
//! Every test seeds its own database, named after the test and the process id,
//! and drops it when its guard goes out of scope — also when the test fails —
//! so the tests run in parallel without seeing each other.

use std::time::{Duration, Instant};

use perflab::fixtures::{self, Scale, SeedOptions, SeedOutcome, users};
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;

fn server_url() -> String {
    std::env::var("PERFLAB_TEST_PG").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

/// A scratch database that is dropped (connections and all) on drop.
struct TestDb {
    name: String,
    pool: PgPool,
}

impl TestDb {
    async fn create(test: &str) -> Self {
        let name = format!("perflab_fx_{test}_{}", std::process::id());
        let admin = PgPool::connect(&format!("{}/postgres", server_url()))
            .await
            .expect("connect to the test PostgreSQL server");
        let drop = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
        let create = format!("CREATE DATABASE {name}");
        for sql in [drop, create] {
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                .execute(&admin)
                .await
                .expect("create the test database");
        }
        admin.close().await;
        let pool = PgPoolOptions::new()
            .max_connections(4)
            .connect(&format!("{}/{name}", server_url()))
            .await
            .expect("connect to the test database");
        Self { name, pool }
    }

    async fn seed(&self, scale: Scale, seed: u64, force: bool) -> SeedOutcome {
        fixtures::seed(&self.pool, &options(scale, seed, force))
            .await
            .expect("seed")
    }

    async fn scalar<T>(&self, sql: &'static str) -> T
    where
        T: for<'r> sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres> + Send + Unpin,
    {
        sqlx::query_scalar(sql)
            .fetch_one(&self.pool)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    /// One md5 per shop table over its rows, ordered by their text (every
    /// table has a key, so the order is total; the sales summary has no `id`).
    async fn fingerprint(&self) -> Vec<String> {
        let mut sums = Vec::new();
        for table in fixtures::TABLES {
            let sql =
                format!("SELECT md5(string_agg(t::text, ',' ORDER BY t::text)) FROM {table} t");
            let sum: String = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                .fetch_one(&self.pool)
                .await
                .expect("fingerprint");
            sums.push(sum);
        }
        sums
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        // Drop runs inside the test's runtime, which cannot block on itself:
        // a short-lived thread with its own runtime drops the database.
        let name = self.name.clone();
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async move {
                let admin = PgPool::connect(&format!("{}/postgres", server_url())).await?;
                let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                    .execute(&admin)
                    .await
                    .map(|_| ())
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("could not drop test database {}: {dropped:?}", self.name);
        }
    }
}

fn options(scale: Scale, seed: u64, force: bool) -> SeedOptions {
    SeedOptions {
        scale,
        seed,
        force,
        progress: false,
    }
}

#[tokio::test]
async fn small_catalog_has_the_labs_shape() {
    let db = TestDb::create("shape").await;
    assert_eq!(db.seed(Scale::Small, 42, false).await, SeedOutcome::Seeded);
    let counts = fixtures::counts(Scale::Small);

    assert_eq!(
        db.scalar::<i64>("SELECT count(*) FROM categories").await,
        counts.categories
    );
    assert_eq!(
        db.scalar::<i64>("SELECT count(*) FROM products").await,
        counts.products
    );
    assert_eq!(
        db.scalar::<i64>("SELECT count(*) FROM users").await,
        counts.users
    );
    assert_eq!(
        db.scalar::<i64>("SELECT count(*) FROM orders").await,
        counts.orders
    );
    let items = db.scalar::<i64>("SELECT count(*) FROM order_items").await;
    assert!(
        (counts.order_items * 9 / 10..counts.order_items * 11 / 10).contains(&items),
        "{items} order items"
    );

    // The five foreign keys exist and were validated.
    let fks = "SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND convalidated";
    assert_eq!(db.scalar::<i64>(fks).await, 5);
    // The "before" state: primary keys, and only the index the product page's
    // units sold needs (the database labs add the others).
    let secondary = "SELECT string_agg(c.relname, ',') FROM pg_index i \
         JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid \
         WHERE t.relname IN ('categories', 'users', 'products', 'orders', 'order_items') \
         AND NOT i.indisprimary";
    assert_eq!(
        db.scalar::<Option<String>>(secondary).await.as_deref(),
        Some("order_items_product_id_idx")
    );

    // The sales summary (lab 4.2) is the orders' own sum, product by product.
    let summary_off = "SELECT count(*) FROM ( \
         (SELECT product_id, units, revenue FROM product_sales \
          EXCEPT SELECT oi.product_id, sum(oi.quantity), sum(oi.quantity * oi.unit_price) \
          FROM order_items oi JOIN orders o ON o.id = oi.order_id \
          WHERE o.status <> 'cancelled' GROUP BY oi.product_id) \
         UNION ALL \
         (SELECT oi.product_id, sum(oi.quantity), sum(oi.quantity * oi.unit_price) \
          FROM order_items oi JOIN orders o ON o.id = oi.order_id \
          WHERE o.status <> 'cancelled' GROUP BY oi.product_id \
          EXCEPT SELECT product_id, units, revenue FROM product_sales)) d";
    assert_eq!(db.scalar::<i64>(summary_off).await, 0);

    let wrong_totals = "SELECT count(*) FROM orders o WHERE o.total <> \
         (SELECT sum(quantity * unit_price) FROM order_items i WHERE i.order_id = o.id)";
    assert_eq!(db.scalar::<i64>(wrong_totals).await, 0);
    let empty_orders = "SELECT count(*) FROM orders o WHERE NOT EXISTS (SELECT 1 FROM order_items i WHERE i.order_id = o.id)";
    assert_eq!(db.scalar::<i64>(empty_orders).await, 0);
    let wrong_prices = "SELECT count(*) FROM order_items i JOIN products p ON p.id = i.product_id \
         WHERE i.unit_price <> p.price";
    assert_eq!(db.scalar::<i64>(wrong_prices).await, 0);
    assert_eq!(
        db.scalar::<i64>("SELECT count(*) FROM products WHERE stock < 0")
            .await,
        0
    );

    let admin = "SELECT role || '/' || tier FROM users WHERE id = 1";
    assert_eq!(db.scalar::<String>(admin).await, "admin/admin");
    let premium = db
        .scalar::<i64>("SELECT count(*) FROM users WHERE tier = 'premium' AND role = 'customer'")
        .await;
    assert!((5..50).contains(&premium), "{premium} premium users");

    // Identity sequences were advanced: inserts without ids get fresh ones.
    let new_id = "INSERT INTO products (category_id, name, description, price, stock) \
         VALUES (1, 'New', 'Inserted by the test', 9.99, 3) RETURNING id";
    assert_eq!(db.scalar::<i64>(new_id).await, counts.products + 1);
    let new_order = "INSERT INTO orders (user_id, total) VALUES (2, 0) RETURNING id";
    assert_eq!(db.scalar::<i64>(new_order).await, counts.orders + 1);
    let new_item = "INSERT INTO order_items (order_id, product_id, quantity, unit_price) \
         VALUES (1, 1, 1, 1) RETURNING id";
    assert_eq!(db.scalar::<i64>(new_item).await, items + 1);

    // ANALYZE ran: the planner has statistics.
    let stats = "SELECT count(*) FROM pg_stats WHERE tablename = 'products'";
    assert!(db.scalar::<i64>(stats).await > 0);
}

#[tokio::test]
async fn small_catalog_is_skewed() {
    let db = TestDb::create("skew").await;
    db.seed(Scale::Small, 7, false).await;

    let top_share = "WITH per_product AS (SELECT product_id, count(*) AS n FROM order_items \
         GROUP BY product_id ORDER BY n DESC LIMIT (SELECT count(*) / 100 FROM products)) \
         SELECT (SELECT sum(n) FROM per_product)::float8 / (SELECT count(*) FROM order_items)";
    let share = db.scalar::<f64>(top_share).await;
    assert!(
        share >= 0.15,
        "top 1 % of products hold {share:.3} of order items"
    );

    let sold_out = db
        .scalar::<f64>("SELECT avg((stock = 0)::int)::float8 FROM products")
        .await;
    assert!((0.01..0.08).contains(&sold_out), "{sold_out:.3} sold out");

    let typical = "SELECT avg((price BETWEEN 5 AND 100)::int)::float8 FROM products";
    assert!(db.scalar::<f64>(typical).await > 0.6);
    assert!(
        db.scalar::<f64>("SELECT max(price)::float8 FROM products")
            .await
            > 1_000.0
    );

    let biggest = "SELECT max(n)::float8 / sum(n) FROM \
         (SELECT count(*) AS n FROM products GROUP BY category_id) c";
    let biggest = db.scalar::<f64>(biggest).await;
    assert!(
        (0.1..0.4).contains(&biggest),
        "biggest category {biggest:.3}"
    );

    for word in ["keyboard", "zapatillas", "aluminio"] {
        let sql = format!("SELECT avg((name ILIKE '%{word}%')::int)::float8 FROM products");
        let fraction: f64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .fetch_one(&db.pool)
            .await
            .expect("ilike");
        assert!((0.001..0.03).contains(&fraction), "{word}: {fraction:.4}");
    }

    let sizes =
        "SELECT avg(n)::float8 FROM (SELECT count(*) AS n FROM order_items GROUP BY order_id) o";
    let mean = db.scalar::<f64>(sizes).await;
    assert!((4.5..6.0).contains(&mean), "mean order size {mean:.2}");
    let max = "SELECT max(n) FROM (SELECT count(*) AS n FROM order_items GROUP BY order_id) o";
    assert!(db.scalar::<i64>(max).await <= 10);

    let span = "SELECT extract(day FROM max(created_at) - min(created_at))::float8 FROM orders";
    assert!(db.scalar::<f64>(span).await > 700.0);
}

#[tokio::test]
async fn fixture_credentials_verify() {
    let db = TestDb::create("creds").await;
    db.seed(Scale::Small, 3, false).await;
    for id in [1_i64, 2, 7, 200] {
        let (email, password) = users::credentials(id);
        let (stored_email, hash): (String, String) =
            sqlx::query_as("SELECT email, password_hash FROM users WHERE id = $1")
                .bind(id)
                .fetch_one(&db.pool)
                .await
                .expect("fixture user");
        assert_eq!(stored_email, email);
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(fixtures::verify_password(password, &hash), "user {id}");
        assert!(!fixtures::verify_password("wrong", &hash));
    }
    let distinct = "SELECT count(DISTINCT password_hash) FROM users";
    assert_eq!(db.scalar::<i64>(distinct).await, 5);
}

#[tokio::test]
async fn same_seed_same_rows_other_seed_differs() {
    let (a, b, c) = tokio::join!(
        TestDb::create("det_a"),
        TestDb::create("det_b"),
        TestDb::create("det_c")
    );
    a.seed(Scale::Small, 11, false).await;
    b.seed(Scale::Small, 11, false).await;
    c.seed(Scale::Small, 12, false).await;
    let (fa, fb, fc) = (
        a.fingerprint().await,
        b.fingerprint().await,
        c.fingerprint().await,
    );
    assert_eq!(fa, fb);
    // Categories are fixed names; every other table depends on the seed.
    for i in 1..fa.len() {
        assert_ne!(fa[i], fc[i], "table {}", fixtures::TABLES[i]);
    }
}

#[tokio::test]
async fn marker_reuses_and_reseeds() {
    let db = TestDb::create("marker").await;
    assert_eq!(db.seed(Scale::Small, 1, false).await, SeedOutcome::Seeded);
    let fingerprint = db.fingerprint().await;

    let started = Instant::now();
    assert_eq!(db.seed(Scale::Small, 1, false).await, SeedOutcome::Reused);
    assert!(started.elapsed() < Duration::from_millis(500));
    assert!(
        fixtures::is_seeded(&db.pool, &options(Scale::Small, 1, false))
            .await
            .expect("marker")
    );

    // A student's index disappears with a forced reseed; the rows are the same.
    sqlx::raw_sql("CREATE INDEX student_idx ON products (category_id)")
        .execute(&db.pool)
        .await
        .expect("student index");
    assert_eq!(db.seed(Scale::Small, 1, true).await, SeedOutcome::Seeded);
    let indexes = "SELECT count(*) FROM pg_indexes WHERE indexname = 'student_idx'";
    assert_eq!(db.scalar::<i64>(indexes).await, 0);
    assert_eq!(db.fingerprint().await, fingerprint);

    // Another seed is another catalog.
    assert!(
        !fixtures::is_seeded(&db.pool, &options(Scale::Small, 2, false))
            .await
            .expect("marker")
    );
    assert_eq!(db.seed(Scale::Small, 2, false).await, SeedOutcome::Seeded);
    assert_ne!(db.fingerprint().await, fingerprint);

    // A missing marker or a missing table means "not seeded".
    sqlx::raw_sql("DELETE FROM perflab_meta")
        .execute(&db.pool)
        .await
        .expect("delete marker");
    assert_eq!(db.seed(Scale::Small, 2, false).await, SeedOutcome::Seeded);
    sqlx::raw_sql("DROP TABLE orders CASCADE")
        .execute(&db.pool)
        .await
        .expect("drop");
    assert_eq!(db.seed(Scale::Small, 2, false).await, SeedOutcome::Seeded);
    assert_eq!(db.seed(Scale::Small, 2, false).await, SeedOutcome::Reused);
}

#[tokio::test]
async fn interrupted_seed_is_redone() {
    let db = TestDb::create("interrupt").await;
    db.seed(Scale::Small, 1, false).await;
    let old = db.fingerprint().await;

    // Start reseeding with another seed and kill it once it holds the seeding
    // lock (i.e. is mid-transaction), polling with a deadline.
    let pool = db.pool.clone();
    let task =
        tokio::spawn(async move { fixtures::seed(&pool, &options(Scale::Small, 5, false)).await });
    let deadline = Instant::now() + Duration::from_secs(10);
    let holding = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted";
    while db.scalar::<i64>(holding).await == 0 && !task.is_finished() && Instant::now() < deadline {
        tokio::task::yield_now().await;
    }
    task.abort();
    let finished = task.await.is_ok();
    eprintln!("reseed interrupted mid-transaction: {}", !finished);

    if !finished {
        // Rolled back: the old catalog is still complete and still marked.
        assert!(
            fixtures::is_seeded(&db.pool, &options(Scale::Small, 1, false))
                .await
                .expect("marker")
        );
        assert_eq!(db.fingerprint().await, old);
    }
    assert_eq!(
        db.seed(Scale::Small, 5, false).await,
        if finished {
            SeedOutcome::Reused
        } else {
            SeedOutcome::Seeded
        }
    );
    assert!(
        fixtures::is_seeded(&db.pool, &options(Scale::Small, 5, false))
            .await
            .expect("marker")
    );
    let wrong_totals = "SELECT count(*) FROM orders o WHERE o.total <> \
         (SELECT sum(quantity * unit_price) FROM order_items i WHERE i.order_id = o.id)";
    assert_eq!(db.scalar::<i64>(wrong_totals).await, 0);
}

#[tokio::test]
async fn concurrent_seeds_load_once() {
    let db = TestDb::create("concurrent").await;
    let wanted = options(Scale::Small, 9, false);
    let (a, b) = tokio::join!(
        fixtures::seed(&db.pool, &wanted),
        fixtures::seed(&db.pool, &wanted)
    );
    let mut outcomes = vec![a.expect("first seed"), b.expect("second seed")];
    outcomes.sort_by_key(|o| format!("{o:?}"));
    // The second waits for the first's lock, then finds its marker.
    assert_eq!(outcomes, [SeedOutcome::Reused, SeedOutcome::Seeded]);
}

/// The measurement behind `BENCHMARKS.md`: cold default-scale seed, then the
/// warm reuse call. Run with
/// `cargo test --release --test fixtures -- --ignored --nocapture seed_default_timed`.
#[tokio::test]
#[ignore = "seeds the full default catalog (~1M rows); run by hand to measure"]
async fn seed_default_timed() {
    let db = TestDb::create("bench_default").await;
    let started = Instant::now();
    let cold = fixtures::seed(
        &db.pool,
        &SeedOptions {
            progress: true,
            ..options(Scale::Default, 1, false)
        },
    )
    .await
    .expect("seed default");
    let cold_time = started.elapsed();
    let started = Instant::now();
    let warm = db.seed(Scale::Default, 1, false).await;
    let warm_time = started.elapsed();
    let items = db.scalar::<i64>("SELECT count(*) FROM order_items").await;
    let size = db
        .scalar::<String>("SELECT pg_size_pretty(pg_database_size(current_database()))")
        .await;
    eprintln!(
        "default: {cold:?} in {cold_time:.2?}; again: {warm:?} in {warm_time:.2?}; \
         {items} order items; database {size}"
    );
    assert_eq!((cold, warm), (SeedOutcome::Seeded, SeedOutcome::Reused));
}

/// Small-scale timing for `BENCHMARKS.md`.
#[tokio::test]
#[ignore = "timing only"]
async fn seed_small_timed() {
    let db = TestDb::create("bench_small").await;
    let started = Instant::now();
    db.seed(Scale::Small, 1, false).await;
    eprintln!("small: seeded in {:.2?}", started.elapsed());
}
