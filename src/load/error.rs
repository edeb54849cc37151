//! The load generator's errors: what stops a run before it starts (a bad URL,
//! an unreachable server, a failed login). Failures of single requests during
//! a run are not errors of the run: they are counted in the statistics.

use std::net::SocketAddr;

use thiserror::Error;

/// Why a load run could not start.
#[derive(Debug, Error)]
pub enum LoadError {
    /// The URL cannot be parsed or is not plain `http://host[:port]/path`.
    #[error("bad URL {url:?}: {reason}")]
    BadUrl { url: String, reason: String },
    /// The URLs of one run name different servers.
    #[error("all URLs must name the same host and port ({first} and {other} differ)")]
    MixedTargets { first: String, other: String },
    /// The host name does not resolve.
    #[error("cannot resolve {host}: {source}")]
    Resolve {
        host: String,
        #[source]
        source: std::io::Error,
    },
    /// No connection could be opened: the server is down or the port is wrong.
    #[error("cannot connect to {addr}: {reason}; is the server running?")]
    Unreachable { addr: SocketAddr, reason: String },
    /// A virtual user could not log in.
    #[error("login as {email} failed: {reason}")]
    Login { email: String, reason: String },
    /// A traffic mix or setting that cannot work (no endpoints, a zero rate…).
    #[error("invalid load settings: {0}")]
    Invalid(String),
    /// The collector task ended abnormally (a bug: it does not panic by design).
    #[error("the load generator's collector task failed: {0}")]
    Collector(String),
}
