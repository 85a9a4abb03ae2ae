//! One network connection on the I/O thread: a byte stream, its ZMTP
//! [`Connection`], and (once the handshake is complete) one pipe to the
//! application socket.
//!
//! The engine moves messages in batches. Outward: it reads everything the
//! pipe holds into the encoder (up to [`OUT_BATCH`] octets) and writes it with
//! one `writev`. Inward: it reads what the kernel has into one buffer,
//! decodes every message and writes each into the pipe; the pipe's own
//! flush wakes the socket only if its reader was asleep. A large body
//! (`RECV_LARGE_BODY`) is read into a buffer of its own from the engine's
//! [`BodyPool`], which gets it back when the message drops.
//!
//! Back-pressure: when the pipe to the socket is full (RCVHWM), the frame is
//! kept aside and the engine stops reading the stream until the socket
//! sends `ActivateWrite`; when the encoder holds more than `OUT_BATCH`, it
//! stops reading the pipe until the stream takes more, so SNDHWM holds.
//!
//! A connect's pipe outlives its connections (messages queue while the peer
//! is away): it arrives in a [`ConnectPipe`] and goes back to the connecter
//! when the connection ends. A bind's connection makes its pipe at the end
//! of the handshake and mails the socket's end (`Attach`), so the socket's
//! pattern sees the peer only once it is READY.

use std::collections::BTreeSet;
use std::io::{self, ErrorKind};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use mio::unix::SourceFd;
use mio::{Interest, Registry, Token};

use super::direct::EngineSlot;
use super::events::EventSink;
use super::stream::Stream;
use super::zmtp::{
    BodyPool, Connection, ConnectionConfig, Inbound, PeerMetadata, Subscription, ZmtpError,
};
use crate::command::{Command, NewPipe};
use crate::config::{DIRECT_READ_RECLAIM, RECV_HEADER_READ};
use crate::mailbox::Mailbox;
use crate::monitor_event::SocketEvent;
use crate::msg::Message;
use crate::pipe::{pipe_pair, Driver, PeerInfo, PipeEnd, PipeId};
use crate::socket::options::Options;
use crate::socket_type::SocketType;
use crate::sync::{Arc, DynArc, DynWeak};
use crate::sys;

/// Octets queued in the encoder before the engine stops reading its pipe.
const OUT_BATCH: usize = 256 * 1024;
/// Octets asked of the kernel per read, at least.
const READ_CHUNK: usize = 64 * 1024;
/// Buffers per `writev` (Linux's `IOV_MAX` is 1024).
const MAX_IOV: usize = 256;

/// The application socket a listener or connection works for.
#[derive(Debug, Clone)]
pub(crate) struct Owner {
    pub(crate) socket: u64,
    pub(crate) mailbox: Arc<Mailbox>,
    pub(crate) kind: SocketType,
    pub(crate) options: Options,
    /// Where this socket's monitor events go.
    pub(crate) events: DynArc<dyn EventSink>,
}

/// The HWM of one direction as a pipe limit (0: none).
pub(crate) fn limit(hwm: i32, options: &Options) -> u64 {
    if hwm > 0 && !options.conflate {
        hwm as u64
    } else {
        0
    }
}

/// A connect's pipe, kept across reconnections.
#[derive(Debug)]
pub(crate) struct ConnectPipe {
    /// The I/O thread's end (the socket holds the other).
    pub(crate) end: PipeEnd,
    /// The socket's id for its end (for `PeerBound`).
    pub(crate) socket_pipe: PipeId,
    /// Whether the socket has been told who the peer is.
    pub(crate) announced: bool,
    /// The subscriptions a SUB/XSUB sent through this pipe, replayed to
    /// every new connection (the pattern sent them once, at attach).
    pub(crate) subscriptions: BTreeSet<Bytes>,
    /// The slot the pipe's driver points at, kept for the next connection.
    pub(crate) slot: Option<DynArc<EngineSlot>>,
}

/// How a connection came to be, and how it reaches its socket.
#[derive(Debug)]
pub(crate) enum Origin {
    /// Accepted by a listener: a pipe is made at the handshake.
    Accepted,
    /// A connect, carrying its long-lived pipe.
    Connect(ConnectPipe),
    /// A connect with IMMEDIATE: a pipe is made at the handshake and dies
    /// with the connection, so nothing queues for a peer that is away.
    ImmediateConnect,
}

/// Why a connection ended.
#[derive(Debug)]
pub(crate) enum Closed {
    /// The peer closed the stream.
    Eof,
    /// The stream failed.
    Io(io::Error),
    /// The peer broke the protocol (or refused us).
    Protocol(ZmtpError),
    /// The socket closed its end of the pipe and everything was flushed.
    SocketGone,
    /// The handshake took longer than HANDSHAKE_IVL.
    HandshakeTimeout,
    /// Nothing came from the peer within HEARTBEAT_TIMEOUT after our PING,
    /// or within the TTL the peer's PING asked for.
    HeartbeatTimeout,
}

/// One connection.
#[derive(Debug)]
pub(crate) struct Engine {
    stream: Stream,
    token: Token,
    conn: Connection,
    /// The read buffer: headers, small and medium bodies.
    inbuf: BytesMut,
    /// Buffers for large bodies, which come back when their messages drop.
    bodies: BodyPool,
    /// The last read went into a large body's own buffer.
    after_large: bool,
    owner: Owner,
    /// The endpoint the socket bound or connected (the pipe's endpoint).
    endpoint: String,
    /// The I/O thread's mailbox, which our pipe end attaches with.
    io_mailbox: Arc<Mailbox>,
    /// Our pipe end: from the start for a connect, from the handshake on
    /// for an accepted connection.
    pipe: Option<PipeEnd>,
    /// A connect's pipe bookkeeping (its `end` lives in `pipe` meanwhile).
    connect: Option<ConnectMeta>,
    /// A TCP connect still in progress.
    connecting: bool,
    /// The socket's end of a pipe made at the handshake is its connect
    /// side (an IMMEDIATE connect), for `disconnect`.
    socket_connected: bool,
    /// A frame decoded while the pipe was full (first frame of a message).
    stalled: Option<Message>,
    /// The last frame written to the pipe had MORE set.
    in_more: bool,
    /// The last frame read from the pipe had MORE set.
    out_more: bool,
    /// The socket closed its end: flush, then close.
    closing: bool,
    /// When to send our next PING (HEARTBEAT_IVL), once ready.
    next_ping: Option<Instant>,
    /// When to give the peer up unless something arrives first (our PING
    /// unanswered within HEARTBEAT_TIMEOUT, or the peer's PING TTL).
    dead_at: Option<Instant>,
    /// When to give up regardless: the end of LINGER after the socket
    /// closed, or CONNECT_TIMEOUT while a TCP connect is in progress.
    give_up_at: Option<Instant>,
    /// The I/O thread is spinning on this engine: reading an empty pipe
    /// leaves it awake, so the socket's next flush costs no `ActivateRead`
    /// command; the thread calls [`Engine::settle`] before it blocks.
    spinning: bool,
    /// The last write met a full stream (`EAGAIN`): nothing more is written
    /// until a writable event says there is room.
    stream_full: bool,
    /// The application thread found the connection ended (direct I/O):
    /// the I/O thread's next call reports it.
    broken: Option<Closed>,
    /// Counts frames and writes moved, so a caller can tell whether a call
    /// did anything (an I/O thread spins only after real work).
    activity: u64,
    /// Messages delivered to the socket and not yet answered: each whole
    /// message delivered adds one, each whole message sent takes one away.
    /// While any is owed, a send is likely a reply, which the socket's
    /// thread may write to the stream itself (see [`Engine::direct_out`]).
    /// A count, not a flag: a batch of requests gets each of its replies
    /// written at once, not only the first (the rest would wait for the
    /// I/O thread to be woken).
    owed_replies: u64,
    /// The socket sent a message since one was last delivered: it likely
    /// waits for the answer, which its thread may read off the stream
    /// itself (see [`Engine::direct_in`]). A socket that only receives
    /// (PULL, SUB) is better served by its I/O thread, which reads ahead
    /// while the application works on what came before.
    awaits_reply: bool,
    /// The slot this engine lives in, registered as its pipe's driver.
    driver: Option<DynWeak<dyn Driver>>,
    /// What the I/O thread's poll watches for us (see [`Engine::rearm`]).
    watch: Option<Watch>,
    /// The socket's thread reads the stream while it waits in a receive
    /// (direct I/O), so the I/O thread is not woken for input meanwhile.
    socket_reads: bool,
    /// Direct reads so far, and the count and time at which the I/O thread
    /// next checks that the socket still reads: if it has stopped (the
    /// application went on to other work, between receives), the I/O
    /// thread takes the stream back, so input never waits long unread.
    direct_reads: u64,
    reclaim: Option<(Instant, u64)>,
}

/// The I/O thread's poll, as an engine re-arms it.
#[derive(Debug)]
pub(crate) struct Watch {
    /// A handle on the I/O thread's poll (its own `epoll` descriptor, so
    /// it stays valid as long as we hold it).
    pub(crate) registry: DynArc<Registry>,
    /// What the poll watches now (`None`: the stream is not registered).
    pub(crate) armed: Option<Interest>,
}

#[derive(Debug)]
struct ConnectMeta {
    socket_pipe: PipeId,
    announced: bool,
    subscriptions: BTreeSet<Bytes>,
}

impl Engine {
    /// An engine for `stream`. `connect` is a connect's pipe; `connecting`
    /// says a TCP connect is still in progress.
    pub(crate) fn new(
        stream: Stream,
        token: Token,
        owner: Owner,
        endpoint: String,
        io_mailbox: Arc<Mailbox>,
        origin: Origin,
        connecting: bool,
    ) -> Engine {
        let socket_connected = matches!(origin, Origin::ImmediateConnect);
        let connect = match origin {
            Origin::Connect(pipe) => Some(pipe),
            Origin::Accepted | Origin::ImmediateConnect => None,
        };
        let conn = Connection::new(ConnectionConfig {
            socket_type: owner.kind,
            identity: Bytes::copy_from_slice(&owner.options.identity),
            max_msg_size: owner.options.maxmsgsize,
        });
        let give_up_at = connect_deadline(&owner.options, connecting);
        let (pipe, connect) = match connect {
            Some(c) => (
                Some(c.end),
                Some(ConnectMeta {
                    socket_pipe: c.socket_pipe,
                    announced: c.announced,
                    subscriptions: c.subscriptions,
                }),
            ),
            None => (None, None),
        };
        Engine {
            stream,
            token,
            conn,
            inbuf: BytesMut::new(),
            bodies: BodyPool::new(),
            after_large: false,
            owner,
            endpoint,
            io_mailbox,
            pipe,
            connect,
            connecting,
            socket_connected,
            stalled: None,
            in_more: false,
            out_more: false,
            closing: false,
            next_ping: None,
            dead_at: None,
            give_up_at,
            spinning: false,
            stream_full: false,
            broken: None,
            activity: 0,
            owed_replies: 0,
            awaits_reply: false,
            driver: None,
            watch: None,
            socket_reads: false,
            direct_reads: 0,
            reclaim: None,
        }
    }

    /// The I/O thread registered the stream with `armed` interest; from now
    /// on the engine keeps the registration to what it needs.
    pub(crate) fn set_watch(&mut self, watch: Watch) {
        self.watch = Some(watch);
    }

    /// Re-registers the stream when what we need has changed: readable,
    /// unless the socket's thread reads it itself; writable only while a
    /// connect is in progress or a write met a full stream (a stream is
    /// almost always writable: waiting for it at other times would wake the
    /// I/O thread after every change). Needing neither, the stream leaves
    /// the poll altogether: even a priority-only registration would wake
    /// the I/O thread for every segment that arrives, as TCP signals new
    /// data with the priority bit too. Registering makes the poll report at
    /// once whatever is ready then, so nothing that came meanwhile is lost.
    pub(crate) fn rearm(&mut self) {
        let Some(watch) = &mut self.watch else {
            return;
        };
        let out = self.connecting || self.stream_full;
        let want = match (self.socket_reads, out) {
            (true, false) => None,
            (true, true) => Some(Interest::WRITABLE),
            (false, false) => Some(Interest::READABLE),
            (false, true) => Some(Interest::READABLE | Interest::WRITABLE),
        };
        if want == watch.armed {
            return;
        }
        let fd = self.stream.raw_fd();
        let mut source = SourceFd(&fd);
        let done = match (watch.armed, want) {
            (_, None) => watch.registry.deregister(&mut source),
            (None, Some(interest)) => watch.registry.register(&mut source, self.token, interest),
            (Some(_), Some(interest)) => {
                watch.registry.reregister(&mut source, self.token, interest)
            }
        };
        if done.is_ok() {
            watch.armed = want;
        }
    }

    /// Direct I/O: the socket's thread stops reading the stream itself;
    /// the I/O thread is woken for input again.
    pub(crate) fn end_socket_reads(&mut self) {
        if self.socket_reads {
            self.socket_reads = false;
            self.reclaim = None;
            self.rearm();
        }
    }

    /// Makes `driver` (the engine's slot) the driver of its pipe, now and
    /// for a pipe made at the handshake.
    pub(crate) fn set_driver(&mut self, driver: DynWeak<dyn Driver>) {
        if let Some(pipe) = &self.pipe {
            pipe.set_driver(driver.clone());
        }
        self.driver = Some(driver);
    }

    pub(crate) fn raw_fd(&self) -> std::os::unix::io::RawFd {
        self.stream.raw_fd()
    }

    /// How much the engine has moved so far (see `activity`).
    pub(crate) fn activity(&self) -> u64 {
        self.activity
    }

    /// The application thread found the connection ended: keep the reason
    /// for the I/O thread, and make it look.
    pub(crate) fn break_off(&mut self, closed: Closed) {
        if self.broken.is_none() {
            self.broken = Some(closed);
            self.notify_io();
        }
    }

    /// Makes the I/O thread look at this engine: any command for its pipe
    /// runs it (a broken engine then reports how it ended, a socket that
    /// took the stream has a reclaim deadline for the thread to learn).
    fn notify_io(&self) {
        self.io_mailbox
            .send(Command::ActivateRead(pipe_id(self.token)));
    }

    /// A reason the connection ended that the I/O thread has not seen yet.
    fn check_broken(&mut self) -> Result<(), Closed> {
        match self.broken.take() {
            Some(closed) => Err(closed),
            None => Ok(()),
        }
    }

    /// Direct I/O, on the application thread: the socket flushed a message
    /// and found us asleep. When that message is likely a reply (something
    /// was delivered since the socket last sent), it is written to the
    /// stream here and now (true); otherwise (false) the socket wakes the
    /// I/O thread as usual, which batches a stream of sends into one
    /// `writev`.
    pub(crate) fn direct_out(&mut self) -> Result<bool, Closed> {
        if self.owed_replies == 0
            || self.broken.is_some()
            || self.connecting
            || self.closing
            || self.stream_full
            || !self.conn.is_ready()
        {
            return Ok(false);
        }
        self.push_out()?;
        Ok(true)
    }

    /// Direct I/O, on the application thread: its socket waits for input,
    /// so read the stream now rather than wait for the I/O thread to be
    /// woken. False when the engine is not in a state to do so.
    /// `likely_ready` (the socket's thread has just yielded its core, so a
    /// peer sharing it has probably answered): read without looking first.
    pub(crate) fn direct_in(&mut self, likely_ready: bool) -> Result<bool, Closed> {
        if self.broken.is_some()
            || self.connecting
            || self.stalled.is_some()
            || !self.conn.is_ready()
            || !(self.socket_reads || self.awaits_reply)
        {
            return Ok(false);
        }
        if !self.socket_reads && self.watch.is_some() {
            self.socket_reads = true;
            self.rearm();
            // The I/O thread must learn of the check it now owes (it may be
            // blocked with no deadline): one command, once per hand-over.
            self.reclaim = Some((Instant::now() + DIRECT_READ_RECLAIM, self.direct_reads));
            self.notify_io();
        }
        self.direct_reads += 1;
        // See `spin`.
        self.spinning = false;
        // Look before reading: `poll` does not take the kernel's socket
        // lock, which a spinning `read` would hold against the packets
        // being delivered to it (they would wait in the socket's backlog).
        // Not after a yield: with both ends on one core the answer is
        // there by then, and the look would be a second system call.
        if !likely_ready {
            let mut look = [sys::PollFd::new(self.stream.raw_fd(), sys::POLLIN)];
            if matches!(sys::poll(&mut look, 0), Ok(0)) {
                return Ok(true);
            }
        }
        self.pull_in()?;
        // What reading queued (a PONG) goes out too.
        self.push_out()?;
        Ok(true)
    }

    pub(crate) fn socket(&self) -> u64 {
        self.owner.socket
    }

    /// Whether a TCP connect is still in progress.
    pub(crate) fn is_connecting(&self) -> bool {
        self.connecting
    }

    /// Reports a monitor event about this connection.
    pub(crate) fn emit(&self, event: SocketEvent, value: u32) {
        self.owner.events.emit(event, value, &self.endpoint);
    }

    /// Whether the handshake is complete.
    pub(crate) fn is_ready(&self) -> bool {
        self.conn.is_ready()
    }

    /// HANDSHAKE_IVL: how long the connection (connect included) may take
    /// to complete its handshake (`None`: no limit).
    pub(crate) fn handshake_limit(&self) -> Option<std::time::Duration> {
        let ivl = self.owner.options.handshake_ivl;
        (ivl > 0).then(|| std::time::Duration::from_millis(ivl as u64))
    }

    /// The next time [`Engine::on_timer`] has something to do.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        let reclaim = self.reclaim.map(|(at, _)| at);
        [self.next_ping, self.dead_at, self.give_up_at, reclaim]
            .into_iter()
            .flatten()
            .min()
    }

    /// The socket closed: what it queued may take LINGER ms to flush
    /// (negative: no limit).
    pub(crate) fn linger(&mut self, now: Instant) {
        self.give_up_at = linger_deadline(self.give_up_at, &self.owner.options, now);
    }

    /// Heartbeats: sends a PING when due; gives the peer up when it has
    /// been silent too long.
    pub(crate) fn on_timer(&mut self, now: Instant) -> Result<(), Closed> {
        self.check_broken()?;
        if let Some((at, seen)) = self.reclaim {
            if at <= now {
                if seen == self.direct_reads {
                    // The socket stopped reading: the stream is ours again.
                    self.end_socket_reads();
                    self.pull_in()?;
                } else {
                    self.reclaim = Some((now + DIRECT_READ_RECLAIM, self.direct_reads));
                }
            }
        }
        if self.give_up_at.is_some_and(|at| at <= now) {
            return Err(if self.connecting {
                Closed::Io(io::ErrorKind::TimedOut.into())
            } else {
                Closed::SocketGone
            });
        }
        if self.dead_at.is_some_and(|at| at <= now) {
            if self.stalled.is_none() {
                return Err(Closed::HeartbeatTimeout);
            }
            // We stopped reading (our socket's pipe is full), so the peer's
            // PONG may well be waiting unread: silence proves nothing.
            self.dead_at = None;
        }
        if self.next_ping.is_some_and(|at| at <= now) {
            let options = &self.owner.options;
            let ivl = Duration::from_millis(options.heartbeat_ivl.max(1) as u64);
            let timeout = if options.heartbeat_timeout >= 0 {
                Duration::from_millis(options.heartbeat_timeout as u64)
            } else {
                ivl // libzmq: HEARTBEAT_TIMEOUT defaults to HEARTBEAT_IVL
            };
            let ttl = u16::try_from(options.heartbeat_ttl / 100).unwrap_or(u16::MAX);
            self.next_ping = Some(now + ivl);
            // Ok(false): a ZMTP 3.0 peer, which has no heartbeats.
            if self.conn.send_ping(ttl, Bytes::new()).unwrap_or(false) {
                let limit = now + timeout;
                self.dead_at = Some(self.dead_at.map_or(limit, |at| at.min(limit)));
            }
            self.push_out()?;
        }
        Ok(())
    }

    pub(crate) fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Whether the engine has a pipe to the socket (a connect's, or an
    /// accepted connection past its handshake).
    pub(crate) fn has_pipe(&self) -> bool {
        self.pipe.is_some()
    }

    /// Whether the socket queued messages this connection has not taken.
    pub(crate) fn has_queued(&self) -> bool {
        self.pipe.as_ref().is_some_and(PipeEnd::peek_ready)
    }

    /// Puts the engine in spinning mode (see `spinning`); the I/O thread
    /// then polls it with [`Engine::poll_pipe`] and ends the mode with
    /// [`Engine::settle`].
    pub(crate) fn spin(&mut self) {
        // Not while the socket's thread drives the engine, nor while the
        // socket owes a reply: its sends must find the pipe asleep to be
        // written on its own thread, rather than be picked up by a spinning
        // I/O thread (which would then keep spinning on the work it takes,
        // and compete with it for a core).
        self.spinning = !self.socket_reads && self.owed_replies == 0;
    }

    /// While spinning: moves what the socket queued since the last look, if
    /// anything (true), without marking the pipe asleep.
    pub(crate) fn poll_pipe(&mut self) -> Result<bool, Closed> {
        self.check_broken()?;
        // A full stream takes nothing until it is writable again: trying
        // now would only spin on `EAGAIN` (and starve a peer on this core).
        if self.stream_full {
            return Ok(false);
        }
        let ready = self.pipe.as_ref().is_some_and(PipeEnd::peek_ready);
        if ready && self.conn.is_ready() && !self.connecting {
            self.push_out()?;
        }
        Ok(ready)
    }

    /// Ends spinning mode: one more look at the pipe that marks it asleep
    /// when empty, so that from now on the socket's flush wakes the thread.
    /// True when it found (and moved) something after all.
    pub(crate) fn settle(&mut self) -> Result<bool, Closed> {
        self.spinning = false;
        self.check_broken()?;
        let ready = match &mut self.pipe {
            Some(pipe) => pipe.check_read(),
            None => false,
        };
        // With a full stream what waits is resumed by the writable event
        // (whose reads mark the pipe, no longer spinning): nothing to spin for.
        if !ready || self.stream_full {
            return Ok(false);
        }
        if self.conn.is_ready() && !self.connecting {
            self.push_out()?;
        }
        Ok(true)
    }

    /// Ends the engine: takes back a half-written inbound message and
    /// returns a connect's pipe for the next connection.
    pub(crate) fn into_connect_pipe(mut self) -> Option<ConnectPipe> {
        let mut end = self.pipe.take()?;
        if self.in_more {
            end.rollback();
        }
        let meta = self.connect.take()?;
        Some(ConnectPipe {
            end,
            socket_pipe: meta.socket_pipe,
            announced: meta.announced,
            subscriptions: meta.subscriptions,
            slot: None,
        })
    }

    /// The stream is readable and/or writable.
    pub(crate) fn on_event(&mut self, readable: bool, writable: bool) -> Result<(), Closed> {
        self.check_broken()?;
        if writable {
            self.stream_full = false;
        }
        let mut just_connected = false;
        if self.connecting {
            if !(writable || readable) {
                return Ok(());
            }
            match self.stream.connect_result() {
                Ok(true) => {
                    self.connecting = false;
                    self.give_up_at = None; // CONNECT_TIMEOUT no longer applies
                    just_connected = true;
                    self.emit(SocketEvent::CONNECTED, self.stream.raw_fd() as u32);
                }
                Ok(false) => return Ok(()),
                Err(e) => return Err(Closed::Io(e)),
            }
        }
        if readable || just_connected {
            self.pull_in()?;
        }
        self.push_out()
    }

    /// Starts the conversation (our greeting), once connected.
    pub(crate) fn start(&mut self) -> Result<(), Closed> {
        if self.connecting {
            return Ok(());
        }
        self.pull_in()?;
        self.push_out()
    }

    /// A command about our pipe, from the socket.
    pub(crate) fn on_command(&mut self, command: &Command) -> Result<(), Closed> {
        self.check_broken()?;
        if self.connecting || !self.conn.is_ready() {
            // Nothing to move yet. A socket that went away ends the attempt,
            // unless it left messages queued: those go once the handshake
            // completes (within LINGER, as the I/O thread arranged).
            return match command {
                Command::PipeTerm(_) if !self.has_queued() => Err(Closed::SocketGone),
                Command::PipeTerm(_) => {
                    self.closing = true;
                    Ok(())
                }
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

    /// Reads from the stream and hands what it decodes to the socket, until
    /// the stream has nothing more or the pipe is full.
    ///
    /// What one read brought in is published to the socket in one flush
    /// (one atomic exchange, and at most one wake-up) rather than one per
    /// message, as libzmq's session flushes once per input batch.
    fn pull_in(&mut self) -> Result<(), Closed> {
        let result = self.pull_in_unflushed();
        self.publish_delivered();
        result
    }

    /// Publishes what [`Engine::deliver`] wrote since the last call.
    fn publish_delivered(&mut self) {
        if let Some(pipe) = &mut self.pipe {
            pipe.flush();
        }
    }

    fn pull_in_unflushed(&mut self) -> Result<(), Closed> {
        if let Some(frame) = self.stalled.take() {
            if !self.deliver(frame) {
                return Ok(());
            }
        }
        // After a short read the stream is most likely empty: the socket's
        // thread, which owns the reading (no edge to miss), stops there and
        // saves the read that would return `EAGAIN`.
        let mut drained = false;
        loop {
            loop {
                // Whole small frames first, the common case, then the rest.
                if let Some(frame) = self.conn.receive_small_message(&mut self.inbuf) {
                    if !self.deliver(frame) {
                        return Ok(());
                    }
                    continue;
                }
                let inbound = self.conn.receive(&mut self.inbuf);
                match inbound {
                    Ok(None) => break,
                    Ok(Some(Inbound::Ready(peer))) => self.on_handshake(peer),
                    Ok(Some(Inbound::Message(frame))) => {
                        if !self.deliver(frame) {
                            return Ok(());
                        }
                    }
                    // The PONG is queued by the codec itself; a TTL asks us
                    // to drop the peer if it falls silent that long.
                    Ok(Some(Inbound::Ping { ttl })) => {
                        if !ttl.is_zero() {
                            let limit = Instant::now() + ttl;
                            self.dead_at = Some(self.dead_at.map_or(limit, |at| at.min(limit)));
                        }
                    }
                    Ok(Some(Inbound::Pong { .. })) => {}
                    Err(error) => {
                        // Send what the codec queued (an ERROR command),
                        // best effort, then close.
                        let _ = self.write_encoder();
                        return Err(Closed::Protocol(error));
                    }
                }
            }
            // What this read brought is the socket's now, before the next.
            self.publish_delivered();
            if drained {
                return Ok(());
            }
            let fd = self.stream.raw_fd();
            let read = if let Some(room) = self.conn.body_room(&mut self.inbuf, &self.bodies) {
                // A large body: the rest of it straight into its own buffer.
                self.after_large = true;
                sys::read_into_vec(fd, room.buf, room.max)
            } else {
                let want = self.conn.wanted(self.inbuf.len()).max(READ_CHUNK);
                // After a large body the next frame is likely large too:
                // take its header and a little of its body (copied into the
                // body's buffer) and leave the rest to read without a copy.
                let max = if std::mem::take(&mut self.after_large) {
                    RECV_HEADER_READ
                } else {
                    usize::MAX
                };
                let read = sys::read_into_spare(fd, &mut self.inbuf, want, max);
                if let Ok(n) = read {
                    drained = self.socket_reads && n > 0 && n < want.min(max);
                }
                read
            };
            match read {
                Ok(0) => return Err(Closed::Eof),
                // The peer is alive: any traffic answers a heartbeat.
                Ok(_) => self.dead_at = None,
                Err(e) => match e.kind() {
                    ErrorKind::WouldBlock => return Ok(()),
                    ErrorKind::Interrupted => {}
                    _ => return Err(Closed::Io(e)),
                },
            }
        }
    }

    /// Writes one frame into the pipe; false (frame kept) when the pipe is
    /// full at the start of a message.
    fn deliver(&mut self, frame: Message) -> bool {
        let Some(pipe) = &mut self.pipe else {
            return true; // cannot happen after READY; drop
        };
        if !self.in_more && !pipe.check_write() {
            if pipe.peer_closed() {
                return true; // nobody reads: drop
            }
            self.stalled = Some(frame);
            return false;
        }
        self.in_more = frame.get_more();
        self.activity += 1;
        if !self.in_more {
            self.owed_replies = self.owed_replies.saturating_add(1);
            self.awaits_reply = false;
            // The reply should find the pipe asleep (see `spin`).
            self.spinning = false;
        }
        // Err: the socket has gone; the frame has nowhere to go. Published
        // by `pull_in` (`publish_delivered`), or by `check_write` first if
        // the pipe fills.
        let _ = pipe.write_unflushed(frame);
        true
    }

    /// The handshake is complete: give the socket its pipe.
    fn on_handshake(&mut self, peer: PeerMetadata) {
        self.emit(SocketEvent::HANDSHAKE_SUCCEEDED, 0);
        let ivl = self.owner.options.heartbeat_ivl;
        if ivl > 0 {
            self.next_ping = Some(Instant::now() + Duration::from_millis(ivl as u64));
        }
        let routing_id = Some(peer.identity.unwrap_or_default());
        if let Some(meta) = &mut self.connect {
            if !meta.announced {
                meta.announced = true;
                self.owner.mailbox.send(Command::PeerBound(
                    meta.socket_pipe,
                    PeerInfo { routing_id },
                ));
            }
            let replay: Vec<Bytes> = meta.subscriptions.iter().cloned().collect();
            for topic in replay {
                // Cannot fail: the connection is ready.
                let _ = self.conn.send(Subscription::Subscribe(topic).to_message());
            }
            return;
        }
        let (ours, theirs) = socket_pipe(
            &self.owner.options,
            self.socket_connected,
            &self.endpoint,
            self.token,
            &self.io_mailbox,
        );
        if let Some(driver) = &self.driver {
            ours.set_driver(driver.clone());
        }
        self.owner.mailbox.send(Command::Attach(Box::new(NewPipe {
            end: theirs,
            peer: PeerInfo { routing_id },
        })));
        self.activity += 1;
        self.pipe = Some(ours);
    }

    /// Reads the pipe into the encoder and writes to the stream, until the
    /// stream is full or there is nothing left.
    fn push_out(&mut self) -> Result<(), Closed> {
        loop {
            if self.conn.is_ready() {
                self.fill_encoder()?;
            }
            if self.conn.encoder().is_empty() {
                break;
            }
            if !self.write_encoder()? {
                return Ok(()); // the stream is full: wait for writability
            }
        }
        if self.closing {
            if let Some(pipe) = &mut self.pipe {
                if pipe.is_dead() {
                    return Err(Closed::SocketGone);
                }
            } else {
                return Err(Closed::SocketGone);
            }
        }
        Ok(())
    }

    /// Moves messages from the pipe into the encoder, up to `OUT_BATCH`.
    fn fill_encoder(&mut self) -> Result<(), Closed> {
        let Some(pipe) = &mut self.pipe else {
            return Ok(());
        };
        let track = matches!(self.owner.kind, SocketType::SUB | SocketType::XSUB);
        // A message is taken whole (its frames were flushed together), so
        // a connection that dies leaves the pipe at a message boundary for
        // the next one.
        while self.conn.encoder().len() < OUT_BATCH || self.out_more {
            if self.spinning && !self.out_more && !pipe.peek_ready() && !pipe.peer_closed() {
                break; // leave the pipe awake: `settle` marks it later
            }
            let Some(frame) = pipe.read() else {
                if pipe.peer_closed() {
                    self.closing = true;
                }
                break;
            };
            if track && !self.out_more {
                if let (Some(meta), Some(sub)) =
                    (&mut self.connect, Subscription::from_message(&frame))
                {
                    match sub {
                        Subscription::Subscribe(topic) => meta.subscriptions.insert(topic),
                        Subscription::Cancel(topic) => meta.subscriptions.remove(&topic),
                    };
                }
            }
            self.out_more = frame.get_more();
            self.activity += 1;
            if !self.out_more {
                // A SUB's pipe carries subscriptions, which get no answer.
                self.awaits_reply |= !track;
                self.owed_replies = self.owed_replies.saturating_sub(1);
            }
            self.conn.send(frame).map_err(Closed::Protocol)?;
        }
        Ok(())
    }

    /// One `writev` of what the encoder holds; false when the stream would
    /// block.
    fn write_encoder(&mut self) -> Result<bool, Closed> {
        loop {
            let encoder = self.conn.encoder();
            let slices = encoder.io_slices(MAX_IOV);
            match self.stream.write_vectored(&slices) {
                Ok(0) => return Err(Closed::Eof),
                Ok(n) => {
                    drop(slices);
                    self.activity += 1;
                    self.conn.encoder().advance(n);
                    self.stream_full = false;
                    return Ok(true);
                }
                Err(e) => match e.kind() {
                    ErrorKind::WouldBlock => {
                        self.stream_full = true;
                        return Ok(false);
                    }
                    ErrorKind::Interrupted => {}
                    _ => return Err(Closed::Io(e)),
                },
            }
        }
    }
}

/// A pipe between a connection (its end attached to the I/O thread's
/// mailbox under the engine's token) and its socket: `(ours, the socket's)`.
/// Side 0 is the connect side: the socket's end when the socket connected
/// (an IMMEDIATE connect, a STREAM connect), ours for an accepted
/// connection. The socket writes with SNDHWM, we write toward it with RCVHWM.
pub(crate) fn socket_pipe(
    options: &Options,
    socket_connected: bool,
    endpoint: &str,
    token: Token,
    io_mailbox: &Arc<Mailbox>,
) -> (PipeEnd, PipeEnd) {
    let (rcv, snd) = (
        limit(options.rcvhwm, options),
        limit(options.sndhwm, options),
    );
    let (mut ours, theirs) = if socket_connected {
        let (socket_end, engine_end) = pipe_pair([snd, rcv], endpoint);
        (engine_end, socket_end)
    } else {
        pipe_pair([rcv, snd], endpoint)
    };
    theirs.set_in_max_frame(options.maxmsgsize);
    ours.attach(pipe_id(token), io_mailbox.clone());
    (ours, theirs)
}

/// When a connect still in progress gives up (CONNECT_TIMEOUT; none for 0).
pub(crate) fn connect_deadline(options: &Options, connecting: bool) -> Option<Instant> {
    let timeout = options.connect_timeout;
    (connecting && timeout > 0).then(|| Instant::now() + Duration::from_millis(timeout as u64))
}

/// `give_up_at` once the socket closed: no later than LINGER from `now`
/// (negative LINGER: no limit).
pub(crate) fn linger_deadline(
    give_up_at: Option<Instant>,
    options: &Options,
    now: Instant,
) -> Option<Instant> {
    if options.linger < 0 {
        return give_up_at;
    }
    let limit = now + Duration::from_millis(options.linger as u64);
    Some(give_up_at.map_or(limit, |at| at.min(limit)))
}

/// The id a pipe end of the I/O thread attaches with: its owner's token.
pub(crate) fn pipe_id(token: Token) -> PipeId {
    let key = token.0 as u64;
    PipeId::new(key as u32, (key >> 32) as u32)
}

/// The token behind an I/O-thread pipe id.
pub(crate) fn token_of(id: PipeId) -> Token {
    Token(((id.generation() as u64) << 32 | id.index() as u64) as usize)
}
