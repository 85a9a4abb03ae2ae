//! The network transports end to end over loopback: `tcp://127.0.0.1:*`
//! (a port per test, so tests run in parallel) and `ipc://`, every socket
//! family, multipart, empty and large bodies, connect before bind,
//! reconnection, and garbage from a raw TCP client.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;

use common::{bounded, recv, recv_str, socket};
use zactor as zmq;

/// A socket bound to a fresh loopback port; returns it with its endpoint.
fn bound_tcp(ctx: &zmq::Context, kind: zmq::SocketType) -> (zmq::Socket, String) {
    let socket = socket(ctx, kind);
    socket.bind("tcp://127.0.0.1:*").expect("bind");
    let endpoint = socket.get_last_endpoint().unwrap().unwrap();
    assert!(endpoint.starts_with("tcp://127.0.0.1:"), "{endpoint}");
    assert!(!endpoint.ends_with(":*") && !endpoint.ends_with(":0"));
    (socket, endpoint)
}

fn connected_to(ctx: &zmq::Context, kind: zmq::SocketType, endpoint: &str) -> zmq::Socket {
    let socket = socket(ctx, kind);
    socket.connect(endpoint).expect("connect");
    socket
}

#[test]
fn addresses_are_checked() {
    let ctx = zmq::Context::new();
    let s = ctx.socket(zmq::PUSH).unwrap();
    for bad in [
        "tcp://127.0.0.1",
        "tcp://:5555",
        "tcp://127.0.0.1:x",
        "tcp://127.0.0.1:99999",
        "ipc://",
    ] {
        assert_eq!(s.bind(bad), Err(zmq::Error::EINVAL), "bind {bad}");
        assert_eq!(s.connect(bad), Err(zmq::Error::EINVAL), "connect {bad}");
    }
    assert_eq!(s.connect("tcp://*:5555"), Err(zmq::Error::EINVAL));
    assert_eq!(s.connect("tcp://127.0.0.1:*"), Err(zmq::Error::EINVAL));
}

#[test]
fn destroy_stops_and_joins_the_io_thread() {
    bounded(|| {
        let mut ctx = zmq::Context::new();
        {
            let (pull, endpoint) = bound_tcp(&ctx, zmq::PULL);
            let push = connected_to(&ctx, zmq::PUSH, &endpoint);
            push.send("x", 0).unwrap();
            assert_eq!(recv_str(&pull), "x");
        }
        ctx.destroy().unwrap();
    });
}

#[test]
fn the_port_is_taken_until_unbound() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let (first, endpoint) = bound_tcp(&ctx, zmq::PULL);
        let second = ctx.socket(zmq::PULL).unwrap();
        assert_eq!(second.bind(&endpoint), Err(zmq::Error::EADDRINUSE));
        first.unbind(&endpoint).unwrap();
        // The listener closes on the I/O thread: retry until it has.
        let mut tries = 0;
        while second.bind(&endpoint).is_err() {
            tries += 1;
            assert!(tries < 1000, "the port never came free");
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    });
}

#[test]
fn push_pull_counts_every_message() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let (pull, endpoint) = bound_tcp(&ctx, zmq::PULL);
        let push = connected_to(&ctx, zmq::PUSH, &endpoint);
        const N: u64 = 100_000;
        let sender = std::thread::spawn(move || {
            for i in 0..N {
                push.send(&i.to_le_bytes()[..], 0).unwrap();
            }
            push
        });
        for i in 0..N {
            let body = recv(&pull);
            assert_eq!(u64::from_le_bytes(body[..].try_into().unwrap()), i);
        }
        drop(sender.join().unwrap());
    });
}

#[test]
fn req_rep_round_trips() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let (rep, endpoint) = bound_tcp(&ctx, zmq::REP);
        let req = connected_to(&ctx, zmq::REQ, &endpoint);
        for i in 0..100 {
            req.send(format!("hello {i}").as_str(), 0).unwrap();
            assert_eq!(recv_str(&rep), format!("hello {i}"));
            rep.send(format!("world {i}").as_str(), 0).unwrap();
            assert_eq!(recv_str(&req), format!("world {i}"));
        }
    });
}

#[test]
fn subscriptions_cross_the_wire() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let (publisher, endpoint) = bound_tcp(&ctx, zmq::PUB);
        let subscriber = connected_to(&ctx, zmq::SUB, &endpoint);
        subscriber.set_subscribe(b"weather").unwrap();
        // The subscription reaches the publisher asynchronously: publish
        // until the subscriber hears something.
        let mut heard = None;
        for _ in 0..2000 {
            publisher.send("sports 1", 0).unwrap();
            publisher.send("weather 1", 0).unwrap();
            if let Ok(msg) = subscriber.recv_string(zmq::DONTWAIT) {
                heard = Some(msg.unwrap());
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        assert_eq!(heard.as_deref(), Some("weather 1"));
        for i in 0..100 {
            publisher.send(format!("sports {i}").as_str(), 0).unwrap();
            publisher.send(format!("weather {i}").as_str(), 0).unwrap();
        }
        publisher.send("weather end", 0).unwrap();
        let mut count = 0;
        loop {
            let msg = recv_str(&subscriber);
            assert!(msg.starts_with("weather"), "{msg}");
            if msg == "weather end" {
                break;
            }
            count += 1;
        }
        assert!(count >= 100, "{count}");
    });
}

#[test]
fn router_sees_the_dealers_identity_and_routes_back() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let (router, endpoint) = bound_tcp(&ctx, zmq::ROUTER);
        let dealer = socket(&ctx, zmq::DEALER);
        dealer.set_identity(b"worker-7").unwrap();
        dealer.connect(&endpoint).unwrap();
        dealer.send_multipart(["", "ready"], 0).unwrap();
        assert_eq!(
            router.recv_multipart(0).unwrap(),
            vec![b"worker-7".to_vec(), b"".to_vec(), b"ready".to_vec()]
        );
        router.send_multipart(["worker-7", "", "job"], 0).unwrap();
        assert_eq!(
            dealer.recv_multipart(0).unwrap(),
            vec![b"".to_vec(), b"job".to_vec()]
        );
    });
}

#[test]
fn connecting_router_learns_the_binders_identity() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let dealer = socket(&ctx, zmq::DEALER);
        dealer.set_identity(b"server").unwrap();
        dealer.bind("tcp://127.0.0.1:*").unwrap();
        let endpoint = dealer.get_last_endpoint().unwrap().unwrap();
        let router = connected_to(&ctx, zmq::ROUTER, &endpoint);
        dealer.send("hello", 0).unwrap();
        assert_eq!(
            router.recv_multipart(0).unwrap(),
            vec![b"server".to_vec(), b"hello".to_vec()]
        );
        router.send_multipart(["server", "back"], 0).unwrap();
        assert_eq!(recv_str(&dealer), "back");
    });
}

#[test]
fn multipart_empty_and_large_bodies_arrive_whole() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let (pull, endpoint) = bound_tcp(&ctx, zmq::PULL);
        let push = connected_to(&ctx, zmq::PUSH, &endpoint);
        let big: Vec<u8> = (0..1 << 20).map(|i| (i % 251) as u8).collect();
        for _ in 0..3 {
            push.send_multipart(
                vec![b"".to_vec(), big.clone(), b"tail".to_vec(), Vec::new()],
                0,
            )
            .unwrap();
            push.send(Vec::<u8>::new(), 0).unwrap();
        }
        for _ in 0..3 {
            let parts = pull.recv_multipart(0).unwrap();
            assert_eq!(parts.len(), 4);
            assert!(parts[0].is_empty() && parts[3].is_empty());
            assert!(parts[1] == big, "the 1 MiB body arrives intact");
            assert_eq!(parts[2], b"tail");
            assert_eq!(pull.recv_multipart(0).unwrap(), vec![Vec::<u8>::new()]);
        }
    });
}

#[test]
fn connect_before_bind_queues_messages() {
    bounded(|| {
        let ctx = zmq::Context::new();
        // Find a free port, then release it for the late binder.
        let endpoint = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            format!("tcp://{}", listener.local_addr().unwrap())
        };
        let push = connected_to(&ctx, zmq::PUSH, &endpoint);
        push.set_reconnect_ivl(10).unwrap();
        for i in 0..10 {
            push.send(format!("early {i}").as_str(), 0).unwrap();
        }
        let pull = socket(&ctx, zmq::PULL);
        pull.bind(&endpoint).unwrap();
        for i in 0..10 {
            assert_eq!(recv_str(&pull), format!("early {i}"));
        }
    });
}

#[test]
fn a_rebound_peer_gets_the_reconnection() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let (rep, endpoint) = bound_tcp(&ctx, zmq::PULL);
        let push = socket(&ctx, zmq::PUSH);
        push.set_reconnect_ivl(10).unwrap();
        push.connect(&endpoint).unwrap();
        push.send("first", 0).unwrap();
        assert_eq!(recv_str(&rep), "first");
        drop(rep);
        // The old listener closes on the I/O thread: retry the bind.
        let again = socket(&ctx, zmq::PULL);
        let mut tries = 0;
        while again.bind(&endpoint).is_err() {
            tries += 1;
            assert!(tries < 1000, "the port never came free");
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        // Messages sent while the connection is being remade may go to the
        // dying connection; keep sending until one arrives, then count.
        let mut got = false;
        for i in 0..2000 {
            push.send(format!("again {i}").as_str(), 0).unwrap();
            if again.recv_string(zmq::DONTWAIT).is_ok() {
                got = true;
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        assert!(got, "the reconnection never carried a message");
        for i in 0..100 {
            push.send(format!("after {i}").as_str(), 0).unwrap();
        }
        let mut seen = 0;
        while seen < 100 {
            if recv_str(&again).starts_with("after") {
                seen += 1;
            }
        }
    });
}

#[test]
fn garbage_closes_only_that_connection() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let (pull, endpoint) = bound_tcp(&ctx, zmq::PULL);
        let push = connected_to(&ctx, zmq::PUSH, &endpoint);
        push.send("before", 0).unwrap();
        assert_eq!(recv_str(&pull), "before");
        let address = endpoint.trim_start_matches("tcp://");
        for garbage in [
            &b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"[..],
            &[0xff; 200][..],
            &[0u8; 64][..],
        ] {
            let mut raw = TcpStream::connect(address).unwrap();
            raw.set_read_timeout(Some(std::time::Duration::from_secs(10)))
                .unwrap();
            let _ = raw.write_all(garbage);
            // The engine closes the connection: the read ends (EOF or reset)
            // after at most our greeting.
            let mut sink = Vec::new();
            let _ = raw.read_to_end(&mut sink);
            assert!(sink.len() <= 64, "only a greeting comes back");
        }
        push.send("after", 0).unwrap();
        assert_eq!(recv_str(&pull), "after");
    });
}

#[test]
fn ipc_push_pull() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let path = std::env::temp_dir().join(format!("zactor-ipc-{}", std::process::id()));
        let endpoint = format!("ipc://{}", path.display());
        let pull = socket(&ctx, zmq::PULL);
        pull.bind(&endpoint).unwrap();
        assert_eq!(pull.get_last_endpoint().unwrap().unwrap(), endpoint);
        let push = connected_to(&ctx, zmq::PUSH, &endpoint);
        for i in 0..1000 {
            push.send(format!("{i}").as_str(), 0).unwrap();
        }
        for i in 0..1000 {
            assert_eq!(recv_str(&pull), format!("{i}"));
        }
        drop(pull);
        drop(push);
    });
}

#[cfg(target_os = "linux")]
#[test]
fn ipc_abstract_namespace() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let endpoint = format!("ipc://@zactor-abstract-{}", std::process::id());
        let rep = socket(&ctx, zmq::REP);
        rep.bind(&endpoint).unwrap();
        let req = connected_to(&ctx, zmq::REQ, &endpoint);
        req.send("ping", 0).unwrap();
        assert_eq!(recv_str(&rep), "ping");
        rep.send("pong", 0).unwrap();
        assert_eq!(recv_str(&req), "pong");
    });
}

#[test]
fn a_peer_that_stalls_in_the_handshake_is_dropped() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let pull = socket(&ctx, zmq::PULL);
        pull.set_handshake_ivl(100).unwrap();
        pull.bind("tcp://127.0.0.1:*").unwrap();
        let endpoint = pull.get_last_endpoint().unwrap().unwrap();
        let mut raw = TcpStream::connect(endpoint.trim_start_matches("tcp://")).unwrap();
        raw.set_read_timeout(Some(std::time::Duration::from_secs(10)))
            .unwrap();
        // Say nothing: the binder sends its greeting, then gives up on us.
        let mut sink = Vec::new();
        let started = std::time::Instant::now();
        raw.read_to_end(&mut sink)
            .expect("closed by the binder, not timed out");
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
        assert!(sink.len() <= 64, "only a greeting");
        // The socket still works for others.
        let push = connected_to(&ctx, zmq::PUSH, &endpoint);
        push.send("fine", 0).unwrap();
        assert_eq!(recv_str(&pull), "fine");
    });
}

#[test]
fn an_incompatible_peer_does_not_disturb_the_others() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let (pull, endpoint) = bound_tcp(&ctx, zmq::PULL);
        // A SUB may not talk to a PULL: its handshake fails (and is retried).
        let stranger = connected_to(&ctx, zmq::SUB, &endpoint);
        stranger.set_subscribe(b"").unwrap();
        let push = connected_to(&ctx, zmq::PUSH, &endpoint);
        for i in 0..100 {
            push.send(format!("{i}").as_str(), 0).unwrap();
        }
        for i in 0..100 {
            assert_eq!(recv_str(&pull), format!("{i}"));
        }
        assert_eq!(stranger.recv_bytes(zmq::DONTWAIT), Err(zmq::Error::EAGAIN));
    });
}

#[test]
fn xpub_sees_subscriptions_from_the_wire() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let (xpub, endpoint) = bound_tcp(&ctx, zmq::XPUB);
        let sub = connected_to(&ctx, zmq::SUB, &endpoint);
        sub.set_subscribe(b"news").unwrap();
        // The subscription is the handshake: once XPUB has it, publish.
        assert_eq!(recv(&xpub), b"\x01news");
        xpub.send("sports", 0).unwrap();
        xpub.send("news 1", 0).unwrap();
        assert_eq!(recv_str(&sub), "news 1");
        sub.set_unsubscribe(b"news").unwrap();
        assert_eq!(recv(&xpub), b"\x00news");
    });
}

#[test]
fn subscriptions_are_replayed_to_a_new_connection() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let (xpub, endpoint) = bound_tcp(&ctx, zmq::XPUB);
        let sub = socket(&ctx, zmq::SUB);
        sub.set_reconnect_ivl(10).unwrap();
        sub.connect(&endpoint).unwrap();
        sub.set_subscribe(b"a").unwrap();
        sub.set_subscribe(b"b").unwrap();
        sub.set_unsubscribe(b"a").unwrap();
        assert_eq!(recv(&xpub), b"\x01a");
        assert_eq!(recv(&xpub), b"\x01b");
        assert_eq!(recv(&xpub), b"\x00a");
        drop(xpub);
        let again = socket(&ctx, zmq::XPUB);
        let mut tries = 0;
        while again.bind(&endpoint).is_err() {
            tries += 1;
            assert!(tries < 1000, "the port never came free");
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        // The new publisher hears exactly what is still subscribed.
        assert_eq!(recv(&again), b"\x01b");
        again.send("b after", 0).unwrap();
        assert_eq!(recv_str(&sub), "b after");
    });
}

#[test]
fn disconnect_and_unbind_close_the_connections() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let (pull, endpoint) = bound_tcp(&ctx, zmq::PULL);
        let push = connected_to(&ctx, zmq::PUSH, &endpoint);
        push.send("one", 0).unwrap();
        assert_eq!(recv_str(&pull), "one");
        push.disconnect(&endpoint).unwrap();
        assert_eq!(push.disconnect(&endpoint), Err(zmq::Error::ENOENT));
        assert_eq!(push.send("lost", zmq::DONTWAIT), Err(zmq::Error::EAGAIN));
        push.connect(&endpoint).unwrap();
        push.send("two", 0).unwrap();
        assert_eq!(recv_str(&pull), "two");
        pull.unbind(&endpoint).unwrap();
        assert_eq!(pull.unbind(&endpoint), Err(zmq::Error::ENOENT));
    });
}

/// A ZMTP 3.1 NULL greeting and a READY for `socket_type`, by hand.
fn raw_handshake(socket_type: &str) -> Vec<u8> {
    let mut bytes = vec![0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0x7f, 3, 1];
    let mut mechanism = b"NULL".to_vec();
    mechanism.resize(20, 0);
    bytes.extend_from_slice(&mechanism);
    bytes.push(0); // as-server
    bytes.extend_from_slice(&[0; 31]);
    let mut body = vec![5];
    body.extend_from_slice(b"READY");
    body.push(11);
    body.extend_from_slice(b"Socket-Type");
    body.extend_from_slice(&(socket_type.len() as u32).to_be_bytes());
    body.extend_from_slice(socket_type.as_bytes());
    bytes.push(0x04);
    bytes.push(body.len() as u8);
    bytes.extend_from_slice(&body);
    bytes
}

/// A long message frame header: `size` octets, MORE as given.
fn long_frame_header(size: u64, more: bool) -> Vec<u8> {
    let mut header = vec![0x02 | u8::from(more)];
    header.extend_from_slice(&size.to_be_bytes());
    header
}

#[test]
fn a_large_multipart_message_cut_by_a_disconnect_is_rolled_back() {
    // A peer sends a 64 KiB frame with MORE and 10 KiB of a second 64 KiB
    // frame (read into a pooled body buffer of its own), then drops the
    // connection: the connecting PULL reconnects, and what it receives is
    // the next connection's message, whole, not the torn one.
    bounded(|| {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        let ctx = zmq::Context::new();
        let pull = socket(&ctx, zmq::PULL);
        pull.set_reconnect_ivl(10).unwrap();
        pull.connect(&format!("tcp://{address}")).unwrap();
        let size = 64 * 1024;

        let (mut first, _) = listener.accept().unwrap();
        first.write_all(&raw_handshake("PUSH")).unwrap();
        first.write_all(&long_frame_header(size, true)).unwrap();
        first.write_all(&vec![1u8; size as usize]).unwrap();
        first.write_all(&long_frame_header(size, false)).unwrap();
        first.write_all(&[2u8; 10_000]).unwrap();
        drop(first);

        let (mut second, _) = listener.accept().unwrap();
        second.write_all(&raw_handshake("PUSH")).unwrap();
        second.write_all(&long_frame_header(size, false)).unwrap();
        second.write_all(&vec![3u8; size as usize]).unwrap();
        second.write_all(&[0x00, 5]).unwrap();
        second.write_all(b"after").unwrap();

        let whole = pull.recv_msg(0).unwrap();
        assert!(whole.iter().all(|&b| b == 3), "the torn message is gone");
        assert_eq!(whole.len(), size as usize);
        assert!(!whole.get_more());
        assert_eq!(recv_str(&pull), "after");
        drop(second);
    });
}

#[test]
fn a_peer_that_stops_answering_pings_is_dropped() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let pull = socket(&ctx, zmq::PULL);
        pull.set_heartbeat_ivl(50).unwrap();
        pull.set_heartbeat_timeout(200).unwrap();
        pull.bind("tcp://127.0.0.1:*").unwrap();
        let endpoint = pull.get_last_endpoint().unwrap().unwrap();
        let mut raw = TcpStream::connect(endpoint.trim_start_matches("tcp://")).unwrap();
        raw.set_read_timeout(Some(std::time::Duration::from_secs(10)))
            .unwrap();
        raw.write_all(&raw_handshake("PUSH")).unwrap();
        // A message proves the handshake worked; then silence.
        raw.write_all(&[0x00, 2, b'h', b'i']).unwrap();
        assert_eq!(recv_str(&pull), "hi");
        let mut heard = Vec::new();
        raw.read_to_end(&mut heard)
            .expect("closed by the binder, not timed out");
        let ping = b"\x04PING";
        assert!(
            heard.windows(ping.len()).any(|w| w == ping),
            "the binder pinged before giving up"
        );
    });
}

#[test]
fn linger_bounds_the_flush_of_a_closed_socket() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let endpoint = format!("tcp://{}", listener.local_addr().unwrap());
        let push = socket(&ctx, zmq::PUSH);
        push.set_linger(100).unwrap();
        push.connect(&endpoint).unwrap();
        let (mut raw, _) = listener.accept().unwrap();
        raw.set_read_timeout(Some(std::time::Duration::from_secs(10)))
            .unwrap();
        raw.write_all(&raw_handshake("PULL")).unwrap();
        const MESSAGES: usize = 40;
        let body = vec![0u8; 1 << 20];
        for _ in 0..MESSAGES {
            push.send(&body[..], 0).unwrap();
        }
        // The connection carries data: the engine is past its handshake.
        let mut first = vec![0u8; 100_000];
        raw.read_exact(&mut first).unwrap();
        drop(push);
        // A reader that never catches up: after LINGER the engine gives up.
        std::thread::sleep(std::time::Duration::from_millis(500));
        let mut rest = Vec::new();
        raw.read_to_end(&mut rest)
            .expect("closed by the engine, not timed out");
        assert!(
            first.len() + rest.len() < MESSAGES << 20,
            "linger cut the flush short"
        );
    });
}

#[test]
fn a_closed_socket_still_delivers_what_it_queued() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let (pull, endpoint) = bound_tcp(&ctx, zmq::PULL);
        let push = connected_to(&ctx, zmq::PUSH, &endpoint);
        push.send("hello", 0).unwrap();
        assert_eq!(recv_str(&pull), "hello");
        for i in 0..500 {
            push.send(format!("{i}").as_str(), 0).unwrap();
        }
        drop(push); // LINGER -1: flushed by the I/O thread
        for i in 0..500 {
            assert_eq!(recv_str(&pull), format!("{i}"));
        }
    });
}

#[test]
fn tcp_socket_options_are_accepted_by_both_sides() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let configure = |s: &zmq::Socket| {
            s.set_tcp_keepalive(1).unwrap();
            s.set_tcp_keepalive_idle(60).unwrap();
            s.set_tcp_keepalive_intvl(5).unwrap();
            s.set_tcp_keepalive_cnt(3).unwrap();
            s.set_sndbuf(1 << 16).unwrap();
            s.set_rcvbuf(1 << 16).unwrap();
            s.set_backlog(10).unwrap();
            s.set_connect_timeout(5_000).unwrap();
        };
        let pull = socket(&ctx, zmq::PULL);
        configure(&pull);
        pull.bind("tcp://127.0.0.1:*").unwrap();
        let endpoint = pull.get_last_endpoint().unwrap().unwrap();
        let push = socket(&ctx, zmq::PUSH);
        configure(&push);
        push.connect(&endpoint).unwrap();
        for i in 0..1000 {
            push.send(format!("{i}").as_str(), 0).unwrap();
        }
        for i in 0..1000 {
            assert_eq!(recv_str(&pull), format!("{i}"));
        }
    });
}

#[test]
fn ipv6_loopback_and_unbind_by_the_written_name() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let rep = socket(&ctx, zmq::REP);
        rep.set_ipv6(true).unwrap();
        rep.bind("tcp://[::1]:*").unwrap();
        let endpoint = rep.get_last_endpoint().unwrap().unwrap();
        assert!(endpoint.starts_with("tcp://[::1]:"), "{endpoint}");
        let req = socket(&ctx, zmq::REQ);
        req.set_ipv6(true).unwrap();
        req.connect(&endpoint).unwrap();
        req.send("six", 0).unwrap();
        assert_eq!(recv_str(&rep), "six");
        rep.send("ok", 0).unwrap();
        assert_eq!(recv_str(&req), "ok");
        // `localhost` is kept as 127.0.0.1; either form unbinds it.
        let pull = socket(&ctx, zmq::PULL);
        let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = free.local_addr().unwrap().port();
        drop(free);
        pull.bind(&format!("tcp://localhost:{port}")).unwrap();
        assert_eq!(
            pull.get_last_endpoint().unwrap().unwrap(),
            format!("tcp://127.0.0.1:{port}")
        );
        pull.unbind(&format!("tcp://localhost:{port}")).unwrap();
    });
}

#[test]
fn immediate_queues_nothing_for_a_peer_that_is_away() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let (pull, endpoint) = bound_tcp(&ctx, zmq::PULL);
        let nobody = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            format!("tcp://{}", listener.local_addr().unwrap())
        };
        let push = socket(&ctx, zmq::PUSH);
        push.set_immediate(true).unwrap();
        push.set_reconnect_ivl(10).unwrap();
        push.connect(&nobody).unwrap();
        push.connect(&endpoint).unwrap();
        // Without IMMEDIATE half of these would wait for `nobody`; with it
        // the only pipe is the live connection's (send blocks until then).
        for i in 0..100 {
            push.send(format!("{i}").as_str(), 0).unwrap();
        }
        for i in 0..100 {
            assert_eq!(recv_str(&pull), format!("{i}"));
        }
        push.disconnect(&endpoint).unwrap();
        push.disconnect(&nobody).unwrap();
        assert_eq!(push.disconnect(&nobody), Err(zmq::Error::ENOENT));
    });
}

#[test]
fn many_pushers_fan_in_and_every_message_is_counted_in_order() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let (pull, endpoint) = bound_tcp(&ctx, zmq::PULL);
        const SENDERS: u64 = 8;
        const EACH: u64 = 10_000;
        let senders: Vec<_> = (0..SENDERS)
            .map(|id| {
                let push = connected_to(&ctx, zmq::PUSH, &endpoint);
                std::thread::spawn(move || {
                    for seq in 0..EACH {
                        push.send(&common::tagged(id, seq)[..], 0).unwrap();
                    }
                    push
                })
            })
            .collect();
        let mut next = [0u64; SENDERS as usize];
        for _ in 0..SENDERS * EACH {
            let (id, seq) = common::untag(&recv(&pull));
            assert_eq!(seq, next[id as usize], "sender {id} in order");
            next[id as usize] += 1;
        }
        assert!(next.iter().all(|&n| n == EACH));
        for sender in senders {
            drop(sender.join().unwrap());
        }
    });
}

#[test]
fn a_router_serves_many_dealers_over_tcp() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let (router, endpoint) = bound_tcp(&ctx, zmq::ROUTER);
        let dealers: Vec<zmq::Socket> = (0..10)
            .map(|i| {
                let dealer = socket(&ctx, zmq::DEALER);
                dealer.set_identity(format!("d{i}").as_bytes()).unwrap();
                dealer.connect(&endpoint).unwrap();
                dealer
            })
            .collect();
        for round in 0..20 {
            for dealer in &dealers {
                dealer.send(format!("{round}").as_str(), 0).unwrap();
            }
            for _ in 0..dealers.len() {
                let parts = router.recv_multipart(0).unwrap();
                assert_eq!(parts[1], format!("{round}").into_bytes());
                router.send_multipart([&parts[0][..], b"ack"], 0).unwrap();
            }
            for dealer in &dealers {
                assert_eq!(recv_str(dealer), "ack");
            }
        }
    });
}

#[test]
fn ipc_replaces_a_stale_socket_file_and_removes_its_own() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let path = std::env::temp_dir().join(format!("zactor-stale-{}", std::process::id()));
        // A socket file left behind by a dead process.
        drop(std::os::unix::net::UnixListener::bind(&path).unwrap());
        assert!(path.exists());
        let endpoint = format!("ipc://{}", path.display());
        let pull = socket(&ctx, zmq::PULL);
        pull.bind(&endpoint).unwrap();
        let push = connected_to(&ctx, zmq::PUSH, &endpoint);
        push.send("fresh", 0).unwrap();
        assert_eq!(recv_str(&pull), "fresh");
        pull.unbind(&endpoint).unwrap();
        // The listener closes on the I/O thread, and its file with it.
        let mut tries = 0;
        while path.exists() {
            tries += 1;
            assert!(tries < 1000, "the socket file stayed");
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    });
}
