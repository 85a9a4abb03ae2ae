//! REQ (RFC 28): sends a request, then receives exactly one reply. Adds the
//! empty delimiter frame (and with REQ_CORRELATE a request id before it),
//! load-balances requests, and accepts a reply only from the peer the
//! request went to. Strict alternation (`EFSM`) unless REQ_RELAXED, which
//! lets a new request abandon the old one.

use super::dealer::probe;
use super::fq::Fq;
use super::lb::Lb;
use super::pipes::Pipes;
use super::Pattern;
use crate::error::{Error, Result};
use crate::msg::Message;
use crate::pipe::PipeId;
use crate::socket::options::Options;

#[derive(Default)]
pub(crate) struct Req {
    lb: Lb,
    fq: Fq,
    /// A request went out; its reply is awaited.
    receiving_reply: bool,
    /// Mid-request: the next frame continues a request already begun.
    sending_body: bool,
    /// Mid-reply: the next frame continues a reply already begun.
    receiving_body: bool,
    /// The pipe the last request went to.
    reply_pipe: Option<PipeId>,
    /// The id of the last request (REQ_CORRELATE).
    request_id: u32,
}

fn frame(body: &[u8], more: bool) -> Message {
    let mut msg = Message::from(body);
    msg.set_more(more);
    msg
}

impl Req {
    /// Reads and drops the rest of a message.
    fn skip_rest(&mut self, mut more: bool, pipes: &mut Pipes) {
        while more {
            match self.fq.recv(pipes) {
                Some((msg, _)) => more = msg.get_more(),
                None => return,
            }
        }
    }

    /// Reads the header of the next reply from the reply pipe; other
    /// messages and malformed replies are dropped.
    fn begin_reply(&mut self, pipes: &mut Pipes, options: &Options) -> Result<()> {
        loop {
            let (first, pipe) = self.fq.recv(pipes).ok_or(Error::EAGAIN)?;
            let more = first.get_more();
            if Some(pipe) != self.reply_pipe || !more {
                self.skip_rest(more, pipes);
                continue;
            }
            if options.req_correlate {
                if first[..] != self.request_id.to_be_bytes()[..] {
                    self.skip_rest(more, pipes);
                    continue;
                }
                match self.fq.recv(pipes) {
                    Some((delimiter, _)) if delimiter.is_empty() && delimiter.get_more() => {
                        return Ok(())
                    }
                    Some((other, _)) => {
                        self.skip_rest(other.get_more(), pipes);
                        continue;
                    }
                    None => continue,
                }
            }
            if first.is_empty() {
                return Ok(());
            }
            self.skip_rest(more, pipes);
        }
    }
}

impl Pattern for Req {
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
        if self.reply_pipe == Some(id) {
            // RFC 28: the reply can never come; a relaxed REQ may resend.
            self.reply_pipe = None;
        }
    }
    fn send(
        &mut self,
        msg: Message,
        pipes: &mut Pipes,
        options: &Options,
    ) -> std::result::Result<(), (Error, Message)> {
        if self.receiving_reply {
            if !options.req_relaxed {
                return Err((Error::EFSM, msg));
            }
            // Relaxed: abandon the old request; its reply will be dropped.
            self.receiving_reply = false;
            self.receiving_body = false;
            self.reply_pipe = None;
        }
        if !self.sending_body {
            // The header goes first, to one pipe chosen by the balancer.
            let next_id = self.request_id.wrapping_add(1);
            let header = if options.req_correlate {
                frame(&next_id.to_be_bytes(), true)
            } else {
                frame(b"", true)
            };
            let pipe = match self.lb.send_with_pipe(pipes, header) {
                Ok(Some(pipe)) => pipe,
                Ok(None) => return Err((Error::EAGAIN, msg)),
                Err((error, _)) => return Err((error, msg)),
            };
            if options.req_correlate {
                // The delimiter follows the id on the same pipe (mid-message).
                let _ = self.lb.send(pipes, frame(b"", true));
            }
            self.request_id = next_id;
            self.reply_pipe = Some(pipe);
            self.sending_body = true;
            // Drop replies that arrived for earlier requests (a peer that
            // answered late must not answer this one).
            while let Some((stale, _)) = self.fq.recv(pipes) {
                let more = stale.get_more();
                self.skip_rest(more, pipes);
            }
        }
        let more = msg.get_more();
        self.lb.send(pipes, msg)?;
        if !more {
            self.sending_body = false;
            self.receiving_reply = true;
        }
        Ok(())
    }
    fn recv(&mut self, pipes: &mut Pipes, options: &Options) -> Result<Message> {
        if !self.receiving_reply {
            return Err(Error::EFSM);
        }
        if !self.receiving_body {
            self.begin_reply(pipes, options)?;
            self.receiving_body = true;
        }
        let (body, _) = self.fq.recv(pipes).ok_or(Error::EAGAIN)?;
        if !body.get_more() {
            self.receiving_body = false;
            self.receiving_reply = false;
        }
        Ok(body)
    }
    fn has_in(&mut self, pipes: &mut Pipes) -> bool {
        self.receiving_reply && self.fq.has_in(pipes)
    }
    fn has_out(&mut self, pipes: &mut Pipes) -> bool {
        !self.receiving_reply && self.lb.has_out(pipes)
    }
}
