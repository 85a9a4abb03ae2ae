//! `Socket::get_fd`: the readiness descriptor other event loops wait on.
//! Level-triggered on input (readable while a message waits), no lost
//! wake-up under a burst arriving while the loop is busy, both through
//! `poll(2)` (one message per wake-up) and through mio (edge-triggered,
//! drained until `EAGAIN`). Every message is counted.

mod common;

use std::os::unix::io::AsRawFd;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use common::{bound, bounded, connected, endpoint};
use zactor as zmq;

const LONG_MS: i64 = 10_000;

/// Whether `fd` is readable right now.
fn readable(fd: i32) -> bool {
    let mut items = [zmq::PollItem::from_fd(fd, zmq::POLLIN)];
    zmq::poll(&mut items, 0).unwrap() == 1
}

#[test]
fn readable_exactly_while_a_message_waits() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let endpoint = endpoint("get-fd-level");
        let pull = bound(&ctx, zmq::PULL, &endpoint);
        let push = connected(&ctx, zmq::PUSH, &endpoint);
        let fd = pull.get_fd().unwrap();
        assert_eq!(pull.as_raw_fd(), fd, "one descriptor per socket");
        assert!(!readable(fd));
        for i in 0..3 {
            push.send(format!("{i}").as_str(), 0).unwrap();
        }
        let mut items = [zmq::PollItem::from_fd(fd, zmq::POLLIN)];
        assert_eq!(zmq::poll(&mut items, LONG_MS).unwrap(), 1);
        for i in 0..3 {
            assert!(readable(fd), "level-triggered: message {i} still waits");
            assert_eq!(
                pull.recv_string(zmq::DONTWAIT).unwrap().unwrap(),
                format!("{i}")
            );
        }
        assert!(!readable(fd), "drained: not readable");
        assert_eq!(pull.recv_msg(zmq::DONTWAIT), Err(zmq::Error::EAGAIN));
        push.send("again", 0).unwrap();
        assert_eq!(zmq::poll(&mut items, LONG_MS).unwrap(), 1);
    });
}

#[test]
fn readable_when_the_context_ends() {
    bounded(|| {
        let mut ctx = zmq::Context::new();
        let pull = bound(&ctx, zmq::PULL, &endpoint("get-fd-eterm"));
        let fd = pull.get_fd().unwrap();
        assert!(!readable(fd));
        let (done_tx, done_rx) = mpsc::channel();
        let closer = thread::spawn(move || {
            ctx.destroy().unwrap();
            done_tx.send(()).unwrap();
        });
        let mut items = [zmq::PollItem::from_fd(fd, zmq::POLLIN)];
        assert_eq!(zmq::poll(&mut items, LONG_MS).unwrap(), 1);
        assert_eq!(pull.recv_msg(zmq::DONTWAIT), Err(zmq::Error::ETERM));
        drop(pull);
        done_rx.recv().unwrap();
        closer.join().unwrap();
    });
}

/// A sender thread sends `bursts` bursts of growing size; before each it
/// waits for the receiver's go-ahead, which the receiver gives and then
/// keeps busy (no receiving) for a while, so the burst lands while it is
/// not looking.
fn burst_sender(
    ctx: &zmq::Context,
    endpoint: &str,
    bursts: usize,
) -> (thread::JoinHandle<usize>, mpsc::Sender<()>) {
    let push = connected(ctx, zmq::PUSH, endpoint);
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let sender = thread::spawn(move || {
        let mut sent = 0usize;
        for burst in 0..bursts {
            if go_rx.recv().is_err() {
                break;
            }
            for _ in 0..(burst % 17) + 1 {
                push.send(&(sent as u64).to_le_bytes()[..], 0).unwrap();
                sent += 1;
            }
        }
        sent
    });
    (sender, go_tx)
}

/// Busy work that does not touch the socket.
fn busy(rounds: u32) -> u64 {
    let mut x = 1u64;
    for i in 0..rounds {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(u64::from(i));
    }
    std::hint::black_box(x)
}

#[test]
fn poll2_one_message_per_wake_up_loses_nothing() {
    bounded(|| {
        const BURSTS: usize = 400;
        let ctx = zmq::Context::new();
        let endpoint = endpoint("get-fd-poll2-burst");
        let pull = bound(&ctx, zmq::PULL, &endpoint);
        let fd = pull.get_fd().unwrap();
        let (sender, go) = burst_sender(&ctx, &endpoint, BURSTS);
        let expected: usize = (0..BURSTS).map(|b| (b % 17) + 1).sum();
        let mut received = 0usize;
        let mut bursts_started = 0;
        while received < expected {
            if bursts_started < BURSTS && received == sent_before(bursts_started) {
                go.send(()).unwrap();
                bursts_started += 1;
                busy(20_000);
            }
            let mut items = [zmq::PollItem::from_fd(fd, zmq::POLLIN)];
            assert_eq!(zmq::poll(&mut items, LONG_MS).unwrap(), 1, "lost wake-up");
            // One message per wake-up: the descriptor must stay readable.
            match pull.recv_bytes(zmq::DONTWAIT) {
                Ok(body) => {
                    assert_eq!(body, (received as u64).to_le_bytes());
                    received += 1;
                }
                Err(zmq::Error::EAGAIN) => {} // a spurious wake-up is allowed
                Err(e) => panic!("recv: {e}"),
            }
        }
        drop(go);
        assert_eq!(sender.join().unwrap(), expected);
        assert!(!readable(fd));
    });
}

/// Messages sent before burst number `bursts` starts.
fn sent_before(bursts: usize) -> usize {
    (0..bursts).map(|b| (b % 17) + 1).sum()
}

#[test]
fn mio_edge_triggered_drain_loses_nothing() {
    use mio::unix::SourceFd;
    use mio::{Events, Interest, Poll, Token};

    bounded(|| {
        const BURSTS: usize = 400;
        let ctx = zmq::Context::new();
        let endpoint = endpoint("get-fd-mio-burst");
        let pull = bound(&ctx, zmq::PULL, &endpoint);
        let fd = pull.get_fd().unwrap();
        let mut poll = Poll::new().unwrap();
        poll.registry()
            .register(&mut SourceFd(&fd), Token(0), Interest::READABLE)
            .unwrap();
        let mut events = Events::with_capacity(8);
        let (sender, go) = burst_sender(&ctx, &endpoint, BURSTS);
        let expected = sent_before(BURSTS);
        let mut received = 0usize;
        let mut bursts_started = 0;
        while received < expected {
            if bursts_started < BURSTS && received == sent_before(bursts_started) {
                go.send(()).unwrap();
                bursts_started += 1;
                busy(20_000);
            }
            poll.poll(&mut events, Some(Duration::from_secs(10)))
                .unwrap();
            assert!(!events.is_empty(), "lost wake-up");
            // Edge-triggered: receive until EAGAIN.
            loop {
                match pull.recv_bytes(zmq::DONTWAIT) {
                    Ok(body) => {
                        assert_eq!(body, (received as u64).to_le_bytes());
                        received += 1;
                    }
                    Err(zmq::Error::EAGAIN) => break,
                    Err(e) => panic!("recv: {e}"),
                }
            }
        }
        drop(go);
        assert_eq!(sender.join().unwrap(), expected);
    });
}
