//! The interruption flag: whether a caught signal (SIGINT, SIGTERM) has
//! arrived, once the [`crate::signal`] module is installed.
//!
//! While it is set, a call that would block (a `send` or `recv` without
//! `DONTWAIT`, a `poll` with a timeout) fails with `EINTR` instead, and
//! one already blocked is woken and fails the same way: the whole program
//! winds down, as CZMQ's `zsys_interrupted` makes it. A sticky flag, not a
//! count of signals, so that a signal arriving just before a call starts to
//! block is not missed (the classic race of a plain `EINTR`).
//! `crate::signal::reset` clears it.
//!
//! The flag stays clear, and nothing is ever interrupted, in a program that
//! does not install the signal module. The waking itself (every socket of
//! every context, every sleeping poller) is done by the signal module;
//! this file is only the shared flag, at the bottom of the layers so that
//! sockets and pollers can read it.

#[cfg(not(zactor_loom))]
mod imp {
    use crate::sync::{AtomicBool, Ordering};

    static INTERRUPTED: AtomicBool = AtomicBool::new(false);

    /// Whether a caught signal arrived (and was not reset since).
    #[inline]
    pub(crate) fn interrupted() -> bool {
        // Acquire pairs with the Release in `set`: a thread woken by the
        // interruption's notification sees the flag.
        INTERRUPTED.load(Ordering::Acquire)
    }

    /// Records a caught signal; the caller then wakes every sleeper.
    pub(crate) fn set() {
        // Release: published before the wake-ups that follow (which are
        // themselves Release/Acquire through each signal's state).
        INTERRUPTED.store(true, Ordering::Release);
    }

    /// Clears the flag.
    pub(crate) fn clear() {
        // Relaxed: nothing is published with the clearing.
        INTERRUPTED.store(false, Ordering::Relaxed);
    }
}

/// Under loom nothing is ever interrupted (a loom atomic cannot be a static).
#[cfg(zactor_loom)]
mod imp {
    #[inline]
    pub(crate) fn interrupted() -> bool {
        false
    }
}

pub(crate) use imp::*;
