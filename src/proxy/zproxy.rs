//! The `Proxy` actor (CZMQ's zproxy): a proxy running in its own thread,
//! configured by commands over its pipe, each acknowledged.
//!
//! ```text
//! FRONTEND <type> <endpoints>   create the frontend socket and attach it
//! BACKEND  <type> <endpoints>   the same for the backend
//! CAPTURE  <endpoint>           a PUSH connected there gets every frame
//! PAUSE / RESUME                stop / restart forwarding
//! $TERM                         end (sent by dropping the Actor)
//! ```
//!
//! Endpoints are a comma-separated list; `@` binds, `>` connects, and a
//! bare endpoint binds (CZMQ's "serverish" default for a proxy). Each
//! command is answered with a signal (`Socket::signal(0)`), or, when it
//! fails, with one frame `$ERROR <errno>`; [`Proxy`]'s methods turn that
//! into the `Err`. Forwarding starts once both sides exist; messages move
//! whole (every frame), and the capture socket gets a clone of each frame
//! (shared body, no copy).

use crate::actor::{Actor, TERM};
use crate::ctx::Context;
use crate::error::{Error, Result};
use crate::msg::Message;
use crate::poll::{poll, POLLIN};
use crate::socket::{Socket, SNDMORE};
use crate::socket_type::SocketType;

/// A proxy in its own thread, driven by commands (CZMQ zproxy).
pub struct Proxy {
    actor: Actor,
}

impl std::fmt::Debug for Proxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Proxy").finish_non_exhaustive()
    }
}

impl Proxy {
    /// Starts the proxy actor (no sockets yet).
    pub fn new(ctx: &Context) -> Result<Proxy> {
        let actor = Actor::builder().name("zactor-proxy").spawn(ctx, run)?;
        Ok(Proxy { actor })
    }

    /// Creates the frontend socket of type `kind` and binds or connects it
    /// to `endpoints` (`@` binds, `>` connects, bare binds).
    pub fn frontend(&self, kind: SocketType, endpoints: &str) -> Result<()> {
        self.command(&["FRONTEND", kind.zmtp_name(), endpoints])
    }

    /// Creates the backend socket, as [`frontend`](Self::frontend).
    pub fn backend(&self, kind: SocketType, endpoints: &str) -> Result<()> {
        self.command(&["BACKEND", kind.zmtp_name(), endpoints])
    }

    /// Sends a copy of every frame to a PUSH connected to `endpoint`.
    pub fn capture(&self, endpoint: &str) -> Result<()> {
        self.command(&["CAPTURE", endpoint])
    }

    /// Stops forwarding (messages wait in the sockets).
    pub fn pause(&self) -> Result<()> {
        self.command(&["PAUSE"])
    }

    /// Resumes forwarding.
    pub fn resume(&self) -> Result<()> {
        self.command(&["RESUME"])
    }

    /// The actor, for polling it or sending raw commands.
    pub fn actor(&self) -> &Actor {
        &self.actor
    }

    fn command(&self, parts: &[&str]) -> Result<()> {
        self.actor.send_multipart(parts.iter().copied(), 0)?;
        // The answer: a signal, or `$ERROR <errno>`.
        let reply = self.actor.recv_msg(0)?;
        if let Some(code) = reply
            .as_str()
            .and_then(|text| text.strip_prefix("$ERROR "))
            .and_then(|code| code.parse::<i32>().ok())
        {
            return Err(Error::from_raw(code));
        }
        if crate::actor::handshake::signal_status(&reply) == Some(0) {
            Ok(())
        } else {
            Err(Error::EPROTO)
        }
    }
}

/// A socket type from its ZMTP name.
fn socket_type(name: &str) -> Option<SocketType> {
    (0..=11)
        .filter_map(SocketType::from_raw)
        .find(|kind| kind.zmtp_name().eq_ignore_ascii_case(name))
}

/// Binds or connects `socket` to each endpoint of a comma-separated list.
fn attach(socket: &Socket, endpoints: &str) -> Result<()> {
    for endpoint in endpoints.split(',').map(str::trim) {
        if let Some(endpoint) = endpoint.strip_prefix('>') {
            socket.connect(endpoint)?;
        } else {
            socket.bind(endpoint.strip_prefix('@').unwrap_or(endpoint))?;
        }
    }
    Ok(())
}

/// The proxy's state in its thread.
#[derive(Default)]
struct State {
    frontend: Option<Socket>,
    backend: Option<Socket>,
    capture: Option<Socket>,
    paused: bool,
}

/// The actor body.
fn run(pipe: &Socket, ctx: &Context) -> Result<()> {
    pipe.signal(0)?;
    let mut state = State::default();
    loop {
        // [pipe, frontend, backend]: readiness per item, no allocation.
        let mut readable = [false; 3];
        match (&state.frontend, &state.backend) {
            (Some(front), Some(back)) if !state.paused => {
                let mut items = [
                    pipe.as_poll_item(POLLIN),
                    front.as_poll_item(POLLIN),
                    back.as_poll_item(POLLIN),
                ];
                poll(&mut items, -1)?;
                for (ready, item) in readable.iter_mut().zip(&items) {
                    *ready = item.is_readable();
                }
            }
            _ => {
                let mut items = [pipe.as_poll_item(POLLIN)];
                poll(&mut items, -1)?;
                readable[0] = items[0].is_readable();
            }
        }
        if readable[0] {
            let command = pipe.recv_multipart(0)?;
            if command.first().map(Vec::as_slice) == Some(TERM.as_bytes()) {
                return Ok(());
            }
            match handle(&mut state, ctx, &command) {
                Ok(()) => pipe.signal(0)?,
                Err(error) => pipe.send(format!("$ERROR {}", error.to_raw()).as_str(), 0)?,
            }
            continue;
        }
        if let (Some(front), Some(back)) = (&state.frontend, &state.backend) {
            if readable[1] {
                forward(front, back, state.capture.as_ref())?;
            }
            if readable[2] {
                forward(back, front, state.capture.as_ref())?;
            }
        }
    }
}

/// Carries out one configuration command.
fn handle(state: &mut State, ctx: &Context, command: &[Vec<u8>]) -> Result<()> {
    let text = |i: usize| -> Result<&str> {
        command
            .get(i)
            .and_then(|part| std::str::from_utf8(part).ok())
            .ok_or(Error::EINVAL)
    };
    match text(0)? {
        side @ ("FRONTEND" | "BACKEND") => {
            let kind = socket_type(text(1)?).ok_or(Error::EINVAL)?;
            let socket = ctx.socket(kind)?;
            attach(&socket, text(2)?)?;
            if side == "FRONTEND" {
                state.frontend = Some(socket);
            } else {
                state.backend = Some(socket);
            }
        }
        "CAPTURE" => {
            let socket = ctx.socket(SocketType::PUSH)?;
            socket.connect(text(1)?)?;
            state.capture = Some(socket);
        }
        "PAUSE" => state.paused = true,
        "RESUME" => state.paused = false,
        _ => return Err(Error::EINVAL),
    }
    Ok(())
}

/// Moves one whole message from `from` to `to`, every frame, copying each
/// to `capture` (a clone: the body is shared).
fn forward(from: &Socket, to: &Socket, capture: Option<&Socket>) -> Result<()> {
    loop {
        let frame: Message = from.recv_msg(0)?;
        let more = if frame.get_more() { SNDMORE } else { 0 };
        if let Some(capture) = capture {
            capture.send(frame.clone(), more)?;
        }
        to.send(frame, more)?;
        if more == 0 {
            return Ok(());
        }
    }
}
