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
    pub(crate) use std::sync::atomic::{fence, AtomicBool, AtomicPtr, AtomicU32, AtomicU64, AtomicU8, AtomicUsize, Ordering};
    pub(crate) use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};

    pub(crate) mod thread {
        pub(crate) use std::thread::{current, park, park_timeout, spawn, yield_now, Builder, JoinHandle, Thread};
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
    pub(crate) use loom::sync::atomic::{fence, AtomicBool, AtomicPtr, AtomicU32, AtomicU64, AtomicU8, AtomicUsize, Ordering};
    pub(crate) use loom::sync::{Arc, Condvar, Mutex, MutexGuard};
    /// loom has no `OnceLock`. Set-once cells (a pipe learning its peer's
    /// mailbox) sit outside the models, which drive the queues directly.
    pub(crate) use std::sync::OnceLock;

    pub(crate) mod thread {
        pub(crate) use loom::thread::{current, park, spawn, yield_now, Builder, JoinHandle, Thread};

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
