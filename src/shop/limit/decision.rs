//! What a store decided for one request, and how it reads on the wire: the
//! course's `X-RateLimit-*` headers, the IETF `RateLimit-Policy` /
//! `RateLimit` fields (draft-ietf-httpapi-ratelimit-headers, structured-field
//! form) and, when limited, `Retry-After`. Every store returns a [`Decision`];
//! only this file writes headers.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::http::{HeaderMap, HeaderName, HeaderValue, header};

use super::policy::Policy;
use crate::shop::header_arena::{header_value, number};

/// One store's answer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Decision {
    pub allowed: bool,
    /// Requests still allowed after this one.
    pub remaining: u32,
    /// Until the budget is whole again.
    pub full_in: Duration,
    /// When limited: until a request would pass.
    pub retry_after: Duration,
    /// The clock the store decided by (Redis's `TIME` for the shared store,
    /// so instances agree on `X-RateLimit-Reset`).
    pub now: SystemTime,
}

impl Decision {
    /// Seconds, rounded up: a client that waits this long must not be
    /// refused again for the same reason.
    fn ceil_secs(d: Duration) -> u64 {
        d.as_secs() + u64::from(d.subsec_nanos() > 0)
    }

    /// `Retry-After` in whole seconds, at least 1.
    pub fn retry_after_secs(&self) -> u64 {
        Self::ceil_secs(self.retry_after).max(1)
    }

    /// Writes the budget headers (and `Retry-After` when limited).
    ///
    /// Every value is cut from the thread's header arena
    /// (`shop::header_arena`), not allocated on its own: this runs on every
    /// request the limiter sees (issue 13's budget).
    pub fn write_headers(&self, policy: &Policy, headers: &mut HeaderMap) {
        let epoch = |t: SystemTime| t.duration_since(UNIX_EPOCH).unwrap_or_default();
        let full_in = Self::ceil_secs(self.full_in);
        let reset = Self::ceil_secs(epoch(self.now) + self.full_in);
        headers.insert(X_RATELIMIT_LIMIT, number(policy.budget));
        headers.insert(X_RATELIMIT_REMAINING, number(self.remaining));
        headers.insert(X_RATELIMIT_RESET, number(reset));
        let name = policy.class.name();
        let window = Self::ceil_secs(policy.period);
        let fields = [
            (
                RATELIMIT_POLICY,
                structured(name, (b";q=", policy.budget.into()), (b";w=", window)),
            ),
            (
                RATELIMIT,
                structured(name, (b";r=", self.remaining.into()), (b";t=", full_in)),
            ),
        ];
        for (field, value) in fields {
            if let Some(value) = value {
                headers.insert(field, value);
            }
        }
        if !self.allowed {
            headers.insert(header::RETRY_AFTER, number(self.retry_after_secs()));
        }
    }
}

const X_RATELIMIT_LIMIT: HeaderName = HeaderName::from_static("x-ratelimit-limit");
const X_RATELIMIT_REMAINING: HeaderName = HeaderName::from_static("x-ratelimit-remaining");
const X_RATELIMIT_RESET: HeaderName = HeaderName::from_static("x-ratelimit-reset");
const RATELIMIT_POLICY: HeaderName = HeaderName::from_static("ratelimit-policy");
const RATELIMIT: HeaderName = HeaderName::from_static("ratelimit");

/// A structured-field item with two integer parameters: `"name";q=10;w=60`
/// (`None` only for a name that is not a valid header value).
fn structured(name: &str, first: (&[u8], u64), second: (&[u8], u64)) -> Option<HeaderValue> {
    header_value(|text| {
        text.extend_from_slice(b"\"");
        text.extend_from_slice(name.as_bytes());
        text.extend_from_slice(b"\"");
        for (key, number) in [first, second] {
            text.extend_from_slice(key);
            text.extend_from_slice(itoa::Buffer::new().format(number).as_bytes());
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shop::limit::policy::{Class, Tier};
    use crate::shop::settings::RateLimitSettings;

    #[test]
    fn headers_read_as_the_course_and_the_ietf_draft_say() {
        let settings = RateLimitSettings {
            per_endpoint: true,
            ..RateLimitSettings::default()
        };
        let policy = Policy::new(&settings, Tier::Guest, Class::Login);
        let decision = Decision {
            allowed: false,
            remaining: 0,
            full_in: Duration::from_millis(59_200),
            retry_after: Duration::from_millis(5_200),
            now: UNIX_EPOCH + Duration::from_secs(1_000),
        };
        let mut headers = HeaderMap::new();
        decision.write_headers(&policy, &mut headers);
        assert_eq!(headers["x-ratelimit-limit"], "10");
        assert_eq!(headers["x-ratelimit-remaining"], "0");
        assert_eq!(headers["x-ratelimit-reset"], "1060");
        assert_eq!(headers["ratelimit-policy"], "\"login\";q=10;w=60");
        assert_eq!(headers["ratelimit"], "\"login\";r=0;t=60");
        assert_eq!(headers["retry-after"], "6");
    }

    #[test]
    fn retry_after_is_at_least_one_second() {
        let decision = Decision {
            allowed: false,
            remaining: 0,
            full_in: Duration::ZERO,
            retry_after: Duration::from_millis(1),
            now: SystemTime::now(),
        };
        assert_eq!(decision.retry_after_secs(), 1);
        let zero = Decision {
            retry_after: Duration::ZERO,
            ..decision
        };
        assert_eq!(zero.retry_after_secs(), 1);
    }
}
