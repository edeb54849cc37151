//! A network between the shop and PostgreSQL: a TCP relay on loopback that
//! holds every chunk of bytes for half a round trip in each direction, so a
//! query costs the shop what it costs when the database is on another host
//! (production, and the course's `--workers 4` behind one database server).
//!
//! Why: on loopback a query's round trip is microseconds and a connection is
//! busy only while some core runs the query, so on a 2-core laptop the CPU
//! saturates long before a pool of 2 does (measured for lab 2.4, see
//! BENCHMARKS.md). With a real network, a connection is held for the round
//! trip while no core works — the time Little's law counts. Hand-written
//! because a relay that only delays is a few lines of tokio, and the proxies
//! that do it (toxiproxy, noxious) are separate servers to install.
//!
//! Order is kept per direction (one queue each); the delay is added once per
//! chunk read, not per byte, as on a real link. Used by the lab runner
//! (`[stage] database_rtt`); depends on nothing of perflab.

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::time::Instant;

/// Chunks in flight per direction before the reader waits (back-pressure).
const IN_FLIGHT: usize = 256;

/// A running relay; stops when dropped (its connections with it).
///
/// It runs on a thread and runtime of its own: a runner whose runtime is
/// busy (a load at hundreds of requests a second, a blocking call) must not
/// stall the shop's database traffic, or the network would be slower than
/// the lab says.
pub struct LatencyRelay {
    pub addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl LatencyRelay {
    /// Listens on a free loopback port and relays each connection to
    /// `upstream` with `rtt` added to every round trip.
    pub async fn start(upstream: SocketAddr, rtt: Duration) -> std::io::Result<Self> {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let half = rtt / 2;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        std::thread::Builder::new()
            .name("perflab-latency-relay".into())
            .spawn(move || {
                runtime.block_on(async move {
                    let Ok(listener) = TcpListener::from_std(listener) else {
                        return;
                    };
                    let accept = async {
                        while let Ok((client, _)) = listener.accept().await {
                            tokio::spawn(relay(client, upstream, half));
                        }
                    };
                    tokio::select! {
                        () = accept => {}
                        _ = stopped => {}
                    }
                });
                // Dropping the runtime ends every relayed connection.
            })?;
        Ok(Self {
            addr,
            stop: Some(stop),
        })
    }

    /// `url` (`postgres://user@host:port/db?…`) with its host and port
    /// replaced by the relay's.
    pub fn url_through(&self, url: &str) -> Result<String, String> {
        let mut parsed = url::Url::parse(url).map_err(|e| format!("{url}: {e}"))?;
        parsed
            .set_host(Some(&self.addr.ip().to_string()))
            .map_err(|e| format!("{url}: {e}"))?;
        parsed
            .set_port(Some(self.addr.port()))
            .map_err(|()| format!("{url}: cannot set a port"))?;
        Ok(parsed.to_string())
    }
}

impl Drop for LatencyRelay {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// The address a PostgreSQL URL points at (port 5432 when it names none).
pub async fn upstream_of(url: &str) -> Result<SocketAddr, String> {
    let parsed = url::Url::parse(url).map_err(|e| format!("{url}: {e}"))?;
    let host = parsed
        .host_str()
        .ok_or_else(|| format!("{url}: no host"))?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    let port = parsed.port().unwrap_or(5432);
    tokio::net::lookup_host((host.as_str(), port))
        .await
        .map_err(|e| format!("{host}: {e}"))?
        .next()
        .ok_or_else(|| format!("{host}: no address"))
}

async fn relay(client: TcpStream, upstream: SocketAddr, half: Duration) {
    let Ok(server) = TcpStream::connect(upstream).await else {
        return; // the client sees the connection close, as with no server
    };
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let (client_read, client_write) = client.into_split();
    let (server_read, server_write) = server.into_split();
    tokio::join!(
        one_way(client_read, server_write, half),
        one_way(server_read, client_write, half)
    );
}

/// Reads chunks from `from` and writes each to `to` once `half` has passed
/// since it was read; closes `to`'s write side when `from` ends.
async fn one_way(mut from: OwnedReadHalf, mut to: OwnedWriteHalf, half: Duration) {
    let (sender, mut queue) = mpsc::channel::<(Instant, Bytes)>(IN_FLIGHT);
    let reader = async move {
        let mut buf = vec![0u8; 64 * 1024];
        while let Ok(n) = from.read(&mut buf).await {
            if n == 0 {
                break;
            }
            let chunk = Bytes::copy_from_slice(&buf[..n]);
            if sender.send((Instant::now() + half, chunk)).await.is_err() {
                break;
            }
        }
    };
    let writer = async move {
        while let Some((due, chunk)) = queue.recv().await {
            tokio::time::sleep_until(due).await;
            if to.write_all(&chunk).await.is_err() {
                return;
            }
        }
        let _ = to.shutdown().await;
    };
    tokio::join!(reader, writer);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_round_trip_takes_the_rtt_and_bytes_arrive_in_order() {
        let echo = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let upstream = echo.local_addr().unwrap();
        tokio::spawn(async move {
            let (mut socket, _) = echo.accept().await.unwrap();
            let mut buf = [0u8; 1024];
            while let Ok(n) = socket.read(&mut buf).await {
                if n == 0 || socket.write_all(&buf[..n]).await.is_err() {
                    break;
                }
            }
        });
        let rtt = Duration::from_millis(40);
        let relay = LatencyRelay::start(upstream, rtt).await.unwrap();
        let mut client = TcpStream::connect(relay.addr).await.unwrap();
        let started = Instant::now();
        client.write_all(b"one ").await.unwrap();
        client.write_all(b"two").await.unwrap();
        let mut got = Vec::new();
        while got.len() < 7 {
            let mut buf = [0u8; 16];
            let n = client.read(&mut buf).await.unwrap();
            assert!(n > 0, "closed early");
            got.extend_from_slice(&buf[..n]);
        }
        // A lower bound only: the delay is the relay's, what adds to it is
        // the machine's.
        assert!(started.elapsed() >= rtt, "{:?}", started.elapsed());
        assert_eq!(got, b"one two");
    }

    #[tokio::test]
    async fn a_database_url_is_pointed_at_the_relay() {
        let relay = LatencyRelay::start("127.0.0.1:5432".parse().unwrap(), Duration::ZERO)
            .await
            .unwrap();
        let url = relay
            .url_through("postgres://root@localhost:5432/perflab_validate?sslmode=disable")
            .unwrap();
        assert_eq!(
            url,
            format!(
                "postgres://root@127.0.0.1:{}/perflab_validate?sslmode=disable",
                relay.addr.port()
            )
        );
        assert_eq!(
            upstream_of("postgres://u@127.0.0.1/db").await.unwrap(),
            "127.0.0.1:5432".parse().unwrap()
        );
    }
}
