//! One direction of a pipe: a queue of whole frames, or, for a socket that
//! fans each message out to many inproc peers (PUB, XPUB), a queue of
//! handles to one shared copy of each frame.
//!
//! Why a fan-out needs the second kind: a pipe's slot is a whole
//! `Message`, 80 bytes. A publisher with a hundred subscribers on another
//! core writes a hundred slots per message, and each slot's cache lines
//! were last read by that core, so each write waits for them to come back:
//! about 1.25 line transfers per delivery, which bound PUB→100 SUB on two
//! cores (DESIGN.md, "Where the time goes"). A [`SharedFrame`] is one
//! pointer: eight deliveries share a line, and the frame itself is written
//! once and read by every subscriber from their core's cache.
//!
//! The two kinds carry the same frames, in the same order, with the same
//! flush, credit and termination (the queue below is the same); only what
//! a slot holds differs. The kind of each direction is fixed when the pipe
//! is made, from the writing socket's type (see `pipe_pair_for`).

use std::mem;

use super::queue::{Flush, Reader, Writer};
use super::shared_frame::{FanOut, Frees, NodePool, SharedFrame};
use crate::msg::Message;

/// The writing half of one direction.
pub(crate) enum OutLane {
    /// Each slot holds a frame.
    Frames(Writer<Message>),
    /// Each slot holds a handle to a frame shared with other pipes; a frame
    /// written to this pipe alone gets a node from the lane's own pool.
    Shared(Writer<SharedFrame>, NodePool),
}

/// The reading half of one direction.
pub(crate) enum InLane {
    /// Each slot holds a frame.
    Frames(Reader<Message>),
    /// Each slot holds a handle to a frame shared with other pipes; the
    /// nodes this reader frees are owed to their blocks in its `Frees`.
    Shared(Reader<SharedFrame>, Frees),
}

impl OutLane {
    /// Appends `*msg`, leaving an empty message in its place.
    #[inline(always)]
    pub(crate) fn write_from(&mut self, msg: &mut Message) {
        match self {
            OutLane::Frames(w) => w.write_from(msg),
            OutLane::Shared(w, pool) => w.write(SharedFrame::new(pool, mem::take(msg))),
        }
    }

    /// Appends a clone of `msg`.
    #[inline(always)]
    pub(crate) fn write_clone(&mut self, msg: &Message) {
        match self {
            OutLane::Frames(w) => w.write_clone(msg),
            OutLane::Shared(w, pool) => w.write(SharedFrame::new(pool, msg.clone())),
        }
    }

    /// Appends a handle to `fan`'s frame (a clone of its message on a lane
    /// of whole frames).
    #[inline(always)]
    pub(crate) fn write_shared(&mut self, fan: &mut FanOut) {
        match self {
            OutLane::Frames(w) => w.write_clone(fan.message()),
            OutLane::Shared(w, _) => w.write(fan.handle()),
        }
    }

    /// Whether this lane holds handles to shared frames.
    #[inline(always)]
    pub(crate) fn is_shared(&self) -> bool {
        matches!(self, OutLane::Shared(..))
    }

    #[inline(always)]
    pub(crate) fn flush(&mut self) -> Flush {
        match self {
            OutLane::Frames(w) => w.flush(),
            OutLane::Shared(w, _) => w.flush(),
        }
    }

    pub(crate) fn rollback(&mut self) {
        match self {
            OutLane::Frames(w) => w.rollback(),
            OutLane::Shared(w, _) => w.rollback(),
        }
    }
}

impl InLane {
    /// Takes the next frame, or `None` (the reader now asleep).
    #[inline(always)]
    pub(crate) fn read(&mut self) -> Option<Message> {
        match self {
            InLane::Frames(r) => r.read(),
            InLane::Shared(r, frees) => r.read().map(|frame| frame.into_message(frees)),
        }
    }

    /// Takes the next frame into `out` if `accept` keeps it (see
    /// [`Reader::read_into_if`]).
    #[inline(always)]
    pub(crate) fn read_into_if(
        &mut self,
        out: &mut Message,
        accept: impl FnOnce(&Message) -> bool,
    ) -> Option<bool> {
        match self {
            InLane::Frames(r) => r.read_into_if(out, accept),
            InLane::Shared(r, frees) => {
                let frame = r.read()?;
                let keep = accept(frame.message());
                if keep {
                    frame.move_into(out, frees);
                }
                Some(keep)
            }
        }
    }

    #[inline(always)]
    pub(crate) fn caught_up_on_small_batch(&self) -> bool {
        match self {
            InLane::Frames(r) => r.caught_up_on_small_batch(),
            InLane::Shared(r, _) => r.caught_up_on_small_batch(),
        }
    }

    #[inline(always)]
    pub(crate) fn peek_ready(&self) -> bool {
        match self {
            InLane::Frames(r) => r.peek_ready(),
            InLane::Shared(r, _) => r.peek_ready(),
        }
    }

    #[inline(always)]
    pub(crate) fn check_read(&mut self) -> bool {
        match self {
            InLane::Frames(r) => r.check_read(),
            InLane::Shared(r, _) => r.check_read(),
        }
    }
}
