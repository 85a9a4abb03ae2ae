//! A socket's mailbox: a multi-producer queue of [`Command`]s plus the
//! [`Signal`] that wakes the socket's thread when a command arrives.
//!
//! The queue is a crossbeam channel in normal builds; under loom, where
//! crossbeam is not modelled, a mutex-protected deque through the shim.

use crate::command::Command;
use crate::signaler::Signal;

/// Commands for one socket, and its wake-up.
#[derive(Debug)]
pub(crate) struct Mailbox {
    queue: imp::Queue,
    signal: Signal,
}

impl Mailbox {
    pub(crate) fn new() -> Self {
        Self {
            queue: imp::Queue::new(),
            signal: Signal::new(),
        }
    }

    /// Queues a command and wakes the owner.
    pub(crate) fn send(&self, command: Command) {
        self.queue.push(command);
        self.signal.notify();
    }

    /// Wakes the owner without a command (context termination, signals).
    pub(crate) fn wake(&self) {
        self.signal.notify();
    }

    /// Takes the next command, if any.
    #[inline]
    pub(crate) fn try_recv(&self) -> Option<Command> {
        self.queue.pop()
    }

    /// The owner's wake-up.
    pub(crate) fn signal(&self) -> &Signal {
        &self.signal
    }
}

#[cfg(not(zactor_loom))]
mod imp {
    use crate::command::Command;
    use crossbeam_channel::{unbounded, Receiver, Sender};

    #[derive(Debug)]
    pub(super) struct Queue {
        tx: Sender<Command>,
        rx: Receiver<Command>,
    }

    impl Queue {
        pub(super) fn new() -> Self {
            let (tx, rx) = unbounded();
            Self { tx, rx }
        }

        pub(super) fn push(&self, command: Command) {
            // Cannot fail: the receiver lives in the same struct.
            let _ = self.tx.send(command);
        }

        #[inline]
        pub(super) fn pop(&self) -> Option<Command> {
            self.rx.try_recv().ok()
        }
    }
}

#[cfg(zactor_loom)]
mod imp {
    use crate::command::Command;
    use crate::signaler::lock;
    use crate::sync::Mutex;
    use std::collections::VecDeque;

    #[derive(Debug)]
    pub(super) struct Queue(Mutex<VecDeque<Command>>);

    impl Queue {
        pub(super) fn new() -> Self {
            Self(Mutex::new(VecDeque::new()))
        }

        pub(super) fn push(&self, command: Command) {
            lock(&self.0).push_back(command);
        }

        pub(super) fn pop(&self) -> Option<Command> {
            lock(&self.0).pop_front()
        }
    }
}
