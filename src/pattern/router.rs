//! Router: not written yet (placeholder so the crate builds).

use super::pipes::Pipes;
use super::Pattern;
use crate::error::{Error, Result};
use crate::msg::Message;
use crate::pipe::PipeId;
use crate::socket::options::Options;

#[derive(Default)]
pub(crate) struct Router {}

impl Pattern for Router {
    fn attach(&mut self, _: PipeId, _: &mut Pipes, _: &Options) {}
    fn read_activated(&mut self, _: PipeId, _: &mut Pipes) {}
    fn write_activated(&mut self, _: PipeId, _: &mut Pipes) {}
    fn terminated(&mut self, _: PipeId, _: &mut Pipes) {}
    fn send(&mut self, msg: Message, _: &mut Pipes, _: &Options) -> std::result::Result<(), (Error, Message)> {
        Err((Error::ENOTSUP, msg))
    }
    fn recv(&mut self, _: &mut Pipes, _: &Options) -> Result<Message> {
        Err(Error::ENOTSUP)
    }
    fn has_in(&mut self, _: &mut Pipes) -> bool {
        false
    }
    fn has_out(&mut self, _: &mut Pipes) -> bool {
        false
    }
}
