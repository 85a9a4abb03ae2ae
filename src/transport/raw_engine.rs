//! One raw connection of a STREAM socket: bytes in, bytes out, no ZMTP.
//!
//! libzmq's ZMQ_STREAM talks to non-ZeroMQ peers over plain TCP. Here a
//! [`RawEngine`] carries one such connection on the I/O thread:
//!
//! - Connected (accepted, or an outgoing connect completed): it makes its
//!   pipe pair at once and mails the socket its end (`Attach`, with no
//!   routing id: the STREAM pattern generates one), then writes an empty
//!   frame into the pipe, the connect notification.
//! - Inward: each chunk `read(2)` returns becomes one single-frame message;
//!   a full pipe (RCVHWM) stops the reading until `ActivateWrite`.
//! - Outward: each frame in the pipe is written as it is. The socket closes
//!   a connection by closing its pipe end (an empty frame sent to the id):
//!   what was queued before is written, then the stream is closed.
//! - Ended (EOF, reset, any error): an empty frame, the disconnect
//!   notification, goes into the pipe (regardless of RCVHWM, so it is never
//!   lost), and the pipe end is dropped.
//!
//! Every connection of a STREAM socket, connect included, has its own
//! pipe, which lives and dies with the connection (as with IMMEDIATE): a
//! reconnection is a new peer with a new routing id, as in libzmq.
//!
//! [`AnyEngine`] lets the I/O thread hold a ZMTP or a raw engine alike.

use std::collections::VecDeque;
use std::io::{ErrorKind, IoSlice};
use std::time::{Duration, Instant};

use bytes::{Buf, Bytes, BytesMut};
use mio::Token;

use super::direct::SharedEngine;
use super::engine::{
    connect_deadline, linger_deadline, socket_pipe, Closed, ConnectPipe, Engine, Origin, Owner,
    Watch,
};
use super::stream::Stream;
use crate::command::{Command, NewPipe};
use crate::mailbox::Mailbox;
use crate::monitor_event::SocketEvent;
use crate::msg::Message;
use crate::pipe::{PeerInfo, PipeEnd};
use crate::socket_type::SocketType;
use crate::sync::Arc;
use crate::sys;

/// Octets asked of the kernel per read.
const READ_CHUNK: usize = 64 * 1024;
/// Octets queued for the stream before the engine stops reading its pipe.
const OUT_BATCH: usize = 256 * 1024;
/// Buffers per `writev`.
const MAX_IOV: usize = 64;
/// When the I/O thread looks again at the deadlines of an engine that the
/// socket's thread was running.
const BUSY_ENGINE_RECHECK: Duration = Duration::from_millis(1);

/// An engine of either kind, for the I/O thread.
// The raw engine is the rare one (STREAM sockets): left unboxed as before,
// engines sit in a map and are seldom moved.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub(crate) enum AnyEngine {
    /// ZMTP 3.1: every socket type but STREAM. Shared with the socket's
    /// thread, which may drive it (direct I/O, `direct.rs`).
    Zmtp(SharedEngine),
    /// Raw bytes: STREAM.
    Raw(RawEngine),
}

impl AnyEngine {
    /// A raw engine for a STREAM socket, a ZMTP engine for any other (the
    /// arguments are [`Engine::new`]'s).
    pub(crate) fn new(
        stream: Stream,
        token: Token,
        owner: Owner,
        endpoint: String,
        io_mailbox: Arc<Mailbox>,
        mut origin: Origin,
        connecting: bool,
    ) -> AnyEngine {
        if owner.kind == SocketType::STREAM {
            let connect_side = !matches!(origin, Origin::Accepted);
            AnyEngine::Raw(RawEngine::new(
                stream,
                token,
                owner,
                endpoint,
                io_mailbox,
                connect_side,
                connecting,
            ))
        } else {
            let slot = match &mut origin {
                Origin::Connect(pipe) => pipe.slot.take(),
                Origin::Accepted | Origin::ImmediateConnect => None,
            };
            let engine = Engine::new(
                stream, token, owner, endpoint, io_mailbox, origin, connecting,
            );
            AnyEngine::Zmtp(SharedEngine::new(engine, slot))
        }
    }

    /// The stream is registered with the poll: a ZMTP engine keeps the
    /// registration to what it needs from now on (a raw one stays
    /// registered for both directions).
    pub(crate) fn set_watch(&mut self, watch: Watch) {
        if let AnyEngine::Zmtp(e) = self {
            e.with((), |e| e.set_watch(watch));
        }
    }

    /// Whether this is a STREAM socket's raw connection.
    pub(crate) fn is_raw(&self) -> bool {
        matches!(self, AnyEngine::Raw(_))
    }

    /// The connection's descriptor (for registering it with the poll).
    pub(crate) fn raw_fd(&self) -> std::os::unix::io::RawFd {
        match self {
            AnyEngine::Zmtp(e) => e.raw_fd(),
            AnyEngine::Raw(e) => e.stream.raw_fd(),
        }
    }
    pub(crate) fn socket(&self) -> u64 {
        match self {
            AnyEngine::Zmtp(e) => e.socket(),
            AnyEngine::Raw(e) => e.socket(),
        }
    }
    pub(crate) fn is_ready(&self) -> bool {
        match self {
            AnyEngine::Zmtp(e) => e.with(false, |e| e.is_ready()),
            AnyEngine::Raw(e) => e.is_ready(),
        }
    }
    pub(crate) fn handshake_limit(&self) -> Option<Duration> {
        match self {
            AnyEngine::Zmtp(e) => e.with(None, |e| e.handshake_limit()),
            AnyEngine::Raw(_) => None, // no handshake
        }
    }
    /// The next time [`on_timer`](Self::on_timer) has something to do. An
    /// engine the socket's thread is running right now is looked at again
    /// shortly rather than waited for.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        match self {
            AnyEngine::Zmtp(e) => e
                .try_with(|e| e.deadline())
                .unwrap_or_else(|| Some(Instant::now() + BUSY_ENGINE_RECHECK)),
            AnyEngine::Raw(e) => e.deadline(),
        }
    }
    pub(crate) fn linger(&mut self, now: Instant) {
        match self {
            AnyEngine::Zmtp(e) => e.with((), |e| e.linger(now)),
            AnyEngine::Raw(e) => e.linger(now),
        }
    }
    pub(crate) fn on_timer(&mut self, now: Instant) -> Result<(), Closed> {
        match self {
            AnyEngine::Zmtp(e) => e.with(Err(Closed::SocketGone), |e| e.on_timer(now)),
            AnyEngine::Raw(e) => e.on_timer(now),
        }
    }
    pub(crate) fn endpoint(&self) -> &str {
        match self {
            AnyEngine::Zmtp(e) => e.endpoint(),
            AnyEngine::Raw(e) => e.endpoint(),
        }
    }
    pub(crate) fn has_pipe(&self) -> bool {
        match self {
            AnyEngine::Zmtp(e) => e.with(false, |e| e.has_pipe()),
            AnyEngine::Raw(e) => e.has_pipe(),
        }
    }
    pub(crate) fn into_connect_pipe(self) -> Option<ConnectPipe> {
        match self {
            AnyEngine::Zmtp(e) => e.into_connect_pipe(),
            AnyEngine::Raw(_) => None, // its pipe dies with it
        }
    }
    /// The stream is readable and/or writable: true when the engine moved
    /// something (a ZMTP engine whose socket's thread had already read
    /// the stream finds nothing, and is no reason to spin).
    pub(crate) fn on_event(&mut self, readable: bool, writable: bool) -> Result<bool, Closed> {
        match self {
            AnyEngine::Zmtp(e) => e.with(Err(Closed::SocketGone), |e| {
                let before = e.activity();
                e.on_event(readable, writable)?;
                Ok(e.activity() != before)
            }),
            AnyEngine::Raw(e) => e.on_event(readable, writable).map(|()| true),
        }
    }
    pub(crate) fn start(&mut self) -> Result<(), Closed> {
        match self {
            AnyEngine::Zmtp(e) => e.with(Err(Closed::SocketGone), |e| e.start()),
            AnyEngine::Raw(e) => e.start(),
        }
    }
    pub(crate) fn on_command(&mut self, command: &Command) -> Result<(), Closed> {
        match self {
            AnyEngine::Zmtp(e) => e.with(Err(Closed::SocketGone), |e| e.on_command(command)),
            AnyEngine::Raw(e) => e.on_command(command),
        }
    }
    /// Spinning mode (see `Engine::spin`); a raw engine always marks its
    /// pipe asleep when it finds it empty, so it has nothing to do.
    pub(crate) fn spin(&mut self) {
        if let AnyEngine::Zmtp(e) = self {
            e.with((), |e| e.spin());
        }
    }
    pub(crate) fn poll_pipe(&mut self) -> Result<bool, Closed> {
        match self {
            AnyEngine::Zmtp(e) => e.with(Err(Closed::SocketGone), |e| e.poll_pipe()),
            AnyEngine::Raw(_) => Ok(false),
        }
    }
    pub(crate) fn settle(&mut self) -> Result<bool, Closed> {
        match self {
            AnyEngine::Zmtp(e) => e.with(Err(Closed::SocketGone), |e| e.settle()),
            AnyEngine::Raw(_) => Ok(false),
        }
    }
    /// Whether the socket queued messages this connection has not taken.
    pub(crate) fn has_queued(&self) -> bool {
        match self {
            AnyEngine::Zmtp(e) => e.with(false, |e| e.has_queued()),
            AnyEngine::Raw(_) => false,
        }
    }
    pub(crate) fn is_connecting(&self) -> bool {
        match self {
            AnyEngine::Zmtp(e) => e.with(false, |e| e.is_connecting()),
            AnyEngine::Raw(e) => e.connecting,
        }
    }
    /// Reports a monitor event about this connection.
    pub(crate) fn emit(&self, event: SocketEvent, value: u32) {
        match self {
            AnyEngine::Zmtp(e) => e.with((), |e| e.emit(event, value)),
            AnyEngine::Raw(e) => e.emit(event, value),
        }
    }
}

/// One raw connection.
#[derive(Debug)]
pub(crate) struct RawEngine {
    stream: Stream,
    token: Token,
    owner: Owner,
    endpoint: String,
    io_mailbox: Arc<Mailbox>,
    /// Our pipe end, from the moment the connection is made.
    pipe: Option<PipeEnd>,
    /// The socket connected (its pipe end is the connect side).
    connect_side: bool,
    /// A TCP connect still in progress.
    connecting: bool,
    /// A chunk read while the pipe was full.
    stalled: Option<Message>,
    /// Frames taken from the pipe, not yet written to the stream.
    out: VecDeque<Bytes>,
    /// Octets in `out`.
    out_len: usize,
    /// The socket closed the connection (or its pipe): flush, then close.
    closing: bool,
    /// CONNECT_TIMEOUT while connecting, the end of LINGER once closing.
    give_up_at: Option<Instant>,
}

impl RawEngine {
    fn new(
        stream: Stream,
        token: Token,
        owner: Owner,
        endpoint: String,
        io_mailbox: Arc<Mailbox>,
        connect_side: bool,
        connecting: bool,
    ) -> RawEngine {
        let give_up_at = connect_deadline(&owner.options, connecting);
        RawEngine {
            stream,
            token,
            owner,
            endpoint,
            io_mailbox,
            pipe: None,
            connect_side,
            connecting,
            stalled: None,
            out: VecDeque::new(),
            out_len: 0,
            closing: false,
            give_up_at,
        }
    }

    fn socket(&self) -> u64 {
        self.owner.socket
    }

    /// Connected (a raw connection has no handshake).
    fn is_ready(&self) -> bool {
        !self.connecting
    }

    fn deadline(&self) -> Option<Instant> {
        self.give_up_at
    }

    fn linger(&mut self, now: Instant) {
        self.give_up_at = linger_deadline(self.give_up_at, &self.owner.options, now);
    }

    fn on_timer(&mut self, now: Instant) -> Result<(), Closed> {
        if self.give_up_at.is_some_and(|at| at <= now) {
            return Err(if self.connecting {
                Closed::Io(ErrorKind::TimedOut.into())
            } else {
                Closed::SocketGone
            });
        }
        Ok(())
    }

    fn endpoint(&self) -> &str {
        &self.endpoint
    }

    fn emit(&self, event: SocketEvent, value: u32) {
        self.owner.events.emit(event, value, &self.endpoint);
    }

    fn has_pipe(&self) -> bool {
        self.pipe.is_some()
    }

    fn start(&mut self) -> Result<(), Closed> {
        if self.connecting {
            return Ok(());
        }
        self.on_connected();
        self.pull_in()?;
        self.push_out()
    }

    fn on_event(&mut self, readable: bool, writable: bool) -> Result<(), Closed> {
        if self.connecting {
            if !(readable || writable) {
                return Ok(());
            }
            match self.stream.connect_result() {
                Ok(true) => {
                    self.connecting = false;
                    self.give_up_at = None;
                    self.emit(SocketEvent::CONNECTED, self.stream.raw_fd() as u32);
                    return self.start();
                }
                Ok(false) => return Ok(()),
                Err(e) => return Err(Closed::Io(e)),
            }
        }
        if readable {
            self.pull_in()?;
        }
        self.push_out()
    }

    fn on_command(&mut self, command: &Command) -> Result<(), Closed> {
        if self.connecting {
            return match command {
                Command::PipeTerm(_) => Err(Closed::SocketGone),
                _ => Ok(()),
            };
        }
        match command {
            Command::ActivateWrite(_) => {
                self.pull_in()?;
                self.push_out()
            }
            Command::ActivateRead(_) => self.push_out(),
            Command::PipeTerm(_) => {
                self.closing = true;
                self.push_out()
            }
            Command::Attach(_) | Command::PeerBound(..) => Ok(()),
        }
    }

    /// The connection is made: give the socket its pipe, and tell it.
    fn on_connected(&mut self) {
        let (mut ours, theirs) = socket_pipe(
            &self.owner.options,
            self.connect_side,
            &self.endpoint,
            self.token,
            &self.io_mailbox,
        );
        // The connect notification (STREAM_NOTIFY, on as in libzmq).
        let _ = ours.write(Message::new());
        self.owner.mailbox.send(Command::Attach(Box::new(NewPipe {
            end: theirs,
            peer: PeerInfo { routing_id: None },
        })));
        self.pipe = Some(ours);
    }

    /// Reads chunks off the stream into the pipe, until the stream has
    /// nothing more or the pipe is full.
    fn pull_in(&mut self) -> Result<(), Closed> {
        if let Some(chunk) = self.stalled.take() {
            if !self.deliver(chunk) {
                return Ok(());
            }
        }
        let mut buf = BytesMut::new();
        let fd = self.stream.raw_fd();
        loop {
            // Straight into spare capacity: no zero-filling per read.
            match sys::read_into_spare(fd, &mut buf, READ_CHUNK, usize::MAX) {
                Ok(0) => return Err(Closed::Eof),
                Ok(_) => {
                    let chunk = Message::from(buf.split().freeze());
                    if !self.deliver(chunk) {
                        return Ok(());
                    }
                }
                Err(e) => match e.kind() {
                    ErrorKind::WouldBlock => return Ok(()),
                    ErrorKind::Interrupted => {}
                    _ => return Err(Closed::Io(e)),
                },
            }
        }
    }

    /// Writes one chunk into the pipe; false (chunk kept) when it is full.
    fn deliver(&mut self, chunk: Message) -> bool {
        let Some(pipe) = &mut self.pipe else {
            return true;
        };
        if !pipe.check_write() {
            if pipe.peer_closed() {
                return true; // nobody reads: drop
            }
            self.stalled = Some(chunk);
            return false;
        }
        let _ = pipe.write(chunk);
        true
    }

    /// Moves frames from the pipe to the stream, until the stream is full
    /// or there is nothing left; closes once the socket is done with us.
    fn push_out(&mut self) -> Result<(), Closed> {
        loop {
            self.fill_out();
            if self.out.is_empty() {
                break;
            }
            if !self.write_out()? {
                return Ok(()); // the stream is full: wait for writability
            }
        }
        if self.closing {
            return Err(Closed::SocketGone);
        }
        Ok(())
    }

    fn fill_out(&mut self) {
        let Some(pipe) = &mut self.pipe else {
            return;
        };
        while self.out_len < OUT_BATCH && !self.closing {
            let Some(frame) = pipe.read() else {
                if pipe.peer_closed() && !pipe.check_read() {
                    self.closing = true;
                }
                break;
            };
            if frame.is_empty() {
                self.closing = true; // an empty frame closes, as in libzmq
                break;
            }
            let bytes = frame.into_bytes();
            self.out_len += bytes.len();
            self.out.push_back(bytes);
        }
    }

    /// One `writev` of what is queued; false when the stream would block.
    fn write_out(&mut self) -> Result<bool, Closed> {
        loop {
            let slices: Vec<IoSlice<'_>> = self
                .out
                .iter()
                .take(MAX_IOV)
                .map(|b| IoSlice::new(b))
                .collect();
            match self.stream.write_vectored(&slices) {
                Ok(0) => return Err(Closed::Eof),
                Ok(mut n) => {
                    self.out_len -= n;
                    while n > 0 {
                        let Some(front) = self.out.front_mut() else {
                            break;
                        };
                        if front.len() <= n {
                            n -= front.len();
                            self.out.pop_front();
                        } else {
                            front.advance(n);
                            n = 0;
                        }
                    }
                    return Ok(true);
                }
                Err(e) => match e.kind() {
                    ErrorKind::WouldBlock => return Ok(false),
                    ErrorKind::Interrupted => {}
                    _ => return Err(Closed::Io(e)),
                },
            }
        }
    }
}

impl Drop for RawEngine {
    /// The disconnect notification: what was read, then an empty frame,
    /// written past RCVHWM so the socket always learns the peer left.
    fn drop(&mut self) {
        if let Some(pipe) = &mut self.pipe {
            if let Some(chunk) = self.stalled.take() {
                let _ = pipe.write(chunk);
            }
            let _ = pipe.write(Message::new());
        }
    }
}
