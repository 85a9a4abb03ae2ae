//! Direct I/O: a network connection's [`Engine`] that the application
//! thread of its socket may run itself (DESIGN.md, "Direct I/O").
//!
//! The engine lives in an [`EngineSlot`], behind a mutex.
//! Its I/O thread holds it through a [`SharedEngine`] and takes the lock
//! for everything it does (waiting, briefly, when the application thread
//! has it). The socket reaches the slot through its pipe's [`Driver`] and
//! only ever *tries* the lock: when it gets it, it does the I/O thread's
//! work on its own thread (a request's reply written straight to the
//! stream, the stream read while a receive spins), which saves a wake-up of
//! the I/O thread and a wake-up back; when it does not, it falls back to
//! the command it would have sent anyway, so nothing depends on winning.

use std::os::unix::io::RawFd;

use super::engine::{Closed, ConnectPipe, Engine};
use crate::pipe::Driver;
use crate::signaler::lock;
use crate::sync::{AtomicBool, DynArc, DynWeak, Mutex, MutexGuard, Ordering, TryLockError};

/// An engine and the lock its two possible drivers take.
///
/// A plain mutex: uncontended, taking it is one atomic exchange each way,
/// and the application thread only ever `try_lock`s it, so only the I/O
/// thread can wait on it (for as long as a non-blocking read or write).
#[derive(Debug)]
pub(crate) struct EngineSlot {
    /// `None` between connections of a connect (the slot outlives them, so
    /// the pipe's driver stays valid) and once the I/O thread let go.
    engine: Mutex<Option<Engine>>,
    /// The I/O thread waits for the lock: the socket's thread stops trying
    /// it until then. Without this a receive that spins, taking the lock
    /// for a moment every round, could keep the I/O thread waiting for
    /// long (woken by each unlock, it finds the lock taken again).
    io_waiting: AtomicBool,
}

impl EngineSlot {
    /// Waits for the lock (the I/O thread; the socket's thread only to
    /// give the stream back), announcing the wait so that the socket's
    /// spinning receive lets go.
    fn lock(&self) -> MutexGuard<'_, Option<Engine>> {
        if let Ok(guard) = self.engine.try_lock() {
            return guard;
        }
        // Relaxed: a hint only (see `io_waiting`).
        self.io_waiting.store(true, Ordering::Relaxed);
        let guard = lock(&self.engine);
        self.io_waiting.store(false, Ordering::Relaxed);
        guard
    }

    fn new() -> Self {
        EngineSlot {
            engine: Mutex::new(None),
            io_waiting: AtomicBool::new(false),
        }
    }

    /// For the application thread: the engine, unless its I/O thread (or
    /// nobody) has it.
    fn try_lock(&self) -> Option<MutexGuard<'_, Option<Engine>>> {
        // Relaxed: a hint only; the mutex orders everything that matters.
        if self.io_waiting.load(Ordering::Relaxed) {
            return None;
        }
        match self.engine.try_lock() {
            Ok(guard) => Some(guard),
            // A panic cannot leave the engine half-updated in a way that
            // matters more than the panic itself: go on, as `lock` does.
            Err(TryLockError::Poisoned(poisoned)) => Some(poisoned.into_inner()),
            Err(TryLockError::WouldBlock) => None,
        }
    }
}

impl EngineSlot {
    /// Runs one direct step on the socket's thread, if the engine is free:
    /// what it found fatal is left for the I/O thread (`break_off`), and
    /// the stream's registration follows whatever the step changed.
    fn run_direct(&self, step: impl FnOnce(&mut Engine) -> Result<bool, Closed>) -> bool {
        let Some(mut held) = self.try_lock() else {
            return false;
        };
        let Some(engine) = held.as_mut() else {
            return false;
        };
        let done = step(engine).unwrap_or_else(|closed| {
            engine.break_off(closed);
            true
        });
        engine.rearm();
        done
    }
}

impl Driver for EngineSlot {
    fn drive_out(&self) -> bool {
        self.run_direct(Engine::direct_out)
    }

    fn drive_in(&self, likely_ready: bool) -> bool {
        self.run_direct(|engine| engine.direct_in(likely_ready))
    }

    fn end_drive_in(&self) {
        // Blocking: the stream must go back to the I/O thread before the
        // socket stops reading it, and the I/O thread holds the lock only
        // for non-blocking work.
        if let Some(engine) = self.lock().as_mut() {
            engine.end_socket_reads();
        }
    }
}

/// The I/O thread's handle on an engine it serves; every call takes the
/// slot's lock. What the I/O thread needs without the engine (its endpoint,
/// descriptor and socket) is kept here too.
#[derive(Debug)]
pub(crate) struct SharedEngine {
    slot: DynArc<EngineSlot>,
    endpoint: String,
    fd: RawFd,
    socket: u64,
}

impl SharedEngine {
    /// Puts `engine` in `slot` (a connect's, kept from its last connection)
    /// or in a new one, and makes the slot its pipe's driver.
    pub(crate) fn new(mut engine: Engine, slot: Option<DynArc<EngineSlot>>) -> SharedEngine {
        let slot = slot.unwrap_or_else(|| DynArc::new(EngineSlot::new()));
        let driver: DynWeak<dyn Driver> = DynArc::downgrade(&slot) as DynWeak<dyn Driver>;
        engine.set_driver(driver);
        let shared = SharedEngine {
            endpoint: engine.endpoint().to_owned(),
            fd: engine.raw_fd(),
            socket: engine.socket(),
            slot,
        };
        *shared.slot.lock() = Some(engine);
        shared
    }

    /// Runs `f` on the engine under the lock (`default` if it is gone).
    pub(crate) fn with<R>(&self, default: R, f: impl FnOnce(&mut Engine) -> R) -> R {
        let mut held = self.slot.lock();
        match held.as_mut() {
            Some(engine) => {
                let result = f(engine);
                engine.rearm();
                result
            }
            None => default,
        }
    }

    /// Runs `f` on the engine unless the socket's thread has it now
    /// (`None` then): for the I/O thread's frequent look at deadlines, which
    /// must not queue behind a receive that spins on the stream.
    pub(crate) fn try_with<R>(&self, f: impl FnOnce(&mut Engine) -> R) -> Option<R> {
        let mut held = self.slot.try_lock()?;
        let engine = held.as_mut()?;
        let result = f(engine);
        engine.rearm();
        Some(result)
    }

    pub(crate) fn endpoint(&self) -> &str {
        &self.endpoint
    }

    pub(crate) fn raw_fd(&self) -> RawFd {
        self.fd
    }

    pub(crate) fn socket(&self) -> u64 {
        self.socket
    }

    /// Ends the engine (see [`Engine::into_connect_pipe`]); a connect's
    /// pipe takes the slot along for its next connection.
    pub(crate) fn into_connect_pipe(self) -> Option<ConnectPipe> {
        let engine = self.slot.lock().take()?;
        let mut pipe = engine.into_connect_pipe()?;
        pipe.slot = Some(self.slot.clone());
        Some(pipe)
    }
}

impl Drop for SharedEngine {
    fn drop(&mut self) {
        // The engine's pipe holds the slot's driver only weakly, but a
        // connect's slot may live on: the engine goes now, with the I/O
        // thread's handle, as it did before it was shared.
        let engine = self.slot.lock().take();
        drop(engine);
    }
}
