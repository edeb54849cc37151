//! `Server-Timing`, `X-Response-Time` and `X-Request-Id` over real HTTP
//! (issue 13): on every route when switched on, absent when off; db + cache
//! never exceed the total, which never exceeds what the client waited; a
//! cache hit spends nothing in the database; a client's sane request id is
//! kept and any other replaced.

mod common;

use std::time::Instant;

use common::TestShop;
use perflab::shop::settings::{CacheBackend, ShopSettings};
use reqwest::{Method, StatusCode};
use serde_json::json;

const DB: &str = "timing";

fn timed_settings() -> ShopSettings {
    let mut settings = ShopSettings::default();
    settings.middleware.timing = true;
    settings.cache.backend = CacheBackend::Memory;
    settings
}

/// `Server-Timing`'s three parts, in milliseconds.
#[derive(Debug, Clone, Copy)]
struct ServerTiming {
    db: f64,
    cache: f64,
    total: f64,
}

fn server_timing(response: &reqwest::Response) -> ServerTiming {
    let header = response
        .headers()
        .get("server-timing")
        .unwrap_or_else(|| panic!("no Server-Timing on {}", response.url()))
        .to_str()
        .expect("ascii");
    let part = |name: &str| -> f64 {
        header
            .split(", ")
            .find_map(|metric| metric.strip_prefix(&format!("{name};dur=")))
            .unwrap_or_else(|| panic!("no {name} in {header:?}"))
            .parse()
            .unwrap_or_else(|e| panic!("{e}: {header:?}"))
    };
    ServerTiming {
        db: part("db"),
        cache: part("cache"),
        total: part("total"),
    }
}

/// `X-Response-Time` in milliseconds.
fn response_time(response: &reqwest::Response) -> f64 {
    let header = response.headers()["x-response-time"]
        .to_str()
        .expect("ascii");
    header
        .strip_suffix("ms")
        .and_then(|ms| ms.parse().ok())
        .unwrap_or_else(|| panic!("X-Response-Time {header:?}"))
}

/// Sends `request` and checks its timing headers against each other and
/// against the time the client waited for the response head.
async fn checked(request: reqwest::RequestBuilder) -> (reqwest::Response, ServerTiming) {
    let started = Instant::now();
    let response = request.send().await.expect("request");
    let waited_ms = started.elapsed().as_secs_f64() * 1000.0;
    let timing = server_timing(&response);
    let what = format!("{} {timing:?}", response.url());
    assert!(timing.db >= 0.0 && timing.cache >= 0.0, "{what}");
    // Both headers print three decimals of one measurement.
    assert!(
        timing.db + timing.cache <= timing.total + 0.002,
        "db + cache > total: {what}"
    );
    assert_eq!(response_time(&response), timing.total, "{what}");
    assert!(
        timing.total <= waited_ms,
        "total > {waited_ms} ms waited: {what}"
    );
    (response, timing)
}

#[tokio::test]
async fn every_route_carries_consistent_timing_when_on() {
    let shop = TestShop::start(DB, timed_settings()).await;
    let admin = shop.admin().await;
    let http = &shop.http;
    let get = |path: &str| http.get(shop.url(path));

    let requests = [
        get("/health"),
        get("/openapi.json"),
        get("/products"),
        get("/products/1"),
        get("/products/search?q=ab"),
        get("/categories"),
        get("/products/export"),
        get("/reports/top-products").bearer_auth(&admin),
        get("/users/me").bearer_auth(&admin),
        get("/orders").bearer_auth(&admin),
        get("/no-such-route"),
        http.post(shop.url("/auth/login"))
            .json(&json!({ "email": "nobody@perflab.test", "password": "x" })),
        http.put(shop.url("/products/2"))
            .bearer_auth(&admin)
            .json(&json!({ "price": 1234 })),
    ];
    for request in requests {
        let (response, _) = checked(request).await;
        let status = response.status();
        assert!(
            !status.is_server_error(),
            "{} answered {status}",
            response.url()
        );
    }
    shop.stop().await;
}

#[tokio::test]
async fn a_cache_hit_spends_nothing_in_the_database() {
    let shop = TestShop::start(DB, timed_settings()).await;
    let detail = || shop.http.get(shop.url("/products/3"));

    let (miss, at_miss) = checked(detail()).await;
    assert_eq!(miss.headers()["x-cache"], "MISS");
    assert!(common::query_count(&miss) >= 1);
    assert!(at_miss.db > 0.0, "a miss reads the database: {at_miss:?}");

    let (hit, at_hit) = checked(detail()).await;
    assert_eq!(hit.headers()["x-cache"], "HIT");
    assert_eq!(common::query_count(&hit), 0);
    assert_eq!(at_hit.db, 0.0, "{at_hit:?}");
    shop.stop().await;
}

#[tokio::test]
async fn a_redis_hit_spends_its_time_in_the_cache() {
    let mut settings = timed_settings();
    settings.cache.backend = CacheBackend::Redis;
    let shop = TestShop::start_with_redis(DB, settings, Some(common::LOCAL_REDIS_URL.into())).await;
    common::wait_for_cache_status(&shop, "up").await;
    let detail = || shop.http.get(shop.url("/products/4"));

    let (miss, at_miss) = checked(detail()).await;
    assert_eq!(miss.headers()["x-cache"], "MISS");
    // A lookup and a fill, each a round trip to Redis.
    assert!(at_miss.cache > 0.0, "{at_miss:?}");

    let (hit, at_hit) = checked(detail()).await;
    assert_eq!(hit.headers()["x-cache"], "HIT");
    assert!(at_hit.cache > 0.0, "a lookup is a round trip: {at_hit:?}");
    assert_eq!(at_hit.db, 0.0, "{at_hit:?}");
    shop.stop().await;
}

#[tokio::test]
async fn timing_and_ids_are_absent_when_off() {
    let shop = TestShop::start(DB, ShopSettings::default()).await;
    for path in ["/products/1", "/health", "/no-such-route"] {
        let response = shop.get(path).await;
        for header in ["server-timing", "x-response-time", "x-request-id"] {
            assert!(
                response.headers().get(header).is_none(),
                "{header} on {path} with the middleware off"
            );
        }
    }
    shop.stop().await;
}

fn id_of(response: &reqwest::Response) -> String {
    response.headers()["x-request-id"]
        .to_str()
        .expect("ascii")
        .to_string()
}

#[tokio::test]
async fn a_sane_request_id_is_kept_and_any_other_replaced() {
    let mut settings = ShopSettings::default();
    settings.middleware.request_id = true;
    let shop = TestShop::start(DB, settings).await;
    let with_id = |id: &str| {
        shop.http
            .get(shop.url("/products/1"))
            .header("x-request-id", id)
            .send()
    };

    let kept = "client-id_42.abc";
    assert_eq!(id_of(&with_id(kept).await.unwrap()), kept);
    let longest = "a".repeat(128);
    assert_eq!(id_of(&with_id(&longest).await.unwrap()), longest);

    for insane in ["a".repeat(129), "has a space".into(), "tab\there".into()] {
        let response = with_id(&insane).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let id = id_of(&response);
        assert_ne!(id, insane);
        assert_eq!(id.len(), 32, "a new random id: {id:?}");
    }

    let first = id_of(&shop.get("/products/1").await);
    let second = id_of(&shop.get("/products/1").await);
    assert_eq!(first.len(), 32, "{first:?}");
    assert_ne!(first, second, "each request gets its own id");

    // Errors carry it too: the id is how a support request finds its line.
    let response = shop
        .send(Method::POST, "/auth/login", None, &json!({}))
        .await;
    assert!(response.status().is_client_error());
    assert_eq!(id_of(&response).len(), 32);
    shop.stop().await;
}
