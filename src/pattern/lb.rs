//! The load-balancer routing block: sends each message to the next pipe that
//! has room, round-robin (libzmq's `lb`). Used by PUSH, DEALER and REQ.
//!
//! Built on [`ActiveSet`]: a pipe that fills up leaves the usable prefix
//! and comes back when its reader returns credit.

use crate::error::Error;
use crate::msg::Message;
use crate::pattern::active::ActiveSet;
use crate::pattern::pipes::Pipes;
use crate::pipe::PipeId;

/// Round-robin over writable pipes, whole messages at a time.
#[derive(Debug, Default)]
pub(crate) struct Lb {
    /// The pipes; usable = has room.
    set: ActiveSet,
    /// In the middle of a multipart message (stay on the current pipe).
    more: bool,
    /// The pipe we were writing a multipart message to has gone: drop the
    /// remaining frames.
    dropping: bool,
}

impl Lb {
    /// Adds a pipe, ready for writing.
    pub(crate) fn attach(&mut self, id: PipeId) {
        self.set.attach(id);
    }

    /// Puts a pipe back in use (it has room again).
    pub(crate) fn activate(&mut self, id: PipeId) {
        self.set.activate(id);
    }

    /// Forgets a pipe.
    pub(crate) fn terminated(&mut self, id: PipeId) {
        if self.set.remove(id) && self.more {
            self.dropping = true;
            self.more = false;
        }
    }

    /// Sends one frame. `EAGAIN` (with the frame back) when no pipe has room.
    #[inline]
    pub(crate) fn send(&mut self, pipes: &mut Pipes, msg: Message) -> Result<(), (Error, Message)> {
        self.send_with_pipe(pipes, msg).map(|_| ())
    }

    /// Like [`send`](Self::send), also telling which pipe took the frame
    /// (None when the frame was dropped: the rest of a message whose pipe went).
    pub(crate) fn send_with_pipe(
        &mut self,
        pipes: &mut Pipes,
        mut msg: Message,
    ) -> Result<Option<PipeId>, (Error, Message)> {
        self.send_from(pipes, &mut msg)
            .map_err(|error| (error, msg))
    }

    /// Sends `*msg`, leaving an empty message in its place (see
    /// [`PipeEnd::write_from`](crate::pipe::PipeEnd::write_from)); on
    /// `EAGAIN`, `*msg` is untouched. Tells which pipe took the frame, as
    /// [`send_with_pipe`](Self::send_with_pipe).
    #[inline(always)]
    pub(crate) fn send_from(
        &mut self,
        pipes: &mut Pipes,
        msg: &mut Message,
    ) -> Result<Option<PipeId>, Error> {
        if self.dropping {
            self.dropping = msg.get_more();
            drop(std::mem::take(msg));
            return Ok(None);
        }
        while let Some(id) = self.set.current() {
            // One table lookup for the credit check and the write.
            let Some(entry) = pipes.get(id) else {
                self.set.deactivate_current();
                continue;
            };
            if !self.more && !entry.end.check_write() {
                self.set.deactivate_current();
                continue;
            }
            let more = msg.get_more();
            if entry.end.write_from(msg) {
                self.more = more;
                if !more {
                    self.set.advance();
                }
                return Ok(Some(id));
            }
            // The peer has gone. Mid-message, the frames already written
            // will never be published: drop the rest.
            let was_more = self.more;
            self.set.deactivate_current();
            if was_more {
                self.more = false;
                self.dropping = more;
                drop(std::mem::take(msg));
                return Ok(None);
            }
        }
        Err(Error::EAGAIN)
    }

    /// Whether a send would not block now.
    pub(crate) fn has_out(&mut self, pipes: &mut Pipes) -> bool {
        if self.more {
            return true;
        }
        while let Some(id) = self.set.current() {
            if pipes.check_write(id) {
                return true;
            }
            self.set.deactivate_current();
        }
        false
    }
}
