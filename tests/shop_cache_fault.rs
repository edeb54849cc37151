//! Redis failing under load, against a scratch `redis-server` this test starts
//! and stops: the shop keeps answering 200 (from the database or the
//! in-process cache), hits resume within 5 s of Redis coming back without a
//! shop restart, and a write made while Redis could not hear it never lets an
//! older entry out afterwards.

mod common;

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use common::{TestShop, wait_until};
use perflab::shop::settings::{
    CacheBackend, CacheFallback, CachedRoute, Invalidation, ShopSettings,
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const DB: &str = "fault";

/// A redis-server of this test's own, killed when dropped.
struct ScratchRedis {
    child: Child,
    port: u16,
}

impl ScratchRedis {
    async fn start(port: u16) -> Self {
        let binary = perflab::services::redis::find_redis_server().expect("redis-server installed");
        let child = Command::new(binary)
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .spawn()
            .expect("redis-server starts");
        let redis = Self { child, port };
        wait_until(
            Duration::from_secs(10),
            "redis-server to answer",
            || async { perflab::services::redis::ping(&redis.url()).await.is_ok() },
        )
        .await;
        redis
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ScratchRedis {
    fn drop(&mut self) {
        self.kill();
    }
}

fn redis_settings() -> ShopSettings {
    let mut settings = ShopSettings::default();
    settings.cache.backend = CacheBackend::Redis;
    settings.cache.invalidation = Invalidation::OnWrite;
    settings.cache.endpoints = CachedRoute::ALL.to_vec();
    settings
}

async fn cache_status(shop: &TestShop) -> String {
    let health: Value = shop.get("/health").await.json().await.unwrap();
    health["cache"]["status"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// Waits (10 s at most) until `/health` reports the cache `status`.
async fn wait_for_cache(shop: &TestShop, status: &str) {
    wait_until(
        Duration::from_secs(10),
        &format!("cache {status}"),
        || async { cache_status(shop).await == status },
    )
    .await;
}

async fn x_cache(shop: &TestShop, path: &str) -> String {
    let response = shop.get(path).await;
    assert_eq!(response.status(), StatusCode::OK);
    response.headers()["x-cache"].to_str().unwrap().to_string()
}

/// Counts of a background load: every answer by class.
#[derive(Default)]
struct Tally {
    ok: AtomicU64,
    server_errors: AtomicU64,
    other: AtomicU64,
}

#[tokio::test]
async fn redis_dying_under_load_costs_no_error_and_hits_resume() {
    let port = perflab::services::net::free_port().unwrap();
    let mut redis = ScratchRedis::start(port).await;
    let shop = TestShop::start_with_redis(DB, redis_settings(), Some(redis.url())).await;
    wait_for_cache(&shop, "up").await;

    let tally = Arc::new(Tally::default());
    let stop = Arc::new(AtomicBool::new(false));
    let load = {
        let (tally, stop) = (tally.clone(), stop.clone());
        let (http, base) = (shop.http.clone(), shop.url(""));
        tokio::spawn(async move {
            // Bounded: stops when told, or after 60 s / 200k requests.
            let started = Instant::now();
            for i in 0..200_000_u64 {
                if stop.load(Ordering::SeqCst) || started.elapsed() > Duration::from_secs(60) {
                    break;
                }
                let path = match i % 3 {
                    0 => format!("/products/{}", 1 + i % 20),
                    1 => "/products?category=1".to_string(),
                    _ => "/categories".to_string(),
                };
                let status = http
                    .get(format!("{base}{path}"))
                    .send()
                    .await
                    .unwrap()
                    .status();
                let counter = match status.as_u16() {
                    200 => &tally.ok,
                    500..=599 => &tally.server_errors,
                    _ => &tally.other,
                };
                counter.fetch_add(1, Ordering::SeqCst);
            }
        })
    };
    wait_until(Duration::from_secs(10), "load to flow", || async {
        tally.ok.load(Ordering::SeqCst) > 200
    })
    .await;

    redis.kill();
    wait_for_cache(&shop, "down").await;
    let health: Value = shop.get("/health").await.json().await.unwrap();
    assert_eq!(health["status"], "degraded");
    assert_eq!(health["cache"]["fallback"], "memory");
    let before_outage = tally.ok.load(Ordering::SeqCst);
    wait_until(
        Duration::from_secs(10),
        "load to flow without Redis",
        || async { tally.ok.load(Ordering::SeqCst) > before_outage + 200 },
    )
    .await;

    let _redis = ScratchRedis::start(port).await;
    let restarted = Instant::now();
    wait_until(Duration::from_secs(5), "hits from Redis again", || async {
        cache_status(&shop).await == "up"
            && x_cache(&shop, "/products/77").await != "BYPASS"
            && x_cache(&shop, "/products/77").await == "HIT"
    })
    .await;
    eprintln!(
        "hits resumed {:?} after Redis restarted",
        restarted.elapsed()
    );

    stop.store(true, Ordering::SeqCst);
    load.await.unwrap();
    assert_eq!(tally.server_errors.load(Ordering::SeqCst), 0, "no 5xx");
    assert_eq!(tally.other.load(Ordering::SeqCst), 0, "only 200s");
    let stats: Value = shop.cache_stats().await;
    let fallbacks: u64 = stats
        .as_object()
        .unwrap()
        .values()
        .map(|route| route["fallbacks"].as_u64().unwrap())
        .sum();
    assert!(fallbacks > 0, "{stats}");
    shop.stop().await;
}

#[tokio::test]
async fn a_write_redis_missed_is_never_undone_by_an_old_entry() {
    let port = perflab::services::net::free_port().unwrap();
    let redis = ScratchRedis::start(port).await;
    let shop = TestShop::start_with_redis(DB, redis_settings(), Some(redis.url())).await;
    wait_for_cache(&shop, "up").await;
    let admin = shop.admin().await;
    let path = "/products/88";
    x_cache(&shop, path).await;
    assert_eq!(x_cache(&shop, path).await, "HIT");

    // Freeze Redis (its data stays): the shop's calls time out, it falls
    // back, and a write cannot retire the entry Redis holds.
    let client = redis::Client::open(redis.url()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    redis::cmd("CLIENT")
        .arg("PAUSE")
        .arg(5000)
        .arg("ALL")
        .exec_async(&mut conn)
        .await
        .unwrap();
    wait_for_cache(&shop, "down").await;
    let response = shop
        .send(Method::PUT, path, Some(&admin), &json!({ "price": 777 }))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    // Still frozen: the write really happened while Redis could not hear it.
    assert_eq!(cache_status(&shop).await, "down");

    wait_for_cache(&shop, "up").await;
    let product: Value = shop.get(path).await.json().await.unwrap();
    assert_eq!(
        product["price"], 777.0,
        "the entry from before the write is never served"
    );
    shop.stop().await;
    drop(redis);
}

/// A shop on `db` caching the product detail in a scratch Redis, with
/// `fallback`, once its cache is up; with the Redis it uses.
async fn shop_with_fallback(db: &str, fallback: CacheFallback) -> (TestShop, ScratchRedis) {
    let port = perflab::services::net::free_port().unwrap();
    let redis = ScratchRedis::start(port).await;
    let mut settings = redis_settings();
    settings.cache.endpoints = vec![CachedRoute::ProductDetail];
    settings.cache.fallback = fallback;
    let shop = TestShop::start_with_redis(db, settings, Some(redis.url())).await;
    wait_for_cache(&shop, "up").await;
    assert_eq!(x_cache(&shop, "/products/5").await, "MISS");
    assert_eq!(x_cache(&shop, "/products/5").await, "HIT");
    (shop, redis)
}

#[tokio::test]
async fn fallback_none_answers_503_while_redis_is_down() {
    let (shop, mut redis) = shop_with_fallback("fault_fallback_none", CacheFallback::None).await;
    redis.kill();
    // Whether the lookup fails or the watcher has already marked Redis down,
    // the cached route refuses.
    let refused = common::problem(
        shop.get("/products/5").await,
        StatusCode::SERVICE_UNAVAILABLE,
    )
    .await;
    assert_eq!(refused["title"], "cache unavailable");
    let detail = refused["detail"].as_str().unwrap();
    assert!(
        detail.contains("Redis") && detail.contains("cache.fallback"),
        "{detail}"
    );
    wait_for_cache(&shop, "down").await;
    let health: Value = shop.get("/health").await.json().await.unwrap();
    assert_eq!(health["cache"]["fallback"], "none");
    common::problem(
        shop.get("/products/6").await,
        StatusCode::SERVICE_UNAVAILABLE,
    )
    .await;
    // Routes the cache does not hold still answer.
    assert_eq!(x_cache(&shop, "/categories").await, "BYPASS");

    let _redis = ScratchRedis::start(redis.port).await;
    wait_for_cache(&shop, "up").await;
    assert_eq!(x_cache(&shop, "/products/5").await, "MISS", "a new epoch");
    shop.stop().await;
}

#[tokio::test]
async fn fallback_database_reads_the_database_while_redis_is_down() {
    let (shop, mut redis) =
        shop_with_fallback("fault_fallback_database", CacheFallback::Database).await;
    redis.kill();
    for id in [5, 6] {
        let response = shop.get(&format!("/products/{id}")).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["x-cache"], "BYPASS");
        assert_eq!(common::query_count(&response), 1, "read from the database");
    }
    wait_for_cache(&shop, "down").await;
    let health: Value = shop.get("/health").await.json().await.unwrap();
    assert_eq!(health["status"], "degraded");
    assert_eq!(health["cache"]["fallback"], "database");
    // Not the in-process cache: every read goes to the database.
    assert_eq!(x_cache(&shop, "/products/5").await, "BYPASS");
    assert_eq!(x_cache(&shop, "/products/5").await, "BYPASS");
    let stats: Value = shop.cache_stats().await;
    assert!(
        stats["product_detail"]["fallbacks"].as_u64().unwrap() >= 4,
        "{stats}"
    );
    shop.stop().await;
}
