//! The actor's thread: pins itself if asked, runs the body with the actor's
//! end of the pipe, catches a panic, and reports how the body ended (the
//! exit in the shared [`Lifecycle`], then the end-of-actor frame on the
//! pipe) before it closes the pipe.

use std::any::Any;
use std::panic::{self, AssertUnwindSafe};

use super::handshake::END_LEN;
use super::lifecycle::Lifecycle;
use super::Exit;
use crate::ctx::Context;
use crate::error::{Error, Result};
use crate::socket::Socket;
use crate::sync::Arc;

/// Everything the actor's thread takes with it.
pub(crate) struct Runner<F> {
    pub(crate) pipe: Socket,
    pub(crate) ctx: Context,
    pub(crate) lifecycle: Arc<Lifecycle>,
    pub(crate) end: [u8; END_LEN],
    pub(crate) core: Option<usize>,
    pub(crate) body: F,
}

impl<F> Runner<F>
where
    F: FnOnce(&Socket, &Context) -> Result<()>,
{
    /// The thread's whole life.
    pub(crate) fn run(self) {
        let Runner {
            pipe,
            ctx,
            lifecycle,
            end,
            core,
            body,
        } = self;
        let exit = match pin(core) {
            Ok(()) => match panic::catch_unwind(AssertUnwindSafe(|| body(&pipe, &ctx))) {
                Ok(Ok(())) => Exit::Returned,
                Ok(Err(error)) => Exit::Failed(error),
                Err(payload) => Exit::Panicked(panic_message(payload.as_ref())),
            },
            Err(error) => Exit::Failed(error),
        };
        conclude(&lifecycle, exit, || {
            // The body may have set a send timeout on the pipe: the end
            // frame must not be lost to it. The send may wait for room in
            // the pipe; the parent reads until it sees the frame (every
            // receive does, and `Drop` waits for it). It fails only when the
            // context is terminated: then every call of the parent fails
            // with ETERM too, and nobody waits for the frame.
            let _ = pipe.set_sndtimeo(-1);
            let _ = pipe.send(&end[..], 0);
        });
        drop(pipe);
    }
}

/// The last steps of every actor's thread: the exit is recorded (and the
/// parent woken) before `send_end` sends the end frame, so a parent that
/// receives the frame, or sees `ENOTCONN`, finds the exit written.
pub(crate) fn conclude(lifecycle: &Lifecycle, exit: Exit, send_end: impl FnOnce()) {
    lifecycle.finish(exit);
    send_end();
}

/// The number of cores a Linux `cpu_set_t` can name (glibc's
/// `CPU_SETSIZE`): `core_affinity` indexes one without a bounds check and
/// aborts the process on a larger number.
const MAX_CORES: usize = 1024;

/// Pins the current thread to `core`, if given; `EINVAL` when the system
/// refuses (no such core, or one outside the process's allowed set).
fn pin(core: Option<usize>) -> Result<()> {
    match core {
        None => Ok(()),
        Some(id)
            if id < MAX_CORES && core_affinity::set_for_current(core_affinity::CoreId { id }) =>
        {
            Ok(())
        }
        Some(_) => Err(Error::EINVAL),
    }
}

/// The text of a panic: its `&str` or `String` payload, as the default
/// panic hook prints it.
fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_owned()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "Box<dyn Any>".to_owned()
    }
}

#[cfg(all(test, not(zactor_loom)))]
mod tests {
    use super::*;

    #[test]
    fn panic_messages_are_kept() {
        let payload = panic::catch_unwind(|| panic!("static text")).unwrap_err();
        assert_eq!(panic_message(payload.as_ref()), "static text");
        let n = 3;
        let payload = panic::catch_unwind(|| panic!("formatted {n}")).unwrap_err();
        assert_eq!(panic_message(payload.as_ref()), "formatted 3");
        let payload = panic::catch_unwind(|| panic::panic_any(17u8)).unwrap_err();
        assert_eq!(panic_message(payload.as_ref()), "Box<dyn Any>");
    }
}
