//! Lab 2.4 against real PostgreSQL and real shops over loopback HTTP: a
//! check whose context names a peer loads both instances (and without the
//! peer only the first one); PostgreSQL answers through the runner's latency
//! relay; and `labs validate` proves the lab: the starting pools (2 per
//! instance, 50 ms acquire timeout) fail with 503s, the solution (8 per
//! instance) passes under the 20-connection budget.

mod common;

use common::{TestShop, check_context, check_spec};
use perflab::check::{self, Lang, Verdict};
use perflab::shop::settings::ShopSettings;
use serde_json::Value;

const DB: &str = "pool_peers";

/// Connections the shop's pool has open now (control `GET /pool`).
async fn open_connections(shop: &TestShop) -> u64 {
    let pool: Value = shop.control_json("/pool").await;
    pool["open"].as_u64().expect("`open` in GET /pool")
}

#[tokio::test]
async fn a_checks_traffic_loads_every_instance_it_knows() {
    let mut settings = ShopSettings::default();
    settings.database.pool_size = 2;
    let first = TestShop::start(DB, settings.clone()).await;
    let second = TestShop::start(DB, settings).await;
    // The pools connect lazily: an instance no request reached has none open.
    assert_eq!(open_connections(&second).await, 0);
    // Below 3 server connections: one instance with a pool of 2 cannot
    // reach it; two instances loaded together can.
    let spec = check_spec(
        "kind = \"pool_connections\"\nbelow = 3\n\
         traffic = { path = \"/products?category={category}&sort=price\", users = 16, duration = \"1s\" }",
    );

    let alone = check::run(&spec, &check_context(&first, DB, Lang::En)).await;
    assert_eq!(alone.verdict, Verdict::Pass, "{alone:#?}");
    assert_eq!(
        open_connections(&second).await,
        0,
        "the traffic went to the first instance only"
    );
    assert!(open_connections(&first).await > 0);

    let ctx = check_context(&first, DB, Lang::En).with_peer(&second.shop.endpoint.url);
    let both = check::run(&spec, &ctx).await;
    assert_eq!(both.verdict, Verdict::Fail, "{both:#?}");
    assert!(
        both.measured.is_some_and(|max| max >= 3.0),
        "both pools open at once: {both:#?}"
    );
    assert!(
        open_connections(&second).await > 0,
        "the peer served requests"
    );
    first.stop().await;
    second.stop().await;
}

#[tokio::test]
async fn postgres_answers_through_the_latency_relay() {
    use perflab::services::latency::{LatencyRelay, upstream_of};
    use sqlx::Connection;
    let url = common::database_url(DB);
    let rtt = std::time::Duration::from_millis(10);
    let relay = LatencyRelay::start(upstream_of(&url).await.unwrap(), rtt)
        .await
        .unwrap();
    let through = relay.url_through(&url).unwrap();
    for round in 0..20 {
        let mut conn = tokio::time::timeout(
            std::time::Duration::from_secs(5),
            sqlx::PgConnection::connect(&through),
        )
        .await
        .unwrap_or_else(|_| panic!("round {round}: no connection within 5 s"))
        .unwrap();
        let one: i32 = sqlx::query_scalar("SELECT 1")
            .fetch_one(&mut conn)
            .await
            .unwrap();
        assert_eq!(one, 1);
        conn.close().await.unwrap();
    }
}

#[test]
fn labs_validate_proves_the_pool_lab() {
    let text = common::validate_only("2.4", "b2pool");
    let line = |id: &str| common::proven_line(&text, id);
    assert!(
        line("pool").contains("fails at the start, passes solved"),
        "{text}"
    );
    assert!(
        line("connections").contains("guard, passes in both states"),
        "{text}"
    );
}
