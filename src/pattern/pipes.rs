//! The pipe table: every pipe a socket owns, by [`PipeId`].
//!
//! Routing blocks keep ids, not pipes, and go through the table to read and
//! write. A read that finds a pipe finished (peer closed, nothing left) puts
//! it on the table's dead list; the socket reaps that list after each
//! operation, telling the pattern once per pipe.

use crate::config::{DIRECT_READ_MAX_PIPES, READ_PACE_PAUSES};
use crate::msg::Message;
use crate::pipe::{Driver, FanOut, PeerInfo, PipeEnd, PipeId};
use crate::sync::{spin_loop, DynArc};

struct Slot {
    generation: u32,
    entry: Option<Entry>,
}

/// A pipe and what the socket knows about it.
pub(crate) struct Entry {
    /// The pipe itself.
    pub(crate) end: PipeEnd,
    /// The socket at the other end.
    pub(crate) peer: PeerInfo,
    /// Already on the dead list.
    dead: bool,
}

/// The table of a socket's pipes.
#[derive(Default)]
pub(crate) struct Pipes {
    slots: Vec<Slot>,
    free: Vec<u32>,
    dead: Vec<PipeId>,
    len: usize,
    /// While set, an empty pipe is not marked asleep by a read: its writer
    /// will not send `ActivateRead`, so readers must not set the pipe aside
    /// either (see [`Fq`](super::fq::Fq)). A receive that may block reads
    /// this way while it spins, and marks pipes asleep only just before it
    /// parks, so a writer pays no wake-up command while its reader spins.
    spinning: bool,
    /// While set, the next spinning read of a pipe whose reader keeps pace
    /// with its writer one frame at a time first pauses, once (see
    /// [`read_with`](Self::read_with)). A blocking receive of a socket that
    /// streams sets it for its first try.
    pacing: bool,
    /// A receive is reading its network peers' streams itself
    /// ([`drive_in`](Self::drive_in)), those of `driven`.
    driving: bool,
    driven: Vec<DynArc<dyn Driver>>,
}

impl Pipes {
    /// The id the next [`insert`](Self::insert) will return.
    pub(crate) fn next_id(&self) -> PipeId {
        match self.free.last() {
            Some(&index) => PipeId::new(index, self.slots[index as usize].generation),
            None => PipeId::new(self.slots.len() as u32, 0),
        }
    }

    /// Adds a pipe; returns its id (equal to [`next_id`](Self::next_id)).
    pub(crate) fn insert(&mut self, end: PipeEnd, peer: PeerInfo) -> PipeId {
        let id = self.next_id();
        let entry = Some(Entry {
            end,
            peer,
            dead: false,
        });
        if id.index() == self.slots.len() {
            self.slots.push(Slot {
                generation: 0,
                entry,
            });
        } else {
            self.free.pop();
            self.slots[id.index()].entry = entry;
        }
        self.len += 1;
        id
    }

    /// Removes a pipe, closing our end.
    pub(crate) fn remove(&mut self, id: PipeId) -> Option<Entry> {
        let slot = self.slots.get_mut(id.index())?;
        if slot.generation != id.generation() || slot.entry.is_none() {
            return None;
        }
        let entry = slot.entry.take();
        slot.generation = slot.generation.wrapping_add(1);
        self.free.push(id.index() as u32);
        self.len -= 1;
        entry
    }

    /// The pipe with this id, if it is still here.
    #[inline]
    pub(crate) fn get(&mut self, id: PipeId) -> Option<&mut Entry> {
        let slot = self.slots.get_mut(id.index())?;
        if slot.generation != id.generation() {
            return None;
        }
        slot.entry.as_mut()
    }

    /// Ids of every pipe.
    pub(crate) fn ids(&self) -> Vec<PipeId> {
        self.slots
            .iter()
            .enumerate()
            .filter(|(_, s)| s.entry.is_some())
            .map(|(i, s)| PipeId::new(i as u32, s.generation))
            .collect()
    }

    /// Number of pipes.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// While a receive spins: runs on this thread the network engines at
    /// the other end of our pipes (direct I/O, see `pipe::Driver`), so a
    /// message that reached the stream is read now instead of after a
    /// wake-up of the I/O thread. Only for a socket with a few pipes: one
    /// read per engine per spin round is cheap for a client, not for a
    /// server with thousands of connections, which its I/O threads serve.
    /// True when some stream was read (so each round costs a system call).
    pub(crate) fn drive_in(&mut self, likely_ready: bool) -> bool {
        if self.len > DIRECT_READ_MAX_PIPES {
            return false;
        }
        // (Re)collect while some pipe has no driver yet: a connect's engine
        // is made on the I/O thread, perhaps after the first receive. An
        // inproc pipe never has one, so an inproc socket looks each round;
        // that is a load per pipe, while it spins anyway.
        if !self.driving || self.driven.len() < self.len {
            self.driving = true;
            self.driven.clear();
            self.driven.extend(
                self.slots
                    .iter()
                    .filter_map(|slot| slot.entry.as_ref()?.end.peer_driver()),
            );
        }
        let mut drove = false;
        for driver in &self.driven {
            drove |= driver.drive_in(likely_ready);
        }
        drove
    }

    /// Gives the streams [`drive_in`](Self::drive_in) read back to their
    /// I/O threads: before a receive parks, before a poll looks, and when
    /// the socket goes.
    pub(crate) fn end_drive_in(&mut self) {
        if self.driving {
            self.driving = false;
            for driver in self.driven.drain(..) {
                driver.end_drive_in();
            }
        }
    }

    /// Whether reads leave empty pipes awake (see `spinning`).
    #[inline]
    pub(crate) fn spinning(&self) -> bool {
        self.spinning
    }

    /// Sets whether reads leave empty pipes awake (see `spinning`).
    #[inline]
    pub(crate) fn set_spinning(&mut self, spinning: bool) {
        self.spinning = spinning;
        self.pacing = false;
    }

    /// Sets whether the next spinning read may pause first (see `pacing`);
    /// after [`set_spinning`](Self::set_spinning), which clears it.
    #[inline]
    pub(crate) fn set_pacing(&mut self, pacing: bool) {
        self.pacing = pacing;
    }

    /// Reads a frame from a pipe. `None` when it is empty (or gone); a pipe
    /// found finished goes on the dead list. Unless spinning, an empty pipe
    /// is marked asleep: its writer's next flush sends `ActivateRead`.
    #[inline(always)]
    pub(crate) fn read(&mut self, id: PipeId) -> Option<Message> {
        self.read_with(id, PipeEnd::read)
    }

    /// Reads a frame from a pipe into `out`, replacing what it held: as
    /// [`read`](Self::read), true for `Some` (see [`PipeEnd::read_into`]).
    #[inline(always)]
    pub(crate) fn read_into(&mut self, id: PipeId, out: &mut Message) -> bool {
        self.read_into_if(id, out, |_| true).is_some()
    }

    /// Reads a frame from a pipe into `out` if `accept` keeps it, else
    /// drops it (see [`PipeEnd::read_into_if`]); `None` as `read`'s.
    #[inline(always)]
    pub(crate) fn read_into_if(
        &mut self,
        id: PipeId,
        out: &mut Message,
        accept: impl FnOnce(&Message) -> bool,
    ) -> Option<bool> {
        self.read_with(id, |end| end.read_into_if(out, accept))
    }

    #[inline(always)]
    fn read_with<R>(
        &mut self,
        id: PipeId,
        read: impl FnOnce(&mut PipeEnd) -> Option<R>,
    ) -> Option<R> {
        let spinning = self.spinning;
        let pacing = std::mem::take(&mut self.pacing);
        let entry = self.get(id)?;
        if pacing && entry.end.caught_up_on_small_batch() {
            // The reader keeps pace with a busy writer one frame at a time,
            // and every look at the pipe's shared counter takes that cache
            // line from the writer's core, for its next flush to take back:
            // a transfer per message, which bounds the stream. A pause
            // before looking lets a batch gather (the writer's flushes meet
            // the line in its own cache), and costs this receive nothing it
            // could have had sooner but a frame published meanwhile.
            pace_before_look();
        }
        if spinning && !entry.end.peek_ready() {
            return None;
        }
        if let Some(read) = read(&mut entry.end) {
            return Some(read);
        }
        if !entry.dead && entry.end.is_dead() {
            entry.dead = true;
            self.dead.push(id);
        }
        None
    }

    /// Whether a frame is ready on this pipe (marks it asleep when not,
    /// unless spinning).
    #[inline]
    pub(crate) fn check_read(&mut self, id: PipeId) -> bool {
        // While spinning (a poller peeking before it sleeps), look without
        // marking the pipe asleep, as spinning reads do.
        let spinning = self.spinning;
        match self.get(id) {
            Some(entry) if spinning => entry.end.peek_ready(),
            Some(entry) => entry.end.check_read(),
            None => false,
        }
    }

    /// Whether a new message may be written to this pipe now.
    #[inline]
    pub(crate) fn check_write(&mut self, id: PipeId) -> bool {
        match self.get(id) {
            Some(entry) => entry.end.check_write(),
            None => false,
        }
    }

    /// Writes a frame; hands it back when the pipe is gone.
    #[inline]
    pub(crate) fn write(&mut self, id: PipeId, msg: Message) -> Result<(), Message> {
        match self.get(id) {
            Some(entry) => entry.end.write(msg),
            None => Err(msg),
        }
    }

    /// Writes a clone of `msg` to a pipe (see [`PipeEnd::write_clone`]);
    /// false if the pipe is unknown or its peer has gone.
    #[inline]
    pub(crate) fn write_clone(&mut self, id: PipeId, msg: &Message) -> bool {
        self.get(id).is_some_and(|entry| entry.end.write_clone(msg))
    }

    /// Writes a fan-out's frame to a pipe (see [`PipeEnd::write_shared`]);
    /// false if the pipe is unknown or its peer has gone.
    #[inline]
    pub(crate) fn write_shared(&mut self, id: PipeId, fan: &mut FanOut) -> bool {
        self.get(id)
            .is_some_and(|entry| entry.end.write_shared(fan))
    }

    /// Publishes what was written to a pipe (see [`PipeEnd::flush`]).
    #[inline]
    pub(crate) fn flush(&mut self, id: PipeId) {
        if let Some(entry) = self.get(id) {
            entry.end.flush();
        }
    }

    /// Whether a pipe's sends travel as shared frames.
    #[inline]
    pub(crate) fn sends_shared(&mut self, id: PipeId) -> bool {
        self.get(id).is_some_and(|entry| entry.end.sends_shared())
    }

    /// Takes back the frames of an unfinished message written to a pipe.
    pub(crate) fn rollback(&mut self, id: PipeId) {
        if let Some(entry) = self.get(id) {
            entry.end.rollback();
        }
    }

    /// Puts a pipe on the dead list (the peer closed it and it is drained, or
    /// the pattern refuses it).
    pub(crate) fn mark_dead(&mut self, id: PipeId) {
        if let Some(entry) = self.get(id) {
            if !entry.dead {
                entry.dead = true;
                self.dead.push(id);
            }
        }
    }

    /// Takes the dead list.
    pub(crate) fn take_dead(&mut self) -> Vec<PipeId> {
        std::mem::take(&mut self.dead)
    }

    /// Whether any pipe is waiting to be reaped.
    pub(crate) fn has_dead(&self) -> bool {
        !self.dead.is_empty()
    }
}

/// Reads every frame a pipe end holds (for the patterns' unit tests).
/// The pause of a paced read (`Pipes::pacing`).
#[inline]
fn pace_before_look() {
    for _ in 0..READ_PACE_PAUSES {
        spin_loop();
    }
}

#[cfg(test)]
pub(crate) fn drain(end: &mut PipeEnd) -> Vec<Vec<u8>> {
    std::iter::from_fn(|| end.read())
        .map(|m| m.to_vec())
        .collect()
}

impl Drop for Pipes {
    fn drop(&mut self) {
        self.end_drive_in();
    }
}

#[cfg(all(test, not(zactor_loom)))]
mod tests {
    use super::*;
    use crate::pipe::pipe_pair;

    #[test]
    fn a_paced_read_pauses_once_and_loses_nothing() {
        let (mut writer, reader) = pipe_pair([0, 0], "inproc://paced");
        let mut pipes = Pipes::default();
        let id = pipes.insert(reader, PeerInfo { routing_id: None });
        let mut out = Message::new();
        for round in 0..3u8 {
            writer
                .write(Message::from(&[round][..]))
                .unwrap_or_else(|_| panic!("peer gone"));
            pipes.set_spinning(true);
            pipes.set_pacing(true);
            assert_eq!(pipes.read_into_if(id, &mut out, |_| true), Some(true));
            assert_eq!(&out[..], &[round]);
            assert!(!pipes.pacing, "one pause per receive at most");
            let end = &pipes.get(id).expect("pipe").end;
            assert!(end.caught_up_on_small_batch(), "one frame per look");
        }
        pipes.set_spinning(true);
        pipes.set_pacing(true);
        assert_eq!(pipes.read_into_if(id, &mut out, |_| true), None);
        assert!(!pipes.pacing);
    }
}
