//! The one concurrency shim: every atomic, lock, `Arc` and thread primitive the
//! engine uses is imported from here, so that `--cfg zactor_loom` can swap the
//! whole crate onto loom's model-checked versions.
//!
//! No other file names `std::sync::atomic`, `std::thread` or `loom`.

// The shim offers the same set under both configurations; not every item is
// used by every configuration.
#[cfg(not(zactor_loom))]
#[allow(unused_imports)]
mod imp {
    pub(crate) use std::sync::atomic::{
        fence, AtomicBool, AtomicPtr, AtomicU32, AtomicU64, AtomicU8, AtomicUsize, Ordering,
    };
    pub(crate) use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock, Weak};

    pub(crate) mod thread {
        pub(crate) use std::thread::{
            current, park, park_timeout, spawn, yield_now, Builder, JoinHandle, Thread,
        };
    }

    /// An `UnsafeCell` with loom's closure-based access API, so the pipe code
    /// reads the same under both configurations.
    #[derive(Debug)]
    pub(crate) struct UnsafeCell<T>(std::cell::UnsafeCell<T>);

    impl<T> UnsafeCell<T> {
        pub(crate) const fn new(value: T) -> Self {
            Self(std::cell::UnsafeCell::new(value))
        }

        #[inline(always)]
        pub(crate) fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
            f(self.0.get())
        }

        #[inline(always)]
        pub(crate) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
            f(self.0.get())
        }
    }

    /// Busy-wait hint; a no-op under loom, where spinning is modelled by yields.
    #[inline(always)]
    pub(crate) fn spin_loop() {
        std::hint::spin_loop();
    }
}

#[cfg(zactor_loom)]
#[allow(unused_imports)]
mod imp {
    pub(crate) use loom::cell::UnsafeCell;
    pub(crate) use loom::sync::atomic::{
        fence, AtomicBool, AtomicPtr, AtomicU32, AtomicU64, AtomicU8, AtomicUsize, Ordering,
    };
    pub(crate) use loom::sync::{Arc, Condvar, Mutex, MutexGuard};
    /// loom has no `OnceLock`: this one publishes its value through a loom
    /// flag (Release in `set`, Acquire in `get`, as std's does), so a model
    /// explores a `get` that does not yet see a `set` from another thread.
    #[derive(Debug)]
    pub(crate) struct OnceLock<T> {
        ready: AtomicBool,
        value: std::sync::OnceLock<T>,
    }

    impl<T> OnceLock<T> {
        pub(crate) fn new() -> Self {
            Self {
                ready: AtomicBool::new(false),
                value: std::sync::OnceLock::new(),
            }
        }

        pub(crate) fn set(&self, value: T) -> Result<(), T> {
            self.value.set(value)?;
            // Release pairs with the Acquire in `get`.
            self.ready.store(true, Ordering::Release);
            Ok(())
        }

        pub(crate) fn get(&self) -> Option<&T> {
            // Acquire pairs with the Release in `set`.
            if self.ready.load(Ordering::Acquire) {
                self.value.get()
            } else {
                None
            }
        }
    }

    pub(crate) mod thread {
        pub(crate) use loom::thread::{
            current, park, spawn, yield_now, Builder, JoinHandle, Thread,
        };

        /// loom has no timed park; a model treats a timeout as a spurious wake-up.
        pub(crate) fn park_timeout(_: std::time::Duration) {
            loom::thread::park();
        }
    }

    pub(crate) fn spin_loop() {
        loom::thread::yield_now();
    }
}

pub(crate) use imp::*;

/// `std`'s `Arc` under both configurations, for trait objects that no loom
/// model looks into (a socket's monitor sink): loom's `Arc` cannot hold an
/// unsized value.
pub(crate) use std::sync::Arc as DynArc;
/// The error of `try_lock`, std's under both (loom returns std's too).
pub(crate) use std::sync::TryLockError;
/// `std`'s `Weak`, the weak side of [`DynArc`].
pub(crate) use std::sync::Weak as DynWeak;
