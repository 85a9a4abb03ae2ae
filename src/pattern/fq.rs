//! The fair-queue routing block: takes messages from pipes round-robin, a
//! whole message at a time (libzmq's `fq`). Used by PULL, DEALER, ROUTER,
//! SUB and the rest of the receiving side.
//!
//! Like [`Lb`](super::lb::Lb), pipes live in one vector whose first `active`
//! entries may have messages; a pipe found empty is swapped out in O(1) and
//! back in when its writer sends `ActivateRead`.

use crate::msg::Message;
use crate::pattern::pipes::Pipes;
use crate::pipe::PipeId;

/// Round-robin over readable pipes, whole messages at a time.
#[derive(Debug, Default)]
pub(crate) struct Fq {
    pipes: Vec<PipeId>,
    active: usize,
    current: usize,
    /// In the middle of a multipart message (stay on `current`).
    more: bool,
}

impl Fq {
    /// Adds a pipe, to be checked for messages.
    pub(crate) fn attach(&mut self, id: PipeId) {
        self.pipes.push(id);
        self.activate(id);
    }

    /// Puts a pipe back in the active prefix (it has messages again).
    pub(crate) fn activate(&mut self, id: PipeId) {
        if let Some(pos) = self.pipes.iter().position(|&p| p == id) {
            if pos >= self.active {
                self.pipes.swap(pos, self.active);
                self.active += 1;
            }
        }
    }

    fn deactivate_at(&mut self, pos: usize) {
        self.active -= 1;
        self.pipes.swap(pos, self.active);
        if self.current == self.active {
            self.current = 0;
        }
    }

    /// Forgets a pipe.
    pub(crate) fn terminated(&mut self, id: PipeId) {
        let Some(mut pos) = self.pipes.iter().position(|&p| p == id) else {
            return;
        };
        if pos == self.current {
            self.more = false;
        }
        if pos < self.active {
            self.active -= 1;
            self.pipes.swap(pos, self.active);
            pos = self.active;
        }
        self.pipes.swap_remove(pos);
        if self.current >= self.active {
            self.current = 0;
        }
    }

    /// Takes the next frame, with the pipe it came from.
    #[inline]
    pub(crate) fn recv(&mut self, pipes: &mut Pipes) -> Option<(Message, PipeId)> {
        while self.active > 0 {
            let id = self.pipes[self.current];
            match pipes.read(id) {
                Some(msg) => {
                    self.more = msg.get_more();
                    if !self.more {
                        self.current = (self.current + 1) % self.active;
                    }
                    return Some((msg, id));
                }
                None => {
                    // The frames of a message are published together, so a
                    // pipe cannot run dry mid-message unless it died.
                    self.more = false;
                    self.deactivate_at(self.current);
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
        while self.active > 0 {
            if pipes.check_read(self.pipes[self.current]) {
                return true;
            }
            // Not ready: `check_read` marked it asleep, so its writer will
            // send ActivateRead; a finished pipe goes to the dead list.
            let id = self.pipes[self.current];
            if pipes.get(id).is_some_and(|e| e.end.peer_closed()) {
                pipes.mark_dead(id);
            }
            self.deactivate_at(self.current);
        }
        false
    }
}
