//! The fair-queue routing block: takes messages from pipes round-robin, a
//! whole message at a time (libzmq's `fq`). Used by PULL, DEALER, ROUTER,
//! SUB and the rest of the receiving side.
//!
//! Built on [`ActiveSet`]: a pipe found empty leaves the usable prefix and
//! comes back when its writer sends `ActivateRead`.

use crate::msg::Message;
use crate::pattern::active::ActiveSet;
use crate::pattern::pipes::Pipes;
use crate::pipe::PipeId;

/// Round-robin over readable pipes, whole messages at a time.
#[derive(Debug, Default)]
pub(crate) struct Fq {
    /// The pipes; usable = may have messages.
    set: ActiveSet,
    /// In the middle of a multipart message (stay on the current pipe).
    more: bool,
}

impl Fq {
    /// Adds a pipe, to be checked for messages.
    pub(crate) fn attach(&mut self, id: PipeId) {
        self.set.attach(id);
    }

    /// Puts a pipe back in use (it has messages again).
    pub(crate) fn activate(&mut self, id: PipeId) {
        self.set.activate(id);
    }

    /// Forgets a pipe.
    pub(crate) fn terminated(&mut self, id: PipeId) {
        if self.set.remove(id) {
            self.more = false;
        }
    }

    /// Takes the next frame, with the pipe it came from.
    #[inline(always)]
    pub(crate) fn recv(&mut self, pipes: &mut Pipes) -> Option<(Message, PipeId)> {
        self.recv_with(pipes, |pipes, id| {
            let msg = pipes.read(id)?;
            let more = msg.get_more();
            Some(((msg, id), more))
        })
    }

    /// Takes the next frame into `out`, replacing what it held, for a
    /// socket that does not ask where it came from. The frame is copied
    /// once, from its pipe to `out` (see [`Pipes::read_into`]).
    #[inline(always)]
    pub(crate) fn recv_into(&mut self, pipes: &mut Pipes, out: &mut Message) -> bool {
        self.recv_into_if(pipes, out, |_| true).is_some()
    }

    /// Takes the next frame: into `out` when `accept` keeps it
    /// (`Some(true)`), else dropped in its pipe, `out` untouched
    /// (`Some(false)`); `None` when none is ready. Either way the walk
    /// moves on as for a frame taken (see [`in_message`](Self::in_message)).
    #[inline(always)]
    pub(crate) fn recv_into_if(
        &mut self,
        pipes: &mut Pipes,
        out: &mut Message,
        mut accept: impl FnMut(&Message) -> bool,
    ) -> Option<bool> {
        self.recv_with(pipes, |pipes, id| {
            let mut more = false;
            let accepted = pipes.read_into_if(id, out, |frame| {
                more = frame.get_more();
                accept(frame)
            })?;
            Some((accepted, more))
        })
    }

    /// Whether the last frame taken has more frames after it: the walk stays
    /// on its pipe for the rest of the message.
    pub(crate) fn in_message(&self) -> bool {
        self.more
    }

    /// The fair-queue walk: `read` takes a frame from a pipe and says
    /// whether more frames of its message follow.
    #[inline(always)]
    fn recv_with<R>(
        &mut self,
        pipes: &mut Pipes,
        mut read: impl FnMut(&mut Pipes, PipeId) -> Option<(R, bool)>,
    ) -> Option<R> {
        let mut empty = 0;
        while let Some(id) = self.set.current() {
            match read(pipes, id) {
                Some((frame, more)) => {
                    self.more = more;
                    if !more {
                        self.set.advance();
                    }
                    return Some(frame);
                }
                None if pipes.spinning() => {
                    // Not marked asleep, so no ActivateRead will come: keep
                    // it in use and look at the next one.
                    empty += 1;
                    if empty >= self.set.active_len() {
                        return None;
                    }
                    self.set.advance();
                }
                None => {
                    // The frames of a message are published together, so a
                    // pipe cannot run dry mid-message unless it died.
                    self.more = false;
                    self.set.deactivate_current();
                }
            }
        }
        None
    }

    /// Whether a frame is ready.
    pub(crate) fn has_in(&mut self, pipes: &mut Pipes) -> bool {
        if self.more {
            return true;
        }
        let mut empty = 0;
        while let Some(id) = self.set.current() {
            if pipes.check_read(id) {
                return true;
            }
            if pipes.spinning() {
                // Spinning: nothing was marked asleep, so no ActivateRead
                // will come for this pipe; keep it in the usable set.
                empty += 1;
                if empty >= self.set.active_len() {
                    return false;
                }
                self.set.advance();
                continue;
            }
            // Not ready: `check_read` marked it asleep, so its writer will
            // send ActivateRead; a finished pipe goes to the dead list.
            if pipes.get(id).is_some_and(|e| e.end.peer_closed()) {
                pipes.mark_dead(id);
            }
            self.set.deactivate_current();
        }
        false
    }
}
