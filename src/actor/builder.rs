//! [`Builder`]: an actor's thread name, stack size, core and pipe HWM, and
//! the start-up sequence every actor goes through.

use super::handshake::end_frame;
use super::lifecycle::Lifecycle;
use super::runner::Runner;
use super::Actor;
use crate::ctx::Context;
use crate::error::{Error, Result};
use crate::socket::Socket;
use crate::socket_type::SocketType;
use crate::sync::{thread, Arc};

/// Configures an actor before it starts.
///
/// ```
/// use zactor as zmq;
/// use zmq::actor::Actor;
///
/// let ctx = zmq::Context::new();
/// let actor = Actor::builder()
///     .name("greeter")
///     .pipe_hwm(10)
///     .spawn(&ctx, |pipe, _ctx| {
///         let name = std::thread::current().name().map(str::to_owned);
///         pipe.signal(0)?;
///         pipe.send(name.unwrap_or_default().as_str(), 0)?;
///         pipe.recv_msg(0)?; // $TERM
///         Ok(())
///     })
///     .unwrap();
/// assert_eq!(actor.recv_string(0).unwrap().unwrap(), "greeter");
/// ```
#[derive(Debug, Clone, Default)]
#[must_use = "a builder does nothing until `spawn` is called"]
pub struct Builder {
    name: Option<String>,
    stack_size: Option<usize>,
    core: Option<usize>,
    pipe_hwm: Option<i32>,
}

impl Builder {
    /// A builder with the defaults: an unnamed thread with the standard
    /// library's stack size, not pinned, pipe HWM 1000 (libzmq's default).
    pub fn new() -> Builder {
        Builder::default()
    }

    /// Names the actor's thread (seen in debuggers, panic messages and
    /// `std::thread::current().name()`).
    pub fn name(mut self, name: impl Into<String>) -> Builder {
        self.name = Some(name.into());
        self
    }

    /// The stack size of the actor's thread, in bytes.
    pub fn stack_size(mut self, bytes: usize) -> Builder {
        self.stack_size = Some(bytes);
        self
    }

    /// Pins the actor's thread to the core numbered `core` (as
    /// `core_affinity` numbers them) before the body runs. If the system
    /// refuses, the body never runs and `spawn` fails with `EINVAL`.
    pub fn pin(mut self, core: usize) -> Builder {
        self.core = Some(core);
        self
    }

    /// The high-water mark of both ends of the pipe, as CZMQ's
    /// `zsys_set_pipehwm`: each end's SNDHWM and RCVHWM. As for any inproc
    /// pair, a direction then holds up to `2 × hwm` messages (sender's
    /// SNDHWM + receiver's RCVHWM); 0 means no limit.
    pub fn pipe_hwm(mut self, hwm: i32) -> Builder {
        self.pipe_hwm = Some(hwm);
        self
    }

    /// Starts the actor: makes the pipe, runs `body` on a new thread with
    /// the actor's end of the pipe and the context, and returns once the
    /// actor has signalled ready (see [`Actor`]).
    ///
    /// Fails with the context's errors (`ETERM`), `EINVAL` for a negative
    /// HWM or a core the thread cannot be pinned to, `EMTHREAD` when no
    /// thread can be started, and — if the body ends before it signals —
    /// the body's error, or `ENOTCONN` when it returned `Ok` or panicked.
    pub fn spawn<F>(self, ctx: &Context, body: F) -> Result<Actor>
    where
        F: FnOnce(&Socket, &Context) -> Result<()> + Send + 'static,
    {
        let parent = ctx.socket(SocketType::PAIR)?;
        let child = ctx.socket(SocketType::PAIR)?;
        if let Some(hwm) = self.pipe_hwm {
            for socket in [&parent, &child] {
                socket.set_sndhwm(hwm)?;
                socket.set_rcvhwm(hwm)?;
            }
        }
        let lifecycle = Arc::new(Lifecycle::new(parent.mailbox()));
        // The lifecycle's address names the pipe: unique among living
        // actors, and the name is gone (with the parent's socket) before
        // the lifecycle is freed.
        let token = Arc::as_ptr(&lifecycle) as usize as u64;
        let endpoint = format!("inproc://zactor-{token:x}");
        // Bind before connect, as CZMQ: the pipe is whole before the thread starts.
        parent.bind(&endpoint)?;
        child.connect(&endpoint)?;
        let end = end_frame(token);

        let mut thread = thread::Builder::new();
        if let Some(name) = &self.name {
            thread = thread.name(name.clone());
        }
        if let Some(bytes) = self.stack_size {
            thread = thread.stack_size(bytes);
        }
        let runner = Runner {
            pipe: child,
            ctx: ctx.clone(),
            lifecycle: lifecycle.clone(),
            end,
            core: self.core,
            body,
        };
        let handle = thread
            .spawn(move || runner.run())
            .map_err(|_| Error::EMTHREAD)?;

        let actor = Actor::started(parent, lifecycle, end, handle, self.name);
        // On failure the actor is dropped, which ends and joins the thread.
        actor.wait_ready()?;
        Ok(actor)
    }
}
