//! The pipe as the loom models in `loom-tests/` see it (built only under
//! `--cfg zactor_loom`, reached as `zactor::__loom`).
//!
//! Thin public wrappers over the crate-private queue, credit word and pipe
//! ends, so the pipe files keep their `pub(crate)` items and the `unreachable_pub`
//! lint stays meaningful there. Each wrapper forwards to exactly one call; the
//! only translation is from crate-private enums (`Flush`, `Refresh`, `Command`)
//! to the public mirrors below. Commands are reduced to the pipe commands
//! with the index the receiving socket gave the pipe at attach.

use crate::command::Command as RealCommand;
use crate::mailbox::Mailbox as RealMailbox;
use crate::msg::Message;
use crate::sync::Arc;

use super::credit::{self, Refresh as RealRefresh};
use super::queue::{self, Flush as RealFlush};
use super::shared_frame;
use super::PipeId;

/// The producing half of a queue ([`queue`]).
pub struct Writer<T: Send>(queue::Writer<T>);

/// The consuming half of a queue ([`queue`]).
pub struct Reader<T: Send>(queue::Reader<T>);

/// Creates an empty single-producer/single-consumer queue.
pub fn queue<T: Send>() -> (Writer<T>, Reader<T>) {
    let (writer, reader) = queue::queue();
    (Writer(writer), Reader(reader))
}

/// What a flush found; `ReaderAsleep` obliges the writer to wake the reader.
#[must_use = "a flush that finds the reader asleep must wake it"]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flush {
    /// Nothing was written since the last flush.
    Nothing,
    /// The items are visible and the reader is awake.
    Published,
    /// The items are visible and the reader was asleep: wake it.
    ReaderAsleep,
}

impl<T: Send> Writer<T> {
    /// Appends an item, invisible until the next flush.
    pub fn write(&mut self, item: T) {
        self.0.write(item);
    }

    /// Publishes everything written so far.
    pub fn flush(&mut self) -> Flush {
        match self.0.flush() {
            RealFlush::Nothing => Flush::Nothing,
            RealFlush::Published => Flush::Published,
            RealFlush::ReaderAsleep => Flush::ReaderAsleep,
        }
    }

    /// Drops every item written since the last flush.
    pub fn rollback(&mut self) {
        self.0.rollback();
    }
}

impl<T: Send> Reader<T> {
    /// Whether an item is ready; marks the reader asleep when not.
    pub fn check_read(&mut self) -> bool {
        self.0.check_read()
    }

    /// Whether an item is ready, without marking the reader asleep.
    pub fn peek_ready(&self) -> bool {
        self.0.peek_ready()
    }

    /// Takes the next item; `None` (and asleep) when empty.
    pub fn read(&mut self) -> Option<T> {
        self.0.read()
    }
}

/// The credit word of one pipe direction.
pub struct Credit(credit::Credit);

/// What a writer at its limit found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refresh {
    /// The reader has reported this many messages read.
    Read(u64),
    /// Still no room; the writer is registered and will be woken by a report.
    Waiting,
}

impl Credit {
    /// A fresh word: nothing read, nobody waiting.
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        Self(credit::Credit::new())
    }

    /// Writer side: see `pipe::credit::Credit::refresh`.
    pub fn refresh(&self, written: u64, hwm: u64) -> Refresh {
        match self.0.refresh(written, hwm) {
            RealRefresh::Read(read) => Refresh::Read(read),
            RealRefresh::Waiting => Refresh::Waiting,
        }
    }

    /// Reader side: true when the writer was waiting and must be woken.
    pub fn report(&self, read: u64) -> bool {
        self.0.report(read)
    }
}

/// Messages the reader consumes between two credit reports.
pub fn report_batch(hwm: u64) -> u64 {
    credit::report_batch(hwm)
}

/// A socket's mailbox, as far as pipes use it.
#[derive(Clone)]
pub struct Mailbox(Arc<RealMailbox>);

/// A pipe command, with the index the receiving socket gave the pipe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    /// The peer flushed into a pipe this socket had found empty.
    ActivateRead(u32),
    /// The peer made room in a pipe this socket had found full.
    ActivateWrite(u32),
    /// The peer closed its end.
    PipeTerm(u32),
    /// Anything else (pipes never send it).
    Other,
}

impl Mailbox {
    /// An empty mailbox.
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        Self(Arc::new(RealMailbox::new()))
    }

    /// Takes the next command, if any.
    pub fn try_recv(&self) -> Option<Command> {
        Some(match self.0.try_recv()? {
            RealCommand::ActivateRead(id) => Command::ActivateRead(id.index() as u32),
            RealCommand::ActivateWrite(id) => Command::ActivateWrite(id.index() as u32),
            RealCommand::PipeTerm(id) => Command::PipeTerm(id.index() as u32),
            _ => Command::Other,
        })
    }
}

/// One socket's end of a pipe pair.
pub struct PipeEnd(super::PipeEnd);

/// Creates a pipe pair; `hwm[0]` limits the first end's sends, `hwm[1]`
/// the second's (0: no limit).
pub fn pipe_pair(hwm: [u64; 2]) -> (PipeEnd, PipeEnd) {
    let (connect_side, bind_side) = super::pipe_pair(hwm, "inproc://loom");
    (PipeEnd(connect_side), PipeEnd(bind_side))
}

impl PipeEnd {
    /// Registers this end with its socket's mailbox under pipe index `index`.
    pub fn attach(&mut self, index: u32, mailbox: &Mailbox) {
        self.0.attach(PipeId::new(index, 0), mailbox.0.clone());
    }

    /// Whether a new message may be written now.
    pub fn check_write(&mut self) -> bool {
        self.0.check_write()
    }

    /// Writes one frame (`more`: frames follow); hands it back if the peer
    /// has gone.
    pub fn write(&mut self, mut frame: Message, more: bool) -> Result<(), Message> {
        frame.set_more(more);
        self.0.write(frame)
    }

    /// Reads one frame; `None` when nothing is ready. Through `read_into`,
    /// the path a socket's receive takes.
    pub fn read(&mut self) -> Option<Message> {
        let mut frame = Message::new();
        self.0.read_into(&mut frame).then_some(frame)
    }

    /// Whether a frame is ready; marks the reader asleep when not.
    pub fn check_read(&mut self) -> bool {
        self.0.check_read()
    }

    /// Whether the peer has closed its end.
    pub fn peer_closed(&self) -> bool {
        self.0.peer_closed()
    }

    /// Whether the peer closed and everything it sent has been read.
    pub fn is_dead(&mut self) -> bool {
        self.0.is_dead()
    }
}

/// Where a fan-out's frames are kept ([`shared_frame::NodePool`]).
#[derive(Default)]
pub struct NodePool(shared_frame::NodePool);

/// Makes the handles to one shared frame ([`shared_frame::FanOut`]).
pub struct FanOut(shared_frame::FanOut);

/// A handle to a shared frame ([`shared_frame::SharedFrame`]).
pub struct SharedFrame(shared_frame::SharedFrame);

/// The node frees a reader owes their blocks ([`shared_frame::Frees`]).
#[derive(Default)]
pub struct Frees(shared_frame::Frees);

impl FanOut {
    /// Shares `msg` in a node from `pool`.
    pub fn new(pool: &mut NodePool, msg: Message) -> Self {
        FanOut(shared_frame::FanOut::new(&mut pool.0, msg))
    }

    /// One more handle to the frame.
    pub fn handle(&mut self) -> SharedFrame {
        SharedFrame(self.0.handle())
    }
}

impl SharedFrame {
    /// A lone handle to `msg`, in a node from `pool`.
    pub fn new(pool: &mut NodePool, msg: Message) -> Self {
        SharedFrame(shared_frame::SharedFrame::new(&mut pool.0, msg))
    }

    /// This handle's copy of the frame.
    pub fn into_message(self, frees: &mut Frees) -> Message {
        self.0.into_message(&mut frees.0)
    }
}
