//! Pipes: the lock-free connection between two sockets.
//!
//! A pipe pair links two sockets with two single-producer/single-consumer
//! [`queue`]s, one per direction. Each socket owns one [`PipeEnd`]: the writer
//! of one queue and the reader of the other, so the one-producer,
//! one-consumer rule is enforced by ownership. Next to the queues, a shared
//! [`Link`] holds per-direction [`credit`] words and high-water marks, each
//! side's id and mailbox (for the rare wake-up commands), and each side's
//! `closed` flag (termination).
//!
//! ```text
//!   socket A                     Link                      socket B
//!  PipeEnd(side 0) --queue 0 (A->B), credit[0], hwm[0]--> PipeEnd(side 1)
//!                 <--queue 1 (B->A), credit[1], hwm[1]---
//!                     ids[2], mailboxes[2], closed[2]
//! ```
//!
//! Each direction is a [`lane`]: its queue holds whole frames, or, for the
//! sends of a socket that fans out (PUB, XPUB), handles to frames shared
//! with its other pipes ([`shared_frame`]).
//!
//! On a warm pipe a message costs a queue write and a flush (one CAS); no
//! lock, no syscall and no allocation beyond the body's own. Termination:
//! a side that closes sets its `closed` flag after its last flush and sends
//! `PipeTerm` to the peer; the peer drains what was flushed before, then drops
//! its end; the memory goes with the last `Arc`.

mod credit;
mod lane;
mod queue;
mod shared_frame;

/// What the loom models in `loom-tests/` drive directly.
#[cfg(zactor_loom)]
pub(crate) mod loom_api;

use std::mem;

use bytes::Bytes;
use crossbeam_utils::CachePadded;

use crate::command::Command;
use crate::config::{CEDE_AFTER_BYTES, CEDE_AFTER_BYTES_MAX};
use crate::mailbox::Mailbox;
use crate::msg::Message;
use crate::signaler::yield_found_core_shared;
use crate::sync::{fence, Arc, AtomicBool, AtomicU64, DynArc, DynWeak, OnceLock, Ordering};
use credit::{credit_batch, Credit, Refresh};
use lane::{InLane, OutLane};
use queue::{CloneIntoSlot, Flush};
use shared_frame::Frees;
pub(crate) use shared_frame::{FanOut, NodePool};

/// A pipe's handle inside its socket: a slot index and a generation, so a
/// stale command for a removed pipe never reaches a new one in the same slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct PipeId(u64);

impl PipeId {
    const UNSET: u64 = u64::MAX;

    pub(crate) fn new(index: u32, generation: u32) -> Self {
        PipeId(((generation as u64) << 32) | index as u64)
    }

    pub(crate) fn index(self) -> usize {
        (self.0 & 0xffff_ffff) as usize
    }

    pub(crate) fn generation(self) -> u32 {
        (self.0 >> 32) as u32
    }
}

impl CloneIntoSlot for Message {
    #[inline(always)]
    fn clone_into_slot(&self, slot: &mut std::mem::MaybeUninit<Message>) {
        self.clone_into_uninit(slot);
    }
}

/// What a socket knows about the socket at the other end of a pipe.
#[derive(Debug, Clone)]
pub(crate) struct PeerInfo {
    /// The peer's identity option (empty: none set, a ROUTER generates one);
    /// `None` until a pending connection is bound.
    pub(crate) routing_id: Option<Bytes>,
}

/// The state both ends share.
#[derive(Debug)]
struct Link {
    /// Per direction (indexed by the writer's side): messages read, reported.
    /// Each on its own cache line: written by one reader once per batch, it
    /// must not invalidate the line the writers read on every message.
    credit: [CachePadded<Credit>; 2],
    /// Per direction: capacity in whole messages; 0 means no limit.
    hwm: [AtomicU64; 2],
    /// Per direction: messages the reader consumes between two credit
    /// reports (`report_batch` of the HWM, `u64::MAX` for no limit), kept
    /// beside the HWM so the per-frame check is one load and a compare.
    report_batch: [AtomicU64; 2],
    /// Per direction: the reader's MAXMSGSIZE in bytes per frame
    /// (`u64::MAX`: none). The writer enforces it, so an oversized message
    /// is refused whole and never occupies the queue.
    max_frame: [AtomicU64; 2],
    /// Each side's `PipeId` in its own socket, `PipeId::UNSET` until attached.
    ids: [AtomicU64; 2],
    /// Each side's socket mailbox, set when that side attaches.
    mailboxes: [OnceLock<Arc<Mailbox>>; 2],
    /// Each side's termination flag: set once, after its last flush.
    closed: [AtomicBool; 2],
    /// A network connection's engine, which the other side's thread may
    /// drive itself instead of waking the I/O thread (see [`Driver`]), and
    /// the side whose end that engine holds.
    driver: OnceLock<(usize, DynWeak<dyn Driver>)>,
}

impl Link {
    /// Sets the capacity of the direction `side` writes to, and with it how
    /// often its reader reports credit.
    fn set_hwm(&self, side: usize, hwm: u64) {
        // Relaxed: tunables, re-read by the writer on every credit check
        // and by the reader on every message; the two need not change
        // together (a report sooner or later than the new HWM asks for is
        // only a report).
        self.hwm[side].store(hwm, Ordering::Relaxed);
        self.report_batch[side].store(credit_batch(hwm), Ordering::Relaxed);
    }
}

/// The engine at one end of a pipe, which the socket at the other end may
/// run on its own thread (DESIGN.md, "Direct I/O"): a wake-up command to
/// an I/O thread parked on another core costs tens of microseconds, doing
/// that thread's work here costs a system call.
///
/// Both methods only *try*: they return false at once when the engine is
/// busy on its I/O thread or cannot take the work, and the caller then does
/// what it would have done without a driver (send the command, or wait).
pub(crate) trait Driver: Send + Sync + std::fmt::Debug {
    /// The socket flushed a message and found the engine's reader asleep:
    /// true when the engine has taken it (written it to the stream, or
    /// queued it where its I/O thread will) so no `ActivateRead` is needed.
    fn drive_out(&self) -> bool;
    /// The socket waits for input: reads what the stream holds into the
    /// pipe now; true when the engine was run. From the first call on, the
    /// socket's thread owns the reading of the stream (its I/O thread is not
    /// woken for input) until [`end_drive_in`](Driver::end_drive_in).
    /// `likely_ready`: the socket's thread just gave its core away (a
    /// yield while spinning), so a peer on this core has probably answered:
    /// read at once rather than look first.
    fn drive_in(&self, likely_ready: bool) -> bool;
    /// The socket stops waiting: input is the I/O thread's again. Must
    /// follow every `drive_in`, before the socket parks or returns.
    fn end_drive_in(&self);
}

/// One socket's end of a pipe pair.
pub(crate) struct PipeEnd {
    link: Arc<Link>,
    /// 0 for the end created by the connecting socket, 1 for the binding one.
    side: usize,
    out: OutLane,
    inn: InLane,
    /// Whole messages written (the writer's credit counter).
    msgs_written: u64,
    /// The peer's last reported read count, cached.
    peer_read: u64,
    /// In the middle of writing a multipart message.
    out_more: bool,
    /// Dropping the rest of a message the reader refused (over its MAXMSGSIZE).
    out_refused: bool,
    /// Messages refused for size.
    pub(crate) refused: u64,
    /// Body bytes published since a flush last found the reader asleep:
    /// how far the reader may have fallen behind (see
    /// [`PipeEnd::cede_core`]).
    out_unseen_bytes: u64,
    /// How many unseen bytes make the writer yield its core once.
    cede_after_bytes: u64,
    /// The next message written yields the core first.
    cede_due: bool,
    /// Whole messages read.
    msgs_read: u64,
    /// The read count last reported to the writer.
    reported: u64,
    /// The endpoint this pipe was made for, for unbind and disconnect.
    pub(crate) endpoint: String,
}

impl std::fmt::Debug for PipeEnd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PipeEnd")
            .field("side", &self.side)
            .field("endpoint", &self.endpoint)
            .field("msgs_written", &self.msgs_written)
            .field("msgs_read", &self.msgs_read)
            .finish()
    }
}

/// Creates a pipe pair. `hwm[0]` limits the connecting side's sends,
/// `hwm[1]` the binding side's (each 0 for no limit).
pub(crate) fn pipe_pair(hwm: [u64; 2], endpoint: &str) -> (PipeEnd, PipeEnd) {
    pipe_pair_for(hwm, endpoint, [false, false])
}

/// [`pipe_pair`], where `shared[side]` makes that side's sends travel as
/// [`shared_frame::SharedFrame`] handles (see [`lane`]): for a socket that
/// fans out.
pub(crate) fn pipe_pair_for(
    hwm: [u64; 2],
    endpoint: &str,
    shared: [bool; 2],
) -> (PipeEnd, PipeEnd) {
    let link = Arc::new(Link {
        credit: [
            CachePadded::new(Credit::new()),
            CachePadded::new(Credit::new()),
        ],
        hwm: [AtomicU64::new(hwm[0]), AtomicU64::new(hwm[1])],
        report_batch: [
            AtomicU64::new(credit_batch(hwm[0])),
            AtomicU64::new(credit_batch(hwm[1])),
        ],
        max_frame: [AtomicU64::new(u64::MAX), AtomicU64::new(u64::MAX)],
        ids: [AtomicU64::new(PipeId::UNSET), AtomicU64::new(PipeId::UNSET)],
        mailboxes: [OnceLock::new(), OnceLock::new()],
        closed: [AtomicBool::new(false), AtomicBool::new(false)],
        driver: OnceLock::new(),
    });
    let lane = |shared: bool| {
        if shared {
            let (w, r) = queue::queue();
            (
                OutLane::Shared(w, NodePool::default()),
                InLane::Shared(r, Frees::default()),
            )
        } else {
            let (w, r) = queue::queue();
            (OutLane::Frames(w), InLane::Frames(r))
        }
    };
    let (w0, r0) = lane(shared[0]);
    let (w1, r1) = lane(shared[1]);
    let end = |side, out, inn| PipeEnd {
        link: link.clone(),
        side,
        out,
        inn,
        msgs_written: 0,
        peer_read: 0,
        out_more: false,
        out_refused: false,
        refused: 0,
        out_unseen_bytes: 0,
        cede_after_bytes: CEDE_AFTER_BYTES,
        cede_due: false,
        msgs_read: 0,
        reported: 0,
        endpoint: endpoint.to_owned(),
    };
    (end(0, w0, r1), end(1, w1, r0))
}

/// What [`PipeEnd::admit`] decided about a frame.
enum Admission {
    /// The peer has gone: nothing is written.
    Gone,
    /// The peer refuses the message (over its size limit): the frame is
    /// dropped, counted as written.
    Refused,
    /// Write it; `more` is its `MORE` flag.
    Write { more: bool },
}

/// A by-value write over a write from a place: `Err` hands the message
/// back when `write` refused it.
#[inline(always)]
fn handed_back(mut msg: Message, write: impl FnOnce(&mut Message) -> bool) -> Result<(), Message> {
    if write(&mut msg) {
        Ok(())
    } else {
        Err(msg)
    }
}

impl PipeEnd {
    /// Whether this end belongs to the connecting socket.
    pub(crate) fn is_connect_side(&self) -> bool {
        self.side == 0
    }

    fn peer(&self) -> usize {
        // `& 1` lets the compiler see an index into a pair without a check.
        (self.side ^ 1) & 1
    }

    /// Registers this end with its socket. Must happen before the first read
    /// or write, so the peer knows whom to wake.
    pub(crate) fn attach(&mut self, id: PipeId, mailbox: Arc<Mailbox>) {
        // Release pairs with the peer's Acquire load in `send_to_peer`; the
        // queue and credit handshakes order it before any wake-up anyway.
        self.link.ids[self.side].store(id.0, Ordering::Release);
        let _ = self.link.mailboxes[self.side].set(mailbox);
        // SeqCst fence, paired with the one in `Drop`: either we see the peer's
        // `closed` flag (in `is_dead`) or the peer sees our mailbox and sends
        // PipeTerm. Without it both could miss each other (store, then load).
        fence(Ordering::SeqCst);
    }

    /// Sets the largest frame this end accepts (MAXMSGSIZE; negative: any).
    pub(crate) fn set_in_max_frame(&self, max: i64) {
        let max = if max < 0 { u64::MAX } else { max as u64 };
        // Relaxed: a tunable, re-read by the writer on every frame.
        self.link.max_frame[self.peer()].store(max, Ordering::Relaxed);
    }

    /// Sets the capacity of the direction the peer writes to.
    pub(crate) fn set_in_hwm(&self, hwm: u64) {
        self.link.set_hwm(self.peer(), hwm);
    }

    /// Sets the capacity of the direction this end writes to.
    pub(crate) fn set_out_hwm(&self, hwm: u64) {
        self.link.set_hwm(self.side, hwm);
    }

    /// Whether the peer has closed its end.
    #[inline]
    pub(crate) fn peer_closed(&self) -> bool {
        // Acquire pairs with the Release in `Drop`: the peer's last flush is
        // visible once we see the flag.
        self.link.closed[self.peer()].load(Ordering::Acquire)
    }

    /// Whether a message may be written now. Mid-message always true (credit
    /// is taken for a whole message at its first frame). When false, this end
    /// is registered for an `ActivateWrite` command once room is made.
    #[inline]
    pub(crate) fn check_write(&mut self) -> bool {
        if self.out_more {
            return true;
        }
        // Relaxed: see `set_out_hwm`.
        let hwm = self.link.hwm[self.side].load(Ordering::Relaxed);
        if hwm == 0 || self.msgs_written - self.peer_read < hwm {
            return !self.peer_closed();
        }
        // The reader returns credit only for what it can see.
        self.flush();
        match self.link.credit[self.side].refresh(self.msgs_written, hwm) {
            Refresh::Read(read) => {
                self.peer_read = read;
                !self.peer_closed()
            }
            Refresh::Waiting => false,
        }
    }

    /// Writes one frame; the last frame of a message (no MORE flag) flushes
    /// the whole message. Hands the frame back if the peer has gone.
    #[inline(always)]
    pub(crate) fn write(&mut self, msg: Message) -> Result<(), Message> {
        handed_back(msg, |msg| self.write_from(msg))
    }

    /// Writes `*msg` as [`write`](Self::write) does, leaving an empty
    /// message in its place (see [`Writer::write_from`]); false, `*msg`
    /// untouched, if the peer has gone.
    #[inline(always)]
    pub(crate) fn write_from(&mut self, msg: &mut Message) -> bool {
        let more = msg.get_more();
        if !self.write_unflushed_from(msg) {
            return false;
        }
        if !more {
            self.flush();
        }
        true
    }

    /// Publishes every whole message written so far, waking the reader if
    /// it sleeps. For a writer that writes a batch with
    /// [`PipeEnd::write_unflushed`]; a no-op when nothing is new, and
    /// in the middle of a message (whose frames are published together,
    /// with its last one, or taken back by `rollback`).
    #[inline]
    pub(crate) fn flush(&mut self) {
        if self.out_more {
            return;
        }
        match self.out.flush() {
            Flush::ReaderAsleep => {
                self.out_unseen_bytes = 0;
                self.wake_reader();
            }
            Flush::Published if self.out_unseen_bytes >= self.cede_after_bytes => {
                self.cede_due = true;
            }
            _ => {}
        }
    }

    /// Many bytes have gone into this pipe since its reader was last seen
    /// asleep: yield the core once, in case the reader is waiting for it.
    /// Called as the next message is written (see `cede_due`).
    ///
    /// A reader that shares its writer's core (both ends pinned to one
    /// core, or an I/O thread, which inherits its creator's affinity) runs
    /// only when the writer's time slice ends or the writer waits. A writer
    /// of large bodies fills the pipe first: at 64 KiB and the default HWMs
    /// that is up to 128 MB, far past every cache, so each body is written
    /// to cold memory (and, over tcp/ipc, read back cold by the kernel's
    /// copy). Handed the core every few hundred KiB, the reader takes the
    /// bodies while they are still in cache. A yield that finds the core
    /// free (the reader runs elsewhere) costs one system call and doubles
    /// the distance to the next one.
    ///
    /// Why at the next write and not at the flush: the application has
    /// then already made its next message, as a writer at its HWM has
    /// when it waits. A yield right after the flush let the reader drain
    /// and free every body the writer had made, and glibc returned that
    /// memory to the kernel after every such burst (its heap trim), for the
    /// writer to fault it back in: ten page faults per 64 KiB message.
    #[cold]
    #[inline(never)]
    fn cede_core(&mut self) {
        self.out_unseen_bytes = 0;
        self.cede_due = false;
        self.cede_after_bytes = if yield_found_core_shared() {
            CEDE_AFTER_BYTES
        } else {
            (self.cede_after_bytes * 2).min(CEDE_AFTER_BYTES_MAX)
        };
    }

    /// Writes one frame, like [`PipeEnd::write`], but leaves it unpublished
    /// until the next [`PipeEnd::flush`] (or a `write` of a whole message),
    /// so that a batch of messages costs one flush. Credit is taken as
    /// usual; `check_write` flushes before it waits for credit, so a writer
    /// at its limit never waits on messages its reader cannot see.
    #[inline(always)]
    pub(crate) fn write_unflushed(&mut self, msg: Message) -> Result<(), Message> {
        handed_back(msg, |msg| self.write_unflushed_from(msg))
    }

    /// [`write_unflushed`](Self::write_unflushed) from a place, as
    /// [`write_from`](Self::write_from).
    #[inline(always)]
    fn write_unflushed_from(&mut self, msg: &mut Message) -> bool {
        match self.admit(msg) {
            Admission::Gone => false,
            Admission::Refused => {
                drop(mem::take(msg));
                true
            }
            Admission::Write { more } => {
                self.put(more, msg.len(), |out| out.write_from(msg));
                true
            }
        }
    }

    /// Writes a clone of `msg`, made in its queue slot, as
    /// [`write`](Self::write) writes a message: one message to many pipes
    /// (the distributor) costs one copy per pipe. False if the peer has gone.
    #[inline(always)]
    pub(crate) fn write_clone(&mut self, msg: &Message) -> bool {
        match self.admit(msg) {
            Admission::Gone => false,
            Admission::Refused => true,
            Admission::Write { more } => {
                self.put(more, msg.len(), |out| out.write_clone(msg));
                if !more {
                    self.flush();
                }
                true
            }
        }
    }

    /// Writes `fan`'s frame, as [`write_clone`](Self::write_clone) writes a
    /// clone, but unflushed (see [`write_unflushed`](Self::write_unflushed)):
    /// on a lane of shared frames one pointer, on a lane of whole frames a
    /// clone of its message. False if the peer has gone.
    #[inline(always)]
    pub(crate) fn write_shared(&mut self, fan: &mut FanOut) -> bool {
        match self.admit(fan.message()) {
            Admission::Gone => false,
            Admission::Refused => true,
            Admission::Write { more } => {
                let len = fan.message().len();
                self.put(more, len, |out| out.write_shared(fan));
                true
            }
        }
    }

    /// Puts a frame of `len` bytes that [`admit`](Self::admit) let through
    /// into the lane with `write`, and counts it.
    #[inline(always)]
    fn put(&mut self, more: bool, len: usize, write: impl FnOnce(&mut OutLane)) {
        self.out_unseen_bytes += len as u64;
        write(&mut self.out);
        self.written(more);
    }

    /// Whether this end's sends travel as shared frames.
    #[inline(always)]
    pub(crate) fn sends_shared(&self) -> bool {
        self.out.is_shared()
    }

    /// Whether the frame `msg` may go into the queue; the peer's size limit
    /// is applied here.
    #[inline(always)]
    fn admit(&mut self, msg: &Message) -> Admission {
        if self.cede_due && !self.out_more {
            self.cede_core();
        }
        if self.peer_closed() {
            return Admission::Gone;
        }
        let more = msg.get_more();
        // Relaxed: see `set_in_max_frame`.
        let max_frame = self.link.max_frame[self.side].load(Ordering::Relaxed);
        if self.out_refused || msg.len() as u64 > max_frame {
            // The reader refuses this message: take back the frames already
            // written and drop the rest, so it loses the whole message, never
            // a part, and nothing else.
            if !self.out_refused {
                if self.out_more {
                    // Only this message's frames are unpublished (see below).
                    self.out.rollback();
                }
                self.refused += 1;
            }
            self.out_refused = more;
            self.out_more = more;
            return Admission::Refused;
        }
        if more && !self.out_more {
            // A multipart message begins: publish the whole messages before
            // it, so that a rollback of its frames takes back nothing else.
            self.flush();
        }
        Admission::Write { more }
    }

    /// Counts a frame written; its message is whole at its last frame.
    #[inline(always)]
    fn written(&mut self, more: bool) {
        self.out_more = more;
        if !more {
            self.msgs_written += 1;
        }
    }

    /// Takes back the frames of an unfinished message (never published;
    /// the messages before it were published when it began).
    pub(crate) fn rollback(&mut self) {
        self.out.rollback();
        self.out_more = false;
        self.out_refused = false;
    }

    /// Reads one frame; `None` when nothing is ready (and then the peer will
    /// send `ActivateRead` when it next flushes).
    #[inline(always)]
    pub(crate) fn read(&mut self) -> Option<Message> {
        let msg = self.inn.read()?;
        self.frame_read(msg.get_more());
        Some(msg)
    }

    /// Reads one frame into `out`, replacing what it held (see
    /// [`Reader::read_into`]): true when it did, false as `read`'s `None`.
    /// (Sockets read with [`read_into_if`](Self::read_into_if); the loom
    /// models with this.)
    #[cfg(zactor_loom)]
    #[inline(always)]
    pub(crate) fn read_into(&mut self, out: &mut Message) -> bool {
        self.read_into_if(out, |_| true).is_some()
    }

    /// Reads one frame into `out` if `accept` keeps it, else drops it (see
    /// [`Reader::read_into_if`]); `None` as `read`'s.
    #[inline(always)]
    pub(crate) fn read_into_if(
        &mut self,
        out: &mut Message,
        accept: impl FnOnce(&Message) -> bool,
    ) -> Option<bool> {
        let mut more = false;
        // Inlined by force, as `SharedFrame::move_into` is: left as calls,
        // the two cost a SUB receive 37 of its then 200 instructions in
        // the pattern (spills, stack frames, closure environments).
        let accepted = self.inn.read_into_if(
            out,
            #[inline(always)]
            |frame| {
                more = frame.get_more();
                accept(frame)
            },
        )?;
        self.frame_read(more);
        Some(accepted)
    }

    /// Counts a frame read: the end of a message earns its writer credit.
    #[inline(always)]
    fn frame_read(&mut self, more: bool) {
        if !more {
            self.msgs_read += 1;
            self.return_credit();
        }
    }

    /// Whether this end has read all it knew of, the last look having found
    /// only a few frames (see [`Reader::caught_up_on_small_batch`]).
    #[inline]
    pub(crate) fn caught_up_on_small_batch(&self) -> bool {
        self.inn.caught_up_on_small_batch()
    }

    /// Whether a frame is ready, without marking the reader asleep.
    #[inline]
    pub(crate) fn peek_ready(&self) -> bool {
        self.inn.peek_ready()
    }

    /// Whether a frame is ready; marks the reader asleep when not.
    #[inline]
    pub(crate) fn check_read(&mut self) -> bool {
        self.inn.check_read()
    }

    /// Whether this pipe is finished: the peer closed and everything it sent
    /// has been read.
    pub(crate) fn is_dead(&mut self) -> bool {
        self.peer_closed() && !self.inn.check_read()
    }

    #[inline(always)]
    fn return_credit(&mut self) {
        // Relaxed: see `Link::set_hwm`.
        let batch = self.link.report_batch[self.peer()].load(Ordering::Relaxed);
        if self.msgs_read - self.reported < batch {
            return;
        }
        self.report_credit();
    }

    /// Reports the read count to the writer (once per batch), waking it if
    /// it waits for room. Out of line, so the per-frame path stays small.
    #[cold]
    #[inline(never)]
    fn report_credit(&mut self) {
        let direction = self.peer();
        self.reported = self.msgs_read;
        if self.link.credit[direction].report(self.msgs_read) {
            self.send_to_peer(Command::ActivateWrite);
        }
    }

    /// Registers the engine holding this end as its driver (once per pipe;
    /// a later call is ignored, and a driver that has gone is skipped).
    pub(crate) fn set_driver(&self, driver: DynWeak<dyn Driver>) {
        let _ = self.link.driver.set((self.side, driver));
    }

    /// The engine at the other end, if it can be driven from this side.
    pub(crate) fn peer_driver(&self) -> Option<DynArc<dyn Driver>> {
        match self.link.driver.get() {
            Some((side, driver)) if *side == self.peer() => driver.upgrade(),
            _ => None,
        }
    }

    /// The reader was asleep when we flushed: let its engine take the
    /// message on this thread if it can, else wake it with `ActivateRead`.
    #[cold]
    #[inline(never)]
    fn wake_reader(&self) {
        if let Some(driver) = self.peer_driver() {
            if driver.drive_out() {
                return;
            }
        }
        self.send_to_peer(Command::ActivateRead);
    }

    /// Sends a command about this pipe to the peer socket, if it has attached.
    fn send_to_peer(&self, command: fn(PipeId) -> Command) {
        let peer = self.peer();
        if let Some(mailbox) = self.link.mailboxes[peer].get() {
            // Acquire pairs with the Release in `attach`.
            let id = self.link.ids[peer].load(Ordering::Acquire);
            mailbox.send(command(PipeId(id)));
        }
    }
}

impl Drop for PipeEnd {
    fn drop(&mut self) {
        // Release: everything we flushed happens before the flag, for the
        // peer's Acquire in `peer_closed`. Unflushed frames (a multipart
        // message cut short) are never published and die with the queue.
        self.link.closed[self.side].store(true, Ordering::Release);
        // SeqCst fence, paired with the one in `attach`.
        fence(Ordering::SeqCst);
        // Relaxed: only skips a useless command; a stale false just sends it.
        if !self.link.closed[self.peer()].load(Ordering::Relaxed) {
            self.send_to_peer(Command::PipeTerm);
        }
    }
}

#[cfg(all(test, not(zactor_loom)))]
mod tests {
    use super::*;

    fn msg(body: &str, more: bool) -> Message {
        let mut m = Message::from(body);
        m.set_more(more);
        m
    }

    #[test]
    fn multipart_is_visible_only_when_complete() {
        let (mut a, mut b) = pipe_pair([0, 0], "inproc://t");
        a.write(msg("one", true)).unwrap();
        assert!(!b.check_read(), "first frame alone is not visible");
        a.write(msg("two", false)).unwrap();
        assert_eq!(&b.read().unwrap()[..], b"one");
        assert_eq!(&b.read().unwrap()[..], b"two");
        assert!(b.read().is_none());
    }

    #[test]
    fn writer_stops_at_hwm_and_resumes_after_a_report() {
        let (mut a, mut b) = pipe_pair([4, 4], "inproc://t");
        let mailbox = Arc::new(Mailbox::new());
        a.attach(PipeId::new(0, 0), mailbox.clone());
        b.attach(PipeId::new(0, 0), Arc::new(Mailbox::new()));
        for i in 0..4 {
            assert!(a.check_write(), "message {i} fits");
            a.write(msg("x", false)).unwrap();
        }
        assert!(!a.check_write(), "the fifth does not");
        assert!(mailbox.try_recv().is_none());
        for _ in 0..2 {
            b.read().unwrap();
        }
        assert!(matches!(
            mailbox.try_recv(),
            Some(Command::ActivateWrite(_))
        ));
        assert!(a.check_write());
    }

    #[test]
    fn messages_flushed_before_close_stay_readable() {
        let (mut a, mut b) = pipe_pair([0, 0], "inproc://t");
        a.write(msg("last words", false)).unwrap();
        a.write(msg("cut short", true)).unwrap();
        drop(a);
        assert!(b.peer_closed());
        assert!(!b.is_dead());
        assert_eq!(&b.read().unwrap()[..], b"last words");
        assert!(b.read().is_none(), "the unfinished multipart never shows");
        assert!(b.is_dead());
        assert!(b.write(msg("to nobody", false)).is_err());
    }

    #[test]
    fn a_clone_written_in_place_arrives_whole_and_leaves_the_original() {
        let (mut a, mut b) = pipe_pair([0, 0], "inproc://t");
        b.set_in_max_frame(8);
        let shared = Message::from(vec![7u8; 4]);
        for frame in [msg("head", true), shared.clone()] {
            assert!(a.write_clone(&frame));
            assert_eq!(
                b.check_read(),
                !frame.get_more(),
                "visible at the last frame"
            );
        }
        let head = b.read().unwrap();
        assert_eq!((&head[..], head.get_more()), (&b"head"[..], true));
        let body = b.read().unwrap();
        assert_eq!(&body[..], &[7u8; 4][..]);
        assert_eq!(body.as_ptr(), shared.as_ptr(), "a clone shares the body");
        // Over the reader's limit: the whole message is refused, and the
        // original stays the caller's.
        let long = msg("over the limit", true);
        assert!(a.write_clone(&long));
        assert!(a.write_clone(&msg("tail", false)));
        assert_eq!((&long[..], a.refused), (&b"over the limit"[..], 1));
        assert!(a.write_clone(&msg("next", false)));
        assert_eq!(&b.read().unwrap()[..], b"next");
        assert!(b.read().is_none(), "nothing of the refused message");
        drop(b);
        assert!(!a.write_clone(&msg("to nobody", false)));
    }

    #[test]
    fn a_writer_far_ahead_of_its_reader_cedes_at_its_next_message() {
        let (mut a, mut b) = pipe_pair([0, 0], "inproc://t");
        let body = || Message::from(vec![0u8; 64 * 1024]);
        // The reader is seen asleep at the first message, takes it and
        // stays awake (it never looks at an empty queue again).
        assert!(b.read().is_none());
        a.write(body()).unwrap();
        assert_eq!(a.out_unseen_bytes, 0);
        assert!(b.read().is_some());
        let per_cede = CEDE_AFTER_BYTES / (64 * 1024);
        for i in 1..per_cede {
            a.write(body()).unwrap();
            assert!(!a.cede_due, "not due after {i} bodies");
        }
        a.write(body()).unwrap();
        assert!(a.cede_due, "due once {CEDE_AFTER_BYTES} bytes are unseen");
        // The next message cedes first, then counts afresh.
        a.write(body()).unwrap();
        assert!(!a.cede_due);
        assert_eq!(a.out_unseen_bytes, 64 * 1024);
        assert!(a.cede_after_bytes >= CEDE_AFTER_BYTES);
        // A reader seen asleep has caught up: the count starts over.
        while b.read().is_some() {}
        a.write(body()).unwrap();
        assert_eq!(a.out_unseen_bytes, 0);
        assert_eq!(b.read().map(|m| m.len()), Some(64 * 1024));
    }

    #[test]
    fn a_batch_is_visible_at_its_flush_and_loses_nothing_to_a_rollback() {
        let (mut a, mut b) = pipe_pair([0, 0], "inproc://t");
        b.set_in_max_frame(8);
        a.write_unflushed(msg("one", false)).unwrap();
        a.write_unflushed(msg("two", false)).unwrap();
        assert!(!b.check_read(), "a batch is not visible before its flush");
        // Refused (over the reader's max frame): dropped alone.
        a.write_unflushed(msg("far too long", false)).unwrap();
        // A multipart message publishes what came before it; its own
        // frames, cut short, are taken back and nothing else.
        a.write_unflushed(msg("torn", true)).unwrap();
        assert_eq!(&b.read().unwrap()[..], b"one");
        a.flush();
        a.rollback();
        a.write_unflushed(msg("three", false)).unwrap();
        a.flush();
        assert_eq!(&b.read().unwrap()[..], b"two");
        assert_eq!(&b.read().unwrap()[..], b"three");
        assert!(b.read().is_none());
    }

    #[test]
    fn a_batch_at_the_hwm_is_published_before_the_writer_waits() {
        let (mut a, mut b) = pipe_pair([2, 2], "inproc://t");
        a.attach(PipeId::new(0, 0), Arc::new(Mailbox::new()));
        b.attach(PipeId::new(0, 0), Arc::new(Mailbox::new()));
        let mut written = 0;
        while a.check_write() {
            a.write_unflushed(msg("x", false)).unwrap();
            written += 1;
        }
        assert_eq!(written, 2, "this direction's capacity");
        let mut read = 0;
        while b.read().is_some() {
            read += 1;
        }
        assert_eq!(read, 2, "the writer waits only on what the reader sees");
    }

    /// A pipe whose side-0 sends travel as shared frames, as a PUB's do.
    fn shared_pair() -> (PipeEnd, PipeEnd) {
        pipe_pair_for([0, 0], "inproc://t", [true, false])
    }

    #[test]
    fn a_shared_lane_keeps_whole_messages_in_order_by_every_kind_of_write() {
        let (mut a, mut b) = shared_pair();
        assert!(a.sends_shared() && !b.sends_shared());
        let mut nodes = NodePool::default();
        let mut fan = FanOut::new(&mut nodes, msg("fanned", true));
        assert!(a.write_shared(&mut fan));
        assert!(!b.check_read(), "an unflushed shared frame is not visible");
        a.write(msg("moved", true)).unwrap();
        assert!(a.write_clone(&msg("cloned", false)));
        assert!(b.check_read(), "visible at the last frame");
        drop(fan);
        let mut got = Vec::new();
        while let Some(frame) = b.read() {
            got.push((String::from_utf8(frame.to_vec()).unwrap(), frame.get_more()));
        }
        let want = [("fanned", true), ("moved", true), ("cloned", false)];
        assert_eq!(
            got,
            want.map(|(body, more)| (body.to_owned(), more)).to_vec()
        );
        // The other direction carries whole frames, as before.
        b.write(msg("upstream", false)).unwrap();
        assert_eq!(&a.read().unwrap()[..], b"upstream");
    }

    #[test]
    fn a_shared_lane_refuses_and_rolls_back_whole_messages() {
        let (mut a, mut b) = shared_pair();
        b.set_in_max_frame(8);
        let mut nodes = NodePool::default();
        // Over the reader's limit at its second frame: the whole message
        // goes, and the frame before it is taken back.
        let mut head = FanOut::new(&mut nodes, msg("head", true));
        let mut long = FanOut::new(&mut nodes, msg("far too long", false));
        assert!(a.write_shared(&mut head));
        assert!(a.write_shared(&mut long));
        assert_eq!(a.refused, 1);
        // A multipart message cut short by the writer is rolled back.
        a.write(msg("torn", true)).unwrap();
        a.rollback();
        let body = Message::from(vec![5u8; 8]);
        let mut shared_body = FanOut::new(&mut nodes, body.clone());
        assert!(a.write_shared(&mut shared_body));
        a.flush();
        drop((head, long, shared_body));
        let got = b.read().unwrap();
        assert_eq!(&got[..], &[5u8; 8][..]);
        assert_eq!(
            got.as_ptr(),
            body.as_ptr(),
            "a shared frame shares the body"
        );
        assert!(b.read().is_none());
    }

    #[test]
    fn unread_shared_frames_are_freed_with_the_pipe() {
        use std::sync::Arc as StdArc;
        /// Holds the tracker for its count: dropped with the frame.
        struct Counted(#[allow(dead_code)] StdArc<()>);
        impl AsRef<[u8]> for Counted {
            fn as_ref(&self) -> &[u8] {
                b"counted"
            }
        }
        let tracker = StdArc::new(());
        let (mut a, b) = shared_pair();
        let mut nodes = NodePool::default();
        for i in 0..300 {
            let frame = Message::from_owner(Counted(tracker.clone()));
            if i % 2 == 0 {
                a.write(frame).unwrap();
            } else {
                let mut fan = FanOut::new(&mut nodes, frame);
                assert!(a.write_shared(&mut fan));
                a.flush();
            }
        }
        // Half a message, never published.
        a.write(Message::from_owner(Counted(tracker.clone())))
            .unwrap();
        a.write(msg("more", true)).unwrap();
        drop((a, b, nodes));
        assert_eq!(StdArc::strong_count(&tracker), 1, "every frame dropped");
    }
}
