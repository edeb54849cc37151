//! Block 2 (database optimisation) against real PostgreSQL: statements are
//! counted in one place (a transaction's `BEGIN` and `COMMIT` included),
//! `/health` keeps answering while the pool is saturated, a pool timeout is a
//! counted 503 with `Retry-After`, and a pool resize settles before the
//! control API returns.

mod common;

use std::time::Duration;

use common::{TestShop, query_count, wait_until};
use perflab::shop::settings::ShopSettings;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::Connection;

const DB: &str = "block2";

/// The shop's server connections to this test database.
async fn shop_connections(pool: &sqlx::PgPool) -> i64 {
    sqlx::query_scalar(perflab::check::POOL_COUNT_SQL)
        .fetch_one(pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn an_order_counts_its_transaction_statements() {
    let shop = TestShop::start(DB, ShopSettings::default()).await;
    let token = shop.customer(3).await;
    let pool = sqlx::PgPool::connect(&common::database_url(DB))
        .await
        .unwrap();
    let product: i64 =
        sqlx::query_scalar("SELECT id FROM products WHERE stock > 5 ORDER BY id LIMIT 1")
            .fetch_one(&pool)
            .await
            .unwrap();
    pool.close().await;
    let response = shop
        .http
        .post(shop.url("/orders"))
        .bearer_auth(&token)
        .json(&json!({ "items": [{ "product_id": product, "quantity": 1 }] }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    // BEGIN, SELECT … FOR UPDATE, UPDATE stock, INSERT order, INSERT items,
    // add to the sales summary, SELECT the items back, COMMIT — no query
    // counts itself.
    assert_eq!(query_count(&response), 8);
    shop.stop().await;
}

#[tokio::test]
async fn health_stays_up_and_a_pool_timeout_is_a_counted_503() {
    let url = common::database_url(DB);
    let mut settings = ShopSettings::default();
    settings.database.pool_size = 1;
    settings.database.acquire_timeout = Duration::from_millis(100);
    let shop = TestShop::start(DB, settings).await;
    let observer = sqlx::PgPool::connect(&url).await.unwrap();

    // Hold the pool's only connection: a request waits on a table lock.
    let mut locker = sqlx::PgConnection::connect(&url).await.unwrap();
    let mut tx = locker.begin().await.unwrap();
    sqlx::query("LOCK TABLE categories IN ACCESS EXCLUSIVE MODE")
        .execute(&mut *tx)
        .await
        .unwrap();
    let blocked = tokio::spawn({
        let http = shop.http.clone();
        let url = shop.url("/categories");
        async move { http.get(url).send().await.map(|r| r.status()) }
    });
    wait_until(
        Duration::from_secs(10),
        "the request waits on the lock",
        || async {
            let waiting: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'perflab-shop' \
             AND datname = current_database() AND wait_event_type = 'Lock'",
            )
            .fetch_one(&observer)
            .await
            .unwrap();
            waiting == 1
        },
    )
    .await;

    let refused = shop.get("/products/12").await;
    assert_eq!(refused.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(refused.headers()["retry-after"], "1");
    let health = shop.get("/health").await;
    assert_eq!(
        health.status(),
        StatusCode::OK,
        "a busy pool is not a down database"
    );
    let health: Value = health.json().await.unwrap();
    assert_eq!(health["database"]["status"], "up");
    let pool: Value = shop.control_json("/pool").await;
    assert_eq!(pool["timeouts"], 1, "{pool}");
    assert_eq!(pool["max"], 1);

    tx.rollback().await.unwrap();
    assert_eq!(blocked.await.unwrap().unwrap(), StatusCode::OK);
    observer.close().await;
    shop.stop().await;
}

#[tokio::test]
async fn a_pool_resize_has_closed_the_old_connections_when_it_returns() {
    let url = common::database_url("block2_resize");
    let mut settings = ShopSettings::default();
    settings.database.pool_size = 6;
    let shop = TestShop::start("block2_resize", settings.clone()).await;
    let observer = sqlx::PgPool::connect(&url).await.unwrap();
    // Open several connections with concurrent requests.
    let requests = (1..=12).map(|id| {
        let http = shop.http.clone();
        let url = shop.url(&format!("/products/{id}"));
        async move { http.get(url).send().await.unwrap().status() }
    });
    for status in futures::future::join_all(requests).await {
        assert_eq!(status, StatusCode::OK);
    }
    let before = shop_connections(&observer).await;
    assert!(
        before > 0,
        "{before} connections opened by 12 concurrent requests"
    );

    settings.database.pool_size = 2;
    shop.put_settings(&settings).await;
    // The old pool's connections are closed; their backends may take a
    // moment to leave pg_stat_activity after the socket closes.
    wait_until(
        Duration::from_secs(5),
        "the old pool's backends gone",
        || async { shop_connections(&observer).await == 0 },
    )
    .await;
    let pool: Value = shop.control_json("/pool").await;
    assert_eq!(pool["max"], 2);
    observer.close().await;
    shop.stop().await;
}

#[tokio::test]
async fn a_missing_extension_is_one_line_naming_the_package() {
    use perflab::check::{self, Lang, Verdict};
    let shop = TestShop::start(DB, ShopSettings::default()).await;
    let ctx = common::check_context(&shop, DB, Lang::En);
    let missing = common::check_spec("kind = \"extension\"\nname = \"perflab_no_such_extension\"");
    let result = check::run(&missing, &ctx).await;
    assert_eq!(result.verdict, Verdict::Fail, "{}", result.message);
    assert_eq!(result.message.lines().count(), 1, "{}", result.message);
    assert!(
        result.message.contains("perflab_no_such_extension")
            && result
                .message
                .contains(perflab::services::install::contrib_package()),
        "{}",
        result.message
    );
    let present = common::check_spec("kind = \"extension\"\nname = \"pg_trgm\"");
    assert_eq!(check::run(&present, &ctx).await.verdict, Verdict::Pass);
    shop.stop().await;
}

#[tokio::test]
async fn an_order_check_says_lazy_2_plus_n_and_eager_2() {
    use perflab::check::{self, Lang, Verdict};
    let shop = TestShop::start(DB, ShopSettings::default()).await;
    let ctx = common::check_context(&shop, DB, Lang::En);
    let spec =
        common::check_spec("kind = \"query_count\"\npath = \"/orders/1\"\nuser = 1\nmax = 3");
    let lazy = check::run(&spec, &ctx).await;
    assert_eq!(lazy.verdict, Verdict::Fail, "{}", lazy.message);
    let queries = lazy.measured.expect("a count") as u64;
    let items = queries - 2;
    assert!(
        lazy.message
            .contains(&format!("2 + {items} = {queries} queries")),
        "{}",
        lazy.message
    );
    shop.stop().await;
}
