//! `Server-Timing` (db, cache, total) and `X-Response-Time`, from the
//! [`Breakdown`] the statement counter leaves in the response's extensions
//! and the total [`super::observe`] measures around everything inside it.

use std::time::Duration;

use axum::http::HeaderName;
use axum::response::Response;
use bytes::BufMut;

use crate::shop::header_arena::header_value;

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

/// Appends milliseconds with three decimals (whole microseconds), as both
/// headers and the JSON log line write them: integer arithmetic, no float
/// formatting (this runs on every request of the timed stack, issue 13's
/// budget).
pub fn write_millis(out: &mut impl BufMut, duration: Duration) {
    let micros = duration.as_micros();
    out.put_slice(itoa::Buffer::new().format(micros / 1000).as_bytes());
    push_thousandths(out, (micros % 1000) as u32);
}

/// Appends `.` and `thousandths` (below 1000) as three digits: `.007`.
pub fn push_thousandths(out: &mut impl BufMut, thousandths: u32) {
    debug_assert!(thousandths < 1000, "{thousandths}");
    let digit = |n: u32| b'0' + (n % 10) as u8;
    out.put_slice(&[
        b'.',
        digit(thousandths / 100),
        digit(thousandths / 10),
        digit(thousandths),
    ]);
}

/// Adds `Server-Timing` and `X-Response-Time` for a request that took
/// `total` up to its response head.
pub fn annotate(response: &mut Response, total: Duration) {
    let breakdown = response
        .extensions()
        .get::<Breakdown>()
        .copied()
        .unwrap_or_default();
    // Digits, dots and ASCII words only: always valid header values.
    let server_timing = header_value(|out| {
        out.put_slice(b"db;dur=");
        write_millis(out, breakdown.db);
        out.put_slice(b", cache;dur=");
        write_millis(out, breakdown.cache);
        out.put_slice(b", total;dur=");
        write_millis(out, total);
    });
    let response_time = header_value(|out| {
        write_millis(out, total);
        out.put_slice(b"ms");
    });
    let headers = response.headers_mut();
    for (name, value) in [
        (SERVER_TIMING, server_timing),
        (X_RESPONSE_TIME, response_time),
    ] {
        if let Some(value) = value {
            headers.insert(name, value);
        }
    }
}

const SERVER_TIMING: HeaderName = HeaderName::from_static("server-timing");
const X_RESPONSE_TIME: HeaderName = HeaderName::from_static("x-response-time");

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
        let mut out = Vec::new();
        for micros in [0, 7, 999, 1_000, 61_234_567] {
            write_millis(&mut out, Duration::from_micros(micros));
            out.push(b' ');
        }
        assert_eq!(out, b"0.000 0.007 0.999 1.000 61234.567 ");
    }
}
