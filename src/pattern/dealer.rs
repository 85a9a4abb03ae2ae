//! DEALER (RFC 28): load-balances outgoing messages and fair-queues incoming
//! ones, with no envelope handling of its own.

use super::fq::Fq;
use super::lb::Lb;
use super::pipes::Pipes;
use super::Pattern;
use crate::error::{Error, Result};
use crate::msg::Message;
use crate::pipe::PipeId;
use crate::socket::options::Options;

#[derive(Default)]
pub(crate) struct Dealer {
    lb: Lb,
    fq: Fq,
}

/// PROBE_ROUTER: greet a new peer with an empty message so a ROUTER learns
/// our routing id at once.
pub(super) fn probe(id: PipeId, pipes: &mut Pipes, options: &Options) {
    if options.probe_router && pipes.check_write(id) {
        let _ = pipes.write(id, Message::new());
    }
}

impl Pattern for Dealer {
    fn attach(&mut self, id: PipeId, pipes: &mut Pipes, options: &Options) {
        probe(id, pipes, options);
        self.lb.attach(id);
        self.fq.attach(id);
    }
    fn read_activated(&mut self, id: PipeId, _: &mut Pipes) {
        self.fq.activate(id);
    }
    fn write_activated(&mut self, id: PipeId, _: &mut Pipes) {
        self.lb.activate(id);
    }
    fn terminated(&mut self, id: PipeId, _: &mut Pipes) {
        self.lb.terminated(id);
        self.fq.terminated(id);
    }
    #[inline]
    fn send(
        &mut self,
        msg: Message,
        pipes: &mut Pipes,
        _: &Options,
    ) -> std::result::Result<(), (Error, Message)> {
        self.lb.send(pipes, msg)
    }
    #[inline]
    fn recv(&mut self, pipes: &mut Pipes, _: &Options) -> Result<Message> {
        self.fq.recv(pipes).map(|(msg, _)| msg).ok_or(Error::EAGAIN)
    }
    fn has_in(&mut self, pipes: &mut Pipes) -> bool {
        self.fq.has_in(pipes)
    }
    fn has_out(&mut self, pipes: &mut Pipes) -> bool {
        self.lb.has_out(pipes)
    }
}
