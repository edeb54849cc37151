//! What the checks that change product prices (`stale_reads`, `shared_keys`,
//! `hit_ratio` with writes) share: the original prices, read from the
//! database rather than through a GET that a cache may answer with a stale
//! price, and a [`PutBack`] guard that restores them on every exit path — the
//! check's end, its error, and its future being dropped (a time limit, the
//! learner's Ctrl-C).
//!
//! A drop cannot wait, so the guard's `Drop` spawns the restore and counts it
//! as pending; [`settle`] waits for the pending ones, and every exit path of
//! a command that runs checks calls it before it stops the services the
//! restore needs. The restore goes through the API (a `PUT`, so the shop's
//! cache retires what it held), sent again while the shop answers 503 (after
//! lab 1.6's load its pool may still drain a queue); when the API no longer answers — Ctrl-C
//! killed the runner's shop with the check — it writes the database directly,
//! which is then safe: the next shop starts its cache in a new epoch.
//!
//! Against a `--target` there is no database: the original is what the API
//! answers before the check writes anything, the best a grader has.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use futures::StreamExt;
use rust_decimal::Decimal;
use sqlx::Connection;
use tokio_util::task::TaskTracker;

use super::context::{Oddity, json};
use super::{CheckError, Context};

/// Original prices of the products written so far (first one kept).
pub(crate) type Originals = Arc<Mutex<BTreeMap<i64, Decimal>>>;

/// Prices put back at once.
const RESTORES_AT_ONCE: usize = 4;
/// A restore the shop answers 503 (its pool still drains the queue a load
/// left behind, and says `Retry-After: 1`) is sent again this many times,
/// [`RETRY_AFTER`] apart, before the check reports it.
const RESTORE_RETRIES: u32 = 5;
const RETRY_AFTER: Duration = Duration::from_secs(1);

/// The restores spawned by dropped guards, not yet finished. One per
/// process, not per context: the context is gone with the dropped check,
/// and the command's exit path must still be able to wait for them.
fn pending() -> &'static TaskTracker {
    static PENDING: OnceLock<TaskTracker> = OnceLock::new();
    PENDING.get_or_init(TaskTracker::new)
}

/// Waits (at most `limit`) for the prices that dropped checks are still
/// putting back. Call it before stopping the services a restore needs.
pub async fn settle(limit: Duration) {
    let pending = pending();
    if pending.is_empty() {
        return;
    }
    if tokio::time::timeout(limit, async {
        // Closed only while waiting: a later check may spawn more.
        pending.close();
        pending.wait().await;
        pending.reopen();
    })
    .await
    .is_err()
    {
        pending.reopen();
        tracing::warn!("some product prices may not be back: their restore is still running");
    }
}

/// A product's price before the check changes it: from the database when
/// the context has it, else (`--target`) from the API.
pub(crate) async fn original(ctx: &Context, product: i64) -> Result<Decimal, CheckError> {
    match &ctx.database_url {
        Some(url) => {
            let mut db = sqlx::PgConnection::connect(url).await?;
            let price = price_in(&mut db, product).await;
            let _ = db.close().await;
            price
        }
        None => price_from_api(ctx, product).await,
    }
}

/// A product's price in the database.
pub(crate) async fn price_in<'c, E>(db: E, product: i64) -> Result<Decimal, CheckError>
where
    E: sqlx::PgExecutor<'c>,
{
    let price: Option<Decimal> = sqlx::query_scalar("SELECT price FROM products WHERE id = $1")
        .bind(product)
        .fetch_optional(db)
        .await?;
    price.ok_or_else(|| {
        CheckError::Spec(format!(
            "product {product}, which the check writes, does not exist in the catalog"
        ))
    })
}

/// The price `GET /products/{id}` answers.
pub(crate) async fn price_from_api(ctx: &Context, product: i64) -> Result<Decimal, CheckError> {
    let url = ctx.url(&format!("/products/{product}"));
    let body = json(ctx.send(ctx.http.get(&url), &url).await?, &url).await?;
    // Through the JSON text, not f64 arithmetic: 12.3 stays 12.3.
    body["price"]
        .to_string()
        .parse()
        .map_err(|_| CheckError::Answer {
            url,
            what: Oddity::NoPrice,
        })
}

/// Puts the original prices back: awaited at the end of a check
/// ([`PutBack::now`]), spawned from `Drop` when the check's future is dropped.
pub(crate) struct PutBack {
    ctx: Context,
    token: String,
    originals: Option<Originals>,
}

impl PutBack {
    /// A guard for writes made as the admin `token`.
    pub fn new(ctx: &Context, token: &str) -> Self {
        Self {
            ctx: ctx.clone(),
            token: token.to_string(),
            originals: Some(Originals::default()),
        }
    }

    /// The prices to put back, shared with writers.
    pub fn originals(&self) -> Originals {
        self.originals.clone().unwrap_or_default()
    }

    /// Remembers `product`'s original price (the first one given wins);
    /// returns the one kept.
    pub fn remember(&self, product: i64, price: Decimal) -> Decimal {
        match &self.originals {
            Some(originals) => *lock(originals).entry(product).or_insert(price),
            None => price,
        }
    }

    /// Puts every price back now.
    pub async fn now(mut self) -> Result<(), CheckError> {
        match self.originals.take() {
            Some(originals) => put_back(&self.ctx, &self.token, &originals).await,
            None => Ok(()),
        }
    }
}

impl Drop for PutBack {
    fn drop(&mut self) {
        let Some(originals) = self.originals.take() else {
            return;
        };
        if lock(&originals).is_empty() {
            return;
        }
        let (ctx, token) = (self.ctx.clone(), std::mem::take(&mut self.token));
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            pending().spawn_on(
                async move {
                    if let Err(e) = put_back(&ctx, &token, &originals).await {
                        tracing::warn!("could not put product prices back: {e}");
                    }
                },
                &runtime,
            );
        }
    }
}

fn lock(originals: &Originals) -> std::sync::MutexGuard<'_, BTreeMap<i64, Decimal>> {
    originals.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Every price back, a few at a time; the first error, after trying them all.
async fn put_back(ctx: &Context, token: &str, originals: &Originals) -> Result<(), CheckError> {
    let prices: Vec<(i64, Decimal)> = lock(originals).iter().map(|(k, v)| (*k, *v)).collect();
    let results: Vec<Result<(), CheckError>> = futures::stream::iter(prices)
        .map(|(id, price)| restore(ctx, token, id, price))
        .buffer_unordered(RESTORES_AT_ONCE)
        .collect()
        .await;
    results.into_iter().collect()
}

/// One price back through the API, sent again while the shop answers 503;
/// straight into the database when the API does not answer at all (its
/// process is gone) and the database is known.
async fn restore(ctx: &Context, token: &str, id: i64, price: Decimal) -> Result<(), CheckError> {
    let mut retries = 0;
    let answer = loop {
        match ctx.set_price(token, id, price).await {
            Err(CheckError::Status { status: 503, .. }) if retries < RESTORE_RETRIES => {
                retries += 1;
                tokio::time::sleep(RETRY_AFTER).await;
            }
            answer => break answer,
        }
    };
    match answer {
        Err(CheckError::Http { .. }) if ctx.database_url.is_some() => {
            let url = ctx.database_url()?;
            let mut db = sqlx::PgConnection::connect(url).await?;
            let updated = sqlx::query("UPDATE products SET price = $2 WHERE id = $1")
                .bind(id)
                .bind(price)
                .execute(&mut db)
                .await;
            let _ = db.close().await;
            updated.map(drop).map_err(CheckError::from)
        }
        other => other,
    }
}
