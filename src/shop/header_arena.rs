//! Header values the middleware computes for every response (the rate
//! limit's budget, `Server-Timing`, `X-Response-Time`, a fresh request id,
//! `X-Query-Count`), cut from a per-thread arena instead of allocated one by
//! one.
//!
//! A `HeaderValue` holds `Bytes`. Made from a `Vec` or an integer, each one
//! is an allocation of its own, and a second when the value is cloned (the
//! request id is: the `Vec`'s buffer is then promoted to a shared one). Here
//! each worker thread writes its values into one `BytesMut` chunk and splits
//! each off: a reference count, no copy. A chunk is freed once the last
//! value cut from it is dropped with its response. With the whole stack on,
//! that is about ten allocations a request fewer (issue 13's budget;
//! BENCHMARKS, "What the stack allocated (stop 26)").
//!
//! Written by hand: neither `http` nor `bytes` offers an arena for header
//! values, and this is the whole of it.

use std::cell::RefCell;

use axum::http::HeaderValue;
use bytes::BytesMut;

/// Bytes of one chunk: the values of about a hundred requests.
const CHUNK: usize = 16 * 1024;
/// A fresh chunk when less than this is left, so a value (the longest is
/// `Server-Timing`, ~60 bytes) does not outgrow it while being written.
const ROOM: usize = 256;

thread_local! {
    static ARENA: RefCell<BytesMut> = RefCell::new(BytesMut::new());
}

/// The header value `write` appends, or `None` if it is not a valid one.
pub fn header_value(write: impl FnOnce(&mut BytesMut)) -> Option<HeaderValue> {
    ARENA.with_borrow_mut(|arena| {
        if arena.capacity() - arena.len() < ROOM {
            *arena = BytesMut::with_capacity(CHUNK);
        }
        write(arena);
        HeaderValue::from_maybe_shared(arena.split().freeze()).ok()
    })
}

/// An integer as a header value.
pub fn number(n: impl itoa::Integer) -> HeaderValue {
    header_value(|out| out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes()))
        .expect("digits are a valid header value")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_cut_from_one_chunk_stay_apart_and_outlive_it() {
        let values: Vec<HeaderValue> = (0..2_000u32).map(number).collect();
        // Far more than one chunk's worth: every value is still its own.
        for (n, value) in values.iter().enumerate() {
            assert_eq!(value.to_str().unwrap(), n.to_string());
        }
        let long = "x".repeat(4 * CHUNK);
        let value = header_value(|out| out.extend_from_slice(long.as_bytes())).unwrap();
        assert_eq!(value.len(), long.len());
        assert_eq!(number(7u8), "7");
        assert!(header_value(|out| out.extend_from_slice(b"a\nb")).is_none());
        // The arena goes on after a refused value.
        assert_eq!(number(8u8), "8");
    }
}
