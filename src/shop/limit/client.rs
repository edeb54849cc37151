//! Whose budget a request spends: the token's user, or the client's address.
//!
//! The address is the socket's peer. Only when that peer is a proxy listed in
//! `rate_limit.trusted_proxies` is a forwarding header believed, and then
//! read from the right: each trusted proxy appends the address it saw, so the
//! rightmost entry that is not itself a trusted proxy is the last one a
//! client could not forge. Headers from anyone else are ignored, so a spoofed
//! `X-Forwarded-For` never buys a fresh budget. Handwritten because the crate
//! that does this (axum-client-ip) picks one header per deployment, and the
//! course's proxies may send any of the three.

use std::fmt;
use std::net::IpAddr;

use axum::http::HeaderMap;

use crate::shop::settings::parse_proxy;

/// A budget's owner. Small and `Copy` so that a million of them fit the
/// in-memory store's goal (see `gcra_memory`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Identity {
    User(i64),
    Ip(IpAddr),
}

impl fmt::Display for Identity {
    /// How it reads in Redis keys: `u:42`, `ip:10.0.0.7`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::User(id) => write!(f, "u:{id}"),
            Self::Ip(ip) => write!(f, "ip:{ip}"),
        }
    }
}

/// The client's address for a request that came from `peer`.
pub fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted_proxies: &[String]) -> IpAddr {
    let peer = peer.to_canonical();
    let trusted: Vec<(IpAddr, u8)> = trusted_proxies
        .iter()
        .filter_map(|p| parse_proxy(p))
        .collect();
    if !is_trusted(peer, &trusted) {
        return peer;
    }
    forwarded_for(headers, &trusted)
        .or_else(|| header_values(headers, "x-real-ip").find_map(|v| parse_address(v.trim())))
        .or_else(|| forwarded(headers, &trusted))
        .unwrap_or(peer)
}

/// `X-Forwarded-For`, all its lines in order, read from the right.
fn forwarded_for(headers: &HeaderMap, trusted: &[(IpAddr, u8)]) -> Option<IpAddr> {
    let hops: Vec<&str> = header_values(headers, "x-forwarded-for")
        .flat_map(|line| line.split(','))
        .map(str::trim)
        .collect();
    rightmost_untrusted(&hops, trusted)
}

/// RFC 7239 `Forwarded`: the `for=` of each element, read from the right.
fn forwarded(headers: &HeaderMap, trusted: &[(IpAddr, u8)]) -> Option<IpAddr> {
    let hops: Vec<&str> = header_values(headers, "forwarded")
        .flat_map(|line| line.split(','))
        .filter_map(|element| {
            element.split(';').find_map(|pair| {
                let (name, value) = pair.split_once('=')?;
                name.trim()
                    .eq_ignore_ascii_case("for")
                    .then(|| value.trim())
            })
        })
        .collect();
    rightmost_untrusted(&hops, trusted)
}

/// The first hop from the right that is not a trusted proxy. A hop that is
/// not an address (`unknown`, garbage) ends the walk with nothing: what lies
/// left of it was written by someone we do not trust.
fn rightmost_untrusted(hops: &[&str], trusted: &[(IpAddr, u8)]) -> Option<IpAddr> {
    let mut last = None;
    for hop in hops.iter().rev() {
        let ip = parse_address(hop)?;
        if !is_trusted(ip, trusted) {
            return Some(ip);
        }
        last = Some(ip);
    }
    // Every hop is a proxy of ours: the request started inside.
    last
}

fn header_values<'a>(headers: &'a HeaderMap, name: &str) -> impl Iterator<Item = &'a str> {
    headers
        .get_all(name)
        .into_iter()
        .filter_map(|v| v.to_str().ok())
}

/// An address as proxies write it: `1.2.3.4`, `1.2.3.4:5678`, `"[::1]:80"`,
/// `2001:db8::1`.
fn parse_address(text: &str) -> Option<IpAddr> {
    let text = text.trim().trim_matches('"');
    if let Ok(ip) = text.parse::<IpAddr>() {
        return Some(ip.to_canonical());
    }
    if let Some(rest) = text.strip_prefix('[') {
        let (inside, _) = rest.split_once(']')?;
        return inside.parse::<IpAddr>().ok().map(|ip| ip.to_canonical());
    }
    let (host, port) = text.rsplit_once(':')?;
    port.parse::<u16>().ok()?;
    host.parse::<std::net::Ipv4Addr>().ok().map(IpAddr::V4)
}

fn is_trusted(ip: IpAddr, trusted: &[(IpAddr, u8)]) -> bool {
    trusted
        .iter()
        .any(|&(net, prefix)| in_block(ip, net, prefix))
}

fn in_block(ip: IpAddr, net: IpAddr, prefix: u8) -> bool {
    let (ip, net, bits) = match (ip, net.to_canonical()) {
        (IpAddr::V4(ip), IpAddr::V4(net)) => {
            (u128::from(u32::from(ip)), u128::from(u32::from(net)), 32u32)
        }
        (IpAddr::V6(ip), IpAddr::V6(net)) => (u128::from(ip), u128::from(net), 128),
        _ => return false,
    };
    let shift = bits - u32::from(prefix);
    shift >= bits || (ip >> shift) == (net >> shift)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, value.parse().unwrap());
        }
        map
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    const SPOOFS: [(&str, &str); 3] = [
        ("x-forwarded-for", "203.0.113.9"),
        ("x-real-ip", "203.0.113.9"),
        ("forwarded", "for=203.0.113.9"),
    ];

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_sends() {
        for spoof in SPOOFS {
            let h = headers(&[spoof]);
            assert_eq!(client_ip(ip("10.1.1.1"), &h, &[]), ip("10.1.1.1"));
            let trusted = vec!["10.0.0.0/24".to_string()];
            assert_eq!(client_ip(ip("10.1.1.1"), &h, &trusted), ip("10.1.1.1"));
        }
    }

    #[test]
    fn a_trusted_proxy_is_believed_for_each_header() {
        let trusted = vec!["10.0.0.0/8".to_string()];
        for spoof in SPOOFS {
            let h = headers(&[spoof]);
            assert_eq!(client_ip(ip("10.1.1.1"), &h, &trusted), ip("203.0.113.9"));
        }
    }

    #[test]
    fn the_rightmost_untrusted_hop_wins_over_a_forged_left() {
        let trusted = vec!["10.0.0.0/8".to_string()];
        let h = headers(&[
            ("x-forwarded-for", "6.6.6.6, 198.51.100.4"),
            ("x-forwarded-for", "10.0.0.2"),
        ]);
        assert_eq!(client_ip(ip("10.0.0.1"), &h, &trusted), ip("198.51.100.4"));
        let h = headers(&[(
            "forwarded",
            "for=6.6.6.6, for=\"198.51.100.4:4711\";proto=https, for=\"[2001:db8::1]\"",
        )]);
        assert_eq!(client_ip(ip("10.0.0.1"), &h, &trusted), ip("2001:db8::1"));
        let h = headers(&[("x-forwarded-for", "6.6.6.6, garbage")]);
        assert_eq!(client_ip(ip("10.0.0.1"), &h, &trusted), ip("10.0.0.1"));
    }

    #[test]
    fn mapped_ipv4_peers_are_ipv4() {
        let peer = ip("::ffff:127.0.0.1");
        let trusted = vec!["127.0.0.1".to_string()];
        let h = headers(&[("x-real-ip", "192.0.2.1")]);
        assert_eq!(client_ip(peer, &h, &trusted), ip("192.0.2.1"));
        assert_eq!(client_ip(peer, &HeaderMap::new(), &[]), ip("127.0.0.1"));
    }
}
