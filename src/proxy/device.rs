//! The guide's three built-in devices, `zmq_device`'s QUEUE, FORWARDER and
//! STREAMER: each is [`proxy`] between sockets of a fixed pair of types,
//! checked here so a mix-up fails at once with `EINVAL` instead of
//! forwarding oddly ("stick to using ROUTER/DEALER for queue devices …",
//! chapter 2).
//!
//! | device | frontend | backend | carries |
//! |---|---|---|---|
//! | [`queue`] | ROUTER (clients connect) | DEALER (services connect) | requests forward, replies back, envelopes intact |
//! | [`forwarder`] | XSUB (publishers) | XPUB (subscribers) | data forward, subscriptions back upstream |
//! | [`streamer`] | PULL (producers) | PUSH (consumers) | tasks forward only |
//!
//! Like [`proxy`], each runs in the calling thread until the context is
//! terminated, and then returns `Err(ETERM)`.

use super::proxy;
use crate::error::{Error, Result};
use crate::socket::Socket;
use crate::socket_type::SocketType;

/// QUEUE: a request-reply broker between clients (REQ or DEALER, connected
/// to the ROUTER `frontend`) and services (REP or DEALER, connected to the
/// DEALER `backend`). Requests are dealt to services in turn; each reply
/// goes back to the client that asked, by its envelope.
pub fn queue(frontend: &Socket, backend: &Socket) -> Result<()> {
    check(frontend, SocketType::ROUTER, backend, SocketType::DEALER)?;
    proxy(frontend, backend)
}

/// FORWARDER: a pub-sub relay between publishers (connected to the XSUB
/// `frontend`) and subscribers (connected to the XPUB `backend`).
/// Subscriptions travel upstream through it, so a subscriber behind it gets
/// what it subscribed to and publishers can filter at the source.
pub fn forwarder(frontend: &Socket, backend: &Socket) -> Result<()> {
    check(frontend, SocketType::XSUB, backend, SocketType::XPUB)?;
    proxy(frontend, backend)
}

/// STREAMER: a pipeline stage between producers (PUSH, connected to the PULL
/// `frontend`) and consumers (PULL, connected to the PUSH `backend`).
pub fn streamer(frontend: &Socket, backend: &Socket) -> Result<()> {
    check(frontend, SocketType::PULL, backend, SocketType::PUSH)?;
    proxy(frontend, backend)
}

fn check(
    frontend: &Socket,
    frontend_type: SocketType,
    backend: &Socket,
    backend_type: SocketType,
) -> Result<()> {
    if frontend.get_socket_type()? == frontend_type && backend.get_socket_type()? == backend_type {
        Ok(())
    } else {
        Err(Error::EINVAL)
    }
}
