//! Actors, as CZMQ's `zactor`: a thread that owns its sockets and talks to
//! the thread that started it only through messages on a PAIR pipe.
//!
//! [`Actor::new`] (or [`Actor::builder`]) binds a PAIR socket on a fresh
//! inproc endpoint, connects a second one (bind before connect), starts a
//! thread and runs the body there with the second socket — the actor's end
//! of the pipe — and the context. The parent keeps the first socket inside
//! the [`Actor`] and talks to the actor with its `send` and `recv` methods;
//! [`Actor::socket`] lends the pipe for polling.
//!
//! # The contract, as CZMQ's
//!
//! - **Ready.** The body calls `pipe.signal(0)` once it is set up (its
//!   sockets bound, say); `Actor::new` returns only then. Messages the
//!   actor sends before that signal are discarded, as `zsock_wait` does. A
//!   body that ends before it signals makes `new` fail instead of hang.
//! - **Terminate.** Dropping the `Actor` sends `"$TERM"` ([`TERM`]); the body
//!   must then return. The drop waits for it, discarding whatever the actor
//!   still sends, and joins the thread.
//! - **Interrupted.** Once the context is terminated (`Context::destroy`),
//!   every blocking call in the actor returns `ETERM`: a body that
//!   propagates errors with `?` ends by itself, children first (a parent
//!   actor's body drops, and so joins, its children before it returns).
//!
//! An actor that ignores `$TERM` and `ETERM` and never returns makes the
//! drop wait forever, as in CZMQ: nothing can end a thread from outside.
//!
//! # An actor that ends early
//!
//! When the body returns (`Ok` or `Err`) or panics, its thread records the
//! [`Exit`] (with the panic's message), then sends one last, private
//! end-of-actor frame. The parent receives everything the actor sent before,
//! then the end frame becomes `ENOTCONN` ("the actor is no longer
//! connected"), and so does every later call; [`Actor::exit`] and
//! [`Actor::failure`] say why. A parent blocked in a receive or a poll on the
//! pipe is woken by that frame; one blocked sending into a full pipe is
//! woken by the shared state (see `lifecycle.rs`). libzmq's error set has no
//! ECONNRESET or EPIPE; ENOTCONN is the closest it has.
//!
//! ```
//! use zactor as zmq;
//! use zmq::actor::{Actor, TERM};
//!
//! let ctx = zmq::Context::new();
//! let echo = Actor::new(&ctx, |pipe, _ctx| {
//!     pipe.signal(0)?;
//!     loop {
//!         let msg = pipe.recv_msg(0)?;
//!         if &msg[..] == TERM.as_bytes() {
//!             return Ok(());
//!         }
//!         pipe.send(msg, 0)?;
//!     }
//! })
//! .unwrap();
//! echo.send("hello", 0).unwrap();
//! assert_eq!(echo.recv_string(0).unwrap().unwrap(), "hello");
//! // Dropping `echo` sends $TERM and joins its thread.
//! ```

mod builder;
pub(crate) mod handshake;
mod lifecycle;
#[cfg(zactor_loom)]
pub(crate) mod loom_api;
mod runner;

use std::cell::Cell;
use std::fmt;
use std::time::{Duration, Instant};

use crate::ctx::Context;
use crate::error::{Error, Result};
use crate::msg::Message;
use crate::socket::{Socket, DONTWAIT, SNDMORE};
use crate::sync::{thread, Arc};
use handshake::{classify, Frame, END_LEN};
use lifecycle::Lifecycle;

pub use builder::Builder;

/// The message that asks an actor to end (CZMQ's `"$TERM"`), sent when an
/// [`Actor`] is dropped.
pub const TERM: &str = "$TERM";

/// How an actor's body ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exit {
    /// The body returned `Ok(())`.
    Returned,
    /// The body returned this error (`ETERM` when the context was
    /// terminated under it).
    Failed(Error),
    /// The body panicked with this message.
    Panicked(String),
}

impl fmt::Display for Exit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Exit::Returned => f.write_str("the actor returned"),
            Exit::Failed(error) => write!(f, "the actor failed: {error}"),
            Exit::Panicked(message) => write!(f, "the actor panicked: {message}"),
        }
    }
}

/// A running actor: its thread, and the parent's end of the pipe to it.
///
/// `Send` but not `Sync`, like a socket. Dropping it ends the actor (see
/// the [module documentation](self)).
pub struct Actor {
    /// The parent's end of the pipe.
    pipe: Socket,
    lifecycle: Arc<Lifecycle>,
    /// The frame the actor's thread sends last.
    end: [u8; END_LEN],
    /// Whether the end frame has been received (or the start failed).
    ended_seen: Cell<bool>,
    thread: Option<thread::JoinHandle<()>>,
    name: Option<String>,
}

impl fmt::Debug for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Actor")
            .field("name", &self.name)
            .field("exit", &self.exit())
            .finish()
    }
}

impl Actor {
    /// Starts an actor running `body` with default options, and returns
    /// once it has signalled ready. See [`Builder::spawn`].
    pub fn new<F>(ctx: &Context, body: F) -> Result<Actor>
    where
        F: FnOnce(&Socket, &Context) -> Result<()> + Send + 'static,
    {
        Builder::new().spawn(ctx, body)
    }

    /// A builder, for a thread name, stack size, core or pipe HWM.
    pub fn builder() -> Builder {
        Builder::new()
    }

    pub(crate) fn started(
        pipe: Socket,
        lifecycle: Arc<Lifecycle>,
        end: [u8; END_LEN],
        thread: thread::JoinHandle<()>,
        name: Option<String>,
    ) -> Actor {
        Actor {
            pipe,
            lifecycle,
            end,
            ended_seen: Cell::new(false),
            thread: Some(thread),
            name,
        }
    }

    /// Waits for the actor's ready signal, discarding anything else.
    pub(crate) fn wait_ready(&self) -> Result<()> {
        if handshake::await_ready(&self.end, || self.pipe.recv_msg(0))? {
            return Ok(());
        }
        self.ended_seen.set(true);
        Err(match self.exit() {
            Some(Exit::Failed(error)) => error,
            _ => Error::ENOTCONN,
        })
    }

    /// The parent's end of the pipe, to poll (`actor.socket().as_poll_item(zmq::POLLIN)`).
    ///
    /// Receive through the `Actor`'s methods, not through this socket: they
    /// recognise the frame that says the actor ended. Do not close,
    /// disconnect or unbind it.
    pub fn socket(&self) -> &Socket {
        &self.pipe
    }

    /// The name given to the actor's thread, if any.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// How the actor's body ended; `None` while it runs.
    pub fn exit(&self) -> Option<Exit> {
        self.lifecycle.exit()
    }

    /// Why the actor failed, if it did: its error or its panic message.
    /// `None` while it runs, and when its body returned `Ok`.
    pub fn failure(&self) -> Option<String> {
        match self.exit()? {
            Exit::Returned => None,
            Exit::Failed(error) => Some(error.to_string()),
            Exit::Panicked(message) => Some(message),
        }
    }

    /// `ENOTCONN` once the actor can no longer receive.
    #[inline]
    fn check_receiving(&self) -> Result<()> {
        if self.ended_seen.get() || self.lifecycle.ended() {
            Err(Error::ENOTCONN)
        } else {
            Ok(())
        }
    }

    /// Sends a message part to the actor; `flags` may hold `DONTWAIT` and
    /// `SNDMORE`. `ENOTCONN` once the actor has ended, even if it ends
    /// while this call waits for room in the pipe.
    pub fn send<T>(&self, data: T, flags: i32) -> Result<()>
    where
        T: Into<Message>,
    {
        self.check_receiving()?;
        let msg = Message::for_sending(data);
        if flags & DONTWAIT != 0 {
            return self.pipe.send(msg, flags);
        }
        // The fast path must not block: a blocked send cannot be told that
        // the actor died. The clone shares a heap body; an inline one is
        // copied (77 bytes at most).
        match self.pipe.send(msg.clone(), flags | DONTWAIT) {
            Err(Error::EAGAIN) => self.send_slow(msg, flags),
            done => done,
        }
    }

    /// The pipe is full: wait for room, or for the actor's end.
    #[cold]
    fn send_slow(&self, msg: Message, flags: i32) -> Result<()> {
        let timeout = self.pipe.get_sndtimeo()?;
        let deadline = u64::try_from(timeout)
            .ok()
            .map(|ms| Instant::now() + Duration::from_millis(ms));
        let mailbox = self.pipe.mailbox();
        self.lifecycle.send_when_room(
            mailbox.signal(),
            deadline,
            || self.pipe.readiness().map(|(_, writable)| writable),
            || match self.pipe.send(msg.clone(), flags | DONTWAIT) {
                Ok(()) => Ok(true),
                Err(Error::EAGAIN) => Ok(false),
                Err(error) => Err(error),
            },
        )
    }

    /// Sends a `Message` (as `send`).
    pub fn send_msg(&self, msg: Message, flags: i32) -> Result<()> {
        self.send(msg, flags)
    }

    /// Sends a string (as `send`).
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
            self.send(part, flags | more)?;
        }
        Ok(())
    }

    /// Receives a message part from the actor. After everything the actor
    /// sent, an actor that has ended gives `ENOTCONN`.
    #[inline]
    pub fn recv_msg(&self, flags: i32) -> Result<Message> {
        if self.ended_seen.get() {
            return Err(Error::ENOTCONN);
        }
        let frame = self.pipe.recv_msg(flags)?;
        if frame.len() == END_LEN && classify(&frame, &self.end) == Frame::End {
            self.ended_seen.set(true);
            return Err(Error::ENOTCONN);
        }
        Ok(frame)
    }

    /// Receives a message part into `msg`.
    pub fn recv(&self, msg: &mut Message, flags: i32) -> Result<()> {
        *msg = self.recv_msg(flags)?;
        Ok(())
    }

    /// Receives a message part as bytes.
    pub fn recv_bytes(&self, flags: i32) -> Result<Vec<u8>> {
        self.recv_msg(flags).map(|msg| msg.to_vec())
    }

    /// Receives a message part as a string; `Err(bytes)` inside when it is
    /// not UTF-8.
    pub fn recv_string(&self, flags: i32) -> Result<std::result::Result<String, Vec<u8>>> {
        self.recv_bytes(flags).map(crate::socket::utf8_or_bytes)
    }

    /// Receives every part of a message.
    pub fn recv_multipart(&self, flags: i32) -> Result<Vec<Vec<u8>>> {
        crate::socket::collect_multipart(|| self.recv_msg(flags))
    }

    /// Whether the last part received has more parts after it.
    pub fn get_rcvmore(&self) -> Result<bool> {
        self.pipe.get_rcvmore()
    }

    /// Sends a signal to the actor (as [`Socket::signal`]).
    pub fn signal(&self, status: u8) -> Result<()> {
        self.send(&handshake::signal_frame(status)[..], 0)
    }

    /// Waits for a signal from the actor and returns its status (as
    /// [`Socket::wait`]), discarding other messages; `ENOTCONN` if the actor
    /// ends first.
    pub fn wait(&self) -> Result<u8> {
        loop {
            let frame = self.recv_msg(0)?;
            if let Some(status) = handshake::signal_status(&frame) {
                return Ok(status);
            }
        }
    }
}

impl AsRef<Socket> for Actor {
    fn as_ref(&self) -> &Socket {
        &self.pipe
    }
}

impl Drop for Actor {
    fn drop(&mut self) {
        if !self.ended_seen.get() {
            // Returns at once with ENOTCONN if the actor has ended, or with
            // ETERM once the context is terminated.
            let _ = self.send(TERM, 0);
            // A receive timeout must not cut the wait short: the actor's
            // thread may be waiting for room for its end frame.
            let _ = self.pipe.set_rcvtimeo(-1);
            // An error is ETERM: the actor's calls fail too, and its end
            // frame cannot be sent; it is ending.
            let _ = handshake::await_end(&self.end, || self.pipe.recv_msg(0));
        }
        if let Some(handle) = self.thread.take() {
            // The thread caught the body's panic; the join cannot fail.
            let _ = handle.join();
        }
    }
}
