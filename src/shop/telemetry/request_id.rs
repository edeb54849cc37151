//! `X-Request-Id`: the client's, when it is sane, or a new random one
//! ([`RandomHex`], a tower-http [`MakeRequestId`]). Used by
//! [`super::observe`]; the id is also put on the request's headers for the
//! layers inside (as tower-http's `SetRequestId` does; its `RequestId`
//! extension is left out: nothing inside reads it, and every request of the
//! timed stack would pay for it).
//!
//! tower-http's `SetRequestIdLayer`/`PropagateRequestIdLayer` are not used
//! as layers: they are fixed when the router is built, while
//! `middleware.request_id` switches per request, and they pass on whatever a
//! client sends — an id of any length, or with spaces that would split the
//! text log's fields. Its id type and generator trait are. Its
//! `MakeRequestUuid` is not: uuid (without its `fast-rng` feature, which
//! would pull a second `rand`) asks the kernel for every id, a system call
//! per request that cost 2 % of the shop's CPU under load.

use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue};
use tower_http::request_id::{MakeRequestId, RequestId};

use crate::shop::header_arena::header_value;

pub const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The longest client id kept.
const MAX_LEN: usize = 128;

/// The request's id: its own when sane, else a new one, which replaces it.
pub fn assign(request: &mut Request) -> HeaderValue {
    let id = match request.headers().get(X_REQUEST_ID) {
        Some(id) if is_sane(id) => id.clone(),
        _ => fresh(request),
    };
    request.headers_mut().insert(X_REQUEST_ID, id.clone());
    id
}

/// Visible ASCII, 1 to [`MAX_LEN`] bytes: safe in a log line and a header.
pub fn is_sane(id: &HeaderValue) -> bool {
    let bytes = id.as_bytes();
    (1..=MAX_LEN).contains(&bytes.len()) && bytes.iter().all(u8::is_ascii_graphic)
}

fn fresh(request: &Request) -> HeaderValue {
    RandomHex
        .make_request_id(request)
        .map(RequestId::into_header_value)
        // RandomHex always answers; the fallback only satisfies the type.
        .unwrap_or_else(|| HeaderValue::from_static("unknown"))
}

/// 128 random bits as 32 hex digits, from the thread's generator (seeded
/// once from the kernel, not per id).
#[derive(Debug, Clone, Copy, Default)]
pub struct RandomHex;

impl MakeRequestId for RandomHex {
    fn make_request_id<B>(&mut self, _: &axum::http::Request<B>) -> Option<RequestId> {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let bits = rand::random::<u128>();
        // By hand: `format!("{:032x}")` takes the formatter's slow path for
        // 128-bit integers (0.12 µs a request in the shop's profile).
        let mut id = [0u8; 32];
        for (i, digit) in id.iter_mut().enumerate() {
            *digit = DIGITS[(bits >> (124 - 4 * i)) as usize & 0xf];
        }
        // From the thread's arena: the id is cloned into the request, the
        // response and the log, and a `Vec`'s buffer would be allocated
        // twice for that.
        header_value(|out| out.extend_from_slice(&id)).map(RequestId::new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request_with(id: Option<&[u8]>) -> Request {
        let mut builder = Request::builder().uri("/products/1");
        if let Some(id) = id {
            builder = builder.header("x-request-id", HeaderValue::from_bytes(id).unwrap());
        }
        builder.body(axum::body::Body::empty()).unwrap()
    }

    #[test]
    fn a_sane_id_is_kept_and_others_replaced() {
        let mut kept = request_with(Some(b"abc-123_X.y"));
        assert_eq!(assign(&mut kept), "abc-123_X.y");

        let long = vec![b'a'; MAX_LEN + 1];
        for bad in [&b""[..], b"has space", b"tab\there", &long, b"caf\xc3\xa9"] {
            let mut request = request_with(Some(bad));
            let id = assign(&mut request);
            assert_ne!(id.as_bytes(), bad);
            assert!(is_sane(&id), "{id:?}");
            assert_eq!(request.headers()["x-request-id"], id);
        }

        let mut none = request_with(None);
        let first = assign(&mut none);
        let mut other = request_with(None);
        assert_ne!(first, assign(&mut other), "each request gets its own id");
        assert_eq!(first.len(), 32, "{first:?}");
        assert!(
            first.as_bytes().iter().all(u8::is_ascii_hexdigit),
            "{first:?}"
        );
    }

    #[test]
    fn every_digit_of_a_fresh_id_is_random() {
        let ids: Vec<HeaderValue> = (0..64).map(|_| fresh(&request_with(None))).collect();
        for position in 0..32 {
            let digits: std::collections::HashSet<u8> =
                ids.iter().map(|id| id.as_bytes()[position]).collect();
            // 64 draws of one digit all alike: 16^-63.
            assert!(digits.len() > 1, "digit {position} never changes: {ids:?}");
        }
    }
}
