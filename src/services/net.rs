//! Network helpers shared by the PostgreSQL and Redis finders: the timeouts
//! every probe uses, free ports for scratch servers, `host:port` parsing and
//! password masking for anything shown to the user.

use std::time::Duration;

/// How long one connection attempt may take. A dead host must cost seconds, not
/// the 30+ s of a kernel TCP timeout.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// How long a scratch server may take to accept connections once spawned.
pub const START_DEADLINE: Duration = Duration::from_secs(30);

/// How often to retry while waiting for a scratch server to come up.
pub const POLL_INTERVAL: Duration = Duration::from_millis(50);

/// A port on 127.0.0.1 that was free a moment ago. The listener is released at
/// once, so another process may take it first: callers retry on "address in use".
pub fn free_port() -> std::io::Result<u16> {
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0))?;
    Ok(listener.local_addr()?.port())
}

/// Splits `host:port` (`[v6]:port` too) from the configuration.
pub fn split_host_port(addr: &str) -> Option<(String, u16)> {
    let (host, port) = addr.rsplit_once(':')?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    Some((host.to_string(), port.parse().ok()?))
}

/// The URL with its password replaced by `***`, for printing.
pub fn mask_password(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return url.to_string();
    };
    let rest = &url[scheme_end..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let Some(at) = rest[..authority_end].rfind('@') else {
        return url.to_string();
    };
    match rest[..at].find(':') {
        Some(colon) => format!(
            "{}{}:***{}",
            &url[..scheme_end],
            &rest[..colon],
            &rest[at..]
        ),
        None => url.to_string(),
    }
}

/// An error message on one line: some drivers' messages span several, and
/// perflab prints one finding per line.
pub fn one_line(message: &str) -> String {
    message.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_is_masked() {
        assert_eq!(
            mask_password("postgres://ann:s3cr@t@db:5432/x"),
            "postgres://ann:***@db:5432/x"
        );
        assert_eq!(mask_password("redis://:pw@h:6379"), "redis://:***@h:6379");
        assert_eq!(
            mask_password("postgres://ann@db/x?a=b:c@d"),
            "postgres://ann@db/x?a=b:c@d"
        );
        assert_eq!(mask_password("not a url"), "not a url");
    }

    #[test]
    fn host_port_is_split() {
        assert_eq!(
            split_host_port("localhost:5432"),
            Some(("localhost".into(), 5432))
        );
        assert_eq!(split_host_port("[::1]:6379"), Some(("::1".into(), 6379)));
        assert_eq!(split_host_port("localhost"), None);
    }
}
