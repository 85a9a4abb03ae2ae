//! The interruption count: how many caught signals (SIGINT, SIGTERM) have
//! arrived since the process started, once the [`crate::signal`] module is
//! installed.
//!
//! A blocking call reads the count when it is about to block and fails
//! with `EINTR` when it has changed by the time it wakes, as a blocking
//! libzmq call does when a signal interrupts its system call. The count
//! stays 0, and nothing is ever interrupted, in a program that does not
//! install the signal module.
//!
//! The waking itself (every socket of every context, every sleeping poller)
//! is done by the signal module; this file is only the shared counter, at
//! the bottom of the layers so that sockets and pollers can read it.

#[cfg(not(zactor_loom))]
mod imp {
    use crate::sync::{AtomicU64, Ordering};

    /// Caught signals so far.
    static EPOCH: AtomicU64 = AtomicU64::new(0);

    /// The number of caught signals so far.
    #[inline]
    pub(crate) fn epoch() -> u64 {
        // Acquire pairs with the Release in `interrupt`: a thread woken by
        // the interruption's notification sees the new count.
        EPOCH.load(Ordering::Acquire)
    }

    /// Records a caught signal; the caller then wakes every sleeper.
    pub(crate) fn interrupt() {
        // Release: published before the wake-ups that follow (which are
        // themselves Release/Acquire through each signal's state).
        EPOCH.fetch_add(1, Ordering::Release);
    }
}

/// Under loom nothing is ever interrupted (a loom atomic cannot be a static).
#[cfg(zactor_loom)]
mod imp {
    #[inline]
    pub(crate) fn epoch() -> u64 {
        0
    }
}

pub(crate) use imp::*;

/// Whether a signal arrived since `since` (an [`epoch`] read before blocking).
#[inline]
pub(crate) fn interrupted_since(since: u64) -> bool {
    epoch() != since
}
