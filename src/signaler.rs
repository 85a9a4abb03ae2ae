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
//!
//! A poller waiting on several sockets cannot park on each socket's signal,
//! so it registers a [`Watcher`] on every one ([`Signal::watch`]); `notify`
//! then also wakes the watchers. The hot path pays one load of the
//! `has_watchers` flag (a plain `mov` on x86) when nobody polls.
//!
//! Watching without losing a wake-up is a store-load handshake (Dekker):
//! the poller stores `has_watchers` then loads `state`; a notifier stores
//! `state` then loads `has_watchers`, each with a `SeqCst` fence between
//! its store and its load. So at least one side sees the other's store:
//! either the notifier wakes the watcher, or `watch` (and so the poller's
//! next readiness check) sees `NOTIFIED`.

use std::time::{Duration, Instant};

use crate::config::{
    SHARED_CORE_YIELD, SPINS_PER_YIELD, SPIN_BEFORE_PARK, SPIN_ROUNDS_PER_CLOCK_READ, STREAM_PAUSES,
};
use crate::sync::{fence, spin_loop, thread, AtomicBool, AtomicU8, Mutex, Ordering};

const IDLE: u8 = 0;
const NOTIFIED: u8 = 1;
const PARKED: u8 = 2;

/// A binary wake-up flag with a parked waiter.
#[derive(Debug)]
pub(crate) struct Signal {
    state: AtomicU8,
    /// The thread to unpark; set by the waiter before it announces `PARKED`.
    waiter: Mutex<Option<thread::Thread>>,
    /// Whether `watchers` may be non-empty: the one extra load on the hot path.
    has_watchers: AtomicBool,
    /// Pollers to wake on every notification, each with its registration id.
    watchers: Mutex<Watchers>,
}

/// Something woken by a [`Signal`] besides its own waiter: a poller that
/// waits on several sockets at once.
pub(crate) trait Watcher: Send + Sync + std::fmt::Debug {
    /// Called by `notify`, from any thread, with the signal's watcher lock
    /// held: must not block and must not touch the signal.
    fn wake(&self);
}

/// The registration of a [`Watcher`], to hand back to [`Signal::unwatch`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct WatchId(u64);

/// The watchers of one signal.
#[derive(Debug, Default)]
struct Watchers {
    list: Vec<(WatchId, Box<dyn Watcher>)>,
    next_id: u64,
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
            has_watchers: AtomicBool::new(false),
            watchers: Mutex::new(Watchers::default()),
        }
    }

    /// Wakes the waiter, now or at its next wait.
    #[inline]
    pub(crate) fn notify(&self) {
        // Release publishes whatever the notifier wrote before (a command, a
        // flag) to the waiter's Acquire when it consumes NOTIFIED; Acquire
        // pairs with the waiter's Release when it announced PARKED, so the
        // `waiter` it stored is visible (the mutex orders it too).
        if self.state.swap(NOTIFIED, Ordering::AcqRel) == PARKED {
            if let Some(thread) = &*lock(&self.waiter) {
                thread.unpark();
            }
        }
        // The handshake with `watch` (see the module doc): store `state`,
        // fence, load `has_watchers`; `watch` stores `has_watchers`,
        // fences, loads `state`. Two SeqCst fences order the pairs, so at
        // least one side sees the other's store. Fences rather than SeqCst
        // accesses because loom models SeqCst fences exactly but treats
        // SeqCst accesses as AcqRel (the `poll_wake` model needs it).
        fence(Ordering::SeqCst);
        // Relaxed: ordered by the fence above.
        if self.has_watchers.load(Ordering::Relaxed) {
            self.wake_watchers();
        }
    }

    #[cold]
    fn wake_watchers(&self) {
        for (_, watcher) in &lock(&self.watchers).list {
            watcher.wake();
        }
    }

    /// Registers `watcher` to be woken by every later notification; wakes it
    /// at once if a notification is already pending. After this returns, no
    /// notification can go unseen: either it wakes the watcher, or the
    /// owner's next `take` sees it.
    pub(crate) fn watch(&self, watcher: Box<dyn Watcher>) -> WatchId {
        let mut watchers = lock(&self.watchers);
        let id = WatchId(watchers.next_id);
        watchers.next_id += 1;
        // Relaxed store, SeqCst fence, then the load: the handshake with
        // `notify` (its store of `state`, fence, load of `has_watchers`).
        // A notifier that takes the lock after us sees the entry.
        self.has_watchers.store(true, Ordering::Relaxed);
        fence(Ordering::SeqCst);
        // Acquire: seeing NOTIFIED, we also see what the notifier published
        // before it; the owner's next `take` sees it too (read-read
        // coherence), so the wake-up below is only a courtesy.
        if self.state.load(Ordering::Acquire) == NOTIFIED {
            watcher.wake();
        }
        watchers.list.push((id, watcher));
        id
    }

    /// Removes a registration made by [`Signal::watch`]. Once this returns,
    /// the watcher is never woken again by this signal.
    pub(crate) fn unwatch(&self, id: WatchId) {
        let mut watchers = lock(&self.watchers);
        watchers.list.retain(|(each, _)| *each != id);
        if watchers.list.is_empty() {
            // Relaxed: `watch` and `unwatch` write the flag under the lock; a
            // notifier that still reads true finds an empty list.
            self.has_watchers.store(false, Ordering::Relaxed);
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
        let mut spinner = Spinner::new(deadline);
        while spinner.next() {
            if self.take() {
                return true;
            }
        }
        false
    }

    /// Waits until notified or until `deadline`, parking at once (for a
    /// caller that has done its own spinning).
    pub(crate) fn park_until(&self, deadline: Option<Instant>) -> bool {
        self.take() || self.park(deadline)
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

/// A bounded busy-wait: call [`next`](Spinner::next) between checks for
/// work until it says stop (`SPIN_BEFORE_PARK` elapsed, or the deadline).
///
/// Mostly pure spinning (cheap, and it answers within nanoseconds when the
/// peer runs on another core), with a yield every few rounds: when the peer
/// shares our core it runs then, instead of after our time slice.
pub(crate) struct Spinner {
    rounds: u32,
    /// Which round of every `SPINS_PER_YIELD` yields: the last (0), or
    /// the first (1, see [`Spinner::yield_early`]).
    yield_phase: u32,
    /// `spin_loop` pauses per round (see [`Spinner::pace_for_stream`]).
    pauses: u32,
    deadline: Option<Instant>,
    until: Option<Instant>,
    /// What the last timed yield of a paced wait found: another thread ran
    /// (true) or the core was free (false); `None` before any.
    found_core_shared: Option<bool>,
}

impl Spinner {
    pub(crate) fn new(deadline: Option<Instant>) -> Self {
        Spinner {
            rounds: 0,
            yield_phase: 0,
            pauses: 1,
            deadline,
            until: None,
            found_core_shared: None,
        }
    }

    /// Whether the last [`next`](Spinner::next) yielded the core: a peer
    /// on this core has had its turn since.
    #[inline]
    pub(crate) fn yielded(&self) -> bool {
        self.rounds != 0 && self.rounds % SPINS_PER_YIELD == self.yield_phase
    }

    /// Yields on the first round of every `SPINS_PER_YIELD` rather than the
    /// last: for a wait whose every round costs a system call (a receive
    /// that reads a network stream itself), where a peer on this core
    /// cannot answer before it has had the core, so the rounds before the
    /// yield would only look at an empty stream.
    #[inline]
    pub(crate) fn yield_early(&mut self) {
        self.yield_phase = 1;
    }

    /// Pauses longer between looks: for a receive that caught up with a
    /// stream (its last receive found a frame at once). Its writer is
    /// busy and will publish again soon; every look at the pipe's shared
    /// counter meanwhile moves that cache line away from the writer's core
    /// and back, a transfer per message the writer pays for in its flush.
    /// Looking less often lets a batch gather. A request-reply loop never
    /// finds its answer at once, so it keeps the short pause.
    ///
    /// Only while this core is otherwise free: on a core shared with other
    /// busy threads (the writer itself, or a pool of workers), every pause
    /// is time taken from them. So a paced wait yields on its first round,
    /// and if the yield let another thread run (it took longer than an
    /// empty one), it goes back to short pauses.
    #[inline]
    pub(crate) fn pace_for_stream(&mut self) {
        self.pauses = STREAM_PAUSES;
        self.yield_phase = 1;
    }

    /// Whether this wait's last timed yield (a paced wait's) let another
    /// thread run: this core is shared. `None` when it made none.
    #[inline]
    pub(crate) fn found_core_shared(&self) -> Option<bool> {
        self.found_core_shared
    }

    /// Pauses briefly; false once the spinning time is used up.
    #[inline]
    pub(crate) fn next(&mut self) -> bool {
        self.rounds = self.rounds.wrapping_add(1);
        if self.rounds % SPIN_ROUNDS_PER_CLOCK_READ == 1 {
            let now = Instant::now();
            let until = *self.until.get_or_insert_with(|| match self.deadline {
                Some(d) => d.min(now + SPIN_BEFORE_PARK),
                None => now + SPIN_BEFORE_PARK,
            });
            if now >= until {
                return false;
            }
        }
        if self.rounds % SPINS_PER_YIELD == self.yield_phase {
            if self.pauses > 1 {
                let shared = yield_found_core_shared();
                self.found_core_shared = Some(shared);
                if shared {
                    self.pauses = 1;
                }
            } else {
                thread::yield_now();
            }
        } else {
            for _ in 0..self.pauses {
                spin_loop();
            }
        }
        true
    }
}

/// Yields the core once; true when another thread ran meanwhile (the
/// yield took longer than `SHARED_CORE_YIELD`): this core is shared.
pub(crate) fn yield_found_core_shared() -> bool {
    let before = Instant::now();
    thread::yield_now();
    before.elapsed() > SHARED_CORE_YIELD
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

    /// Counts its wake-ups.
    #[derive(Debug, Default)]
    struct Counter(crate::sync::AtomicUsize);

    impl Watcher for Arc<Counter> {
        fn wake(&self) {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }

    #[test]
    fn watchers_are_woken_until_unwatched() {
        let signal = Signal::new();
        let counter = Arc::new(Counter::default());
        let id = signal.watch(Box::new(counter.clone()));
        signal.notify();
        assert_eq!(counter.0.load(Ordering::Relaxed), 1);
        assert!(signal.take(), "the owner still sees the notification");
        signal.unwatch(id);
        signal.notify();
        assert_eq!(counter.0.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn watch_sees_a_pending_notification() {
        let signal = Signal::new();
        signal.notify();
        let counter = Arc::new(Counter::default());
        let id = signal.watch(Box::new(counter.clone()));
        assert_eq!(counter.0.load(Ordering::Relaxed), 1);
        signal.unwatch(id);
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
