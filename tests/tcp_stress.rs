//! The network path under load, counting every message: many round trips
//! (spinning sockets and a spinning I/O thread handing messages back and
//! forth), 64 KiB round trips, a burst of a million messages, paced sends
//! across a reconnection, and a peer that vanishes while we wait, over tcp
//! and ipc.

mod common;

use common::{bounded, bounded_for, recv, socket};
use std::time::Duration;
use zactor as zmq;

fn bound_at(ctx: &zmq::Context, kind: zmq::SocketType, endpoint: &str) -> (zmq::Socket, String) {
    let socket = socket(ctx, kind);
    socket.bind(endpoint).expect("bind");
    let endpoint = socket.get_last_endpoint().unwrap().unwrap();
    (socket, endpoint)
}

fn ipc_endpoint(name: &str) -> String {
    let dir = std::env::temp_dir().join(format!("zactor-stress-{}-{name}", std::process::id()));
    format!("ipc://{}", dir.display())
}

/// REQ/REP round trips, each carrying its number, every reply checked.
fn round_trips(endpoint: &str, count: u32, body: usize) {
    let ctx = zmq::Context::new();
    let (rep, endpoint) = bound_at(&ctx, zmq::REP, endpoint);
    let server = std::thread::spawn(move || {
        for _ in 0..count {
            let request = recv(&rep);
            rep.send(&request[..], 0).unwrap();
        }
        rep
    });
    let req = socket(&ctx, zmq::REQ);
    req.connect(&endpoint).unwrap();
    for i in 0..count {
        let mut request = i.to_le_bytes().to_vec();
        request.resize(body.max(4), (i % 251) as u8);
        req.send(&request[..], 0).unwrap();
        assert_eq!(recv(&req), request, "round trip {i}");
    }
    let rep = server.join().unwrap();
    assert!(rep.recv_bytes(zmq::DONTWAIT).is_err(), "nothing extra");
}

#[test]
fn many_round_trips_over_tcp_count_every_message() {
    bounded(|| round_trips("tcp://127.0.0.1:*", 20_000, 1));
}

#[test]
fn round_trips_of_64_kib_over_tcp() {
    bounded(|| round_trips("tcp://127.0.0.1:*", 500, 64 * 1024));
}

#[test]
fn many_round_trips_over_ipc_count_every_message() {
    bounded(|| round_trips(&ipc_endpoint("rt"), 20_000, 16));
}

/// A million small messages PUSH→PULL, in order, none lost or repeated.
fn burst(endpoint: &str, count: u64) {
    let ctx = zmq::Context::new();
    let (pull, endpoint) = bound_at(&ctx, zmq::PULL, endpoint);
    let ctx2 = ctx.clone();
    let sender = std::thread::spawn(move || {
        let push = socket(&ctx2, zmq::PUSH);
        push.connect(&endpoint).unwrap();
        let mut body = [7u8; 64];
        for i in 0..count {
            body[..8].copy_from_slice(&i.to_le_bytes());
            push.send(&body[..], 0).unwrap();
        }
        push
    });
    let mut msg = zmq::Message::new();
    for i in 0..count {
        pull.recv(&mut msg, 0)
            .expect("a message within the timeout");
        assert_eq!(msg.len(), 64);
        assert_eq!(u64::from_le_bytes(msg[..8].try_into().unwrap()), i);
    }
    let _push = sender.join().unwrap();
    assert!(pull.recv_bytes(zmq::DONTWAIT).is_err(), "nothing extra");
}

#[test]
fn a_burst_of_a_million_over_tcp_is_counted() {
    bounded_for(Duration::from_secs(120), || {
        burst("tcp://127.0.0.1:*", 1_000_000)
    });
}

#[test]
fn a_burst_over_ipc_is_counted() {
    bounded_for(Duration::from_secs(120), || {
        burst(&ipc_endpoint("burst"), 200_000)
    });
}

/// Paced sends (each waits for the previous to arrive, so the I/O thread
/// is asleep and the sender writes itself), then the peer goes and a new
/// one binds the same endpoint: the connect's pipe moves to the new
/// connection, and paced sends work over it, counted.
#[test]
fn paced_sends_survive_a_reconnection() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let (pull, endpoint) = bound_at(&ctx, zmq::PULL, "tcp://127.0.0.1:*");
        let push = socket(&ctx, zmq::PUSH);
        push.set_reconnect_ivl(10).unwrap();
        push.connect(&endpoint).unwrap();
        for i in 0..200u32 {
            push.send(&i.to_le_bytes()[..], 0).unwrap();
            assert_eq!(recv(&pull), i.to_le_bytes());
        }
        drop(pull);
        let again = socket(&ctx, zmq::PULL);
        let mut tries = 0;
        while again.bind(&endpoint).is_err() {
            tries += 1;
            assert!(tries < 1000, "the port never came free");
            std::thread::sleep(Duration::from_millis(5));
        }
        // Sends racing the old connection's end may die with it: send
        // until one arrives, then count.
        let mut got = false;
        for _ in 0..2000 {
            push.send("probe", 0).unwrap();
            if again.recv_bytes(zmq::DONTWAIT).is_ok() {
                got = true;
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        assert!(got, "the reconnection never carried a message");
        for i in 0..200u32 {
            let mut body = i.to_le_bytes().to_vec();
            body.resize(if i % 2 == 0 { 8 } else { 70_000 }, 1);
            push.send(&body[..], 0).unwrap();
            let mut got = recv(&again);
            while got == b"probe" {
                got = recv(&again); // a probe still in flight
            }
            assert_eq!(&got[..4], &i.to_le_bytes(), "paced message {i}");
            assert_eq!(got.len(), body.len());
        }
    });
}

/// The peer vanishes while we wait in `recv` (spinning, reading the
/// connection ourselves) and while we send to it: whichever thread finds
/// the connection dead, the I/O thread tears it down and reconnects, and a
/// new peer on the same endpoint gets every later message.
#[test]
fn a_peer_that_vanishes_under_traffic_is_replaced() {
    bounded(|| {
        let endpoint = {
            // A port nobody uses: bind and free it.
            let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            format!("tcp://{}", probe.local_addr().unwrap())
        };
        let ctx = zmq::Context::new();
        let dealer = socket(&ctx, zmq::DEALER);
        dealer.set_reconnect_ivl(10).unwrap();
        dealer.set_rcvtimeo(2).unwrap();
        // It ends with messages queued for a peer that is gone: with the
        // default LINGER (-1) dropping the context would wait for that peer
        // for ever, as libzmq's zmq_ctx_term does.
        dealer.set_linger(0).unwrap();
        dealer.connect(&endpoint).unwrap();
        for round in 0..3 {
            let peer_ctx = zmq::Context::new();
            let router = socket(&peer_ctx, zmq::ROUTER);
            let mut tries = 0;
            while router.bind(&endpoint).is_err() {
                tries += 1;
                assert!(tries < 1000, "the port never came free");
                std::thread::sleep(Duration::from_millis(5));
            }
            // Echo until told to stop; then go without a word, while the
            // dealer waits in recv.
            let echo = std::thread::spawn(move || loop {
                let frames = router.recv_multipart(0).expect("a request");
                if frames[1] == b"stop" {
                    drop(router);
                    drop(peer_ctx);
                    return;
                }
                router.send_multipart(frames, 0).unwrap();
            });
            // Requests sent before the connection is made may go to the
            // previous, dying one: send until an echo comes back.
            let mut answered = false;
            for _ in 0..2000 {
                dealer.send("ping", 0).unwrap();
                // The first echo may be of a message queued while no peer
                // was there ("into the void").
                if let Ok(reply) = dealer.recv_bytes(0) {
                    assert!(reply == b"ping" || reply == b"into the void");
                    answered = true;
                    break;
                }
            }
            assert!(answered, "round {round}: no echo");
            // Everything still queued or in flight from before is echoed
            // ahead of this marker (one connection, in order): read up to
            // its echo, rather than guess when the stale echoes are over.
            let marker = format!("marker {round}");
            dealer.send(marker.as_str(), 0).unwrap();
            let mut stale = 0;
            loop {
                match dealer.recv_bytes(0) {
                    Ok(reply) if reply == marker.as_bytes() => break,
                    Ok(reply) => {
                        assert!(reply == b"ping" || reply == b"into the void");
                        stale += 1;
                        assert!(stale < 10_000, "round {round}: the marker never came back");
                    }
                    Err(_) => {
                        stale += 1;
                        assert!(stale < 10_000, "round {round}: the marker never came back");
                    }
                }
            }
            for i in 0..500u32 {
                dealer.send(&i.to_le_bytes()[..], 0).unwrap();
                let mut reply = Err(zmq::Error::EAGAIN);
                for _ in 0..5000 {
                    reply = dealer.recv_bytes(0);
                    if reply.is_ok() {
                        break;
                    }
                }
                assert_eq!(reply.unwrap(), i.to_le_bytes(), "round {round} echo {i}");
            }
            dealer.send("stop", 0).unwrap();
            // Wait in recv (spinning, then parked) while the peer goes,
            // and keep sending to it: both may meet the dead connection.
            for _ in 0..50 {
                assert!(dealer.recv_bytes(0).is_err(), "nobody answers");
                let _ = dealer.send("into the void", zmq::DONTWAIT);
            }
            echo.join().unwrap();
        }
    });
}
