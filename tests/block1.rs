//! Block 1 teaches by problems (issue 16): no lab's "Qué haces" / "What you
//! do" hands out the settings its solution applies (they are in the last
//! hint only); lab 1.3's hit-ratio check fails the solution with a TTL of one
//! second and passes it as it is; lab 1.5's listing hit ratio under writes
//! fails the starting state and passes the solution; lab 1.6's outage check
//! tells the fallbacks apart on two instances behind a database one round
//! trip away: `database` runs out of pool connections (503s), the naive
//! `local` serves the second instance's stale price, `memory` passes.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{TestShop, assert_units, check_context, lab_check, wait_for_cache_status};
use perflab::check::{self, Lang, Unit, Verdict};
use perflab::lab::Lab;
use perflab::services::redis::ScratchRedis;
use perflab::shop::settings::CacheFallback;

use common::LOCAL_REDIS_URL as LOCAL_REDIS;

/// The lines `key = value` a settings table sets, as TOML writes them
/// (`ttl = "5m"`, `endpoints = ["product_detail"]`), section headers left out.
fn assignments(table: &toml::Table) -> Vec<String> {
    let mut out = Vec::new();
    for (key, value) in table {
        match value {
            toml::Value::Table(inner) => out.extend(assignments(inner)),
            other => out.push(format!("{key} = {other}")),
        }
    }
    out
}

/// The section of `markdown` under the heading `heading` (to the next `## `).
fn section<'a>(markdown: &'a str, heading: &str) -> &'a str {
    let start = markdown
        .find(heading)
        .unwrap_or_else(|| panic!("no {heading:?} in:\n{markdown}"));
    let body = &markdown[start + heading.len()..];
    match body.find("\n## ") {
        Some(end) => &body[..end],
        None => body,
    }
}

fn block1_labs(catalog: &perflab::lab::Catalog) -> Vec<&Lab> {
    let labs: Vec<&Lab> = catalog.labs.iter().filter(|lab| lab.block == 1).collect();
    assert_eq!(labs.len(), 6, "Block 1 has six labs");
    labs
}

#[test]
fn what_you_do_never_holds_the_settings_the_solution_applies() {
    let catalog = common::block1();
    for lab in block1_labs(&catalog) {
        let solution = lab
            .solution
            .settings
            .as_ref()
            .unwrap_or_else(|| panic!("lab {} has a settings solution", lab.id));
        let lines = assignments(solution);
        assert!(!lines.is_empty(), "lab {}: an empty solution", lab.id);
        let last_hint = lab.hints.last().expect("hints");
        for (lang, heading) in [(Lang::Es, "## Qué haces"), (Lang::En, "## What you do")] {
            let what = section(lab.instructions.get(lang), heading);
            let hint = last_hint.get(lang);
            for line in &lines {
                assert!(
                    !what.contains(line.as_str()),
                    "lab {} ({lang:?}): {heading} gives away `{line}`:\n{what}",
                    lab.id
                );
                assert!(
                    hint.contains(line.as_str()),
                    "lab {} ({lang:?}): the last hint must give `{line}`:\n{hint}",
                    lab.id
                );
            }
            for (i, earlier) in lab.hints[..lab.hints.len() - 1].iter().enumerate() {
                for line in &lines {
                    assert!(
                        !earlier.get(lang).contains(line.as_str()),
                        "lab {} ({lang:?}): hint {} gives away `{line}` before the last",
                        lab.id,
                        i + 1
                    );
                }
            }
        }
    }
}

#[tokio::test]
async fn lab_1_3_solution_with_a_one_second_ttl_fails_its_hit_ratio() {
    let db = "block1_ttl";
    let catalog = common::block1();
    let lab = catalog.find("1.3").expect("lab 1.3");
    let solved = lab.solved_settings().expect("solved settings");
    assert!(
        solved.cache.ttl >= Duration::from_secs(60),
        "the solution's TTL is minutes: {:?}",
        solved.cache.ttl
    );
    let mut one_second = solved.clone();
    one_second.cache.ttl = Duration::from_secs(1);
    let spec = lab_check("1.3", "hit-ratio");
    let mut ratios = Vec::new();
    for (settings, verdict) in [(one_second, Verdict::Fail), (solved, Verdict::Pass)] {
        // A shop of its own each time: a cold cache, as the runner's shops start.
        let shop = TestShop::start_with_redis(db, settings, Some(LOCAL_REDIS.to_string())).await;
        wait_for_cache_status(&shop, "up").await;
        let result = check::run(&spec, &check_context(&shop, db, Lang::En)).await;
        assert_eq!(result.verdict, verdict, "{result:#?}");
        assert_eq!(result.unit, Some(Unit::Percent));
        assert_units(std::slice::from_ref(&result));
        assert!(
            result.message.contains("warm-up that does not count"),
            "{}",
            result.message
        );
        ratios.push(result.measured.expect("a ratio"));
        shop.stop().await;
    }
    assert!(
        ratios[0] < ratios[1],
        "1 s must hit less than the solution's TTL: {ratios:?}"
    );
    println!(
        "lab 1.3 hit ratio at 400 req/s: ttl 1s {:.1} %, solution {:.1} %",
        ratios[0], ratios[1]
    );
}

#[test]
fn labs_validate_proves_the_listing_hit_ratio_of_lab_1_5() {
    let text = common::validate_only("1.5", "b1_15");
    for id in ["shared-keys", "listing-hit-ratio-with-writes"] {
        let line = common::proven_line(&text, id);
        assert!(
            line.contains("fails at the start, passes solved"),
            "{line}\n{text}"
        );
    }
    println!("{text}");
}

#[tokio::test]
async fn lab_1_6_database_and_memory_fallbacks_report_differently() {
    use perflab::services::latency::{LatencyRelay, upstream_of};
    let db = "block1_outage";
    let catalog = common::block1();
    let lab = catalog.find("1.6").expect("lab 1.6");
    let spec = lab_check("1.6", "survives-redis");
    // The lab's stage: the database one network round trip away.
    let rtt = lab
        .stage
        .database_rtt
        .expect("lab 1.6 puts a network before the database");
    let direct = common::database_url(db);
    let relay = LatencyRelay::start(upstream_of(&direct).await.unwrap(), rtt)
        .await
        .expect("a latency relay");
    let through = relay.url_through(&direct).unwrap();
    let mut seen = Vec::new();
    for fallback in [
        CacheFallback::Database,
        CacheFallback::Memory,
        CacheFallback::Local,
    ] {
        let redis = ScratchRedis::start().await.expect("redis-server in PATH");
        let url = redis.url().to_string();
        let redis = Arc::new(tokio::sync::Mutex::new(redis));
        let mut settings = lab.solved_settings().expect("solved settings");
        settings.cache.fallback = fallback;
        let a = TestShop::start_through(through.clone(), settings.clone(), Some(url.clone())).await;
        let b = TestShop::start_through(through.clone(), settings, Some(url)).await;
        for shop in [&a, &b] {
            wait_for_cache_status(shop, "up").await;
        }
        let mut ctx = check_context(&a, db, Lang::En)
            .with_peer(&b.shop.endpoint.url)
            .with_redis_server(Arc::clone(&redis));
        ctx.traffic = lab.traffic.clone();
        let result = check::run(&spec, &ctx).await;
        assert_units(std::slice::from_ref(&result));
        let d = &result.details;
        println!("lab 1.6, fallback {fallback:?}: {}", result.message);
        assert_ne!(result.verdict, Verdict::Error, "it measured: {result:#?}");
        assert!(
            d["cross_writes"] + d["failed_writes"] > 0.0,
            "{fallback:?}: {result:#?}"
        );
        match fallback {
            // Every request on the pools: they run out, A answers 503.
            CacheFallback::Database => {
                assert!(d["pool_timeouts"] > 0.0, "{result:#?}");
                assert_eq!(result.verdict, Verdict::Fail, "{result:#?}");
                assert!(
                    d["outage_5xx"] + d["failed_writes"] > 0.0,
                    "the outage's requests got the 503s: {result:#?}"
                );
            }
            // B's own entry outlives A's write: the naive stand-in lab 1.6
            // teaches against.
            CacheFallback::Local => {
                assert!(d["peer_reads"] > 0.0, "{result:#?}");
                assert!(d["peer_stale"] > 0.0, "{result:#?}");
                assert_eq!(result.verdict, Verdict::Fail, "{result:#?}");
                assert!(result.message.contains("stale"), "{}", result.message);
            }
            // The solution: hits on both, checked against every write.
            _ => {
                assert!(d["peer_reads"] > 0.0, "{result:#?}");
                assert_eq!(d["peer_stale"], 0.0, "{result:#?}");
                assert_eq!(result.verdict, Verdict::Pass, "{result:#?}");
            }
        }
        assert!(
            result.message.contains("followed by a read on instance B"),
            "{}",
            result.message
        );
        seen.push((d["peer_hits"], d["pool_timeouts"]));
        a.stop().await;
        b.stop().await;
    }
    let (database, memory, local) = (seen[0], seen[1], seen[2]);
    assert!(
        local.0 > 0.0,
        "the naive fallback answers B from its cache too: {local:?}"
    );
    assert_eq!(database.0, 0.0, "the database fallback caches nothing");
    assert!(
        memory.0 > 0.0,
        "the memory fallback answers B from its own cache: {memory:?}"
    );
    // The pool tells them apart too: every request of the outage on it, or
    // almost none. Not none: a cold cache (the start, the emptied Redis
    // after the restart) sends a busy machine's requests to the pool for a
    // moment.
    assert!(
        memory.1 * 10.0 < database.1,
        "pool timeouts: memory {}, database {}",
        memory.1,
        database.1
    );
}
