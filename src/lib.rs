//! zactor: ZeroMQ-style messaging and actors in pure Rust.
//!
//! Sockets carry whole messages between threads over lock-free pipes, in the
//! patterns of the ZeroMQ guide: PAIR, PUB/SUB (XPUB/XSUB), REQ/REP,
//! DEALER/ROUTER, PUSH/PULL. The API is source-compatible with the `zmq`
//! crate 0.10: a program written for it builds after `use zactor as zmq;`.
//!
//! ```
//! use zactor as zmq;
//!
//! let ctx = zmq::Context::new();
//! let pull = ctx.socket(zmq::PULL).unwrap();
//! pull.bind("inproc://doc-example").unwrap();
//! let push = ctx.socket(zmq::PUSH).unwrap();
//! push.connect("inproc://doc-example").unwrap();
//! push.send("hello", 0).unwrap();
//! assert_eq!(pull.recv_string(0).unwrap().unwrap(), "hello");
//! ```
//!
//! Layers, lowest first (each imports only from below): `sync`, `config`,
//! `error`; `msg`, `socket_type`; `pipe`, `signal`, `mailbox`, `command`;
//! `pattern`; `socket`, `ctx`, `transport`; `poll`; `proxy`. See DESIGN.md.
#![deny(unsafe_code)]
#![warn(missing_docs, unreachable_pub)]
#![warn(clippy::undocumented_unsafe_blocks)]

pub mod actor;
mod command;
mod config;
mod ctx;
mod error;
#[cfg(unix)]
mod fd_waker;
mod interruption;
mod mailbox;
mod monitor_event;
mod msg;
mod pattern;
mod pipe;
mod poll;
#[cfg(unix)]
mod poller;
mod proxy;
#[cfg(all(unix, not(zactor_loom)))]
mod reactor;
#[cfg(all(unix, not(zactor_loom)))]
pub mod signal;
mod signaler;
mod socket;
mod socket_type;
mod sync;
#[cfg(unix)]
mod sys;
mod transport;

pub use actor::Actor;
pub use ctx::Context;
pub use error::{Error, Result};
pub use monitor_event::{protocol_error, SocketEvent};
pub use msg::Message;
pub use poll::{poll, PollEvents, PollItem, POLLERR, POLLIN, POLLOUT};
#[cfg(unix)]
pub use poller::{Poller, PollerEvent};
pub use proxy::{device, Proxy};
pub use proxy::{proxy, proxy_steerable, proxy_steerable_with_capture, proxy_with_capture};
#[cfg(all(unix, not(zactor_loom)))]
pub use reactor::{Flow, Loop, ReaderId, TicketId, TimerId};
pub use socket::{Mechanism, Sendable, Socket, DONTWAIT, SNDMORE};
pub use socket_type::SocketType;
pub use socket_type::SocketType::{
    DEALER, PAIR, PUB, PULL, PUSH, REP, REQ, ROUTER, STREAM, SUB, XPUB, XSUB,
};

/// The libzmq version this implementation follows: (major, minor, patch).
pub fn version() -> (i32, i32, i32) {
    (4, 3, 5)
}

/// Whether a capability is available, as `zmq_has`: answers truthfully for
/// zactor. `ipc` is there (Unix domain sockets); no multicast or other
/// transport (pgm, tipc, norm) and no security mechanism (curve, gssapi)
/// yet, nor draft APIs: `Some(false)`, as for any unknown name (zmq 0.10
/// never returns `None`).
pub fn has(capability: &str) -> Option<bool> {
    Some(cfg!(unix) && capability == "ipc")
}

/// Internals for the loom models in `loom-tests/`; not part of the API.
#[cfg(zactor_loom)]
#[doc(hidden)]
pub mod __loom {
    pub use crate::actor::loom_api::*;
    pub use crate::pipe::loom_api::*;
    pub use crate::poller::loom_api::*;
}

/// Entry points for the fuzz targets in `fuzz/`; not part of the API.
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod __fuzz {
    /// Runs arbitrary bytes through a ZMTP connection (greeting, NULL
    /// handshake, traffic). Returns normally for any input; a panic is a bug.
    pub fn zmtp(data: &[u8]) {
        crate::transport::zmtp::fuzz::run(data)
    }
}
