//! High-water marks through the public API, as libzmq 4.3 computes them for
//! inproc: a pipe holds the sender's SNDHWM plus the receiver's RCVHWM
//! messages, and 0 on either side means no limit. A PUSH blocks (or says
//! `EAGAIN`) at the mark and resumes when the reader makes room. (PUB's
//! drops are tested in `pubsub.rs`.)

mod common;

use std::sync::mpsc;
use std::thread;

use common::{assert_nothing_waiting, bounded, endpoint, fill, recv, socket};
use zactor as zmq;

/// A PUSH with SNDHWM `sndhwm` connected to a bound PULL with RCVHWM
/// `rcvhwm`; the PULL reads nothing until told.
fn push_pull(
    ctx: &zmq::Context,
    name: &str,
    sndhwm: i32,
    rcvhwm: i32,
) -> (zmq::Socket, zmq::Socket) {
    let addr = endpoint(name);
    let pull = socket(ctx, zmq::PULL);
    pull.set_rcvhwm(rcvhwm).unwrap();
    pull.bind(&addr).unwrap();
    let push = socket(ctx, zmq::PUSH);
    push.set_sndhwm(sndhwm).unwrap();
    push.connect(&addr).unwrap();
    (push, pull)
}

/// Reads `count` messages made by [`fill`] and checks their numbers.
fn drain(pull: &zmq::Socket, from: usize, count: usize) {
    for i in from..from + count {
        assert_eq!(recv(pull), i.to_le_bytes(), "message {i}");
    }
}

#[test]
fn exactly_sndhwm_plus_rcvhwm_messages_fit() {
    bounded(|| {
        let ctx = zmq::Context::new();
        for (sndhwm, rcvhwm) in [(5, 7), (1, 1), (10, 3), (3, 10), (100, 50)] {
            let (push, pull) = push_pull(
                &ctx,
                &format!("hwm-exact-{sndhwm}-{rcvhwm}"),
                sndhwm,
                rcvhwm,
            );
            let limit = (sndhwm + rcvhwm) as usize;
            assert_eq!(
                fill(&push, 10 * limit),
                limit,
                "SNDHWM {sndhwm} + RCVHWM {rcvhwm}"
            );
            // And stays full.
            assert_eq!(push.send("more", zmq::DONTWAIT), Err(zmq::Error::EAGAIN));
            drain(&pull, 0, limit);
            assert_nothing_waiting(&pull);
        }
    });
}

#[test]
fn the_bound_is_the_same_when_the_push_binds() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let addr = endpoint("hwm-push-binds");
        let push = socket(&ctx, zmq::PUSH);
        push.set_sndhwm(4).unwrap();
        push.bind(&addr).unwrap();
        let pull = socket(&ctx, zmq::PULL);
        pull.set_rcvhwm(6).unwrap();
        pull.connect(&addr).unwrap();
        assert_eq!(fill(&push, 1000), 10);
        drain(&pull, 0, 10);
    });
}

#[test]
fn draining_the_reader_restores_the_full_allowance() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let (push, pull) = push_pull(&ctx, "hwm-drain-restores", 5, 7);
        for round in 0..5 {
            assert_eq!(fill(&push, 1000), 12, "round {round}");
            drain(&pull, 0, 12);
            assert_nothing_waiting(&pull);
        }
    });
}

#[test]
fn reading_part_of_the_queue_lets_the_writer_continue() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let (push, pull) = push_pull(&ctx, "hwm-partial-drain", 50, 50);
        assert_eq!(fill(&push, 1000), 100);
        // Credit comes back in batches; reading every message but one is
        // more than any batch, so the writer must get room again.
        drain(&pull, 0, 99);
        let more = fill(&push, 1000);
        assert!((1..=99).contains(&more), "the writer got {more} more slots");
        drain(&pull, 99, 1);
        drain(&pull, 0, more);
        assert_nothing_waiting(&pull);
    });
}

#[test]
fn a_writer_blocked_at_the_mark_is_released_by_the_reader() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let (push, pull) = push_pull(&ctx, "hwm-writer-released", 3, 2);
        let (filled, is_filled) = mpsc::channel();
        let writer = thread::spawn(move || {
            let accepted = fill(&push, 1000);
            filled.send(accepted).unwrap();
            // This one blocks until the reader returns credit.
            push.send(&accepted.to_le_bytes()[..], 0)
                .map(|()| accepted + 1)
        });
        let accepted = is_filled.recv().unwrap();
        assert_eq!(accepted, 5);
        drain(&pull, 0, 6);
        assert_eq!(writer.join().unwrap(), Ok(6));
        assert_nothing_waiting(&pull);
    });
}

#[test]
fn the_defaults_give_two_thousand() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let addr = endpoint("hwm-defaults");
        let pull = ctx.socket(zmq::PULL).unwrap();
        assert_eq!(pull.get_rcvhwm(), Ok(1000));
        assert_eq!(pull.get_sndhwm(), Ok(1000));
        pull.bind(&addr).unwrap();
        let push = ctx.socket(zmq::PUSH).unwrap();
        push.connect(&addr).unwrap();
        assert_eq!(fill(&push, 100_000), 2000);
        pull.set_rcvtimeo(common::TIMEOUT_MS).unwrap();
        drain(&pull, 0, 2000);
    });
}

#[test]
fn a_zero_hwm_means_no_limit() {
    const COUNT: usize = 100_000;
    bounded(|| {
        let ctx = zmq::Context::new();
        for (name, sndhwm, rcvhwm) in [
            ("hwm-zero-snd", 0, 1),
            ("hwm-zero-rcv", 1, 0),
            ("hwm-zero-both", 0, 0),
        ] {
            let (push, pull) = push_pull(&ctx, name, sndhwm, rcvhwm);
            assert_eq!(fill(&push, COUNT), COUNT, "{name}: every send accepted");
            drain(&pull, 0, COUNT);
            assert_nothing_waiting(&pull);
        }
    });
}

#[test]
fn each_peer_has_its_own_allowance() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let addr = endpoint("hwm-per-peer");
        let push = socket(&ctx, zmq::PUSH);
        push.set_sndhwm(2).unwrap();
        push.bind(&addr).unwrap();
        let pulls: Vec<_> = (0..3)
            .map(|_| {
                let pull = socket(&ctx, zmq::PULL);
                pull.set_rcvhwm(2).unwrap();
                pull.connect(&addr).unwrap();
                pull
            })
            .collect();
        assert_eq!(fill(&push, 1000), 12, "three pipes of 2 + 2");
        let mut total = 0;
        for pull in &pulls {
            let mut got = 0;
            while pull.recv_bytes(zmq::DONTWAIT).is_ok() {
                got += 1;
            }
            assert_eq!(got, 4, "each pipe held exactly its mark");
            total += got;
        }
        assert_eq!(total, 12);
    });
}

#[test]
fn a_connect_before_bind_queues_sndhwm_then_grows_to_the_sum() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let addr = endpoint("hwm-connect-before-bind");
        let push = socket(&ctx, zmq::PUSH);
        push.set_sndhwm(3).unwrap();
        push.connect(&addr).unwrap();
        // No reader yet: the pipe holds the sender's own mark.
        assert_eq!(fill(&push, 1000), 3);

        let pull = socket(&ctx, zmq::PULL);
        pull.set_rcvhwm(4).unwrap();
        pull.bind(&addr).unwrap();
        // Now the pipe holds SNDHWM + RCVHWM, of which 3 are used.
        let more = fill(&push, 1000);
        assert_eq!(more, 4, "room for the receiver's share once it binds");
        drain(&pull, 0, 3);
        drain(&pull, 0, 4);
        assert_nothing_waiting(&pull);
        // And the pipe works as usual afterwards.
        push.send("as usual", 0).unwrap();
        assert_eq!(recv(&pull), b"as usual");
    });
}

#[test]
fn a_writer_that_filled_a_pending_pipe_resumes_after_a_larger_bind() {
    bounded(|| {
        let ctx = zmq::Context::new();
        for rcvhwm in [100, 0] {
            let addr = endpoint(&format!("hwm-pending-full-then-bind-{rcvhwm}"));
            let push = socket(&ctx, zmq::PUSH);
            push.set_sndhwm(2).unwrap();
            push.connect(&addr).unwrap();
            assert_eq!(fill(&push, 1000), 2);
            // The receiver's mark is far larger than what is queued (or
            // unlimited): reading the two queued messages returns no credit
            // batch, so only the bind itself can tell the writer it has room.
            let pull = socket(&ctx, zmq::PULL);
            pull.set_rcvhwm(rcvhwm).unwrap();
            pull.bind(&addr).unwrap();
            drain(&pull, 0, 2);
            push.send("after the bind", 0).unwrap();
            assert_eq!(recv(&pull), b"after the bind");
        }
    });
}

#[test]
fn hwm_options_reject_negative_values() {
    let ctx = zmq::Context::new();
    let socket = ctx.socket(zmq::PUSH).unwrap();
    assert_eq!(socket.set_sndhwm(-1), Err(zmq::Error::EINVAL));
    assert_eq!(socket.set_rcvhwm(-1), Err(zmq::Error::EINVAL));
    socket.set_sndhwm(0).unwrap();
    assert_eq!(socket.get_sndhwm(), Ok(0));
}

#[test]
fn the_mark_counts_messages_not_frames() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let (push, pull) = push_pull(&ctx, "hwm-counts-messages", 1, 1);
        for i in 0..2u8 {
            push.send(&[i][..], zmq::SNDMORE | zmq::DONTWAIT).unwrap();
            push.send("middle", zmq::SNDMORE | zmq::DONTWAIT).unwrap();
            push.send("last", zmq::DONTWAIT).unwrap();
        }
        assert_eq!(
            push.send("third", zmq::SNDMORE | zmq::DONTWAIT),
            Err(zmq::Error::EAGAIN)
        );
        for i in 0..2u8 {
            let parts = pull.recv_multipart(0).unwrap();
            assert_eq!(parts, [vec![i], b"middle".to_vec(), b"last".to_vec()]);
        }
        assert_nothing_waiting(&pull);
    });
}
