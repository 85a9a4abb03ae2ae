//! REQ (RFC 28): sends a request, then receives exactly one reply; a DEALER
//! underneath (load-balanced out, fair-queued in) with a state machine and
//! an envelope on top, as libzmq 4.3's `req_t`.
//!
//! - Each request goes out as `[empty delimiter][body…]`, or with
//!   REQ_CORRELATE as `[request id][empty][body…]`, the id a 4-byte counter
//!   (big-endian; peers only echo it back).
//! - A reply is accepted only from the pipe the request went to, only if it
//!   starts with the delimiter (after the matching request id under
//!   REQ_CORRELATE); anything else is dropped whole.
//! - Sending while a reply is awaited is `EFSM`, as is receiving with no
//!   request out; REQ_RELAXED lets a new request abandon the old one, whose
//!   reply is then dropped (reliably only with REQ_CORRELATE: without ids a
//!   late reply on the same pipe cannot be told from the new one's).
//! - If the pipe the request went to closes, its reply can never come: the
//!   receive keeps waiting (until RCVTIMEO), as RFC 28 asks; a relaxed REQ
//!   can resend.

use super::dealer::Dealer;
use super::pipes::Pipes;
use super::routing::random_u32;
use super::Pattern;
use crate::error::{Error, Result};
use crate::msg::{frame, Message};
use crate::pipe::PipeId;
use crate::socket::options::Options;

/// The REQ socket type.
#[derive(Debug)]
pub(crate) struct Req {
    /// The DEALER underneath (as in libzmq): its balancer sends requests,
    /// its fair queue brings replies.
    dealer: Dealer,
    /// A whole request went out; its reply is awaited.
    receiving_reply: bool,
    /// Mid-request: the header went out and body frames follow.
    sending_body: bool,
    /// Mid-reply: the header was checked and body frames are being returned.
    receiving_body: bool,
    /// The pipe the last request went to; None once it closed.
    reply_pipe: Option<PipeId>,
    /// The id of the last request (REQ_CORRELATE). Starts at a random value
    /// as libzmq's does.
    request_id: u32,
}

impl Default for Req {
    fn default() -> Self {
        Req {
            dealer: Dealer::default(),
            receiving_reply: false,
            sending_body: false,
            receiving_body: false,
            reply_pipe: None,
            request_id: random_u32(),
        }
    }
}

impl Req {
    /// Reads and drops the rest of a message whose frame had `more`.
    fn skip_rest(&mut self, mut more: bool, pipes: &mut Pipes) {
        while more {
            match self.dealer.fq.recv(pipes) {
                Some((msg, _)) => more = msg.get_more(),
                None => return,
            }
        }
    }

    /// Writes the request header (id and delimiter) to the next pipe with
    /// room; returns that pipe. `None`: no pipe has room.
    fn send_header(&mut self, pipes: &mut Pipes, correlate: bool) -> Option<PipeId> {
        let next_id = self.request_id.wrapping_add(1);
        let first = if correlate {
            frame(&next_id.to_be_bytes(), true)
        } else {
            frame(b"", true)
        };
        // Ok(None) would mean the balancer is dropping the rest of an
        // earlier message, impossible here: every request is finished.
        let pipe = self.dealer.lb.send_with_pipe(pipes, first).ok().flatten()?;
        if correlate {
            // Mid-message, the balancer stays on `pipe`; if it just went,
            // the balancer drops the rest of the request.
            let _ = self.dealer.lb.send(pipes, frame(b"", true));
        }
        self.request_id = next_id;
        Some(pipe)
    }

    /// Reads up to the body of the next acceptable reply; drops other
    /// messages. `EAGAIN` when none is there yet.
    fn begin_reply(&mut self, pipes: &mut Pipes, correlate: bool) -> Result<()> {
        loop {
            let (first, pipe) = self.dealer.fq.recv(pipes).ok_or(Error::EAGAIN)?;
            let more = first.get_more();
            let accepted = Some(pipe) == self.reply_pipe
                && more
                && if correlate {
                    first[..] == self.request_id.to_be_bytes()
                } else {
                    first.is_empty()
                };
            if !accepted {
                self.skip_rest(more, pipes);
                continue;
            }
            if !correlate {
                return Ok(());
            }
            // Frames of a message are published together: the rest is here.
            let Some((delimiter, _)) = self.dealer.fq.recv(pipes) else {
                continue;
            };
            if delimiter.is_empty() && delimiter.get_more() {
                return Ok(());
            }
            self.skip_rest(delimiter.get_more(), pipes);
        }
    }
}

impl Pattern for Req {
    fn attach(&mut self, id: PipeId, pipes: &mut Pipes, options: &Options) {
        self.dealer.attach(id, pipes, options);
    }
    fn read_activated(&mut self, id: PipeId, pipes: &mut Pipes) {
        self.dealer.read_activated(id, pipes);
    }
    fn write_activated(&mut self, id: PipeId, pipes: &mut Pipes) {
        self.dealer.write_activated(id, pipes);
    }
    fn terminated(&mut self, id: PipeId, pipes: &mut Pipes) {
        self.dealer.terminated(id, pipes);
        if self.reply_pipe == Some(id) {
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
            let Some(pipe) = self.send_header(pipes, options.req_correlate) else {
                return Err((Error::EAGAIN, msg));
            };
            self.reply_pipe = Some(pipe);
            self.sending_body = true;
            // Drop whatever arrived before this request: a peer answering
            // an earlier request late must not answer this one (libzmq does
            // the same at this point).
            while let Some((stale, _)) = self.dealer.fq.recv(pipes) {
                self.skip_rest(stale.get_more(), pipes);
            }
        }
        let more = msg.get_more();
        // Mid-message the balancer never refuses: credit was taken for the
        // whole message with its first frame.
        self.dealer.lb.send(pipes, msg)?;
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
            self.begin_reply(pipes, options.req_correlate)?;
            self.receiving_body = true;
        }
        let (body, _) = self.dealer.fq.recv(pipes).ok_or(Error::EAGAIN)?;
        if !body.get_more() {
            self.receiving_body = false;
            self.receiving_reply = false;
        }
        Ok(body)
    }
    fn has_in(&mut self, pipes: &mut Pipes) -> bool {
        self.receiving_reply && self.dealer.fq.has_in(pipes)
    }
    fn has_out(&mut self, pipes: &mut Pipes) -> bool {
        !self.receiving_reply && self.dealer.lb.has_out(pipes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipe::{pipe_pair, PeerInfo, PipeEnd};

    /// A peer: our pipe's id and the peer's end of it.
    struct Peer(PipeId, PipeEnd);

    fn peer(req: &mut Req, pipes: &mut Pipes) -> Peer {
        let (near, far) = pipe_pair([0, 0], "inproc://req");
        let id = pipes.insert(near, PeerInfo { routing_id: None });
        req.attach(id, pipes, &Options::default());
        Peer(id, far)
    }

    fn drain(peer: &mut Peer) -> Vec<Vec<u8>> {
        std::iter::from_fn(|| peer.1.read())
            .map(|m| m.to_vec())
            .collect()
    }

    /// The peer sends a message; we get the `ActivateRead` the socket
    /// would pass on.
    fn reply(req: &mut Req, pipes: &mut Pipes, peer: &mut Peer, frames: &[&[u8]]) {
        for (i, body) in frames.iter().enumerate() {
            peer.1.write(frame(body, i + 1 < frames.len())).unwrap();
        }
        req.read_activated(peer.0, pipes);
    }

    fn request(req: &mut Req, pipes: &mut Pipes, options: &Options, body: &[u8]) -> Result<()> {
        req.send(frame(body, false), pipes, options)
            .map_err(|(e, _)| e)
    }

    #[test]
    fn a_request_gets_a_delimiter_and_one_reply() {
        let options = Options::default();
        let (mut req, mut pipes) = (Req::default(), Pipes::default());
        let mut rep = peer(&mut req, &mut pipes);
        assert_eq!(
            req.recv(&mut pipes, &options).err(),
            Some(Error::EFSM),
            "nothing asked"
        );
        req.send(frame(b"two", true), &mut pipes, &options).unwrap();
        req.send(frame(b"parts", false), &mut pipes, &options)
            .unwrap();
        assert_eq!(
            drain(&mut rep),
            [vec![], b"two".to_vec(), b"parts".to_vec()]
        );
        assert_eq!(
            request(&mut req, &mut pipes, &options, b"again"),
            Err(Error::EFSM)
        );
        assert!(!req.has_out(&mut pipes));
        reply(&mut req, &mut pipes, &mut rep, &[b"", b"answer"]);
        assert!(req.has_in(&mut pipes));
        assert_eq!(&req.recv(&mut pipes, &options).unwrap()[..], b"answer");
        assert_eq!(
            req.recv(&mut pipes, &options).err(),
            Some(Error::EFSM),
            "one reply only"
        );
    }

    #[test]
    fn replies_from_elsewhere_or_without_a_delimiter_are_dropped() {
        let options = Options::default();
        let (mut req, mut pipes) = (Req::default(), Pipes::default());
        let mut first = peer(&mut req, &mut pipes);
        let mut second = peer(&mut req, &mut pipes);
        request(&mut req, &mut pipes, &options, b"q").unwrap();
        assert_eq!(
            drain(&mut first).len(),
            2,
            "the request went to the first peer"
        );
        reply(&mut req, &mut pipes, &mut second, &[b"", b"not asked"]);
        reply(&mut req, &mut pipes, &mut first, &[b"no delimiter"]);
        reply(&mut req, &mut pipes, &mut first, &[b"junk", b"", b"x"]);
        assert_eq!(req.recv(&mut pipes, &options).err(), Some(Error::EAGAIN));
        reply(&mut req, &mut pipes, &mut first, &[b"", b"the reply"]);
        assert_eq!(&req.recv(&mut pipes, &options).unwrap()[..], b"the reply");
    }

    #[test]
    fn correlated_requests_carry_an_id_and_stale_replies_are_dropped() {
        let options = Options {
            req_correlate: true,
            req_relaxed: true,
            ..Options::default()
        };
        let mut req = Req {
            request_id: 41,
            ..Req::default()
        };
        let mut pipes = Pipes::default();
        let mut rep = peer(&mut req, &mut pipes);
        request(&mut req, &mut pipes, &options, b"first").unwrap();
        assert_eq!(
            drain(&mut rep),
            [vec![0, 0, 0, 42], vec![], b"first".to_vec()]
        );
        // Relaxed: ask again without waiting; the first answer comes late.
        request(&mut req, &mut pipes, &options, b"second").unwrap();
        assert_eq!(drain(&mut rep)[0], [0, 0, 0, 43]);
        reply(
            &mut req,
            &mut pipes,
            &mut rep,
            &[&[0, 0, 0, 42], b"", b"late answer to first"],
        );
        reply(
            &mut req,
            &mut pipes,
            &mut rep,
            &[&[0, 0, 0, 43], b"x", b"no delimiter"],
        );
        reply(
            &mut req,
            &mut pipes,
            &mut rep,
            &[&[0, 0, 0, 43], b"", b"answer to second"],
        );
        assert_eq!(
            &req.recv(&mut pipes, &options).unwrap()[..],
            b"answer to second"
        );
    }

    #[test]
    fn replies_waiting_before_a_request_are_not_its_reply() {
        let options = Options {
            req_relaxed: true,
            ..Options::default()
        };
        let (mut req, mut pipes) = (Req::default(), Pipes::default());
        let mut rep = peer(&mut req, &mut pipes);
        request(&mut req, &mut pipes, &options, b"first").unwrap();
        reply(&mut req, &mut pipes, &mut rep, &[b"", b"answer to first"]);
        request(&mut req, &mut pipes, &options, b"second").unwrap();
        assert_eq!(req.recv(&mut pipes, &options).err(), Some(Error::EAGAIN));
    }

    #[test]
    fn with_no_peer_a_request_waits() {
        let options = Options::default();
        let (mut req, mut pipes) = (Req::default(), Pipes::default());
        let err = req.send(frame(b"q", false), &mut pipes, &options).err();
        assert!(matches!(err, Some((Error::EAGAIN, ref m)) if &m[..] == b"q"));
        let mut rep = peer(&mut req, &mut pipes);
        request(&mut req, &mut pipes, &options, b"q").unwrap();
        assert_eq!(drain(&mut rep), [vec![], b"q".to_vec()]);
    }
}
