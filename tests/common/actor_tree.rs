//! A three-level tree of actors that logs each actor's end, and the check
//! that children end before their parents (tests/actor.rs, and
//! tests/actor_signal.rs for Ctrl-C).

use std::sync::{Arc, Mutex};

use zactor as zmq;
use zmq::actor::{Actor, TERM};

pub type Log = Arc<Mutex<Vec<String>>>;

/// An actor of a tree: starts `fanout` children (which start theirs, down
/// to `depth` levels), signals ready once they all are, and ends on
/// `$TERM` or an error; its children end (and log) before it logs.
pub fn node(
    name: String,
    depth: u32,
    log: Log,
) -> impl FnOnce(&zmq::Socket, &zmq::Context) -> zmq::Result<()> + Send + 'static {
    move |pipe, ctx| {
        let mut children = Vec::new();
        if depth > 0 {
            for i in 0..2 {
                let child = format!("{name}.{i}");
                children.push(
                    Actor::builder()
                        .name(child.clone())
                        .spawn(ctx, node(child, depth - 1, log.clone()))?,
                );
            }
        }
        pipe.signal(0)?;
        let outcome = loop {
            match pipe.recv_msg(0) {
                Ok(msg) if msg[..] == *TERM.as_bytes() => break Ok(()),
                Ok(_) => {}
                Err(error) => break Err(error),
            }
        };
        // Dropping the children ends and joins them.
        drop(children);
        log.lock().unwrap().push(name);
        outcome
    }
}

/// Checks that all seven actors of a three-level binary tree logged, each
/// after both its children.
pub fn assert_children_first(log: &Log) {
    let log = log.lock().unwrap();
    assert_eq!(log.len(), 7, "{log:?}");
    let position = |name: &str| {
        log.iter()
            .position(|n| n == name)
            .unwrap_or_else(|| panic!("{name} never ended: {log:?}"))
    };
    for name in log.iter() {
        for i in 0..2 {
            let child = format!("{name}.{i}");
            if name.len() < "root.0.0".len() {
                assert!(
                    position(&child) < position(name),
                    "{child} ended after its parent {name}: {log:?}"
                );
            }
        }
    }
    assert_eq!(log.last().map(String::as_str), Some("root"));
}
