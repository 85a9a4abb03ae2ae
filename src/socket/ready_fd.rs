//! `Socket::get_fd`: a real descriptor that other event loops (mio,
//! tokio's `AsyncFd`, epoll, `poll(2)`) can wait on.
//!
//! # Contract (level-triggered on input)
//!
//! The descriptor is readable whenever the socket has a message to
//! receive, and may also be readable spuriously just after any state
//! change (a peer arriving or leaving, credit coming back, the context
//! ending): on readability, ask [`crate::Socket::get_events`] or receive
//! with `DONTWAIT`. It never needs to be read: zactor drains it itself.
//! After a receive that leaves nothing to read (an `EAGAIN`), it turns
//! unreadable until the next message arrives.
//!
//! So a level-triggered loop (`poll(2)`, epoll without `EPOLLET`) may
//! receive one message per wake-up and is woken again while more wait;
//! an edge-triggered one (mio, tokio) receives until `EAGAIN`, as it must
//! for any descriptor. Output readiness (`POLLOUT`) is not signalled by
//! the descriptor beyond the spurious wake-ups: check `get_events`.
//!
//! # How
//!
//! The descriptor is an [`FdWaker`] registered as a watcher on the socket's
//! own signal: every command to the socket (and so every message into a
//! pipe whose reader went to sleep) writes a byte, once until reset. After
//! every send, receive or readiness query, the socket brings the byte in
//! line with its input readiness ([`ReadyFd::sync`]): readable → make sure
//! a byte is there; not readable → drain it, then look once more (a
//! message that arrived in between found the byte still pending and wrote
//! none), and put it back if something came. Looking marks the empty pipes
//! asleep, so the next message into them sends a command: no lost wake-up.
//! Sockets that never call `get_fd` pay one branch per call.

use crate::error::Result;
use crate::fd_waker::FdWaker;
use crate::mailbox::Mailbox;
use crate::signaler::WatchId;
use crate::sync::Arc;

/// The readiness descriptor of one socket.
pub(crate) struct ReadyFd {
    waker: Arc<FdWaker>,
    watch: WatchId,
    mailbox: Arc<Mailbox>,
}

impl ReadyFd {
    /// Creates the descriptor and registers it on the socket's signal.
    pub(crate) fn new(mailbox: &Arc<Mailbox>) -> Result<ReadyFd> {
        let waker = Arc::new(FdWaker::new()?);
        let watch = mailbox.signal().watch(Box::new(waker.clone()));
        Ok(ReadyFd {
            waker,
            watch,
            mailbox: mailbox.clone(),
        })
    }

    pub(crate) fn fd(&self) -> std::os::unix::io::RawFd {
        self.waker.fd()
    }

    /// Brings the descriptor in line with the socket's input readiness;
    /// `has_in` looks (and marks empty pipes asleep).
    pub(crate) fn sync(&self, mut has_in: impl FnMut() -> bool) {
        if has_in() {
            self.waker.wake();
        } else if self.waker.is_pending() {
            self.waker.reset();
            if has_in() {
                self.waker.wake();
            }
        }
    }
}

impl Drop for ReadyFd {
    fn drop(&mut self) {
        self.mailbox.signal().unwatch(self.watch);
    }
}
