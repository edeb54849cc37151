//! The server a run loads: one `http://host:port` resolved once before the
//! run, so no worker does DNS on the request path. Every connection of a run
//! goes to the same address; URLs are split here into that address and the
//! path each request asks for.

use std::net::SocketAddr;

use hyper::Uri;
use hyper::header::HeaderValue;

use super::LoadError;

/// A resolved server: where to connect and what to send as `Host`.
#[derive(Debug, Clone)]
pub struct Target {
    /// `host:port` as written in the URL.
    pub authority: String,
    /// The first address the host resolved to.
    pub addr: SocketAddr,
    pub(crate) host: HeaderValue,
}

impl Target {
    /// Resolves `http://host[:port]` (any path is ignored).
    pub async fn resolve(url: &str) -> Result<Self, LoadError> {
        let (authority, _) = split_url(url)?;
        let host = HeaderValue::from_str(&authority).map_err(|e| bad(url, e))?;
        let with_port = if authority
            .rsplit_once(':')
            .is_some_and(|(_, p)| !p.contains(']'))
        {
            authority.clone()
        } else {
            format!("{authority}:80")
        };
        let addr = tokio::net::lookup_host(&with_port)
            .await
            .map_err(|source| LoadError::Resolve {
                host: authority.clone(),
                source,
            })?
            .next()
            .ok_or_else(|| LoadError::Resolve {
                host: authority.clone(),
                source: std::io::Error::other("no address"),
            })?;
        Ok(Self {
            authority,
            addr,
            host,
        })
    }
}

/// Splits `http://host:port/path?query` into `("host:port", "/path?query")`.
/// Braces are allowed in the path: they are the mix's `{placeholders}`,
/// replaced before a request is built, so they are masked while checking.
pub fn split_url(url: &str) -> Result<(String, String), LoadError> {
    let masked = url.replace(['{', '}'], "_");
    let uri: Uri = masked.parse().map_err(|e| bad(url, e))?;
    match uri.scheme_str() {
        Some("http") => {}
        Some("https") => return Err(bad(url, "https is not supported; load the shop over http")),
        _ => return Err(bad(url, "expected http://host[:port]/path")),
    }
    let authority = uri
        .authority()
        .ok_or_else(|| bad(url, "no host"))?
        .as_str()
        .to_string();
    let start = "http://".len() + authority.len();
    let path = match url.get(start..) {
        Some("") | None => "/".to_string(),
        Some(path) => path.to_string(),
    };
    Ok((authority, path))
}

/// Splits several URLs that must share one server.
pub fn split_urls<'a>(
    urls: impl IntoIterator<Item = &'a str>,
) -> Result<(String, Vec<String>), LoadError> {
    let mut base: Option<String> = None;
    let mut paths = Vec::new();
    for url in urls {
        let (authority, path) = split_url(url)?;
        match &base {
            Some(first) if *first != authority => {
                return Err(LoadError::MixedTargets {
                    first: first.clone(),
                    other: authority,
                });
            }
            Some(_) => {}
            None => base = Some(authority),
        }
        paths.push(path);
    }
    let base = base.ok_or_else(|| LoadError::Invalid("no URL given".into()))?;
    Ok((format!("http://{base}"), paths))
}

fn bad(url: &str, reason: impl std::fmt::Display) -> LoadError {
    LoadError::BadUrl {
        url: url.to_string(),
        reason: reason.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_templates_and_queries() {
        let (base, paths) = split_urls([
            "http://127.0.0.1:8000/products/{id}",
            "http://127.0.0.1:8000/products?category={cat}",
            "http://127.0.0.1:8000",
        ])
        .unwrap();
        assert_eq!(base, "http://127.0.0.1:8000");
        assert_eq!(paths, ["/products/{id}", "/products?category={cat}", "/"]);
    }

    #[test]
    fn refuses_https_and_two_servers() {
        assert!(split_url("https://example.com/").is_err());
        assert!(split_url("127.0.0.1:8000/").is_err());
        assert!(matches!(
            split_urls(["http://a:1/", "http://a:2/"]),
            Err(LoadError::MixedTargets { .. })
        ));
    }

    #[tokio::test]
    async fn resolves_with_a_default_port() {
        let target = Target::resolve("http://127.0.0.1").await.unwrap();
        assert_eq!(target.addr, "127.0.0.1:80".parse().unwrap());
    }
}
