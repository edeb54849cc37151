//! The student's index SQL, applied and dropped through the control API against
//! real PostgreSQL, and EXPLAIN of the lab queries. A binary of its own, with its
//! own database: indexes change plans for everyone on the database. What the
//! guard refuses, and why, is `tests/student_sql.rs`.

mod common;

use common::{TestShop, problem};
use perflab::shop::settings::ShopSettings;
use reqwest::StatusCode;
use serde_json::Value;

const DB: &str = "indexes";

async fn control(
    shop: &TestShop,
    method: reqwest::Method,
    path: &str,
    body: &str,
) -> reqwest::Response {
    shop.http
        .request(method, shop.control(path))
        .bearer_auth(shop.control_token())
        .body(body.to_string())
        .send()
        .await
        .unwrap()
}

async fn index_names(shop: &TestShop) -> Vec<String> {
    let body: Value = control(shop, reqwest::Method::GET, "/indexes", "")
        .await
        .json()
        .await
        .unwrap();
    body["indexes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap().to_string())
        .collect()
}

/// How many of the schema's own indexes exist in the database.
async fn schema_index_count(db: &str) -> i64 {
    let pool = sqlx::PgPool::connect(&common::database_url(db))
        .await
        .unwrap();
    let count = sqlx::query_scalar("SELECT count(*) FROM pg_indexes WHERE indexname = ANY($1)")
        .bind(perflab::shop::store::indexes::SCHEMA_INDEXES.as_slice())
        .fetch_one(&pool)
        .await
        .unwrap();
    pool.close().await;
    count
}

/// Every node type in a plan, depth first.
fn node_types(plan: &Value, out: &mut Vec<String>) {
    if let Some(kind) = plan["Node Type"].as_str() {
        let index = plan["Index Name"]
            .as_str()
            .map(|i| format!(" using {i}"))
            .unwrap_or_default();
        out.push(format!("{kind}{index}"));
    }
    for child in plan["Plans"].as_array().into_iter().flatten() {
        node_types(child, out);
    }
}

async fn explain(shop: &TestShop, query: &str) -> Vec<String> {
    let response = control(shop, reqwest::Method::GET, &format!("/explain/{query}"), "").await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert!(body[0]["Execution Time"].as_f64().is_some(), "{body}");
    let mut nodes = Vec::new();
    node_types(&body[0]["Plan"], &mut nodes);
    nodes
}

#[tokio::test]
async fn index_sql_is_applied_refused_and_dropped() {
    let shop = TestShop::start(DB, ShopSettings::default()).await;
    assert!(
        index_names(&shop).await.is_empty(),
        "the catalog starts with no student index"
    );

    // SQL PostgreSQL refuses: its own message, and the good statement before it
    // is rolled back too.
    let bad = "CREATE INDEX idx_ok ON products (stock);\nCREATE INDEX idx_bad ON products (no_such_column);";
    let body = problem(
        control(&shop, reqwest::Method::POST, "/indexes/apply", bad).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    let detail = body["detail"].as_str().unwrap();
    assert!(
        detail.contains("no_such_column") && detail.contains("does not exist"),
        "{detail}"
    );
    assert!(detail.contains("42703"), "SQLSTATE shown: {detail}");
    assert!(index_names(&shop).await.is_empty(), "nothing applied");

    let syntax = problem(
        control(
            &shop,
            reqwest::Method::POST,
            "/indexes/apply",
            "CREATE INDEKS x",
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(syntax["outcome"], "refused", "{syntax}");
    assert_eq!(
        (syntax["line"].as_u64(), syntax["column"].as_u64()),
        (Some(1), Some(8))
    );
    let detail = syntax["detail"].as_str().unwrap();
    assert!(
        detail.contains("not valid SQL") && detail.contains("line 1, column 8"),
        "{detail}"
    );

    let good = "-- lab 2.1\nCREATE INDEX idx_products_category_price ON products (category_id, price);\n\
                CREATE EXTENSION IF NOT EXISTS pg_trgm;\n\
                CREATE INDEX idx_products_name_trgm ON products USING gin (name gin_trgm_ops);";
    let response = control(&shop, reqwest::Method::POST, "/indexes/apply", good).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        index_names(&shop).await,
        ["idx_products_category_price", "idx_products_name_trgm"]
    );

    let plan = explain(&shop, "category_listing").await;
    assert!(
        plan.iter()
            .any(|n| n.contains("idx_products_category_price")),
        "{plan:?}"
    );

    let dropped: Value = control(&shop, reqwest::Method::POST, "/indexes/drop", "")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(dropped["dropped"].as_array().unwrap().len(), 2);
    assert!(index_names(&shop).await.is_empty());
    assert_eq!(
        schema_index_count(DB).await,
        perflab::shop::store::indexes::SCHEMA_INDEXES.len() as i64,
        "the schema's own indexes are not the student's to drop"
    );
    let plan = explain(&shop, "category_listing").await;
    assert!(plan.iter().any(|n| n.starts_with("Seq Scan")), "{plan:?}");
    problem(
        control(&shop, reqwest::Method::POST, "/indexes/apply", "  ").await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    shop.stop().await;
}

#[tokio::test]
async fn every_lab_query_can_be_explained() {
    let shop = TestShop::start(DB, ShopSettings::default()).await;
    for query in ["category_listing", "search", "order_items", "top_products"] {
        let nodes = explain(&shop, query).await;
        assert!(!nodes.is_empty(), "{query}");
    }
    let unknown = control(&shop, reqwest::Method::GET, "/explain/drop_tables", "").await;
    problem(unknown, StatusCode::BAD_REQUEST).await;
    shop.stop().await;
}

#[tokio::test]
async fn a_port_in_use_is_one_clear_line() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let state = tempfile::tempdir().unwrap();
    let error = perflab::shop::start(perflab::shop::ShopOptions {
        database_url: common::database_url(DB),
        redis_url: None,
        settings: ShopSettings::default(),
        host: "127.0.0.1".into(),
        port,
        control_port: 0,
        jwt_secret: "x".into(),
        state_dir: state.path().to_path_buf(),
    })
    .await
    .err()
    .expect("the port is taken");
    let message = error.to_string();
    assert!(
        message.contains(&format!("port {port}")) && message.contains("--port"),
        "{message}"
    );
    assert!(!message.contains('\n'));
}
