//! PUSH (RFC 30): round-robins messages over its peers, blocking when none
//! has room; never receives.

use super::lb::Lb;
use super::pipes::Pipes;
use super::{send_by_place, Pattern};
use crate::error::{Error, Result};
use crate::msg::Message;
use crate::pipe::PipeId;
use crate::socket::options::Options;

#[derive(Default)]
pub(crate) struct Push {
    lb: Lb,
}

impl Pattern for Push {
    fn attach(&mut self, id: PipeId, _: &mut Pipes, _: &Options) {
        self.lb.attach(id);
    }
    fn read_activated(&mut self, id: PipeId, pipes: &mut Pipes) {
        // A PULL never writes; a wake-up here can only mean the peer closed.
        if pipes.get(id).is_some_and(|e| e.end.is_dead()) {
            pipes.mark_dead(id);
        }
    }
    fn write_activated(&mut self, id: PipeId, _: &mut Pipes) {
        self.lb.activate(id);
    }
    fn terminated(&mut self, id: PipeId, _: &mut Pipes) {
        self.lb.terminated(id);
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
        self.lb.send_from(pipes, msg).map(|_| ())
    }
    fn recv(&mut self, _: &mut Pipes, _: &Options) -> Result<Message> {
        Err(Error::ENOTSUP)
    }
    fn has_in(&mut self, _: &mut Pipes) -> bool {
        false
    }
    fn has_out(&mut self, pipes: &mut Pipes) -> bool {
        self.lb.has_out(pipes)
    }
}
