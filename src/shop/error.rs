//! The shop's one error type. Handlers return `Result<_, Error>` and use `?`;
//! this file alone turns an error into an HTTP response: an RFC 9457 problem
//! document (`application/problem+json`) with the right status. No SQL, stack or
//! internal detail ever reaches a client: internal causes are logged here and the
//! client reads a generic sentence.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// Everything that can go wrong while answering a request.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// 400: the request could not be read (malformed JSON, bad query string).
    #[error("{0}")]
    BadRequest(String),
    /// Another 4xx axum's extractors chose (415 without a JSON content type,
    /// 413 for a body over the limit).
    #[error("{1}")]
    Rejected(StatusCode, String),
    /// 401: no valid credentials.
    #[error("{0}")]
    Unauthorized(&'static str),
    /// 403: authenticated, but not allowed.
    #[error("{0}")]
    Forbidden(&'static str),
    /// 404: the named thing does not exist (or is not yours).
    #[error("{0} not found")]
    NotFound(String),
    /// 409: the request conflicts with the current state (e.g. out of stock).
    #[error("{0}")]
    Conflict(String),
    /// 422: well-formed but invalid values.
    #[error("{0}")]
    Unprocessable(String),
    /// 405: the route exists, the method does not (the `Allow` header lists
    /// the ones that do).
    #[error("method {0} is not allowed here; the Allow header lists those that are")]
    MethodNotAllowed(String),
    /// 414: the request target is longer than the server reads.
    #[error("the URI is longer than {0} bytes")]
    UriTooLong(usize),
    /// 431: the header section is larger than the server reads.
    #[error("the request headers exceed {0} bytes")]
    HeadersTooLarge(usize),
    /// 429: the caller's rate-limit budget is spent, or the limiter's store
    /// is down and `rate_limit.on_store_error` is `closed`. The limiter
    /// (`shop::limit`) adds `Retry-After` and the budget headers.
    #[error("{0}")]
    TooManyRequests(String),
    /// 503: every pooled database connection stayed busy past the acquire timeout.
    #[error("database pool exhausted")]
    PoolTimeout,
    /// 503: the answer took longer than the server's request timeout.
    #[error("the request took longer than {0:?}")]
    RequestTimeout(std::time::Duration),
    /// 503: a query waited too long for a lock (`lock_timeout`) or ran too
    /// long (`statement_timeout`): the database is busy, not broken.
    #[error("database busy: {0}")]
    DatabaseBusy(sqlx::Error),
    /// 503: the database went away (stopped, restarted, unreachable).
    #[error("database unavailable: {0}")]
    DatabaseUnavailable(sqlx::Error),
    /// 503: a cached route while Redis does not answer and `cache.fallback`
    /// is `none` (the course's naive starting code).
    #[error(
        "Redis does not answer and cache.fallback = \"none\" serves nothing without it; \
         set cache.fallback to \"memory\" or \"database\" to keep answering while Redis is down"
    )]
    CacheUnavailable,
    /// 500: a database failure the client cannot fix. Logged, never shown.
    #[error("database error: {0}")]
    Database(sqlx::Error),
    /// 500: anything else internal. Logged, never shown.
    #[error("internal error: {0}")]
    Internal(String),
}

/// An RFC 9457 problem document: how every error of the shop reads.
#[derive(Debug, Serialize, utoipa::ToSchema, utoipa::ToResponse)]
#[response(content_type = "application/problem+json")]
pub struct Problem {
    /// Always `about:blank`: the status says what kind of problem it is.
    #[serde(rename = "type")]
    kind: &'static str,
    /// The status's reason phrase, or the problem's own name.
    title: &'static str,
    status: u16,
    /// What happened and, where the client can act, what to do.
    detail: String,
}

impl Error {
    fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Rejected(status, _) => *status,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            Self::UriTooLong(_) => StatusCode::URI_TOO_LONG,
            Self::HeadersTooLarge(_) => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            Self::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::PoolTimeout
            | Self::CacheUnavailable
            | Self::RequestTimeout(_)
            | Self::DatabaseBusy(_)
            | Self::DatabaseUnavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Database(_) | Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The problem's title: the status's own words, unless the problem has a
    /// name of its own.
    fn title(&self) -> &'static str {
        match self {
            Self::CacheUnavailable => "cache unavailable",
            other => other.status().canonical_reason().unwrap_or("Error"),
        }
    }

    /// What the client may read. Internal causes become a fixed sentence.
    fn public_detail(&self) -> String {
        match self {
            Self::Database(_) | Self::Internal(_) => {
                "the server failed to answer this request; it has been logged".into()
            }
            Self::PoolTimeout => "no database connection became free in time; retry shortly".into(),
            Self::RequestTimeout(limit) => format!(
                "the server gave up on this request after {}; retry shortly",
                humantime::format_duration(*limit)
            ),
            Self::DatabaseBusy(_) => {
                "the database is busy (a lock or a slow query held this request); retry shortly"
                    .into()
            }
            Self::DatabaseUnavailable(_) => "the database is unavailable; retry shortly".into(),
            other => other.to_string(),
        }
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::error!(error = %self, "request failed");
        }
        let problem = Problem {
            kind: "about:blank",
            title: self.title(),
            status: status.as_u16(),
            detail: self.public_detail(),
        };
        let body = serde_json::to_vec(&problem).unwrap_or_default();
        let mut response = (status, body).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if matches!(self, Self::PoolTimeout) {
            // Counted by the routes' middleware (`shop::store::Db::pool_stats`).
            response.extensions_mut().insert(PoolTimedOut);
        }
        let headers = response.headers_mut();
        match self {
            Self::Unauthorized(_) => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            Self::PoolTimeout
            | Self::CacheUnavailable
            | Self::RequestTimeout(_)
            | Self::DatabaseBusy(_)
            | Self::DatabaseUnavailable(_) => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            }
            _ => {}
        }
        response
    }
}

/// Marks a response that is a pool timeout, for the counter.
#[derive(Debug, Clone, Copy)]
pub struct PoolTimedOut;

impl From<sqlx::Error> for Error {
    fn from(error: sqlx::Error) -> Self {
        from_sqlx(error)
    }
}

/// sqlx errors that are the client's doing become 4xx; the pool timing out is
/// its own kind (lab 2.4 counts it); a database that is busy or gone is a 503
/// the client may retry; the rest stay internal.
fn from_sqlx(error: sqlx::Error) -> Error {
    match &error {
        sqlx::Error::PoolTimedOut => Error::PoolTimeout,
        // 55P03 lock_not_available (`lock_timeout`), 57014 query_canceled
        // (`statement_timeout`).
        sqlx::Error::Database(db) if matches!(db.code().as_deref(), Some("55P03" | "57014")) => {
            Error::DatabaseBusy(error)
        }
        // Class 57P: the server is shutting down or restarting (57P01
        // admin_shutdown is what a request in flight gets from `pg_ctl stop`);
        // 08: connection exceptions; 53: out of resources (too many
        // connections). None is this request's fault, all may pass.
        sqlx::Error::Database(db)
            if db.code().is_some_and(|code| {
                code.starts_with("57P") || code.starts_with("08") || code.starts_with("53")
            }) =>
        {
            Error::DatabaseUnavailable(error)
        }
        // The socket broke (the server died), or the pool was closed under us.
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => Error::DatabaseUnavailable(error),
        sqlx::Error::RowNotFound => Error::NotFound("row".into()),
        sqlx::Error::Database(db) if db.is_foreign_key_violation() => {
            Error::Unprocessable("a referenced record does not exist".into())
        }
        sqlx::Error::Database(db) if db.is_check_violation() => {
            Error::Conflict("the change would break a rule of the catalog".into())
        }
        // SQLSTATE class 22, "data exception": a value PostgreSQL cannot store
        // (a NUL byte in text, a number out of its column's range). The client
        // sent it, so it is a 422, not a server fault.
        sqlx::Error::Database(db) if db.code().is_some_and(|code| code.starts_with("22")) => {
            Error::Unprocessable("a value is not valid text or is out of range".into())
        }
        _ => Error::Database(error),
    }
}

impl From<JsonRejection> for Error {
    fn from(rejection: JsonRejection) -> Self {
        match rejection {
            // Valid JSON with wrong fields or types: the value is the problem.
            JsonRejection::JsonDataError(e) => Self::Unprocessable(e.body_text()),
            JsonRejection::JsonSyntaxError(e) => Self::BadRequest(e.body_text()),
            other => Self::Rejected(other.status(), other.body_text()),
        }
    }
}

impl From<QueryRejection> for Error {
    fn from(rejection: QueryRejection) -> Self {
        Self::BadRequest(rejection.body_text())
    }
}

impl From<PathRejection> for Error {
    fn from(rejection: PathRejection) -> Self {
        Self::BadRequest(rejection.body_text())
    }
}

/// The shop's JSON, Query and Path extractors: axum's, with rejections that
/// become problem documents instead of plain text.
pub mod extract {
    use axum::extract::{FromRequest, FromRequestParts};
    use axum::response::{IntoResponse, Response};

    #[derive(Debug, FromRequest)]
    #[from_request(via(axum::Json), rejection(super::Error))]
    pub struct Json<T>(pub T);

    impl<T: serde::Serialize> IntoResponse for Json<T> {
        fn into_response(self) -> Response {
            // Timed for the breakdown's `serialise` part (lab 4.2).
            crate::shop::profile::timed_serialise(|| axum::Json(self.0).into_response())
        }
    }

    #[derive(Debug, FromRequestParts)]
    #[from_request(via(axum::extract::Query), rejection(super::Error))]
    pub struct Query<T>(pub T);

    #[derive(Debug, FromRequestParts)]
    #[from_request(via(axum::extract::Path), rejection(super::Error))]
    pub struct Path<T>(pub T);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn internal_errors_hide_their_cause() {
        let response = Error::Internal("password=hunter2 at src/shop.rs".into()).into_response();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = axum::body::to_bytes(response.into_body(), 1 << 16)
            .await
            .unwrap();
        let text = String::from_utf8_lossy(&body);
        assert!(!text.contains("hunter2"), "{text}");
        assert!(text.contains("\"status\":500"), "{text}");
    }

    #[test]
    fn json_data_errors_are_422_syntax_errors_400() {
        let status = |body: &str| {
            axum::Json::<serde_json::Value>::from_bytes(body.as_bytes())
                .err()
                .map(Error::from)
                .map(|e| e.status())
        };
        assert_eq!(status("{not json"), Some(StatusCode::BAD_REQUEST));
        assert_eq!(status("{}"), None);
    }

    #[tokio::test]
    async fn cache_unavailable_is_a_503_naming_redis_and_the_setting() {
        let response = Error::CacheUnavailable.into_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        let body = axum::body::to_bytes(response.into_body(), 1 << 16)
            .await
            .unwrap();
        let problem: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(problem["title"], "cache unavailable");
        let detail = problem["detail"].as_str().unwrap();
        assert!(
            detail.contains("Redis") && detail.contains("cache.fallback"),
            "{detail}"
        );
    }

    #[tokio::test]
    async fn a_broken_database_socket_is_503_with_retry_after_and_no_detail() {
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionReset, "10.0.0.5:5432 reset");
        let response = from_sqlx(sqlx::Error::Io(io)).into_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers()[header::RETRY_AFTER], "1");
        let body = axum::body::to_bytes(response.into_body(), 1 << 16)
            .await
            .unwrap();
        let text = String::from_utf8_lossy(&body);
        assert!(!text.contains("10.0.0.5"), "{text}");
    }

    #[tokio::test]
    async fn pool_timeout_is_503_with_retry_after() {
        let response = from_sqlx(sqlx::Error::PoolTimedOut).into_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers()[header::RETRY_AFTER], "1");
        assert_eq!(
            response.headers()[header::CONTENT_TYPE],
            "application/problem+json"
        );
    }
}
