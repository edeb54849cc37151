//! Block 4's profiling (lab 4.2) on a real shop and PostgreSQL at the
//! `small` scale: the span breakdown of `/reports/top-products` names the
//! part that dominates, before and after lab 4.2's fix (and the `breakdown`
//! check says so); `perflab profile` writes a flamegraph SVG of a loaded
//! shop; the sales summary equals the live aggregate across order writes,
//! a cancellation and its undoing.

mod common;

use common::{TestShop, check_context, check_spec, database_url, perflab_command};
use perflab::check::{self, Lang, Verdict};
use perflab::shop::profile::breakdown::{PARTS, Part, Report, RouteBreakdown};
use perflab::shop::settings::{ShopSettings, TopProductsSource};
use reqwest::StatusCode;
use serde_json::json;

const ROUTE: &str = "/reports/top-products";

fn profiled(source: TopProductsSource) -> ShopSettings {
    let mut settings = ShopSettings::default();
    settings.monitoring.breakdown = true;
    settings.reports.top_products = source;
    settings
}

/// `n` reports, one after another; every answer a 200.
async fn reports(shop: &TestShop, n: usize) {
    for _ in 0..n {
        assert_eq!(shop.get(ROUTE).await.status(), StatusCode::OK);
    }
}

async fn reset(shop: &TestShop) {
    let answer = shop
        .http
        .post(shop.control("/breakdown/reset"))
        .bearer_auth(shop.control_token())
        .send()
        .await
        .expect("reset");
    assert_eq!(answer.status(), StatusCode::OK);
}

/// The route's breakdown, checked for consistency: the dominant part is
/// the largest, the parts add up to the total.
async fn route_breakdown(shop: &TestShop) -> RouteBreakdown {
    let report: Report = shop.control_json("/breakdown").await;
    assert!(report.enabled);
    let route = report.routes.get(ROUTE).cloned().expect("the route");
    let largest = PARTS
        .into_iter()
        .max_by(|a, b| route.ms_per_request[a].total_cmp(&route.ms_per_request[b]))
        .expect("parts");
    assert_eq!(route.dominant, largest, "{route:?}");
    let sum: f64 = route.ms_per_request.values().sum();
    assert!((sum - route.total_ms).abs() < 1e-6, "{route:?}");
    route
}

#[tokio::test]
async fn breakdown_names_the_dominant_part_before_and_after_the_fix() {
    let shop = TestShop::start("profile", profiled(TopProductsSource::Live)).await;
    reports(&shop, 20).await;
    let live = route_breakdown(&shop).await;
    assert_eq!(live.requests, 20);
    // ~10k order items aggregated per call: the database's time dwarfs the
    // microseconds of Rust around it.
    assert_eq!(live.dominant, Part::Db, "{live:?}");

    shop.patch_settings(&json!({ "reports": { "top_products": "summary" } }))
        .await;
    reset(&shop).await;
    reports(&shop, 20).await;
    let summary = route_breakdown(&shop).await;
    assert_eq!(summary.requests, 20, "the reset forgot the live requests");
    // Ten index entries: still named, whichever part it is now.
    assert!(summary.ms_per_request[&Part::Db] > 0.0);

    // The lab's check names it in its message, in the learner's words.
    let ctx = check_context(&shop, "profile", Lang::En)
        .with_traffic(perflab::check::TrafficSpec::path(ROUTE));
    let spec = check_spec(
        "kind = \"breakdown\"\nroute = \"/reports/top-products\"\n\
         traffic = { path = \"/reports/top-products\", users = 2, duration = \"1s\" }",
    );
    let result = check::run(&spec, &ctx).await;
    assert_eq!(result.verdict, Verdict::Pass, "{}", result.message);
    assert!(
        result.message.contains("The time goes to "),
        "{}",
        result.message
    );
    for part in PARTS {
        assert!(
            result.details.contains_key(part.name()),
            "{:?}",
            result.details
        );
    }
    shop.stop().await;
}

#[tokio::test]
async fn breakdown_off_records_nothing_and_the_check_says_so() {
    let shop = TestShop::start("profile", ShopSettings::default()).await;
    reports(&shop, 3).await;
    let report: Report = shop.control_json("/breakdown").await;
    assert!(!report.enabled);
    assert!(report.routes.is_empty(), "{report:?}");

    let ctx = check_context(&shop, "profile", Lang::Es);
    let spec = check_spec(
        "kind = \"breakdown\"\nroute = \"/reports/top-products\"\n\
         traffic = { path = \"/reports/top-products\", users = 1, duration = \"1s\" }",
    );
    let result = check::run(&spec, &ctx).await;
    assert_eq!(result.verdict, Verdict::Fail);
    assert!(
        result.message.contains("[monitoring] breakdown"),
        "{}",
        result.message
    );

    // Without the control API (`--target URL`) there is nothing to read.
    let bare = check::Context::new(&shop.shop.endpoint.url, Lang::En);
    assert_eq!(
        check::run(&spec, &bare).await.verdict,
        Verdict::NotApplicable
    );
    shop.stop().await;
}

#[tokio::test]
async fn perflab_profile_writes_a_flamegraph_of_a_loaded_shop() {
    let shop = TestShop::start("profile", profiled(TopProductsSource::Live)).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let svg = dir.path().join("flame.svg");
    let port = shop.shop.addr.port().to_string();
    let mut command = perflab_command(
        dir.path(),
        &["profile", "--seconds", "2", "--port", &port, "--out"],
    );
    command
        .arg(&svg)
        .env("PERFLAB_STATE_DIR", shop.state_dir.path());
    let profiler = tokio::task::spawn_blocking(move || command.output().expect("perflab runs"));
    // Load until the profile is back, so the window has CPU to sample.
    let output = loop {
        reports(&shop, 5).await;
        if profiler.is_finished() {
            break profiler.await.expect("join");
        }
    };
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let written = std::fs::read_to_string(&svg).expect("the SVG");
    assert!(
        written.contains("<svg"),
        "{}",
        &written[..written.len().min(200)]
    );
    assert!(stdout.contains("flame.svg"), "{stdout}");
    // The top frames follow the header line, one per line with its share.
    assert!(
        stdout.lines().any(|l| l.trim_start().contains(" %  ")),
        "{stdout}"
    );

    // The dashboard's profile: the top frames, no flamegraph drawn.
    let url = shop.control("/profile?seconds=1&flamegraph=false");
    let request = reqwest::Client::new()
        .post(&url)
        .bearer_auth(shop.control_token())
        .send();
    let answer = tokio::spawn(request);
    let answer = loop {
        reports(&shop, 5).await;
        if answer.is_finished() {
            break answer
                .await
                .expect("join")
                .expect("the control API answers");
        }
    };
    assert!(answer.status().is_success(), "{}", answer.status());
    let profile: perflab::shop::profile::cpu::Profile = answer.json().await.expect("a profile");
    assert!(
        profile.svg.is_empty(),
        "{}",
        &profile.svg[..profile.svg.len().min(200)]
    );
    assert!(
        !profile.top.is_empty() && profile.samples > 0,
        "{profile:?}"
    );
    shop.stop().await;
}

/// Every product's (units, revenue) from the summary and from the orders,
/// as text so that numeric scales compare as values.
async fn summary_and_live(
    pool: &sqlx::PgPool,
) -> (Vec<(i64, i64, String)>, Vec<(i64, i64, String)>) {
    let summary = sqlx::query_as(
        "SELECT product_id, units, revenue::numeric(14,2)::text FROM product_sales \
         WHERE units > 0 ORDER BY product_id",
    )
    .fetch_all(pool)
    .await
    .expect("summary");
    let live = sqlx::query_as(
        "SELECT oi.product_id, sum(oi.quantity)::bigint, \
                sum(oi.quantity * oi.unit_price)::numeric(14,2)::text \
         FROM order_items oi JOIN orders o ON o.id = oi.order_id \
         WHERE o.status <> 'cancelled' GROUP BY oi.product_id ORDER BY oi.product_id",
    )
    .fetch_all(pool)
    .await
    .expect("live");
    (summary, live)
}

async fn assert_same(pool: &sqlx::PgPool, shop: &TestShop, when: &str) {
    let (summary, live) = summary_and_live(pool).await;
    assert_eq!(summary, live, "summary and live differ {when}");
    // And the report itself, through each source.
    let mut answers = Vec::new();
    for source in ["live", "summary"] {
        shop.patch_settings(&json!({ "reports": { "top_products": source } }))
            .await;
        let body: serde_json::Value = shop
            .get("/reports/top-products?limit=100")
            .await
            .json()
            .await
            .expect("json");
        answers.push(body);
    }
    assert_eq!(answers[0], answers[1], "the two reports differ {when}");
}

async fn set_status(pool: &sqlx::PgPool, order: i64, status: &str, counted: bool) {
    let mut tx = pool.begin().await.expect("begin");
    sqlx::query("UPDATE orders SET status = $2 WHERE id = $1")
        .bind(order)
        .bind(status)
        .execute(&mut *tx)
        .await
        .expect("status");
    perflab::shop::store::sales::record_status_change(&mut tx, order, counted)
        .await
        .expect("summary");
    tx.commit().await.expect("commit");
}

#[tokio::test]
async fn the_summary_equals_the_live_report_across_writes() {
    // A database of its own: this test writes orders.
    let shop = TestShop::start("profile_sales", ShopSettings::default()).await;
    let pool = sqlx::PgPool::connect(&database_url("profile_sales"))
        .await
        .expect("connect");
    assert_same(&pool, &shop, "after seeding").await;

    let token = shop.customer(2).await;
    let best: i64 = sqlx::query_scalar(
        "SELECT s.product_id FROM product_sales s JOIN products p ON p.id = s.product_id \
         WHERE s.units > 0 AND p.stock > 10 ORDER BY s.revenue DESC, s.product_id LIMIT 1",
    )
    .fetch_one(&pool)
    .await
    .expect("a best seller");
    let fresh: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM products WHERE stock > 10 \
         AND id NOT IN (SELECT product_id FROM product_sales) ORDER BY id LIMIT 1",
    )
    .fetch_all(&pool)
    .await
    .expect("an unsold product");
    let stocked: Vec<i64> =
        sqlx::query_scalar("SELECT id FROM products WHERE stock > 10 ORDER BY id LIMIT 2")
            .fetch_all(&pool)
            .await
            .expect("products in stock");
    let (a, b) = (stocked[0], stocked[1]);
    let mut placed = Vec::new();
    for items in [
        json!([{ "product_id": best, "quantity": 3 }, { "product_id": a, "quantity": 1 }]),
        json!([{ "product_id": a, "quantity": 2 }, { "product_id": a, "quantity": 1 }]),
        json!(
            fresh
                .iter()
                .map(|id| json!({ "product_id": id, "quantity": 2 }))
                .chain([json!({ "product_id": b, "quantity": 1 })])
                .collect::<Vec<_>>()
        ),
    ] {
        let answer = shop
            .http
            .post(shop.url("/orders"))
            .bearer_auth(&token)
            .json(&json!({ "items": items }))
            .send()
            .await
            .expect("order");
        assert_eq!(answer.status(), StatusCode::CREATED);
        let order: serde_json::Value = answer.json().await.expect("json");
        placed.push(order["id"].as_i64().expect("id"));
    }
    // A refused order (a product that does not exist) changes nothing.
    let refused = shop
        .http
        .post(shop.url("/orders"))
        .bearer_auth(&token)
        .json(&json!({ "items": [{ "product_id": a, "quantity": 1 }, { "product_id": 999_999, "quantity": 1 }] }))
        .send()
        .await
        .expect("order");
    assert!(refused.status().is_client_error(), "{}", refused.status());
    assert_same(&pool, &shop, "after placing orders").await;

    set_status(&pool, placed[0], "cancelled", false).await;
    assert_same(&pool, &shop, "after a cancellation").await;
    set_status(&pool, placed[0], "paid", true).await;
    assert_same(&pool, &shop, "after undoing it").await;

    pool.close().await;
    shop.stop().await;
}

#[test]
fn the_lab_checks_parse() {
    let catalog = perflab::lab::Catalog::open(None).expect("the built-in pack");
    let lab = catalog.lab("4.2-profile").expect("lab 4.2");
    let kinds: Vec<&str> = lab.checks.iter().map(|c| c.kind()).collect();
    assert_eq!(kinds, ["breakdown", "explain"]);
}
