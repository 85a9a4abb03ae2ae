//! Actors (CZMQ's zactor) through the public API: start-up handshake,
//! messages both ways, `$TERM` on drop, an actor that ends early or panics,
//! builder options, `signal`/`wait` on sockets, the shutdown of an actor
//! tree (children before parents) on drop and on context termination, and
//! a hundred thousand actors started and ended in a loop on a busy machine.

mod common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::{Duration, Instant};

use common::actor_tree::{assert_children_first, node, Log};
use common::{bound, bounded, bounded_for, connected, endpoint, recv_str, TIMEOUT_MS};
use zactor as zmq;
use zmq::actor::{Actor, Exit, TERM};

/// The body of an actor that signals ready, then echoes every message
/// (all its parts) until `$TERM`.
fn echo(pipe: &zmq::Socket, _ctx: &zmq::Context) -> zmq::Result<()> {
    pipe.signal(0)?;
    loop {
        let parts = pipe.recv_multipart(0)?;
        if parts.len() == 1 && parts[0] == TERM.as_bytes() {
            return Ok(());
        }
        pipe.send_multipart(parts, 0)?;
    }
}

/// Receives from an actor, failing the test after [`TIMEOUT_MS`] instead
/// of hanging (the actor's socket takes the timeout).
fn timed(actor: &Actor) -> &Actor {
    actor.socket().set_rcvtimeo(TIMEOUT_MS).unwrap();
    actor.socket().set_sndtimeo(TIMEOUT_MS).unwrap();
    actor
}

/// Waits on a PULL socket the test's main thread pushes "go" into: lets an
/// actor block on something other than its pipe.
fn wait_for_go(ctx: &zmq::Context, addr: &str) -> zmq::Result<zmq::Socket> {
    let gate = ctx.socket(zmq::PULL)?;
    gate.set_rcvtimeo(TIMEOUT_MS)?;
    gate.connect(addr)?;
    Ok(gate)
}

#[test]
fn an_actor_moves_between_threads() {
    fn assert_send<T: Send>() {}
    assert_send::<Actor>();
    bounded(|| {
        let ctx = zmq::Context::new();
        let actor = Actor::new(&ctx, echo).unwrap();
        // Started here, used and dropped in another thread.
        thread::spawn(move || {
            timed(&actor).send("moved", 0).unwrap();
            assert_eq!(actor.recv_string(0).unwrap().unwrap(), "moved");
        })
        .join()
        .unwrap();
    });
}

#[test]
fn new_returns_once_the_actor_is_ready() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let set_up = Arc::new(AtomicBool::new(false));
        let flag = set_up.clone();
        let addr = endpoint("actor-ready-service");
        let service_addr = addr.clone();
        let actor = Actor::new(&ctx, move |pipe, ctx| {
            // Set-up the parent may rely on once `new` returns.
            let service = ctx.socket(zmq::REP)?;
            service.bind(&service_addr)?;
            // Sent before the signal: discarded by the handshake, as CZMQ.
            pipe.send("too early", 0)?;
            flag.store(true, Ordering::SeqCst);
            pipe.signal(0)?;
            let request = service.recv_msg(0)?;
            service.send(request, 0)?;
            pipe.recv_msg(0)?;
            Ok(())
        })
        .unwrap();
        assert!(set_up.load(Ordering::SeqCst), "new returned before ready");
        let client = connected(&ctx, zmq::REQ, &addr);
        client.send("ping", 0).unwrap();
        assert_eq!(recv_str(&client), "ping");
        match timed(&actor).recv_bytes(zmq::DONTWAIT) {
            Err(zmq::Error::EAGAIN) => {}
            other => panic!("the pre-ready message leaked through: {other:?}"),
        }
        assert_eq!(actor.exit(), None);
    });
}

#[test]
fn messages_go_both_ways_in_order() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let actor = Actor::new(&ctx, echo).unwrap();
        let actor = timed(&actor);
        for i in 0..1000u32 {
            actor.send(&i.to_le_bytes()[..], 0).unwrap();
            assert_eq!(actor.recv_bytes(0).unwrap(), i.to_le_bytes());
        }
        // A burst, then the replies, multipart included.
        for i in 0..500u32 {
            actor
                .send_multipart([&b"head"[..], &i.to_le_bytes()[..]], 0)
                .unwrap();
        }
        for i in 0..500u32 {
            let parts = actor.recv_multipart(0).unwrap();
            assert_eq!(parts, vec![b"head".to_vec(), i.to_le_bytes().to_vec()]);
        }
        actor.send_str("text", 0).unwrap();
        assert_eq!(actor.recv_string(0).unwrap().unwrap(), "text");
        actor.send_msg(zmq::Message::from("msg"), 0).unwrap();
        let mut msg = zmq::Message::new();
        actor.recv(&mut msg, 0).unwrap();
        assert_eq!(msg.as_str(), Some("msg"));
        assert!(!actor.get_rcvmore().unwrap());
    });
}

#[test]
fn drop_sends_term_and_joins() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let (said, heard) = mpsc::channel();
        let actor = Actor::new(&ctx, move |pipe, _| {
            pipe.signal(0)?;
            let msg = pipe.recv_msg(0)?;
            // The thread is still running when this arrives; it ends after.
            said.send(msg.as_str().map(str::to_owned)).unwrap();
            Ok(())
        })
        .unwrap();
        drop(actor);
        // The drop returned only after the body ran to its end: the sender
        // is gone, so the channel holds the one message and is disconnected.
        assert_eq!(heard.try_recv().unwrap().as_deref(), Some(TERM));
        assert!(heard.try_recv().is_err());
        // Every socket is closed: the context ends at once.
        let mut ctx = ctx;
        ctx.destroy().unwrap();
    });
}

#[test]
fn drop_discards_what_the_actor_still_sends() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let actor = Actor::builder()
            .pipe_hwm(4)
            .spawn(&ctx, |pipe, _| {
                pipe.signal(0)?;
                // Floods a parent that never reads: blocks at the HWM until
                // the drop drains the pipe.
                for i in 0..10_000u32 {
                    pipe.send(&i.to_le_bytes()[..], 0)?;
                }
                loop {
                    if pipe.recv_msg(0)?[..] == *TERM.as_bytes() {
                        return Ok(());
                    }
                }
            })
            .unwrap();
        // A receive timeout on the pipe must not cut the drop's wait short.
        actor.socket().set_rcvtimeo(1).unwrap();
        drop(actor);
    });
}

#[test]
fn an_actor_that_returns_is_reported_after_its_messages() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let actor = Actor::new(&ctx, |pipe, _| {
            pipe.signal(0)?;
            pipe.send("one", 0)?;
            pipe.send_multipart(["two", "parts"], 0)?;
            Ok(())
        })
        .unwrap();
        let actor = timed(&actor);
        assert_eq!(actor.recv_string(0).unwrap().unwrap(), "one");
        assert_eq!(
            actor.recv_multipart(0).unwrap(),
            vec![b"two".to_vec(), b"parts".to_vec()]
        );
        assert_eq!(actor.recv_msg(0).unwrap_err(), zmq::Error::ENOTCONN);
        assert_eq!(
            actor.recv_msg(zmq::DONTWAIT).unwrap_err(),
            zmq::Error::ENOTCONN
        );
        assert_eq!(actor.send("late", 0).unwrap_err(), zmq::Error::ENOTCONN);
        assert_eq!(actor.exit(), Some(Exit::Returned));
        assert_eq!(actor.failure(), None);
    });
}

#[test]
fn a_panic_is_reported_with_its_message() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let actor = Actor::builder()
            .name("doomed")
            .spawn(&ctx, |pipe, _| {
                pipe.signal(0)?;
                let go = pipe.recv_msg(0)?;
                pipe.send("last words", 0)?;
                panic!("boom after {}", go.as_str().unwrap_or("?"));
            })
            .unwrap();
        let actor = timed(&actor);
        actor.send("go", 0).unwrap();
        assert_eq!(actor.recv_string(0).unwrap().unwrap(), "last words");
        // The parent is blocked in this receive when the actor dies.
        assert_eq!(actor.recv_msg(0).unwrap_err(), zmq::Error::ENOTCONN);
        assert_eq!(actor.exit(), Some(Exit::Panicked("boom after go".into())));
        assert_eq!(actor.failure().as_deref(), Some("boom after go"));
        assert_eq!(actor.send("anyone?", 0).unwrap_err(), zmq::Error::ENOTCONN);
        assert_eq!(actor.wait().unwrap_err(), zmq::Error::ENOTCONN);
    });
}

#[test]
fn an_error_is_reported() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let actor = Actor::new(&ctx, |pipe, _| {
            pipe.signal(0)?;
            Err(zmq::Error::EPROTO)
        })
        .unwrap();
        assert_eq!(timed(&actor).recv_msg(0).unwrap_err(), zmq::Error::ENOTCONN);
        assert_eq!(actor.exit(), Some(Exit::Failed(zmq::Error::EPROTO)));
        assert_eq!(actor.failure().as_deref(), Some("Protocol error"));
        assert_eq!(
            actor.exit().unwrap().to_string(),
            "the actor failed: Protocol error"
        );
    });
}

#[test]
fn an_actor_that_ends_before_it_is_ready_fails_new() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let failed = Actor::new(&ctx, |_, _| Err(zmq::Error::EADDRINUSE));
        assert_eq!(failed.unwrap_err(), zmq::Error::EADDRINUSE);
        let returned = Actor::new(&ctx, |pipe, _| pipe.send("never ready", 0));
        assert_eq!(returned.unwrap_err(), zmq::Error::ENOTCONN);
        let panicked = Actor::new(&ctx, |_, _| panic!("in set-up"));
        assert_eq!(panicked.unwrap_err(), zmq::Error::ENOTCONN);
        // Nothing is left behind.
        let mut ctx = ctx;
        ctx.destroy().unwrap();
    });
}

#[test]
fn a_parent_blocked_sending_into_a_full_pipe_learns_of_the_end() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let gate_addr = endpoint("actor-full-pipe-gate");
        let gate = bound(&ctx, zmq::PUSH, &gate_addr);
        let actor = Actor::builder()
            .pipe_hwm(1)
            .spawn(&ctx, move |pipe, ctx| {
                let gate = wait_for_go(ctx, &gate_addr)?;
                pipe.signal(0)?;
                gate.recv_msg(0)?;
                // Ends without ever reading the pipe.
                Ok(())
            })
            .unwrap();
        let mut sent = 0;
        while actor.send("fill", zmq::DONTWAIT).is_ok() {
            sent += 1;
        }
        assert_eq!(sent, 2, "HWM 1 at both ends: two messages in flight");
        let blocked_at = Instant::now();
        // The actor ends while the send below waits for room, or just
        // before it starts: either way the send must fail, not hang.
        let releaser = thread::spawn(move || gate.send("go", 0).unwrap());
        assert_eq!(actor.send("one more", 0).unwrap_err(), zmq::Error::ENOTCONN);
        assert!(blocked_at.elapsed() < Duration::from_secs(5));
        assert_eq!(actor.exit(), Some(Exit::Returned));
        releaser.join().unwrap();
    });
}

#[test]
fn a_poller_is_woken_when_the_actor_dies() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let actor = Actor::new(&ctx, |pipe, _| {
            pipe.signal(0)?;
            pipe.recv_msg(0)?;
            panic!("gone");
        })
        .unwrap();
        let other = ctx.socket(zmq::PULL).unwrap();
        other.bind(&endpoint("actor-poller-other")).unwrap();
        actor.send("die", 0).unwrap();
        let mut items = [
            other.as_poll_item(zmq::POLLIN),
            actor.socket().as_poll_item(zmq::POLLIN),
        ];
        assert_eq!(zmq::poll(&mut items, i64::from(TIMEOUT_MS)).unwrap(), 1);
        assert!(items[1].is_readable());
        assert_eq!(actor.recv_msg(0).unwrap_err(), zmq::Error::ENOTCONN);
        assert_eq!(actor.failure().as_deref(), Some("gone"));
    });
}

#[test]
fn the_pipe_hwm_limits_both_directions() {
    bounded(|| {
        let ctx = zmq::Context::new();
        // A side channel: the actor reports on it while the pipe stays full.
        let side_addr = endpoint("actor-hwm-side");
        let side = bound(&ctx, zmq::PAIR, &side_addr);
        let actor = Actor::builder()
            .pipe_hwm(5)
            .spawn(&ctx, move |pipe, ctx| {
                let side = ctx.socket(zmq::PAIR)?;
                side.set_rcvtimeo(TIMEOUT_MS)?;
                side.connect(&side_addr)?;
                pipe.signal(0)?;
                side.recv_msg(0)?;
                // Fill our direction, then count what the parent queued.
                let mut up = 0u32;
                while pipe.send("up", zmq::DONTWAIT).is_ok() {
                    up += 1;
                }
                let mut queued = 0u32;
                while pipe.recv_msg(zmq::DONTWAIT).is_ok() {
                    queued += 1;
                }
                side.send_multipart([up.to_le_bytes(), queued.to_le_bytes()], 0)?;
                pipe.recv_msg(0)?;
                Ok(())
            })
            .unwrap();
        let actor = timed(&actor);
        let mut down = 0;
        while actor.send("down", zmq::DONTWAIT).is_ok() {
            down += 1;
        }
        assert_eq!(down, 10, "SNDHWM 5 + RCVHWM 5");
        side.send("go", 0).unwrap();
        let report = side.recv_multipart(0).unwrap();
        assert_eq!(report[1], 10u32.to_le_bytes(), "all queued downwards");
        let up = u32::from_le_bytes(report[0][..].try_into().unwrap());
        // Upwards the ready signal took a slot, which the parent has read
        // but may not have credited back yet (credit returns in batches, as
        // libzmq's low-water mark): 9 or 10 fit.
        assert!((9..=10).contains(&up), "{up} messages fitted upwards");
        for _ in 0..up {
            assert_eq!(actor.recv_string(0).unwrap().unwrap(), "up");
        }
        match actor.recv_msg(zmq::DONTWAIT) {
            Err(zmq::Error::EAGAIN) => {}
            other => panic!("more than the actor counted: {other:?}"),
        }
    });
}

#[test]
fn the_thread_has_the_given_name() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let body = |pipe: &zmq::Socket, _: &zmq::Context| {
            pipe.signal(0)?;
            let name = thread::current().name().unwrap_or("<unnamed>").to_owned();
            pipe.send(name.as_str(), 0)?;
            pipe.recv_msg(0)?;
            Ok(())
        };
        let named = Actor::builder()
            .name("zactor-worker-7")
            .stack_size(256 * 1024)
            .spawn(&ctx, body)
            .unwrap();
        assert_eq!(named.name(), Some("zactor-worker-7"));
        assert_eq!(
            timed(&named).recv_string(0).unwrap().unwrap(),
            "zactor-worker-7"
        );
        let unnamed = Actor::new(&ctx, body).unwrap();
        assert_eq!(unnamed.name(), None);
        assert_eq!(
            timed(&unnamed).recv_string(0).unwrap().unwrap(),
            "<unnamed>"
        );
    });
}

#[test]
fn an_actor_can_be_pinned_to_a_core() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let cores = core_affinity::get_core_ids().expect("the affinity mask");
        let core = cores.last().expect("one core at least").id;
        let actor = Actor::builder()
            .pin(core)
            .spawn(&ctx, |pipe, _| {
                pipe.signal(0)?;
                let allowed: Vec<u64> = core_affinity::get_core_ids()
                    .unwrap_or_default()
                    .iter()
                    .map(|c| c.id as u64)
                    .collect();
                pipe.send_multipart(allowed.iter().map(|id| id.to_le_bytes()), 0)?;
                pipe.recv_msg(0)?;
                Ok(())
            })
            .unwrap();
        let allowed = timed(&actor).recv_multipart(0).unwrap();
        assert_eq!(allowed, vec![(core as u64).to_le_bytes().to_vec()]);
        // A core that does not exist: the body never runs.
        let ran = Arc::new(AtomicBool::new(false));
        let flag = ran.clone();
        for absent in [1000, 100_000] {
            let flag = flag.clone();
            let refused = Actor::builder().pin(absent).spawn(&ctx, move |pipe, _| {
                flag.store(true, Ordering::SeqCst);
                pipe.signal(0)
            });
            assert_eq!(refused.unwrap_err(), zmq::Error::EINVAL, "core {absent}");
        }
        assert!(!ran.load(Ordering::SeqCst));
    });
}

#[test]
fn signal_and_wait_on_plain_sockets() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let addr = endpoint("actor-signal-wait");
        let a = bound(&ctx, zmq::PAIR, &addr);
        let b = connected(&ctx, zmq::PAIR, &addr);
        b.send("noise", 0).unwrap();
        // A signal's bytes inside a multipart message are data.
        let lookalike = 0x7766_5544_3322_1109u64.to_ne_bytes();
        b.send_multipart([&lookalike[..], &b"not a signal"[..]], 0)
            .unwrap();
        b.signal(200).unwrap();
        a.signal(0).unwrap();
        assert_eq!(a.wait().unwrap(), 200);
        assert_eq!(b.wait().unwrap(), 0);
        // A signal is an ordinary message to anyone else.
        b.signal(1).unwrap();
        assert_eq!(
            a.recv_bytes(0).unwrap(),
            0x7766_5544_3322_1101u64.to_ne_bytes()
        );
        // Parent and actor use them too.
        let actor = Actor::new(&ctx, |pipe, _| {
            pipe.signal(0)?;
            let status = pipe.wait()?;
            pipe.signal(status + 1)?;
            pipe.recv_msg(0)?;
            Ok(())
        })
        .unwrap();
        timed(&actor).signal(41).unwrap();
        assert_eq!(actor.wait().unwrap(), 42);
        // wait fails like recv: the timeout, then ETERM.
        a.set_rcvtimeo(5).unwrap();
        assert_eq!(a.wait().unwrap_err(), zmq::Error::EAGAIN);
        drop(actor);
        // Set before the destroyer starts: after it, every call is ETERM.
        a.set_rcvtimeo(-1).unwrap();
        let waiter = thread::spawn(move || a.wait());
        let mut ctx2 = ctx.clone();
        let destroyer = thread::spawn(move || ctx2.destroy());
        assert_eq!(waiter.join().unwrap().unwrap_err(), zmq::Error::ETERM);
        drop(b);
        destroyer.join().unwrap().unwrap();
    });
}

/// Where the actors of a tree write their name as they end.
#[test]
fn a_tree_of_actors_ends_children_first_on_drop() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let log = Log::default();
        let root = Actor::builder()
            .name("root")
            .spawn(&ctx, node("root".into(), 2, log.clone()))
            .unwrap();
        assert!(log.lock().unwrap().is_empty(), "everyone is running");
        drop(root);
        assert_children_first(&log);
        let mut ctx = ctx;
        ctx.destroy().unwrap();
    });
}

#[test]
fn a_tree_of_actors_ends_children_first_on_context_termination() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let log = Log::default();
        let root = Actor::builder()
            .name("root")
            .spawn(&ctx, node("root".into(), 2, log.clone()))
            .unwrap();
        let mut ctx2 = ctx.clone();
        let destroyer = thread::spawn(move || ctx2.destroy());
        // Blocked here until the context goes.
        assert_eq!(root.recv_msg(0).unwrap_err(), zmq::Error::ETERM);
        drop(root);
        destroyer.join().unwrap().unwrap();
        assert_children_first(&log);
    });
}

#[test]
fn context_termination_ends_an_actor_that_ignores_term() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let actor = Actor::new(&ctx, |pipe, _| {
            pipe.signal(0)?;
            // Deaf to $TERM; only an error ends it.
            loop {
                pipe.recv_msg(0)?;
            }
        })
        .unwrap();
        let (dropped, done) = mpsc::channel();
        let dropper = thread::spawn(move || {
            drop(actor);
            dropped.send(()).unwrap();
        });
        // The drop waits (CZMQ would wait forever) ...
        assert!(done.recv_timeout(Duration::from_millis(50)).is_err());
        // ... until the context goes.
        let mut ctx = ctx;
        ctx.destroy().unwrap();
        done.recv().unwrap();
        dropper.join().unwrap();
    });
}

#[test]
fn a_hundred_thousand_actors_come_and_go_on_a_busy_machine() {
    // Release builds (the README's `cargo test --release`) do the full
    // count: about 8 s on an idle two-core machine with the load thread
    // taking one core, several times that when other jobs crowd it (hence
    // the long watchdog: what is tested is that every actor starts and
    // ends, with no cliff, not the speed). A debug build does a tenth.
    let count: usize = if cfg!(debug_assertions) {
        10_000
    } else {
        100_000
    };
    bounded_for(Duration::from_secs(300), move || {
        let stop = Arc::new(AtomicBool::new(false));
        let load = {
            let stop = stop.clone();
            thread::spawn(move || {
                let mut spins = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    spins = std::hint::black_box(spins.wrapping_add(1));
                }
                spins
            })
        };
        let ctx = zmq::Context::new();
        let started = Arc::new(AtomicUsize::new(0));
        let ended = Arc::new(AtomicUsize::new(0));
        let begin = Instant::now();
        for i in 0..count {
            let started = started.clone();
            let ended = ended.clone();
            let actor = Actor::new(&ctx, move |pipe, _| {
                started.fetch_add(1, Ordering::Relaxed);
                pipe.signal(0)?;
                let term = pipe.recv_msg(0)?;
                if term[..] == *TERM.as_bytes() {
                    ended.fetch_add(1, Ordering::Relaxed);
                }
                Ok(())
            })
            .unwrap_or_else(|e| panic!("actor {i}: {e}"));
            drop(actor);
        }
        let elapsed = begin.elapsed();
        stop.store(true, Ordering::Relaxed);
        assert!(load.join().unwrap() > 0);
        assert_eq!(started.load(Ordering::Relaxed), count);
        assert_eq!(ended.load(Ordering::Relaxed), count);
        eprintln!(
            "{count} actors in {elapsed:.2?}: {:.1} µs each",
            elapsed.as_secs_f64() * 1e6 / count as f64
        );
        // Every pipe socket is closed: nothing is left to wait for.
        let mut ctx = ctx;
        ctx.destroy().unwrap();
    });
}
