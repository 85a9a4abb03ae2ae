//! The actor protocol: the start handshake, `$TERM` shutdown, an actor
//! that ends before it is ready, and a parent blocked on a full pipe when
//! its actor ends. The actor's own code runs (the shared lifecycle, its
//! watcher-based wait, the parent's and the thread's protocol steps) over
//! real pipe ends and mailboxes; see `src/actor/loom_api.rs`.
//!
//! What loom checks: no lost wake-up (a thread parked forever is a
//! deadlock), the exit is always written when the parent learns of the end,
//! and every `Arc` is freed (no leak, no use after free).
//!
//! Each model was checked against a broken protocol (see DESIGN.md,
//! "Actors"): without the parent's wake-up in `Lifecycle::finish`, or with
//! the watcher registered after the first check in `block_on`, loom finds
//! the deadlock; with `ended` stored before the exit, or the end frame sent
//! before `finish`, it finds the parent reading no exit.
#![cfg(zactor_loom)]

use loom::thread;
use zactor::__loom::{await_end, await_ready, line_pair, signal_frame, Lifecycle};
use zactor::actor::{Exit, TERM};
use zactor::Error;
use zactor_loom_tests::check;

/// The actor's token (its end frame's tail).
const TOKEN: u64 = 7;

/// The whole life: ready, `$TERM`, the end frame, the join.
#[test]
fn ready_then_term() {
    check(|| {
        let (parent, actor) = line_pair(1);
        let life = Lifecycle::new(&parent);
        let child = {
            let life = life.clone();
            thread::spawn(move || {
                actor.send(&signal_frame(0)).unwrap();
                let term = actor.recv().unwrap();
                assert_eq!(&term[..], TERM.as_bytes());
                life.conclude(Exit::Returned, &actor, TOKEN);
            })
        };
        assert!(await_ready(&parent, TOKEN).unwrap(), "ready");
        life.parent_send(&parent, TERM.as_bytes()).unwrap();
        await_end(&parent, TOKEN).unwrap();
        assert_eq!(life.exit(), Some(Exit::Returned));
        child.join().unwrap();
    });
}

/// The body ends (here: panics) before it signals: the parent's start
/// sees the end frame, never hangs, and finds the exit.
#[test]
fn an_actor_that_ends_before_ready() {
    check(|| {
        let (parent, actor) = line_pair(1);
        let life = Lifecycle::new(&parent);
        let child = {
            let life = life.clone();
            thread::spawn(move || {
                life.conclude(Exit::Panicked("early".into()), &actor, TOKEN);
            })
        };
        assert!(!await_ready(&parent, TOKEN).unwrap(), "ended first");
        assert_eq!(life.exit(), Some(Exit::Panicked("early".into())));
        child.join().unwrap();
    });
}

/// Both directions full: the parent blocks sending, the actor ends without
/// reading and blocks sending its end frame. Only the lifecycle's wake-up
/// can free the parent, which then drains the pipe and frees the actor.
#[test]
fn a_parent_blocked_on_a_full_pipe_learns_of_the_end() {
    check(|| {
        let (parent, actor) = line_pair(1);
        assert!(parent.try_send(b"down"), "room for one");
        let life = Lifecycle::new(&parent);
        let child = {
            let life = life.clone();
            thread::spawn(move || {
                assert!(actor.try_send(b"up"), "room for one");
                life.conclude(Exit::Returned, &actor, TOKEN);
            })
        };
        assert_eq!(
            life.parent_send(&parent, b"more"),
            Err(Error::ENOTCONN),
            "the actor never reads"
        );
        assert!(life.ended());
        assert_eq!(life.exit(), Some(Exit::Returned), "exit before ENOTCONN");
        // What the actor sent, then its end frame.
        assert_eq!(&parent.recv().unwrap()[..], b"up");
        await_end(&parent, TOKEN).unwrap();
        child.join().unwrap();
    });
}
