//! Context termination with network connections: `Context::destroy` (and
//! dropping the last context handle) waits for what closed sockets queued to
//! be flushed, within each socket's LINGER, as libzmq's `zmq_ctx_term`; and
//! several I/O threads (`set_io_threads`) carry traffic and stop cleanly.

mod common;

use std::sync::mpsc;
use std::time::Duration;

use common::{bounded, recv_str, socket};
use zactor as zmq;

/// A PULL bound in its own context (the peer that outlives the other).
fn far_pull(ctx: &zmq::Context, rcvhwm: i32) -> (zmq::Socket, String) {
    let pull = socket(ctx, zmq::PULL);
    pull.set_rcvhwm(rcvhwm).unwrap();
    pull.bind("tcp://127.0.0.1:*").unwrap();
    let endpoint = pull.get_last_endpoint().unwrap().unwrap();
    (pull, endpoint)
}

/// A PUSH in `near` (SNDHWM 0, `linger` if given) connected to `pull`,
/// with one message through, so the connection is up.
fn connected_push(
    near: &zmq::Context,
    pull: &zmq::Socket,
    endpoint: &str,
    linger: Option<i32>,
) -> zmq::Socket {
    let push = socket(near, zmq::PUSH);
    push.set_sndhwm(0).unwrap();
    if let Some(linger) = linger {
        push.set_linger(linger).unwrap();
    }
    push.connect(endpoint).unwrap();
    push.send("first", 0).unwrap();
    assert_eq!(recv_str(pull), "first");
    push
}

/// Far more than the kernel's buffers hold: 2,000 bodies of 64 KiB.
fn flood(push: &zmq::Socket) {
    let body = vec![0u8; 64 * 1024];
    for _ in 0..2000 {
        push.send(&body[..], 0).unwrap();
    }
}

/// Destroys `near` on another thread; the receiver hears when it returned.
fn destroy_in_background(mut near: zmq::Context) -> mpsc::Receiver<()> {
    let (done, destroyed) = mpsc::channel();
    std::thread::spawn(move || {
        near.destroy().unwrap();
        done.send(()).unwrap();
    });
    destroyed
}

#[test]
fn destroy_flushes_what_closed_sockets_queued() {
    bounded(|| {
        let far = zmq::Context::new();
        let (pull, endpoint) = far_pull(&far, 10);
        let near = zmq::Context::new();
        const MESSAGES: usize = 20_000;
        let push = connected_push(&near, &pull, &endpoint, None);
        for i in 0..MESSAGES {
            push.send(format!("{i}").as_str(), 0).unwrap();
        }
        drop(push);
        // The PULL reads slowly (RCVHWM 10): most messages are still queued
        // on our side when destroy starts, and destroy must wait for them.
        let destroyed = destroy_in_background(near);
        for i in 0..MESSAGES {
            assert_eq!(recv_str(&pull), format!("{i}"), "message {i}");
        }
        destroyed
            .recv_timeout(Duration::from_secs(10))
            .expect("destroy returns once everything is flushed");
    });
}

#[test]
fn destroy_gives_up_a_flush_after_linger() {
    bounded(|| {
        let far = zmq::Context::new();
        let (pull, endpoint) = far_pull(&far, 1);
        let near = zmq::Context::new();
        let push = connected_push(&near, &pull, &endpoint, Some(200));
        flood(&push); // to a reader that stops
        drop(push);
        destroy_in_background(near)
            .recv_timeout(Duration::from_secs(10))
            .expect("destroy returns once LINGER runs out");
        drop(pull);
    });
}

#[test]
fn linger_zero_destroy_discards_at_once() {
    bounded(|| {
        let far = zmq::Context::new();
        let (pull, endpoint) = far_pull(&far, 1);
        let mut near = zmq::Context::new();
        let push = connected_push(&near, &pull, &endpoint, Some(0));
        flood(&push);
        drop(push);
        near.destroy().unwrap();
        drop(pull);
    });
}

#[test]
fn four_io_threads_carry_many_connections_and_count_every_message() {
    bounded(|| {
        let mut ctx = zmq::Context::new();
        ctx.set_io_threads(4).unwrap();
        assert_eq!(ctx.get_io_threads().unwrap(), 4);
        let pull = socket(&ctx, zmq::PULL);
        pull.bind("tcp://127.0.0.1:*").unwrap();
        let endpoint = pull.get_last_endpoint().unwrap().unwrap();
        const SENDERS: usize = 8;
        const EACH: usize = 20_000;
        let senders: Vec<_> = (0..SENDERS)
            .map(|s| {
                let ctx = ctx.clone();
                let endpoint = endpoint.clone();
                std::thread::spawn(move || {
                    let push = socket(&ctx, zmq::PUSH);
                    push.connect(&endpoint).unwrap();
                    for i in 0..EACH {
                        push.send(format!("{s} {i}").as_str(), 0).unwrap();
                    }
                })
            })
            .collect();
        let mut next = [0usize; SENDERS];
        for _ in 0..SENDERS * EACH {
            let text = recv_str(&pull);
            let (s, i) = text.split_once(' ').unwrap();
            let (s, i): (usize, usize) = (s.parse().unwrap(), i.parse().unwrap());
            assert_eq!(i, next[s], "sender {s} in order");
            next[s] += 1;
        }
        assert!(next.iter().all(|&n| n == EACH));
        for sender in senders {
            sender.join().unwrap();
        }
        drop(pull);
        ctx.destroy().unwrap();
    });
}

/// A unique ipc endpoint in the temp directory.
fn ipc_endpoint(name: &str) -> String {
    let path = std::env::temp_dir().join(format!("zactor-shutdown-{name}-{}", std::process::id()));
    let _ = std::fs::remove_file(&path);
    format!("ipc://{}", path.display())
}

#[test]
fn messages_queued_before_the_peer_exists_still_go_after_close() {
    bounded(|| {
        let endpoint = ipc_endpoint("late-peer");
        let near = zmq::Context::new();
        let push = socket(&near, zmq::PUSH);
        push.connect(&endpoint).unwrap();
        for i in 0..100 {
            push.send(format!("{i}").as_str(), 0).unwrap();
        }
        drop(push);
        // LINGER -1: destroy waits for a peer to take them, as libzmq does.
        let destroyed = destroy_in_background(near);
        let far = zmq::Context::new();
        let pull = socket(&far, zmq::PULL);
        pull.bind(&endpoint).unwrap();
        for i in 0..100 {
            assert_eq!(recv_str(&pull), format!("{i}"));
        }
        destroyed
            .recv_timeout(Duration::from_secs(10))
            .expect("destroy returns once they are sent");
    });
}

#[test]
fn linger_bounds_the_wait_for_a_peer_that_never_comes() {
    bounded(|| {
        let endpoint = ipc_endpoint("no-peer");
        let near = zmq::Context::new();
        let push = socket(&near, zmq::PUSH);
        push.set_linger(100).unwrap();
        push.connect(&endpoint).unwrap();
        push.send("lost", 0).unwrap();
        drop(push);
        destroy_in_background(near)
            .recv_timeout(Duration::from_secs(10))
            .expect("destroy returns once LINGER runs out");
    });
}
