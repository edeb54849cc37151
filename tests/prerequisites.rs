//! The tests' prerequisite checks (`common::require`) on real sockets: a
//! server that is not there, or is not what it should be, is one line naming
//! it and the commands that install it; on a machine set up by `./.ci/run`
//! every check passes.

mod common;

use common::prerequisites::{self, Need};
use common::{ClosedPort, require};

/// Every prerequisite of the suite, as `./.ci/run` leaves a machine.
#[test]
fn this_machine_has_everything_the_tests_need() {
    require(&[
        Need::Postgres,
        Need::Redis,
        Need::PostgresBinaries,
        Need::RedisServer,
        Need::Tmux,
        Need::Junitparser,
        Need::Promtool,
    ]);
}

#[test]
fn a_server_that_is_not_there_is_one_line_naming_it_and_its_install() {
    let closed = ClosedPort::new();
    let addr = closed.addr();
    for (need, what) in [
        (Need::Postgres, prerequisites::postgres_at(&addr)),
        (Need::Redis, prerequisites::redis_at(&addr)),
    ] {
        let what = what.expect_err("nothing listens there");
        let line = prerequisites::line(need, &what);
        assert!(!line.contains('\n'), "{line}");
        assert!(line.contains(&format!("not answering on {addr}")), "{line}");
        assert!(line.contains("sudo apt-get install -y "), "{line}");
        assert!(
            line.ends_with("or run ./.ci/run, which installs and starts everything the tests need"),
            "{line}"
        );
    }
}

#[test]
fn a_redis_port_held_by_something_else_is_named() {
    use std::io::{Read, Write};
    // PostgreSQL's port speaks another protocol: not a Redis.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    let server = std::thread::spawn(move || {
        let (mut socket, _) = listener.accept().expect("accept");
        let mut ping = [0u8; 6];
        socket.read_exact(&mut ping).expect("read");
        socket.write_all(b"HTTP/1.1 400\r\n").expect("write");
    });
    let what = prerequisites::redis_at(&addr).expect_err("not a Redis");
    server.join().expect("server thread");
    assert!(what.contains("answered \"HTTP/1.\" to PING"), "{what}");
}

#[test]
fn postgres_refusing_a_password_less_login_says_what_to_trust() {
    // Something answers, but ends every connection: no login succeeds.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    let server = std::thread::spawn(move || {
        // The reachability probe, then the login.
        for _ in 0..2 {
            drop(listener.accept().expect("accept"));
        }
    });
    let what = prerequisites::postgres_at(&addr).expect_err("not PostgreSQL");
    server.join().expect("server thread");
    assert!(
        what.contains("does not let `postgres` in without a password"),
        "{what}"
    );
    assert!(what.contains("127.0.0.1/32 trust"), "{what}");
}
