//! `shared_keys` (lab 1.5): two instances of the shop on the same database and
//! Redis must share cache entries — keys equal across processes and for any
//! order of the query parameters — and a product write must retire the
//! cached listings of every instance. Needs a second instance
//! (`ctx.peers[0]`); uses only the public API of both.
//!
//! What it does, in order, with A the shop and B the peer:
//! 1. reads the first listing path on A and takes its first product P;
//! 2. as the admin, changes P's price on A (so no entry from earlier runs can
//!    pass for a shared one: a HIT must carry the new price);
//! 3. per path: GET on A, then GET on B with the query parameters reversed —
//!    B must answer `X-Cache: HIT` with the same body as A;
//! 4. A's listing must already show the new price (its own write retired it);
//! 5. puts P's price back on A, then reads the listing on B in both parameter
//!    orders: both must show the price put back.
//!
//! P's original price comes from the database when the context has it (a
//! cached listing may show a stale one) and is put back on every exit path,
//! a dropped check included ([`super::prices`]).
//!
//! measured = misses on B + stale listing reads, a count.

use std::time::Duration;

use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::Value;

use super::prices::{self, PutBack};
use super::verdict::next_step;
use super::{CheckError, Context, Kind, Outcome, Surface, Unit};
use crate::msg;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SharedKeysSpec {
    pub id: Option<String>,
    #[serde(default, with = "humantime_serde")]
    pub timeout: Option<Duration>,
    /// Why it must pass in the lab's starting state too (see `labs validate`).
    pub guard: Option<String>,
    /// Cached paths to request on both instances. The first must be a listing
    /// (`{"items": [...]}` or an array of products) whose order a price change
    /// of its first product does not alter (sorted by price ascending, by id…).
    #[serde(default = "default_paths")]
    pub paths: Vec<String>,
}

fn default_paths() -> Vec<String> {
    vec![
        "/products?category=3&sort=price&page=1".into(),
        "/categories".into(),
    ]
}

/// The same path with its query parameters in reverse order.
fn reversed(path: &str) -> String {
    match path.split_once('?') {
        Some((route, query)) => {
            let params: Vec<&str> = query.split('&').rev().collect();
            format!("{route}?{}", params.join("&"))
        }
        None => path.to_string(),
    }
}

/// A price the shop accepts, different from `price`, that keeps the product
/// first in a listing sorted by price: half of it (a cent more when it is zero).
fn changed_price(price: Decimal) -> Decimal {
    let half = (price / Decimal::TWO).round_dp(2);
    if half == price {
        price + Decimal::new(1, 2)
    } else {
        half
    }
}

/// The products of a listing body.
fn items(body: &Value) -> Option<&Vec<Value>> {
    body.get("items").unwrap_or(body).as_array()
}

/// The price a listing shows for product `id`, if it lists it.
fn listed_price(body: &Value, id: i64) -> Option<Decimal> {
    let item = items(body)?.iter().find(|p| p["id"].as_i64() == Some(id))?;
    price(item)
}

fn price(product: &Value) -> Option<Decimal> {
    // Through the JSON text, not f64 arithmetic: 12.3 stays 12.3.
    product["price"].to_string().parse().ok()
}

/// One answer: `X-Cache` (or `-`) and the JSON body.
struct Answer {
    cache: String,
    body: Value,
}

async fn get(ctx: &Context, base: &str, path: &str) -> Result<Answer, CheckError> {
    let url = format!("{}{path}", base.trim_end_matches('/'));
    let response = ctx.send(ctx.http.get(&url), &url).await?;
    let cache = response
        .headers()
        .get("x-cache")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-")
        .to_string();
    let body = super::context::json(response, &url).await?;
    Ok(Answer { cache, body })
}

/// What went wrong, for the message.
#[derive(Debug, PartialEq)]
enum Failure {
    /// B did not answer from the entry A had just filled.
    NotShared {
        path: String,
        a: String,
        b: String,
        /// B said HIT, but with another body than A's: an entry of its own.
        other_body: bool,
    },
    /// An instance showed the product at the price before the last write.
    Stale {
        instance: &'static str,
        path: String,
        seen: Option<Decimal>,
        wanted: Decimal,
    },
}

/// The product the check writes: the first of the listing.
struct Subject {
    id: i64,
    original: Decimal,
}

impl SharedKeysSpec {
    fn listing(&self) -> Result<&str, CheckError> {
        self.paths
            .first()
            .map(String::as_str)
            .ok_or_else(|| CheckError::Spec("shared_keys needs at least one path".into()))
    }

    /// The listing's first product, with its price from the database (from
    /// the listing itself against a `--target`).
    async fn subject(&self, ctx: &Context) -> Result<Subject, CheckError> {
        let listing = self.listing()?;
        let answer = get(ctx, &ctx.shop_url, listing).await?;
        let first = items(&answer.body).and_then(|items| items.first());
        let subject = first.and_then(|p| Some((p["id"].as_i64()?, price(p)?)));
        let (id, listed) = subject.ok_or_else(|| {
            CheckError::Spec(format!(
                "the first path ({listing}) must be a listing with at least one product (id, price)"
            ))
        })?;
        let original = match ctx.database_url {
            Some(_) => prices::original(ctx, id).await?,
            None => listed,
        };
        Ok(Subject { id, original })
    }

    /// Steps 3 to 5 of the module doc; the caller puts the price back on error.
    async fn rounds(
        &self,
        ctx: &Context,
        peer: &str,
        token: &str,
        subject: &Subject,
    ) -> Result<Vec<Failure>, CheckError> {
        let listing = self.listing()?;
        let changed = changed_price(subject.original);
        ctx.set_price(token, subject.id, changed).await?;
        let mut failures = Vec::new();
        for path in &self.paths {
            let a = get(ctx, &ctx.shop_url, path).await?;
            let b = get(ctx, peer, &reversed(path)).await?;
            let other_body = a.body != b.body;
            if !b.cache.eq_ignore_ascii_case("HIT") || other_body {
                failures.push(Failure::NotShared {
                    path: path.clone(),
                    a: a.cache,
                    b: b.cache,
                    other_body,
                });
            }
            if path == listing {
                failures.extend(stale(&a.body, "A", path, subject.id, changed)?);
            }
        }
        ctx.set_price(token, subject.id, subject.original).await?;
        for path in [listing.to_string(), reversed(listing)] {
            let b = get(ctx, peer, &path).await?;
            failures.extend(stale(&b.body, "B", &path, subject.id, subject.original)?);
        }
        Ok(failures)
    }
}

/// A stale read when the listing shows the product at another price; an error
/// when it does not list it (the path does not suit the check).
fn stale(
    body: &Value,
    instance: &'static str,
    path: &str,
    id: i64,
    wanted: Decimal,
) -> Result<Option<Failure>, CheckError> {
    let Some(seen) = listed_price(body, id) else {
        return Err(CheckError::Spec(format!(
            "product {id} left the listing {path} when its price changed: choose a listing sorted by price ascending or by id"
        )));
    };
    Ok((seen != wanted).then(|| Failure::Stale {
        instance,
        path: path.to_string(),
        seen: Some(seen),
        wanted,
    }))
}

impl Kind for SharedKeysSpec {
    const NAME: &'static str = "shared_keys";

    fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    fn guard(&self) -> Option<&str> {
        self.guard.as_deref()
    }

    fn target(&self, ctx: &Context) -> String {
        msg!(ctx.text, "check-shared-target")
    }

    fn limit(&self, _: &Context) -> Duration {
        self.timeout.unwrap_or(Duration::from_secs(30))
    }

    async fn measure(&self, ctx: &Context) -> Result<Outcome, CheckError> {
        let peer = ctx
            .peers
            .first()
            .ok_or(CheckError::Unavailable(Surface::Peer))?;
        let token = ctx.login(1).await?;
        let subject = self.subject(ctx).await?;
        // From here on the price goes back, however the check ends.
        let restore = PutBack::new(ctx, &token);
        restore.remember(subject.id, subject.original);
        let rounds = self.rounds(ctx, peer, &token, &subject).await;
        let restored = restore.now().await;
        let failures = rounds?;
        restored?;
        let misses = failures
            .iter()
            .filter(|f| matches!(f, Failure::NotShared { .. }))
            .count();
        let stale = failures.len() - misses;
        let message = message(ctx, (&ctx.shop_url, peer), &self.target(ctx), &failures);
        let details = [
            ("paths", self.paths.len() as f64),
            ("misses", misses as f64),
            ("stale_reads", stale as f64),
        ];
        Ok(Outcome::measured(
            failures.is_empty(),
            failures.len() as f64,
            Unit::Count,
            message,
        )
        .with_details(details))
    }
}

fn describe(ctx: &Context, failure: &Failure) -> String {
    let text = &ctx.text;
    match failure {
        Failure::NotShared {
            path,
            a,
            b,
            other_body: false,
        } => msg!(
            text,
            "check-shared-not-shared",
            path = reversed(path),
            a = a,
            b = b
        ),
        Failure::NotShared { path, b, .. } => msg!(
            text,
            "check-shared-other-body",
            path = reversed(path),
            b = b
        ),
        Failure::Stale {
            instance,
            path,
            seen,
            wanted,
        } => msg!(
            text,
            "check-shared-stale",
            path = path,
            instance = *instance,
            seen = seen.map_or("-".to_string(), |p| p.to_string()),
            wanted = wanted.to_string()
        ),
    }
}

fn message(ctx: &Context, (a, b): (&str, &str), target: &str, failures: &[Failure]) -> String {
    let text = &ctx.text;
    if failures.is_empty() {
        let head = msg!(text, "check-shared-ok", a = a, b = b, target = target);
        return format!("{head} {}", next_step(text, true, String::new));
    }
    let list: Vec<String> = failures.iter().map(|f| describe(ctx, f)).collect();
    let head = msg!(
        text,
        "check-shared-head",
        count = failures.len(),
        a = a,
        b = b,
        list = list.join("; "),
        target = target
    );
    let mut next = Vec::new();
    if failures
        .iter()
        .any(|f| matches!(f, Failure::NotShared { .. }))
    {
        next.push(msg!(text, "check-shared-hint-keys", mode = ctx.mode()));
    }
    if failures.iter().any(|f| matches!(f, Failure::Stale { .. })) {
        next.push(msg!(text, "check-shared-hint-stale"));
    }
    format!("{head} {}", next.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::Lang;

    #[test]
    fn parameters_are_reversed_and_plain_paths_kept() {
        assert_eq!(
            reversed("/products?category=3&sort=price&page=1"),
            "/products?page=1&sort=price&category=3"
        );
        assert_eq!(reversed("/categories"), "/categories");
        assert_eq!(
            reversed("/products/search?q=mesa"),
            "/products/search?q=mesa"
        );
    }

    #[test]
    fn the_changed_price_differs_and_never_rises_past_the_cheapest() {
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        assert_eq!(changed_price(d("19.99")), d("10.00"));
        assert_eq!(changed_price(d("0.01")), d("0.00"));
        assert_eq!(changed_price(d("0")), d("0.01"));
    }

    #[test]
    fn listed_prices_are_read_from_items_or_a_bare_array() {
        let paged = serde_json::json!({ "items": [{ "id": 4, "price": 12.3 }], "page": 1 });
        assert_eq!(listed_price(&paged, 4), Some("12.3".parse().unwrap()));
        assert_eq!(listed_price(&paged, 5), None);
        let bare = serde_json::json!([{ "id": 5, "price": 7 }]);
        assert_eq!(listed_price(&bare, 5), Some(Decimal::from(7)));
    }

    #[test]
    fn the_message_names_instance_path_and_next_step() {
        let failures = [
            Failure::NotShared {
                path: "/products?category=3&sort=price".into(),
                a: "MISS".into(),
                b: "MISS".into(),
                other_body: false,
            },
            Failure::Stale {
                instance: "B",
                path: "/products?category=3&sort=price".into(),
                seen: Some(Decimal::new(500, 2)),
                wanted: Decimal::new(1000, 2),
            },
        ];
        let en = Context::new("http://a", Lang::En);
        let text = message(&en, ("http://a", "http://b"), "t", &failures);
        assert!(
            text.contains("?sort=price&category=3 on B answered X-Cache: MISS"),
            "{text}"
        );
        assert!(text.contains("price 5.00 instead of 10.00"), "{text}");
        assert!(
            text.contains("per-process hash") && text.contains("namespace"),
            "{text}"
        );
        let es = Context::new("http://a", Lang::Es);
        let es = message(&es, ("http://a", "http://b"), "t", &failures);
        assert!(es.contains("2 fallos") && es.contains("en B"), "{es}");
    }
}
