//! The shop's runtime switches against real PostgreSQL: settings swapped through
//! the control API take effect on the next request (lazy vs eager loading, pool
//! size, export mode), the student's index SQL is applied or refused with
//! PostgreSQL's own message, and EXPLAIN plans come back as JSON.

mod common;

use std::time::Duration;

use common::{TestShop, problem, query_count, wait_until};
use perflab::shop::settings::{ExportMode, Loading, ShopSettings};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const DB: &str = "control";

#[tokio::test]
async fn lazy_and_eager_order_detail_return_the_same_json() {
    let shop = TestShop::start(DB, ShopSettings::default()).await;
    let admin = shop.admin().await;
    // Any seeded order with several items.
    let pool = sqlx::PgPool::connect(&common::database_url(DB))
        .await
        .unwrap();
    let (order_id, items): (i64, i64) = sqlx::query_as(
        "SELECT order_id, count(*) FROM order_items GROUP BY order_id HAVING count(*) >= 3 ORDER BY order_id LIMIT 1",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    pool.close().await;

    let lazy = shop.get_as(&format!("/orders/{order_id}"), &admin).await;
    assert_eq!(lazy.status(), StatusCode::OK);
    assert_eq!(
        query_count(&lazy),
        2 + items as u32,
        "order + items + one per item"
    );
    let lazy: Value = lazy.json().await.unwrap();

    let mut settings = ShopSettings::default();
    settings.database.loading = Loading::Eager;
    shop.put_settings(&settings).await;

    let eager = shop.get_as(&format!("/orders/{order_id}"), &admin).await;
    assert_eq!(
        query_count(&eager),
        2,
        "order, then items joined with products"
    );
    let eager: Value = eager.json().await.unwrap();
    assert_eq!(lazy, eager);
    assert_eq!(eager["items"].as_array().unwrap().len() as i64, items);
    shop.stop().await;
}

#[tokio::test]
async fn control_api_needs_its_token_and_validates_settings() {
    let shop = TestShop::start(DB, ShopSettings::default()).await;
    let anonymous = shop
        .http
        .get(shop.control("/settings"))
        .send()
        .await
        .unwrap();
    problem(anonymous, StatusCode::UNAUTHORIZED).await;
    let wrong = shop
        .http
        .get(shop.control("/settings"))
        .bearer_auth("0000")
        .send()
        .await
        .unwrap();
    problem(wrong, StatusCode::UNAUTHORIZED).await;

    // The token is the one published in the state directory, owner-only.
    let published =
        perflab::shop::read_endpoint(shop.state_dir.path(), shop.shop.addr.port()).unwrap();
    assert_eq!(published, shop.shop.endpoint);
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(&shop.shop.endpoint_file)
            .unwrap()
            .permissions(),
    );
    assert_eq!(mode & 0o777, 0o600);

    let current: ShopSettings = shop.settings().await;
    assert_eq!(current, ShopSettings::default());

    let put = |body: Value| {
        shop.http
            .put(shop.control("/settings"))
            .bearer_auth(shop.control_token())
            .json(&body)
            .send()
    };
    let zero = put(json!({ "database": { "pool_size": 0 } }))
        .await
        .unwrap();
    let body = problem(zero, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(body["detail"].as_str().unwrap().contains("pool_size"));
    let unknown = put(json!({ "database": { "pool": 3 } })).await.unwrap();
    problem(unknown, StatusCode::UNPROCESSABLE_ENTITY).await;
    // Nothing changed.
    let after: ShopSettings = shop.settings().await;
    assert_eq!(after, ShopSettings::default());

    let endpoint_file = shop.shop.endpoint_file.clone();
    shop.stop().await;
    assert!(
        !endpoint_file.exists(),
        "the token file goes away with the shop"
    );
}

#[tokio::test]
async fn pool_size_change_takes_effect_on_the_next_request() {
    let shop = TestShop::start(DB, ShopSettings::default()).await;
    let admin = shop.admin().await;
    let customer = shop.customer(20).await;
    let product = 60_i64;
    shop.send(
        Method::PUT,
        &format!("/products/{product}"),
        Some(&admin),
        &json!({ "stock": 10 }),
    )
    .await;

    let mut settings = ShopSettings::default();
    settings.database.pool_size = 1;
    settings.database.acquire_timeout = Duration::from_millis(200);
    shop.put_settings(&settings).await;

    // Hold the product's row lock from outside, so that an order for it keeps
    // the shop's only connection busy; then any other request must time out
    // waiting for a connection and answer 503.
    let outside = sqlx::PgPool::connect(&common::database_url(DB))
        .await
        .unwrap();
    let mut lock = outside.begin().await.unwrap();
    sqlx::query("SELECT 1 FROM products WHERE id = $1 FOR UPDATE")
        .bind(product)
        .execute(&mut *lock)
        .await
        .unwrap();

    let blocked = tokio::spawn({
        let http = shop.http.clone();
        let url = shop.url("/orders");
        async move {
            http.post(url)
                .bearer_auth(customer)
                .json(&json!({ "items": [{ "product_id": product, "quantity": 1 }] }))
                .send()
                .await
                .unwrap()
                .status()
        }
    });
    wait_until(Duration::from_secs(10), "the order to wait on the row lock", || {
        let outside = outside.clone();
        async move {
            sqlx::query_scalar::<_, i64>(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'perflab-shop' \
                 AND datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%FOR UPDATE%'",
            )
            .fetch_one(&outside)
            .await
            .unwrap()
                > 0
        }
    })
    .await;
    let starved = shop.get("/products/1").await;
    assert_eq!(starved.headers()["retry-after"], "1");
    problem(starved, StatusCode::SERVICE_UNAVAILABLE).await;

    lock.commit().await.unwrap();
    assert_eq!(blocked.await.unwrap(), StatusCode::CREATED);
    assert_eq!(shop.get("/products/1").await.status(), StatusCode::OK);
    outside.close().await;
    shop.stop().await;
}

/// `GET /memory` (control API): the process's RSS over time and its peak,
/// which a buffered export of the catalog raises and keeps as the peak.
#[tokio::test]
async fn the_control_api_serves_memory_over_time_and_its_peak() {
    let shop = TestShop::start(DB, ShopSettings::default()).await;
    let first = loop {
        let memory: Value = shop.control_json("/memory").await;
        if memory["readings"].as_array().is_some_and(|r| !r.is_empty()) {
            break memory;
        }
        tokio::task::yield_now().await;
    };
    let rss = first["rss_mb"].as_f64().expect("a reading");
    let peak = first["peak_mb"].as_f64().expect("a peak");
    assert!(rss > 1.0 && peak >= rss, "{first}");
    let readings = first["readings"].as_array().unwrap();
    assert!(readings.len() <= 300, "five minutes at most");
    assert!(
        readings
            .iter()
            .all(|r| r["at_ms"].as_u64().is_some_and(|t| t > 0))
    );
    // A later snapshot never shows a lower peak.
    assert_eq!(shop.get("/products/export").await.status(), StatusCode::OK);
    let later: Value = shop.control_json("/memory").await;
    assert!(later["peak_mb"].as_f64().unwrap() >= peak, "{later}");
    shop.stop().await;
}

#[tokio::test]
async fn buffered_and_streamed_export_send_the_same_catalog() {
    let shop = TestShop::start(DB, ShopSettings::default()).await;
    let buffered = shop.get("/products/export").await;
    assert_eq!(buffered.status(), StatusCode::OK);
    assert!(buffered.headers().get("content-length").is_some());
    let buffered: Vec<Value> = buffered.json().await.unwrap();

    let mut settings = ShopSettings::default();
    settings.export.mode = ExportMode::Streamed;
    shop.put_settings(&settings).await;
    let streamed = shop.get("/products/export").await;
    assert_eq!(streamed.status(), StatusCode::OK);
    assert_eq!(streamed.headers()["transfer-encoding"], "chunked");
    let streamed: Vec<Value> = streamed.json().await.unwrap();

    assert!(buffered.len() >= 1000, "{} products", buffered.len());
    // Other tests in this binary change stock (and so `updated_at`) meanwhile:
    // compare everything else, product by product.
    let stable = |products: &[Value]| -> Vec<Value> {
        products
            .iter()
            .map(|p| {
                let mut p = p.clone();
                let object = p.as_object_mut().unwrap();
                object.remove("stock");
                object.remove("updated_at");
                p
            })
            .collect()
    };
    assert_eq!(stable(&buffered), stable(&streamed));
    shop.stop().await;
}

#[tokio::test]
async fn patch_changes_one_switch_and_keeps_the_rest() {
    let mut start = ShopSettings::default();
    start.database.pool_size = 7;
    let shop = TestShop::start(DB, start.clone()).await;
    let patch = |body: Value| {
        shop.http
            .patch(shop.control("/settings"))
            .bearer_auth(shop.control_token())
            .json(&body)
            .send()
    };
    let response = patch(json!({ "export": { "mode": "streamed" } }))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let settings: ShopSettings = response.json().await.unwrap();
    let mut expected = start.clone();
    expected.export.mode = ExportMode::Streamed;
    assert_eq!(settings, expected, "only the patched key changed");

    let bad = patch(json!({ "database": { "loading": "sometimes" } }))
        .await
        .unwrap();
    let body = problem(bad, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(
        body["detail"].as_str().unwrap().contains("sometimes"),
        "{body}"
    );
    let too_small = patch(json!({ "database": { "acquire_timeout": "1ms" } }))
        .await
        .unwrap();
    problem(too_small, StatusCode::UNPROCESSABLE_ENTITY).await;
    let now: ShopSettings = shop.settings().await;
    assert_eq!(now, expected, "refused patches change nothing");
    shop.stop().await;
}
