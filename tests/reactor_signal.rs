//! Caught signals: with `zactor::signal` installed, a pretend signal
//! (`raise_for_test`, exactly what the handler thread does on SIGINT) ends
//! a running `Loop` with `EINTR` (a nonstop loop keeps running), and makes
//! a blocking `recv`, `zmq::poll` and `Poller::wait` in another thread
//! return `EINTR`.
//!
//! The pretend signal is process-wide, so the tests of this file take one
//! lock and run one at a time, and each starts and ends with the flag
//! reset. A blocked call cannot announce that it is blocked, only that it
//! is about to block: the test then raises again and again until the call
//! returns, so one raise surely lands while it sleeps.

mod common;

use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Mutex, MutexGuard};
use std::thread;
use std::time::Duration;

use common::{bound, bounded, connected, endpoint};
use zactor::{self as zmq, signal, Flow, Loop};

/// One test at a time: the signal flag is process-wide.
static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    let guard = SERIAL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    signal::install().unwrap();
    signal::reset();
    guard
}

/// Raises a pretend signal until `done` delivers the blocked call's result.
fn raise_until<T>(done: &mpsc::Receiver<T>) -> T {
    loop {
        signal::raise_for_test();
        match done.recv_timeout(Duration::from_millis(20)) {
            Ok(value) => return value,
            Err(RecvTimeoutError::Timeout) => continue,
            Err(RecvTimeoutError::Disconnected) => panic!("the blocked thread died"),
        }
    }
}

#[test]
fn a_signal_ends_a_loop_waiting_on_a_socket() {
    let _serial = serial();
    bounded(|| {
        let ctx = zmq::Context::new();
        let pull = bound(&ctx, zmq::PULL, &endpoint("reactor-signal-socket"));
        let _push = connected(&ctx, zmq::PUSH, &endpoint("reactor-signal-socket"));
        let (started, running) = mpsc::channel();
        let (finished, done) = mpsc::channel();
        let runner = thread::spawn(move || {
            let mut reactor = Loop::new();
            reactor
                .add_reader(&pull, |_, _| panic!("nothing was sent"))
                .unwrap();
            reactor.add_timer(Duration::ZERO, 1, move |_, _| {
                started.send(()).unwrap();
                Ok(Flow::Continue)
            });
            finished.send(reactor.run()).unwrap();
        });
        running.recv().unwrap();
        assert_eq!(raise_until(&done), Err(zmq::Error::EINTR));
        runner.join().unwrap();
        assert!(signal::interrupted());
    });
    signal::reset();
}

#[test]
fn a_signal_ends_a_loop_of_timers_only() {
    let _serial = serial();
    bounded(|| {
        let (started, running) = mpsc::channel();
        let (finished, done) = mpsc::channel();
        let runner = thread::spawn(move || {
            let mut reactor = Loop::new();
            reactor.add_timer(Duration::ZERO, 1, move |_, _| {
                started.send(()).unwrap();
                Ok(Flow::Continue)
            });
            reactor.add_timer(Duration::from_secs(3600), 1, |_, _| Ok(Flow::Stop));
            finished.send(reactor.run()).unwrap();
        });
        running.recv().unwrap();
        assert_eq!(raise_until(&done), Err(zmq::Error::EINTR));
        runner.join().unwrap();
    });
    signal::reset();
}

#[test]
fn a_loop_run_after_a_signal_ends_at_once_until_reset() {
    let _serial = serial();
    bounded(|| {
        signal::raise_for_test();
        let mut reactor = Loop::new();
        reactor.add_timer(Duration::ZERO, 1, |_, _| panic!("must not run"));
        assert_eq!(reactor.run(), Err(zmq::Error::EINTR));
        signal::reset();
        let mut reactor = Loop::new();
        reactor.add_timer(Duration::ZERO, 1, |_, _| Ok(Flow::Stop));
        assert_eq!(reactor.run(), Ok(()));
    });
    signal::reset();
}

#[test]
fn a_nonstop_loop_keeps_running_through_signals() {
    let _serial = serial();
    bounded(|| {
        let ctx = zmq::Context::new();
        let pull = bound(&ctx, zmq::PULL, &endpoint("reactor-signal-nonstop"));
        let push = connected(&ctx, zmq::PUSH, &endpoint("reactor-signal-nonstop"));
        let (started, running) = mpsc::channel();
        let (finished, done) = mpsc::channel();
        let runner = thread::spawn(move || {
            let mut reactor = Loop::new();
            reactor.set_nonstop(true);
            assert!(reactor.nonstop());
            reactor
                .add_reader(&pull, |_, socket| {
                    assert_eq!(socket.recv_string(zmq::DONTWAIT)?.unwrap(), "after");
                    Ok(Flow::Stop)
                })
                .unwrap();
            reactor.add_timer(Duration::ZERO, 1, move |_, _| {
                started.send(()).unwrap();
                Ok(Flow::Continue)
            });
            finished.send(reactor.run()).unwrap();
        });
        running.recv().unwrap();
        // Signals while it waits (some land in the wait, some between
        // passes): none ends it.
        for _ in 0..20 {
            signal::raise_for_test();
            assert!(
                done.recv_timeout(Duration::from_millis(1)).is_err(),
                "a nonstop loop ended on a signal"
            );
        }
        assert!(signal::interrupted());
        push.send("after", 0).unwrap();
        assert_eq!(done.recv().unwrap(), Ok(()));
        runner.join().unwrap();
    });
    signal::reset();
}

/// Runs `call` on its own thread against a bound PULL whose only peer stays
/// silent, and returns its result once pretend signals have interrupted it.
/// `call` gets the socket and `ready`, to call just before it blocks.
fn interrupt_blocked<T: Send + 'static>(
    name: &str,
    call: impl FnOnce(zmq::Socket, &dyn Fn()) -> T + Send + 'static,
) -> T {
    let ctx = zmq::Context::new();
    let pull = bound(&ctx, zmq::PULL, &endpoint(name));
    let _push = connected(&ctx, zmq::PUSH, &endpoint(name));
    let (finished, done) = mpsc::channel();
    let (about_to_block, blocking) = mpsc::channel();
    let caller = thread::spawn(move || {
        let ready = || about_to_block.send(()).unwrap();
        finished.send(call(pull, &ready)).unwrap();
    });
    blocking.recv().unwrap();
    let result = raise_until(&done);
    caller.join().unwrap();
    result
}

#[test]
fn a_blocking_recv_returns_eintr() {
    let _serial = serial();
    bounded(|| {
        let result = interrupt_blocked("reactor-signal-recv", |pull, ready| {
            ready();
            pull.recv_bytes(0)
        });
        assert_eq!(result, Err(zmq::Error::EINTR));
    });
    signal::reset();
}

#[test]
fn zmq_poll_returns_eintr() {
    let _serial = serial();
    bounded(|| {
        let result = interrupt_blocked("reactor-signal-poll", |pull, ready| {
            let mut items = [pull.as_poll_item(zmq::POLLIN)];
            ready();
            zmq::poll(&mut items, -1)
        });
        assert_eq!(result, Err(zmq::Error::EINTR));
    });
    signal::reset();
}

#[test]
fn poller_wait_returns_eintr_with_sockets_and_with_descriptors_only() {
    let _serial = serial();
    bounded(|| {
        let result = interrupt_blocked("reactor-signal-poller", |pull, ready| {
            let mut poller = zmq::Poller::new();
            poller.add(&pull, zmq::POLLIN, 0).unwrap();
            ready();
            poller.wait(&mut Vec::new(), -1)
        });
        assert_eq!(result, Err(zmq::Error::EINTR), "sockets");
        // Descriptors only: nothing but the signal module can wake it.
        signal::reset();
        let result = interrupt_blocked("reactor-signal-poller-fd", |_pull, ready| {
            let (_writer, reader) = std::os::unix::net::UnixStream::pair().unwrap();
            let fd = std::os::unix::io::AsRawFd::as_raw_fd(&reader);
            let mut poller = zmq::Poller::new();
            poller.add_fd(fd, zmq::POLLIN, 1).unwrap();
            ready();
            poller.wait(&mut Vec::new(), -1)
        });
        assert_eq!(result, Err(zmq::Error::EINTR), "descriptors");
    });
    signal::reset();
}
