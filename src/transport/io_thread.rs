//! A context's I/O thread: one mio `Poll` with the listeners, the
//! connections ([`Engine`]s) and the connecters (connects waiting to
//! (re)connect) of every socket of the context that uses `tcp://` or
//! `ipc://`.
//!
//! It is started on the first bind or connect to a network endpoint, so a
//! program using only inproc has no thread. Sockets talk to it two ways:
//! [`Request`]s on a channel (listen, connect, unbind, disconnect, a socket
//! closed, stop), and the pipe commands (`ActivateRead`, `ActivateWrite`,
//! `PipeTerm`) that pipes send to the mailbox the thread's ends attached
//! with. Both wake the thread through one [`IoWaker`] (a `mio::Waker`
//! written at most once between two passes of the loop). A pipe end of the
//! thread attaches with the mio token of its owner (engine or connecter) as
//! its id, so a command finds its engine in one map lookup.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crossbeam_channel::{unbounded, Receiver, Sender};
use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Registry, Token, Waker};

use super::engine::{pipe_id, token_of, Closed, ConnectPipe, Origin, Owner, Watch};
use super::events::protocol_code;
use super::raw_engine::AnyEngine;
use super::stream::{Listener, Stream};
use crate::command::Command;
use crate::config::{IO_SPIN_BEFORE_BLOCK, IO_SPIN_TIMER_CHECK, SPINS_PER_YIELD};
use crate::error::{Error, Result};
use crate::mailbox::Mailbox;
use crate::monitor_event::SocketEvent;
use crate::signaler::{lock, Watcher};
use crate::socket_type::SocketType;
use crate::sync::{thread, Arc, AtomicBool, DynArc, Mutex, Ordering};

/// Linux's `EINPROGRESS`, the value of a CONNECT_DELAYED event.
const EINPROGRESS: u32 = 115;

/// The waker's token; every other token is a listener, engine or connecter.
const WAKER: Token = Token(0);

/// Where a connect goes.
#[derive(Debug, Clone)]
pub(crate) enum Target {
    Tcp(SocketAddr),
    Ipc(std::os::unix::net::SocketAddr),
}

/// What a socket asks of the I/O thread.
#[derive(Debug)]
pub(crate) enum Request {
    /// Accept connections on a bound listener.
    Listen(Box<Listen>),
    /// Connect (and reconnect) to `target`, carrying `pipe`.
    Connect(Box<Connect>),
    /// Close the socket's listener on `endpoint`.
    Unbind { socket: u64, endpoint: String },
    /// Stop the socket's connects to `endpoint`.
    Disconnect { socket: u64, endpoint: String },
    /// The socket closed: drop its listeners and unfinished connections;
    /// connections with a pipe flush it first (unless LINGER is 0).
    CloseSocket {
        socket: u64,
        mailbox: Arc<Mailbox>,
        linger: i32,
    },
    /// Serve a connection another I/O thread accepted (connections are
    /// spread over the context's I/O threads).
    Adopt(Box<Adopt>),
    /// How many connections the thread serves (for tests).
    #[cfg(test)]
    CountEngines(crossbeam_channel::Sender<usize>),
    /// End the thread once the connections still flushing for closed
    /// sockets are done (each within its LINGER); close everything else.
    Stop,
}

/// An accepted connection handed to another I/O thread.
#[derive(Debug)]
pub(crate) struct Adopt {
    pub(crate) owner: Owner,
    pub(crate) stream: Stream,
    pub(crate) endpoint: String,
}

/// A bound listener for the I/O thread.
#[derive(Debug)]
pub(crate) struct Listen {
    pub(crate) owner: Owner,
    pub(crate) listener: Listener,
    pub(crate) endpoint: String,
}

/// A connect for the I/O thread.
#[derive(Debug)]
pub(crate) struct Connect {
    pub(crate) owner: Owner,
    pub(crate) target: Target,
    pub(crate) endpoint: String,
    /// The pipe, made at connect time; `None` with IMMEDIATE (a pipe per
    /// connection, made at its handshake).
    pub(crate) pipe: Option<ConnectPipe>,
}

/// Wakes the I/O thread: a `mio::Waker` written once per pass.
#[derive(Debug)]
pub(crate) struct IoWaker {
    waker: Waker,
    /// Set by the first wake-up since the thread's last pass.
    pending: AtomicBool,
}

impl IoWaker {
    fn wake(&self) {
        // AcqRel: pairs with the thread's swap in `reset`; whatever the
        // waker published before (a request, a command) is visible once the
        // thread has seen the flag, and a wake-up after the reset writes.
        if !self.pending.swap(true, Ordering::AcqRel) {
            let _ = self.waker.wake();
        }
    }

    fn reset(&self) {
        // AcqRel: see `wake`. Reset before draining the queues, so anything
        // queued after the drain wakes the thread again.
        self.pending.swap(false, Ordering::AcqRel);
    }
}

/// The watcher on the thread's mailbox signal.
#[derive(Debug)]
struct MailboxWatcher(Arc<IoWaker>);

impl Watcher for MailboxWatcher {
    fn wake(&self) {
        self.0.wake();
    }
}

/// The handle a context keeps.
#[derive(Debug)]
pub(crate) struct IoThread {
    requests: Sender<Request>,
    waker: Arc<IoWaker>,
    thread: Mutex<Option<thread::JoinHandle<()>>>,
    /// Why the last connection that failed was closed (a protocol
    /// violation, a refused handshake, an I/O error), for diagnosis.
    last_error: Arc<Mutex<Option<String>>>,
}

/// How an I/O thread reaches another, to hand it an accepted connection.
#[derive(Debug, Clone)]
struct Peer {
    requests: Sender<Request>,
    waker: Arc<IoWaker>,
}

impl IoThread {
    /// Starts `count` (at least one) I/O threads that share accepted
    /// connections and one record of the last failure.
    pub(crate) fn start_many(count: usize) -> Result<Vec<IoThread>> {
        let to_error = |e: std::io::Error| e.raw_os_error().map_or(Error::EMFILE, Error::from_raw);
        let last_error = Arc::new(Mutex::new(None));
        let mut reactors = Vec::new();
        let mut peers = Vec::new();
        for _ in 0..count.max(1) {
            let poll = Poll::new().map_err(to_error)?;
            // The engines' own handle on the poll, to re-arm their streams
            // from the socket's thread too (direct I/O).
            let registry = DynArc::new(poll.registry().try_clone().map_err(to_error)?);
            let waker = Waker::new(poll.registry(), WAKER).map_err(to_error)?;
            let waker = Arc::new(IoWaker {
                waker,
                pending: AtomicBool::new(false),
            });
            let mailbox = Arc::new(Mailbox::new());
            mailbox
                .signal()
                .watch(Box::new(MailboxWatcher(waker.clone())));
            let (requests, inbox) = unbounded();
            peers.push(Peer { requests, waker });
            reactors.push(Reactor {
                last_error: last_error.clone(),
                poll,
                registry,
                inbox,
                waker: peers[peers.len() - 1].waker.clone(),
                mailbox,
                peers: Arc::new(Vec::new()),
                me: reactors.len(),
                next_peer: reactors.len(),
                next_token: 1,
                listeners: HashMap::new(),
                engines: HashMap::new(),
                connecters: HashMap::new(),
                handshakes: Vec::new(),
                hot: Vec::new(),
                stopping: false,
            });
        }
        let peers = Arc::new(peers);
        let mut threads = Vec::new();
        for mut reactor in reactors {
            reactor.peers = peers.clone();
            let me = &peers[reactor.me];
            let handle = thread::Builder::new()
                .name(format!("zactor-io-{}", reactor.me))
                .spawn(move || reactor.run())
                .map_err(to_error);
            let handle = match handle {
                Ok(handle) => handle,
                Err(e) => {
                    // The threads already started stop as `threads` drops.
                    return Err(e);
                }
            };
            threads.push(IoThread {
                requests: me.requests.clone(),
                waker: me.waker.clone(),
                thread: Mutex::new(Some(handle)),
                last_error: last_error.clone(),
            });
        }
        Ok(threads)
    }

    /// Sends a request.
    pub(crate) fn request(&self, request: Request) {
        // Fails only once the thread has ended (context stopped).
        let _ = self.requests.send(request);
        self.waker.wake();
    }

    /// Why the last failed connection was closed, if one was.
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) fn last_error(&self) -> Option<String> {
        lock(&self.last_error).clone()
    }

    /// Stops the thread and waits for it: connections still flushing for
    /// closed sockets finish first, each within its LINGER (-1: until
    /// done, as libzmq's `zmq_ctx_term`); every other connection closes.
    pub(crate) fn stop(&self) {
        self.request(Request::Stop);
        let handle = lock(&self.thread).take();
        if let Some(handle) = handle {
            if handle.thread().id() != thread::current().id() {
                let _ = handle.join();
            }
        }
    }
}

impl Drop for IoThread {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A listener and the socket it accepts for.
#[derive(Debug)]
struct ListenerEntry {
    listener: Listener,
    owner: Owner,
    endpoint: String,
}

/// A connect: its pipe while no connection carries it, and when to retry.
#[derive(Debug)]
struct Connecter {
    owner: Owner,
    target: Target,
    endpoint: String,
    pipe: Option<ConnectPipe>,
    /// IMMEDIATE: no pipe between connections.
    immediate: bool,
    /// The socket closed: no more attempts, unless messages it queued
    /// still wait for a connection (then until LINGER runs out).
    orphaned: bool,
    /// The end of LINGER once orphaned (`None`: no limit, or not orphaned).
    linger_until: Option<Instant>,
    /// The connection carrying the pipe, if any.
    engine: Option<Token>,
    /// When to try again, while neither connected nor connecting.
    retry_at: Option<Instant>,
    /// The wait before the next retry, in ms (0: not failed yet).
    next_delay: u64,
}

/// The I/O thread's state.
struct Reactor {
    last_error: Arc<Mutex<Option<String>>>,
    poll: Poll,
    /// A clone of `poll`'s registry that engines keep (see `engine::Watch`).
    registry: DynArc<Registry>,
    inbox: Receiver<Request>,
    waker: Arc<IoWaker>,
    mailbox: Arc<Mailbox>,
    /// Every I/O thread of the context, this one at `me`.
    peers: Arc<Vec<Peer>>,
    me: usize,
    /// The thread the next accepted connection goes to (round robin).
    next_peer: usize,
    next_token: usize,
    listeners: HashMap<Token, ListenerEntry>,
    engines: HashMap<Token, EngineEntry>,
    connecters: HashMap<Token, Connecter>,
    /// Engines that must complete their handshake by a deadline
    /// (HANDSHAKE_IVL), so a peer that stalls cannot hold a connection.
    handshakes: Vec<(Instant, Token)>,
    /// The engines in spinning mode (see [`Reactor::run`]).
    hot: Vec<Token>,
    /// `Stop` came: end once no connection is left flushing.
    stopping: bool,
}

/// An engine and the connecter it serves, if any.
#[derive(Debug)]
struct EngineEntry {
    engine: AnyEngine,
    connecter: Option<Token>,
    /// In `Reactor::hot`, its engine spinning.
    hot: bool,
}

impl Connecter {
    /// Whether its socket queued messages that no connection carries yet
    /// (an orphan with such messages keeps trying, within LINGER).
    fn has_queued(&self) -> bool {
        // A SUB's pipe carries only its subscriptions: nothing to deliver.
        self.owner.kind != SocketType::SUB
            && self.pipe.as_ref().is_some_and(|pipe| pipe.end.peek_ready())
    }

    /// Whether an orphan still has reason to try: queued messages, and
    /// LINGER not run out.
    fn lingers(&self, now: Instant) -> bool {
        self.has_queued() && self.linger_until.map_or(true, |until| now < until)
    }
}

impl Reactor {
    /// The loop: wait for readiness, requests and commands, serve them,
    /// run the timers. After a pass that did work the thread spins (polls
    /// without blocking, peeks at the pipes of the engines it served) for
    /// [`IO_SPIN_BEFORE_BLOCK`] before it blocks: a socket that sends again
    /// within that time needs no wake-up (no command, no `eventfd` write, no
    /// 30 µs cross-vCPU wake), and a reply read off the network is
    /// delivered at once. See DESIGN.md, "Spinning I/O thread".
    fn run(mut self) {
        let mut events = Events::with_capacity(256);
        // While spinning: when the spin ends unless more work comes.
        let mut spin_until: Option<Instant> = None;
        // While spinning: when the timers are next run.
        let mut timers_at = Instant::now();
        let mut rounds: u32 = 0;
        while !(self.stopping && self.engines.is_empty() && self.connecters.is_empty()) {
            let timeout = if spin_until.is_some() {
                Some(Duration::ZERO)
            } else {
                self.next_timer()
                    .map(|at| at.saturating_duration_since(Instant::now()))
            };
            if let Err(e) = self.poll.poll(&mut events, timeout) {
                if e.kind() != std::io::ErrorKind::Interrupted {
                    break; // the poll itself broke: nothing can be served
                }
            }
            let mut worked = false;
            for event in events.iter() {
                let token = event.token();
                if token == WAKER {
                    continue; // what woke us is counted as it is served
                }
                if self.listeners.contains_key(&token) {
                    worked = true;
                    self.accept(token);
                } else {
                    let readable =
                        event.is_readable() || event.is_read_closed() || event.is_error();
                    let writable = event.is_writable() || event.is_write_closed();
                    worked |= self.engine_event(token, readable, writable);
                }
            }
            self.waker.reset();
            while let Ok(request) = self.inbox.try_recv() {
                worked = true;
                self.handle(request);
            }
            self.mailbox.signal().take();
            while let Some(command) = self.mailbox.try_recv() {
                worked = true;
                self.command(command);
            }
            if spin_until.is_some() {
                worked |= self.poll_hot_pipes();
            }
            let now = Instant::now();
            if spin_until.is_none() || now >= timers_at {
                self.run_timers();
                timers_at = now + IO_SPIN_TIMER_CHECK;
            }
            if worked {
                spin_until = Some(now + IO_SPIN_BEFORE_BLOCK);
            } else if spin_until.is_some_and(|until| now >= until) {
                // Spun long enough: mark the pipes asleep before blocking
                // (or spin on if one had something after all).
                spin_until = self
                    .settle_hot_engines()
                    .then(|| now + IO_SPIN_BEFORE_BLOCK);
            } else {
                rounds = rounds.wrapping_add(1);
                if rounds % SPINS_PER_YIELD == 0 {
                    // Let an application thread on this core run.
                    thread::yield_now();
                }
            }
        }
    }

    /// `Stop`: listeners and connects go at once, and so do connections
    /// with nothing to flush; those flushing for a closed socket stay until
    /// done or until their LINGER runs out.
    fn stop(&mut self) {
        self.stopping = true;
        self.listeners.clear();
        let connecters: Vec<Token> = self.connecters.keys().copied().collect();
        for token in connecters {
            if let Some(connecter) = self.connecters.get_mut(&token) {
                connecter.orphaned = true;
                if connecter.engine.is_none() && !connecter.lingers(Instant::now()) {
                    self.drop_connecter(token);
                }
            }
        }
        let idle: Vec<Token> = self
            .engines
            .iter()
            .filter(|(_, e)| {
                !e.engine.has_pipe() || (!e.engine.is_ready() && !e.engine.has_queued())
            })
            .map(|(t, _)| *t)
            .collect();
        for token in idle {
            self.engine_closed(token, Closed::SocketGone);
        }
    }

    /// Puts an engine the thread is about to serve into spinning mode.
    fn make_hot(&mut self, token: Token) {
        if let Some(entry) = self.engines.get_mut(&token) {
            if !entry.hot {
                entry.hot = true;
                entry.engine.spin();
                self.hot.push(token);
            }
        }
    }

    /// While spinning: moves what the sockets of the hot engines queued.
    fn poll_hot_pipes(&mut self) -> bool {
        let mut moved = false;
        let mut i = 0;
        while i < self.hot.len() {
            let token = self.hot[i];
            i += 1;
            let Some(entry) = self.engines.get_mut(&token) else {
                continue;
            };
            match entry.engine.poll_pipe() {
                Ok(found) => moved |= found,
                Err(closed) => self.engine_closed(token, closed),
            }
        }
        moved
    }

    /// Ends spinning mode for every hot engine; true if one found work.
    fn settle_hot_engines(&mut self) -> bool {
        let mut moved = false;
        // Taken and put back, so the list keeps its capacity.
        let mut hot = std::mem::take(&mut self.hot);
        for &token in &hot {
            let Some(entry) = self.engines.get_mut(&token) else {
                continue;
            };
            entry.hot = false;
            match entry.engine.settle() {
                Ok(found) => moved |= found,
                Err(closed) => self.engine_closed(token, closed),
            }
        }
        hot.clear();
        self.hot = hot;
        moved
    }

    fn token(&mut self) -> Token {
        let token = Token(self.next_token);
        self.next_token += 1;
        token
    }

    fn handle(&mut self, request: Request) {
        match request {
            Request::Listen(listen) => {
                let Listen {
                    owner,
                    mut listener,
                    endpoint,
                } = *listen;
                let token = self.token();
                if self
                    .poll
                    .registry()
                    .register(&mut listener, token, Interest::READABLE)
                    .is_ok()
                {
                    self.listeners.insert(
                        token,
                        ListenerEntry {
                            listener,
                            owner,
                            endpoint,
                        },
                    );
                    self.accept(token);
                }
            }
            Request::Connect(connect) => {
                let Connect {
                    owner,
                    target,
                    endpoint,
                    mut pipe,
                } = *connect;
                let token = self.token();
                if let Some(pipe) = &mut pipe {
                    pipe.end.attach(pipe_id(token), self.mailbox.clone());
                }
                self.connecters.insert(
                    token,
                    Connecter {
                        owner,
                        target,
                        endpoint,
                        immediate: pipe.is_none(),
                        orphaned: false,
                        linger_until: None,
                        pipe,
                        engine: None,
                        retry_at: None,
                        next_delay: 0,
                    },
                );
                self.connect(token);
            }
            Request::Unbind { socket, endpoint } => {
                self.listeners.retain(|_, l| {
                    let doomed = l.owner.socket == socket && l.endpoint == endpoint;
                    if doomed {
                        let fd = l.listener.raw_fd() as u32;
                        l.owner.events.emit(SocketEvent::CLOSED, fd, &endpoint);
                    }
                    !doomed
                });
                let doomed: Vec<Token> = self
                    .engines
                    .iter()
                    .filter(|(_, e)| {
                        e.connecter.is_none()
                            && e.engine.socket() == socket
                            && e.engine.endpoint() == endpoint
                            && !e.engine.has_pipe()
                    })
                    .map(|(t, _)| *t)
                    .collect();
                for token in doomed {
                    self.drop_engine(token);
                }
            }
            Request::Disconnect { socket, endpoint } => {
                let doomed: Vec<Token> = self
                    .connecters
                    .iter()
                    .filter(|(_, c)| c.owner.socket == socket && c.endpoint == endpoint)
                    .map(|(t, _)| *t)
                    .collect();
                for token in doomed {
                    self.drop_connecter(token);
                }
            }
            Request::CloseSocket {
                socket,
                mailbox,
                linger,
            } => {
                self.listeners.retain(|_, l| l.owner.socket != socket);
                // Pipe ends mailed to the socket after it drained its
                // mailbox: dropping them tells their engines (PipeTerm).
                while mailbox.try_recv().is_some() {}
                // A connect that is between connections keeps trying while
                // it holds messages the socket queued, within LINGER (as
                // libzmq's session does); without any it goes now.
                let now = Instant::now();
                let linger_until = (linger > 0).then(|| now + Duration::from_millis(linger as u64));
                for connecter in self.connecters.values_mut() {
                    if connecter.owner.socket == socket {
                        connecter.orphaned = true;
                        connecter.linger_until = linger_until;
                    }
                }
                let doomed: Vec<Token> = self
                    .connecters
                    .iter()
                    .filter(|(_, c)| c.owner.socket == socket)
                    .filter(|(_, c)| linger == 0 || (c.engine.is_none() && !c.lingers(now)))
                    .map(|(t, _)| *t)
                    .collect();
                for token in doomed {
                    self.drop_connecter(token);
                }
                let doomed: Vec<Token> = self
                    .engines
                    .iter()
                    .filter(|(_, e)| e.engine.socket() == socket)
                    .filter(|(_, e)| linger == 0 || !e.engine.has_pipe())
                    .map(|(t, _)| *t)
                    .collect();
                for token in doomed {
                    // Connections still in their handshake would only mail
                    // a pipe to a closed socket.
                    self.engine_closed(token, Closed::SocketGone);
                }
                // The rest flush what the socket queued, within LINGER.
                let now = Instant::now();
                for entry in self.engines.values_mut() {
                    if entry.engine.socket() == socket {
                        entry.engine.linger(now);
                    }
                }
            }
            Request::Adopt(adopt) => {
                let Adopt {
                    owner,
                    stream,
                    endpoint,
                } = *adopt;
                self.add_accepted(owner, stream, endpoint);
            }
            #[cfg(test)]
            Request::CountEngines(reply) => {
                let _ = reply.send(self.engines.len());
            }
            Request::Stop => self.stop(),
        }
    }

    /// A pipe command: to the engine carrying the pipe.
    fn command(&mut self, command: Command) {
        let id = match &command {
            Command::ActivateRead(id) | Command::ActivateWrite(id) | Command::PipeTerm(id) => *id,
            Command::Attach(_) | Command::PeerBound(..) => return,
        };
        let mut token = token_of(id);
        if let Some(connecter) = self.connecters.get(&token) {
            match connecter.engine {
                Some(engine) => token = engine,
                None => {
                    // The socket closed or disconnected: stop trying (a
                    // closed socket's queued messages excepted, see
                    // `CloseSocket`).
                    if matches!(command, Command::PipeTerm(_))
                        && !(connecter.orphaned && connecter.lingers(Instant::now()))
                    {
                        self.drop_connecter(token);
                    }
                    return;
                }
            }
        }
        self.make_hot(token);
        let Some(entry) = self.engines.get_mut(&token) else {
            return;
        };
        if let Err(closed) = entry.engine.on_command(&command) {
            self.engine_closed(token, closed);
        }
    }

    fn accept(&mut self, token: Token) {
        loop {
            let Some(entry) = self.listeners.get(&token) else {
                return;
            };
            let stream = match entry.listener.accept(&entry.owner.options) {
                Ok(stream) => stream,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                // A connection that died in the backlog, or no descriptors
                // left: try again at the next readiness.
                Err(e) => {
                    let errno = e.raw_os_error().unwrap_or(0) as u32;
                    entry
                        .owner
                        .events
                        .emit(SocketEvent::ACCEPT_FAILED, errno, &entry.endpoint);
                    return;
                }
            };
            let owner = entry.owner.clone();
            let endpoint = entry.endpoint.clone();
            let target = self.next_peer % self.peers.len();
            self.next_peer = self.next_peer.wrapping_add(1);
            if target == self.me {
                self.add_accepted(owner, stream, endpoint);
            } else {
                let peer = &self.peers[target];
                // Fails only once that thread has ended (context stopped).
                let _ = peer.requests.send(Request::Adopt(Box::new(Adopt {
                    owner,
                    stream,
                    endpoint,
                })));
                peer.waker.wake();
            }
        }
    }

    /// Serves an accepted connection.
    fn add_accepted(&mut self, owner: Owner, stream: Stream, endpoint: String) {
        if self.stopping {
            return;
        }
        owner
            .events
            .emit(SocketEvent::ACCEPTED, stream.raw_fd() as u32, &endpoint);
        let engine_token = self.token();
        let engine = AnyEngine::new(
            stream,
            engine_token,
            owner,
            endpoint,
            self.mailbox.clone(),
            Origin::Accepted,
            false,
        );
        self.add_engine(engine_token, engine, None);
    }

    /// Registers and starts an engine.
    fn add_engine(&mut self, token: Token, mut engine: AnyEngine, connecter: Option<Token>) {
        if let Some(limit) = engine.handshake_limit() {
            self.handshakes.push((Instant::now() + limit, token));
        }
        let registered = self.poll.registry().register(
            &mut SourceFd(&engine.raw_fd()),
            token,
            Interest::READABLE | Interest::WRITABLE,
        );
        let started = match registered {
            Ok(()) => {
                engine.set_watch(Watch {
                    registry: self.registry.clone(),
                    armed: Some(Interest::READABLE | Interest::WRITABLE),
                });
                engine.start()
            }
            Err(e) => Err(Closed::Io(e)),
        };
        self.engines.insert(
            token,
            EngineEntry {
                engine,
                connecter,
                hot: false,
            },
        );
        if let Some(connecter) = connecter.and_then(|c| self.connecters.get_mut(&c)) {
            connecter.engine = Some(token);
        }
        if let Err(closed) = started {
            self.engine_closed(token, closed);
        }
    }

    /// Serves a readiness event; true when it moved something. An event
    /// for data the socket's own thread already read (direct I/O) moves
    /// nothing, and is no reason to spin.
    fn engine_event(&mut self, token: Token, readable: bool, writable: bool) -> bool {
        let Some(entry) = self.engines.get_mut(&token) else {
            return false;
        };
        match entry.engine.on_event(readable, writable) {
            Ok(true) => {
                self.make_hot(token);
                true
            }
            Ok(false) => false,
            Err(closed) => {
                self.engine_closed(token, closed);
                true
            }
        }
    }

    /// An engine ended: a connect's pipe goes back to its connecter, which
    /// retries after RECONNECT_IVL (or goes, if its socket did).
    fn engine_closed(&mut self, token: Token, why: Closed) {
        let Some(mut entry) = self.engines.remove(&token) else {
            return;
        };
        match &why {
            Closed::Protocol(error) => {
                *lock(&self.last_error) = Some(format!("{}: {error}", entry.engine.endpoint()));
            }
            Closed::Io(error) => {
                *lock(&self.last_error) = Some(format!("{}: {error}", entry.engine.endpoint()));
            }
            Closed::HeartbeatTimeout => {
                *lock(&self.last_error) = Some(format!(
                    "{}: the peer fell silent (heartbeat)",
                    entry.engine.endpoint()
                ));
            }
            Closed::HandshakeTimeout => {
                *lock(&self.last_error) = Some(format!(
                    "{}: no handshake within HANDSHAKE_IVL",
                    entry.engine.endpoint()
                ));
            }
            Closed::Eof | Closed::SocketGone => {}
        }
        let engine = &mut entry.engine;
        let fd = engine.raw_fd() as u32;
        match &why {
            _ if engine.is_ready() => engine.emit(SocketEvent::DISCONNECTED, fd),
            // A TCP connect that failed: CONNECT_RETRIED follows.
            _ if engine.is_connecting() => {}
            Closed::Protocol(error) => {
                engine.emit(SocketEvent::HANDSHAKE_FAILED_PROTOCOL, protocol_code(error))
            }
            Closed::SocketGone => {}
            _ => engine.emit(SocketEvent::HANDSHAKE_FAILED_NO_DETAIL, 0),
        }
        let _ = self
            .poll
            .registry()
            .deregister(&mut SourceFd(&entry.engine.raw_fd()));
        let Some(connecter_token) = entry.connecter else {
            return;
        };
        if entry.engine.is_raw() && matches!(why, Closed::SocketGone) {
            // A STREAM socket closed this connection: no reconnect (libzmq
            // ends a raw session with its pipe).
            self.drop_connecter(connecter_token);
            return;
        }
        let was_ready = entry.engine.is_ready();
        let pipe = entry.engine.into_connect_pipe();
        let Some(connecter) = self.connecters.get_mut(&connecter_token) else {
            return;
        };
        connecter.engine = None;
        if connecter.orphaned {
            connecter.pipe = pipe;
            // A peer that refused us (an incompatible type...) will again.
            let refused = matches!(why, Closed::Protocol(_));
            if !refused && connecter.lingers(Instant::now()) {
                self.schedule_retry(connecter_token, was_ready);
            } else {
                self.drop_connecter(connecter_token);
            }
            return;
        }
        match pipe {
            Some(pipe) if !pipe.end.peer_closed() => {
                connecter.pipe = Some(pipe);
                self.schedule_retry(connecter_token, was_ready);
            }
            None if connecter.immediate => self.schedule_retry(connecter_token, was_ready),
            _ => self.drop_connecter(connecter_token),
        }
    }

    /// Schedules a connecter's next attempt: after RECONNECT_IVL, doubled
    /// after each failed attempt up to RECONNECT_IVL_MAX (when that is
    /// above it), back to RECONNECT_IVL once a connection completed its
    /// handshake. RECONNECT_IVL -1: never reconnect.
    fn schedule_retry(&mut self, token: Token, was_ready: bool) {
        let Some(connecter) = self.connecters.get_mut(&token) else {
            return;
        };
        let ivl = connecter.owner.options.reconnect_ivl;
        if ivl < 0 {
            self.drop_connecter(token);
            return;
        }
        let max = connecter.owner.options.reconnect_ivl_max;
        if was_ready || connecter.next_delay == 0 {
            connecter.next_delay = ivl.max(1) as u64;
        }
        let delay = connecter.next_delay;
        if max > ivl {
            connecter.next_delay = (delay * 2).min(max as u64);
        }
        connecter.retry_at = Some(Instant::now() + Duration::from_millis(delay));
        connecter.owner.events.emit(
            SocketEvent::CONNECT_RETRIED,
            u32::try_from(delay).unwrap_or(u32::MAX),
            &connecter.endpoint,
        );
    }

    fn drop_engine(&mut self, token: Token) {
        if let Some(entry) = self.engines.remove(&token) {
            let _ = self
                .poll
                .registry()
                .deregister(&mut SourceFd(&entry.engine.raw_fd()));
        }
    }

    fn drop_connecter(&mut self, token: Token) {
        if let Some(connecter) = self.connecters.remove(&token) {
            if let Some(engine) = connecter.engine {
                self.drop_engine(engine);
            }
        }
    }

    /// Starts a connection attempt for a connecter.
    fn connect(&mut self, token: Token) {
        let Some(connecter) = self.connecters.get_mut(&token) else {
            return;
        };
        connecter.retry_at = None;
        let (stream, connecting) = match &connecter.target {
            Target::Tcp(addr) => (Stream::connect_tcp(*addr, &connecter.owner.options), true),
            Target::Ipc(addr) => (Stream::connect_unix(addr, &connecter.owner.options), false),
        };
        let stream = match stream {
            Ok(stream) => stream,
            Err(_) => {
                self.schedule_retry(token, false);
                return;
            }
        };
        let origin = match connecter.pipe.take() {
            Some(pipe) => Origin::Connect(pipe),
            None if connecter.immediate => Origin::ImmediateConnect,
            None => return,
        };
        let engine_token = self.token();
        let Some(connecter) = self.connecters.get(&token) else {
            return;
        };
        let (event, value) = if connecting {
            (SocketEvent::CONNECT_DELAYED, EINPROGRESS)
        } else {
            (SocketEvent::CONNECTED, stream.raw_fd() as u32)
        };
        connecter
            .owner
            .events
            .emit(event, value, &connecter.endpoint);
        let mut engine = AnyEngine::new(
            stream,
            engine_token,
            connecter.owner.clone(),
            connecter.endpoint.clone(),
            self.mailbox.clone(),
            origin,
            connecting,
        );
        if connecter.orphaned {
            // Its socket closed: this connection only flushes, within LINGER.
            engine.linger(Instant::now());
        }
        self.add_engine(engine_token, engine, Some(token));
    }

    fn next_timer(&self) -> Option<Instant> {
        let retries = self
            .connecters
            .values()
            .flat_map(|c| [c.retry_at, c.linger_until])
            .flatten();
        let handshakes = self.handshakes.iter().map(|(at, _)| *at);
        // Heartbeats: a scan of the engines (a timer heap is for later).
        let heartbeats = self.engines.values().filter_map(|e| e.engine.deadline());
        retries.chain(handshakes).chain(heartbeats).min()
    }

    fn run_timers(&mut self) {
        let now = Instant::now();
        let engines = &self.engines;
        // Forget the engines that are gone or ready; expire the late ones.
        self.handshakes.retain(|(_, token)| {
            engines
                .get(token)
                .is_some_and(|entry| !entry.engine.is_ready())
        });
        let late: Vec<Token> = self
            .handshakes
            .iter()
            .filter(|(at, _)| *at <= now)
            .map(|(_, token)| *token)
            .collect();
        self.handshakes.retain(|(at, _)| *at > now);
        for token in late {
            self.engine_closed(token, Closed::HandshakeTimeout);
        }
        let due: Vec<Token> = self
            .engines
            .iter()
            .filter(|(_, e)| e.engine.deadline().is_some_and(|at| at <= now))
            .map(|(t, _)| *t)
            .collect();
        for token in due {
            if let Some(entry) = self.engines.get_mut(&token) {
                if let Err(closed) = entry.engine.on_timer(now) {
                    self.engine_closed(token, closed);
                }
            }
        }
        // Orphans whose LINGER ran out give their queued messages up.
        let expired: Vec<Token> = self
            .connecters
            .iter()
            .filter(|(_, c)| c.orphaned && c.engine.is_none())
            .filter(|(_, c)| c.linger_until.is_some_and(|at| at <= now))
            .map(|(t, _)| *t)
            .collect();
        for token in expired {
            self.drop_connecter(token);
        }
        let due: Vec<Token> = self
            .connecters
            .iter()
            .filter(|(_, c)| c.retry_at.is_some_and(|at| at <= now))
            .map(|(t, _)| *t)
            .collect();
        for token in due {
            self.connect(token);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};

    #[test]
    fn a_protocol_error_is_kept_for_diagnosis() {
        let ctx = crate::Context::new();
        let pull = ctx.socket(crate::PULL).unwrap();
        pull.bind("tcp://127.0.0.1:*").unwrap();
        let endpoint = pull.get_last_endpoint().unwrap().unwrap();
        let mut raw = std::net::TcpStream::connect(endpoint.trim_start_matches("tcp://")).unwrap();
        raw.set_read_timeout(Some(std::time::Duration::from_secs(10)))
            .unwrap();
        raw.write_all(&[0x00; 64]).unwrap();
        let mut sink = Vec::new();
        let _ = raw.read_to_end(&mut sink);
        let io = ctx.inner.io_thread().unwrap();
        let reason = io.last_error().expect("a reason is kept");
        assert!(reason.contains("signature"), "{reason}");
        assert!(reason.starts_with(&endpoint), "{reason}");
    }
}
