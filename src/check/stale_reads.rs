//! `stale_reads`: readers fetch one product while an admin writer sets its
//! price to 1000, 1001, 1002… one write after another. A read that *started*
//! after write k returned yet shows a price below k is stale; the target is
//! none. Uses only the public API (the admin logs in as the fixture admin).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

use serde::Deserialize;
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::verdict::next_step;
use super::{CheckError, Context, Kind, Lang, Outcome};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StaleReadsSpec {
    pub id: Option<String>,
    #[serde(default, with = "humantime_serde")]
    pub timeout: Option<Duration>,
    /// The product written and read.
    #[serde(default = "default_product")]
    pub product: i64,
    #[serde(default = "default_readers")]
    pub readers: usize,
    /// How long the writer keeps writing.
    #[serde(with = "humantime_serde", default = "default_duration")]
    pub duration: Duration,
    #[serde(default)]
    pub max: u64,
}

fn default_product() -> i64 {
    1
}
fn default_readers() -> usize {
    4
}
fn default_duration() -> Duration {
    Duration::from_secs(3)
}

/// Shared by the writer and the readers.
#[derive(Default)]
struct Board {
    /// The price of the last write that returned.
    committed: AtomicI64,
    stale: AtomicU64,
    reads: AtomicU64,
    done: AtomicBool,
}

impl StaleReadsSpec {
    fn url(&self, ctx: &Context) -> String {
        ctx.url(&format!("/products/{}", self.product))
    }

    /// Writes increasing prices, one after another, until the duration is over;
    /// returns how many.
    async fn writes(&self, ctx: &Context, token: &str, board: &Board) -> Result<i64, CheckError> {
        let deadline = Instant::now() + self.duration;
        let mut price = FIRST_PRICE;
        while Instant::now() < deadline {
            price += 1;
            self.write(ctx, token, price as f64).await?;
            board.committed.store(price, Ordering::SeqCst);
        }
        Ok(price - FIRST_PRICE)
    }

    async fn write(&self, ctx: &Context, token: &str, price: f64) -> Result<(), CheckError> {
        let url = self.url(ctx);
        let request = ctx
            .http
            .put(&url)
            .bearer_auth(token)
            .json(&serde_json::json!({ "price": price }));
        super::context::json(ctx.send(request, &url).await?, &url)
            .await
            .map(drop)
    }
}

/// The price of the first write; each next write adds one.
const FIRST_PRICE: i64 = 1000;

/// The product's price as a GET answers it.
async fn price_of(ctx: &Context, url: &str) -> Result<f64, CheckError> {
    let body = super::context::json(ctx.send(ctx.http.get(url), url).await?, url).await?;
    body["price"]
        .as_f64()
        .ok_or_else(|| CheckError::Unexpected {
            url: url.to_string(),
            what: "no numeric price".into(),
        })
}

/// Reads until the writer is done, plus one read after, so every write is read.
async fn read(ctx: Context, url: String, board: Arc<Board>) -> Result<(), CheckError> {
    let mut last_round = false;
    loop {
        let floor = board.committed.load(Ordering::SeqCst);
        let price = price_of(&ctx, &url).await?;
        board.reads.fetch_add(1, Ordering::Relaxed);
        if (price as i64) < floor {
            board.stale.fetch_add(1, Ordering::SeqCst);
        }
        if last_round {
            return Ok(());
        }
        last_round = board.done.load(Ordering::SeqCst);
    }
}

impl Kind for StaleReadsSpec {
    const NAME: &'static str = "stale_reads";

    fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    fn target(&self, _: &Context) -> String {
        format!("stale reads ≤ {}", self.max)
    }

    fn limit(&self, _: &Context) -> Duration {
        self.timeout
            .unwrap_or(self.duration + Duration::from_secs(20))
    }

    async fn measure(&self, ctx: &Context) -> Result<Outcome, CheckError> {
        let token = ctx.login(1).await?;
        let url = self.url(ctx);
        let original = price_of(ctx, &url).await?;
        self.write(ctx, &token, FIRST_PRICE as f64).await?;
        let board = Arc::new(Board {
            committed: AtomicI64::new(FIRST_PRICE),
            ..Board::default()
        });
        // Cache the first price, so a cache that is never retired shows.
        price_of(ctx, &url).await?;
        let mut readers = JoinSet::new();
        for _ in 0..self.readers.max(1) {
            readers.spawn(read(ctx.clone(), url.clone(), Arc::clone(&board)));
        }
        let written = self.writes(ctx, &token, &board).await;
        board.done.store(true, Ordering::SeqCst);
        while let Some(joined) = readers.join_next().await {
            joined.map_err(|e| CheckError::Unexpected {
                url: url.clone(),
                what: format!("a reader task failed: {e}"),
            })??;
        }
        let writes = written?;
        // A grader leaves the catalog as it found it.
        self.write(ctx, &token, original).await?;
        let stale = board.stale.load(Ordering::SeqCst);
        let ok = stale <= self.max;
        let counts = (stale, writes, board.reads.load(Ordering::Relaxed));
        let message = message(ctx.lang(), self.product, &self.target(ctx), counts, ok);
        Ok(Outcome::judged(ok, Some(stale as f64), message))
    }
}

fn message(
    lang: Lang,
    product: i64,
    target: &str,
    (stale, writes, reads): (u64, i64, u64),
    ok: bool,
) -> String {
    let head = lang.pick(
        format!("{stale} lecturas obsoletas de {reads} en GET /products/{product} durante {writes} escrituras (objetivo {target})."),
        format!("{stale} stale reads out of {reads} on GET /products/{product} during {writes} writes (target {target})."),
    );
    let next = next_step(
        lang,
        ok,
        (
            "La escritura debe borrar o reescribir la entrada antes de responder: cache.invalidation = \"on-write\" o write-through.",
            "A write must delete or rewrite the entry before it returns: cache.invalidation = \"on-write\" or write-through.",
        ),
    );
    format!("{head} {next}")
}
