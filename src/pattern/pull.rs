//! PULL (RFC 30): fair-queues messages from its peers; never sends.

use super::fq::Fq;
use super::pipes::Pipes;
use super::{recv_by_place, Pattern};
use crate::error::{Error, Result};
use crate::msg::Message;
use crate::pipe::PipeId;
use crate::socket::options::Options;

#[derive(Default)]
pub(crate) struct Pull {
    fq: Fq,
}

impl Pattern for Pull {
    fn attach(&mut self, id: PipeId, _: &mut Pipes, _: &Options) {
        self.fq.attach(id);
    }
    fn read_activated(&mut self, id: PipeId, _: &mut Pipes) {
        self.fq.activate(id);
    }
    fn write_activated(&mut self, _: PipeId, _: &mut Pipes) {}
    fn terminated(&mut self, id: PipeId, _: &mut Pipes) {
        self.fq.terminated(id);
    }
    fn send(
        &mut self,
        msg: Message,
        _: &mut Pipes,
        _: &Options,
    ) -> std::result::Result<(), (Error, Message)> {
        Err((Error::ENOTSUP, msg))
    }
    fn recv(&mut self, pipes: &mut Pipes, options: &Options) -> Result<Message> {
        recv_by_place(self, pipes, options)
    }
    #[inline]
    fn recv_into(&mut self, out: &mut Message, pipes: &mut Pipes, _: &Options) -> Result<()> {
        self.fq
            .recv_into(pipes, out)
            .then_some(())
            .ok_or(Error::EAGAIN)
    }
    fn has_in(&mut self, pipes: &mut Pipes) -> bool {
        self.fq.has_in(pipes)
    }
    fn has_out(&mut self, _: &mut Pipes) -> bool {
        false
    }
}
