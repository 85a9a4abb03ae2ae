//! REP (RFC 28): receives a request, strips its envelope (everything up to
//! and including the empty delimiter frame) and restores it on the reply,
//! which goes back to the pipe the request came from. Strictly alternates:
//! receive, then send (`EFSM` otherwise). Built on the ROUTER engine.
//!
//! As in libzmq, the envelope is written back into the reply pipe while the
//! request is read; the pipe publishes nothing until the reply's last frame,
//! so an abandoned request costs only a rollback.

use super::pipes::Pipes;
use super::router::Router;
use super::Pattern;
use crate::error::{Error, Result};
use crate::msg::Message;
use crate::pipe::PipeId;
use crate::socket::options::Options;

#[derive(Default)]
pub(crate) struct Rep {
    router: Router,
    /// A request was received; the reply is owed.
    sending_reply: bool,
    /// In the middle of returning a request's body frames.
    in_request: bool,
}

impl Pattern for Rep {
    fn attach(&mut self, id: PipeId, pipes: &mut Pipes, options: &Options) {
        self.router.attach(id, pipes, options);
    }
    fn peer_bound(&mut self, id: PipeId, pipes: &mut Pipes, options: &Options) {
        self.router.peer_bound(id, pipes, options);
    }
    fn read_activated(&mut self, id: PipeId, pipes: &mut Pipes) {
        self.router.read_activated(id, pipes);
    }
    fn write_activated(&mut self, id: PipeId, pipes: &mut Pipes) {
        self.router.write_activated(id, pipes);
    }
    fn terminated(&mut self, id: PipeId, pipes: &mut Pipes) {
        self.router.terminated(id, pipes);
    }
    fn send(
        &mut self,
        msg: Message,
        pipes: &mut Pipes,
        options: &Options,
    ) -> std::result::Result<(), (Error, Message)> {
        if !self.sending_reply {
            return Err((Error::EFSM, msg));
        }
        let more = msg.get_more();
        self.router.send(msg, pipes, options)?;
        if !more {
            self.sending_reply = false;
        }
        Ok(())
    }
    fn recv(&mut self, pipes: &mut Pipes, options: &Options) -> Result<Message> {
        if self.sending_reply {
            return Err(Error::EFSM);
        }
        if !self.in_request {
            // Copy the envelope (routing id, any relayed ids, the delimiter)
            // into the reply; a request without a delimiter is dropped.
            loop {
                let frame = self.router.recv_from(pipes)?;
                if !frame.get_more() {
                    self.router.rollback(pipes);
                    continue;
                }
                let bottom = frame.is_empty();
                // Cannot hand the frame back: the router only refuses with
                // ROUTER_MANDATORY, which a REP never sets.
                let _ = self.router.send(frame, pipes, options);
                if bottom {
                    break;
                }
            }
            self.in_request = true;
        }
        let body = self.router.recv_from(pipes)?;
        if !body.get_more() {
            self.in_request = false;
            self.sending_reply = true;
        }
        Ok(body)
    }
    fn has_in(&mut self, pipes: &mut Pipes) -> bool {
        !self.sending_reply && self.router.has_in(pipes)
    }
    fn has_out(&mut self, _: &mut Pipes) -> bool {
        self.sending_reply
    }
}
