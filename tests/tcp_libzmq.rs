//! zactor's tcp transport against libzmq 4.3.4 (the `zmq` crate, built
//! with `--features compare`), both sides binding in turn: PUSH/PULL,
//! REQ/REP, DEALER/ROUTER with identities, PUB/SUB with a filter.
//!
//! `cargo test --release --features compare --test tcp_libzmq`
#![cfg(feature = "compare")]

mod common;

use common::{bounded, recv_str, socket};
use zactor as zactor_zmq;

const TIMEOUT_MS: i32 = 10_000;

fn libzmq_socket(ctx: &zmq::Context, kind: zmq::SocketType) -> zmq::Socket {
    let s = ctx.socket(kind).unwrap();
    s.set_rcvtimeo(TIMEOUT_MS).unwrap();
    s.set_sndtimeo(TIMEOUT_MS).unwrap();
    s.set_linger(0).unwrap();
    s
}

#[test]
fn push_to_libzmq_pull_and_back() {
    bounded(|| {
        let theirs = zmq::Context::new();
        let ours = zactor_zmq::Context::new();
        // libzmq binds, zactor connects.
        let pull = libzmq_socket(&theirs, zmq::PULL);
        pull.bind("tcp://127.0.0.1:*").unwrap();
        let endpoint = pull.get_last_endpoint().unwrap().unwrap();
        let push = socket(&ours, zactor_zmq::PUSH);
        push.connect(&endpoint).unwrap();
        for i in 0..1000 {
            push.send(format!("{i}").as_str(), 0).unwrap();
        }
        push.send_multipart([&b""[..], &vec![7u8; 1 << 20][..], b"end"], 0)
            .unwrap();
        for i in 0..1000 {
            assert_eq!(pull.recv_string(0).unwrap().unwrap(), format!("{i}"));
        }
        let parts = pull.recv_multipart(0).unwrap();
        assert_eq!(parts.len(), 3);
        assert_eq!(parts[1].len(), 1 << 20);
        // zactor binds, libzmq connects.
        let our_pull = socket(&ours, zactor_zmq::PULL);
        our_pull.bind("tcp://127.0.0.1:*").unwrap();
        let endpoint = our_pull.get_last_endpoint().unwrap().unwrap();
        let their_push = libzmq_socket(&theirs, zmq::PUSH);
        their_push.connect(&endpoint).unwrap();
        for i in 0..1000 {
            their_push.send(format!("{i}").as_str(), 0).unwrap();
        }
        for i in 0..1000 {
            assert_eq!(recv_str(&our_pull), format!("{i}"));
        }
    });
}

#[test]
fn req_rep_both_ways() {
    bounded(|| {
        let theirs = zmq::Context::new();
        let ours = zactor_zmq::Context::new();
        let rep = libzmq_socket(&theirs, zmq::REP);
        rep.bind("tcp://127.0.0.1:*").unwrap();
        let endpoint = rep.get_last_endpoint().unwrap().unwrap();
        let req = socket(&ours, zactor_zmq::REQ);
        req.connect(&endpoint).unwrap();
        for i in 0..10 {
            req.send(format!("hello {i}").as_str(), 0).unwrap();
            assert_eq!(rep.recv_string(0).unwrap().unwrap(), format!("hello {i}"));
            rep.send("world", 0).unwrap();
            assert_eq!(recv_str(&req), "world");
        }
        let our_rep = socket(&ours, zactor_zmq::REP);
        our_rep.bind("tcp://127.0.0.1:*").unwrap();
        let endpoint = our_rep.get_last_endpoint().unwrap().unwrap();
        let their_req = libzmq_socket(&theirs, zmq::REQ);
        their_req.connect(&endpoint).unwrap();
        for i in 0..10 {
            their_req.send(format!("hello {i}").as_str(), 0).unwrap();
            assert_eq!(recv_str(&our_rep), format!("hello {i}"));
            our_rep.send("world", 0).unwrap();
            assert_eq!(their_req.recv_string(0).unwrap().unwrap(), "world");
        }
    });
}

#[test]
fn router_dealer_identities_both_ways() {
    bounded(|| {
        let theirs = zmq::Context::new();
        let ours = zactor_zmq::Context::new();
        let router = libzmq_socket(&theirs, zmq::ROUTER);
        router.bind("tcp://127.0.0.1:*").unwrap();
        let endpoint = router.get_last_endpoint().unwrap().unwrap();
        let dealer = socket(&ours, zactor_zmq::DEALER);
        dealer.set_identity(b"ours").unwrap();
        dealer.connect(&endpoint).unwrap();
        dealer.send("hi", 0).unwrap();
        assert_eq!(
            router.recv_multipart(0).unwrap(),
            vec![b"ours".to_vec(), b"hi".to_vec()]
        );
        router.send_multipart(["ours", "back"], 0).unwrap();
        assert_eq!(recv_str(&dealer), "back");

        let our_router = socket(&ours, zactor_zmq::ROUTER);
        our_router.bind("tcp://127.0.0.1:*").unwrap();
        let endpoint = our_router.get_last_endpoint().unwrap().unwrap();
        let their_dealer = libzmq_socket(&theirs, zmq::DEALER);
        their_dealer.set_identity(b"theirs").unwrap();
        their_dealer.connect(&endpoint).unwrap();
        their_dealer.send("hi", 0).unwrap();
        assert_eq!(
            our_router.recv_multipart(0).unwrap(),
            vec![b"theirs".to_vec(), b"hi".to_vec()]
        );
        our_router.send_multipart(["theirs", "back"], 0).unwrap();
        assert_eq!(their_dealer.recv_string(0).unwrap().unwrap(), "back");
    });
}

#[test]
fn pub_sub_filters_both_ways() {
    bounded(|| {
        let theirs = zmq::Context::new();
        let ours = zactor_zmq::Context::new();
        // libzmq XPUB binds: our subscription is the handshake.
        let xpub = libzmq_socket(&theirs, zmq::XPUB);
        xpub.bind("tcp://127.0.0.1:*").unwrap();
        let endpoint = xpub.get_last_endpoint().unwrap().unwrap();
        let sub = socket(&ours, zactor_zmq::SUB);
        sub.set_subscribe(b"news").unwrap();
        sub.connect(&endpoint).unwrap();
        assert_eq!(xpub.recv_bytes(0).unwrap(), b"\x01news");
        xpub.send("sports", 0).unwrap();
        xpub.send("news 1", 0).unwrap();
        assert_eq!(recv_str(&sub), "news 1");

        // Our XPUB binds, a libzmq SUB connects.
        let our_xpub = socket(&ours, zactor_zmq::XPUB);
        our_xpub.bind("tcp://127.0.0.1:*").unwrap();
        let endpoint = our_xpub.get_last_endpoint().unwrap().unwrap();
        let their_sub = libzmq_socket(&theirs, zmq::SUB);
        their_sub.set_subscribe(b"news").unwrap();
        their_sub.connect(&endpoint).unwrap();
        assert_eq!(common::recv(&our_xpub), b"\x01news");
        our_xpub.send("sports", 0).unwrap();
        our_xpub.send("news 2", 0).unwrap();
        assert_eq!(their_sub.recv_string(0).unwrap().unwrap(), "news 2");
    });
}
