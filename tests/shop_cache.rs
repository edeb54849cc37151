//! The cache against real Redis and PostgreSQL: hits after misses, TTL
//! expiry, no stale read after a write with on-write invalidation (and some
//! with ttl-only, proving lab 1.4's starting state is really broken), hits
//! shared by two shop instances, keys equal for reordered parameters, and a
//! Redis that dies under load and comes back.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

use common::{TestShop, wait_until};
use perflab::shop::settings::{
    CacheBackend, CacheStrategy, CachedRoute, Invalidation, KeyScheme, ShopSettings,
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use common::LOCAL_REDIS_URL as REDIS;

fn settings(backend: CacheBackend, invalidation: Invalidation) -> ShopSettings {
    let mut settings = ShopSettings::default();
    settings.cache.backend = backend;
    settings.cache.invalidation = invalidation;
    settings.cache.endpoints = CachedRoute::ALL.to_vec();
    settings
}

/// A shop caching in the local Redis, on database `perflab_test_<db>`. Each
/// test takes a database of its own: a product write retires every cached
/// listing, and a starting shop starts a new epoch — either would turn another
/// test's expected HIT into a MISS.
async fn redis_shop(db: &str, settings: ShopSettings) -> TestShop {
    let shop = TestShop::start_with_redis(db, settings, Some(REDIS.to_string())).await;
    wait_for_cache(&shop, "up").await;
    shop
}

async fn wait_for_cache(shop: &TestShop, status: &str) {
    wait_until(
        Duration::from_secs(10),
        &format!("cache {status}"),
        || async {
            let health: Value = shop.get("/health").await.json().await.unwrap();
            health["cache"]["status"] == status
        },
    )
    .await;
}

/// Status, `X-Cache` and body of a GET.
async fn fetch(shop: &TestShop, path: &str) -> (StatusCode, String, Value) {
    let response = shop.get(path).await;
    let status = response.status();
    let cache = response
        .headers()
        .get("x-cache")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, cache, response.json().await.unwrap_or(Value::Null))
}

async fn set_price(shop: &TestShop, admin: &str, id: i64, price: i64) {
    let response = shop
        .send(
            Method::PUT,
            &format!("/products/{id}"),
            Some(admin),
            &json!({ "price": price }),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_miss_fills_and_the_next_read_hits() {
    for (db, backend) in [
        ("cache_hit_memory", CacheBackend::Memory),
        ("cache_hit_redis", CacheBackend::Redis),
    ] {
        let shop = redis_shop(db, settings(backend, Invalidation::OnWrite)).await;
        let (status, first, body) = fetch(&shop, "/products/5").await;
        assert_eq!(
            (status, first.as_str()),
            (StatusCode::OK, "MISS"),
            "{backend:?}"
        );
        let response = shop.get("/products/5").await;
        assert_eq!(response.headers()["x-cache"], "HIT", "{backend:?}");
        assert_eq!(common::query_count(&response), 0, "a hit reads no database");
        let again: Value = response.json().await.unwrap();
        assert_eq!(again, body);
        // Errors are not cached.
        assert_eq!(
            fetch(&shop, "/products/99999999").await.0,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            fetch(&shop, "/products/99999999").await.0,
            StatusCode::NOT_FOUND
        );

        let stats: Value = shop.cache_stats().await;
        assert!(
            stats["product_detail"]["hits"].as_u64().unwrap() >= 1,
            "{stats}"
        );
        assert!(
            stats["product_detail"]["misses"].as_u64().unwrap() >= 3,
            "{stats}"
        );
        shop.stop().await;
    }
}

#[tokio::test]
async fn routes_not_cached_say_bypass() {
    let shop = TestShop::start("cache_bypass", ShopSettings::default()).await;
    assert_eq!(fetch(&shop, "/products/6").await.1, "BYPASS");
    assert_eq!(fetch(&shop, "/categories").await.1, "BYPASS");
    shop.stop().await;
}

#[tokio::test]
async fn entries_expire_after_their_ttl() {
    let mut settings = settings(CacheBackend::Redis, Invalidation::OnWrite);
    settings.cache.ttl = Duration::from_secs(1);
    let shop = redis_shop("cache_ttl", settings).await;
    assert_eq!(fetch(&shop, "/products/8").await.1, "MISS");
    assert_eq!(fetch(&shop, "/products/8").await.1, "HIT");
    wait_until(Duration::from_secs(10), "the entry to expire", || async {
        fetch(&shop, "/products/8").await.1 == "MISS"
    })
    .await;
    shop.stop().await;
}

/// Reads a product while another task keeps raising its price; a read that
/// starts after write k returned must see a price ≥ k. Returns the number of
/// reads that saw an older price.
async fn stale_reads(shop: &TestShop, id: i64, writes: i64) -> u64 {
    let admin = shop.admin().await;
    set_price(shop, &admin, id, 1000).await;
    fetch(shop, &format!("/products/{id}")).await; // cache it
    let committed = Arc::new(AtomicI64::new(1000));
    let stale = Arc::new(AtomicU64::new(0));
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));

    let readers: Vec<_> = (0..4)
        .map(|_| {
            let (committed, stale, done) = (committed.clone(), stale.clone(), done.clone());
            let (http, url) = (shop.http.clone(), shop.url(&format!("/products/{id}")));
            tokio::spawn(async move {
                // One more read after the writer finished, so every write is
                // followed by at least one read.
                let mut last_round = false;
                loop {
                    let floor = committed.load(Ordering::SeqCst);
                    let body: Value = http.get(&url).send().await.unwrap().json().await.unwrap();
                    if (body["price"].as_f64().unwrap() as i64) < floor {
                        stale.fetch_add(1, Ordering::SeqCst);
                    }
                    if last_round {
                        break;
                    }
                    last_round = done.load(Ordering::SeqCst);
                }
            })
        })
        .collect();
    for k in 1..=writes {
        set_price(shop, &admin, id, 1000 + k).await;
        committed.store(1000 + k, Ordering::SeqCst);
    }
    done.store(true, Ordering::SeqCst);
    for reader in readers {
        reader.await.unwrap();
    }
    stale.load(Ordering::SeqCst)
}

#[tokio::test]
async fn on_write_invalidation_never_serves_a_stale_price() {
    let shop = redis_shop(
        "cache_on_write",
        settings(CacheBackend::Redis, Invalidation::OnWrite),
    )
    .await;
    assert_eq!(stale_reads(&shop, 100, 40).await, 0);
    shop.stop().await;
}

#[tokio::test]
async fn write_through_never_serves_a_stale_price() {
    let mut settings = settings(CacheBackend::Redis, Invalidation::OnWrite);
    settings.cache.strategy = CacheStrategy::WriteThrough;
    let shop = redis_shop("cache_write_through", settings).await;
    assert_eq!(stale_reads(&shop, 101, 40).await, 0);
    // With no reader in between, the write itself filled the cache.
    let admin = shop.admin().await;
    set_price(&shop, &admin, 101, 5555).await;
    let response = shop.get("/products/101").await;
    assert_eq!(response.headers()["x-cache"], "HIT");
    assert_eq!(common::query_count(&response), 0);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["price"], 5555.0);
    shop.stop().await;
}

#[tokio::test]
async fn memory_cache_on_write_never_serves_a_stale_price() {
    let shop = redis_shop(
        "cache_memory_on_write",
        settings(CacheBackend::Memory, Invalidation::OnWrite),
    )
    .await;
    assert_eq!(stale_reads(&shop, 102, 40).await, 0);
    shop.stop().await;
}

#[tokio::test]
async fn ttl_only_serves_stale_prices_as_lab_1_4_starts() {
    let shop = redis_shop(
        "cache_ttl_only",
        settings(CacheBackend::Redis, Invalidation::TtlOnly),
    )
    .await;
    assert!(stale_reads(&shop, 103, 10).await > 0);
    shop.stop().await;
}

#[tokio::test]
async fn a_product_write_retires_every_listing_page() {
    let settings = settings(CacheBackend::Redis, Invalidation::OnWrite);
    let shop = redis_shop("cache_listing", settings).await;
    let admin = shop.admin().await;
    let page = "/products?category=4&sort=price&per_page=5";
    let (_, first, listing) = fetch(&shop, page).await;
    assert_eq!(first, "MISS");
    assert_eq!(fetch(&shop, page).await.1, "HIT");
    assert_eq!(fetch(&shop, "/categories").await.1, "MISS");
    assert_eq!(fetch(&shop, "/categories").await.1, "HIT");

    let cheapest = listing["items"][0]["id"].as_i64().unwrap();
    set_price(&shop, &admin, cheapest, 0).await;
    let (_, after, listing) = fetch(&shop, page).await;
    assert_eq!(after, "MISS", "the write retired the listing");
    assert_eq!(listing["items"][0]["id"], cheapest);
    assert_eq!(listing["items"][0]["price"], 0.0);
    assert_eq!(fetch(&shop, "/categories").await.1, "MISS");
    shop.stop().await;
}

#[tokio::test]
async fn two_instances_share_hits_and_reordered_parameters_share_keys() {
    let settings = settings(CacheBackend::Redis, Invalidation::OnWrite);
    let a = redis_shop("cache_shared", settings.clone()).await;
    let b = redis_shop("cache_shared", settings).await;
    // Both have started their epoch: from now on they read the same keys.
    assert_eq!(fetch(&a, "/products/9").await.1, "MISS");
    assert_eq!(fetch(&b, "/products/9").await.1, "HIT");
    assert_eq!(
        fetch(&a, "/products?sort=price&category=2&page=1").await.1,
        "MISS"
    );
    assert_eq!(fetch(&b, "/products?category=2&sort=price").await.1, "HIT");
    assert_eq!(
        fetch(&b, "/products/search?q=zapatillas&limit=5").await.1,
        "MISS"
    );
    assert_eq!(
        fetch(&a, "/products/search?limit=5&q=zapatillas").await.1,
        "HIT"
    );
    // A write on one instance is seen by the other at once.
    let admin = a.admin().await;
    set_price(&a, &admin, 9, 4321).await;
    let (_, outcome, body) = fetch(&b, "/products/9").await;
    assert_eq!(
        (outcome.as_str(), body["price"].as_f64()),
        ("MISS", Some(4321.0))
    );
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn leaving_ttl_only_for_on_write_drops_the_stale_entries() {
    let shop = redis_shop(
        "cache_leave_ttl_only",
        settings(CacheBackend::Redis, Invalidation::TtlOnly),
    )
    .await;
    let admin = shop.admin().await;
    set_price(&shop, &admin, 104, 50).await;
    fetch(&shop, "/products/104").await;
    set_price(&shop, &admin, 104, 60).await;
    assert_eq!(
        fetch(&shop, "/products/104").await.2["price"],
        50.0,
        "ttl-only: stale"
    );

    let response = shop
        .http
        .patch(shop.control("/settings"))
        .bearer_auth(shop.control_token())
        .json(&json!({ "cache": { "invalidation": "on-write" } }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let (_, outcome, body) = fetch(&shop, "/products/104").await;
    assert_eq!(
        (outcome.as_str(), body["price"].as_f64()),
        ("MISS", Some(60.0))
    );
    shop.stop().await;
}

/// `X-Cache` of a GET that must succeed.
async fn outcome(shop: &TestShop, path: &str) -> String {
    let (status, cache, _) = fetch(shop, path).await;
    assert_eq!(status, StatusCode::OK, "{path}");
    cache
}

#[tokio::test]
async fn process_hash_keys_are_shared_by_nobody_but_identical_requests() {
    for (db, scheme) in [
        ("cache_scheme_canonical", KeyScheme::Canonical),
        ("cache_scheme_process_hash", KeyScheme::ProcessHash),
    ] {
        let shared = scheme == KeyScheme::Canonical;
        let expect = |shared: bool| if shared { "HIT" } else { "MISS" };
        let mut settings = settings(CacheBackend::Redis, Invalidation::OnWrite);
        settings.cache.key_scheme = scheme;
        let a = redis_shop(db, settings.clone()).await;
        let b = redis_shop(db, settings).await;
        // Both have started their epoch: from now on only the scheme decides.
        assert_eq!(outcome(&a, "/products/9").await, "MISS", "{scheme:?}");
        assert_eq!(
            outcome(&b, "/products/9").await,
            expect(shared),
            "{scheme:?}: another instance"
        );
        assert_eq!(
            outcome(&a, "/products/9").await,
            "HIT",
            "{scheme:?}: the same request, the same process"
        );

        assert_eq!(outcome(&a, "/products/12?a=1&b=2").await, "MISS");
        assert_eq!(
            outcome(&a, "/products/12?b=2&a=1").await,
            expect(shared),
            "{scheme:?}: reordered parameters"
        );
        assert_eq!(outcome(&a, "/products?category=2&sort=price").await, "MISS");
        assert_eq!(
            outcome(&a, "/products?sort=price&category=2&page=1").await,
            expect(shared),
            "{scheme:?}: reordered parameters and a default spelled out"
        );

        // Generations still retire entries of either scheme, in every instance.
        let admin = a.admin().await;
        set_price(&a, &admin, 9, 3210).await;
        let (_, after, body) = fetch(&b, "/products/9").await;
        assert_eq!(
            (after.as_str(), body["price"].as_f64()),
            ("MISS", Some(3210.0)),
            "{scheme:?}"
        );
        a.stop().await;
        b.stop().await;
    }
}

#[tokio::test]
async fn changing_key_scheme_never_serves_the_other_schemes_entries() {
    let shop = redis_shop(
        "cache_scheme_switch",
        settings(CacheBackend::Redis, Invalidation::OnWrite),
    )
    .await;
    let path = "/products?category=3&sort=name";
    assert_eq!(outcome(&shop, path).await, "MISS");
    assert_eq!(outcome(&shop, path).await, "HIT");

    let patch = |scheme: &'static str| {
        shop.http
            .patch(shop.control("/settings"))
            .bearer_auth(shop.control_token())
            .json(&json!({ "cache": { "key_scheme": scheme } }))
            .send()
    };
    assert_eq!(
        patch("process-hash").await.unwrap().status(),
        StatusCode::OK
    );
    assert_eq!(
        outcome(&shop, path).await,
        "MISS",
        "not the canonical entry"
    );
    assert_eq!(outcome(&shop, path).await, "HIT");
    // The canonical entry is still there and still right: no write happened,
    // and a write would have retired it under either scheme.
    assert_eq!(patch("canonical").await.unwrap().status(), StatusCode::OK);
    assert_eq!(outcome(&shop, path).await, "HIT");
    let refused = patch("python-hash").await.unwrap();
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    shop.stop().await;
}
