//! Clean Ctrl-C: opt-in handling of SIGINT and SIGTERM.
//!
//! A program that calls [`install`] gets the guide's `s_catch_signals`
//! behaviour in every thread: when SIGINT or SIGTERM arrives,
//! [`interrupted`] turns true, and every blocking `send`, `recv` or `poll`
//! in progress returns `EINTR` promptly (as a libzmq call does when a
//! signal interrupts it). Until [`reset`], every call that would block
//! fails with `EINTR` at once too (as CZMQ's `zsys_interrupted` makes its
//! calls return), so the whole program winds down with no race against a
//! signal that lands just before a call blocks; calls that need not block
//! (`DONTWAIT`, a message already waiting) work as usual. A program checks
//! [`interrupted`] to tell Ctrl-C from other errors, as the guide's
//! `interrupt.c` checks `s_interrupted`.
//!
//! A program that does not install it keeps the default behaviour (the
//! process dies on Ctrl-C).
//!
//! # How
//!
//! signal-hook's pipe handler only writes a byte to a self-pipe (the
//! async-signal-safe way, as the guide's `interrupt.c` does). A small thread, `zactor-signal`,
//! reads it, bumps the interruption count (`crate::interruption`) and then,
//! in ordinary thread context, wakes every socket of every live context
//! and every sleeping poller. Each woken call sees the count changed since
//! it began to block, and fails with `EINTR`.

use crate::error::{Error, Result};
use crate::signaler::{lock, Watcher};
use crate::sync::{AtomicBool, Mutex, Ordering};

/// Whether [`install`] has succeeded.
static INSTALLED: AtomicBool = AtomicBool::new(false);
/// Pollers asleep outside any socket's signal (descriptors only), to wake
/// on a signal; by registration id.
static SLEEPERS: Mutex<Sleepers> = Mutex::new(Sleepers {
    list: Vec::new(),
    next_id: 0,
});

struct Sleepers {
    list: Vec<(u64, Box<dyn Watcher>)>,
    next_id: u64,
}

/// Catches SIGINT and SIGTERM from now on, in the whole process. Calling it
/// again does nothing. Fails with `EINVAL` if the handler or its thread
/// cannot be set up (then nothing is caught).
pub fn install() -> Result<()> {
    static LOCK: Mutex<()> = Mutex::new(());
    let _once = lock(&LOCK);
    // Relaxed: written and read under LOCK here.
    if INSTALLED.load(Ordering::Relaxed) {
        return Ok(());
    }
    // The self-pipe: the handler writes a byte (async-signal-safe), the
    // thread below reads it in ordinary thread context.
    let (mut pipe_read, pipe_write) =
        std::os::unix::net::UnixStream::pair().map_err(|_| Error::EMFILE)?;
    let for_term = pipe_write.try_clone().map_err(|_| Error::EMFILE)?;
    signal_hook::low_level::pipe::register(signal_hook::consts::SIGINT, pipe_write)
        .map_err(|_| Error::EINVAL)?;
    signal_hook::low_level::pipe::register(signal_hook::consts::SIGTERM, for_term)
        .map_err(|_| Error::EINVAL)?;
    crate::sync::thread::Builder::new()
        .name("zactor-signal".into())
        .spawn(move || {
            use std::io::Read;
            let mut buffer = [0u8; 16];
            loop {
                match pipe_read.read(&mut buffer) {
                    Ok(0) => return, // the write ends are gone
                    Ok(_) => deliver(),
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(_) => return,
                }
            }
        })
        .map_err(|_| Error::EINVAL)?;
    // Release pairs with the Acquire in `installed`.
    INSTALLED.store(true, Ordering::Release);
    Ok(())
}

/// Whether SIGINT or SIGTERM has arrived since [`install`] (or since the
/// last [`reset`]).
pub fn interrupted() -> bool {
    crate::interruption::interrupted()
}

/// Forgets a caught signal: [`interrupted`] is false again, and blocking
/// calls block again.
pub fn reset() {
    crate::interruption::clear();
}

/// Records a caught signal and wakes every sleeper. Run on the
/// `zactor-signal` thread (or by tests through [`raise_for_test`]).
fn deliver() {
    crate::interruption::set();
    crate::ctx::wake_every_socket();
    for (_, sleeper) in &lock(&SLEEPERS).list {
        sleeper.wake();
    }
}

/// Whether the handler is installed.
pub(crate) fn installed() -> bool {
    // Acquire pairs with the Release in `install`.
    INSTALLED.load(Ordering::Acquire)
}

/// A poller asleep on something no socket signal reaches (a `poll(2)` on
/// descriptors only) registers itself while it sleeps, so a caught signal
/// wakes it. Dropping the guard unregisters.
pub(crate) struct SleepGuard(Option<u64>);

/// Registers `waker` to be woken by a caught signal, if the handler is
/// installed (otherwise nothing can interrupt the sleep, and nothing is
/// registered).
pub(crate) fn guard_sleep(waker: impl FnOnce() -> Box<dyn Watcher>) -> SleepGuard {
    if !installed() {
        return SleepGuard(None);
    }
    let mut sleepers = lock(&SLEEPERS);
    let id = sleepers.next_id;
    sleepers.next_id += 1;
    sleepers.list.push((id, waker()));
    SleepGuard(Some(id))
}

impl Drop for SleepGuard {
    fn drop(&mut self) {
        if let Some(id) = self.0 {
            lock(&SLEEPERS).list.retain(|(each, _)| *each != id);
        }
    }
}

/// Delivers a pretend signal, exactly as the handler thread would, so that
/// tests can check `EINTR` without signalling the test process.
#[doc(hidden)]
pub fn raise_for_test() {
    deliver();
}
