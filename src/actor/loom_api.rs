//! The actor protocol as the loom models in `loom-tests/tests/actor.rs` see
//! it (built only under `--cfg zactor_loom`, reached as `zactor::__loom`).
//!
//! A real `Socket` spins on the clock before it parks, which loom cannot
//! model; so the models run the actor's own code — the shared
//! [`Lifecycle`](super::lifecycle::Lifecycle), the wait in `block_on`, the
//! parent's steps `await_ready`/`await_end`/`send_when_room` and the
//! thread's `conclude` — over [`Line`]s: a real pipe end attached to a real
//! mailbox, which a waiting thread watches through the same signal
//! handshake a socket's poller uses. Each wrapper forwards to one crate
//! function.

use std::cell::RefCell;

use super::handshake::{self, END_LEN};
use super::lifecycle::{self, Lifecycle as RealLifecycle};
use super::runner;
use super::Exit;
use crate::error::{Error, Result};
use crate::mailbox::Mailbox;
use crate::msg::Message;
use crate::pipe::{pipe_pair, PipeEnd, PipeId};
use crate::sync::Arc;

/// One end of an actor pipe, standing in for a PAIR socket: a pipe end,
/// and the mailbox its peer's commands arrive in.
pub struct Line {
    end: RefCell<PipeEnd>,
    mailbox: Arc<Mailbox>,
}

/// A pipe between a parent (first) and its actor (second); each direction
/// holds `hwm` messages (0: no limit).
pub fn line_pair(hwm: u64) -> (Line, Line) {
    let (mut parent, mut actor) = pipe_pair([hwm, hwm], "inproc://loom-actor");
    let line = |end: &mut PipeEnd| {
        let mailbox = Arc::new(Mailbox::new());
        end.attach(PipeId::new(0, 0), mailbox.clone());
        mailbox
    };
    let parent_mailbox = line(&mut parent);
    let actor_mailbox = line(&mut actor);
    (
        Line {
            end: RefCell::new(parent),
            mailbox: parent_mailbox,
        },
        Line {
            end: RefCell::new(actor),
            mailbox: actor_mailbox,
        },
    )
}

impl Line {
    /// What a socket does on every call: consume the notification and the
    /// commands (their only effect here is to have woken us).
    fn process_commands(&self) {
        if self.mailbox.signal().take() {
            while self.mailbox.try_recv().is_some() {}
        }
    }

    /// Whether a message may be sent now (a socket's `POLLOUT`).
    pub fn writable(&self) -> bool {
        self.process_commands();
        self.end.borrow_mut().check_write()
    }

    /// Sends a one-frame message if there is room; `false` if not.
    pub fn try_send(&self, frame: &[u8]) -> bool {
        self.writable() && self.end.borrow_mut().write(Message::from(frame)).is_ok()
    }

    /// Sends a one-frame message, waiting for room; `ENOTCONN` if the peer
    /// has closed.
    pub fn send(&self, frame: &[u8]) -> Result<()> {
        let ready = lifecycle::block_on(self.mailbox.signal(), None, || {
            if self.end.borrow().peer_closed() {
                return Err(Error::ENOTCONN);
            }
            Ok(self.writable())
        })?;
        debug_assert!(ready);
        if self.try_send(frame) {
            Ok(())
        } else {
            Err(Error::ENOTCONN)
        }
    }

    /// Receives a message, waiting for one; `ENOTCONN` once the peer has
    /// closed and everything it sent has been read.
    pub fn recv(&self) -> Result<Message> {
        lifecycle::block_on(self.mailbox.signal(), None, || {
            self.process_commands();
            let mut end = self.end.borrow_mut();
            if end.check_read() {
                Ok(true)
            } else if end.is_dead() {
                Err(Error::ENOTCONN)
            } else {
                Ok(false)
            }
        })?;
        self.end.borrow_mut().read().ok_or(Error::EFAULT)
    }
}

/// The state an actor's thread shares with its parent (see `lifecycle.rs`).
#[derive(Clone)]
pub struct Lifecycle(Arc<RealLifecycle>);

impl Lifecycle {
    /// The state of a running actor whose parent owns `parent`.
    pub fn new(parent: &Line) -> Self {
        Self(Arc::new(RealLifecycle::new(parent.mailbox.clone())))
    }

    /// Whether the actor has ended (the check on every parent send).
    pub fn ended(&self) -> bool {
        self.0.ended()
    }

    /// How the actor ended, once it has.
    pub fn exit(&self) -> Option<Exit> {
        self.0.exit()
    }

    /// The actor thread's last steps (`runner::conclude`): the exit, the
    /// parent's wake-up, then the end frame, sent on `actor` with `token`.
    pub fn conclude(&self, exit: Exit, actor: &Line, token: u64) {
        runner::conclude(&self.0, exit, || {
            let _ = actor.send(&end_frame(token));
        });
    }

    /// The parent's send (`Actor::send`): at once if there is room, else
    /// through `send_when_room`; `ENOTCONN` once the actor has ended.
    pub fn parent_send(&self, parent: &Line, frame: &[u8]) -> Result<()> {
        if self.0.ended() {
            return Err(Error::ENOTCONN);
        }
        if parent.try_send(frame) {
            return Ok(());
        }
        self.0.send_when_room(
            parent.mailbox.signal(),
            None,
            || Ok(parent.writable()),
            || Ok(parent.try_send(frame)),
        )
    }
}

/// A signal frame (`Socket::signal`).
pub fn signal_frame(status: u8) -> [u8; 8] {
    handshake::signal_frame(status)
}

/// The end frame of the actor with `token`.
pub fn end_frame(token: u64) -> [u8; END_LEN] {
    handshake::end_frame(token)
}

/// The parent's start (`Actor::new`): true once ready, false when the actor
/// ended first.
pub fn await_ready(parent: &Line, token: u64) -> Result<bool> {
    handshake::await_ready(&end_frame(token), || parent.recv())
}

/// The parent's end (`Drop`): reads until the actor's end frame.
pub fn await_end(parent: &Line, token: u64) -> Result<()> {
    handshake::await_end(&end_frame(token), || parent.recv())
}
