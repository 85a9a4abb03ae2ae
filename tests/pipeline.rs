//! PUSH/PULL (RFC 30, "Pipeline") through the public API.
//!
//! - "SHALL route outgoing messages to available peers using a round-robin
//!   strategy": a PUSH with three PULLs deals messages out in turn.
//! - "SHALL receive incoming messages from its peers using a fair-queuing
//!   strategy": a PULL with three queued PUSHes takes one from each in turn.
//! - "SHALL block on sending, or return a suitable error, when it has no
//!   available peers".
//!
//! Distribution is only exact when every pipe is attached before the first
//! send. A connect to a bound socket mails the new pipe to the binder, which
//! attaches it the next time it handles commands: the first thing any send
//! or receive does. So connecting everything before the first call is the
//! handshake; no sleeps.

mod common;

use std::thread;
use std::time::{Duration, Instant};

use common::{
    assert_nothing_waiting, bound, bounded, connected, endpoint, recv, socket, tagged, untag,
};
use zactor as zmq;

const PULLERS: usize = 3;
const PER_PULLER: usize = 500;

/// Sends `PULLERS * PER_PULLER` numbered messages from `push` and checks
/// that each PULL got exactly its share, every third message, in order.
fn assert_round_robin(push: &zmq::Socket, pulls: &[zmq::Socket]) {
    let total = PULLERS * PER_PULLER;
    for i in 0..total as u64 {
        push.send(&i.to_le_bytes()[..], 0).unwrap();
    }
    let mut firsts = Vec::new();
    for pull in pulls {
        let got: Vec<u64> = (0..PER_PULLER)
            .map(|_| u64::from_le_bytes(recv(pull).try_into().unwrap()))
            .collect();
        assert_nothing_waiting(pull);
        let first = got[0];
        for (k, &seq) in got.iter().enumerate() {
            assert_eq!(
                seq,
                first + (k * PULLERS) as u64,
                "every third message, in order"
            );
        }
        firsts.push(first);
    }
    firsts.sort_unstable();
    assert_eq!(firsts, [0, 1, 2], "each PULL starts at a different offset");
}

#[test]
fn push_bound_round_robins_over_three_connected_pulls() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let addr = endpoint("pipeline-rr-push-binds");
        let push = bound(&ctx, zmq::PUSH, &addr);
        let pulls: Vec<_> = (0..PULLERS)
            .map(|_| connected(&ctx, zmq::PULL, &addr))
            .collect();
        assert_round_robin(&push, &pulls);
    });
}

#[test]
fn push_connected_round_robins_over_three_bound_pulls() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let pulls: Vec<_> = (0..PULLERS)
            .map(|i| {
                bound(
                    &ctx,
                    zmq::PULL,
                    &endpoint(&format!("pipeline-rr-pulls-bind-{i}")),
                )
            })
            .collect();
        let push = socket(&ctx, zmq::PUSH);
        for i in 0..PULLERS {
            push.connect(&endpoint(&format!("pipeline-rr-pulls-bind-{i}")))
                .unwrap();
        }
        assert_round_robin(&push, &pulls);
    });
}

#[test]
fn push_round_robins_over_pulls_that_connected_before_it_bound() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let addr = endpoint("pipeline-rr-connect-first");
        let pulls: Vec<_> = (0..PULLERS)
            .map(|_| connected(&ctx, zmq::PULL, &addr))
            .collect();
        let push = bound(&ctx, zmq::PUSH, &addr);
        assert_round_robin(&push, &pulls);
    });
}

#[test]
fn pull_fair_queues_three_pushes() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let addr = endpoint("pipeline-fair-queue");
        let pull = bound(&ctx, zmq::PULL, &addr);
        let pushes: Vec<_> = (0..3).map(|_| connected(&ctx, zmq::PUSH, &addr)).collect();
        const EACH: u64 = 200;
        // Everything is queued before the PULL reads anything: a greedy
        // reader would drain one pipe first; a fair one interleaves.
        for (id, push) in pushes.iter().enumerate() {
            for seq in 0..EACH {
                push.send(&tagged(id as u64, seq)[..], 0).unwrap();
            }
        }
        let mut next = [0u64; 3];
        for round in 0..EACH {
            let mut seen = [false; 3];
            for _ in 0..3 {
                let (id, seq) = untag(&recv(&pull));
                let id = id as usize;
                assert!(!seen[id], "round {round}: two messages from sender {id}");
                seen[id] = true;
                assert_eq!(seq, next[id], "sender {id}'s order");
                next[id] += 1;
            }
        }
        assert_eq!(next, [EACH; 3]);
        assert_nothing_waiting(&pull);
    });
}

#[test]
fn pull_fair_queues_a_slow_sender_with_fast_ones() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let addr = endpoint("pipeline-fair-queue-slow");
        let pull = bound(&ctx, zmq::PULL, &addr);
        let busy: Vec<_> = (0..2).map(|_| connected(&ctx, zmq::PUSH, &addr)).collect();
        let quiet = connected(&ctx, zmq::PUSH, &addr);
        for (id, push) in busy.iter().enumerate() {
            for seq in 0..100 {
                push.send(&tagged(id as u64, seq)[..], 0).unwrap();
            }
        }
        quiet.send(&tagged(9, 0)[..], 0).unwrap();
        // The quiet sender's single message is served within the first
        // round, not after the 200 queued before it.
        let first_three: Vec<u64> = (0..3).map(|_| untag(&recv(&pull)).0).collect();
        assert!(first_three.contains(&9), "got {first_three:?}");
        let rest = (0..198)
            .map(|_| untag(&recv(&pull)).0)
            .filter(|&id| id == 9)
            .count();
        assert_eq!(rest, 0);
        assert_nothing_waiting(&pull);
    });
}

#[test]
fn push_skips_a_full_peer_and_keeps_sending_to_the_others() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let addr = endpoint("pipeline-skip-full-peer");
        let push = socket(&ctx, zmq::PUSH);
        // Options count at bind and connect time, as in libzmq.
        push.set_sndhwm(1).unwrap();
        push.bind(&addr).unwrap();
        let narrow = socket(&ctx, zmq::PULL);
        narrow.set_rcvhwm(1).unwrap();
        narrow.connect(&addr).unwrap();
        let wide = connected(&ctx, zmq::PULL, &addr);
        // The narrow pipe holds 1 + 1, the wide one 1 + 1000: the rest go
        // to the wide one, and no send blocks.
        for i in 0..100u8 {
            push.send(&[i][..], zmq::DONTWAIT).unwrap();
        }
        let mut narrow_got = Vec::new();
        while let Ok(body) = narrow.recv_bytes(zmq::DONTWAIT) {
            narrow_got.push(body[0]);
        }
        let mut wide_got = Vec::new();
        while let Ok(body) = wide.recv_bytes(zmq::DONTWAIT) {
            wide_got.push(body[0]);
        }
        assert_eq!(narrow_got.len(), 2, "the narrow pipe's mark");
        assert_eq!(wide_got.len(), 98);
        let mut all: Vec<u8> = narrow_got.into_iter().chain(wide_got).collect();
        all.sort_unstable();
        assert_eq!(all, (0..100).collect::<Vec<u8>>());
    });
}

#[test]
fn push_without_peers_blocks_then_says_eagain() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let push = ctx.socket(zmq::PUSH).unwrap();
        push.bind(&endpoint("pipeline-no-peer")).unwrap();
        assert_eq!(push.send("nobody", zmq::DONTWAIT), Err(zmq::Error::EAGAIN));

        push.set_sndtimeo(50).unwrap();
        let start = Instant::now();
        assert_eq!(push.send("nobody", 0), Err(zmq::Error::EAGAIN));
        let waited = start.elapsed();
        assert!(
            waited >= Duration::from_millis(50),
            "gave up after {waited:?}"
        );

        push.set_sndtimeo(0).unwrap();
        assert_eq!(push.send("nobody", 0), Err(zmq::Error::EAGAIN));
    });
}

#[test]
fn a_blocked_push_is_released_when_a_pull_connects() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let addr = endpoint("pipeline-blocked-push-released");
        let push = bound(&ctx, zmq::PUSH, &addr);
        let (ready, is_ready) = std::sync::mpsc::channel();
        let sender = thread::spawn(move || {
            ready.send(()).unwrap();
            // Blocks (within SNDTIMEO) until a PULL connects.
            push.send("finally", 0)
        });
        is_ready.recv().unwrap();
        let pull = connected(&ctx, zmq::PULL, &addr);
        assert_eq!(recv(&pull), b"finally");
        assert_eq!(sender.join().unwrap(), Ok(()));
    });
}

#[test]
fn push_and_pull_refuse_the_other_direction() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let addr = endpoint("pipeline-one-way");
        let pull = bound(&ctx, zmq::PULL, &addr);
        let push = connected(&ctx, zmq::PUSH, &addr);
        assert_eq!(push.recv_bytes(zmq::DONTWAIT), Err(zmq::Error::ENOTSUP));
        assert_eq!(pull.send("back", zmq::DONTWAIT), Err(zmq::Error::ENOTSUP));
    });
}

#[test]
fn a_closed_pull_stops_getting_its_share() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let addr = endpoint("pipeline-closed-pull");
        let push = bound(&ctx, zmq::PUSH, &addr);
        let stays = connected(&ctx, zmq::PULL, &addr);
        let leaves = connected(&ctx, zmq::PULL, &addr);
        push.send("a", 0).unwrap();
        push.send("b", 0).unwrap();
        let mut got = vec![recv(&stays), recv(&leaves)];
        got.sort();
        assert_eq!(got, [b"a".to_vec(), b"b".to_vec()]);
        drop(leaves);
        // The PUSH learns of the close from its mailbox before this send.
        for i in 0..10u8 {
            push.send(&[i][..], 0).unwrap();
        }
        for i in 0..10u8 {
            assert_eq!(recv(&stays), [i]);
        }
        assert_nothing_waiting(&stays);
    });
}
