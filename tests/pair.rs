//! PAIR (RFC 31, "Exclusive Pair") through the public API.
//!
//! "The PAIR socket type SHALL NOT accept more than one peer": a second
//! connection to a bound PAIR is refused, and whatever it sent never arrives.

mod common;

use common::{assert_nothing_waiting, bound, bounded, connected, endpoint, recv_str};
use zactor as zmq;

/// Sends `rounds` messages each way, alternating, and checks every one.
fn ping_pong(a: &zmq::Socket, b: &zmq::Socket, rounds: usize) {
    for i in 0..rounds {
        a.send(format!("ping {i}").as_str(), 0).unwrap();
        assert_eq!(recv_str(b), format!("ping {i}"));
        b.send(format!("pong {i}").as_str(), 0).unwrap();
        assert_eq!(recv_str(a), format!("pong {i}"));
    }
}

#[test]
fn round_trip_both_ways_bind_before_connect() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let addr = endpoint("pair-round-trip-bind-first");
        let binder = bound(&ctx, zmq::PAIR, &addr);
        let connector = connected(&ctx, zmq::PAIR, &addr);
        ping_pong(&binder, &connector, 100);
        ping_pong(&connector, &binder, 100);
    });
}

#[test]
fn round_trip_both_ways_connect_before_bind() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let addr = endpoint("pair-round-trip-connect-first");
        let connector = connected(&ctx, zmq::PAIR, &addr);
        // Sent before anyone has bound: it waits in the pipe.
        connector.send("early", 0).unwrap();
        let binder = bound(&ctx, zmq::PAIR, &addr);
        assert_eq!(recv_str(&binder), "early");
        ping_pong(&binder, &connector, 100);
        ping_pong(&connector, &binder, 100);
    });
}

#[test]
fn frames_and_order_survive_the_trip() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let addr = endpoint("pair-frames-and-order");
        let a = bound(&ctx, zmq::PAIR, &addr);
        let b = connected(&ctx, zmq::PAIR, &addr);
        for i in 0..1000u32 {
            a.send_multipart([&i.to_le_bytes()[..], b"", b"tail"], 0)
                .unwrap();
        }
        for i in 0..1000u32 {
            let parts = b.recv_multipart(0).unwrap();
            assert_eq!(
                parts,
                vec![i.to_le_bytes().to_vec(), vec![], b"tail".to_vec()]
            );
        }
        assert_nothing_waiting(&b);
    });
}

#[test]
fn a_second_peer_is_refused_and_the_first_keeps_working() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let addr = endpoint("pair-second-peer-refused");
        let binder = bound(&ctx, zmq::PAIR, &addr);
        let first = connected(&ctx, zmq::PAIR, &addr);
        let second = connected(&ctx, zmq::PAIR, &addr);
        // The second connector's pipe exists on its side until the binder
        // refuses it, so this send is queued, and must never be delivered.
        second.send("from the intruder", zmq::DONTWAIT).unwrap();

        // The binder handles both connections, in order, before it receives.
        first.send("from the first", 0).unwrap();
        assert_eq!(recv_str(&binder), "from the first");
        binder.send("to the first", 0).unwrap();
        assert_eq!(recv_str(&first), "to the first");
        assert_nothing_waiting(&binder);

        // The refusal has been mailed to the second connector: it has no
        // peer any more, so a send cannot go anywhere.
        assert_eq!(second.send("again", zmq::DONTWAIT), Err(zmq::Error::EAGAIN));
        second.set_sndtimeo(20).unwrap();
        assert_eq!(second.send("and again", 0), Err(zmq::Error::EAGAIN));
        assert_eq!(second.recv_bytes(zmq::DONTWAIT), Err(zmq::Error::EAGAIN));

        ping_pong(&binder, &first, 10);
        assert_nothing_waiting(&binder);
    });
}

#[test]
fn a_peer_that_connects_first_wins_over_one_that_connects_later() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let addr = endpoint("pair-pending-then-late");
        let early = connected(&ctx, zmq::PAIR, &addr);
        early.send("early bird", 0).unwrap();
        let binder = bound(&ctx, zmq::PAIR, &addr);
        let late = connected(&ctx, zmq::PAIR, &addr);
        late.send("late", zmq::DONTWAIT).unwrap();
        assert_eq!(recv_str(&binder), "early bird");
        ping_pong(&binder, &early, 10);
        assert_nothing_waiting(&binder);
        assert_eq!(
            late.send("late again", zmq::DONTWAIT),
            Err(zmq::Error::EAGAIN)
        );
    });
}

#[test]
fn without_a_peer_send_and_recv_would_block() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let lonely = ctx.socket(zmq::PAIR).unwrap();
        assert_eq!(
            lonely.send("nobody", zmq::DONTWAIT),
            Err(zmq::Error::EAGAIN)
        );
        assert_eq!(lonely.recv_bytes(zmq::DONTWAIT), Err(zmq::Error::EAGAIN));
        lonely.set_rcvtimeo(10).unwrap();
        assert_eq!(lonely.recv_bytes(0), Err(zmq::Error::EAGAIN));
    });
}

#[test]
fn pair_talks_only_to_pair() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let addr = endpoint("pair-only-pair");
        let _binder = bound(&ctx, zmq::PAIR, &addr);
        for kind in [
            zmq::PUSH,
            zmq::PULL,
            zmq::PUB,
            zmq::SUB,
            zmq::REQ,
            zmq::REP,
            zmq::DEALER,
            zmq::ROUTER,
        ] {
            let other = ctx.socket(kind).unwrap();
            assert_eq!(
                other.connect(&addr),
                Err(zmq::Error::ENOCOMPATPROTO),
                "{kind:?}"
            );
        }
    });
}
