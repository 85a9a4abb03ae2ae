//! The signaler: how a thread blocked in a socket call sleeps and is woken.
//!
//! One `Signal` per socket. Anything that gives the socket work (a command in
//! its mailbox, context termination) calls [`Signal::notify`]; the socket's
//! thread waits in [`Signal::wait`], which spins briefly and then parks in a
//! futex-backed `thread::park`. No file descriptor is involved: one is created
//! only when readiness must be seen by poll(2).
//!
//! ```text
//!   state:  IDLE --notify--> NOTIFIED --wait consumes--> IDLE
//!           IDLE --wait, nothing pending--> PARKED --notify: unpark--> NOTIFIED
//! ```

use std::time::{Duration, Instant};

use crate::config::{SPINS_PER_YIELD, SPIN_BEFORE_PARK, SPIN_ROUNDS_PER_CLOCK_READ};
use crate::sync::{spin_loop, thread, AtomicU8, Mutex, Ordering};

const IDLE: u8 = 0;
const NOTIFIED: u8 = 1;
const PARKED: u8 = 2;

/// A binary wake-up flag with a parked waiter.
#[derive(Debug)]
pub(crate) struct Signal {
    state: AtomicU8,
    /// The thread to unpark; set by the waiter before it announces `PARKED`.
    waiter: Mutex<Option<thread::Thread>>,
}

impl Default for Signal {
    fn default() -> Self {
        Self::new()
    }
}

impl Signal {
    pub(crate) fn new() -> Self {
        Self {
            state: AtomicU8::new(IDLE),
            waiter: Mutex::new(None),
        }
    }

    /// Wakes the waiter, now or at its next wait.
    #[inline]
    pub(crate) fn notify(&self) {
        // AcqRel: Release publishes whatever the notifier wrote before (a
        // command, a flag) to the waiter's Acquire when it consumes NOTIFIED;
        // Acquire pairs with the waiter's Release when it announced PARKED, so
        // the `waiter` it stored is visible (the mutex orders it too).
        if self.state.swap(NOTIFIED, Ordering::AcqRel) == PARKED {
            if let Some(thread) = &*lock(&self.waiter) {
                thread.unpark();
            }
        }
    }

    /// Consumes a pending notification without blocking.
    #[inline]
    pub(crate) fn take(&self) -> bool {
        // Cheap check first so an idle poll does not dirty the cache line.
        self.state.load(Ordering::Relaxed) == NOTIFIED
            // Acquire pairs with the Release in `notify`.
            && self.state.swap(IDLE, Ordering::Acquire) == NOTIFIED
    }

    /// Waits until notified or until `deadline`. Returns false on timeout.
    /// Spins for a short while first (yielding, so a peer on the same core
    /// gets to run at once), then parks.
    pub(crate) fn wait(&self, deadline: Option<Instant>) -> bool {
        if self.take() {
            return true;
        }
        if self.spin(deadline) {
            return true;
        }
        self.park(deadline)
    }

    fn spin(&self, deadline: Option<Instant>) -> bool {
        let start = Instant::now();
        let spin_until = match deadline {
            Some(d) => d.min(start + SPIN_BEFORE_PARK),
            None => start + SPIN_BEFORE_PARK,
        };
        loop {
            for round in 0..SPIN_ROUNDS_PER_CLOCK_READ {
                if self.take() {
                    return true;
                }
                // Mostly pure spinning (cheap, answers within nanoseconds when
                // the peer runs on another core), with a yield every few
                // rounds: when the peer shares our core it runs then instead
                // of after our time slice.
                if round % SPINS_PER_YIELD == SPINS_PER_YIELD - 1 {
                    thread::yield_now();
                } else {
                    spin_loop();
                }
            }
            if Instant::now() >= spin_until {
                return false;
            }
        }
    }

    fn park(&self, deadline: Option<Instant>) -> bool {
        {
            let mut waiter = lock(&self.waiter);
            let current = thread::current();
            if waiter.as_ref().map(|t| t.id()) != Some(current.id()) {
                *waiter = Some(current);
            }
        }
        // AcqRel: Release publishes `waiter` to the notifier's Acquire swap;
        // on failure (already NOTIFIED) Acquire pairs with notify's Release.
        if let Err(found) =
            self.state
                .compare_exchange(IDLE, PARKED, Ordering::AcqRel, Ordering::Acquire)
        {
            debug_assert_eq!(found, NOTIFIED);
            self.state.store(IDLE, Ordering::Relaxed);
            return true;
        }
        loop {
            match deadline {
                None => thread::park(),
                Some(d) => {
                    let now = Instant::now();
                    if now >= d {
                        // Give up, unless a notification raced with the timeout.
                        // Acquire pairs with notify's Release.
                        return self.state.swap(IDLE, Ordering::Acquire) == NOTIFIED;
                    }
                    thread::park_timeout(d - now);
                }
            }
            // Acquire pairs with notify's Release. Spurious wake-ups (a stale
            // unpark token) loop back to sleep.
            if self
                .state
                .compare_exchange(NOTIFIED, IDLE, Ordering::Acquire, Ordering::Relaxed)
                .is_ok()
            {
                return true;
            }
        }
    }
}

/// Locks a mutex, ignoring poisoning: the guarded data is a plain value that a
/// panic cannot leave half-written.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> crate::sync::MutexGuard<'_, T> {
    match mutex.lock() {
        Ok(guard) => guard,
        Err(poisoned) => poisoned.into_inner(),
    }
}

/// Converts an optional timeout into a deadline.
pub(crate) fn deadline_after(timeout: Option<Duration>) -> Option<Instant> {
    timeout.map(|t| Instant::now() + t)
}

#[cfg(all(test, not(zactor_loom)))]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn notify_before_wait_is_kept() {
        let signal = Signal::new();
        signal.notify();
        assert!(signal.wait(Some(Instant::now())));
        assert!(!signal.take(), "a notification is consumed once");
    }

    #[test]
    fn wait_times_out() {
        let signal = Signal::new();
        assert!(!signal.wait(Some(Instant::now() + Duration::from_millis(5))));
    }

    #[test]
    fn notify_wakes_a_parked_thread() {
        let signal = Arc::new(Signal::new());
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let waiter = {
            let signal = signal.clone();
            std::thread::spawn(move || {
                ready_tx.send(()).unwrap();
                signal.wait(Some(Instant::now() + Duration::from_secs(10)))
            })
        };
        ready_rx.recv().unwrap();
        signal.notify();
        assert!(waiter.join().unwrap());
    }
}
