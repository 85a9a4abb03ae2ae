//! The load-balancer routing block: sends each message to the next pipe that
//! has room, round-robin (libzmq's `lb`). Used by PUSH, DEALER and REQ.
//!
//! Pipes live in one vector whose first `active` entries have room; a pipe
//! that fills up is swapped out of that prefix in O(1) and swapped back in
//! when its reader returns credit.

use crate::error::Error;
use crate::msg::Message;
use crate::pattern::pipes::Pipes;
use crate::pipe::PipeId;

/// Round-robin over writable pipes, whole messages at a time.
#[derive(Debug, Default)]
pub(crate) struct Lb {
    pipes: Vec<PipeId>,
    active: usize,
    current: usize,
    /// In the middle of a multipart message (stay on `current`).
    more: bool,
    /// The pipe we were writing a multipart message to has gone: drop the
    /// remaining frames.
    dropping: bool,
}

impl Lb {
    /// Adds a pipe, ready for writing.
    pub(crate) fn attach(&mut self, id: PipeId) {
        self.pipes.push(id);
        self.activate(id);
    }

    /// Puts a pipe back in the active prefix (it has room again).
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
        if pos == self.current && self.more {
            self.dropping = true;
            self.more = false;
        }
        if pos < self.active {
            self.active -= 1;
            self.pipes.swap(pos, self.active);
            pos = self.active;
        }
        // `pos` is in the inactive tail; swap_remove keeps the prefix intact.
        self.pipes.swap_remove(pos);
        if self.current >= self.active {
            self.current = 0;
        }
    }

    /// Sends one frame. `EAGAIN` (with the frame back) when no pipe has room.
    #[inline]
    pub(crate) fn send(&mut self, pipes: &mut Pipes, msg: Message) -> Result<(), (Error, Message)> {
        self.send_with_pipe(pipes, msg).map(|_| ())
    }

    /// Like [`send`](Self::send), also telling which pipe took the frame
    /// (None when the frame was dropped: the rest of a message whose pipe went).
    #[inline]
    pub(crate) fn send_with_pipe(
        &mut self,
        pipes: &mut Pipes,
        mut msg: Message,
    ) -> Result<Option<PipeId>, (Error, Message)> {
        if self.dropping {
            self.dropping = msg.get_more();
            return Ok(None);
        }
        while self.active > 0 {
            let id = self.pipes[self.current];
            if !self.more && !pipes.check_write(id) {
                self.deactivate_at(self.current);
                continue;
            }
            let more = msg.get_more();
            match pipes.write(id, msg) {
                Ok(()) => {
                    self.more = more;
                    if !more {
                        self.current = (self.current + 1) % self.active;
                    }
                    return Ok(Some(id));
                }
                Err(back) => {
                    // The peer has gone. Mid-message, the frames already
                    // written will never be published: drop the rest.
                    let was_more = self.more;
                    self.deactivate_at(self.current);
                    if was_more {
                        self.more = false;
                        self.dropping = more;
                        return Ok(None);
                    }
                    msg = back;
                }
            }
        }
        Err((Error::EAGAIN, msg))
    }

    /// Whether a send would not block now.
    pub(crate) fn has_out(&mut self, pipes: &mut Pipes) -> bool {
        if self.more {
            return true;
        }
        while self.active > 0 {
            if pipes.check_write(self.pipes[self.current]) {
                return true;
            }
            self.deactivate_at(self.current);
        }
        false
    }
}
