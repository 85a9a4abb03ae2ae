//! What an actor's thread and its [`Actor`](super::Actor) handle share: how
//! the actor ended, and the wake-up that tells a parent blocked on a full
//! pipe that nobody will ever read it.
//!
//! Messages tell the parent almost everything: the actor's last act is an
//! end-of-actor frame on the pipe, which a parent blocked in a receive or a
//! poll sees in order, after everything the actor sent before. One case is
//! left: a parent blocked in a *send* because the pipe to the actor is full.
//! No message can reach it; so [`Lifecycle::finish`] records the exit, sets
//! `ended` and notifies the parent socket's signal, and the parent's slow
//! send path waits in [`Lifecycle::wait_for`], which watches that signal
//! and returns `ENOTCONN` once `ended` is set.
//!
//! ```text
//!  actor thread                                parent in a blocked send
//!  f returns / panics                          watch(pipe signal)
//!  exit = Some(..)   (mutex)                   loop: reset waker
//!  ended = true      (Release)                       fence(SeqCst)
//!  fence(SeqCst)                ---------->          ended? (Acquire) -> ENOTCONN
//!  parent signal.notify() ---- watcher ---->         writable? -> send
//!  send END frame, close the pipe                    park on waker
//! ```

use std::time::Instant;

use super::Exit;
use crate::error::{Error, Result};
use crate::mailbox::Mailbox;
use crate::signaler::{lock, Signal, Watcher};
use crate::sync::{fence, Arc, AtomicBool, Mutex, Ordering};

/// The shared end-of-life state of one actor.
#[derive(Debug)]
pub(crate) struct Lifecycle {
    /// How the actor's body ended; `None` while it runs.
    exit: Mutex<Option<Exit>>,
    /// Set once `exit` is written: the cheap check on every send.
    ended: AtomicBool,
    /// The mailbox of the parent's end of the pipe, notified at the end.
    parent: Arc<Mailbox>,
}

impl Lifecycle {
    /// The state of a running actor whose parent holds the socket that owns
    /// `parent`.
    pub(crate) fn new(parent: Arc<Mailbox>) -> Self {
        Self {
            exit: Mutex::new(None),
            ended: AtomicBool::new(false),
            parent,
        }
    }

    /// Actor side, once the body has ended: records `exit`, then marks the
    /// actor ended and wakes the parent. The order matters: a parent that
    /// sees `ended` finds `exit` written.
    pub(crate) fn finish(&self, exit: Exit) {
        *lock(&self.exit) = Some(exit);
        // Release publishes the exit (also under its mutex) to the Acquire
        // loads in `ended` and `ended_for_waiter`.
        self.ended.store(true, Ordering::Release);
        // A store-load handshake with a waiter (Dekker), on two different
        // words: we store `ended` then load the signal's `has_watchers`
        // (inside `wake`); a waiter stores `has_watchers` (in `watch`) then
        // loads `ended`. Without a SeqCst fence on each side both loads may
        // miss (store buffering): we would wake no one and the waiter would
        // park for good. loom found exactly that. The fence pairs with the
        // one in `ended_for_waiter`.
        fence(Ordering::SeqCst);
        self.parent.wake();
    }

    /// Whether the actor's body has ended.
    #[inline]
    pub(crate) fn ended(&self) -> bool {
        // Acquire pairs with the Release in `finish`: `exit` is then visible.
        self.ended.load(Ordering::Acquire)
    }

    /// `ended`, for a waiter that has registered its watcher on the
    /// parent's signal: after this returns false, `finish` is sure to wake
    /// the watcher.
    fn ended_for_waiter(&self) -> bool {
        // Pairs with the fence in `finish` (see there): orders the watcher
        // registration before the load.
        fence(Ordering::SeqCst);
        // Acquire pairs with the Release in `finish`: `exit` is visible.
        self.ended.load(Ordering::Acquire)
    }

    /// How the actor ended, once it has.
    pub(crate) fn exit(&self) -> Option<Exit> {
        lock(&self.exit).clone()
    }

    /// Parent side: blocks until `ready()` says true (`Ok`), the actor has
    /// ended (`ENOTCONN`) or `deadline` passes (`EAGAIN`). `watched` is the
    /// signal of the parent's pipe socket: every command that could make
    /// `ready` true notifies it, and so does [`finish`](Self::finish).
    pub(crate) fn wait_for(
        &self,
        watched: &Signal,
        deadline: Option<Instant>,
        mut ready: impl FnMut() -> Result<bool>,
    ) -> Result<()> {
        let done = block_on(watched, deadline, || {
            if self.ended_for_waiter() {
                return Err(Error::ENOTCONN);
            }
            ready()
        })?;
        if done {
            Ok(())
        } else {
            Err(Error::EAGAIN)
        }
    }

    /// Parent side of a send that found the pipe full: waits until
    /// `writable()`, then `try_send()` (false: still no room, wait again),
    /// or fails with `ENOTCONN` once the actor has ended and will never
    /// read. `watched` and `deadline` as for [`wait_for`](Self::wait_for).
    pub(crate) fn send_when_room(
        &self,
        watched: &Signal,
        deadline: Option<Instant>,
        mut writable: impl FnMut() -> Result<bool>,
        mut try_send: impl FnMut() -> Result<bool>,
    ) -> Result<()> {
        loop {
            self.wait_for(watched, deadline, &mut writable)?;
            if try_send()? {
                return Ok(());
            }
        }
    }
}

/// Wakes a thread blocked in [`block_on`]: a watcher that notifies a
/// private signal.
#[derive(Debug)]
struct Waker(Arc<Signal>);

impl Watcher for Waker {
    fn wake(&self) {
        self.0.notify();
    }
}

/// Blocks until `ready()` returns true (then `Ok(true)`), fails (its
/// error), or `deadline` passes (`Ok(false)`). `ready` is called again after
/// every notification of `watched`.
///
/// The watcher is registered before the first check, and the waker is
/// reset before each check: a notification after a check is kept by the
/// waker for the park that follows, one before it is seen by the check (the
/// handshake `Signal::watch` documents).
pub(crate) fn block_on(
    watched: &Signal,
    deadline: Option<Instant>,
    mut ready: impl FnMut() -> Result<bool>,
) -> Result<bool> {
    let waker = Arc::new(Signal::new());
    let id = watched.watch(Box::new(Waker(waker.clone())));
    let outcome = loop {
        waker.take();
        match ready() {
            Ok(true) => break Ok(true),
            Ok(false) => {}
            Err(error) => break Err(error),
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            break Ok(false);
        }
        // Parks at once: this is the slow path, entered after a send found
        // the pipe full, so no spin would help.
        waker.park_until(deadline);
    };
    watched.unwatch(id);
    outcome
}

#[cfg(all(test, not(zactor_loom)))]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn finish_records_the_exit_before_ended() {
        let lifecycle = Lifecycle::new(Arc::new(Mailbox::new()));
        assert!(!lifecycle.ended());
        assert_eq!(lifecycle.exit(), None);
        lifecycle.finish(Exit::Returned);
        assert!(lifecycle.ended());
        assert_eq!(lifecycle.exit(), Some(Exit::Returned));
    }

    #[test]
    fn a_waiter_is_released_by_finish() {
        let parent = Arc::new(Mailbox::new());
        let lifecycle = Arc::new(Lifecycle::new(parent.clone()));
        let finisher = {
            let lifecycle = lifecycle.clone();
            std::thread::spawn(move || lifecycle.finish(Exit::Panicked("boom".into())))
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        let waited = lifecycle.wait_for(parent.signal(), Some(deadline), || Ok(false));
        assert_eq!(waited, Err(Error::ENOTCONN));
        finisher.join().unwrap();
    }

    #[test]
    fn a_waiter_times_out() {
        let parent = Arc::new(Mailbox::new());
        let lifecycle = Lifecycle::new(parent.clone());
        let deadline = Instant::now() + Duration::from_millis(5);
        let waited = lifecycle.wait_for(parent.signal(), Some(deadline), || Ok(false));
        assert_eq!(waited, Err(Error::EAGAIN));
    }

    #[test]
    fn a_waiter_returns_when_ready() {
        let parent = Arc::new(Mailbox::new());
        let lifecycle = Lifecycle::new(parent.clone());
        let mut checks = 0;
        let waited = lifecycle.wait_for(parent.signal(), None, || {
            checks += 1;
            if checks == 1 {
                // Something changes and the socket is notified.
                parent.wake();
            }
            Ok(checks == 2)
        });
        assert_eq!(waited, Ok(()));
    }
}
