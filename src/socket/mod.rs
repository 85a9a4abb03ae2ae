//! The public [`Socket`]: blocking send and receive over a pattern, bind and
//! connect, options.
//!
//! A socket is owned by one thread at a time (`Send`, not `Sync`). Its state
//! sits in a `RefCell`: each call borrows it, processes pending commands from
//! the mailbox, runs the pattern, and if it must block, waits on the
//! mailbox's signal (spin, then park) until a command arrives.

mod accessors;
mod monitor;
pub(crate) mod options;
#[cfg(unix)]
mod ready_fd;

use std::cell::RefCell;
use std::time::Duration;

use crate::command::Command;
use crate::config::PACED_FRAME_MAX;
use crate::ctx::{Context, CtxInner};
use crate::error::{Error, Result};
use crate::interruption;
use crate::mailbox::Mailbox;
use crate::msg::Message;
use crate::pattern::pipes::Pipes;
use crate::pattern::{AnyPattern, Pattern, PatternOption};
use crate::pipe::{PeerInfo, PipeEnd, PipeId};
use crate::signaler::{deadline_after, Spinner};
use crate::socket_type::SocketType;
use crate::sync::{Arc, DynArc};
use crate::transport::network::{self, IoThreads};
use crate::transport::{self, inproc, Endpoint};
use monitor::MonitorSlot;
use options::Options;

pub use accessors::Mechanism;

/// Send or receive without blocking: `EAGAIN` instead of waiting.
pub static DONTWAIT: i32 = 1;
/// More frames of this message follow.
pub static SNDMORE: i32 = 2;

/// Types that can be sent as a message part (zmq 0.10's trait): everything
/// that converts into a [`Message`] — `&str`, `&[u8]`, `Vec<u8>`, `String`,
/// `Message` … Implement `Into<Message>` rather than this trait.
///
/// ```
/// # use zactor as zmq;
/// fn send_twice<T: zmq::Sendable + Clone>(socket: &zmq::Socket, data: T) -> zmq::Result<()> {
///     socket.send(data.clone(), zmq::SNDMORE)?;
///     socket.send(data, 0)
/// }
/// ```
pub trait Sendable {
    /// Sends `self` on `socket` with `flags`.
    fn send(self, socket: &Socket, flags: i32) -> Result<()>;
}

impl<T> Sendable for T
where
    T: Into<Message>,
{
    #[inline]
    fn send(self, socket: &Socket, flags: i32) -> Result<()> {
        socket.send_frame(Message::for_sending(self), flags)
    }
}

/// The parts of one message, received one by one with `next` (a socket's
/// or an actor's `recv_msg`) until a part without MORE.
pub(crate) fn collect_multipart(mut next: impl FnMut() -> Result<Message>) -> Result<Vec<Vec<u8>>> {
    let mut parts = Vec::new();
    loop {
        let msg = next()?;
        let more = msg.get_more();
        parts.push(msg.to_vec());
        if !more {
            return Ok(parts);
        }
    }
}

/// `recv_string`'s answer: the text, or the bytes when they are not UTF-8.
pub(crate) fn utf8_or_bytes(bytes: Vec<u8>) -> std::result::Result<String, Vec<u8>> {
    String::from_utf8(bytes).map_err(|e| e.into_bytes())
}

/// A ZeroMQ socket.
pub struct Socket {
    core: RefCell<Core>,
    // Declared after `core`: the context outlives the socket's teardown.
    ctx: Context,
}

impl std::fmt::Debug for Socket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.core.try_borrow() {
            Ok(core) => f
                .debug_struct("Socket")
                .field("type", &core.kind)
                .field("pipes", &core.pipes.len())
                .finish(),
            Err(_) => f.write_str("Socket { <in use> }"),
        }
    }
}

/// Everything a socket owns.
pub(crate) struct Core {
    kind: SocketType,
    pattern: AnyPattern,
    pipes: Pipes,
    pub(crate) options: Options,
    mailbox: Arc<Mailbox>,
    id: u64,
    ctx: Arc<CtxInner>,
    /// Endpoints we bound (for unbind, and to forget at close).
    bound: Vec<String>,
    /// Network endpoints we connected (for disconnect).
    connected: Vec<String>,
    last_endpoint: String,
    rcvmore: bool,
    /// The last receive found a frame at once: the socket reads a stream
    /// and keeps up with it (see `recv_blocked`).
    streaming: bool,
    /// The last paced wait's yield found this thread's core free (no other
    /// thread ran): a receive that streams may pause before it looks (see
    /// `recv_inner`). On a shared core that pause would be taken from the
    /// writer.
    core_free: bool,
    /// The context's I/O thread, once this socket used `tcp://` or `ipc://`.
    io: Option<Arc<IoThreads>>,
    /// The descriptor of `get_fd`, once asked for.
    #[cfg(unix)]
    ready_fd: Option<ready_fd::ReadyFd>,
    /// `monitor`'s PAIR, shared with our listeners and connections.
    monitor: DynArc<MonitorSlot>,
}

/// The types CONFLATE applies to (libzmq: single-part patterns only).
fn conflates(kind: SocketType) -> bool {
    matches!(
        kind,
        SocketType::DEALER
            | SocketType::PULL
            | SocketType::PUSH
            | SocketType::PUB
            | SocketType::SUB
    )
}

fn timeout(ms: i32) -> Option<Duration> {
    (ms >= 0).then(|| Duration::from_millis(ms as u64))
}

impl Socket {
    pub(crate) fn new(ctx: Context, kind: SocketType) -> Result<Socket> {
        let pattern = AnyPattern::new(kind)?;
        let mailbox = Arc::new(Mailbox::new());
        let id = ctx.inner.register(mailbox.clone())?;
        Ok(Socket {
            core: RefCell::new(Core {
                kind,
                pattern,
                pipes: Pipes::default(),
                options: Options::default(),
                mailbox,
                id,
                ctx: ctx.inner.clone(),
                bound: Vec::new(),
                connected: Vec::new(),
                last_endpoint: String::new(),
                rcvmore: false,
                streaming: false,
                core_free: false,
                io: None,
                #[cfg(unix)]
                ready_fd: None,
                monitor: DynArc::new(MonitorSlot::default()),
            }),
            ctx,
        })
    }

    #[inline]
    fn core(&self) -> std::cell::RefMut<'_, Core> {
        // A socket is not Sync, so only re-entrancy could fail this borrow,
        // and no public method calls back into user code while borrowed.
        self.core.borrow_mut()
    }

    /// The context this socket belongs to.
    pub fn context(&self) -> &Context {
        &self.ctx
    }

    /// Binds to an endpoint: `inproc://name`, `tcp://host:port` (`*` for
    /// every interface, port `*` for one the system chooses; see
    /// `get_last_endpoint`), `ipc://path`.
    pub fn bind(&self, endpoint: &str) -> Result<()> {
        self.core().bind(endpoint)
    }

    /// Connects to an endpoint; the peer may bind later (network connects
    /// are made, and remade, in the background).
    pub fn connect(&self, endpoint: &str) -> Result<()> {
        self.core().connect(endpoint)
    }

    /// Stops accepting connections on an endpoint and closes the pipes it made.
    pub fn unbind(&self, endpoint: &str) -> Result<()> {
        self.core().unbind(endpoint)
    }

    /// Closes the connections made by `connect(endpoint)`.
    pub fn disconnect(&self, endpoint: &str) -> Result<()> {
        self.core().disconnect(endpoint)
    }

    /// Sends this socket's events (the [`SocketEvent`](crate::SocketEvent)s
    /// in the `events` mask) to a PAIR socket bound at `monitor_endpoint`,
    /// which must be inproc, as in libzmq; connect a PAIR there to read
    /// them (two frames each: six octets of event and value, then the
    /// endpoint). A new call replaces the monitor; an empty endpoint stops
    /// it (libzmq's NULL).
    pub fn monitor(&self, monitor_endpoint: &str, events: i32) -> Result<()> {
        let slot = {
            let core = self.core();
            core.check_alive()?;
            core.monitor.clone()
        };
        if monitor_endpoint.is_empty() {
            slot.stop();
            return Ok(());
        }
        if !matches!(transport::parse(monitor_endpoint)?, Endpoint::Inproc(_)) {
            return Err(Error::EPROTONOSUPPORT);
        }
        let pair = self.ctx.socket(SocketType::PAIR)?;
        pair.set_linger(0)?;
        pair.bind(monitor_endpoint)?;
        slot.start(pair, events);
        Ok(())
    }

    /// Sends a message part; `flags` may hold `DONTWAIT` and `SNDMORE`.
    pub fn send<T>(&self, data: T, flags: i32) -> Result<()>
    where
        T: Sendable,
    {
        data.send(self, flags)
    }

    /// Sends one frame (what every `send` comes down to).
    #[inline]
    fn send_frame(&self, mut msg: Message, flags: i32) -> Result<()> {
        msg.set_more(flags & SNDMORE != 0);
        self.core().send(&mut msg, flags)
    }

    /// Sends a `Message` (as `send`).
    #[deprecated(since = "0.9.0", note = "Use `send` instead")]
    pub fn send_msg(&self, msg: Message, flags: i32) -> Result<()> {
        self.send(msg, flags)
    }

    /// Sends a string (as `send`).
    #[deprecated(since = "0.9.0", note = "Use `send` instead")]
    pub fn send_str(&self, data: &str, flags: i32) -> Result<()> {
        self.send(data, flags)
    }

    /// Sends a multipart message: every part but the last with `SNDMORE`.
    pub fn send_multipart<I, T>(&self, iter: I, flags: i32) -> Result<()>
    where
        I: IntoIterator<Item = T>,
        T: Into<Message>,
    {
        let mut iter = iter.into_iter().peekable();
        while let Some(part) = iter.next() {
            let more = if iter.peek().is_some() { SNDMORE } else { 0 };
            self.send(part.into(), flags | more)?;
        }
        Ok(())
    }

    /// Receives a message part into `msg`.
    pub fn recv(&self, msg: &mut Message, flags: i32) -> Result<()> {
        self.core().recv_into(msg, flags)
    }

    /// Receives a message part into a buffer; returns the part's full size
    /// (larger than the buffer when it was truncated, as zmq_recv).
    pub fn recv_into(&self, bytes: &mut [u8], flags: i32) -> Result<usize> {
        let msg = self.core().recv(flags)?;
        let n = msg.len().min(bytes.len());
        bytes[..n].copy_from_slice(&msg[..n]);
        Ok(msg.len())
    }

    /// Receives a message part.
    #[inline]
    pub fn recv_msg(&self, flags: i32) -> Result<Message> {
        self.core().recv(flags)
    }

    /// Receives a message part as bytes.
    pub fn recv_bytes(&self, flags: i32) -> Result<Vec<u8>> {
        self.recv_msg(flags).map(|msg| msg.to_vec())
    }

    /// Receives a message part as a string; `Err(bytes)` inside when it is
    /// not UTF-8.
    pub fn recv_string(&self, flags: i32) -> Result<std::result::Result<String, Vec<u8>>> {
        self.recv_bytes(flags).map(utf8_or_bytes)
    }

    /// Receives every part of a message.
    pub fn recv_multipart(&self, flags: i32) -> Result<Vec<Vec<u8>>> {
        collect_multipart(|| self.recv_msg(flags))
    }

    /// The socket's type.
    pub fn get_socket_type(&self) -> Result<SocketType> {
        let core = self.core();
        core.check_alive()?;
        Ok(core.kind)
    }

    /// Whether the last part received has more parts after it.
    pub fn get_rcvmore(&self) -> Result<bool> {
        let core = self.core();
        core.check_alive()?;
        Ok(core.rcvmore)
    }

    /// The last endpoint bound or connected.
    pub fn get_last_endpoint(&self) -> Result<std::result::Result<String, Vec<u8>>> {
        let core = self.core();
        core.check_alive()?;
        Ok(Ok(core.last_endpoint.clone()))
    }

    /// Runs `f` on the options (for the accessors).
    pub(crate) fn with_options<R>(&self, f: impl FnOnce(&mut Options) -> R) -> R {
        f(&mut self.core().options)
    }

    /// Sets an option the pattern handles (SUBSCRIBE …).
    pub(crate) fn set_pattern_option(&self, option: PatternOption<'_>) -> Result<()> {
        let mut core = self.core();
        core.process_commands()?;
        let core = &mut *core;
        core.pattern.set_option(option, &mut core.pipes)?;
        core.reap_dead();
        Ok(())
    }

    /// Whether a receive (`in_`) or a send would not block now.
    pub(crate) fn readiness(&self) -> Result<(bool, bool)> {
        let mut core = self.core();
        // What a poll sees comes through the I/O threads.
        core.pipes.end_drive_in();
        // A socket that is polled waits in the poller, not in its receives:
        // the receive after a poll must not pause before it looks (see
        // `recv_inner`), or every message a poller reports would wait.
        core.streaming = false;
        core.process_commands()?;
        let core = &mut *core;
        let readable = core.pattern.has_in(&mut core.pipes);
        let writable = core.pattern.has_out(&mut core.pipes);
        core.reap_dead();
        core.sync_ready_fd();
        Ok((readable, writable))
    }

    /// A descriptor that is readable while the socket has a message to
    /// receive (level-triggered; see the module `ready_fd` for the exact
    /// contract), for other event loops: mio, tokio's `AsyncFd`, epoll.
    /// Created on first call; the socket owns and closes it.
    #[cfg(unix)]
    pub fn get_fd(&self) -> Result<std::os::unix::io::RawFd> {
        let mut core = self.core();
        core.check_alive()?;
        if core.ready_fd.is_none() {
            let fd = ready_fd::ReadyFd::new(&core.mailbox)?;
            core.ready_fd = Some(fd);
            core.sync_ready_fd();
        }
        Ok(core.ready_fd.as_ref().map_or(-1, |fd| fd.fd()))
    }

    /// Whether a receive would not block now, looking without marking
    /// empty pipes asleep (a poller spinning before it sleeps: no wake-up
    /// command is owed for what it peeks at).
    pub(crate) fn peek_readable(&self) -> Result<bool> {
        let mut core = self.core();
        core.pipes.end_drive_in();
        core.process_commands()?;
        let core = &mut *core;
        core.pipes.set_spinning(true);
        let readable = core.pattern.has_in(&mut core.pipes);
        core.pipes.set_spinning(false);
        Ok(readable)
    }

    /// The socket's mailbox, whose signal a poller watches (`crate::poll`).
    pub(crate) fn mailbox(&self) -> Arc<Mailbox> {
        self.core().mailbox.clone()
    }
}

impl Core {
    fn local(&self) -> inproc::Local<'_> {
        inproc::Local {
            socket: self.id,
            kind: self.kind,
            options: &self.options,
            mailbox: &self.mailbox,
        }
    }

    fn bind(&mut self, endpoint: &str) -> Result<()> {
        self.check_alive()?;
        let parsed = transport::parse(endpoint)?;
        let bound = match parsed {
            // STREAM speaks raw TCP: inproc has no bytes to carry.
            Endpoint::Inproc(_) if self.kind == SocketType::STREAM => {
                return Err(Error::ENOCOMPATPROTO)
            }
            Endpoint::Inproc(name) => {
                let accepted = inproc::bind(&self.ctx, name, self.local())?;
                for pending in accepted {
                    self.attach(pending.end, pending.peer);
                    inproc::announce(&pending.connector, pending.connector_pipe, &self.options);
                }
                endpoint.to_owned()
            }
            Endpoint::Tcp(_) | Endpoint::Ipc(_) => {
                let io = self.io()?;
                network::bind(&io, parsed, endpoint, self.owner())?
            }
        };
        self.bound.push(bound.clone());
        self.last_endpoint = bound;
        Ok(())
    }

    /// The I/O thread, started if this is the context's first network use.
    fn io(&mut self) -> Result<Arc<IoThreads>> {
        if let Some(io) = &self.io {
            return Ok(io.clone());
        }
        let io = self.ctx.io_thread()?;
        self.io = Some(io.clone());
        Ok(io)
    }

    /// This socket as the I/O thread's engines see it.
    fn owner(&self) -> network::Owner {
        network::Owner {
            socket: self.id,
            mailbox: self.mailbox.clone(),
            kind: self.kind,
            options: self.options.clone(),
            events: self.monitor.clone(),
        }
    }

    fn connect(&mut self, endpoint: &str) -> Result<()> {
        self.check_alive()?;
        match transport::parse(endpoint)? {
            Endpoint::Inproc(_) if self.kind == SocketType::STREAM => {
                return Err(Error::ENOCOMPATPROTO)
            }
            Endpoint::Inproc(name) => {
                let next = self.pipes.next_id();
                let (end, peer) = inproc::connect(&self.ctx, name, endpoint, self.local(), next)?;
                let id = self.attach(end, peer);
                debug_assert_eq!(id, next);
            }
            parsed @ (Endpoint::Tcp(_) | Endpoint::Ipc(_)) => {
                let io = self.io()?;
                let next = self.pipes.next_id();
                let end = network::connect(&io, parsed, endpoint, self.owner(), next)?;
                // The peer's identity comes with `PeerBound` after the
                // handshake. No end with IMMEDIATE: each connection mails one.
                if let Some(end) = end {
                    let id = self.attach(end, PeerInfo { routing_id: None });
                    debug_assert_eq!(id, next);
                }
                self.connected.push(endpoint.to_owned());
            }
        }
        self.last_endpoint = endpoint.to_owned();
        Ok(())
    }

    fn unbind(&mut self, endpoint: &str) -> Result<()> {
        self.check_alive()?;
        let parsed = transport::parse(endpoint)?;
        // A network endpoint is kept as bound (`tcp://127.0.0.1:5555` for
        // `tcp://localhost:5555`); either form unbinds it.
        let endpoint = if self.bound.iter().any(|e| e == endpoint) {
            endpoint.to_owned()
        } else {
            network::bound_form(parsed.clone(), self.options.ipv6)
                .unwrap_or_else(|| endpoint.to_owned())
        };
        let endpoint = endpoint.as_str();
        let position = self
            .bound
            .iter()
            .position(|e| e == endpoint)
            .ok_or(Error::ENOENT)?;
        match parsed {
            Endpoint::Inproc(name) => inproc::unbind(&self.ctx, name, self.id)?,
            Endpoint::Tcp(_) | Endpoint::Ipc(_) => {
                if let Some(io) = &self.io {
                    network::unbind(io, self.id, endpoint);
                }
            }
        }
        self.bound.remove(position);
        // Attach pipes connected before the unbind (still in the mailbox), so they close too.
        self.process_commands()?;
        self.close_pipes(|end| !end.is_connect_side() && end.endpoint == endpoint);
        Ok(())
    }

    fn disconnect(&mut self, endpoint: &str) -> Result<()> {
        self.check_alive()?;
        let cancelled = match transport::parse(endpoint)? {
            Endpoint::Inproc(name) => inproc::cancel_pending(&self.ctx, name, self.id),
            Endpoint::Tcp(_) | Endpoint::Ipc(_) => {
                let before = self.connected.len();
                self.connected.retain(|e| e != endpoint);
                if let Some(io) = &self.io {
                    network::disconnect(io, self.id, endpoint);
                }
                self.connected.len() != before
            }
        };
        let closed = self.close_pipes(|end| end.is_connect_side() && end.endpoint == endpoint);
        if cancelled || closed > 0 {
            Ok(())
        } else {
            Err(Error::ENOENT)
        }
    }

    /// Closes every pipe matching `which`; returns how many.
    fn close_pipes(&mut self, which: impl Fn(&PipeEnd) -> bool) -> usize {
        let mut closed = 0;
        for id in self.pipes.ids() {
            if self.pipes.get(id).is_some_and(|e| which(&e.end)) {
                self.pattern.terminated(id, &mut self.pipes);
                self.pipes.remove(id);
                closed += 1;
            }
        }
        closed
    }

    fn attach(&mut self, mut end: PipeEnd, peer: PeerInfo) -> PipeId {
        let id = self.pipes.next_id();
        end.attach(id, self.mailbox.clone());
        self.pipes.insert(end, peer);
        self.pattern.attach(id, &mut self.pipes, &self.options);
        // The peer may have closed before we attached (a pending connection
        // whose socket is gone): then no PipeTerm will come; look now.
        if let Some(entry) = self.pipes.get(id) {
            if entry.end.is_dead() {
                self.pipes.mark_dead(id);
            }
        }
        id
    }

    #[inline]
    fn check_alive(&self) -> Result<()> {
        if self.ctx.is_terminated() {
            Err(Error::ETERM)
        } else {
            Ok(())
        }
    }

    /// Handles the commands waiting in the mailbox, if any were announced.
    ///
    /// Every command is sent with a notification of the socket's signal, so
    /// an idle mailbox costs one load of the signal's state, not a channel
    /// poll (a fence and a load of the channel's tail in crossbeam).
    #[inline]
    pub(crate) fn process_commands(&mut self) -> Result<()> {
        self.check_alive()?;
        if self.mailbox.signal().take() {
            self.drain_mailbox();
        }
        if self.pipes.has_dead() {
            self.reap_dead();
        }
        Ok(())
    }

    /// Handles every command in the mailbox (after a wake-up consumed the
    /// notification that announced them).
    fn drain_mailbox(&mut self) {
        while let Some(command) = self.mailbox.try_recv() {
            self.handle(command);
        }
    }

    fn handle(&mut self, command: Command) {
        match command {
            Command::Attach(new) => {
                let NewPipe { end, peer } = *new;
                self.attach(end, peer);
            }
            Command::ActivateRead(id) => {
                if self.pipes.get(id).is_some() {
                    self.pattern.read_activated(id, &mut self.pipes);
                }
            }
            Command::ActivateWrite(id) => {
                if self.pipes.get(id).is_some() {
                    self.pattern.write_activated(id, &mut self.pipes);
                }
            }
            Command::PipeTerm(id) => {
                if let Some(entry) = self.pipes.get(id) {
                    if entry.end.is_dead() {
                        self.pipes.mark_dead(id);
                    } else {
                        // Let the pattern drain what the peer sent first.
                        self.pattern.read_activated(id, &mut self.pipes);
                        self.pattern.write_activated(id, &mut self.pipes);
                    }
                }
            }
            Command::PeerBound(id, peer) => {
                if let Some(entry) = self.pipes.get(id) {
                    entry.peer = peer;
                    self.pattern.peer_bound(id, &mut self.pipes, &self.options);
                    // The bind raised the pipe's HWM to SNDHWM + RCVHWM (or
                    // lifted it): a writer that filled the pending pipe has
                    // room now, and no credit report may ever say so.
                    self.pattern.write_activated(id, &mut self.pipes);
                }
            }
        }
    }

    /// Tells the pattern about pipes that finished, and drops them.
    pub(crate) fn reap_dead(&mut self) {
        for id in self.pipes.take_dead() {
            self.pattern.terminated(id, &mut self.pipes);
            self.pipes.remove(id);
        }
    }

    /// Waits for a command, then handles it. `EAGAIN` at the deadline,
    /// `EINTR` once a caught signal arrived (see `crate::interruption`),
    /// `ETERM` once the context is terminated.
    fn wait(&mut self, deadline: Option<std::time::Instant>) -> Result<()> {
        if interruption::interrupted() {
            return Err(Error::EINTR);
        }
        let woken = self.mailbox.signal().wait(deadline);
        self.after_wake(woken)
    }

    /// What a blocked call does once its signal wait ends.
    fn after_wake(&mut self, woken: bool) -> Result<()> {
        if interruption::interrupted() {
            return Err(Error::EINTR);
        }
        if !woken {
            return Err(Error::EAGAIN);
        }
        self.drain_mailbox();
        self.process_commands()
    }

    /// Sends one frame, blocking as the flags and SNDTIMEO say.
    ///
    /// The frame stays in `msg` until the pattern copies it, once, into a
    /// pipe (see `Pattern::send_from`); an empty message is left behind.
    #[inline]
    fn send(&mut self, msg: &mut Message, flags: i32) -> Result<()> {
        let result = self.send_inner(msg, flags);
        self.sync_ready_fd();
        result
    }

    /// The first try inline; a send that must retry or wait goes out of
    /// line ([`send_blocked`](Self::send_blocked)).
    #[inline]
    fn send_inner(&mut self, msg: &mut Message, flags: i32) -> Result<()> {
        self.process_commands()?;
        match self.pattern.send_from(msg, &mut self.pipes, &self.options) {
            Ok(()) => {
                if self.pipes.has_dead() {
                    self.reap_dead();
                }
                Ok(())
            }
            Err(Error::EAGAIN) => self.send_blocked(msg, flags),
            Err(error) => Err(error),
        }
    }

    /// A send the pattern refused with `EAGAIN`: reap, retry, wait as the
    /// flags and SNDTIMEO say.
    #[cold]
    #[inline(never)]
    fn send_blocked(&mut self, msg: &mut Message, flags: i32) -> Result<()> {
        let mut deadline = None;
        let mut first_try = true;
        loop {
            if self.pipes.has_dead() {
                self.reap_dead();
            } else {
                if flags & DONTWAIT != 0 || self.options.sndtimeo == 0 {
                    return Err(Error::EAGAIN);
                }
                if first_try {
                    deadline = deadline_after(timeout(self.options.sndtimeo));
                    first_try = false;
                }
                self.wait(deadline)?;
            }
            match self.pattern.send_from(msg, &mut self.pipes, &self.options) {
                Ok(()) => {
                    if self.pipes.has_dead() {
                        self.reap_dead();
                    }
                    return Ok(());
                }
                Err(Error::EAGAIN) => {}
                Err(error) => return Err(error),
            }
        }
    }

    /// Receives one frame, blocking as the flags and RCVTIMEO say.
    ///
    /// While it waits, it first spins, reading its pipes without marking
    /// them asleep, so a writer that sends meanwhile pays no wake-up command
    /// and the message is taken within nanoseconds. Only when the spin is
    /// over does one more read mark the empty pipes asleep (so that the next
    /// flush wakes us) before the thread parks.
    #[inline]
    fn recv(&mut self, flags: i32) -> Result<Message> {
        let mut msg = Message::new();
        // Not `.map(|()| msg)`: the closure moved the 80 bytes through one
        // more copy on the way out (ten instructions a receive).
        self.recv_into(&mut msg, flags)?;
        Ok(msg)
    }

    /// Receives one frame into `out`, replacing what it held (as
    /// [`recv`](Self::recv)). The frame is copied once, from its pipe to
    /// `out`, where a frame returned by value would be copied through every
    /// layer.
    #[inline]
    fn recv_into(&mut self, out: &mut Message, flags: i32) -> Result<()> {
        let result = self.recv_inner(out, flags);
        self.sync_ready_fd();
        result
    }

    /// The first try inline (a spinning read: an empty pipe is not marked
    /// asleep); a receive that must wait goes out of line.
    #[inline]
    fn recv_inner(&mut self, out: &mut Message, flags: i32) -> Result<()> {
        self.process_commands()?;
        self.pipes.set_spinning(true);
        // A receive that may wait, of a socket keeping up with a stream,
        // paces its first look (see `Pipes::pacing`); one that must answer
        // at once (DONTWAIT, a poller's reader) never pauses.
        self.pipes.set_pacing(
            self.streaming && self.core_free && flags & DONTWAIT == 0 && self.options.rcvtimeo != 0,
        );
        let result = self.pattern.recv_into(out, &mut self.pipes, &self.options);
        self.pipes.set_spinning(false);
        match result {
            Ok(()) => {
                // Pacing lets a batch of small frames gather; a large frame
                // takes its writer longer to make than a pause lasts, and a
                // reader that paused would only hold the bodies longer.
                self.streaming = out.len() < PACED_FRAME_MAX;
                self.received(out);
                Ok(())
            }
            Err(Error::EAGAIN) => self.recv_blocked(out, flags),
            Err(error) => Err(error),
        }
    }

    /// A receive that found nothing at first: reap, spin, park as the flags
    /// and RCVTIMEO say (it reads once more first, still spinning).
    #[cold]
    #[inline(never)]
    ///
    /// While it spins it also reads the streams of its network peers
    /// itself (direct I/O), and keeps them after it returns, so a
    /// request-reply loop pays no hand-over per message; they go back to
    /// the I/O threads when it parks, when the socket is polled, or when
    /// the I/O thread finds them unread for a while.
    fn recv_blocked(&mut self, out: &mut Message, flags: i32) -> Result<()> {
        let mut deadline = None;
        let mut spinner = None;
        let mut spinning = true;
        loop {
            self.pipes.set_spinning(spinning);
            let result = self.pattern.recv_into(out, &mut self.pipes, &self.options);
            self.pipes.set_spinning(false);
            match result {
                Ok(()) => {
                    if let Some(shared) = spinner.as_ref().and_then(Spinner::found_core_shared) {
                        self.core_free = !shared;
                    }
                    self.received(out);
                    return Ok(());
                }
                Err(Error::EAGAIN) => {}
                Err(error) => return Err(error),
            }
            if self.pipes.has_dead() {
                self.reap_dead();
                continue;
            }
            if flags & DONTWAIT != 0 || self.options.rcvtimeo == 0 {
                return Err(Error::EAGAIN);
            }
            let spinner = spinner.get_or_insert_with(|| {
                deadline = deadline_after(timeout(self.options.rcvtimeo));
                let mut spinner = Spinner::new(deadline);
                if std::mem::take(&mut self.streaming) {
                    spinner.pace_for_stream();
                }
                spinner
            });
            if spinning {
                // A network peer's reply may be in the stream already.
                if self.pipes.drive_in(spinner.yielded()) {
                    spinner.yield_early();
                }
                if spinner.next() {
                    if self.mailbox.signal().take() {
                        self.drain_mailbox();
                        self.process_commands()?;
                    }
                } else {
                    // Spun long enough: the next read marks pipes asleep,
                    // and the I/O threads read the streams again.
                    spinning = false;
                    self.pipes.end_drive_in();
                }
                continue;
            }
            if interruption::interrupted() {
                return Err(Error::EINTR);
            }
            let woken = self.mailbox.signal().park_until(deadline);
            self.after_wake(woken)?;
        }
    }

    /// Keeps the `get_fd` descriptor level-triggered (see `ready_fd`).
    #[inline]
    fn sync_ready_fd(&mut self) {
        #[cfg(unix)]
        if self.ready_fd.is_some() {
            self.sync_ready_fd_slow();
        }
    }

    #[cfg(unix)]
    #[cold]
    fn sync_ready_fd_slow(&mut self) {
        // The descriptor's readiness comes through the I/O threads.
        self.pipes.end_drive_in();
        if self.process_commands().is_err() {
            return; // terminated: the descriptor stays readable
        }
        let Core {
            pattern,
            pipes,
            ready_fd,
            ..
        } = self;
        if let Some(fd) = ready_fd {
            fd.sync(|| pattern.has_in(pipes));
        }
        self.reap_dead();
    }

    /// Bookkeeping for a frame about to be returned.
    #[inline]
    fn received(&mut self, msg: &mut Message) {
        if self.options.conflate && conflates(self.kind) {
            return self.received_conflated(msg);
        }
        self.rcvmore = msg.get_more();
        if self.pipes.has_dead() {
            self.reap_dead();
        }
    }

    /// CONFLATE keeps only the newest message: skip to it. Out of line, so
    /// the common path hands its message back without a loop variable.
    #[cold]
    #[inline(never)]
    fn received_conflated(&mut self, msg: &mut Message) {
        while !msg.get_more() {
            if self
                .pattern
                .recv_into(msg, &mut self.pipes, &self.options)
                .is_err()
            {
                break;
            }
        }
        self.rcvmore = msg.get_more();
        if self.pipes.has_dead() {
            self.reap_dead();
        }
    }
}

use crate::command::NewPipe;

#[cfg(unix)]
impl std::os::unix::io::AsRawFd for Socket {
    /// [`Socket::get_fd`]; -1 (an invalid descriptor, which `poll(2)`
    /// reports as `POLLNVAL`) if it cannot be created or the context is
    /// terminated. zmq 0.10 panics there instead.
    fn as_raw_fd(&self) -> std::os::unix::io::RawFd {
        self.get_fd().unwrap_or(-1)
    }
}

impl Drop for Core {
    fn drop(&mut self) {
        // The monitor's PAIR closes first (its last event is
        // MONITOR_STOPPED); our connections only keep an empty slot.
        self.monitor.stop();
        // Pipes close as `self.pipes` drops: each end tells its peer, and
        // messages already in a pipe stay readable on the other side.
        self.ctx.unregister(self.id, self.options.linger != 0);
        // After our mailbox is drained below, the I/O thread drains it once
        // more for pipe ends it mailed meanwhile (see `network::close`).
        // Drop the commands nobody will process. An `Attach` holds a pipe end
        // whose link holds its connector's mailbox, which may hold an
        // `Attach` back to us: left in place, such a pair would keep both
        // mailboxes alive forever. Unregistering first means no new
        // `Attach` can arrive (connect sends it under the context lock).
        while self.mailbox.try_recv().is_some() {}
        if let Some(io) = &self.io {
            network::close(io, &self.owner());
        }
    }
}

#[cfg(all(test, not(zactor_loom)))]
mod tests {
    use super::*;
    use crate::socket_type::SocketType;

    #[test]
    fn a_polled_socket_is_no_longer_streaming() {
        let ctx = Context::new();
        let receiver = ctx.socket(SocketType::PAIR).expect("socket");
        receiver
            .bind("inproc://polled-not-streaming")
            .expect("bind");
        let sender = ctx.socket(SocketType::PAIR).expect("socket");
        sender
            .connect("inproc://polled-not-streaming")
            .expect("connect");
        for body in ["one", "two"] {
            sender.send(body, 0).expect("send");
        }
        // Both frames are there before the first receive.
        receiver.recv_msg(0).expect("recv");
        receiver.recv_msg(0).expect("recv");
        assert!(receiver.core().streaming, "a frame found at once");
        sender.send("three", 0).expect("send");
        assert_eq!(receiver.readiness().expect("readiness"), (true, true));
        assert!(!receiver.core().streaming, "a poll ends the stream");
        assert_eq!(&receiver.recv_msg(0).expect("recv")[..], b"three");
    }
}
