//! Response compression (`middleware.compression`, lab 3.5) over real HTTP:
//! a large listing is gzip- and br-encoded to at most 30 % of its size and
//! decodes to the same bytes; a small body is sent as it is; `Vary:
//! Accept-Encoding` tells caches the answer depends on the header; a client
//! that refuses every coding on offer gets 406, small body or not; the
//! switches (on/off, encodings, level, minimum size) act on the next request.

mod common;

use std::io::Read;

use common::{Need, TestShop, require};
use perflab::shop::settings::ShopSettings;
use reqwest::StatusCode;
use reqwest::header::{ACCEPT_ENCODING, CONTENT_ENCODING, VARY};
use serde_json::{Value, json};

const LISTING: &str = "/products?per_page=100&sort=price";

async fn compressing(db: &str) -> TestShop {
    require(&[Need::Postgres]);
    let mut settings = ShopSettings::default();
    settings.middleware.compression.enabled = true;
    TestShop::start(db, settings).await
}

async fn patch(shop: &TestShop, patch: Value) {
    shop.patch_settings(&patch).await;
}

/// The answer's `Content-Encoding`, whether it varies on `Accept-Encoding`,
/// and its body as sent.
async fn fetch(
    shop: &TestShop,
    path: &str,
    accept: Option<&str>,
) -> (Option<String>, bool, Vec<u8>) {
    let request = shop.http.get(shop.url(path));
    let request = match accept {
        Some(accept) => request.header(ACCEPT_ENCODING, accept),
        None => request,
    };
    let response = request.send().await.expect("request");
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    let encoding = response
        .headers()
        .get(CONTENT_ENCODING)
        .map(|v| v.to_str().unwrap().to_string());
    let varies = response.headers().get_all(VARY).iter().any(|v| {
        v.to_str()
            .unwrap()
            .to_ascii_lowercase()
            .contains("accept-encoding")
    });
    (
        encoding,
        varies,
        response.bytes().await.expect("body").to_vec(),
    )
}

fn decode(encoding: &str, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    match encoding {
        "gzip" => flate2::read::GzDecoder::new(body)
            .read_to_end(&mut out)
            .expect("valid gzip"),
        "br" => brotli_decompressor::Decompressor::new(body, 4096)
            .read_to_end(&mut out)
            .expect("valid brotli"),
        other => panic!("unexpected encoding {other}"),
    };
    out
}

#[tokio::test]
async fn a_large_listing_is_gzip_and_br_encoded_to_under_30_percent() {
    let shop = compressing("compression_large").await;
    let (encoding, varies, plain) = fetch(&shop, LISTING, None).await;
    assert_eq!(
        encoding, None,
        "a client that asks for nothing gets plain JSON"
    );
    assert!(varies, "large enough to vary on Accept-Encoding even so");
    assert!(
        plain.len() > 10_000,
        "a page of 100 products: {} bytes",
        plain.len()
    );

    for coding in ["gzip", "br"] {
        let (encoding, varies, body) = fetch(&shop, LISTING, Some(coding)).await;
        assert_eq!(encoding.as_deref(), Some(coding));
        assert!(varies, "{coding}: no Vary: Accept-Encoding");
        assert_eq!(
            decode(coding, &body),
            plain,
            "{coding} decodes to the same JSON"
        );
        let ratio = body.len() as f64 / plain.len() as f64;
        assert!(
            ratio <= 0.30,
            "{coding}: {} of {} bytes ({:.0} %)",
            body.len(),
            plain.len(),
            ratio * 100.0
        );
    }
    // The client's preference decides between the two.
    let (encoding, _, _) = fetch(&shop, LISTING, Some("gzip;q=0.5, br")).await;
    assert_eq!(encoding.as_deref(), Some("br"));
}

#[tokio::test]
async fn a_small_body_is_sent_as_it_is() {
    let shop = compressing("compression_small").await;
    let (_, _, plain) = fetch(&shop, "/products/1", None).await;
    assert!(
        plain.len() < 1024,
        "a product is small: {} bytes",
        plain.len()
    );
    let (encoding, varies, body) = fetch(&shop, "/products/1", Some("gzip, br")).await;
    assert_eq!(encoding, None, "under min_bytes");
    assert!(!varies);
    assert_eq!(body, plain);

    // Below the body's size, the minimum no longer spares it.
    patch(
        &shop,
        json!({"middleware": {"compression": {"min_bytes": 64}}}),
    )
    .await;
    let (encoding, _, body) = fetch(&shop, "/products/1", Some("gzip")).await;
    assert_eq!(encoding.as_deref(), Some("gzip"));
    assert_eq!(decode("gzip", &body), plain);
}

#[tokio::test]
async fn a_client_refusing_every_offered_coding_gets_406_whatever_the_size() {
    // The layer judges the size before it lets tower-http negotiate; a
    // request that may refuse identity must still reach the negotiation.
    let shop = compressing("compression_refused").await;
    for path in ["/products/1", LISTING] {
        let response = shop
            .http
            .get(shop.url(path))
            .header(ACCEPT_ENCODING, "zstd, identity;q=0")
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), StatusCode::NOT_ACCEPTABLE, "{path}");
    }
    // A zero weight on something else refuses nothing.
    let (encoding, _, _) = fetch(&shop, "/products/1", Some("gzip, br;q=0")).await;
    assert_eq!(encoding, None, "small: sent as it is");
}

#[tokio::test]
async fn the_switches_act_on_the_next_request() {
    let shop = compressing("compression_switches").await;

    patch(
        &shop,
        json!({"middleware": {"compression": {"algorithms": ["gzip"]}}}),
    )
    .await;
    let (encoding, _, _) = fetch(&shop, LISTING, Some("br")).await;
    assert_eq!(encoding, None, "br is not offered");
    let (encoding, _, _) = fetch(&shop, LISTING, Some("br, gzip;q=0.1")).await;
    assert_eq!(encoding.as_deref(), Some("gzip"));

    // Level 9 spends more CPU for fewer bytes than level 1.
    patch(&shop, json!({"middleware": {"compression": {"level": 1}}})).await;
    let (_, _, fast) = fetch(&shop, LISTING, Some("gzip")).await;
    patch(&shop, json!({"middleware": {"compression": {"level": 9}}})).await;
    let (_, _, small) = fetch(&shop, LISTING, Some("gzip")).await;
    assert!(
        small.len() < fast.len(),
        "level 9 {} vs level 1 {} bytes",
        small.len(),
        fast.len()
    );
    assert_eq!(decode("gzip", &small), decode("gzip", &fast));

    patch(
        &shop,
        json!({"middleware": {"compression": {"enabled": false}}}),
    )
    .await;
    let (encoding, varies, _) = fetch(&shop, LISTING, Some("gzip, br")).await;
    assert_eq!((encoding, varies), (None, false), "switched off");
}

#[tokio::test]
async fn the_streamed_export_is_compressed_too() {
    let shop = compressing("compression_export").await;
    patch(&shop, json!({"export": {"mode": "streamed"}})).await;
    let (encoding, _, body) = fetch(&shop, "/products/export", Some("gzip")).await;
    assert_eq!(
        encoding.as_deref(),
        Some("gzip"),
        "a body of unknown size is compressed"
    );
    let plain = decode("gzip", &body);
    let rows: Value = serde_json::from_slice(&plain).expect("the export is JSON");
    assert!(rows.as_array().is_some_and(|rows| !rows.is_empty()));
}
