//! Helpers shared by the loom models in `tests/`. Everything here only exists
//! under `--cfg zactor_loom` (see `run.sh`); a plain build compiles nothing.
//!
//! The models stand in for a socket's sleep with primitives loom understands,
//! so a lost wake-up shows up as a loom deadlock (or as a spin past loom's
//! branch limit), never as a hung test.
#![cfg(zactor_loom)]

use loom::sync::{Condvar, Mutex};
use zactor::__loom::{Command, Mailbox};

/// A binary semaphore: `wait` returns once per `notify` that came before or
/// during it, never spuriously. The models count waits against notifies, so
/// an unneeded wake-up is as visible as a missing one.
#[derive(Debug, Default)]
pub struct Wake {
    pending: Mutex<bool>,
    changed: Condvar,
}

impl Wake {
    /// A wake-up with nothing pending.
    pub fn new() -> Self {
        Self::default()
    }

    /// Makes the next (or the current) `wait` return.
    pub fn notify(&self) {
        *self.pending.lock().unwrap() = true;
        self.changed.notify_one();
    }

    /// Blocks until notified; consumes the notification. Blocking forever
    /// with every other thread finished is a deadlock, which loom reports.
    pub fn wait(&self) {
        let mut pending = self.pending.lock().unwrap();
        while !*pending {
            pending = self.changed.wait(pending).unwrap();
        }
        *pending = false;
    }
}

/// Waits for the next command in a socket mailbox. The real socket sleeps on
/// the mailbox's signal, which spins on a clock first (not modelled); here
/// the wait is a loom yield loop, so a command that never comes makes the
/// model exceed loom's branch limit and fail.
pub fn next_command(mailbox: &Mailbox) -> Command {
    loop {
        if let Some(command) = mailbox.try_recv() {
            return command;
        }
        loom::thread::yield_now();
    }
}

/// Runs `model` under loom with the settings from the environment
/// (`LOOM_MAX_PREEMPTIONS`, set by `run.sh`; loom's default otherwise), and
/// reports how many interleavings it explored (shown with `--nocapture`).
pub fn check<F>(model: F)
where
    F: Fn() + Sync + Send + 'static,
{
    // A plain std counter: it lives outside the model on purpose.
    let runs = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = runs.clone();
    let started = std::time::Instant::now();
    loom::model(move || {
        counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        model();
    });
    eprintln!(
        "explored {} interleavings in {:.1?}",
        runs.load(std::sync::atomic::Ordering::Relaxed),
        started.elapsed()
    );
}
