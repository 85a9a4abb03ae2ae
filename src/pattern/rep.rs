//! REP (RFC 28): receives a request, strips its envelope and puts it back on
//! the reply, which goes to the pipe the request came from. Built on the
//! ROUTER engine (fair-queued in, routing-id table out), as libzmq 4.3's
//! `rep_t` is.
//!
//! The envelope is everything up to and including the empty delimiter: the
//! routing id the ROUTER engine adds for the pipe, then whatever ids
//! brokers on the way added (and a REQ_CORRELATE request id). A request
//! with no delimiter is malformed and dropped whole.
//!
//! Receive, then send: receiving while a reply is owed, or sending with
//! none owed, is `EFSM`.
//!
//! As in libzmq, the envelope is copied into the reply pipe while the
//! request is read: the pipe publishes nothing before the reply's last
//! frame, so a malformed request costs only a rollback. A reply whose peer
//! has gone, or has no room, is lost (REP never reports an unroutable
//! reply).

use super::pipes::Pipes;
use super::router::Router;
use super::Pattern;
use crate::error::{Error, Result};
use crate::msg::Message;
use crate::pipe::PipeId;
use crate::socket::options::Options;

/// The REP socket type.
#[derive(Debug, Default)]
pub(crate) struct Rep {
    router: Router,
    /// A whole request was received; its reply is owed.
    sending_reply: bool,
    /// Mid-request: the envelope was copied and body frames are being
    /// returned.
    receiving_body: bool,
}

impl Rep {
    /// Copies the next well-formed request's envelope into its reply pipe.
    /// `EAGAIN` when no request is waiting.
    fn copy_envelope(&mut self, pipes: &mut Pipes) -> Result<()> {
        loop {
            let frame = self.router.recv_from(pipes)?;
            if !frame.get_more() {
                // The message ended before a delimiter: drop it, and the
                // envelope written so far.
                self.router.rollback(pipes);
                continue;
            }
            let delimiter = frame.is_empty();
            // Never refused: the reply is routed without ROUTER_MANDATORY,
            // so an unroutable one is dropped instead.
            let _ = self.router.send_routed(frame, pipes, false);
            if delimiter {
                return Ok(());
            }
        }
    }
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
        _: &Options,
    ) -> std::result::Result<(), (Error, Message)> {
        if !self.sending_reply {
            return Err((Error::EFSM, msg));
        }
        let more = msg.get_more();
        self.router.send_routed(msg, pipes, false)?;
        if !more {
            self.sending_reply = false;
        }
        Ok(())
    }
    fn recv(&mut self, pipes: &mut Pipes, _: &Options) -> Result<Message> {
        if self.sending_reply {
            return Err(Error::EFSM);
        }
        if !self.receiving_body {
            self.copy_envelope(pipes)?;
            self.receiving_body = true;
        }
        let body = self.router.recv_from(pipes)?;
        if !body.get_more() {
            self.receiving_body = false;
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

#[cfg(test)]
mod tests {
    use crate::msg::frame;
    use bytes::Bytes;

    use super::*;
    use crate::pipe::{pipe_pair, PeerInfo, PipeEnd};

    /// A peer: our pipe's id and the peer's end of it.
    struct Peer(PipeId, PipeEnd);

    fn peer(rep: &mut Rep, pipes: &mut Pipes) -> Peer {
        let (near, far) = pipe_pair([0, 0], "inproc://rep");
        let peer = PeerInfo {
            routing_id: Some(Bytes::new()),
        };
        let id = pipes.insert(near, peer);
        rep.attach(id, pipes, &Options::default());
        Peer(id, far)
    }

    /// The peer sends a message; we get the `ActivateRead` the socket
    /// would pass on.
    fn write(rep: &mut Rep, pipes: &mut Pipes, peer: &mut Peer, frames: &[&[u8]]) {
        for (i, body) in frames.iter().enumerate() {
            peer.1.write(frame(body, i + 1 < frames.len())).unwrap();
        }
        rep.read_activated(peer.0, pipes);
    }

    fn drain(peer: &mut Peer) -> Vec<Vec<u8>> {
        std::iter::from_fn(|| peer.1.read())
            .map(|m| m.to_vec())
            .collect()
    }

    #[test]
    fn the_envelope_is_stripped_and_put_back_on_the_reply() {
        let options = Options::default();
        let (mut rep, mut pipes) = (Rep::default(), Pipes::default());
        let mut dealer = peer(&mut rep, &mut pipes);
        assert_eq!(
            rep.send(frame(b"x", false), &mut pipes, &options)
                .err()
                .map(|e| e.0),
            Some(Error::EFSM)
        );
        // As a broker's DEALER forwards it: the client's id, the delimiter.
        write(
            &mut rep,
            &mut pipes,
            &mut dealer,
            &[b"client-7", b"", b"ping", b"twice"],
        );
        assert_eq!(&rep.recv(&mut pipes, &options).unwrap()[..], b"ping");
        assert_eq!(&rep.recv(&mut pipes, &options).unwrap()[..], b"twice");
        assert_eq!(
            rep.recv(&mut pipes, &options).err(),
            Some(Error::EFSM),
            "a reply is owed"
        );
        assert!(rep.has_out(&mut pipes) && !rep.has_in(&mut pipes));
        rep.send(frame(b"pong", false), &mut pipes, &options)
            .unwrap();
        assert_eq!(
            drain(&mut dealer),
            [b"client-7".to_vec(), vec![], b"pong".to_vec()]
        );
        assert_eq!(
            rep.send(frame(b"x", false), &mut pipes, &options)
                .err()
                .map(|e| e.0),
            Some(Error::EFSM)
        );
    }

    #[test]
    fn replies_go_back_to_the_pipe_each_request_came_from() {
        let options = Options::default();
        let (mut rep, mut pipes) = (Rep::default(), Pipes::default());
        let mut a = peer(&mut rep, &mut pipes);
        let mut b = peer(&mut rep, &mut pipes);
        write(&mut rep, &mut pipes, &mut a, &[b"", b"from a"]);
        write(&mut rep, &mut pipes, &mut b, &[b"", b"from b"]);
        for _ in 0..2 {
            let request = rep.recv(&mut pipes, &options).unwrap();
            let mut answer = b"re: ".to_vec();
            answer.extend_from_slice(&request);
            rep.send(frame(&answer, false), &mut pipes, &options)
                .unwrap();
        }
        assert_eq!(drain(&mut a), [vec![], b"re: from a".to_vec()]);
        assert_eq!(drain(&mut b), [vec![], b"re: from b".to_vec()]);
    }

    #[test]
    fn a_request_without_a_delimiter_is_dropped() {
        let options = Options::default();
        let (mut rep, mut pipes) = (Rep::default(), Pipes::default());
        let mut a = peer(&mut rep, &mut pipes);
        write(&mut rep, &mut pipes, &mut a, &[b"id", b"no delimiter"]);
        assert_eq!(rep.recv(&mut pipes, &options).err(), Some(Error::EAGAIN));
        write(&mut rep, &mut pipes, &mut a, &[b"", b"fine"]);
        assert_eq!(&rep.recv(&mut pipes, &options).unwrap()[..], b"fine");
        rep.send(frame(b"ok", false), &mut pipes, &options).unwrap();
        assert_eq!(
            drain(&mut a),
            [vec![], b"ok".to_vec()],
            "nothing of the malformed request's envelope leaks into the reply"
        );
    }
}
