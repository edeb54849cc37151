//! Grading an API perflab did not start (`--target URL`) by the HTTP
//! contract alone: Block 1's labs run through `lab::runner::run_against`
//! against a second shop started in-process — one with every optimisation on
//! (`--preset optimized`), one with the cache off — as a grader would run
//! them against a student's own implementation. Every check that needs only
//! HTTP measures (the hit ratio from `X-Cache`), the others say they do not
//! apply, and no message speaks of perflab's settings (`shop.toml`).
//!
//! The tests measure load, so they take turns: two at once on 2 cores would
//! disturb each other's numbers.

mod common;

use std::collections::BTreeMap;

use common::{TestShop, assert_units, block1, wait_for_cache_status};
use perflab::check::{CheckResult, Lang, Unit, Verdict};
use perflab::lab::runner::run_against;
use perflab::lab::targets::Target;
use perflab::messages::Text;
use perflab::shop::settings::{Preset, ShopSettings};

use common::LOCAL_REDIS_URL as LOCAL_REDIS;

/// One measuring test at a time.
async fn turn() -> tokio::sync::MutexGuard<'static, ()> {
    static TURN: std::sync::OnceLock<tokio::sync::Mutex<()>> = std::sync::OnceLock::new();
    TURN.get_or_init(Default::default).lock().await
}

async fn optimized(db: &str) -> TestShop {
    // A Block 1 API has no limiter yet: the preset's 100 requests/min per
    // address would measure the limiter, not the cache, from one loopback client.
    let mut settings = ShopSettings::preset(Preset::Optimized);
    settings.rate_limit.enabled = false;
    let shop = TestShop::start_with_redis(db, settings, Some(LOCAL_REDIS.into())).await;
    wait_for_cache_status(&shop, "up").await;
    shop
}

/// Every check of the labs `ids` against `target`, by check id.
async fn grade(target: &Target, ids: &[&str], lang: Lang) -> BTreeMap<String, CheckResult> {
    let catalog = block1();
    let mut results = BTreeMap::new();
    for id in ids {
        let lab = catalog.find(id).expect("a Block 1 lab");
        for result in run_against(target, lab, &Text::from(lang)).await {
            results.insert(result.id.clone(), result);
        }
    }
    results
}

/// Nothing a target reads names perflab's settings.
fn assert_speaks_of_the_api(results: &BTreeMap<String, CheckResult>) {
    for r in results.values() {
        for word in [
            "shop.toml",
            "cache.backend =",
            "cache.endpoints",
            "cache.ttl",
        ] {
            assert!(!r.message.contains(word), "{}: {}", r.id, r.message);
        }
    }
}

fn verdict(results: &BTreeMap<String, CheckResult>, id: &str) -> Verdict {
    results
        .get(id)
        .unwrap_or_else(|| panic!("no check {id}: {results:#?}"))
        .verdict
}

/// What `--target URL [--peer URL]` gives: public URLs only, no baseline yet.
fn target(url: &str, peers: &[&str]) -> Target {
    Target {
        url: url.to_string(),
        peers: peers.iter().map(|p| p.to_string()).collect(),
        baseline: None,
    }
}

#[tokio::test]
async fn an_optimized_api_passes_every_http_only_check_with_its_hit_ratio_measured() {
    let _turn = turn().await;
    let db = "target_optimized";
    let before = common::product_prices(db).await;
    // Two instances on one database and Redis: the second is the `--peer`.
    let shop = optimized(db).await;
    let peer = optimized(db).await;
    let url = &shop.shop.endpoint.url;
    let graded = target(url, &[&peer.shop.endpoint.url]);
    let results = grade(
        &graded,
        &["1.1", "1.2", "1.3", "1.4", "1.5", "1.6"],
        Lang::En,
    )
    .await;
    let all: Vec<CheckResult> = results.values().cloned().collect();
    assert_units(&all);
    assert_speaks_of_the_api(&results);

    for id in [
        "redis-connected",
        "hit-ratio",
        "x-cache",
        "stale-reads",
        "shared-keys",
        "on-redis",
    ] {
        assert_eq!(verdict(&results, id), Verdict::Pass, "{:#?}", results[id]);
    }
    let hit_ratio = &results["hit-ratio"];
    assert_eq!(hit_ratio.unit, Some(Unit::Percent));
    assert!(
        hit_ratio.measured.is_some_and(|r| r >= 80.0),
        "{hit_ratio:#?}"
    );
    assert!(hit_ratio.details["lookups"] > 1000.0, "{hit_ratio:#?}");
    // What needs more than HTTP says so, and neither passes nor fails.
    for id in ["detail", "hit-ratio-with-writes", "survives-redis"] {
        assert_eq!(
            verdict(&results, id),
            Verdict::NotApplicable,
            "{:#?}",
            results[id]
        );
    }
    // A baseline through a cache measures the cache: refused, in the API's terms.
    let baseline = &results["baseline"];
    assert_eq!(baseline.verdict, Verdict::Fail, "{baseline:#?}");
    assert!(
        baseline.message.contains("X-Cache: HIT"),
        "{}",
        baseline.message
    );
    assert_eq!(baseline.measured, None, "nothing measured");

    // The human report prints no number for a judgement (a health check).
    // Async: the shop answers from this test's own runtime.
    let cli = tokio::process::Command::new(env!("CARGO_BIN_EXE_perflab"))
        .args(["--lang", "en", "check", "1.2", "--target", url])
        .env("PERFLAB_STATE_DIR", shop.state_dir.path())
        .output()
        .await
        .expect("perflab runs");
    let out = String::from_utf8_lossy(&cli.stdout);
    assert_eq!(cli.status.code(), Some(0), "{out}");
    let line = out
        .lines()
        .find(|l| l.contains("redis-connected"))
        .unwrap_or_else(|| panic!("no line for the check:\n{out}"));
    assert!(
        !line.chars().any(|c| c.is_ascii_digit()),
        "a health check shows no number: {line}"
    );
    assert_eq!(
        common::product_prices(db).await,
        before,
        "the checks that wrote put every price back"
    );
    shop.stop().await;
    peer.stop().await;
}

#[tokio::test]
async fn an_api_with_its_cache_off_passes_the_baseline_and_fails_the_hit_ratio() {
    let _turn = turn().await;
    let shop = TestShop::start("target_cache_off", ShopSettings::default()).await;
    let results = grade(
        &target(&shop.shop.endpoint.url, &[]),
        &["1.1", "1.3"],
        Lang::Es,
    )
    .await;
    assert_units(&results.values().cloned().collect::<Vec<_>>());
    assert_speaks_of_the_api(&results);
    let baseline = &results["baseline"];
    assert_eq!(baseline.verdict, Verdict::Pass, "{baseline:#?}");
    assert_eq!(baseline.unit, Some(Unit::Count));
    assert!(baseline.details["detail.p95_ms"] > 0.0, "{baseline:#?}");
    let hit_ratio = &results["hit-ratio"];
    assert_eq!(hit_ratio.verdict, Verdict::Fail, "{hit_ratio:#?}");
    assert!(hit_ratio.details["bypasses"] > 0.0, "{hit_ratio:#?}");
    assert!(
        hit_ratio.message.contains("la API no cachea esta ruta"),
        "{}",
        hit_ratio.message
    );
    assert!(
        hit_ratio.target.contains("tasa de aciertos ≥ 80 %"),
        "in the learner's language: {}",
        hit_ratio.target
    );
    shop.stop().await;
}
