//! The cache's edges, against real PostgreSQL and Redis: a switch from
//! `ttl-only` to `on-write` made while reads and orders run (no read that
//! starts after the switch returned sees data older than a write that
//! returned before it), two instances whose Redis is down and whose
//! in-process fallback still sees each other's writes (through PostgreSQL,
//! even after the connection it reads them on died),
//! and a shop — in-process and through `perflab serve` — whose cache is up
//! on its very first `/health` once it says it is ready.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use common::{ClosedPort, TestShop, query_count, wait_until};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use perflab::services::redis::ScratchRedis;
use perflab::shop::cache::Readiness;
use perflab::shop::settings::{
    CacheBackend, CacheFallback, CachedRoute, Invalidation, ShopSettings,
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// The shared local Redis (never stopped here: the fallback test stops a
/// private one).
use common::LOCAL_REDIS_URL as REDIS;

/// Generous bounds on waits for conditions; never a timing claim.
const PATIENCE: Duration = Duration::from_secs(30);

fn cached(backend: CacheBackend, invalidation: Invalidation) -> ShopSettings {
    let mut settings = ShopSettings::default();
    settings.cache.backend = backend;
    settings.cache.invalidation = invalidation;
    settings.cache.endpoints = CachedRoute::ALL.to_vec();
    settings.cache.ttl = Duration::from_secs(300);
    settings
}

/// A GET's `X-Cache`, `X-Query-Count` and body; the status must be 200.
async fn read(shop: &TestShop, path: &str) -> (String, u32, Value) {
    let response = shop.get(path).await;
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    let outcome = response.headers()["x-cache"].to_str().unwrap().to_string();
    let queries = query_count(&response);
    (outcome, queries, response.json().await.unwrap())
}

async fn patch_settings(shop: &TestShop, patch: Value) {
    shop.patch_settings(&patch).await;
}

async fn put_product(shop: &TestShop, admin: &str, id: i64, change: Value) {
    let response = shop
        .send(
            Method::PUT,
            &format!("/products/{id}"),
            Some(admin),
            &change,
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK, "{change}");
}

async fn order_one(http: &reqwest::Client, url: &str, token: &str, id: i64) {
    let response = http
        .post(url)
        .bearer_auth(token)
        .json(&json!({ "items": [{ "product_id": id, "quantity": 1 }] }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
}

/// Units of product `id` sold and in stock, as the database has them.
async fn sold_and_stock(db: &str, id: i64) -> (i64, i64) {
    let pool = sqlx::PgPool::connect(&common::database_url(db))
        .await
        .unwrap();
    let row: (i64, i64) = sqlx::query_as(
        "SELECT (SELECT coalesce(sum(quantity), 0)::bigint FROM order_items WHERE product_id = $1), \
                stock::bigint FROM products WHERE id = $1",
    )
    .bind(id)
    .fetch_one(&pool)
    .await
    .unwrap();
    pool.close().await;
    row
}

/// What the readers of the switch test saw.
#[derive(Default)]
struct Observed {
    /// Reads that started after an `on-write` switch returned and ended
    /// before the switch back began: the ones held to `on-write`'s promise.
    checked: AtomicU64,
    /// Those that showed fewer units sold (or more in stock) than the orders
    /// that had returned before they started.
    stale: AtomicU64,
    /// Every read.
    reads: AtomicU64,
}

/// Readers, orders and the switch all at once: `cycles` times the settings go
/// `ttl-only` → `on-write` → `ttl-only`. Under `ttl-only` the readers fill
/// entries that the orders make stale; from the moment the switch to
/// `on-write` returns, every read must show at least the orders that had
/// returned when it started. Orders are the writes that matter here: their
/// handler takes its settings before its transaction, so one can straddle
/// the switch.
async fn switch_under_load(db: &str, backend: CacheBackend, product: i64) {
    let shop = TestShop::start_with_redis(
        db,
        cached(backend, Invalidation::TtlOnly),
        Some(REDIS.to_string()),
    )
    .await;
    assert_eq!(
        shop.shop.cache_ready(PATIENCE).await,
        Readiness::RedisUp,
        "the shared Redis must be running"
    );
    let admin = shop.admin().await;
    put_product(&shop, &admin, product, json!({ "stock": 1_000_000 })).await;
    let (sold_before, stock_before) = sold_and_stock(db, product).await;

    let returned = Arc::new(AtomicI64::new(0));
    // Even: `ttl-only` (or switching); odd: `on-write`, switch returned.
    let phase = Arc::new(AtomicU64::new(0));
    let observed = Arc::new(Observed::default());
    let stop = Arc::new(AtomicBool::new(false));
    let path = shop.url(&format!("/products/{product}"));

    let mut tasks = Vec::new();
    for _ in 0..4 {
        let (returned, phase, observed, stop) = (
            returned.clone(),
            phase.clone(),
            observed.clone(),
            stop.clone(),
        );
        let (http, path) = (shop.http.clone(), path.clone());
        tasks.push(tokio::spawn(async move {
            while !stop.load(Ordering::SeqCst) {
                let started_in = phase.load(Ordering::SeqCst);
                let orders = returned.load(Ordering::SeqCst);
                let body: Value = http.get(&path).send().await.unwrap().json().await.unwrap();
                observed.reads.fetch_add(1, Ordering::SeqCst);
                if started_in % 2 == 1 && phase.load(Ordering::SeqCst) == started_in {
                    observed.checked.fetch_add(1, Ordering::SeqCst);
                    let sold = body["sold"].as_i64().unwrap();
                    let stock = body["stock"].as_i64().unwrap();
                    if sold < sold_before + orders || stock > stock_before - orders {
                        observed.stale.fetch_add(1, Ordering::SeqCst);
                    }
                }
            }
        }));
    }
    for customer in [2, 3] {
        let token = shop.customer(customer).await;
        let (returned, stop) = (returned.clone(), stop.clone());
        let (http, url) = (shop.http.clone(), shop.url("/orders"));
        tasks.push(tokio::spawn(async move {
            while !stop.load(Ordering::SeqCst) {
                order_one(&http, &url, &token, product).await;
                returned.fetch_add(1, Ordering::SeqCst);
            }
        }));
    }

    for _ in 0..30 {
        // Under ttl-only: let orders make the cached entry stale.
        let (orders, reads) = (
            returned.load(Ordering::SeqCst),
            observed.reads.load(Ordering::SeqCst),
        );
        wait_until(PATIENCE, "orders and reads under ttl-only", || async {
            returned.load(Ordering::SeqCst) >= orders + 2
                && observed.reads.load(Ordering::SeqCst) >= reads + 8
        })
        .await;
        patch_settings(&shop, json!({ "cache": { "invalidation": "on-write" } })).await;
        phase.fetch_add(1, Ordering::SeqCst);
        let checked = observed.checked.load(Ordering::SeqCst);
        wait_until(PATIENCE, "reads under on-write", || async {
            observed.checked.load(Ordering::SeqCst) >= checked + 8
        })
        .await;
        // The phase moves before the switch starts: reads from here on may
        // use either setting.
        phase.fetch_add(1, Ordering::SeqCst);
        patch_settings(&shop, json!({ "cache": { "invalidation": "ttl-only" } })).await;
    }
    stop.store(true, Ordering::SeqCst);
    for task in tasks {
        task.await.unwrap();
    }

    let checked = observed.checked.load(Ordering::SeqCst);
    assert!(checked >= 30 * 8, "{checked} reads checked");
    assert_eq!(
        observed.stale.load(Ordering::SeqCst),
        0,
        "{backend:?}: reads after the switch to on-write returned saw orders undone \
         ({checked} checked)"
    );
    // At rest, under on-write, the cache and the database agree.
    patch_settings(&shop, json!({ "cache": { "invalidation": "on-write" } })).await;
    let (_, _, body) = read(&shop, &format!("/products/{product}")).await;
    let (sold, stock) = sold_and_stock(db, product).await;
    assert_eq!(sold, sold_before + returned.load(Ordering::SeqCst));
    assert_eq!(
        (body["sold"].as_i64(), body["stock"].as_i64()),
        (Some(sold), Some(stock))
    );
    shop.stop().await;
}

#[tokio::test]
async fn switching_ttl_only_to_on_write_under_load_never_serves_stale_after_it_returned_redis() {
    switch_under_load("edges_switch_redis", CacheBackend::Redis, 11).await;
}

#[tokio::test]
async fn switching_ttl_only_to_on_write_under_load_never_serves_stale_after_it_returned_memory() {
    switch_under_load("edges_switch_memory", CacheBackend::Memory, 12).await;
}

#[tokio::test]
async fn a_switch_to_on_write_never_serves_an_entry_filled_under_ttl_only() {
    let db = "edges_switch_entries";
    let shop = TestShop::start_with_redis(
        db,
        cached(CacheBackend::Redis, Invalidation::OnWrite),
        Some(REDIS.to_string()),
    )
    .await;
    assert_eq!(shop.shop.cache_ready(PATIENCE).await, Readiness::RedisUp);
    let admin = shop.admin().await;
    let path = "/products/21";
    put_product(&shop, &admin, 21, json!({ "price": 100 })).await;
    assert_eq!(read(&shop, path).await.0, "MISS");
    assert_eq!(read(&shop, path).await.0, "HIT");

    // ttl-only: entries of its own, left stale by a write.
    patch_settings(&shop, json!({ "cache": { "invalidation": "ttl-only" } })).await;
    assert_eq!(read(&shop, path).await.0, "MISS", "not the on-write entry");
    put_product(&shop, &admin, 21, json!({ "price": 200 })).await;
    let (outcome, _, body) = read(&shop, path).await;
    assert_eq!(
        (outcome.as_str(), body["price"].as_f64()),
        ("HIT", Some(100.0))
    );

    // Back to on-write: the on-write entry was retired by that write even
    // though ttl-only was in force, and the ttl-only one is never read.
    patch_settings(&shop, json!({ "cache": { "invalidation": "on-write" } })).await;
    let (outcome, _, body) = read(&shop, path).await;
    assert_eq!(
        (outcome.as_str(), body["price"].as_f64()),
        ("MISS", Some(200.0))
    );
    assert_eq!(read(&shop, path).await.0, "HIT");
    let prices = common::product_prices(db).await;
    assert_eq!(prices[&21].parse::<f64>().unwrap(), 200.0);
    shop.stop().await;
}

/// Waits until `/health` says the cache is `status`.
async fn cache_status(shop: &TestShop, status: &str) {
    common::wait_for_cache_status(shop, status).await;
}

/// Two instances on one private Redis with `fallback = "memory"`, both
/// reading from Redis.
async fn two_with_memory_fallback(db: &str) -> (ScratchRedis, TestShop, TestShop) {
    let redis = ScratchRedis::start().await.expect("a scratch redis-server");
    let mut settings = cached(CacheBackend::Redis, Invalidation::OnWrite);
    settings.cache.fallback = CacheFallback::Memory;
    let url = Some(redis.url().to_string());
    let a = TestShop::start_with_redis(db, settings.clone(), url.clone()).await;
    let b = TestShop::start_with_redis(db, settings, url).await;
    for shop in [&a, &b] {
        assert_eq!(shop.shop.cache_ready(PATIENCE).await, Readiness::RedisUp);
    }
    (redis, a, b)
}

#[tokio::test]
async fn memory_fallback_instances_see_each_others_writes_while_redis_is_down() {
    let db = "edges_fallback";
    let (mut redis, a, b) = two_with_memory_fallback(db).await;
    let admin = a.admin().await;
    let customer = b.customer(4).await;
    put_product(&a, &admin, 31, json!({ "price": 310, "stock": 1000 })).await;

    redis.stop().await;
    cache_status(&a, "down").await;
    cache_status(&b, "down").await;

    let detail = "/products/31";
    let listing = "/products?category=1&sort=-price&per_page=5";
    for shop in [&a, &b] {
        assert_eq!(read(shop, detail).await.0, "MISS");
        let (outcome, queries, body) = read(shop, detail).await;
        assert_eq!(
            (outcome.as_str(), queries),
            ("HIT", 1),
            "a hit reads one generation"
        );
        assert_eq!(body["price"], 310.0);
        assert_eq!(read(shop, listing).await.0, "MISS");
        assert_eq!(read(shop, listing).await.0, "HIT");
    }

    // A write on A: B's very next read has it.
    put_product(&a, &admin, 31, json!({ "price": 4321 })).await;
    let (outcome, _, body) = read(&b, detail).await;
    assert_eq!(
        (outcome.as_str(), body["price"].as_f64()),
        ("MISS", Some(4321.0))
    );
    assert_eq!(read(&b, listing).await.0, "MISS", "the catalog moved too");
    assert_eq!(read(&b, detail).await.0, "HIT", "and B caches again");
    let (outcome, _, body) = read(&a, detail).await;
    assert_eq!(
        (outcome.as_str(), body["price"].as_f64()),
        ("MISS", Some(4321.0))
    );
    assert_eq!(read(&a, detail).await.0, "HIT");

    // An order on B: A's very next read shows the stock it took.
    let (sold, stock) = sold_and_stock(db, 31).await;
    order_one(&b.http, &b.url("/orders"), &customer, 31).await;
    let (outcome, _, body) = read(&a, detail).await;
    assert_eq!(outcome, "MISS");
    assert_eq!(
        (body["sold"].as_i64(), body["stock"].as_i64()),
        (Some(sold + 1), Some(stock - 1))
    );
    assert_eq!(sold_and_stock(db, 31).await, (sold + 1, stock - 1));
    let prices = common::product_prices(db).await;
    assert_eq!(prices[&31].parse::<f64>().unwrap(), 4321.0);

    redis
        .restart()
        .await
        .expect("the scratch redis-server again");
    cache_status(&a, "up").await;
    cache_status(&b, "up").await;
    a.stop().await;
    b.stop().await;
}

/// Ends the backends of the shops' generations connections (the fallback's
/// own, outside the pool: the last statement they ran is the batched read).
async fn end_generation_connections(db: &str) -> u64 {
    let pool = sqlx::PgPool::connect(&common::database_url(db))
        .await
        .expect("connect");
    let ended: Vec<bool> = sqlx::query_scalar(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = current_database() AND pid <> pg_backend_pid() \
         AND query LIKE '%unnest($1::text[]) AS s(scope)%'",
    )
    .fetch_all(&pool)
    .await
    .expect("terminate");
    pool.close().await;
    ended.into_iter().filter(|&ended| ended).count() as u64
}

#[tokio::test]
async fn memory_fallback_outlives_its_generations_connection() {
    let db = "edges_fallback_conn";
    let (mut redis, a, b) = two_with_memory_fallback(db).await;
    let admin = a.admin().await;
    redis.stop().await;
    cache_status(&a, "down").await;
    cache_status(&b, "down").await;

    // Both instances read generations (and open their connections for it).
    let detail = "/products/41";
    for shop in [&a, &b] {
        read(shop, detail).await;
        assert_eq!(read(shop, detail).await.0, "HIT");
    }
    let ended = end_generation_connections(db).await;
    assert!(
        ended >= 2,
        "one generations connection per instance: {ended}"
    );

    // A's bump meets its dead connection and goes out on a new one: B's very
    // next read has the write, and B reads generations again afterwards.
    put_product(&a, &admin, 41, json!({ "price": 4141 })).await;
    let (outcome, _, body) = read(&b, detail).await;
    assert_eq!(
        (outcome.as_str(), body["price"].as_f64()),
        ("MISS", Some(4141.0)),
        "B must not serve the price from before the write"
    );
    // Had the bump been lost, B's entry would still be keyed with the old
    // generation, and this hit would show the old price.
    let (outcome, _, body) = read(&b, detail).await;
    assert_eq!(
        (outcome.as_str(), body["price"].as_f64()),
        ("HIT", Some(4141.0))
    );

    redis
        .restart()
        .await
        .expect("the scratch redis-server again");
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn a_shop_reports_its_cache_up_on_the_first_health_after_readiness() {
    let shop = TestShop::start_with_redis(
        "edges_ready",
        cached(CacheBackend::Redis, Invalidation::OnWrite),
        Some(REDIS.to_string()),
    )
    .await;
    assert_eq!(shop.shop.cache_ready(PATIENCE).await, Readiness::RedisUp);
    let health: Value = shop.get("/health").await.json().await.unwrap();
    assert_eq!(health["cache"]["status"], "up", "{health}");
    assert_eq!(health["status"], "ok", "{health}");
    shop.stop().await;

    let without = TestShop::start("edges_ready", ShopSettings::default()).await;
    assert_eq!(without.shop.cache_ready(PATIENCE).await, Readiness::NoRedis);
    without.stop().await;

    // A Redis nobody answers at: readiness gives up at its deadline and says
    // so; the shop serves, degraded.
    let nobody = ClosedPort::new();
    let shop = TestShop::start_with_redis(
        "edges_ready",
        cached(CacheBackend::Redis, Invalidation::OnWrite),
        Some(format!("redis://{}", nobody.addr())),
    )
    .await;
    assert_eq!(
        shop.shop.cache_ready(Duration::from_millis(300)).await,
        Readiness::RedisDown
    );
    let health: Value = shop.get("/health").await.json().await.unwrap();
    assert_eq!(
        (&health["status"], &health["cache"]["status"]),
        (&json!("degraded"), &json!("down"))
    );
    assert_eq!(read(&shop, "/products/5").await.0, "MISS");
    assert_eq!(
        read(&shop, "/products/5").await.0,
        "HIT",
        "served by the in-process fallback"
    );
    shop.stop().await;
}

/// `perflab serve`, stopped (SIGTERM) if the test fails before it is.
struct Serve(std::process::Child);

impl Drop for Serve {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = kill(Pid::from_raw(self.0.id() as i32), Signal::SIGTERM);
            let _ = self.0.wait();
        }
    }
}

/// How long the serve test holds Redis's writes: long enough that a shop
/// which announced itself at once would still be waiting for its first
/// epoch (an `INCR`), well within `perflab serve`'s readiness deadline.
const WRITES_PAUSED: Duration = Duration::from_secs(4);

#[tokio::test]
async fn perflab_serve_announces_the_shop_once_its_cache_is_up() {
    // A private Redis that answers PING (so serve finds it) but holds every
    // write for a while: the shop's first epoch waits for the pause to end.
    let redis = ScratchRedis::start().await.expect("a scratch redis-server");
    let client = redis::Client::open(redis.url()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    redis::cmd("CLIENT")
        .arg("PAUSE")
        .arg(WRITES_PAUSED.as_millis() as u64)
        .arg("WRITE")
        .exec_async(&mut conn)
        .await
        .unwrap();
    let state = tempfile::tempdir().unwrap();
    let mut child = Serve(
        Command::new(env!("CARGO_BIN_EXE_perflab"))
            .args(["serve", "--port", "0", "--preset", "optimized"])
            .env("DATABASE_URL", common::database_url("edges_serve"))
            .env("REDIS_URL", redis.url())
            .env("PERFLAB_STATE_DIR", state.path())
            .env("PERFLAB_CONTROL_PORT", "0")
            // The test database's catalog: reused, not reseeded.
            .env("PERFLAB_SCALE", "small")
            .env("PERFLAB_SEED", "7")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the perflab binary runs"),
    );
    // Read stdout on a thread so the wait below has a deadline.
    let stdout = child.0.stdout.take().unwrap();
    let (tx, lines) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut seen = Vec::new();
    let url = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = lines
            .recv_timeout(left)
            .unwrap_or_else(|e| panic!("no `shop` line ({e}); it printed {seen:#?}"));
        seen.push(line.clone());
        if let Some(url) = line.strip_prefix("shop ") {
            break url.trim().to_string();
        }
    };
    assert!(
        seen.iter()
            .any(|l| l.starts_with("cache") && l.contains("Redis up")),
        "{seen:#?}"
    );
    // The runner measures as soon as it has the address: the very first
    // request already finds the cache up, though Redis took writes again
    // only seconds after the shop started.
    let health: Value = reqwest::get(format!("{url}/health"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["cache"]["status"], "up", "{health}");
    assert_eq!(health["cache"]["backend"], "redis", "{health}");

    kill(Pid::from_raw(child.0.id() as i32), Signal::SIGTERM).unwrap();
    let deadline = Instant::now() + PATIENCE;
    let status = loop {
        if let Some(status) = child.0.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "perflab serve ignored SIGTERM");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(status.success(), "{status}");
}
