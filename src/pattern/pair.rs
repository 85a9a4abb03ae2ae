//! PAIR (RFC 31): exactly one peer; a second one is refused.

use super::pipes::Pipes;
use super::{recv_by_place, send_by_place, Pattern};
use crate::error::{Error, Result};
use crate::msg::Message;
use crate::pipe::PipeId;
use crate::socket::options::Options;

#[derive(Default)]
pub(crate) struct Pair {
    peer: Option<PipeId>,
}

impl Pattern for Pair {
    fn attach(&mut self, id: PipeId, pipes: &mut Pipes, _: &Options) {
        if self.peer.is_some() {
            // Exclusive: refuse the newcomer, as libzmq does.
            pipes.mark_dead(id);
        } else {
            self.peer = Some(id);
        }
    }
    fn read_activated(&mut self, _: PipeId, _: &mut Pipes) {}
    fn write_activated(&mut self, _: PipeId, _: &mut Pipes) {}
    fn terminated(&mut self, id: PipeId, _: &mut Pipes) {
        if self.peer == Some(id) {
            self.peer = None;
        }
    }
    fn send(
        &mut self,
        msg: Message,
        pipes: &mut Pipes,
        options: &Options,
    ) -> std::result::Result<(), (Error, Message)> {
        send_by_place(self, msg, pipes, options)
    }
    #[inline]
    fn send_from(&mut self, msg: &mut Message, pipes: &mut Pipes, _: &Options) -> Result<()> {
        let Some(entry) = self.peer.and_then(|id| pipes.get(id)) else {
            return Err(Error::EAGAIN);
        };
        // A failed write means the peer has gone; its PipeTerm will follow.
        if entry.end.check_write() && entry.end.write_from(msg) {
            Ok(())
        } else {
            Err(Error::EAGAIN)
        }
    }
    fn recv(&mut self, pipes: &mut Pipes, options: &Options) -> Result<Message> {
        recv_by_place(self, pipes, options)
    }
    #[inline]
    fn recv_into(&mut self, out: &mut Message, pipes: &mut Pipes, _: &Options) -> Result<()> {
        let id = self.peer.ok_or(Error::EAGAIN)?;
        pipes.read_into(id, out).then_some(()).ok_or(Error::EAGAIN)
    }
    fn has_in(&mut self, pipes: &mut Pipes) -> bool {
        self.peer.is_some_and(|id| pipes.check_read(id))
    }
    fn has_out(&mut self, pipes: &mut Pipes) -> bool {
        self.peer.is_some_and(|id| pipes.check_write(id))
    }
}
