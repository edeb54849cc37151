//! `Server-Timing` (db, cache, total) and `X-Response-Time`, from the
//! [`Breakdown`] the statement counter leaves in the response's extensions
//! and the total [`super::observe`] measures around everything inside it.

use std::time::Duration;

use axum::http::HeaderValue;
use axum::response::Response;

/// Where a request's time went, as the innermost layer saw it: put in the
/// response's extensions by `routes::count_statements`. Absent on answers
/// that never reached a handler (a 429), which then spent nothing on either.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Breakdown {
    /// SQL statements sent (`X-Query-Count`).
    pub queries: u32,
    /// Time with a statement running.
    pub db: Duration,
    /// Time in cache lookups, fills and retirements, its statements left out.
    pub cache: Duration,
    /// Time encoding the JSON body (`shop::profile::SERIALISE_TIME`).
    pub serialise: Duration,
}

/// Appends milliseconds with three decimals, as both headers write them:
/// whole microseconds in integer arithmetic, no float formatting (this runs
/// on every request of the timed stack, issue 13's budget).
fn push_millis(out: &mut String, duration: Duration) {
    use std::fmt::Write;
    let micros = duration.as_micros();
    let _ = write!(out, "{}.{:03}", micros / 1000, micros % 1000);
}

/// Adds `Server-Timing` and `X-Response-Time` for a request that took
/// `total` up to its response head.
pub fn annotate(response: &mut Response, total: Duration) {
    let breakdown = response
        .extensions()
        .get::<Breakdown>()
        .copied()
        .unwrap_or_default();
    let mut server_timing = String::with_capacity(64);
    server_timing.push_str("db;dur=");
    push_millis(&mut server_timing, breakdown.db);
    server_timing.push_str(", cache;dur=");
    push_millis(&mut server_timing, breakdown.cache);
    server_timing.push_str(", total;dur=");
    push_millis(&mut server_timing, total);
    let mut response_time = String::with_capacity(16);
    push_millis(&mut response_time, total);
    response_time.push_str("ms");
    let headers = response.headers_mut();
    // Digits, dots and ASCII words only: always valid header values. Taken
    // as `Bytes` so the text is not copied again.
    for (name, text) in [
        ("server-timing", server_timing),
        ("x-response-time", response_time),
    ] {
        if let Ok(value) = HeaderValue::from_maybe_shared(bytes::Bytes::from(text)) {
            headers.insert(name, value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_carry_each_part_in_milliseconds() {
        let mut response = Response::new(axum::body::Body::empty());
        response.extensions_mut().insert(Breakdown {
            queries: 2,
            db: Duration::from_micros(1500),
            cache: Duration::from_micros(250),
            serialise: Duration::ZERO,
        });
        annotate(&mut response, Duration::from_millis(4));
        assert_eq!(
            response.headers()["server-timing"],
            "db;dur=1.500, cache;dur=0.250, total;dur=4.000"
        );
        assert_eq!(response.headers()["x-response-time"], "4.000ms");
    }

    #[test]
    fn milliseconds_keep_three_decimals_at_any_size() {
        let mut out = String::new();
        for micros in [0, 7, 999, 1_000, 61_234_567] {
            push_millis(&mut out, Duration::from_micros(micros));
            out.push(' ');
        }
        assert_eq!(out, "0.000 0.007 0.999 1.000 61234.567 ");
    }
}
