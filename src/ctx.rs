//! The context: the registry that lets sockets find each other, and the
//! switch that terminates them all.
//!
//! A [`Context`] is a cheap clonable handle. It holds the inproc endpoint
//! table (bound sockets, and connections waiting for a bind), the mailboxes
//! of every open socket (to wake them on termination) and the termination
//! flag. Only bind, connect, close and termination take its lock; messages
//! never do.

use std::collections::HashMap;

use crate::error::{Error, Result};
use crate::mailbox::Mailbox;
use crate::signaler::lock;
use crate::socket::Socket;
use crate::socket_type::SocketType;
use crate::sync::{Arc, AtomicBool, Condvar, Mutex, Ordering};
use crate::transport::inproc::InprocEndpoint;
use crate::transport::network::IoThreads;

/// A ZeroMQ context: sockets made from one context can talk over inproc.
///
/// Cloning is cheap; every socket keeps its context alive.
#[derive(Clone)]
pub struct Context {
    pub(crate) inner: Arc<CtxInner>,
}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("terminated", &self.inner.is_terminated())
            .finish()
    }
}

/// What a context shares between its sockets.
pub(crate) struct CtxInner {
    terminated: AtomicBool,
    state: Mutex<CtxState>,
    /// Signalled when the last socket closes (for `destroy`).
    all_closed: Condvar,
}

pub(crate) struct CtxState {
    /// inproc endpoints by name.
    pub(crate) endpoints: HashMap<String, InprocEndpoint>,
    /// Open sockets' mailboxes, by socket id.
    sockets: HashMap<u64, Arc<Mailbox>>,
    next_socket_id: u64,
    io_threads: i32,
    /// The I/O threads of `tcp://` and `ipc://`, started on first use
    /// (`io_threads` of them; later changes of the count do not apply).
    io: Option<Arc<IoThreads>>,
}

impl Default for Context {
    fn default() -> Self {
        Self::new()
    }
}

impl Context {
    /// Creates a context. No thread is started (the I/O thread starts with
    /// the first `tcp://` or `ipc://` bind or connect).
    pub fn new() -> Context {
        let context = Context {
            inner: Arc::new(CtxInner {
                terminated: AtomicBool::new(false),
                state: Mutex::new(CtxState {
                    endpoints: HashMap::new(),
                    sockets: HashMap::new(),
                    next_socket_id: 1,
                    io_threads: 1,
                    io: None,
                }),
                all_closed: Condvar::new(),
            }),
        };
        #[cfg(not(zactor_loom))]
        live::register(&context.inner);
        context
    }

    /// Creates a socket of the given type.
    pub fn socket(&self, socket_type: SocketType) -> Result<Socket> {
        Socket::new(self.clone(), socket_type)
    }

    /// Terminates the context: every blocking call on its sockets, in any
    /// thread, returns `ETERM` at once, and so does every later call. Then
    /// waits until every socket has been closed (dropped), like
    /// `zmq_ctx_term`. Messages already in inproc pipes never hold it up.
    pub fn destroy(&mut self) -> Result<()> {
        self.inner.terminate();
        let mut state = lock(&self.inner.state);
        while !state.sockets.is_empty() {
            state = match self.inner.all_closed.wait(state) {
                Ok(guard) => guard,
                Err(poisoned) => poisoned.into_inner(),
            };
        }
        let io = state.io.take();
        drop(state);
        if let Some(io) = io {
            io.stop();
        }
        Ok(())
    }

    /// The number of I/O threads for `tcp://` and `ipc://` (inproc uses
    /// none). They start at the first network bind or connect.
    pub fn get_io_threads(&self) -> Result<i32> {
        Ok(lock(&self.inner.state).io_threads)
    }

    /// Sets the number of I/O threads (default 1), before the first network
    /// bind or connect; 0 leaves the context inproc-only (a network
    /// endpoint then fails with `EMTHREAD`, as in libzmq).
    pub fn set_io_threads(&self, value: i32) -> Result<()> {
        if value < 0 {
            return Err(Error::EINVAL);
        }
        lock(&self.inner.state).io_threads = value;
        Ok(())
    }
}

/// Every live context, so that a caught signal can wake every blocked
/// socket in the process (`crate::signal`). Weak references: the registry
/// never keeps a context alive. Not built under loom (no static loom types).
#[cfg(not(zactor_loom))]
mod live {
    use super::CtxInner;
    use crate::signaler::lock;
    use crate::sync::{Arc, Mutex, Weak};

    static CONTEXTS: Mutex<Vec<Weak<CtxInner>>> = Mutex::new(Vec::new());

    /// Adds a new context, forgetting the ones that are gone.
    pub(super) fn register(inner: &Arc<CtxInner>) {
        let mut contexts = lock(&CONTEXTS);
        contexts.retain(|weak| weak.strong_count() > 0);
        contexts.push(Arc::downgrade(inner));
    }

    /// Notifies every open socket of every live context: each blocked call
    /// wakes, and looks at why (here: the interruption count).
    pub(crate) fn wake_every_socket() {
        let contexts: Vec<Arc<CtxInner>> =
            lock(&CONTEXTS).iter().filter_map(Weak::upgrade).collect();
        for inner in contexts {
            for mailbox in lock(&inner.state).sockets.values() {
                mailbox.wake();
            }
        }
    }
}

#[cfg(not(zactor_loom))]
pub(crate) use live::wake_every_socket;

impl CtxInner {
    /// Whether `destroy` has been called.
    #[inline]
    pub(crate) fn is_terminated(&self) -> bool {
        // Relaxed: a socket that misses the flag by a moment is woken by the
        // mailbox notification that `terminate` sends right after it.
        self.terminated.load(Ordering::Relaxed)
    }

    fn terminate(&self) {
        // Relaxed, because the store is published by the mailbox mutex and
        // the signal's Release/Acquire below.
        self.terminated.store(true, Ordering::Relaxed);
        let state = lock(&self.state);
        for mailbox in state.sockets.values() {
            mailbox.wake();
        }
    }

    /// Registers a new socket; `ETERM` once terminated.
    pub(crate) fn register(&self, mailbox: Arc<Mailbox>) -> Result<u64> {
        let mut state = lock(&self.state);
        if self.is_terminated() {
            return Err(Error::ETERM);
        }
        let id = state.next_socket_id;
        state.next_socket_id += 1;
        state.sockets.insert(id, mailbox);
        Ok(id)
    }

    /// Forgets a closed socket and everything it registered.
    pub(crate) fn unregister(&self, socket: u64, keep_pending: bool) {
        let mut state = lock(&self.state);
        state.sockets.remove(&socket);
        crate::transport::inproc::forget_socket(&mut state, socket, keep_pending);
        if state.sockets.is_empty() {
            self.all_closed.notify_all();
        }
    }

    /// The I/O thread, started on first use; `ETERM` once terminated.
    pub(crate) fn io_thread(&self) -> Result<Arc<IoThreads>> {
        let mut state = lock(&self.state);
        if self.is_terminated() {
            return Err(Error::ETERM);
        }
        if let Some(io) = &state.io {
            return Ok(io.clone());
        }
        let count = usize::try_from(state.io_threads).unwrap_or(1);
        let io = Arc::new(IoThreads::start(count)?);
        state.io = Some(io.clone());
        Ok(io)
    }

    /// Locks the shared state (for the transports).
    pub(crate) fn lock(&self) -> crate::sync::MutexGuard<'_, CtxState> {
        lock(&self.state)
    }
}
