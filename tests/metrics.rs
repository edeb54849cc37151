//! Lab 4.1's surfaces on a real shop: `/metrics` is Prometheus text that
//! Prometheus's own checker (`promtool check metrics`) accepts, its series
//! count exactly the requests sent (4xx and 5xx by status), the `route`
//! label's cardinality under `path` and `template`, and the monitoring
//! fixtures (`fixtures/monitoring/`): promtool accepts the config and the
//! rules and passes the rules' tests, and every query of the Grafana
//! dashboard and the rules parses as PromQL and names series a real scrape
//! has. Also the `metrics` check, failing on the course's raw-path label
//! and passing on the template.

mod common;

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::{ClosedPort, Need, TestShop, require};
use perflab::check::{self, Exposition, Lang, Verdict};
use perflab::shop::settings::{CacheBackend, CacheFallback, CachedRoute, RouteLabel, ShopSettings};
use promql_parser::parser::Expr;
use promql_parser::util::{ExprVisitor, walk_expr};
use reqwest::StatusCode;

const DB: &str = "metrics";

fn monitored(route_label: RouteLabel) -> ShopSettings {
    let mut settings = ShopSettings::default();
    settings.monitoring.metrics = true;
    settings.monitoring.route_label = route_label;
    settings
}

async fn scrape(shop: &TestShop) -> (String, Exposition) {
    let response = shop.get("/metrics").await;
    assert_eq!(response.status(), StatusCode::OK);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        content_type.starts_with("text/plain; version=0.0.4"),
        "{content_type}"
    );
    let text = response.text().await.unwrap();
    let exposition = Exposition::parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    (text, exposition)
}

async fn get_status(shop: &TestShop, path: &str) -> StatusCode {
    shop.get(path).await.status()
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/monitoring")
        .join(name)
}

/// Runs promtool; panics with its output unless it succeeds.
fn promtool(args: &[&str], stdin: Option<&str>) {
    require(&[Need::Promtool]);
    let mut child = Command::new("promtool")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool runs");
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin.unwrap_or("").as_bytes()).unwrap();
    drop(input);
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "promtool {args:?}: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn metrics_is_a_404_while_monitoring_is_off_and_never_rate_limited() {
    let shop = TestShop::start(DB, ShopSettings::default()).await;
    assert_eq!(get_status(&shop, "/metrics").await, StatusCode::NOT_FOUND);
    shop.patch_settings(&serde_json::json!({
        "monitoring": { "metrics": true },
        "rate_limit": { "enabled": true, "requests": 2, "burst": 2,
                        "per_tier": false, "per_endpoint": false }
    }))
    .await;
    for _ in 0..10 {
        assert_eq!(
            get_status(&shop, "/metrics").await,
            StatusCode::OK,
            "scrapes spend no budget"
        );
    }
    let mut limited = 0;
    for _ in 0..5 {
        limited +=
            usize::from(get_status(&shop, "/categories").await == StatusCode::TOO_MANY_REQUESTS);
    }
    assert!(limited > 0, "the limit is on for the other routes");
    let (_, m) = scrape(&shop).await;
    assert_eq!(
        m.sum("rate_limit_decisions_total", &[("outcome", "limited")]),
        limited as f64
    );
    shop.stop().await;
}

#[tokio::test]
async fn the_series_count_exactly_what_was_sent_and_promtool_accepts_them() {
    let shop = TestShop::start(DB, monitored(RouteLabel::Template)).await;
    for id in 1..=30 {
        assert_eq!(
            get_status(&shop, &format!("/products/{id}")).await,
            StatusCode::OK
        );
    }
    for _ in 0..4 {
        assert_eq!(
            get_status(&shop, "/products/999999999").await,
            StatusCode::NOT_FOUND
        );
    }
    for _ in 0..3 {
        assert_eq!(
            get_status(&shop, "/no-such-page").await,
            StatusCode::NOT_FOUND
        );
    }
    let (text, m) = scrape(&shop).await;
    promtool(&["check", "metrics"], Some(&text));

    let detail = [("method", "GET"), ("route", "/products/{id}")];
    let ok = [detail.as_slice(), &[("status", "200")]].concat();
    assert_eq!(m.sum("http_requests_total", &ok), 30.0, "{text}");
    let missing = [detail.as_slice(), &[("status", "404")]].concat();
    assert_eq!(m.sum("http_requests_total", &missing), 4.0);
    assert_eq!(
        m.sum(
            "http_requests_total",
            &[("route", "unmatched"), ("status", "404")]
        ),
        3.0
    );
    let ok_class = [detail.as_slice(), &[("status_class", "2xx")]].concat();
    assert_eq!(
        m.sum("http_request_duration_seconds_count", &ok_class),
        30.0
    );
    let le = |le: &'static str| [ok_class.as_slice(), &[("le", le)]].concat();
    assert_eq!(
        m.sum("http_request_duration_seconds_bucket", &le("+Inf")),
        30.0
    );
    let under_target = m.sum("http_request_duration_seconds_bucket", &le("0.2"));
    assert!(
        (0.0..=30.0).contains(&under_target),
        "a 0.2 s bucket: {text}"
    );
    // One primary-key read per uncached detail request.
    assert_eq!(
        m.sum("http_request_queries_sum", &[("route", "/products/{id}")]),
        34.0
    );
    assert!(m.sum("process_resident_memory_bytes", &[]) > 1e6);
    assert!(m.sum("db_pool_max_connections", &[]) >= 1.0);
    assert_eq!(
        m.sum("cache_bypasses_total", &[("route", "/products/{id}")]),
        34.0
    );

    // A second scrape counts the first.
    let (_, again) = scrape(&shop).await;
    assert_eq!(
        again.sum("http_requests_total", &[("route", "/metrics")]),
        1.0
    );
    shop.stop().await;
}

#[tokio::test]
async fn a_5xx_is_counted_by_status() {
    // Redis never answers and the cache refuses to answer without it.
    let closed = ClosedPort::new();
    let mut settings = monitored(RouteLabel::Template);
    settings.cache.backend = CacheBackend::Redis;
    settings.cache.fallback = CacheFallback::None;
    settings.cache.endpoints = vec![CachedRoute::ProductDetail];
    let redis = Some(format!("redis://{}", closed.addr()));
    let shop = TestShop::start_with_redis(DB, settings, redis).await;
    for _ in 0..5 {
        assert_eq!(
            get_status(&shop, "/products/1").await,
            StatusCode::SERVICE_UNAVAILABLE
        );
    }
    let (text, m) = scrape(&shop).await;
    let refused = [("route", "/products/{id}"), ("status", "503")];
    assert_eq!(m.sum("http_requests_total", &refused), 5.0, "{text}");
    assert_eq!(
        m.sum(
            "http_request_duration_seconds_count",
            &[("status_class", "5xx")]
        ),
        5.0
    );
    promtool(&["check", "metrics"], Some(&text));
    shop.stop().await;
}

#[tokio::test]
async fn a_raw_path_label_makes_a_series_per_id_and_the_template_one() {
    for (label, series) in [(RouteLabel::Path, 25), (RouteLabel::Template, 1)] {
        let shop = TestShop::start(DB, monitored(label)).await;
        for id in 101..=125 {
            assert_eq!(
                get_status(&shop, &format!("/products/{id}")).await,
                StatusCode::OK
            );
        }
        let (_, m) = scrape(&shop).await;
        let routes: BTreeSet<String> = m
            .label_values("http_requests_total", "route")
            .into_iter()
            .filter(|r| r.starts_with("/products/"))
            .collect();
        assert_eq!(routes.len(), series, "{label:?}: {routes:?}");
        shop.stop().await;
    }
}

#[test]
fn promtool_accepts_the_config_and_the_rules_and_their_tests_pass() {
    let config = fixture("prometheus.yml");
    let rules = fixture("rules.yml");
    promtool(&["check", "config", config.to_str().unwrap()], None);
    promtool(&["check", "rules", rules.to_str().unwrap()], None);
    let dir = fixture("");
    require(&[Need::Promtool]);
    let out = Command::new("promtool")
        .args(["test", "rules", "rules_test.yml"])
        .current_dir(&dir)
        .output()
        .expect("promtool runs");
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The metric names a PromQL expression selects.
struct Names(BTreeSet<String>);

impl ExprVisitor for Names {
    type Error = String;

    fn pre_visit(&mut self, expr: &Expr) -> Result<bool, String> {
        let selector = match expr {
            Expr::VectorSelector(vs) => vs,
            Expr::MatrixSelector(ms) => &ms.vs,
            _ => return Ok(true),
        };
        let name = selector
            .name
            .clone()
            .ok_or("a selector without a metric name")?;
        self.0.insert(name);
        Ok(true)
    }
}

fn names_in(query: &str) -> BTreeSet<String> {
    // Grafana's own variables, as Grafana substitutes them.
    let query = query.replace("$__rate_interval", "1m");
    let expr = promql_parser::parser::parse(&query).unwrap_or_else(|e| panic!("{query}: {e}"));
    let mut names = Names(BTreeSet::new());
    walk_expr(&mut names, &expr).unwrap();
    names.0
}

fn dashboard_queries() -> Vec<String> {
    let text = std::fs::read_to_string(fixture("grafana-dashboard.json")).unwrap();
    let dashboard: serde_json::Value = serde_json::from_str(&text).unwrap();
    let queries: Vec<String> = dashboard["panels"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["targets"].as_array().unwrap().iter())
        .map(|t| t["expr"].as_str().unwrap().to_string())
        .collect();
    assert!(queries.len() >= 10, "{queries:?}");
    queries
}

/// Each rule's expression, and the names the file records.
fn rule_queries() -> (Vec<String>, BTreeSet<String>) {
    let text = std::fs::read_to_string(fixture("rules.yml")).unwrap();
    let rules: serde_norway::Value = serde_norway::from_str(&text).unwrap();
    let mut queries = Vec::new();
    let mut recorded = BTreeSet::new();
    for group in rules["groups"].as_sequence().unwrap() {
        for rule in group["rules"].as_sequence().unwrap() {
            queries.push(rule["expr"].as_str().unwrap().to_string());
            if let Some(name) = rule["record"].as_str() {
                recorded.insert(name.to_string());
            }
        }
    }
    (queries, recorded)
}

#[tokio::test]
async fn every_dashboard_and_rule_query_names_series_a_real_scrape_has() {
    let shop = TestShop::start(DB, monitored(RouteLabel::Template)).await;
    for id in [1, 2, 3] {
        assert_eq!(
            get_status(&shop, &format!("/products/{id}")).await,
            StatusCode::OK
        );
    }
    let (text, m) = scrape(&shop).await;
    let exported = m.names();
    let (rules, recorded) = rule_queries();
    let mut named = BTreeSet::new();
    for query in dashboard_queries().iter().chain(&rules) {
        for name in names_in(query) {
            assert!(
                exported.contains(name.as_str()) || recorded.contains(&name),
                "{name} (in `{query}`) is not in a real scrape:\n{text}"
            );
            named.insert(name);
        }
    }
    for wanted in [
        "http_request_duration_seconds_bucket",
        "http_requests_total",
        "cache_hits_total",
        "process_resident_memory_bytes",
        "db_pool_connections_open",
    ] {
        assert!(named.contains(wanted), "{wanted} is in no query");
    }
    shop.stop().await;
}

#[tokio::test]
async fn the_metrics_check_fails_on_the_raw_path_and_passes_on_the_template() {
    let spec = common::check_spec(
        "kind = \"metrics\"\nburst = 20\n\
         traffic = { path = \"/products/{id}\", users = 4, duration = \"2s\" }",
    );
    for (label, verdict) in [
        (RouteLabel::Path, Verdict::Fail),
        (RouteLabel::Template, Verdict::Pass),
    ] {
        let shop = TestShop::start(DB, monitored(label)).await;
        let ctx = common::check_context(&shop, DB, Lang::En);
        let result = check::run(&spec, &ctx).await;
        assert_eq!(result.verdict, verdict, "{label:?}: {}", result.message);
        if verdict == Verdict::Fail {
            assert!(
                result.message.contains("20 requests to distinct ids added"),
                "{}",
                result.message
            );
        }
        shop.stop().await;
    }
    // Off, it says what Prometheus would see.
    let shop = TestShop::start(DB, ShopSettings::default()).await;
    let ctx = common::check_context(&shop, DB, Lang::En);
    let result = check::run(&spec, &ctx).await;
    assert_eq!(result.verdict, Verdict::Fail);
    assert!(
        result.message.contains("answered 404"),
        "{}",
        result.message
    );
    shop.stop().await;
}
