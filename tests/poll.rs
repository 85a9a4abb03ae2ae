//! `zmq::poll` through the public API: level-triggered readiness of sockets,
//! timeouts, wake-ups of a blocked poll by a peer, native descriptors mixed
//! with sockets, and `ETERM` on context termination.
//!
//! A poller in another thread tells the test, through a channel, that it is
//! about to block; whatever the test does next may land before or after the
//! poller sleeps, and both orders must wake it. No sleeps synchronise.

mod common;

use std::io::Write;
use std::os::unix::io::AsRawFd;
use std::os::unix::net::UnixStream;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use common::{bound, bounded, connected, endpoint, fill, recv_str};
use zactor as zmq;

/// Longer than any healthy wait; a lost wake-up fails the test, not the run.
const LONG_MS: i64 = 10_000;

#[test]
fn poll_on_two_pulls_returns_the_ready_one() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let quiet = bound(&ctx, zmq::PULL, &endpoint("poll-two-quiet"));
        let busy = bound(&ctx, zmq::PULL, &endpoint("poll-two-busy"));
        let _quiet_peer = connected(&ctx, zmq::PUSH, &endpoint("poll-two-quiet"));
        let push = connected(&ctx, zmq::PUSH, &endpoint("poll-two-busy"));
        push.send("hello", 0).unwrap();

        let mut items = [
            quiet.as_poll_item(zmq::POLLIN),
            busy.as_poll_item(zmq::POLLIN),
        ];
        assert_eq!(zmq::poll(&mut items, LONG_MS).unwrap(), 1);
        assert!(!items[0].is_readable());
        assert!(items[1].is_readable());
        assert!(items[1].has_socket(&busy) && !items[1].has_socket(&quiet));
        assert_eq!(items[1].get_revents(), zmq::POLLIN);

        // Level-triggered: still ready until the message is taken.
        assert_eq!(zmq::poll(&mut items, 0).unwrap(), 1);
        assert_eq!(recv_str(&busy), "hello");
        assert_eq!(zmq::poll(&mut items, 0).unwrap(), 0);
    });
}

#[test]
fn pollout_on_a_push_with_a_peer() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let lonely = ctx.socket(zmq::PUSH).unwrap();
        assert_eq!(
            lonely.poll(zmq::POLLOUT, 0).unwrap(),
            0,
            "no peer: a send would block"
        );

        let _pull = bound(&ctx, zmq::PULL, &endpoint("poll-pollout"));
        let push = connected(&ctx, zmq::PUSH, &endpoint("poll-pollout"));
        let mut items = [push.as_poll_item(zmq::POLLIN | zmq::POLLOUT)];
        assert_eq!(zmq::poll(&mut items, LONG_MS).unwrap(), 1);
        assert!(items[0].is_writable());
        assert!(!items[0].is_readable(), "a PUSH never receives");
    });
}

#[test]
fn a_blocked_pollout_returns_when_the_peer_makes_room() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let pull = bound(&ctx, zmq::PULL, &endpoint("poll-room"));
        let push = connected(&ctx, zmq::PUSH, &endpoint("poll-room"));
        push.set_sndhwm(4).unwrap();
        pull.set_rcvhwm(4).unwrap();
        let sent = fill(&push, 100_000);
        assert!(sent > 0 && sent < 100_000, "the HWM stops the sender");
        assert_eq!(push.poll(zmq::POLLOUT, 0).unwrap(), 0);

        let (about_to_block, blocking) = mpsc::channel();
        let poller = thread::spawn(move || {
            about_to_block.send(()).unwrap();
            let ready = push.poll(zmq::POLLOUT, LONG_MS).unwrap();
            (ready, push)
        });
        blocking.recv().unwrap();
        for _ in 0..sent {
            pull.recv_bytes(0).unwrap();
        }
        let (ready, _push) = poller.join().unwrap();
        assert_eq!(ready, 1, "room made while polling wakes the poller");
    });
}

#[test]
fn timeout_zero_returns_at_once() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let pull = bound(&ctx, zmq::PULL, &endpoint("poll-zero"));
        let started = Instant::now();
        assert_eq!(pull.poll(zmq::POLLIN, 0).unwrap(), 0);
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "{:?}",
            started.elapsed()
        );
    });
}

#[test]
fn a_timeout_with_nothing_ready_returns_zero_after_it() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let pull = bound(&ctx, zmq::PULL, &endpoint("poll-timeout"));
        let _push = connected(&ctx, zmq::PUSH, &endpoint("poll-timeout"));
        let started = Instant::now();
        let mut items = [pull.as_poll_item(zmq::POLLIN)];
        assert_eq!(zmq::poll(&mut items, 50).unwrap(), 0);
        let waited = started.elapsed();
        assert!(
            waited >= Duration::from_millis(40),
            "returned after {waited:?}"
        );
        assert!(items[0].get_revents().is_empty());

        // The same with a native descriptor in the set (poll(2) does the wait).
        let (_writer, reader) = UnixStream::pair().unwrap();
        let started = Instant::now();
        let mut items = [
            pull.as_poll_item(zmq::POLLIN),
            zmq::PollItem::from_fd(reader.as_raw_fd(), zmq::POLLIN),
        ];
        assert_eq!(zmq::poll(&mut items, 50).unwrap(), 0);
        let waited = started.elapsed();
        assert!(
            waited >= Duration::from_millis(40),
            "returned after {waited:?}"
        );
    });
}

/// What a poller thread reports: the poll's result, whether the socket item
/// was readable, when the poll returned, and the socket (to keep using it).
type PollerReport = (zmq::Result<i32>, bool, Instant, zmq::Socket);

/// Polls `socket` (and `fd`, if given) for POLLIN in a new thread, telling
/// the caller just before it blocks.
fn spawn_poller(
    socket: zmq::Socket,
    fd: Option<UnixStream>,
) -> (mpsc::Receiver<()>, thread::JoinHandle<PollerReport>) {
    let (about_to_block, blocking) = mpsc::channel();
    let poller = thread::spawn(move || {
        let mut items = vec![socket.as_poll_item(zmq::POLLIN)];
        if let Some(fd) = &fd {
            items.push(zmq::PollItem::from_fd(fd.as_raw_fd(), zmq::POLLIN));
        }
        about_to_block.send(()).unwrap();
        let outcome = zmq::poll(&mut items, LONG_MS);
        let returned = Instant::now();
        let readable = items[0].is_readable();
        drop(items);
        (outcome, readable, returned, socket)
    });
    (blocking, poller)
}

#[test]
fn a_blocked_poll_returns_when_a_message_is_sent() {
    bounded(|| {
        for (name, with_fd) in [("poll-wake-park", false), ("poll-wake-fd", true)] {
            let ctx = zmq::Context::new();
            let pull = bound(&ctx, zmq::PULL, &endpoint(name));
            let push = connected(&ctx, zmq::PUSH, &endpoint(name));
            let (_writer, reader) = UnixStream::pair().unwrap();
            let (blocking, poller) = spawn_poller(pull, with_fd.then_some(reader));
            blocking.recv().unwrap();
            let sent = Instant::now();
            push.send("wake up", 0).unwrap();
            let (outcome, readable, returned, pull) = poller.join().unwrap();
            assert_eq!(outcome.unwrap(), 1);
            assert!(readable);
            let latency = returned.duration_since(sent);
            println!("{name}: poll returned {latency:?} after the send");
            assert!(latency < Duration::from_secs(1), "{latency:?}");
            assert_eq!(recv_str(&pull), "wake up");
        }
    });
}

#[test]
fn a_native_descriptor_mixes_with_sockets() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let pull = bound(&ctx, zmq::PULL, &endpoint("poll-fd"));
        let (mut writer, reader) = UnixStream::pair().unwrap();
        let fd = reader.as_raw_fd();

        let mut items = [
            pull.as_poll_item(zmq::POLLIN),
            zmq::PollItem::from_fd(fd, zmq::POLLIN),
        ];
        assert_eq!(zmq::poll(&mut items, 0).unwrap(), 0);
        writer.write_all(b"x").unwrap();
        assert_eq!(zmq::poll(&mut items, LONG_MS).unwrap(), 1);
        assert!(items[1].is_readable() && items[1].has_fd(fd) && !items[1].has_fd(fd + 1));
        assert!(!items[0].is_readable() && !items[0].has_fd(fd));

        // A write while another thread is blocked wakes it too.
        let (mut writer, reader) = UnixStream::pair().unwrap();
        let (blocking, poller) = spawn_poller(pull, Some(reader));
        blocking.recv().unwrap();
        writer.write_all(b"y").unwrap();
        let (outcome, socket_readable, _, _pull) = poller.join().unwrap();
        assert_eq!(outcome.unwrap(), 1);
        assert!(!socket_readable, "only the descriptor is ready");
    });
}

#[test]
fn destroy_makes_a_blocked_poll_return_eterm() {
    bounded(|| {
        for (name, with_fd) in [("poll-eterm-park", false), ("poll-eterm-fd", true)] {
            let mut ctx = zmq::Context::new();
            let pull = bound(&ctx, zmq::PULL, &endpoint(name));
            let (_writer, reader) = UnixStream::pair().unwrap();
            let (about_to_block, blocking) = mpsc::channel();
            let poller = thread::spawn(move || {
                let mut items = vec![pull.as_poll_item(zmq::POLLIN)];
                if with_fd {
                    items.push(zmq::PollItem::from_fd(reader.as_raw_fd(), zmq::POLLIN));
                }
                about_to_block.send(()).unwrap();
                let outcome = zmq::poll(&mut items, LONG_MS);
                let again = pull.poll(zmq::POLLIN, 0);
                // Dropping the socket here lets `destroy` return.
                (outcome, again)
            });
            blocking.recv().unwrap();
            ctx.destroy().unwrap();
            let (outcome, again) = poller.join().unwrap();
            assert_eq!(outcome, Err(zmq::Error::ETERM), "{name}");
            assert_eq!(
                again,
                Err(zmq::Error::ETERM),
                "{name}: and every later poll"
            );
        }
    });
}

/// Polls `socket` for POLLIN (with a native descriptor in the set when
/// `fd` is given) and receives the message; fails on a lost wake-up.
fn poll_then_recv(socket: &zmq::Socket, fd: Option<&UnixStream>) -> Vec<u8> {
    let mut items = vec![socket.as_poll_item(zmq::POLLIN)];
    if let Some(fd) = fd {
        items.push(zmq::PollItem::from_fd(fd.as_raw_fd(), zmq::POLLIN));
    }
    assert_eq!(zmq::poll(&mut items, LONG_MS).unwrap(), 1, "lost wake-up");
    assert!(items[0].is_readable());
    socket.recv_bytes(zmq::DONTWAIT).unwrap()
}

#[test]
fn ping_pong_through_poll_never_loses_a_wake_up() {
    bounded(|| {
        for (name, with_fd) in [("poll-pingpong-park", false), ("poll-pingpong-fd", true)] {
            const ROUNDS: u32 = 2_000;
            let ctx = zmq::Context::new();
            let ping = endpoint(&format!("{name}-ping"));
            let pong = endpoint(&format!("{name}-pong"));
            let here_in = bound(&ctx, zmq::PULL, &pong);
            let here_out = bound(&ctx, zmq::PUSH, &ping);
            let there_in = connected(&ctx, zmq::PULL, &ping);
            let there_out = connected(&ctx, zmq::PUSH, &pong);
            let echo = thread::spawn(move || {
                let (_writer, reader) = UnixStream::pair().unwrap();
                for _ in 0..ROUNDS {
                    let body = poll_then_recv(&there_in, with_fd.then_some(&reader));
                    there_out.send(body, 0).unwrap();
                }
            });
            let (_writer, reader) = UnixStream::pair().unwrap();
            let started = Instant::now();
            for round in 0..ROUNDS {
                here_out.send(&round.to_le_bytes()[..], 0).unwrap();
                let body = poll_then_recv(&here_in, with_fd.then_some(&reader));
                assert_eq!(body, round.to_le_bytes());
            }
            echo.join().unwrap();
            println!("{name}: {:?} per round trip", started.elapsed() / ROUNDS);
        }
    });
}

/// CPU time (user + system) the calling thread has used, in clock ticks
/// (1/100 s on Linux), from /proc/thread-self/stat.
fn thread_cpu_ticks() -> u64 {
    let stat =
        std::fs::read_to_string("/proc/thread-self/stat").expect("read /proc/thread-self/stat");
    // Fields after the parenthesised command name; utime and stime are the
    // 14th and 15th fields of the whole line, the 12th and 13th after it.
    let after_name = &stat[stat.rfind(')').expect("stat has a command name") + 2..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let utime: u64 = fields[11].parse().expect("utime");
    let stime: u64 = fields[12].parse().expect("stime");
    utime + stime
}

#[test]
fn an_idle_poll_burns_no_cpu() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let addr = endpoint("poll-idle-cpu");
        let pull = bound(&ctx, zmq::PULL, &addr);
        let _push = connected(&ctx, zmq::PUSH, &addr);
        let (reader, _writer) = UnixStream::pair().unwrap();
        for with_fd in [false, true] {
            let before = thread_cpu_ticks();
            let start = Instant::now();
            let mut items = vec![pull.as_poll_item(zmq::POLLIN)];
            if with_fd {
                items.push(zmq::PollItem::from_fd(reader.as_raw_fd(), zmq::POLLIN));
            }
            assert_eq!(zmq::poll(&mut items, 1000).unwrap(), 0);
            let waited = start.elapsed();
            let used = thread_cpu_ticks() - before;
            println!("idle poll (fd: {with_fd}) for {waited:?} used {used} ticks of CPU");
            assert!(waited >= Duration::from_millis(900));
            // 1 s blocked: a busy loop would use ~100 ticks; allow 5 (50 ms)
            // for the initial spin and the clock's granularity.
            assert!(used <= 5, "idle poll used {used} ticks in {waited:?}");
        }
    });
}
