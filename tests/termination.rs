//! Context termination and socket close through the public API, as
//! zmq_ctx_term(3) and zmq_close(3) describe them:
//! - "any blocking operations currently in progress on sockets open within
//!   context shall return immediately with an error code of ETERM"; "any
//!   further operations on sockets open within context shall fail with an
//!   error code of ETERM"; the call returns once every socket is closed.
//! - Messages already in an inproc pipe outlive their sender.
//! - LINGER decides whether a connection still waiting for its bind keeps
//!   its queued messages after the connecting socket closes.

mod common;

use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use common::{assert_nothing_waiting, bound, bounded, connected, endpoint, recv, socket};
use zactor as zmq;

/// What a blocked thread was doing when the context went.
#[derive(Clone, Copy, Debug)]
enum Blocked {
    /// A PULL with no peer, receiving.
    Recv,
    /// A PUSH with no peer, sending.
    SendNoPeer,
    /// A PUSH whose only pipe is at its HWM, sending.
    SendFull,
}

/// Runs in its own thread: sets up `kind`, says it is ready, blocks, and
/// reports the result and when it came back.
fn block(
    ctx: zmq::Context,
    kind: Blocked,
    id: usize,
    ready: mpsc::Sender<()>,
) -> (zmq::Result<()>, Instant) {
    // A long timeout bounds the test if ETERM never comes; ETERM must come
    // long before it.
    let timeout = 20_000;
    let result = match kind {
        Blocked::Recv => {
            let pull = ctx.socket(zmq::PULL).unwrap();
            pull.set_rcvtimeo(timeout).unwrap();
            ready.send(()).unwrap();
            pull.recv_msg(0).map(drop)
        }
        Blocked::SendNoPeer => {
            let push = ctx.socket(zmq::PUSH).unwrap();
            push.set_sndtimeo(timeout).unwrap();
            ready.send(()).unwrap();
            push.send("nobody", 0)
        }
        Blocked::SendFull => {
            let addr = endpoint(&format!("termination-blocked-full-{id}"));
            let pull = ctx.socket(zmq::PULL).unwrap();
            pull.set_rcvhwm(1).unwrap();
            pull.bind(&addr).unwrap();
            let push = ctx.socket(zmq::PUSH).unwrap();
            push.set_sndhwm(1).unwrap();
            push.set_sndtimeo(timeout).unwrap();
            push.connect(&addr).unwrap();
            assert_eq!(common::fill(&push, 100), 2);
            ready.send(()).unwrap();
            let result = push.send("no room", 0);
            drop(pull);
            result
        }
    };
    (result, Instant::now())
}

#[test]
fn destroy_wakes_every_blocked_call_with_eterm() {
    const THREADS: usize = 24;
    bounded(|| {
        let mut ctx = zmq::Context::new();
        let kinds = [Blocked::Recv, Blocked::SendNoPeer, Blocked::SendFull];
        let (ready, is_ready) = mpsc::channel();
        let threads: Vec<_> = (0..THREADS)
            .map(|id| {
                let ctx = ctx.clone();
                let ready = ready.clone();
                let kind = kinds[id % kinds.len()];
                thread::spawn(move || (kind, block(ctx, kind, id, ready)))
            })
            .collect();
        for _ in 0..THREADS {
            is_ready.recv().unwrap();
        }
        // Every thread is about to block or blocked; "blocked" itself cannot
        // be observed, but a thread that is not blocked yet must also get
        // ETERM once it calls.
        let destroy_called = Instant::now();
        ctx.destroy().unwrap();
        let destroy_returned = destroy_called.elapsed();

        let mut slowest = Duration::ZERO;
        for thread in threads {
            let (kind, (result, returned)) = thread.join().unwrap();
            assert_eq!(result, Err(zmq::Error::ETERM), "{kind:?}");
            slowest = slowest.max(returned.saturating_duration_since(destroy_called));
        }
        println!("destroy: slowest blocked call returned ETERM after {slowest:?}; destroy returned after {destroy_returned:?}");
        assert!(
            slowest < Duration::from_millis(200),
            "slowest ETERM after {slowest:?}"
        );
    });
}

#[test]
fn after_destroy_every_call_is_eterm() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let addr = endpoint("termination-after-destroy");
        let pair = socket(&ctx, zmq::PAIR);
        pair.bind(&addr).unwrap();
        let peer = connected(&ctx, zmq::PAIR, &addr);
        peer.send("queued before the end", 0).unwrap();
        let push = socket(&ctx, zmq::PUSH);

        let destroyer = {
            let mut ctx = ctx.clone();
            thread::spawn(move || ctx.destroy())
        };
        // The PUSH blocks (no peer) until the destroy reaches it, or finds
        // the context already terminated: ETERM either way.
        assert_eq!(push.send("blocked", 0), Err(zmq::Error::ETERM));

        // Sends and receives, blocking or not, even with a message waiting.
        assert_eq!(pair.recv_bytes(0), Err(zmq::Error::ETERM));
        assert_eq!(pair.recv_bytes(zmq::DONTWAIT), Err(zmq::Error::ETERM));
        let mut msg = zmq::Message::new();
        assert_eq!(pair.recv(&mut msg, 0), Err(zmq::Error::ETERM));
        assert_eq!(pair.recv_into(&mut [0; 8], 0), Err(zmq::Error::ETERM));
        assert_eq!(pair.recv_multipart(0), Err(zmq::Error::ETERM));
        assert_eq!(peer.send("after", zmq::DONTWAIT), Err(zmq::Error::ETERM));
        assert_eq!(peer.send_multipart(["a", "b"], 0), Err(zmq::Error::ETERM));
        // Endpoints.
        assert_eq!(
            push.bind(&endpoint("termination-after-destroy-new")),
            Err(zmq::Error::ETERM)
        );
        assert_eq!(push.connect(&addr), Err(zmq::Error::ETERM));
        assert_eq!(pair.unbind(&addr), Err(zmq::Error::ETERM));
        assert_eq!(peer.disconnect(&addr), Err(zmq::Error::ETERM));
        // Options.
        assert_eq!(push.set_linger(0), Err(zmq::Error::ETERM));
        assert_eq!(push.get_linger(), Err(zmq::Error::ETERM));
        assert_eq!(push.set_sndhwm(5), Err(zmq::Error::ETERM));
        assert_eq!(push.get_socket_type(), Err(zmq::Error::ETERM));
        assert_eq!(pair.get_rcvmore(), Err(zmq::Error::ETERM));
        assert_eq!(pair.get_last_endpoint(), Err(zmq::Error::ETERM));
        // New sockets.
        assert_eq!(ctx.socket(zmq::PUSH).err(), Some(zmq::Error::ETERM));

        // destroy returns once every socket is closed.
        drop((pair, peer, push));
        assert_eq!(destroyer.join().unwrap(), Ok(()));
        assert_eq!(ctx.socket(zmq::PAIR).err(), Some(zmq::Error::ETERM));
    });
}

#[test]
fn destroy_without_sockets_returns_at_once_and_may_be_repeated() {
    bounded(|| {
        let mut ctx = zmq::Context::new();
        let socket = ctx.socket(zmq::PAIR).unwrap();
        drop(socket);
        ctx.destroy().unwrap();
        ctx.destroy().unwrap();
        let mut clone = ctx.clone();
        clone.destroy().unwrap();
        assert_eq!(clone.socket(zmq::PAIR).err(), Some(zmq::Error::ETERM));
    });
}

#[test]
fn destroying_one_handle_terminates_every_clone() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let mut handle = ctx.clone();
        handle.destroy().unwrap();
        assert_eq!(ctx.socket(zmq::PUSH).err(), Some(zmq::Error::ETERM));
    });
}

#[test]
fn messages_in_a_pipe_outlive_their_sender() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let addr = endpoint("termination-outlive-sender");
        let pull = bound(&ctx, zmq::PULL, &addr);
        let push = connected(&ctx, zmq::PUSH, &addr);
        for i in 0..1000u32 {
            push.send(&i.to_le_bytes()[..], 0).unwrap();
        }
        push.send_multipart(["last", "words"], 0).unwrap();
        drop(push);
        for i in 0..1000u32 {
            assert_eq!(recv(&pull), i.to_le_bytes());
        }
        assert_eq!(
            pull.recv_multipart(0).unwrap(),
            [b"last".to_vec(), b"words".to_vec()]
        );
        assert_nothing_waiting(&pull);
    });
}

#[test]
fn messages_in_a_pair_outlive_their_sender() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let addr = endpoint("termination-pair-outlive");
        let a = bound(&ctx, zmq::PAIR, &addr);
        let b = connected(&ctx, zmq::PAIR, &addr);
        for i in 0..100u8 {
            b.send(&[i][..], 0).unwrap();
        }
        drop(b);
        for i in 0..100u8 {
            assert_eq!(recv(&a), [i]);
        }
        assert_nothing_waiting(&a);
        // The peer is gone: nothing to send to.
        assert_eq!(a.send("gone", zmq::DONTWAIT), Err(zmq::Error::EAGAIN));
    });
}

#[test]
fn dropping_the_context_with_live_sockets_is_fine() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let addr = endpoint("termination-drop-context");
        let pull = bound(&ctx, zmq::PULL, &addr);
        let push = connected(&ctx, zmq::PUSH, &addr);
        drop(ctx);
        // The sockets keep their context alive.
        push.send("still here", 0).unwrap();
        assert_eq!(recv(&pull), b"still here");
        let late = connected(pull.context(), zmq::PUSH, &addr);
        late.send("late", 0).unwrap();
        assert_eq!(recv(&pull), b"late");
        drop(pull);
        drop(push);
        drop(late);
    });
}

#[test]
fn a_socket_may_be_closed_in_another_thread_than_its_creator() {
    bounded(|| {
        let mut ctx = zmq::Context::new();
        let addr = endpoint("termination-close-elsewhere");
        let pull = bound(&ctx, zmq::PULL, &addr);
        let push = connected(&ctx, zmq::PUSH, &addr);
        push.send("moved", 0).unwrap();
        let received = thread::spawn(move || recv(&pull)).join().unwrap();
        assert_eq!(received, b"moved");
        thread::spawn(move || drop(push)).join().unwrap();
        ctx.destroy().unwrap();
    });
}

/// Connects a PUSH with `linger` (None = the default) to a name nobody has
/// bound, queues three messages, closes it, then binds: returns how many
/// messages the late binder receives.
fn delivered_after_close(name: &str, linger: Option<i32>) -> usize {
    let ctx = zmq::Context::new();
    let addr = endpoint(name);
    let push = ctx.socket(zmq::PUSH).unwrap();
    if let Some(linger) = linger {
        push.set_linger(linger).unwrap();
    }
    push.connect(&addr).unwrap();
    for i in 0..3u8 {
        push.send(&[i][..], 0).unwrap();
    }
    drop(push);
    let pull = bound(&ctx, zmq::PULL, &addr);
    let mut got = 0;
    while let Ok(body) = pull.recv_bytes(zmq::DONTWAIT) {
        assert_eq!(body, [got as u8], "in order");
        got += 1;
    }
    got
}

#[test]
fn default_linger_keeps_pending_messages_for_a_later_bind() {
    bounded(|| {
        assert_eq!(
            zmq::Context::new().socket(zmq::PUSH).unwrap().get_linger(),
            Ok(-1)
        );
        assert_eq!(delivered_after_close("termination-linger-default", None), 3);
        assert_eq!(
            delivered_after_close("termination-linger-positive", Some(1000)),
            3
        );
    });
}

#[test]
fn linger_zero_drops_pending_messages() {
    bounded(|| {
        assert_eq!(delivered_after_close("termination-linger-zero", Some(0)), 0);
    });
}

#[test]
fn destroy_does_not_wait_for_queued_messages() {
    bounded(|| {
        let mut ctx = zmq::Context::new();
        let addr = endpoint("termination-queued-at-destroy");
        let pull = bound(&ctx, zmq::PULL, &addr);
        let push = connected(&ctx, zmq::PUSH, &addr);
        for _ in 0..100 {
            push.send("unread", 0).unwrap();
        }
        // Pending connection with default linger, never bound.
        let pending = socket(&ctx, zmq::PUSH);
        pending
            .connect(&endpoint("termination-never-bound"))
            .unwrap();
        pending.send("never read", 0).unwrap();
        drop((pull, push, pending));
        let start = Instant::now();
        ctx.destroy().unwrap();
        assert!(start.elapsed() < Duration::from_secs(5));
    });
}
