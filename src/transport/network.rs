//! The socket's side of the network transports (`tcp://`, `ipc://`): what
//! bind, connect, unbind, disconnect and close do before handing over to the
//! context's I/O thread.
//!
//! Bind happens here, on the caller's thread, so its errors (`EADDRINUSE`,
//! `EACCES` …) and the real address of a `:*` port come back from `bind`
//! itself; the listener then moves to the I/O thread. Connect makes the
//! pipe at once (the socket can send right away; messages queue within the
//! HWM while the connection is being made or remade) and hands the other
//! end to the I/O thread, which connects in the background.

use std::collections::BTreeSet;

use std::net::SocketAddr;

use super::address::{self, PortRange, Role};
use super::engine::{limit, ConnectPipe};
use super::io_pool::IoPool;
use super::io_thread::{Connect, Listen, Request, Target};
use super::stream::Listener;
use super::Endpoint;
use crate::error::{Error, Result};
use crate::monitor_event::SocketEvent;
use crate::pipe::{pipe_pair, PipeEnd, PipeId};
use crate::socket_type::SocketType;

pub(crate) use super::engine::Owner;
pub(crate) use super::io_pool::IoPool as IoThreads;

fn io_error(e: std::io::Error) -> Error {
    e.raw_os_error().map_or(Error::EINVAL, Error::from_raw)
}

/// Binds `endpoint` (written as `text`) and gives the listener to an I/O
/// thread; returns the endpoint as bound (the real port of `:*`).
pub(crate) fn bind(
    io: &IoPool,
    endpoint: Endpoint<'_>,
    text: &str,
    owner: Owner,
) -> Result<String> {
    let (listener, bound) = match listen(endpoint, &owner) {
        Ok(bound) => bound,
        Err(error) => {
            owner
                .events
                .emit(SocketEvent::BIND_FAILED, error.to_raw() as u32, text);
            return Err(error);
        }
    };
    owner
        .events
        .emit(SocketEvent::LISTENING, listener.raw_fd() as u32, &bound);
    let io = io.pick(owner.options.affinity);
    io.request(Request::Listen(Box::new(Listen {
        owner,
        listener,
        endpoint: bound.clone(),
    })));
    Ok(bound)
}

/// The bound listener and the endpoint as bound.
fn listen(endpoint: Endpoint<'_>, owner: &Owner) -> Result<(Listener, String)> {
    Ok(match endpoint {
        Endpoint::Tcp(address) => {
            let addr = address::resolve_tcp(address, Role::Bind, owner.options.ipv6)?;
            let (_, port) = address::check_tcp(address)?;
            let listener = match address::port_range(port)? {
                Some(range) => bind_in_range(addr, range, owner)?,
                None => Listener::bind_tcp(addr, &owner.options).map_err(io_error)?,
            };
            let bound = listener.tcp_addr().unwrap_or(addr);
            (listener, address::tcp_endpoint(bound))
        }
        Endpoint::Ipc(path) => {
            let addr = address::ipc_address(path)?;
            let listener = Listener::bind_unix(&addr).map_err(io_error)?;
            (listener, format!("ipc://{path}"))
        }
        Endpoint::Inproc(_) => return Err(Error::EINVAL),
    })
}

/// Binds the first free port of `range` (from a random one for `!`);
/// `EADDRINUSE` when every port is taken.
fn bind_in_range(mut addr: SocketAddr, range: PortRange, owner: &Owner) -> Result<Listener> {
    let span = u32::from(range.high - range.low) + 1;
    let start = if range.random {
        // Randomness enough to spread binds: the clock's nanoseconds.
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        nanos % span
    } else {
        0
    };
    for step in 0..span {
        let port = u32::from(range.low) + (start + step) % span;
        addr.set_port(port as u16);
        match Listener::bind_tcp(addr, &owner.options) {
            Ok(listener) => return Ok(listener),
            Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => continue,
            Err(e) => return Err(io_error(e)),
        }
    }
    Err(Error::EADDRINUSE)
}

/// Connects to `endpoint` in the background; returns the socket's end of
/// the pipe (attached by the caller as `socket_pipe`), or `None` with
/// IMMEDIATE, where each connection mails a pipe once it is READY.
pub(crate) fn connect(
    io: &IoPool,
    endpoint: Endpoint<'_>,
    text: &str,
    owner: Owner,
    socket_pipe: PipeId,
) -> Result<Option<PipeEnd>> {
    let target = match endpoint {
        Endpoint::Tcp(address) => Target::Tcp(address::resolve_tcp(
            address,
            Role::Connect,
            owner.options.ipv6,
        )?),
        Endpoint::Ipc(path) => Target::Ipc(address::ipc_address(path)?),
        Endpoint::Inproc(_) => return Err(Error::EINVAL),
    };
    // STREAM: a pipe per connection, as with IMMEDIATE (see `raw_engine`).
    let per_connection = owner.options.immediate || owner.kind == SocketType::STREAM;
    let (mine, pipe) = if per_connection {
        (None, None)
    } else {
        let options = &owner.options;
        // Side 0 (the socket) sends: SNDHWM; side 1 (the I/O thread): RCVHWM.
        let (mine, theirs) = pipe_pair(
            [
                limit(options.sndhwm, options),
                limit(options.rcvhwm, options),
            ],
            text,
        );
        mine.set_in_max_frame(options.maxmsgsize);
        let pipe = ConnectPipe {
            end: theirs,
            socket_pipe,
            announced: false,
            subscriptions: BTreeSet::new(),
            slot: None,
        };
        (Some(mine), Some(pipe))
    };
    let io = io.pick(owner.options.affinity);
    io.request(Request::Connect(Box::new(Connect {
        owner,
        target,
        endpoint: text.to_owned(),
        pipe,
    })));
    Ok(mine)
}

/// The endpoint as `bind` reported it, for an unbind given the endpoint
/// as written (`tcp://localhost:5555` → `tcp://127.0.0.1:5555`); `None`
/// where that cannot be known (`:*`, ipc).
pub(crate) fn bound_form(endpoint: Endpoint<'_>, ipv6: bool) -> Option<String> {
    match endpoint {
        Endpoint::Tcp(address) => address::resolve_tcp(address, Role::Bind, ipv6)
            .ok()
            .filter(|addr| addr.port() != 0)
            .map(address::tcp_endpoint),
        _ => None,
    }
}

/// Closes the socket's listener on `endpoint` (as bound).
pub(crate) fn unbind(io: &IoPool, socket: u64, endpoint: &str) {
    io.broadcast(|| Request::Unbind {
        socket,
        endpoint: endpoint.to_owned(),
    });
}

/// Stops the socket's connects to `endpoint`.
pub(crate) fn disconnect(io: &IoPool, socket: u64, endpoint: &str) {
    io.broadcast(|| Request::Disconnect {
        socket,
        endpoint: endpoint.to_owned(),
    });
}

/// The socket is closing.
pub(crate) fn close(io: &IoPool, owner: &Owner) {
    io.broadcast(|| Request::CloseSocket {
        socket: owner.socket,
        mailbox: owner.mailbox.clone(),
        linger: owner.options.linger,
    });
}
