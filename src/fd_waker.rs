//! A readiness descriptor: one end of a socket pair that becomes readable
//! when woken, for whoever must see a zactor event through `poll(2)`,
//! epoll, mio or tokio (a poll with native descriptors, a `Poller`,
//! `Socket::get_fd`).
//!
//! A wake-up writes one byte, and only the first wake-up since the last
//! [`reset`](FdWaker::reset) does (the `pending` flag), so a burst of
//! notifications costs one `write(2)`. Everything goes through std's
//! `UnixStream` (non-blocking, close-on-exec): no `unsafe` here.

use std::io::{ErrorKind, Read, Write};
use std::os::unix::io::{AsRawFd, RawFd};
use std::os::unix::net::UnixStream;

use crate::error::{Error, Result};
use crate::signaler::Watcher;
use crate::sync::{Arc, AtomicBool, Ordering};

/// Wakes a poller sleeping in `poll(2)`: a byte on a socket pair.
#[derive(Debug)]
pub(crate) struct FdWaker {
    /// Set by the first wake-up since the poller's last reset; later
    /// ones skip the `write(2)`.
    pending: AtomicBool,
    tx: UnixStream,
    rx: UnixStream,
}

impl FdWaker {
    /// A waker with its socket pair (non-blocking, close-on-exec).
    pub(crate) fn new() -> Result<FdWaker> {
        Self::open().map_err(|e| e.raw_os_error().map_or(Error::EMFILE, Error::from_raw))
    }

    fn open() -> std::io::Result<FdWaker> {
        let (tx, rx) = UnixStream::pair()?;
        tx.set_nonblocking(true)?;
        rx.set_nonblocking(true)?;
        Ok(FdWaker {
            pending: AtomicBool::new(false),
            tx,
            rx,
        })
    }

    pub(crate) fn fd(&self) -> RawFd {
        self.rx.as_raw_fd()
    }

    pub(crate) fn wake(&self) {
        // AcqRel: Release publishes the socket signal's NOTIFIED (set
        // before the watcher was called) to the Acquire in `reset`.
        if !self.pending.swap(true, Ordering::AcqRel) {
            // A full buffer (WouldBlock) means a byte is waiting already.
            let _ = (&self.tx).write(&[1]);
        }
    }

    pub(crate) fn reset(&self) {
        // Acquire pairs with the Release in `wake`: the check that
        // follows sees what the waker's notifier published. A wake-up
        // after this swap writes a byte that keeps `poll(2)` from
        // sleeping; one whose byte we drain below was already seen.
        self.pending.swap(false, Ordering::Acquire);
        let mut buf = [0u8; 64];
        loop {
            match (&self.rx).read(&mut buf) {
                Ok(n) if n == buf.len() => continue,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                _ => return,
            }
        }
    }
}

impl FdWaker {
    /// Whether a wake-up is pending (its byte written and not yet reset).
    pub(crate) fn is_pending(&self) -> bool {
        // Acquire pairs with the Release in `wake`.
        self.pending.load(Ordering::Acquire)
    }
}

impl Watcher for Arc<FdWaker> {
    fn wake(&self) {
        FdWaker::wake(self);
    }
}
