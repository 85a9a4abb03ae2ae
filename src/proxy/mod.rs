//! Proxies, as `zmq_proxy` and `zmq_proxy_steerable`: the calling thread
//! shuttles messages between a frontend and a backend socket until the
//! context terminates (or a TERMINATE command arrives).
//!
//! # How the loop works
//!
//! Two directions, frontend → backend and backend → frontend (one when both
//! are the same socket, as libzmq allows). Each turn of the loop:
//!
//! 1. waits with [`poll`](crate::poll) for something to do: `POLLIN` on each
//!    direction's source, except that a direction whose destination could
//!    not take a message waits for `POLLOUT` on the destination instead (so
//!    a full destination neither spins the proxy nor stalls the other
//!    direction); plus `POLLIN` on the control socket. While paused, only
//!    the control socket is watched.
//! 2. handles one control command, if any (`steering`).
//! 3. forwards a burst of up to [`BURST`] messages each way.
//!
//! A message is forwarded whole: every frame, with `SNDMORE` as it came,
//! before the proxy looks at anything else, so multipart messages never
//! interleave. The first frame is sent without waiting (`DONTWAIT`); if the
//! destination cannot take it, the frame is kept aside until it can, and the
//! direction waits for `POLLOUT`. The frames after an accepted first frame
//! never block, since pipes count credit in whole messages. (libzmq checks
//! `POLLOUT` once per burst and then sends blocking, so a destination that
//! fills up mid-burst blocks its proxy, both directions at once.)
//!
//! The capture socket gets a clone of each frame, sent before the frame is
//! forwarded, with the same `SNDMORE`: a clone shares the body (a reference
//! count, no copy), as libzmq's `zmq_msg_copy`. Sends to capture block like
//! any send, so capture should be a socket that does not (PUB, or a PUSH or
//! PAIR someone reads).
//!
//! # Ending
//!
//! Only by error or by TERMINATE: `ETERM` once the context is terminated
//! (how the guide's devices end), any other error of a socket as it comes,
//! after which the sockets may hold part of a message.
//!
//! # Statistics
//!
//! Counted per frame, see `stats`.

pub mod device;
mod stats;
mod steering;
mod zproxy;

pub use zproxy::Proxy;

use crate::error::{Error, Result};
use crate::msg::Message;
use crate::poll::{PollEvents, POLLIN, POLLOUT};
use crate::socket::{Socket, DONTWAIT, SNDMORE};
use stats::{Counter, Statistics};
use steering::Command;

/// Messages forwarded one way before the proxy turns to the other way and to
/// the control socket: libzmq's `proxy_burst_size`. Large enough that a
/// busy proxy rarely goes back to polling, small enough that one direction
/// cannot starve the other or a command for long.
const BURST: usize = 1000;

/// Starts a proxy in the current thread: forwards messages both ways between
/// `frontend` and `backend` until the context terminates, then returns
/// `Err(ETERM)`. Every frame of a message goes through before any other
/// message, so the proxy is multipart safe.
///
/// QUEUE (ROUTER/DEALER), FORWARDER (XSUB/XPUB) and STREAMER (PULL/PUSH) are
/// this function with those sockets; see [`device`](crate::device).
///
/// ```
/// use std::thread;
/// use zactor as zmq;
///
/// let mut ctx = zmq::Context::new();
/// let frontend = ctx.socket(zmq::PULL).unwrap();
/// frontend.bind("inproc://proxy-doc-in").unwrap();
/// let backend = ctx.socket(zmq::PUSH).unwrap();
/// backend.bind("inproc://proxy-doc-out").unwrap();
/// let device = thread::spawn(move || zmq::proxy(&frontend, &backend));
///
/// let producer = ctx.socket(zmq::PUSH).unwrap();
/// producer.connect("inproc://proxy-doc-in").unwrap();
/// let consumer = ctx.socket(zmq::PULL).unwrap();
/// consumer.connect("inproc://proxy-doc-out").unwrap();
/// producer.send("hello", 0).unwrap();
/// assert_eq!(consumer.recv_string(0).unwrap().unwrap(), "hello");
///
/// drop((producer, consumer));
/// ctx.destroy().unwrap();
/// assert_eq!(device.join().unwrap(), Err(zmq::Error::ETERM));
/// ```
pub fn proxy(frontend: &Socket, backend: &Socket) -> Result<()> {
    run(frontend, backend, None, None)
}

/// [`proxy`], and every frame received on either socket is also sent to
/// `capture` (a shared clone of the frame, no copy of its body).
///
/// The `&mut` parameters are zmq 0.10's signature, kept so code written for
/// it builds unchanged; nothing is mutated through them.
pub fn proxy_with_capture(
    frontend: &mut Socket,
    backend: &mut Socket,
    capture: &mut Socket,
) -> Result<()> {
    run(frontend, backend, Some(capture), None)
}

/// [`proxy`], steered by commands on `control`: `PAUSE` stops forwarding
/// until `RESUME`; `TERMINATE` makes this function return `Ok(())`;
/// `STATISTICS` is answered with eight `u64` frames (frames and bytes
/// received, frames and bytes sent, by the frontend then by the backend;
/// native byte order). A REP control socket also gets an empty reply to
/// each other command; other types (PAIR) get none. This follows libzmq's
/// current master; the `steering` module says why and where it differs
/// from libzmq 4.3.4.
///
/// ```
/// use std::thread;
/// use zactor as zmq;
///
/// let ctx = zmq::Context::new();
/// let mut frontend = ctx.socket(zmq::PULL).unwrap();
/// let mut backend = ctx.socket(zmq::PUSH).unwrap();
/// let mut control = ctx.socket(zmq::REP).unwrap();
/// control.bind("inproc://proxy-doc-control").unwrap();
/// let device = thread::spawn(move || {
///     zmq::proxy_steerable(&mut frontend, &mut backend, &mut control)
/// });
///
/// let steer = ctx.socket(zmq::REQ).unwrap();
/// steer.connect("inproc://proxy-doc-control").unwrap();
/// steer.send("STATISTICS", 0).unwrap();
/// assert_eq!(steer.recv_multipart(0).unwrap(), vec![vec![0; 8]; 8]);
/// steer.send("TERMINATE", 0).unwrap();
/// assert!(steer.recv_bytes(0).unwrap().is_empty());
/// assert_eq!(device.join().unwrap(), Ok(()));
/// ```
pub fn proxy_steerable(
    frontend: &mut Socket,
    backend: &mut Socket,
    control: &mut Socket,
) -> Result<()> {
    run(frontend, backend, None, Some(control))
}

/// [`proxy_steerable`] with a capture socket, as [`proxy_with_capture`].
pub fn proxy_steerable_with_capture(
    frontend: &mut Socket,
    backend: &mut Socket,
    capture: &mut Socket,
    control: &mut Socket,
) -> Result<()> {
    run(frontend, backend, Some(capture), Some(control))
}

/// Whether the proxy forwards.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Active,
    Paused,
}

/// One way through the proxy.
struct Direction<'a> {
    from: &'a Socket,
    to: &'a Socket,
    /// The first frame of a message the destination could not take, kept
    /// until it can (already counted as received and captured). While one
    /// waits, the loop watches `POLLOUT` on `to`, not `POLLIN` on `from`.
    pending: Option<Message>,
}

impl Direction<'_> {
    /// Whether a message waits for the destination.
    fn blocked(&self) -> bool {
        self.pending.is_some()
    }

    /// Whether this direction can make progress, given the events found on
    /// `from` and on `to`: a message to read, or room for the one waiting.
    fn ready(&self, from: PollEvents, to: PollEvents) -> bool {
        if self.blocked() {
            to.contains(POLLOUT)
        } else {
            from.contains(POLLIN)
        }
    }

    /// The events this direction waits for on `from` and on `to`.
    fn interest(&self) -> (PollEvents, PollEvents) {
        if self.blocked() {
            (PollEvents::empty(), POLLOUT)
        } else {
            (POLLIN, PollEvents::empty())
        }
    }

    /// Forwards up to [`BURST`] whole messages, each frame also to
    /// `capture`; counts what `from` received and what `to` sent.
    fn forward(
        &mut self,
        capture: Option<&Socket>,
        received: &mut Counter,
        sent: &mut Counter,
    ) -> Result<()> {
        for _ in 0..BURST {
            let first = match self.pending.take() {
                Some(first) => first,
                None => match self.from.recv_msg(DONTWAIT) {
                    Ok(first) => {
                        received.add(first.len());
                        capture_frame(capture, &first)?;
                        first
                    }
                    Err(Error::EAGAIN) => return Ok(()),
                    Err(error) => return Err(error),
                },
            };
            // The first frame goes without waiting, or waits here. A failed
            // send consumes the frame, so a clone is sent (it shares a heap
            // body, copies an inline one). Asking the socket first whether
            // it could take a message would also mark its empty inbound
            // pipes asleep: a wake-up command per message from their writers.
            let more = first.get_more();
            let len = first.len();
            match self.to.send(first.clone(), flags(more) | DONTWAIT) {
                Ok(()) => sent.add(len),
                Err(Error::EAGAIN) => {
                    self.pending = Some(first);
                    return Ok(());
                }
                Err(error) => return Err(error),
            }
            drop(first);
            // The other frames are queued already (pipes deliver whole
            // messages) and the destination took the first, so it takes
            // them (credit is counted in whole messages): no wait either.
            let mut more = more;
            while more {
                let frame = self.from.recv_msg(0)?;
                more = frame.get_more();
                let len = frame.len();
                received.add(len);
                capture_frame(capture, &frame)?;
                self.to.send(frame, flags(more))?;
                sent.add(len);
            }
        }
        Ok(())
    }
}

fn flags(more: bool) -> i32 {
    if more {
        SNDMORE
    } else {
        0
    }
}

/// Sends a clone of `frame` (sharing its body) to `capture`, if any.
fn capture_frame(capture: Option<&Socket>, frame: &Message) -> Result<()> {
    match capture {
        Some(capture) => capture.send(frame.clone(), flags(frame.get_more())),
        None => Ok(()),
    }
}

/// The proxy loop behind the four public functions.
fn run(
    frontend: &Socket,
    backend: &Socket,
    capture: Option<&Socket>,
    control: Option<&Socket>,
) -> Result<()> {
    let same = std::ptr::eq(frontend, backend);
    let mut inbound = Direction {
        from: frontend,
        to: backend,
        pending: None,
    };
    let mut outbound = Direction {
        from: backend,
        to: frontend,
        pending: None,
    };
    let mut stats = Statistics::default();
    let mut state = State::Active;
    loop {
        let ready = match (state, control) {
            (State::Paused, Some(control)) => Ready {
                control: control.poll(POLLIN, -1)? > 0,
                ..Ready::default()
            },
            _ => wait(&inbound, (!same).then_some(&outbound), control)?,
        };
        if let Some(control) = control.filter(|_| ready.control) {
            if let Some(command) = steering::receive(control)? {
                steering::reply(control, command, &stats)?;
                match command {
                    Command::Pause => state = State::Paused,
                    Command::Resume => state = State::Active,
                    Command::Terminate => return Ok(()),
                    Command::Statistics | Command::Unknown => {}
                }
            }
        }
        if state == State::Paused {
            continue;
        }
        let frontend_stats = &mut stats.frontend;
        let backend_stats = &mut stats.backend;
        if same {
            // One socket plays both ends: its events count for both.
            if inbound.ready(ready.frontend, ready.frontend) {
                inbound.forward(
                    capture,
                    &mut frontend_stats.received,
                    &mut backend_stats.sent,
                )?;
            }
            continue;
        }
        if inbound.ready(ready.frontend, ready.backend) {
            inbound.forward(
                capture,
                &mut frontend_stats.received,
                &mut backend_stats.sent,
            )?;
        }
        if outbound.ready(ready.backend, ready.frontend) {
            outbound.forward(
                capture,
                &mut backend_stats.received,
                &mut frontend_stats.sent,
            )?;
        }
    }
}

/// What the last wait found.
#[derive(Clone, Copy, Debug, Default)]
struct Ready {
    control: bool,
    frontend: PollEvents,
    backend: PollEvents,
}

/// Waits until a direction may have work or `control` has a command.
/// `outbound` is `None` when the frontend is the backend.
fn wait(
    inbound: &Direction<'_>,
    outbound: Option<&Direction<'_>>,
    control: Option<&Socket>,
) -> Result<Ready> {
    let (mut frontend_events, mut backend_events) = inbound.interest();
    if let Some(outbound) = outbound {
        let (from, to) = outbound.interest();
        backend_events |= from;
        frontend_events |= to;
    } else {
        // One socket plays both ends.
        frontend_events |= backend_events;
    }
    // Items in a fixed array, sliced to those in use: no allocation per wait.
    // An unused slot holds the frontend with no events and is never polled.
    let mut items = [
        control.unwrap_or(inbound.from).as_poll_item(POLLIN),
        inbound.from.as_poll_item(frontend_events),
        inbound.to.as_poll_item(backend_events),
    ];
    let first = if control.is_some() { 0 } else { 1 };
    let end = if outbound.is_some() { 3 } else { 2 };
    crate::poll::poll(&mut items[first..end], -1)?;
    Ok(Ready {
        control: control.is_some() && items[0].is_readable(),
        frontend: items[1].get_revents(),
        backend: items[2].get_revents(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ctx::Context;
    use crate::socket_type::SocketType;

    /// A proxy between one socket and itself (libzmq allows it): a DEALER
    /// echoes what it receives back to its peer.
    #[test]
    fn a_socket_proxied_to_itself_echoes() {
        let mut ctx = Context::new();
        let echo = ctx.socket(SocketType::DEALER).expect("socket");
        echo.bind("inproc://proxy-self-echo").expect("bind");
        let device = std::thread::spawn(move || proxy(&echo, &echo));
        let peer = ctx.socket(SocketType::DEALER).expect("socket");
        peer.set_rcvtimeo(10_000).expect("timeout");
        peer.connect("inproc://proxy-self-echo").expect("connect");
        peer.send_multipart(["a", "b"], 0).expect("send");
        assert_eq!(peer.recv_multipart(0).expect("echo"), [b"a", b"b"]);
        drop(peer);
        ctx.destroy().expect("destroy");
        assert_eq!(device.join().expect("proxy thread"), Err(Error::ETERM));
    }
}
