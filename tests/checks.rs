//! The check engine against a real shop on PostgreSQL: each kind fails in the
//! lab's starting state and passes after the change it is about; kinds that
//! need the control API or the database say they do not apply without it; a
//! time limit gives `Error`; messages carry the measured value and the target.

mod common;

use common::{TestShop, assert_units, check_context, check_spec};
use perflab::check::{self, CheckResult, Lang, Unit, Verdict};
use perflab::shop::settings::{CacheBackend, CachedRoute, Invalidation, ShopSettings};

fn cached(backend: CacheBackend, invalidation: Invalidation) -> ShopSettings {
    let mut settings = ShopSettings::default();
    settings.cache.backend = backend;
    settings.cache.invalidation = invalidation;
    settings.cache.endpoints = CachedRoute::ALL.to_vec();
    settings
}

async fn run(shop: &TestShop, db: &str, toml: &str) -> CheckResult {
    let ctx = check_context(shop, db, Lang::En);
    check::run(&check_spec(toml), &ctx).await
}

fn assert_verdict(result: &CheckResult, verdict: Verdict) {
    assert_eq!(result.verdict, verdict, "{result:#?}");
    assert!(!result.message.is_empty());
    assert_units(std::slice::from_ref(result));
}

#[tokio::test]
async fn latency_passes_a_generous_target_and_fails_an_impossible_one() {
    let db = "check_latency";
    let shop = TestShop::start(db, ShopSettings::default()).await;
    let spec = |p95: &str| {
        format!(
            "kind = \"latency\"\np95_ms = {p95}\ntraffic = {{ path = \"/products/{{id}}\", users = 4, duration = \"1s\" }}"
        )
    };
    let pass = run(&shop, db, &spec("5000")).await;
    assert_verdict(&pass, Verdict::Pass);
    let fail = run(&shop, db, &spec("0.001")).await;
    assert_verdict(&fail, Verdict::Fail);
    let p95 = fail.measured.expect("a p95");
    assert_eq!(fail.unit, Some(Unit::Ms));
    assert!(
        fail.message.contains(&Unit::Ms.format(p95)),
        "{}",
        fail.message
    );
    assert!(
        fail.message.contains("target p95 < 0.001 ms"),
        "{}",
        fail.message
    );
    shop.stop().await;
}

#[tokio::test]
async fn non_2xx_answers_fail_latency() {
    let db = "check_latency";
    let shop = TestShop::start(db, ShopSettings::default()).await;
    let toml = "kind = \"latency\"\np95_ms = 5000\ntraffic = { path = \"/products/999999\", users = 2, duration = \"500ms\" }";
    let result = run(&shop, db, toml).await;
    assert_verdict(&result, Verdict::Fail);
    assert!(
        result.message.contains("100.0 % non-2xx"),
        "{}",
        result.message
    );
    shop.stop().await;
}

#[tokio::test]
async fn hit_ratio_fails_with_the_cache_off_and_passes_with_memory() {
    let db = "check_hit_ratio";
    let toml = "kind = \"hit_ratio\"\nmin = 0.8\nwarmup = \"500ms\"\n\
                traffic = { path = \"/products/{id}\", ids = [1, 50], users = 4, duration = \"1s\" }";
    let shop = TestShop::start(db, cached(CacheBackend::Off, Invalidation::OnWrite)).await;
    let off = run(&shop, db, toml).await;
    assert_verdict(&off, Verdict::Fail);
    shop.put_settings(&cached(CacheBackend::Memory, Invalidation::OnWrite))
        .await;
    let on = run(&shop, db, toml).await;
    assert_verdict(&on, Verdict::Pass);
    assert_eq!(on.unit, Some(Unit::Percent));
    assert!(on.measured.is_some_and(|r| r >= 80.0), "{on:#?}");
    // Counted from X-Cache, after the warm-up: every lookup is a HIT or a MISS.
    assert_eq!(
        on.details["hits"] + on.details["misses"],
        on.details["lookups"]
    );
    shop.stop().await;
}

#[tokio::test]
async fn headers_fail_on_bypass_and_pass_when_cached() {
    let db = "check_headers";
    let toml = "kind = \"headers\"\npath = \"/products/7\"\nrequire = [\"x-query-count\"]\n\
                expect = [{ x-cache = \"MISS|HIT\" }, { x-cache = \"HIT\" }]";
    let shop = TestShop::start(db, ShopSettings::default()).await;
    let bypass = run(&shop, db, toml).await;
    assert_verdict(&bypass, Verdict::Fail);
    assert!(bypass.message.contains("BYPASS"), "{}", bypass.message);
    assert_eq!(bypass.measured, None, "a judgement, not a number");
    shop.put_settings(&cached(CacheBackend::Memory, Invalidation::OnWrite))
        .await;
    assert_verdict(&run(&shop, db, toml).await, Verdict::Pass);
    shop.stop().await;
}

#[tokio::test]
async fn query_count_fails_lazy_and_passes_eager() {
    let db = "check_query_count";
    let toml = "kind = \"query_count\"\npath = \"/orders/1\"\nuser = 1\nmax = 3";
    let shop = TestShop::start(db, ShopSettings::default()).await;
    let lazy = run(&shop, db, toml).await;
    assert_verdict(&lazy, Verdict::Fail);
    let mut eager = ShopSettings::default();
    eager.database.loading = perflab::shop::settings::Loading::Eager;
    shop.put_settings(&eager).await;
    let result = run(&shop, db, toml).await;
    assert_verdict(&result, Verdict::Pass);
    assert!(
        result.message.contains("X-Query-Count ≤ 3"),
        "{}",
        result.message
    );
    shop.stop().await;
}

#[tokio::test]
async fn explain_fails_without_the_index_and_passes_with_it() {
    let db = "check_explain";
    let toml = "kind = \"explain\"\nquery = \"category_listing\"\n\
                index = \"idx_check_category_price\"\nno_seq_scan_on = \"products\"";
    let shop = TestShop::start(db, ShopSettings::default()).await;
    let before = run(&shop, db, toml).await;
    assert_verdict(&before, Verdict::Fail);
    assert!(
        before.message.contains("Seq Scan on: products"),
        "{}",
        before.message
    );
    let applied = shop
        .http
        .post(shop.control("/indexes/apply"))
        .bearer_auth(shop.control_token())
        .body("CREATE INDEX idx_check_category_price ON products (category_id, price);")
        .send()
        .await
        .expect("apply");
    assert!(applied.status().is_success());
    let after = run(&shop, db, toml).await;
    assert_verdict(&after, Verdict::Pass);
    assert!(after.measured.is_some());
    shop.stop().await;
}

#[tokio::test]
async fn stale_reads_fail_ttl_only_and_pass_on_write() {
    let db = "check_stale_reads";
    let toml = "kind = \"stale_reads\"\nproduct = 3\nduration = \"1s\"";
    let original = common::product_price(db, 3).await;
    let shop = TestShop::start(db, cached(CacheBackend::Memory, Invalidation::TtlOnly)).await;
    // Cached before the check: a ttl-only cache keeps answering with it.
    assert!(shop.get("/products/3").await.status().is_success());
    let ttl_only = run(&shop, db, toml).await;
    assert_verdict(&ttl_only, Verdict::Fail);
    assert_eq!(ttl_only.unit, Some(Unit::Count));
    // Put back from the database's original, not a cached GET's.
    assert_eq!(common::product_price(db, 3).await, original);
    let second = run(&shop, db, toml).await;
    assert_verdict(&second, Verdict::Fail);
    assert_eq!(
        common::product_price(db, 3).await,
        original,
        "a second run over a cache still holding the first run's prices puts the original back"
    );
    shop.put_settings(&cached(CacheBackend::Memory, Invalidation::OnWrite))
        .await;
    let on_write = run(&shop, db, toml).await;
    assert_verdict(&on_write, Verdict::Pass);
    assert_eq!(on_write.measured, Some(0.0));
    assert_eq!(common::product_price(db, 3).await, original);
    shop.stop().await;
}

#[tokio::test]
async fn pool_connections_stay_under_the_pool_size() {
    let db = "check_pool";
    let toml = "kind = \"pool_connections\"\nbelow = 4\n\
                traffic = { path = \"/products?category=3&sort=price\", users = 16, duration = \"1s\" }";
    // Small first: a resized pool's old connections close in the background,
    // and a few left over would blur the small pool's count, not the big one's.
    let mut small = ShopSettings::default();
    small.database.pool_size = 2;
    let shop = TestShop::start(db, small).await;
    let few = run(&shop, db, toml).await;
    assert_verdict(&few, Verdict::Pass);
    let mut big = ShopSettings::default();
    big.database.pool_size = 12;
    shop.put_settings(&big).await;
    let many = run(&shop, db, toml).await;
    assert_verdict(&many, Verdict::Fail);
    shop.stop().await;
}

#[tokio::test]
async fn kinds_needing_the_control_api_or_database_do_not_apply_to_a_bare_target() {
    let db = "check_bare";
    let shop = TestShop::start(db, ShopSettings::default()).await;
    let bare = check::Context::new(&shop.shop.endpoint.url, Lang::Es);
    let specs = [
        "kind = \"hit_ratio\"\nmin = 0.8\nwrite_share = 0.05\ntraffic = { path = \"/products/{id}\", duration = \"200ms\" }",
        "kind = \"explain\"\nquery = \"category_listing\"",
        "kind = \"pool_connections\"\nbelow = 20\ntraffic = { path = \"/health\", duration = \"200ms\" }",
    ]
    .map(check_spec);
    let results = check::run_all(&specs, &bare).await;
    for result in &results {
        assert_verdict(result, Verdict::NotApplicable);
        assert!(result.message.contains("no aplica"), "{}", result.message);
    }
    // What the bare target does have still measures: headers, and the hit
    // ratio from X-Cache (here every answer is BYPASS: the cache is off).
    let headers =
        check_spec("kind = \"headers\"\npath = \"/health\"\nrequire = [\"x-query-count\"]");
    assert_verdict(&check::run(&headers, &bare).await, Verdict::Pass);
    let hit_ratio = check_spec(
        "kind = \"hit_ratio\"\nmin = 0.8\nwarmup = \"0s\"\ntraffic = { path = \"/products/{id}\", duration = \"300ms\" }",
    );
    let measured = check::run(&hit_ratio, &bare).await;
    assert_verdict(&measured, Verdict::Fail);
    assert!(measured.details["bypasses"] > 0.0, "{measured:#?}");
    assert!(
        measured.message.contains("no cachea esta ruta") && !measured.message.contains("shop.toml"),
        "{}",
        measured.message
    );
    shop.stop().await;
}

#[tokio::test]
async fn the_time_limit_gives_an_error_naming_it() {
    let db = "check_latency";
    let shop = TestShop::start(db, ShopSettings::default()).await;
    let toml = "kind = \"latency\"\ntimeout = \"300ms\"\np95_ms = 5000\ntraffic = { path = \"/health\", users = 1, duration = \"5s\" }";
    let result = run(&shop, db, toml).await;
    assert_verdict(&result, Verdict::Error);
    assert!(
        result.message.contains("time limit of 300ms"),
        "{}",
        result.message
    );
    assert!(result.elapsed < std::time::Duration::from_secs(2));
    shop.stop().await;
}

#[tokio::test]
async fn messages_carry_measure_and_target_in_both_languages() {
    let db = "check_query_count";
    let shop = TestShop::start(db, ShopSettings::default()).await;
    let spec = check_spec("kind = \"query_count\"\npath = \"/products/5\"\nmax = 0");
    for (lang, words) in [(Lang::Es, "consultas SQL"), (Lang::En, "SQL queries")] {
        let result = check::run(&spec, &check_context(&shop, db, lang)).await;
        assert_verdict(&result, Verdict::Fail);
        let measured = result.measured.expect("a count");
        let text = &result.message;
        assert!(
            text.contains(&format!("{measured}")) && text.contains(words),
            "{text}"
        );
        assert!(text.contains("X-Query-Count ≤ 0"), "{text}");
    }
    shop.stop().await;
}

#[test]
fn unknown_fields_and_kinds_are_refused() {
    let bad_field = toml::from_str::<check::CheckSpec>("kind = \"latency\"\np95_ms = 1\np59 = 2");
    assert!(bad_field.is_err());
    let bad_kind = toml::from_str::<check::CheckSpec>("kind = \"vibes\"");
    assert!(bad_kind.is_err());
}

#[tokio::test]
async fn memory_reads_the_shop_process_and_needs_its_pid() {
    // The test shop runs in this process: its RSS is this test binary's.
    let db = "check_memory";
    let shop = TestShop::start(db, ShopSettings::default()).await;
    let ctx = check_context(&shop, db, Lang::En).with_pid(std::process::id());
    let spec = |mb: &str| check_spec(&format!("kind = \"memory\"\nrequests = 2\nbelow_mb = {mb}"));
    let roomy = check::run(&spec("100000"), &ctx).await;
    assert_verdict(&roomy, Verdict::Pass);
    let rss = roomy.measured.expect("an RSS");
    assert_eq!(roomy.unit, Some(Unit::Megabytes));
    assert!(
        roomy.message.contains(&Unit::Megabytes.format(rss)),
        "{}",
        roomy.message
    );
    assert_verdict(&check::run(&spec("1"), &ctx).await, Verdict::Fail);
    let without_pid = check_context(&shop, db, Lang::En);
    assert_verdict(
        &check::run(&spec("512"), &without_pid).await,
        Verdict::NotApplicable,
    );
    shop.stop().await;
}
