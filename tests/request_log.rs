//! The request log over real HTTP (issue 13): secrets never reach it —
//! the login's password, the bearer token, a cookie, a failed login's
//! password — in JSON with no headers or with redacted ones; every line
//! parses as JSON and carries the request id its response carried; the
//! text format with every header leaks the token (lab 3.6's start, proved);
//! a shop that never logs creates no file.

mod common;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Duration;

use common::{TestShop, wait_until};
use perflab::fixtures;
use perflab::shop::settings::{LogFormat, LoggedHeaders, ShopSettings};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const DB: &str = "request_log";
/// A customer of the seeded catalog.
const CUSTOMER: i64 = 7;
const WRONG_PASSWORD: &str = "not-the-password-q4z8";
const COOKIE_SECRET: &str = "cookie-secret-v3k9";

fn logging(format: LogFormat, headers: LoggedHeaders) -> ShopSettings {
    let mut settings = ShopSettings::default();
    settings.middleware.request_log.enabled = true;
    settings.middleware.request_log.format = format;
    settings.middleware.request_log.headers = headers;
    settings
}

fn log_path(shop: &TestShop) -> PathBuf {
    shop.shop
        .endpoint
        .log_file
        .clone()
        .expect("the endpoint names its log file")
}

fn read_log(shop: &TestShop) -> String {
    std::fs::read_to_string(log_path(shop)).unwrap_or_default()
}

/// Waits until the log holds `lines` lines (the writer's thread writes them
/// after the responses went out).
async fn wait_for_lines(shop: &TestShop, lines: usize) -> String {
    wait_until(
        Duration::from_secs(10),
        &format!("{lines} lines in the request log"),
        || async { read_log(shop).lines().count() >= lines },
    )
    .await;
    read_log(shop)
}

fn request_id(response: &reqwest::Response) -> String {
    response.headers()["x-request-id"]
        .to_str()
        .expect("ascii id")
        .to_string()
}

/// What a client that leaks nothing itself sends: a login, authenticated
/// reads, one with a cookie, a failed login, an unmatched path. Returns the
/// secrets it used, the request ids its responses carried, and the
/// customer's id.
struct Session {
    secrets: Vec<String>,
    ids: Vec<String>,
    user_id: i64,
}

async fn session(shop: &TestShop) -> Session {
    let (email, password) = fixtures::users::credentials(CUSTOMER);
    let mut ids = Vec::new();

    let login = shop
        .send(
            Method::POST,
            "/auth/login",
            None,
            &json!({ "email": email, "password": password }),
        )
        .await;
    assert_eq!(login.status(), StatusCode::OK);
    ids.push(request_id(&login));
    let token = login.json::<Value>().await.unwrap()["access_token"]
        .as_str()
        .expect("token")
        .to_string();

    let me = shop.get_as("/users/me", &token).await;
    assert_eq!(me.status(), StatusCode::OK);
    ids.push(request_id(&me));
    let user_id = me.json::<Value>().await.unwrap()["id"]
        .as_i64()
        .expect("the profile's id");

    let with_cookie = shop
        .http
        .get(shop.url("/products/3?x=1"))
        .bearer_auth(&token)
        .header("cookie", format!("session={COOKIE_SECRET}"))
        .send()
        .await
        .unwrap();
    assert_eq!(with_cookie.status(), StatusCode::OK);
    ids.push(request_id(&with_cookie));

    let failed = shop
        .send(
            Method::POST,
            "/auth/login",
            None,
            &json!({ "email": email, "password": WRONG_PASSWORD }),
        )
        .await;
    assert_eq!(failed.status(), StatusCode::UNAUTHORIZED);
    ids.push(request_id(&failed));

    let anonymous = shop.get("/products/4").await;
    assert_eq!(anonymous.status(), StatusCode::OK);
    ids.push(request_id(&anonymous));

    let unmatched = shop.get("/no-such-route/zq81").await;
    assert_eq!(unmatched.status(), StatusCode::NOT_FOUND);
    ids.push(request_id(&unmatched));

    // The token's signature alone is a secret too.
    let signature = token.rsplit('.').next().expect("a JWT").to_string();
    Session {
        secrets: vec![
            password.to_string(),
            token,
            signature,
            COOKIE_SECRET.to_string(),
            WRONG_PASSWORD.to_string(),
        ],
        ids,
        user_id,
    }
}

/// Every line as JSON, keyed by request id.
fn parse_lines(log: &str) -> Vec<Value> {
    log.lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect()
}

fn line_for<'a>(lines: &'a [Value], id: &str) -> &'a Value {
    lines
        .iter()
        .find(|line| line["request_id"] == id)
        .unwrap_or_else(|| panic!("no line for request {id}"))
}

async fn json_log_keeps_secrets_out(headers: LoggedHeaders) {
    let shop = TestShop::start(DB, logging(LogFormat::Json, headers)).await;
    let session = session(&shop).await;
    let log = wait_for_lines(&shop, session.ids.len()).await;

    for secret in &session.secrets {
        assert!(
            !log.contains(secret.as_str()),
            "{secret:?} is in the log:\n{log}"
        );
    }
    assert!(
        !log.contains("zq81"),
        "the raw path of an unmatched route:\n{log}"
    );

    let lines = parse_lines(&log);
    assert_eq!(
        lines.len(),
        session.ids.len(),
        "one line per request:\n{log}"
    );
    let logged: BTreeSet<&str> = lines
        .iter()
        .map(|line| line["request_id"].as_str().expect("a request id"))
        .collect();
    let sent: BTreeSet<&str> = session.ids.iter().map(String::as_str).collect();
    assert_eq!(logged, sent);

    for line in &lines {
        let time = line["time"].as_str().expect("time");
        chrono::DateTime::parse_from_rfc3339(time).expect("RFC 3339 time");
        assert!(
            line["latency_ms"].as_f64().is_some_and(|ms| ms >= 0.0),
            "{line}"
        );
        assert!(line["status"].is_u64(), "{line}");
        // The limiter is off in this shop.
        assert_eq!(line["rate_limit"], Value::Null, "{line}");
        match headers {
            LoggedHeaders::None => assert!(line.get("headers").is_none(), "{line}"),
            _ => assert!(line["headers"].is_object(), "{line}"),
        }
    }

    let me = line_for(&lines, &session.ids[1]);
    assert_eq!(me["method"], "GET");
    assert_eq!(me["route"], "/users/me");
    assert_eq!(me["status"], 200);
    assert_eq!(me["user_id"], session.user_id);
    assert!(me["queries"].as_u64().is_some_and(|n| n >= 1), "{me}");

    let detail = line_for(&lines, &session.ids[2]);
    assert_eq!(detail["route"], "/products/{id}");
    // Cache off (baseline): the detail says so.
    assert_eq!(detail["cache"], "BYPASS");
    if headers == LoggedHeaders::Redacted {
        assert_eq!(detail["headers"]["authorization"], "[redacted]");
        assert_eq!(detail["headers"]["cookie"], "[redacted]");
        assert!(detail["headers"]["host"].is_string(), "{detail}");
    }

    let failed = line_for(&lines, &session.ids[3]);
    assert_eq!(failed["route"], "/auth/login");
    assert_eq!(failed["status"], 401);
    assert_eq!(failed["user_id"], Value::Null);

    let anonymous = line_for(&lines, &session.ids[4]);
    assert_eq!(anonymous["user_id"], Value::Null);

    let unmatched = line_for(&lines, &session.ids[5]);
    assert_eq!(unmatched["route"], "unmatched");
    assert_eq!(unmatched["status"], 404);

    shop.stop().await;
}

#[tokio::test]
async fn json_log_without_headers_holds_no_secret() {
    json_log_keeps_secrets_out(LoggedHeaders::None).await;
}

#[tokio::test]
async fn json_log_with_redacted_headers_holds_no_secret() {
    json_log_keeps_secrets_out(LoggedHeaders::Redacted).await;
}

#[tokio::test]
async fn text_log_with_every_header_leaks_the_token() {
    let shop = TestShop::start(DB, logging(LogFormat::Text, LoggedHeaders::All)).await;
    let session = session(&shop).await;
    let log = wait_for_lines(&shop, session.ids.len()).await;

    let token = &session.secrets[1];
    assert!(
        log.contains(token.as_str()),
        "lab 3.6's start leaks the token:\n{log}"
    );
    assert!(log.contains(COOKIE_SECRET), "and the cookie:\n{log}");
    // Bodies are never logged, even here.
    assert!(!log.contains(WRONG_PASSWORD), "{log}");
    let detail = log
        .lines()
        .find(|line| line.contains(&session.ids[2]))
        .expect("the detail's line");
    assert!(
        detail.contains("\"GET /products/3?x=1 HTTP/1.1\" 200"),
        "an access-log line with the raw path: {detail}"
    );
    assert!(
        serde_json::from_str::<Value>(detail).is_err(),
        "text, not JSON"
    );
    shop.stop().await;
}

#[tokio::test]
async fn a_shop_that_never_logs_creates_no_file_until_the_log_is_on() {
    let shop = TestShop::start(DB, ShopSettings::default()).await;
    let response = shop.get("/products/5").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers().get("x-request-id").is_none());
    let path = log_path(&shop);
    assert!(!path.exists(), "{} exists with the log off", path.display());

    shop.put_settings(&logging(LogFormat::Json, LoggedHeaders::None))
        .await;
    let response = shop.get("/products/5").await;
    let id = request_id(&response);
    let log = wait_for_lines(&shop, 1).await;
    let lines = parse_lines(&log);
    assert_eq!(lines.len(), 1, "{log}");
    assert_eq!(lines[0]["request_id"], id.as_str());
    shop.stop().await;
}
