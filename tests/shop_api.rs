//! The shop's HTTP contract against real PostgreSQL: every endpoint with good
//! and bad input, errors as problem documents, auth, orders and stock.

mod common;

use common::{TestShop, problem, query_count};
use perflab::shop::settings::ShopSettings;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const DB: &str = "api";

async fn shop() -> TestShop {
    TestShop::start(DB, ShopSettings::default()).await
}

#[tokio::test]
async fn health_reports_database_up() {
    let shop = shop().await;
    let response = shop.get("/health").await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["database"]["status"], "up");
    assert_eq!(body["cache"]["status"], "disabled");
    assert_eq!(body["cache"]["backend"], "off");
    assert_eq!(body["status"], "ok");
    shop.stop().await;
}

#[tokio::test]
async fn product_listing_filters_sorts_and_pages() {
    let shop = shop().await;
    let body: Value = shop.get("/products").await.json().await.unwrap();
    let items = body["items"].as_array().unwrap();
    assert_eq!(items.len(), 20);
    assert_eq!(body["page"], 1);

    let page2: Value = shop
        .get("/products?page=2&per_page=5")
        .await
        .json()
        .await
        .unwrap();
    let ids: Vec<i64> = page2["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids.len(), 5);
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "sorted by id: {ids:?}");

    let by_price: Value = shop
        .get("/products?category=1&sort=price&per_page=50")
        .await
        .json()
        .await
        .unwrap();
    let products = by_price["items"].as_array().unwrap();
    assert!(!products.is_empty());
    assert!(products.iter().all(|p| p["category_id"] == 1));
    let prices: Vec<f64> = products
        .iter()
        .map(|p| p["price"].as_f64().unwrap())
        .collect();
    assert!(
        prices.windows(2).all(|w| w[0] <= w[1]),
        "ascending: {prices:?}"
    );

    let desc: Value = shop
        .get("/products?sort=-price&per_page=10")
        .await
        .json()
        .await
        .unwrap();
    let prices: Vec<f64> = desc["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["price"].as_f64().unwrap())
        .collect();
    assert!(
        prices.windows(2).all(|w| w[0] >= w[1]),
        "descending: {prices:?}"
    );
    shop.stop().await;
}

#[tokio::test]
async fn product_listing_rejects_bad_parameters() {
    let shop = shop().await;
    problem(
        shop.get("/products?per_page=0").await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    problem(
        shop.get("/products?per_page=1000").await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    problem(
        shop.get("/products?page=abc").await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    problem(
        shop.get("/products?sort=cheapest").await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    shop.stop().await;
}

#[tokio::test]
async fn product_detail_and_unknown_ids() {
    let shop = shop().await;
    let response = shop.get("/products/3").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(query_count(&response), 1);
    let product: Value = response.json().await.unwrap();
    assert_eq!(product["id"], 3);
    for key in [
        "name",
        "description",
        "price",
        "stock",
        "category_id",
        "created_at",
        "sold",
    ] {
        assert!(!product[key].is_null(), "{key} missing in {product}");
    }
    let body = problem(shop.get("/products/99999999").await, StatusCode::NOT_FOUND).await;
    assert_eq!(body["detail"], "product 99999999 not found");
    problem(shop.get("/products/abc").await, StatusCode::BAD_REQUEST).await;
    problem(shop.get("/no/such/route").await, StatusCode::NOT_FOUND).await;
    shop.stop().await;
}

/// `sold` is the sum of the product's order items, read in the detail's one
/// query, for the best-seller and for the product sold least (perhaps never).
/// A database of its own: other tests here place orders.
#[tokio::test]
async fn product_detail_counts_units_sold_in_its_one_query() {
    const SOLD_DB: &str = "api_sold";
    let shop = TestShop::start(SOLD_DB, ShopSettings::default()).await;
    let pool = sqlx::PgPool::connect(&common::database_url(SOLD_DB))
        .await
        .unwrap();
    let per_product = "SELECT p.id, coalesce(sum(oi.quantity), 0)::bigint AS sold \
         FROM products p LEFT JOIN order_items oi ON oi.product_id = p.id GROUP BY p.id";
    let hot: (i64, i64) = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{per_product} ORDER BY sold DESC, p.id LIMIT 1"
    )))
    .fetch_one(&pool)
    .await
    .unwrap();
    let cold: (i64, i64) = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{per_product} ORDER BY sold, p.id LIMIT 1"
    )))
    .fetch_one(&pool)
    .await
    .unwrap();
    pool.close().await;
    assert!(hot.1 > cold.1, "a skewed catalog: {hot:?} vs {cold:?}");

    for (id, sold) in [hot, cold] {
        let response = shop.get(&format!("/products/{id}")).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(query_count(&response), 1, "product {id}");
        let product: Value = response.json().await.unwrap();
        assert_eq!(product["sold"], sold, "product {id}");
    }

    // A write answers with the same detail.
    let admin = shop.admin().await;
    let updated: Value = shop
        .send(
            Method::PUT,
            &format!("/products/{}", hot.0),
            Some(&admin),
            &json!({ "stock": 7 }),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (updated["stock"].as_i64(), updated["sold"].as_i64()),
        (Some(7), Some(hot.1))
    );
    // Listings keep their columns.
    let listing: Value = shop.get("/products?per_page=1").await.json().await.unwrap();
    assert!(listing["items"][0].get("sold").is_none(), "{listing}");
    shop.stop().await;
}

#[tokio::test]
async fn search_matches_case_insensitively_and_validates() {
    let shop = shop().await;
    let first: Value = shop.get("/products/1").await.json().await.unwrap();
    let name = first["name"].as_str().unwrap();
    let word: String = name
        .split_whitespace()
        .max_by_key(|w| w.len())
        .unwrap()
        .to_string();
    let response = shop
        .get(&format!("/products/search?q={}", word.to_uppercase()))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let found: Vec<Value> = response.json().await.unwrap();
    assert!(!found.is_empty());
    assert!(found.iter().all(|p| {
        p["name"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains(&word.to_lowercase())
    }));

    // The user's `%` is a character, not a wildcard.
    let none: Vec<Value> = shop
        .get("/products/search?q=%25%25")
        .await
        .json()
        .await
        .unwrap();
    assert!(none.is_empty());
    problem(
        shop.get("/products/search?q=").await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    problem(
        shop.get("/products/search?q=ab&limit=0").await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    shop.stop().await;
}

#[tokio::test]
async fn categories_count_their_products() {
    let shop = shop().await;
    // Another test may add a product meanwhile: compare the export with
    // category counts read before and after it, when both reads agree.
    let mut attempts = 0;
    loop {
        let before: Vec<Value> = shop.get("/categories").await.json().await.unwrap();
        let export: Vec<Value> = shop.get("/products/export").await.json().await.unwrap();
        let after: Vec<Value> = shop.get("/categories").await.json().await.unwrap();
        attempts += 1;
        if before != after {
            assert!(attempts < 20, "the catalog never held still");
            continue;
        }
        assert!(after.len() > 1);
        let counted: i64 = after
            .iter()
            .map(|c| c["product_count"].as_i64().unwrap())
            .sum();
        assert_eq!(counted, export.len() as i64);
        break;
    }
    shop.stop().await;
}

#[tokio::test]
async fn text_postgres_cannot_store_is_refused_not_a_500() {
    let shop = shop().await;
    problem(
        shop.get("/products/search?q=%00ab").await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    let login = shop
        .http
        .post(shop.url("/auth/login"))
        .json(&json!({ "email": "a\u{0}b", "password": "x" }))
        .send()
        .await
        .unwrap();
    problem(login, StatusCode::UNPROCESSABLE_ENTITY).await;
    let admin = shop.admin().await;
    let nul_name = json!({ "category_id": 1, "name": "a\u{0}b", "price": 1, "stock": 1 });
    let response = shop
        .send(Method::POST, "/products", Some(&admin), &nul_name)
        .await;
    problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
    let long = json!({ "category_id": 1, "name": "x", "description": "d".repeat(5000), "price": 1, "stock": 1 });
    let response = shop
        .send(Method::POST, "/products", Some(&admin), &long)
        .await;
    problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
    shop.stop().await;
}

#[tokio::test]
async fn login_accepts_fixture_users_and_refuses_the_rest() {
    let shop = shop().await;
    let token = shop.customer(5).await;
    let me: Value = shop.get_as("/users/me", &token).await.json().await.unwrap();
    assert_eq!(me["id"], 5);
    assert_eq!(me["email"], "user5@perflab.test");
    assert!(me.get("password_hash").is_none());

    // The course's tests send `username`.
    let response = shop
        .http
        .post(shop.url("/auth/login"))
        .json(&json!({ "username": "user5@perflab.test", "password": "perflab-1" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);

    let login = |body: Value| shop.http.post(shop.url("/auth/login")).json(&body).send();
    let wrong = login(json!({ "email": "user5@perflab.test", "password": "nope" }))
        .await
        .unwrap();
    let wrong_body = problem(wrong, StatusCode::UNAUTHORIZED).await;
    let unknown = login(json!({ "email": "nobody@perflab.test", "password": "nope" }))
        .await
        .unwrap();
    let unknown_body = problem(unknown, StatusCode::UNAUTHORIZED).await;
    assert_eq!(wrong_body, unknown_body, "both failures must read the same");
    let missing = login(json!({ "email": "user5@perflab.test" }))
        .await
        .unwrap();
    problem(missing, StatusCode::UNPROCESSABLE_ENTITY).await;
    let malformed = shop
        .http
        .post(shop.url("/auth/login"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    problem(malformed, StatusCode::BAD_REQUEST).await;
    let not_json = shop
        .http
        .post(shop.url("/auth/login"))
        .body("email=a&password=b")
        .send()
        .await
        .unwrap();
    problem(not_json, StatusCode::UNSUPPORTED_MEDIA_TYPE).await;
    shop.stop().await;
}

#[tokio::test]
async fn protected_routes_need_a_valid_token() {
    let shop = shop().await;
    let response = shop.get("/users/me").await;
    assert_eq!(response.headers()["www-authenticate"], "Bearer");
    problem(response, StatusCode::UNAUTHORIZED).await;
    problem(
        shop.get_as("/users/me", "not.a.jwt").await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    // A token signed with another secret is refused too.
    let other = TestShop::start_with_secret(DB, "another-secret").await;
    let foreign = other.customer(5).await;
    problem(
        shop.get_as("/orders", &foreign).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    other.stop().await;
    shop.stop().await;
}

#[tokio::test]
async fn admins_create_and_update_products_customers_cannot() {
    let shop = shop().await;
    let admin = shop.admin().await;
    let customer = shop.customer(6).await;
    let new = json!({ "category_id": 1, "name": "Teclado de prueba", "description": "test", "price": 19.99, "stock": 3 });

    let response = shop
        .send(Method::POST, "/products", Some(&admin), &new)
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let location = response.headers()["location"].to_str().unwrap().to_string();
    let created: Value = response.json().await.unwrap();
    assert_eq!(created["price"], 19.99);
    assert_eq!(created["sold"], 0);
    assert_eq!(location, format!("/products/{}", created["id"]));

    let forbidden = shop
        .send(Method::POST, "/products", Some(&customer), &new)
        .await;
    problem(forbidden, StatusCode::FORBIDDEN).await;
    let anonymous = shop
        .http
        .post(shop.url("/products"))
        .json(&new)
        .send()
        .await
        .unwrap();
    problem(anonymous, StatusCode::UNAUTHORIZED).await;

    let mut bad = new.clone();
    bad["category_id"] = json!(999_999);
    let response = shop
        .send(Method::POST, "/products", Some(&admin), &bad)
        .await;
    problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
    let mut bad = new.clone();
    bad["price"] = json!(-1);
    let response = shop
        .send(Method::POST, "/products", Some(&admin), &bad)
        .await;
    problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;

    let update = shop
        .send(
            Method::PUT,
            &location,
            Some(&admin),
            &json!({ "price": 24.5 }),
        )
        .await;
    assert_eq!(update.status(), StatusCode::OK);
    let after: Value = shop.get(&location).await.json().await.unwrap();
    assert_eq!(after["price"], 24.5);
    assert_eq!(after["name"], "Teclado de prueba");

    let missing = shop
        .send(
            Method::PUT,
            "/products/99999999",
            Some(&admin),
            &json!({ "stock": 1 }),
        )
        .await;
    problem(missing, StatusCode::NOT_FOUND).await;
    let unknown_field = shop
        .send(
            Method::PUT,
            &location,
            Some(&admin),
            &json!({ "colour": "red" }),
        )
        .await;
    problem(unknown_field, StatusCode::UNPROCESSABLE_ENTITY).await;
    shop.stop().await;
}

/// Sets a product's stock through the API and returns it.
async fn set_stock(shop: &TestShop, admin: &str, id: i64, stock: i64) -> Value {
    let response = shop
        .send(
            Method::PUT,
            &format!("/products/{id}"),
            Some(admin),
            &json!({ "stock": stock }),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

#[tokio::test]
async fn orders_take_stock_atomically_and_refuse_what_is_not_there() {
    let shop = shop().await;
    let admin = shop.admin().await;
    let customer = shop.customer(7).await;
    let (a, b) = (40_i64, 41_i64);
    let product_a = set_stock(&shop, &admin, a, 5).await;
    set_stock(&shop, &admin, b, 1).await;

    let order = |items: Value| {
        shop.http
            .post(shop.url("/orders"))
            .bearer_auth(&customer)
            .json(&json!({ "items": items }))
            .send()
    };
    let response =
        order(json!([{ "product_id": a, "quantity": 2 }, { "product_id": b, "quantity": 1 }]))
            .await
            .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let placed: Value = response.json().await.unwrap();
    let expected_total: f64 = placed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["quantity"].as_f64().unwrap() * i["unit_price"].as_f64().unwrap())
        .sum();
    assert!((placed["total"].as_f64().unwrap() - expected_total).abs() < 1e-9);
    assert_eq!(placed["items"][0]["unit_price"], product_a["price"]);
    let after: Value = shop
        .get(&format!("/products/{a}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(after["stock"], 3);

    // b is now sold out: the whole order is refused and a keeps its stock.
    let refused =
        order(json!([{ "product_id": a, "quantity": 1 }, { "product_id": b, "quantity": 1 }]))
            .await
            .unwrap();
    let body = problem(refused, StatusCode::CONFLICT).await;
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains(&format!("product {b}"))
    );
    let after: Value = shop
        .get(&format!("/products/{a}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(after["stock"], 3);

    problem(
        order(json!([{ "product_id": 99_999_999, "quantity": 1 }]))
            .await
            .unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    problem(
        order(json!([])).await.unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    problem(
        order(json!([{ "product_id": a, "quantity": 0 }]))
            .await
            .unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;

    // The order is the customer's: listed for them, hidden from others.
    let id = placed["id"].as_i64().unwrap();
    let mine: Value = shop
        .get_as("/orders?per_page=100", &customer)
        .await
        .json()
        .await
        .unwrap();
    assert!(
        mine["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o["id"] == id)
    );
    let detail: Value = shop
        .get_as(&format!("/orders/{id}"), &customer)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(detail, placed);
    let stranger = shop.customer(8).await;
    problem(
        shop.get_as(&format!("/orders/{id}"), &stranger).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_eq!(
        shop.get_as(&format!("/orders/{id}"), &admin).await.status(),
        StatusCode::OK
    );
    shop.stop().await;
}

#[tokio::test]
async fn concurrent_orders_never_oversell() {
    let shop = shop().await;
    let admin = shop.admin().await;
    let product = 50_i64;
    set_stock(&shop, &admin, product, 3).await;
    let mut tokens = Vec::new();
    for user in 10..18 {
        tokens.push(shop.customer(user).await);
    }
    let attempts = tokens.iter().map(|token| {
        shop.http
            .post(shop.url("/orders"))
            .bearer_auth(token)
            .json(&json!({ "items": [{ "product_id": product, "quantity": 1 }] }))
            .send()
    });
    let statuses: Vec<StatusCode> = futures::future::join_all(attempts)
        .await
        .into_iter()
        .map(|r| r.unwrap().status())
        .collect();
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::CREATED)
            .count(),
        3,
        "{statuses:?}"
    );
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::CONFLICT)
            .count(),
        5,
        "{statuses:?}"
    );
    let after: Value = shop
        .get(&format!("/products/{product}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(after["stock"], 0);
    shop.stop().await;
}

#[tokio::test]
async fn top_products_report_is_ranked_by_revenue() {
    let shop = shop().await;
    let response = shop.get("/reports/top-products?limit=5").await;
    assert_eq!(response.status(), StatusCode::OK);
    let top: Vec<Value> = response.json().await.unwrap();
    assert_eq!(top.len(), 5);
    let revenue: Vec<f64> = top.iter().map(|t| t["revenue"].as_f64().unwrap()).collect();
    assert!(revenue.windows(2).all(|w| w[0] >= w[1]), "{revenue:?}");
    assert!(top.iter().all(|t| t["units"].as_i64().unwrap() > 0));
    problem(
        shop.get("/reports/top-products?limit=0").await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    shop.stop().await;
}
