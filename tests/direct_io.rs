//! Direct I/O (DESIGN.md, "Direct I/O"): a socket waiting in a receive
//! reads its network streams on its own thread and writes its replies
//! straight to the stream, and keeps reading between receives until it
//! parks, is polled, or leaves the stream unread for a while. These tests
//! hold the cases where that hand-over could lose or strand something:
//! every message of long request-reply runs (multipart, large bodies),
//! input that arrives after a receive and is seen by a poll, heartbeats
//! answered while the application is away, and a peer that dies while the
//! application thread reads its stream.

mod common;

use std::time::Duration;

use common::{bounded, recv, socket};
use zactor as zmq;

fn bind_any(ctx: &zmq::Context, kind: zmq::SocketType, transport: &str) -> (zmq::Socket, String) {
    let socket = socket(ctx, kind);
    let endpoint = match transport {
        "tcp" => "tcp://127.0.0.1:*".to_string(),
        _ => format!(
            "ipc:///tmp/zactor-direct-{}-{:?}.sock",
            std::process::id(),
            std::thread::current().id()
        ),
    };
    socket.bind(&endpoint).expect("bind");
    let endpoint = socket.get_last_endpoint().unwrap().unwrap();
    (socket, endpoint)
}

/// A body of `len` octets that says which round trip it belongs to.
fn body(round: usize, len: usize) -> Vec<u8> {
    (0..len).map(|i| (round * 31 + i) as u8).collect()
}

fn round_trips_carry_every_message(transport: &'static str) {
    bounded(|| {
        const ROUNDS: usize = 3000;
        let ctx = zmq::Context::new();
        let (rep, endpoint) = bind_any(&ctx, zmq::REP, transport);
        let server = std::thread::spawn(move || {
            for _ in 0..ROUNDS {
                let request = rep.recv_multipart(0).expect("request");
                rep.send_multipart(request, 0).expect("reply");
            }
            rep
        });
        let req = socket(&ctx, zmq::REQ);
        req.connect(&endpoint).unwrap();
        for round in 0..ROUNDS {
            // Mostly small (the direct path), now and then multipart, empty
            // or larger than a read buffer.
            let parts = match round % 50 {
                7 => vec![body(round, 0), body(round, 3)],
                13 => vec![body(round, 200_000)],
                29 => vec![body(round, 1), body(round, 70_000), body(round, 2)],
                _ => vec![body(round, 1 + round % 64)],
            };
            req.send_multipart(parts.clone(), 0).unwrap();
            assert_eq!(req.recv_multipart(0).unwrap(), parts, "round {round}");
        }
        drop(server.join().unwrap());
    });
}

#[test]
fn tcp_round_trips_carry_every_message() {
    round_trips_carry_every_message("tcp");
}

#[test]
fn ipc_round_trips_carry_every_message() {
    round_trips_carry_every_message("ipc");
}

/// A receive leaves the stream with the application thread; a poll must
/// still see what comes afterwards.
#[test]
fn a_poll_sees_input_that_arrives_after_a_receive() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let (router, endpoint) = bind_any(&ctx, zmq::ROUTER, "tcp");
        let dealer = socket(&ctx, zmq::DEALER);
        dealer.connect(&endpoint).unwrap();
        for round in 0..200u32 {
            dealer.send(&round.to_le_bytes()[..], 0).unwrap();
            let id = recv(&router);
            assert_eq!(recv(&router), round.to_le_bytes());
            router.send(&id, zmq::SNDMORE).unwrap();
            router.send("reply", 0).unwrap();
            assert_eq!(recv(&dealer), b"reply");
            // Now something nobody asked for, seen through a poll.
            router.send(&id, zmq::SNDMORE).unwrap();
            router.send("news", 0).unwrap();
            let mut items = [dealer.as_poll_item(zmq::POLLIN)];
            assert_eq!(zmq::poll(&mut items, 5000).unwrap(), 1, "round {round}");
            assert_eq!(dealer.recv_bytes(zmq::DONTWAIT).unwrap(), b"news");
        }
    });
}

/// The application keeps the stream after a receive and then does other
/// work: its I/O thread takes the stream back, so the peer's PINGs are
/// answered and the connection (with its routing id) survives.
#[test]
fn heartbeats_are_answered_while_the_application_is_away() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let router = socket(&ctx, zmq::ROUTER);
        router.set_heartbeat_ivl(20).unwrap();
        router.set_heartbeat_timeout(150).unwrap();
        router.set_router_mandatory(true).unwrap();
        router.bind("tcp://127.0.0.1:*").unwrap();
        let endpoint = router.get_last_endpoint().unwrap().unwrap();
        let dealer = socket(&ctx, zmq::DEALER);
        dealer.connect(&endpoint).unwrap();
        let mut id = Vec::new();
        for _ in 0..50 {
            dealer.send("ping", 0).unwrap();
            id = recv(&router);
            assert_eq!(recv(&router), b"ping");
            router.send(&id, zmq::SNDMORE).unwrap();
            router.send("pong", 0).unwrap();
            assert_eq!(recv(&dealer), b"pong");
        }
        // Ten heartbeat timeouts without a receive.
        std::thread::sleep(Duration::from_millis(1500));
        // The same connection is still there: a mandatory send to its
        // generated routing id succeeds (a reconnection would have a new one).
        router.send(&id, zmq::SNDMORE).unwrap();
        router.send("still here", 0).unwrap();
        assert_eq!(recv(&dealer), b"still here");
    });
}

/// The peer goes away while the application thread reads its stream: the
/// connection ends, the connect retries, and a new peer gets what is sent.
#[test]
fn a_peer_lost_during_a_direct_read_is_reconnected() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let (router, endpoint) = bind_any(&ctx, zmq::ROUTER, "tcp");
        let dealer = socket(&ctx, zmq::DEALER);
        dealer.set_reconnect_ivl(10).unwrap();
        dealer.connect(&endpoint).unwrap();
        dealer.send("one", 0).unwrap();
        let id = recv(&router);
        assert_eq!(recv(&router), b"one");
        router.send(&id, zmq::SNDMORE).unwrap();
        router.send("two", 0).unwrap();
        assert_eq!(recv(&dealer), b"two");
        // The dealer waits (reading the stream itself) while its peer dies.
        let waiting = std::thread::spawn(move || {
            dealer.set_rcvtimeo(300).unwrap();
            assert_eq!(dealer.recv_bytes(0), Err(zmq::Error::EAGAIN));
            dealer
        });
        std::thread::sleep(Duration::from_millis(50));
        drop(router);
        let dealer = waiting.join().unwrap();
        // A new peer on the same endpoint.
        let router = socket(&ctx, zmq::ROUTER);
        router.bind(&endpoint).unwrap();
        dealer.send("three", 0).unwrap();
        let id = recv(&router);
        assert_eq!(recv(&router), b"three");
        router.send(&id, zmq::SNDMORE).unwrap();
        router.send("four", 0).unwrap();
        dealer.set_rcvtimeo(common::TIMEOUT_MS).unwrap();
        assert_eq!(recv(&dealer), b"four");
    });
}
