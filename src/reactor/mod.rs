//! The reactor: [`Loop`], CZMQ's `zloop` with a Rust-native API (the user
//! documentation is on [`Loop`]).
//!
//! A pass waits on a [`Poller`], then runs ready readers, due timers and
//! expired tickets. Timers are in a heap (`timers.rs`), tickets in a
//! linked list (`tickets.rs`), readers in a slab indexed by the poller
//! token (`readers.rs`); see DESIGN.md, "Reactor".

mod readers;
mod tickets;
mod timers;

use std::os::unix::io::RawFd;
use std::time::{Duration, Instant};

use crate::error::{Error, Result};
use crate::poll::{PollEvents, POLLIN};
use crate::poller::{Poller, PollerEvent};
use crate::socket::Socket;

pub use readers::ReaderId;
pub use tickets::TicketId;
pub use timers::TimerId;

use readers::Readers;
use tickets::Tickets;
use timers::Timers;

/// What a handler tells the loop: go on, or end [`Loop::run`] with `Ok`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[must_use]
pub enum Flow {
    /// Keep running.
    Continue,
    /// End the loop: `run` returns `Ok(())` (CZMQ: a handler returns -1).
    Stop,
}

type SocketHandler<'a> = Box<dyn FnMut(&mut Loop<'a>, &'a Socket) -> Result<Flow> + 'a>;
type FdHandler<'a> = Box<dyn FnMut(&mut Loop<'a>, RawFd, PollEvents) -> Result<Flow> + 'a>;
type TimerHandler<'a> = Box<dyn FnMut(&mut Loop<'a>, TimerId) -> Result<Flow> + 'a>;
type TicketHandler<'a> = Box<dyn FnMut(&mut Loop<'a>, TicketId) -> Result<Flow> + 'a>;

/// What a reader reads.
#[derive(Clone, Copy)]
enum Target<'a> {
    Socket(&'a Socket),
    Fd(RawFd),
}

/// A reader's handler, by kind of target.
enum ReaderHandler<'a> {
    Socket(SocketHandler<'a>),
    Fd(FdHandler<'a>),
}

/// An event loop over sockets, native descriptors, timers and tickets:
/// CZMQ's `zloop` with a Rust-native API.
///
/// A loop runs handlers in one thread: readers when a socket or a native
/// descriptor has something to read, timers when they fall due, tickets
/// when a peer stayed silent too long. Every handler gets the loop itself
/// (`&mut Loop`), so it can add and cancel timers, reset tickets and add or
/// remove readers, itself included, and returns a [`Flow`]:
///
/// ```
/// use std::time::Duration;
/// use zactor::{Flow, Loop};
///
/// let ctx = zactor::Context::new();
/// let pull = ctx.socket(zactor::PULL).unwrap();
/// pull.bind("inproc://reactor-doc").unwrap();
/// let push = ctx.socket(zactor::PUSH).unwrap();
/// push.connect("inproc://reactor-doc").unwrap();
///
/// let mut reactor = Loop::new();
/// reactor
///     .add_reader(&pull, |_, socket| {
///         let text = socket.recv_string(zactor::DONTWAIT)?;
///         assert_eq!(text.as_deref(), Ok("ping"));
///         Ok(Flow::Stop)
///     })
///     .unwrap();
/// reactor.add_timer(Duration::from_millis(1), 1, move |_, _| {
///     push.send("ping", 0)?;
///     Ok(Flow::Continue)
/// });
/// reactor.run().unwrap();
/// ```
///
/// # How `run` ends
///
/// | what happens                                        | `run` returns |
/// |-----------------------------------------------------|---------------|
/// | a handler returns `Ok(Flow::Stop)`                  | `Ok(())`      |
/// | nothing is left to wait for (no reader, timer, ticket) | `Ok(())`   |
/// | a handler returns `Err(e)`                          | `Err(e)`      |
/// | a reader's context is terminated                    | `Err(ETERM)`  |
/// | a caught signal ([`crate::signal`]), unless nonstop | `Err(EINTR)`  |
///
/// CZMQ's `zloop_start` also ends on ETERM, on a signal (unless nonstop)
/// and when a handler returns -1; here the reason is in the result. A
/// handler's `Err` ends the loop, so `?` on a failed receive (ETERM above
/// all) stops it with that error. The signal check is on
/// [`crate::signal::interrupted`], which stays true until
/// [`crate::signal::reset`]: a loop run again after a signal ends at once,
/// as `zloop` does while `zsys_interrupted` is set.
///
/// # A pass
///
/// Each pass waits on the [`Poller`] until a reader is ready or the next
/// timer or ticket falls due (`Poller::wait_until`: no busy waiting, and
/// sub-millisecond deadlines while the loop has no descriptor readers;
/// with one, the poller sleeps in `poll(2)`, which counts whole
/// milliseconds), then runs the ready readers' handlers, then the due
/// timers', then the expired tickets'. Readers are level-triggered, as in
/// `zloop`: a handler that leaves messages queued is called again next
/// pass. An event is reported when the pass's wait returns, so a handler
/// that drains another reader's socket can make that reader's call find
/// nothing: receive with `DONTWAIT` in handlers.
///
/// The sockets are borrowed for the loop's life (`'a`), and so are the
/// handlers' captures. A loop runs in the thread that owns its sockets.
pub struct Loop<'a> {
    poller: Poller<'a>,
    readers: Readers<Target<'a>, ReaderHandler<'a>>,
    timers: Timers<TimerHandler<'a>>,
    tickets: Tickets<TicketHandler<'a>>,
    /// The poller's ready list, reused by every pass.
    events: Vec<PollerEvent>,
    nonstop: bool,
    running: bool,
}

impl std::fmt::Debug for Loop<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Loop")
            .field("readers", &self.readers.len())
            .field("timers", &self.timers.len())
            .field("tickets", &self.tickets.len())
            .field("ticket_delay", &self.tickets.delay())
            .field("nonstop", &self.nonstop)
            .finish()
    }
}

impl Default for Loop<'_> {
    fn default() -> Self {
        Self::new()
    }
}

impl<'a> Loop<'a> {
    /// An empty loop.
    pub fn new() -> Self {
        Loop {
            poller: Poller::new(),
            readers: Readers::new(),
            timers: Timers::new(),
            tickets: Tickets::new(),
            events: Vec::new(),
            nonstop: false,
            running: false,
        }
    }

    /// Calls `handler` whenever `socket` has a message to receive
    /// (`zloop_reader`). `EINVAL` if the socket has a reader already.
    pub fn add_reader<F>(&mut self, socket: &'a Socket, handler: F) -> Result<ReaderId>
    where
        F: FnMut(&mut Loop<'a>, &'a Socket) -> Result<Flow> + 'a,
    {
        self.poller.add(socket, POLLIN, self.readers.next_slot())?;
        Ok(self.readers.insert(
            Target::Socket(socket),
            ReaderHandler::Socket(Box::new(handler)),
        ))
    }

    /// Calls `handler` whenever the descriptor `fd` is readable or in error
    /// (`zloop_poller` on an fd): it gets the events, `POLLIN` and/or
    /// `POLLERR` (hang-up and invalid descriptor read as `POLLERR`), and
    /// should remove the reader once the descriptor is closed or in error,
    /// or it is called again every pass. The loop does not own `fd`: keep
    /// it open while the reader exists. `EINVAL` if `fd` has a reader
    /// already.
    pub fn add_fd_reader<F>(&mut self, fd: RawFd, handler: F) -> Result<ReaderId>
    where
        F: FnMut(&mut Loop<'a>, RawFd, PollEvents) -> Result<Flow> + 'a,
    {
        self.poller.add_fd(fd, POLLIN, self.readers.next_slot())?;
        Ok(self
            .readers
            .insert(Target::Fd(fd), ReaderHandler::Fd(Box::new(handler))))
    }

    /// Removes a reader (`zloop_reader_end`); false if it was removed
    /// already. A handler may remove any reader, itself included.
    pub fn remove_reader(&mut self, id: ReaderId) -> bool {
        let Some(target) = self.readers.remove(id) else {
            return false;
        };
        // The poller has every live reader: removing it cannot fail.
        let _ = match target {
            Target::Socket(socket) => self.poller.remove(socket),
            Target::Fd(fd) => self.poller.remove_fd(fd),
        };
        true
    }

    /// Calls `handler` `delay` from now, then every `delay`, `times` times
    /// in all; 0 means forever (`zloop_timer`). Repeats keep to the grid
    /// `first due + k × delay` (no drift) and never catch up on missed
    /// ticks: after a stall the timer fires once, then at the next grid
    /// point. A zero delay fires once per pass.
    pub fn add_timer<F>(&mut self, delay: Duration, times: usize, handler: F) -> TimerId
    where
        F: FnMut(&mut Loop<'a>, TimerId) -> Result<Flow> + 'a,
    {
        self.timers
            .add(Instant::now(), delay, times, Box::new(handler))
    }

    /// Cancels a timer (`zloop_timer_end`); false if it had fired its last
    /// or was cancelled already. Safe from any handler, the timer's own
    /// included, and for a timer due in the same pass: it does not fire.
    pub fn cancel_timer(&mut self, id: TimerId) -> bool {
        self.timers.cancel(id)
    }

    /// Sets the delay shared by all tickets (`zloop_set_ticket_delay`),
    /// for tickets added or reset from now on. `EINVAL` if zero.
    pub fn set_ticket_delay(&mut self, delay: Duration) -> Result<()> {
        if delay.is_zero() {
            return Err(Error::EINVAL);
        }
        self.tickets.set_delay(delay);
        Ok(())
    }

    /// The delay shared by all tickets (zero until set).
    pub fn ticket_delay(&self) -> Duration {
        self.tickets.delay()
    }

    /// Adds a ticket (`zloop_ticket`): `handler` runs once, when the
    /// ticket delay passes without a [`reset_ticket`](Self::reset_ticket),
    /// and the ticket is then gone unless the handler resets it. `EINVAL`
    /// if the ticket delay is not set.
    pub fn add_ticket<F>(&mut self, handler: F) -> Result<TicketId>
    where
        F: FnMut(&mut Loop<'a>, TicketId) -> Result<Flow> + 'a,
    {
        if self.tickets.delay().is_zero() {
            return Err(Error::EINVAL);
        }
        Ok(self.tickets.add(Instant::now(), Box::new(handler)))
    }

    /// Restarts a ticket's delay from now, in O(1) (`zloop_ticket_reset`);
    /// false if it fired or was deleted. From the ticket's own handler it
    /// arms the ticket again.
    pub fn reset_ticket(&mut self, id: TicketId) -> bool {
        self.tickets.reset(id, Instant::now())
    }

    /// Deletes a ticket in O(1) (`zloop_ticket_delete`); false if it fired
    /// or was deleted already.
    pub fn delete_ticket(&mut self, id: TicketId) -> bool {
        self.tickets.delete(id)
    }

    /// Whether the loop keeps running when a signal is caught
    /// (`zloop_set_nonstop`). Off by default: a caught SIGINT or SIGTERM
    /// ends it with `EINTR`.
    pub fn set_nonstop(&mut self, nonstop: bool) {
        self.nonstop = nonstop;
    }

    /// Whether the loop ignores caught signals.
    pub fn nonstop(&self) -> bool {
        self.nonstop
    }

    /// Runs handlers until one says stop, one fails, nothing is left to
    /// wait for, a reader's context is terminated, or a signal is caught
    /// (see the table in the [type docs](Loop)). The loop keeps its
    /// readers, timers and tickets and can be run again. `EINVAL` if called
    /// from one of its own handlers.
    pub fn run(&mut self) -> Result<()> {
        if self.running {
            return Err(Error::EINVAL);
        }
        self.running = true;
        let mut events = std::mem::take(&mut self.events);
        let outcome = loop {
            match self.pass(&mut events) {
                Ok(Flow::Continue) => {}
                Ok(Flow::Stop) => break Ok(()),
                Err(error) => break Err(error),
            }
        };
        self.events = events;
        self.running = false;
        outcome
    }

    /// One wait and the handlers it made due.
    fn pass(&mut self, events: &mut Vec<PollerEvent>) -> Result<Flow> {
        if !self.nonstop && interrupted() {
            return Err(Error::EINTR);
        }
        // No event of the last pass is outstanding: freed slots may be
        // reused.
        self.readers.recycle();
        let deadline = earliest(self.timers.next_due(), self.tickets.next_due());
        if deadline.is_none() && self.readers.len() == 0 {
            return Ok(Flow::Stop);
        }
        match self.poller.wait_until(events, deadline) {
            Ok(_) => {}
            // A nonstop loop lets the interruption pass.
            Err(Error::EINTR) if self.nonstop => return Ok(Flow::Continue),
            Err(error) => return Err(error),
        }
        for event in events.iter() {
            if self.dispatch(*event)? == Flow::Stop {
                return Ok(Flow::Stop);
            }
        }
        if self.timers.len() + self.tickets.len() == 0 {
            return Ok(Flow::Continue);
        }
        let now = Instant::now();
        let mark = self.timers.begin_pass();
        while let Some((id, mut handler)) = self.timers.pop_due(now, mark) {
            let flow = handler(self, id);
            self.timers.finish(id, handler, Instant::now());
            if flow? == Flow::Stop {
                return Ok(Flow::Stop);
            }
        }
        while let Some((id, mut handler)) = self.tickets.pop_due(now) {
            let flow = handler(self, id);
            self.tickets.finish(id, handler);
            if flow? == Flow::Stop {
                return Ok(Flow::Stop);
            }
        }
        Ok(Flow::Continue)
    }

    /// Runs the handler of the reader an event names (its token is the
    /// reader's slot).
    #[inline]
    fn dispatch(&mut self, event: PollerEvent) -> Result<Flow> {
        let Some((id, target, mut handler)) = self.readers.take(event.token) else {
            return Ok(Flow::Continue); // removed earlier in this pass
        };
        let flow = match (&mut handler, target) {
            (ReaderHandler::Socket(handler), Target::Socket(socket)) => handler(self, socket),
            (ReaderHandler::Fd(handler), Target::Fd(fd)) => handler(self, fd, event.events),
            // A reader is built with matching halves.
            _ => Ok(Flow::Continue),
        };
        self.readers.restore(id, handler);
        flow
    }
}

/// Whether a caught signal is pending (always false without the signal
/// module).
fn interrupted() -> bool {
    crate::signal::interrupted()
}

fn earliest(a: Option<Instant>, b: Option<Instant>) -> Option<Instant> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, None) => a,
        (None, b) => b,
    }
}
