//! Helpers shared by the integration tests: a watchdog that bounds every
//! test, unique inproc endpoints, and sockets whose blocking calls time out.
//!
//! Each test file includes this module with `mod common;` and uses the part
//! it needs, so some helpers are unused in some files.
#![allow(dead_code)]

use std::panic;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use zactor as zmq;

/// How long a blocking send or receive in a test may wait before it fails
/// with `EAGAIN`: far longer than any healthy wait, short enough that a lost
/// wake-up fails the test instead of hanging the run.
pub const TIMEOUT_MS: i32 = 10_000;

/// How long a whole test may run before the watchdog fails it.
pub const WATCHDOG: Duration = Duration::from_secs(30);

/// Runs `body` on its own thread and returns what it returns; panics if it
/// panics, or if it runs longer than [`WATCHDOG`]. A hung body is left
/// behind (a thread cannot be killed) but the test fails at once.
pub fn bounded<T, F>(body: F) -> T
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    bounded_for(WATCHDOG, body)
}

/// [`bounded`] with an explicit limit.
pub fn bounded_for<T, F>(limit: Duration, body: F) -> T
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    let test = thread::current().name().unwrap_or("test").to_owned();
    let (done, finished) = mpsc::channel();
    let worker = thread::Builder::new()
        .name(format!("{test}-body"))
        .spawn(move || {
            let outcome = panic::catch_unwind(panic::AssertUnwindSafe(body));
            // The receiver is gone only when the watchdog already fired.
            let _ = done.send(outcome);
        })
        .expect("spawn the test body");
    match finished.recv_timeout(limit) {
        Ok(Ok(value)) => {
            worker.join().expect("the body thread ends after reporting");
            value
        }
        Ok(Err(payload)) => panic::resume_unwind(payload),
        Err(_) => panic!("{test}: still running after {limit:?} (deadlock or lost wake-up?)"),
    }
}

/// The inproc endpoint named after a test (and a suffix): unique per test,
/// so tests never meet even if they shared a context.
pub fn endpoint(name: &str) -> String {
    format!("inproc://{name}")
}

/// A socket whose blocking sends and receives give up after [`TIMEOUT_MS`].
pub fn socket(ctx: &zmq::Context, kind: zmq::SocketType) -> zmq::Socket {
    let socket = ctx.socket(kind).expect("create a socket");
    socket.set_rcvtimeo(TIMEOUT_MS).expect("set RCVTIMEO");
    socket.set_sndtimeo(TIMEOUT_MS).expect("set SNDTIMEO");
    socket
}

/// A socket bound to `endpoint`, with timeouts.
pub fn bound(ctx: &zmq::Context, kind: zmq::SocketType, endpoint: &str) -> zmq::Socket {
    let socket = socket(ctx, kind);
    socket.bind(endpoint).expect("bind");
    socket
}

/// A socket connected to `endpoint`, with timeouts.
pub fn connected(ctx: &zmq::Context, kind: zmq::SocketType, endpoint: &str) -> zmq::Socket {
    let socket = socket(ctx, kind);
    socket.connect(endpoint).expect("connect");
    socket
}

/// Receives one frame as bytes, failing the test on timeout.
pub fn recv(socket: &zmq::Socket) -> Vec<u8> {
    socket.recv_bytes(0).expect("a frame within the timeout")
}

/// Receives one frame as a string, failing the test on timeout or bad UTF-8.
pub fn recv_str(socket: &zmq::Socket) -> String {
    socket
        .recv_string(0)
        .expect("a frame within the timeout")
        .expect("UTF-8")
}

/// Asserts that nothing is waiting to be received.
pub fn assert_nothing_waiting(socket: &zmq::Socket) {
    match socket.recv_bytes(zmq::DONTWAIT) {
        Err(zmq::Error::EAGAIN) => {}
        other => panic!("expected EAGAIN, got {other:?}"),
    }
}

/// Sends with `DONTWAIT` until the socket refuses; returns how many it took.
/// Stops at `limit` so a missing HWM fails the test instead of eating memory.
pub fn fill(socket: &zmq::Socket, limit: usize) -> usize {
    for sent in 0..limit {
        match socket.send(&sent.to_le_bytes()[..], zmq::DONTWAIT) {
            Ok(()) => {}
            Err(zmq::Error::EAGAIN) => return sent,
            Err(other) => panic!("send {sent}: {other:?}"),
        }
    }
    limit
}

/// A message body made of `id` and `seq`, for tests that check who sent
/// what and in which order.
pub fn tagged(id: u64, seq: u64) -> [u8; 16] {
    let mut body = [0; 16];
    body[..8].copy_from_slice(&id.to_le_bytes());
    body[8..].copy_from_slice(&seq.to_le_bytes());
    body
}

/// The `(id, seq)` of a body made by [`tagged`].
pub fn untag(body: &[u8]) -> (u64, u64) {
    assert_eq!(body.len(), 16, "a tagged body is 16 bytes");
    let id = u64::from_le_bytes(body[..8].try_into().unwrap());
    let seq = u64::from_le_bytes(body[8..].try_into().unwrap());
    (id, seq)
}
pub mod actor_tree;
