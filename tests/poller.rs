//! `zactor::Poller`, the persistent poll set: tokens, level-triggered
//! readiness, wake-ups from other threads, descriptors mixed with sockets,
//! modify/remove, `ETERM`, and a thousand idle members beside a busy one
//! with every message counted.
//!
//! A waiting thread tells the test through a channel that it is about to
//! wait; whatever happens next may land before or after it sleeps, and
//! both orders must wake it. No sleeps synchronise.

mod common;

use std::io::{Read, Write};
use std::os::unix::io::AsRawFd;
use std::os::unix::net::UnixStream;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use common::{bound, bounded, connected, endpoint, recv_str};
use zactor as zmq;

const LONG_MS: i64 = 10_000;

fn tokens(events: &[zmq::PollerEvent]) -> Vec<usize> {
    let mut tokens: Vec<usize> = events.iter().map(|e| e.token).collect();
    tokens.sort_unstable();
    tokens
}

#[test]
fn reports_ready_members_by_token_level_triggered() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let quiet = bound(&ctx, zmq::PULL, &endpoint("poller-lt-quiet"));
        let busy = bound(&ctx, zmq::PULL, &endpoint("poller-lt-busy"));
        let _quiet_peer = connected(&ctx, zmq::PUSH, &endpoint("poller-lt-quiet"));
        let push = connected(&ctx, zmq::PUSH, &endpoint("poller-lt-busy"));
        let mut poller = zmq::Poller::new();
        poller.add(&quiet, zmq::POLLIN, 1).unwrap();
        poller.add(&busy, zmq::POLLIN, 2).unwrap();
        assert_eq!(poller.len(), 2);
        assert_eq!(poller.add(&busy, zmq::POLLIN, 3), Err(zmq::Error::EINVAL));

        let mut events = Vec::new();
        assert_eq!(poller.wait(&mut events, 0).unwrap(), 0, "nothing yet");
        push.send("a", 0).unwrap();
        push.send("b", 0).unwrap();
        assert_eq!(poller.wait(&mut events, LONG_MS).unwrap(), 1);
        assert_eq!(
            events,
            vec![zmq::PollerEvent {
                token: 2,
                events: zmq::POLLIN
            }]
        );
        // Level-triggered: still ready until drained.
        assert_eq!(poller.wait(&mut events, 0).unwrap(), 1);
        assert_eq!(recv_str(&busy), "a");
        assert_eq!(poller.wait(&mut events, 0).unwrap(), 1);
        assert_eq!(recv_str(&busy), "b");
        assert_eq!(poller.wait(&mut events, 0).unwrap(), 0);
        // And ready again on the next message.
        push.send("c", 0).unwrap();
        assert_eq!(poller.wait(&mut events, LONG_MS).unwrap(), 1);
        assert_eq!(events[0].token, 2);
    });
}

#[test]
fn times_out_with_nothing_ready() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let pull = bound(&ctx, zmq::PULL, &endpoint("poller-timeout"));
        let mut poller = zmq::Poller::new();
        poller.add(&pull, zmq::POLLIN, 0).unwrap();
        let mut events = Vec::new();
        let started = Instant::now();
        assert_eq!(poller.wait(&mut events, 20).unwrap(), 0);
        assert!(started.elapsed() >= Duration::from_millis(20));
        let started = Instant::now();
        let deadline = Instant::now() + Duration::from_micros(300);
        assert_eq!(poller.wait_until(&mut events, Some(deadline)).unwrap(), 0);
        assert!(Instant::now() >= deadline);
        assert!(started.elapsed() < Duration::from_secs(5));
    });
}

#[test]
fn a_blocked_wait_is_woken_by_a_peer_in_another_thread() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let endpoint = endpoint("poller-wake");
        let pull = bound(&ctx, zmq::PULL, &endpoint);
        let push = connected(&ctx, zmq::PUSH, &endpoint);
        let (about_to_wait, waiting) = mpsc::channel();
        let waiter = thread::spawn(move || {
            let mut poller = zmq::Poller::new();
            poller.add(&pull, zmq::POLLIN, 7).unwrap();
            let mut events = Vec::new();
            let mut received = 0;
            for _ in 0..100 {
                about_to_wait.send(()).unwrap();
                assert_eq!(poller.wait(&mut events, LONG_MS).unwrap(), 1);
                assert_eq!(events[0].token, 7);
                while pull.recv_msg(zmq::DONTWAIT).is_ok() {
                    received += 1;
                }
            }
            received
        });
        for i in 0..100 {
            waiting.recv().unwrap();
            push.send(format!("{i}").as_str(), 0).unwrap();
        }
        assert_eq!(waiter.join().unwrap(), 100);
    });
}

#[test]
fn descriptors_and_sockets_together() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let endpoint = endpoint("poller-fds");
        let pull = bound(&ctx, zmq::PULL, &endpoint);
        let push = connected(&ctx, zmq::PUSH, &endpoint);
        let (mut writer, mut reader) = UnixStream::pair().unwrap();
        let mut poller = zmq::Poller::new();
        poller.add(&pull, zmq::POLLIN, 1).unwrap();
        poller.add_fd(reader.as_raw_fd(), zmq::POLLIN, 2).unwrap();
        assert_eq!(
            poller.add_fd(reader.as_raw_fd(), zmq::POLLIN, 3),
            Err(zmq::Error::EINVAL)
        );
        let mut events = Vec::new();
        assert_eq!(poller.wait(&mut events, 0).unwrap(), 0);

        writer.write_all(b"x").unwrap();
        assert_eq!(poller.wait(&mut events, LONG_MS).unwrap(), 1);
        assert_eq!(tokens(&events), vec![2]);
        let mut byte = [0u8; 1];
        reader.read_exact(&mut byte).unwrap();

        // A socket wakes a poller sleeping in poll(2), from another thread.
        let (about_to_wait, waiting) = mpsc::channel::<()>();
        let sender = thread::spawn(move || {
            waiting.recv().unwrap();
            push.send("m", 0).unwrap();
            push
        });
        about_to_wait.send(()).unwrap();
        assert_eq!(poller.wait(&mut events, LONG_MS).unwrap(), 1);
        assert_eq!(tokens(&events), vec![1]);
        let _push = sender.join().unwrap();

        writer.write_all(b"y").unwrap();
        assert_eq!(poller.wait(&mut events, LONG_MS).unwrap(), 2);
        assert_eq!(tokens(&events), vec![1, 2]);

        poller.remove_fd(reader.as_raw_fd()).unwrap();
        assert_eq!(poller.wait(&mut events, 0).unwrap(), 1);
        assert_eq!(tokens(&events), vec![1]);
        assert_eq!(
            poller.remove_fd(reader.as_raw_fd()),
            Err(zmq::Error::EINVAL)
        );
    });
}

#[test]
fn modify_and_remove_change_what_is_reported() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let endpoint = endpoint("poller-modify");
        let pair_a = bound(&ctx, zmq::PAIR, &endpoint);
        let pair_b = connected(&ctx, zmq::PAIR, &endpoint);
        let mut poller = zmq::Poller::new();
        poller.add(&pair_a, zmq::POLLIN, 1).unwrap();
        let mut events = Vec::new();
        assert_eq!(poller.wait(&mut events, 0).unwrap(), 0);
        poller.modify(&pair_a, zmq::POLLIN | zmq::POLLOUT).unwrap();
        assert_eq!(poller.wait(&mut events, 0).unwrap(), 1);
        assert_eq!(events[0].events, zmq::POLLOUT);
        pair_b.send("x", 0).unwrap();
        assert_eq!(poller.wait(&mut events, 0).unwrap(), 1);
        assert_eq!(events[0].events, zmq::POLLIN | zmq::POLLOUT);
        poller.remove(&pair_a).unwrap();
        assert!(poller.is_empty());
        assert_eq!(poller.remove(&pair_a), Err(zmq::Error::EINVAL));
        assert_eq!(poller.wait(&mut events, 0).unwrap(), 0);
    });
}

#[test]
fn pollout_follows_the_applications_own_sends() {
    bounded(|| {
        // REQ: writable, then not (awaiting its reply), then writable again
        // once the reply is read: the last change comes with no command.
        let ctx = zmq::Context::new();
        let endpoint = endpoint("poller-pollout");
        let rep = bound(&ctx, zmq::REP, &endpoint);
        let req = connected(&ctx, zmq::REQ, &endpoint);
        let mut poller = zmq::Poller::new();
        poller.add(&req, zmq::POLLOUT | zmq::POLLIN, 0).unwrap();
        let mut events = Vec::new();
        assert_eq!(poller.wait(&mut events, 0).unwrap(), 1);
        assert_eq!(events[0].events, zmq::POLLOUT);
        req.send("ping", 0).unwrap();
        assert_eq!(poller.wait(&mut events, 0).unwrap(), 0);
        assert_eq!(recv_str(&rep), "ping");
        rep.send("pong", 0).unwrap();
        assert_eq!(poller.wait(&mut events, LONG_MS).unwrap(), 1);
        assert_eq!(events[0].events, zmq::POLLIN);
        assert_eq!(recv_str(&req), "pong");
        assert_eq!(poller.wait(&mut events, 0).unwrap(), 1);
        assert_eq!(events[0].events, zmq::POLLOUT);
    });
}

#[test]
fn a_blocked_wait_returns_eterm_when_the_context_ends() {
    bounded(|| {
        let mut ctx = zmq::Context::new();
        let pull = bound(&ctx, zmq::PULL, &endpoint("poller-eterm"));
        let (about_to_wait, waiting) = mpsc::channel();
        let waiter = thread::spawn(move || {
            let mut poller = zmq::Poller::new();
            poller.add(&pull, zmq::POLLIN, 0).unwrap();
            about_to_wait.send(()).unwrap();
            let mut events = Vec::new();
            let result = poller.wait(&mut events, -1);
            drop(poller);
            drop(pull);
            result
        });
        waiting.recv().unwrap();
        ctx.destroy().unwrap();
        assert_eq!(waiter.join().unwrap(), Err(zmq::Error::ETERM));
    });
}

#[test]
fn a_thousand_idle_members_and_a_busy_one_lose_nothing() {
    bounded(|| {
        const MESSAGES: usize = 20_000;
        let ctx = zmq::Context::new();
        let idle: Vec<zmq::Socket> = (0..1000)
            .map(|i| bound(&ctx, zmq::PULL, &endpoint(&format!("poller-idle-{i}"))))
            .collect();
        let endpoint = endpoint("poller-busy");
        let busy = bound(&ctx, zmq::PULL, &endpoint);
        let push = connected(&ctx, zmq::PUSH, &endpoint);
        let sender = thread::spawn(move || {
            for i in 0..MESSAGES {
                push.send(&(i as u64).to_le_bytes()[..], 0).unwrap();
            }
            push
        });
        let mut poller = zmq::Poller::new();
        for (i, socket) in idle.iter().enumerate() {
            poller.add(socket, zmq::POLLIN, i).unwrap();
        }
        poller.add(&busy, zmq::POLLIN, 1000).unwrap();
        let mut events = Vec::new();
        let mut next = 0u64;
        while next < MESSAGES as u64 {
            assert_eq!(poller.wait(&mut events, LONG_MS).unwrap(), 1);
            assert_eq!(events[0].token, 1000);
            // One message per wake-up: the level-triggered poller must
            // report the rest.
            let body = busy.recv_bytes(zmq::DONTWAIT).unwrap();
            assert_eq!(body, next.to_le_bytes());
            next += 1;
        }
        let _push = sender.join().unwrap();
        assert_eq!(poller.wait(&mut events, 0).unwrap(), 0);
    });
}
