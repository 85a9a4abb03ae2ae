//! Endpoints and their errors through the public API, as zmq_bind(3),
//! zmq_connect(3), zmq_unbind(3) and zmq_disconnect(3) describe them for
//! inproc: either side may come first; a name is bound once; unknown
//! endpoints are `ENOENT`; malformed ones `EINVAL`; transports zactor does
//! not have `EPROTONOSUPPORT`; peers of incompatible types `ENOCOMPATPROTO`.

mod common;

use common::{assert_nothing_waiting, bound, bounded, connected, endpoint, recv, socket};
use zactor as zmq;

#[test]
fn inproc_works_bind_first_and_connect_first() {
    bounded(|| {
        let ctx = zmq::Context::new();

        let addr = endpoint("endpoints-bind-first");
        let pull = bound(&ctx, zmq::PULL, &addr);
        let push = connected(&ctx, zmq::PUSH, &addr);
        push.send("bind first", 0).unwrap();
        assert_eq!(recv(&pull), b"bind first");

        let addr = endpoint("endpoints-connect-first");
        let push = connected(&ctx, zmq::PUSH, &addr);
        push.send("connect first", 0).unwrap();
        let pull = bound(&ctx, zmq::PULL, &addr);
        assert_eq!(recv(&pull), b"connect first");
        push.send("and after", 0).unwrap();
        assert_eq!(recv(&pull), b"and after");
    });
}

#[test]
fn one_socket_binds_three_endpoints_and_connects_to_two() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let hub = socket(&ctx, zmq::PULL);
        let bound_names: Vec<_> = (0..3)
            .map(|i| endpoint(&format!("endpoints-hub-bound-{i}")))
            .collect();
        for name in &bound_names {
            hub.bind(name).unwrap();
        }
        let connected_names: Vec<_> = (0..2)
            .map(|i| endpoint(&format!("endpoints-hub-connected-{i}")))
            .collect();
        // One bound before the hub connects, one after.
        let far0 = bound(&ctx, zmq::PUSH, &connected_names[0]);
        for name in &connected_names {
            hub.connect(name).unwrap();
        }
        let far1 = bound(&ctx, zmq::PUSH, &connected_names[1]);

        let mut senders: Vec<(String, zmq::Socket)> = bound_names
            .iter()
            .map(|name| (name.clone(), connected(&ctx, zmq::PUSH, name)))
            .collect();
        senders.push((connected_names[0].clone(), far0));
        senders.push((connected_names[1].clone(), far1));
        for (name, sender) in &senders {
            sender.send(name.as_str(), 0).unwrap();
        }
        let mut got: Vec<String> = (0..5)
            .map(|_| String::from_utf8(recv(&hub)).unwrap())
            .collect();
        got.sort();
        let mut expected: Vec<String> = senders.iter().map(|(name, _)| name.clone()).collect();
        expected.sort();
        assert_eq!(got, expected);
        assert_nothing_waiting(&hub);
    });
}

#[test]
fn binding_a_bound_name_is_eaddrinuse() {
    let ctx = zmq::Context::new();
    let addr = endpoint("endpoints-addr-in-use");
    let first = ctx.socket(zmq::PULL).unwrap();
    first.bind(&addr).unwrap();
    assert_eq!(
        first.bind(&addr),
        Err(zmq::Error::EADDRINUSE),
        "same socket"
    );
    let second = ctx.socket(zmq::PULL).unwrap();
    assert_eq!(
        second.bind(&addr),
        Err(zmq::Error::EADDRINUSE),
        "another socket"
    );
    // A failed bind leaves the first binding alone.
    let push = ctx.socket(zmq::PUSH).unwrap();
    push.connect(&addr).unwrap();
    push.send("still there", 0).unwrap();
    first.set_rcvtimeo(common::TIMEOUT_MS).unwrap();
    assert_eq!(recv(&first), b"still there");
}

#[test]
fn names_are_per_context() {
    let addr = endpoint("endpoints-per-context");
    let one = zmq::Context::new();
    let other = zmq::Context::new();
    let a = one.socket(zmq::PULL).unwrap();
    a.bind(&addr).unwrap();
    let b = other.socket(zmq::PULL).unwrap();
    b.bind(&addr).unwrap();
}

#[test]
fn unbind_and_disconnect_of_unknown_endpoints_are_enoent() {
    let ctx = zmq::Context::new();
    let socket = ctx.socket(zmq::PULL).unwrap();
    let addr = endpoint("endpoints-unknown");
    assert_eq!(socket.unbind(&addr), Err(zmq::Error::ENOENT));
    assert_eq!(socket.disconnect(&addr), Err(zmq::Error::ENOENT));

    // Bound by someone else is not bound by us.
    let owner = ctx.socket(zmq::PULL).unwrap();
    owner.bind(&addr).unwrap();
    assert_eq!(socket.unbind(&addr), Err(zmq::Error::ENOENT));
    // Bound is not connected.
    assert_eq!(owner.disconnect(&addr), Err(zmq::Error::ENOENT));
    // Connected is not bound.
    let push = ctx.socket(zmq::PUSH).unwrap();
    push.connect(&addr).unwrap();
    assert_eq!(push.unbind(&addr), Err(zmq::Error::ENOENT));
    // Twice is once too many.
    push.disconnect(&addr).unwrap();
    assert_eq!(push.disconnect(&addr), Err(zmq::Error::ENOENT));
    owner.unbind(&addr).unwrap();
    assert_eq!(owner.unbind(&addr), Err(zmq::Error::ENOENT));
}

#[test]
fn unbind_detaches_old_peers_and_the_name_can_be_bound_again() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let addr = endpoint("endpoints-unbind-rebind");
        let pull = bound(&ctx, zmq::PULL, &addr);
        let old = connected(&ctx, zmq::PUSH, &addr);
        old.send("before", 0).unwrap();
        assert_eq!(recv(&pull), b"before");

        pull.unbind(&addr).unwrap();
        // The unbind closed the pipe; the old peer learns it from its
        // mailbox before this send, and has nowhere to send.
        assert_eq!(
            old.send("after unbind", zmq::DONTWAIT),
            Err(zmq::Error::EAGAIN)
        );
        assert_nothing_waiting(&pull);

        // The same socket binds the name again; only new peers reach it.
        pull.bind(&addr).unwrap();
        let new = connected(&ctx, zmq::PUSH, &addr);
        new.send("new peer", 0).unwrap();
        assert_eq!(recv(&pull), b"new peer");
        assert_eq!(old.send("old peer", zmq::DONTWAIT), Err(zmq::Error::EAGAIN));
        assert_nothing_waiting(&pull);

        // And another socket may take the name once it is free.
        pull.unbind(&addr).unwrap();
        let other = bound(&ctx, zmq::PULL, &addr);
        let newest = connected(&ctx, zmq::PUSH, &addr);
        newest.send("other binder", 0).unwrap();
        assert_eq!(recv(&other), b"other binder");
    });
}

#[test]
fn unbind_keeps_the_other_endpoints() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let kept = endpoint("endpoints-unbind-kept");
        let dropped = endpoint("endpoints-unbind-dropped");
        let pull = bound(&ctx, zmq::PULL, &kept);
        pull.bind(&dropped).unwrap();
        let via_kept = connected(&ctx, zmq::PUSH, &kept);
        let via_dropped = connected(&ctx, zmq::PUSH, &dropped);
        pull.unbind(&dropped).unwrap();
        via_kept.send("kept", 0).unwrap();
        assert_eq!(recv(&pull), b"kept");
        assert_eq!(
            via_dropped.send("dropped", zmq::DONTWAIT),
            Err(zmq::Error::EAGAIN)
        );
        assert_nothing_waiting(&pull);
    });
}

#[test]
fn disconnect_closes_the_connection() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let addr = endpoint("endpoints-disconnect");
        let pull = bound(&ctx, zmq::PULL, &addr);
        let push = connected(&ctx, zmq::PUSH, &addr);
        push.send("connected", 0).unwrap();
        assert_eq!(recv(&pull), b"connected");
        push.disconnect(&addr).unwrap();
        assert_eq!(
            push.send("disconnected", zmq::DONTWAIT),
            Err(zmq::Error::EAGAIN)
        );
        // Connect again: a fresh pipe.
        push.connect(&addr).unwrap();
        push.send("reconnected", 0).unwrap();
        assert_eq!(recv(&pull), b"reconnected");
    });
}

#[test]
fn disconnect_before_the_bind_withdraws_the_connection() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let addr = endpoint("endpoints-disconnect-pending");
        let push = socket(&ctx, zmq::PUSH);
        push.connect(&addr).unwrap();
        push.send("never delivered", 0).unwrap();
        push.disconnect(&addr).unwrap();
        let pull = bound(&ctx, zmq::PULL, &addr);
        assert_nothing_waiting(&pull);
        assert_eq!(push.send("nowhere", zmq::DONTWAIT), Err(zmq::Error::EAGAIN));
    });
}

#[test]
fn malformed_endpoints_are_einval() {
    let ctx = zmq::Context::new();
    let socket = ctx.socket(zmq::PAIR).unwrap();
    for bad in ["nonsense", "inproc://", "inproc:/x", "inproc:x", "://x", ""] {
        assert_eq!(socket.bind(bad), Err(zmq::Error::EINVAL), "bind {bad:?}");
        assert_eq!(
            socket.connect(bad),
            Err(zmq::Error::EINVAL),
            "connect {bad:?}"
        );
    }
    assert_eq!(
        socket.get_last_endpoint().unwrap().unwrap(),
        "",
        "failures are not remembered"
    );
}

#[test]
fn transports_zactor_lacks_are_eprotonosupport() {
    let ctx = zmq::Context::new();
    let socket = ctx.socket(zmq::PAIR).unwrap();
    for other in [
        "pgm://eth0;239.192.1.1:5555",
        "epgm://eth0;239.192.1.1:5555",
        "bogus://x",
    ] {
        assert_eq!(
            socket.bind(other),
            Err(zmq::Error::EPROTONOSUPPORT),
            "bind {other}"
        );
        assert_eq!(
            socket.connect(other),
            Err(zmq::Error::EPROTONOSUPPORT),
            "connect {other}"
        );
    }
}

#[test]
fn an_incompatible_peer_is_enocompatproto() {
    let ctx = zmq::Context::new();
    let addr = endpoint("endpoints-incompatible");
    let publisher = ctx.socket(zmq::PUB).unwrap();
    publisher.bind(&addr).unwrap();
    let push = ctx.socket(zmq::PUSH).unwrap();
    assert_eq!(push.connect(&addr), Err(zmq::Error::ENOCOMPATPROTO));
    let req = ctx.socket(zmq::REQ).unwrap();
    assert_eq!(req.connect(&addr), Err(zmq::Error::ENOCOMPATPROTO));
    // A compatible one is fine.
    let sub = ctx.socket(zmq::SUB).unwrap();
    sub.connect(&addr).unwrap();
}

#[test]
fn an_incompatible_pending_connection_is_dropped_at_bind() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let addr = endpoint("endpoints-incompatible-pending");
        let push = socket(&ctx, zmq::PUSH);
        push.connect(&addr).unwrap();
        push.send("queued", 0).unwrap();
        // The bind succeeds and refuses the PUSH's pipe; the PUSH learns it
        // from its mailbox and has no peer left.
        let publisher = bound(&ctx, zmq::PUB, &addr);
        assert_eq!(push.send("refused", zmq::DONTWAIT), Err(zmq::Error::EAGAIN));
        // The PUB side never sees it either (PUB cannot receive anyway).
        assert_eq!(
            publisher.recv_bytes(zmq::DONTWAIT),
            Err(zmq::Error::ENOTSUP)
        );
    });
}

#[test]
fn get_last_endpoint_follows_bind_and_connect() {
    let ctx = zmq::Context::new();
    let socket = ctx.socket(zmq::PULL).unwrap();
    assert_eq!(socket.get_last_endpoint(), Ok(Ok(String::new())));
    let a = endpoint("endpoints-last-a");
    let b = endpoint("endpoints-last-b");
    socket.bind(&a).unwrap();
    assert_eq!(socket.get_last_endpoint(), Ok(Ok(a.clone())));
    socket.connect(&b).unwrap();
    assert_eq!(socket.get_last_endpoint(), Ok(Ok(b.clone())));
    assert_eq!(socket.bind(&a), Err(zmq::Error::EADDRINUSE));
    assert_eq!(socket.get_last_endpoint(), Ok(Ok(b)));
}
