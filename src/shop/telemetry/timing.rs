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

/// Milliseconds with three decimals, as both headers write them.
pub fn millis(duration: Duration) -> String {
    format!("{:.3}", duration.as_secs_f64() * 1000.0)
}

/// Adds `Server-Timing` and `X-Response-Time` for a request that took
/// `total` up to its response head.
pub fn annotate(response: &mut Response, total: Duration) {
    let breakdown = response
        .extensions()
        .get::<Breakdown>()
        .copied()
        .unwrap_or_default();
    let server_timing = format!(
        "db;dur={}, cache;dur={}, total;dur={}",
        millis(breakdown.db),
        millis(breakdown.cache),
        millis(total)
    );
    let response_time = format!("{}ms", millis(total));
    let headers = response.headers_mut();
    // Digits, dots and ASCII words only: always valid header values.
    if let Ok(value) = HeaderValue::from_str(&server_timing) {
        headers.insert("server-timing", value);
    }
    if let Ok(value) = HeaderValue::from_str(&response_time) {
        headers.insert("x-response-time", value);
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
}
