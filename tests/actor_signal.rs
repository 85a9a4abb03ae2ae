//! Ctrl-C and actors: with `zactor::signal` installed, a caught signal ends
//! a three-level tree of actors, children before parents, and nothing
//! hangs. The signal is the module's pretend delivery (`raise_for_test`),
//! exactly what its handler thread does, so the test process is not
//! signalled; it is process-wide, hence this file of its own.

mod common;

use common::actor_tree::{assert_children_first, node, Log};
use common::bounded;
use zactor as zmq;
use zmq::actor::Actor;

#[test]
fn a_caught_signal_ends_a_tree_of_actors_children_first() {
    bounded(|| {
        zmq::signal::install().unwrap();
        let ctx = zmq::Context::new();
        let log = Log::default();
        let root = Actor::builder()
            .name("root")
            .spawn(&ctx, node("root".into(), 2, log.clone()))
            .unwrap();
        assert!(log.lock().unwrap().is_empty(), "everyone is running");
        zmq::signal::raise_for_test();
        assert!(zmq::signal::interrupted());
        // Every actor's blocking recv returns EINTR; each drops (ends and
        // joins) its children, then logs and returns.
        drop(root);
        assert_children_first(&log);
        zmq::signal::reset();
        let mut ctx = ctx;
        ctx.destroy().unwrap();
    });
}
