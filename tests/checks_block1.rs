//! Block 1's check kinds against real shops: `health` (lab 1.2),
//! `hit_ratio` with writes (1.4), `shared_keys` across two instances (1.5),
//! `redis_outage` with a private redis-server it stops and starts (1.6), and
//! `memory` growth (4.3). Each fails in the lab's starting state (or a state
//! that breaks what it measures) and passes once the change is made; kinds
//! without their surface say they do not apply (lab 1.3's TTL trade-off is
//! in `tests/block1.rs`). Lab 1.4's writes are the
//! share its target says; checks that change prices put them back even when
//! dropped midway, and while the shop still answers 503; `labs validate`
//! proves each check (or guard) on its own.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{
    SilentServer, TestShop, assert_units, check_context, check_spec, lab_check, product_price,
    product_prices, wait_for_cache_status, wait_until,
};
use perflab::check::{self, CheckResult, Context, Lang, RedisServer, Unit, Verdict};
use perflab::services::redis::ScratchRedis;
use perflab::shop::settings::{CacheBackend, CachedRoute, Invalidation, ShopSettings};
use sqlx::Connection;

use common::LOCAL_REDIS_URL as LOCAL_REDIS;

fn cached(backend: CacheBackend) -> ShopSettings {
    let mut settings = ShopSettings::default();
    settings.cache.backend = backend;
    settings.cache.invalidation = Invalidation::OnWrite;
    settings.cache.endpoints = CachedRoute::ALL.to_vec();
    settings
}

fn assert_verdict(result: &CheckResult, verdict: Verdict) {
    assert_eq!(result.verdict, verdict, "{result:#?}");
    assert!(!result.message.is_empty());
    assert_units(std::slice::from_ref(result));
}

async fn redis_shop(db: &str, settings: ShopSettings, url: &str) -> TestShop {
    let shop = TestShop::start_with_redis(db, settings, Some(url.to_string())).await;
    wait_for_cache_status(&shop, "up").await;
    shop
}

#[tokio::test]
async fn health_fails_without_redis_and_passes_once_connected() {
    let db = "checks_b1_health";
    let spec = check_spec(
        "kind = \"health\"\nexpect = { \"cache.backend\" = \"redis\", \"cache.status\" = \"up\" }",
    );
    // Public HTTP only: a bare target has all this kind needs.
    let off = TestShop::start(db, ShopSettings::default()).await;
    let result = check::run(&spec, &Context::new(&off.shop.endpoint.url, Lang::En)).await;
    assert_verdict(&result, Verdict::Fail);
    assert_eq!(result.measured, None, "a judgement: no number to print");
    assert_eq!(result.details["matched"], 0.0);
    let text = &result.message;
    assert!(
        text.contains("cache.backend: \"off\" (wanted \"redis\")"),
        "{text}"
    );
    assert!(
        text.contains("cache.status: \"disabled\" (wanted \"up\")"),
        "{text}"
    );
    // A target hears about its API, not about perflab's settings.
    assert!(text.contains("Connect the API to Redis"), "{text}");
    assert!(!text.contains("shop.toml"), "{text}");
    // perflab's own shop (its control API there) gets perflab's advice.
    let own = check::run(&spec, &check_context(&off, db, Lang::En)).await;
    assert!(
        own.message.contains("shop.toml") && own.message.contains("perflab doctor"),
        "{}",
        own.message
    );
    off.stop().await;

    let on = redis_shop(db, cached(CacheBackend::Redis), LOCAL_REDIS).await;
    let result = check::run(&spec, &Context::new(&on.shop.endpoint.url, Lang::Es)).await;
    assert_verdict(&result, Verdict::Pass);
    assert_eq!(result.measured, None);
    assert_eq!(result.details["matched"], 2.0);
    assert!(
        result
            .message
            .contains("cache.backend: redis, cache.status: up"),
        "{}",
        result.message
    );
    on.stop().await;
}

#[tokio::test]
async fn hit_ratio_with_writes_writes_at_the_share_and_puts_prices_back() {
    let db = "checks_b1_hit_writes";
    let before = product_prices(db).await;
    let shop = TestShop::start(db, cached(CacheBackend::Memory)).await;
    let toml = "kind = \"hit_ratio\"\nmin = 0.5\nwrite_share = 0.05\nwarmup = \"500ms\"\n\
                traffic = { path = \"/products/{id}\", ids = [1, 50], rate = 300, users = 4, duration = \"2s\" }";
    let result = check::run(&check_spec(toml), &check_context(&shop, db, Lang::En)).await;
    assert_verdict(&result, Verdict::Pass);
    let writes = result.details["writes"];
    let share = result.details["write_share"];
    assert!(writes > 0.0, "{result:#?}");
    assert!((share - 0.05).abs() <= 0.005, "{result:#?}");
    assert!(
        result.message.contains("price writes"),
        "{}",
        result.message
    );
    assert_eq!(product_prices(db).await, before, "every price is put back");
    // Writes need the original prices from the database.
    let no_db = Context::new(&shop.shop.endpoint.url, Lang::En)
        .with_control(&shop.shop.endpoint.control_url, shop.control_token());
    assert_verdict(
        &check::run(&check_spec(toml), &no_db).await,
        Verdict::NotApplicable,
    );
    shop.stop().await;
}

#[tokio::test]
async fn shared_keys_fail_on_per_instance_memory_and_pass_on_redis() {
    let db = "checks_b1_shared";
    let before = product_prices(db).await;
    let a = redis_shop(db, cached(CacheBackend::Memory), LOCAL_REDIS).await;
    let b = redis_shop(db, cached(CacheBackend::Memory), LOCAL_REDIS).await;
    let spec = check_spec("kind = \"shared_keys\"");
    let ctx = check_context(&a, db, Lang::En).with_peer(&b.shop.endpoint.url);

    let apart = check::run(&spec, &ctx).await;
    assert_verdict(&apart, Verdict::Fail);
    assert_eq!(apart.details["misses"], 2.0, "{apart:#?}");
    assert!(apart.details["stale_reads"] >= 1.0, "{apart:#?}");
    let text = &apart.message;
    assert!(
        text.contains("GET /products?page=1&sort=price&category=3 on B answered X-Cache: MISS"),
        "{text}"
    );
    assert!(
        text.contains("per-process hash") && text.contains("namespace"),
        "{text}"
    );
    assert_eq!(product_prices(db).await, before, "the price is put back");

    for shop in [&a, &b] {
        shop.put_settings(&cached(CacheBackend::Redis)).await;
        wait_for_cache_status(shop, "up").await;
    }
    let shared = check::run(&spec, &ctx).await;
    assert_verdict(&shared, Verdict::Pass);
    assert_eq!(shared.measured, Some(0.0));
    assert_eq!(product_prices(db).await, before);

    let alone = check::run(&spec, &check_context(&a, db, Lang::Es)).await;
    assert_verdict(&alone, Verdict::NotApplicable);
    assert!(
        alone.message.contains("segunda instancia"),
        "{}",
        alone.message
    );
    a.stop().await;
    b.stop().await;
}

/// A private redis-server the check may stop, and a shop caching in it.
async fn shop_on_private_redis(db: &str, backend: CacheBackend) -> (TestShop, RedisServer) {
    let redis = ScratchRedis::start().await.expect("redis-server in PATH");
    let url = redis.url().to_string();
    let shop = TestShop::start_with_redis(db, cached(backend), Some(url)).await;
    wait_for_cache_status(&shop, "up").await;
    (shop, Arc::new(tokio::sync::Mutex::new(redis)))
}

fn outage_context(shop: &TestShop, db: &str, redis: &RedisServer) -> Context {
    check_context(shop, db, Lang::En).with_redis_server(Arc::clone(redis))
}

const OUTAGE: &str = "kind = \"redis_outage\"\nstop_after = \"500ms\"\ndown_for = \"1500ms\"\n\
                      traffic = { path = \"/products/{id}\", ids = [1, 50], users = 4 }";

#[tokio::test]
async fn redis_outage_passes_when_the_shop_falls_back_and_reconnects() {
    let db = "checks_b1_outage";
    let (shop, redis) = shop_on_private_redis(db, CacheBackend::Redis).await;
    let result = check::run(&check_spec(OUTAGE), &outage_context(&shop, db, &redis)).await;
    assert_verdict(&result, Verdict::Pass);
    assert_eq!(result.measured, Some(0.0));
    assert!(result.details["outage_requests"] > 0.0, "{result:#?}");
    assert!(result.details["resume_ms"] <= 5000.0, "{result:#?}");
    assert!(
        result.message.contains("got a hit served from Redis after"),
        "{}",
        result.message
    );
    assert!(redis.lock().await.is_running(), "Redis is running again");
    wait_for_cache_status(&shop, "up").await;
    shop.stop().await;
}

#[tokio::test]
async fn redis_outage_fails_when_hits_never_come_from_redis_again() {
    // Hits from the shop's own memory only: the restarted Redis never serves
    // one, as with a shop whose connection never reconnects.
    let db = "checks_b1_outage_memory";
    let (shop, redis) = shop_on_private_redis(db, CacheBackend::Memory).await;
    let toml = format!("{OUTAGE}\nresume_within = \"1s\"");
    let result = check::run(&check_spec(&toml), &outage_context(&shop, db, &redis)).await;
    assert_verdict(&result, Verdict::Fail);
    assert_eq!(
        result.measured,
        Some(0.0),
        "no 5xx: only the resumption fails"
    );
    assert!(!result.details.contains_key("resume_ms"));
    let text = &result.message;
    assert!(
        text.contains("no hit served from Redis within 1s"),
        "{text}"
    );
    assert!(text.contains("reconnect"), "{text}");
    assert!(redis.lock().await.is_running());
    shop.stop().await;
}

#[tokio::test]
async fn redis_outage_starts_redis_again_when_its_time_limit_ends_it() {
    let db = "checks_b1_outage_limit";
    let (shop, redis) = shop_on_private_redis(db, CacheBackend::Redis).await;
    let toml = "kind = \"redis_outage\"\ntimeout = \"1500ms\"\nstop_after = \"200ms\"\n\
                down_for = \"10s\"\ntraffic = { path = \"/products/{id}\", users = 2 }";
    let result = check::run(&check_spec(toml), &outage_context(&shop, db, &redis)).await;
    assert_verdict(&result, Verdict::Error);
    assert!(
        result.message.contains("time limit of 1s 500ms"),
        "{}",
        result.message
    );
    let url = redis.lock().await.url().to_string();
    wait_until(Duration::from_secs(15), "Redis started again", || async {
        perflab::services::redis::ping(&url).await.is_ok()
    })
    .await;
    wait_for_cache_status(&shop, "up").await;
    shop.stop().await;
}

#[tokio::test]
async fn redis_outage_needs_a_redis_it_may_stop() {
    let db = "checks_b1_outage_bare";
    let shop = TestShop::start(db, ShopSettings::default()).await;
    let result = check::run(&check_spec(OUTAGE), &check_context(&shop, db, Lang::En)).await;
    assert_verdict(&result, Verdict::NotApplicable);
    assert!(
        result.message.contains("private Redis"),
        "{}",
        result.message
    );
    shop.stop().await;
}

#[tokio::test]
async fn memory_growth_is_judged_across_runs() {
    // The test shop runs in this process: its RSS is this test binary's.
    let db = "checks_b1_memory";
    let shop = TestShop::start(db, ShopSettings::default()).await;
    let ctx = check_context(&shop, db, Lang::En).with_pid(std::process::id());
    let spec = |growth: &str| {
        check_spec(&format!(
            "kind = \"memory\"\nbelow_mb = 100000\nmax_growth_mb = {growth}"
        ))
    };
    let roomy = check::run(&spec("100000"), &ctx).await;
    assert_verdict(&roomy, Verdict::Pass);
    let growth = roomy.details["growth_mb"];
    assert!(
        roomy.message.contains(&format!("grew {growth:.1} MB")),
        "{}",
        roomy.message
    );
    assert!(roomy.target.contains("growth ≤ 100000 MB across 3 runs"));
    // A bound no measurement can meet: the growth part alone fails the check.
    let none = check::run(&spec("-100000"), &ctx).await;
    assert_verdict(&none, Verdict::Fail);
    assert!(
        none.message.contains("kept between requests"),
        "{}",
        none.message
    );
    shop.stop().await;
}

#[tokio::test]
async fn lab_1_4_writes_are_the_share_its_target_says() {
    let db = "checks_b1_share";
    let before = product_prices(db).await;
    let spec = lab_check("1.4", "hit-ratio-with-writes");
    let shop = redis_shop(db, cached(CacheBackend::Redis), LOCAL_REDIS).await;
    let mut ctx = check_context(&shop, db, Lang::Es);
    ctx.traffic = common::block1()
        .find("1.4")
        .and_then(|lab| lab.traffic.clone());
    let result = check::run(&spec, &ctx).await;
    assert_verdict(&result, Verdict::Pass);
    let share = result.details["write_share"];
    println!(
        "lab 1.4: {} writes, {:.2} % of the requests; hit ratio {:.1} %",
        result.details["writes"],
        share * 100.0,
        result.measured.unwrap_or_default()
    );
    assert!(
        (share - 0.05).abs() <= 0.005,
        "5 % ± 0.5 points, measured {share}: {result:#?}"
    );
    let shown = Unit::Percent.format(share * 100.0);
    assert!(
        result
            .message
            .contains(&format!("({shown} de las peticiones)")),
        "{}",
        result.message
    );
    assert!(
        result.target.contains("con 5 % de escrituras"),
        "{}",
        result.target
    );
    assert_eq!(product_prices(db).await, before, "every price is put back");
    shop.stop().await;
}

/// Polls the database until product `id`'s price is no longer `original`.
async fn written(db: &str, id: i64, original: &str) {
    wait_until(
        Duration::from_secs(20),
        "the check's first write",
        || async { product_price(db, id).await != original },
    )
    .await;
}

#[tokio::test]
async fn stale_reads_dropped_midway_put_the_original_price_back() {
    let db = "checks_b1_stale_drop";
    let product = 5;
    let original = product_price(db, product).await;
    let shop = TestShop::start(db, cached(CacheBackend::Memory)).await;
    let spec = check_spec(&format!(
        "kind = \"stale_reads\"\nproduct = {product}\nduration = \"30s\""
    ));
    let ctx = check_context(&shop, db, Lang::En);
    tokio::select! {
        result = check::run(&spec, &ctx) => panic!("it ended before it was dropped: {result:#?}"),
        () = written(db, product, &original) => {}
    }
    // The check's future is gone (as on Ctrl-C or its time limit): the price
    // goes back by itself, and `settle` waits for it.
    check::settle(Duration::from_secs(10)).await;
    assert_eq!(product_price(db, product).await, original);
    // A whole run puts it back too.
    let short = check_spec(&format!(
        "kind = \"stale_reads\"\nproduct = {product}\nduration = \"500ms\""
    ));
    assert_verdict(&check::run(&short, &ctx).await, Verdict::Pass);
    assert_eq!(product_price(db, product).await, original);
    shop.stop().await;
}

/// Shop connections of database `db` waiting for a lock.
async fn lock_waiters(db: &str) -> i64 {
    let mut conn = sqlx::PgConnection::connect(&common::database_url(db))
        .await
        .expect("connect");
    let waiting = sqlx::query_scalar(
        "SELECT count(*) FROM pg_stat_activity \
         WHERE datname = current_database() AND wait_event_type = 'Lock'",
    )
    .fetch_one(&mut conn)
    .await
    .expect("pg_stat_activity");
    let _ = conn.close().await;
    waiting
}

/// The unlucky end of lab 1.6 under `fallback = "database"`: the price goes
/// back while the shop still answers 503 (its pool drains the load's queue;
/// here a row lock past the shop's `lock_timeout` makes the same 503 with
/// `Retry-After`). The restore is sent again, not given up.
#[tokio::test]
async fn a_price_put_back_while_the_shop_answers_503_is_sent_again() {
    let db = "checks_b1_busy_put_back";
    let product = 6;
    let original = product_price(db, product).await;
    let shop = TestShop::start(db, cached(CacheBackend::Memory)).await;
    let spec = check_spec(&format!(
        "kind = \"stale_reads\"\nproduct = {product}\nduration = \"30s\""
    ));
    let ctx = check_context(&shop, db, Lang::En);
    let mut run = Box::pin(check::run(&spec, &ctx));
    tokio::select! {
        result = &mut run => panic!("it ended before it was dropped: {result:#?}"),
        () = written(db, product, &original) => {}
    }
    // The row stays locked until every write waiting for it gave up.
    let mut lock = sqlx::PgConnection::connect(&common::database_url(db))
        .await
        .expect("connect");
    sqlx::raw_sql("BEGIN")
        .execute(&mut lock)
        .await
        .expect("begin");
    sqlx::query("SELECT 1 FROM products WHERE id = $1 FOR UPDATE")
        .bind(product)
        .execute(&mut lock)
        .await
        .expect("lock the product's row");
    drop(run);
    wait_until(
        Duration::from_secs(20),
        "the put back waiting for the row",
        || async { lock_waiters(db).await > 0 },
    )
    .await;
    wait_until(
        Duration::from_secs(20),
        "the shop's lock_timeout (a 503)",
        || async { lock_waiters(db).await == 0 },
    )
    .await;
    lock.close().await.expect("unlock");
    check::settle(Duration::from_secs(20)).await;
    assert_eq!(product_price(db, product).await, original);
    shop.stop().await;
}

#[tokio::test]
async fn shared_keys_dropped_midway_put_the_original_price_back() {
    let db = "checks_b1_shared_drop";
    let before = product_prices(db).await;
    let shop = TestShop::start(db, cached(CacheBackend::Memory)).await;
    // B never answers: the check writes on A, then waits on B forever.
    let silent = SilentServer::start().await;
    let ctx = check_context(&shop, db, Lang::En).with_peer(silent.url());
    let spec = check_spec("kind = \"shared_keys\"\ntimeout = \"60s\"");
    // Boxed, so that dropping it below really drops the check.
    let mut run = Box::pin(check::run(&spec, &ctx));
    let changed = async {
        wait_until(Duration::from_secs(20), "the check's write", || async {
            product_prices(db).await != before
        })
        .await
    };
    tokio::select! {
        result = &mut run => panic!("it ended before it was dropped: {result:#?}"),
        () = changed => {}
    }
    drop(run);
    check::settle(Duration::from_secs(10)).await;
    assert_eq!(product_prices(db).await, before, "the price is back");
    shop.stop().await;
}

#[test]
fn labs_validate_proves_each_check_and_names_its_guards() {
    let text = common::validate_only("1.4", "b1");
    let line = |id: &str| common::proven_line(&text, id);
    assert!(
        line("stale-reads").contains("fails at the start, passes solved"),
        "{text}"
    );
    assert!(
        line("hit-ratio-with-writes").contains("guard, passes in both states"),
        "{text}"
    );
    assert!(
        !text.contains("1.1-baseline"),
        "1.4 has no relative target: lab 1.1 is not run\n{text}"
    );
}
