//! DEALER (RFC 28): load-balances outgoing messages and fair-queues incoming
//! ones, whole messages at a time, with no envelope of its own: frames a
//! ROUTER added (routing ids, delimiters) pass through untouched, which is
//! what lets a DEALER stand in a broker between ROUTER and REP.
//!
//! Also home of PROBE_ROUTER's greeting, shared with REQ and ROUTER.

use super::fq::Fq;
use super::lb::Lb;
use super::pipes::Pipes;
use super::{recv_by_place, send_by_place, Pattern};
use crate::error::{Error, Result};
use crate::msg::Message;
use crate::pipe::PipeId;
use crate::socket::options::Options;

/// The DEALER socket type.
#[derive(Debug, Default)]
pub(crate) struct Dealer {
    /// Outgoing messages (REQ, built on a DEALER, sends through it too).
    pub(super) lb: Lb,
    /// Incoming messages.
    pub(super) fq: Fq,
}

/// PROBE_ROUTER: greets a new peer with an empty message, so a ROUTER at
/// the other end learns our routing id before we have anything to say.
/// A pipe with no room skips the greeting, as libzmq ignores a failed write.
pub(super) fn probe(id: PipeId, pipes: &mut Pipes, options: &Options) {
    if options.probe_router && pipes.check_write(id) {
        // Err: the peer is already gone; nobody is left to greet.
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
    fn has_out(&mut self, pipes: &mut Pipes) -> bool {
        self.lb.has_out(pipes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::msg::frame;
    use crate::pattern::pipes::drain;
    use crate::pipe::{pipe_pair, PeerInfo, PipeEnd};

    fn peer(dealer: &mut Dealer, pipes: &mut Pipes, options: &Options) -> PipeEnd {
        let (near, far) = pipe_pair([0, 0], "inproc://dealer");
        let id = pipes.insert(near, PeerInfo { routing_id: None });
        dealer.attach(id, pipes, options);
        far
    }

    #[test]
    fn whole_messages_are_dealt_round_robin() {
        let options = Options::default();
        let (mut dealer, mut pipes) = (Dealer::default(), Pipes::default());
        let mut a = peer(&mut dealer, &mut pipes, &options);
        let mut b = peer(&mut dealer, &mut pipes, &options);
        for body in [&b"1"[..], b"2", b"3"] {
            dealer.send(frame(b"", true), &mut pipes, &options).unwrap();
            dealer
                .send(frame(body, false), &mut pipes, &options)
                .unwrap();
        }
        assert_eq!(
            drain(&mut a),
            [vec![], b"1".to_vec(), vec![], b"3".to_vec()]
        );
        assert_eq!(drain(&mut b), [vec![], b"2".to_vec()]);
    }

    #[test]
    fn incoming_messages_are_fair_queued_whole() {
        let options = Options::default();
        let (mut dealer, mut pipes) = (Dealer::default(), Pipes::default());
        let mut a = peer(&mut dealer, &mut pipes, &options);
        let mut b = peer(&mut dealer, &mut pipes, &options);
        for end in [&mut a, &mut b] {
            for _ in 0..2 {
                end.write(frame(b"head", true)).unwrap();
                end.write(frame(b"tail", false)).unwrap();
            }
        }
        let mut frames = 0;
        while let Ok(msg) = dealer.recv(&mut pipes, &options) {
            assert_eq!(
                &msg[..],
                if frames % 2 == 0 {
                    &b"head"[..]
                } else {
                    b"tail"
                }
            );
            frames += 1;
        }
        assert_eq!(frames, 8);
        assert!(drain(&mut a).is_empty() && drain(&mut b).is_empty());
    }

    #[test]
    fn probe_router_greets_each_new_peer() {
        let options = Options {
            probe_router: true,
            ..Options::default()
        };
        let (mut dealer, mut pipes) = (Dealer::default(), Pipes::default());
        let mut a = peer(&mut dealer, &mut pipes, &options);
        let probe = a.read().expect("the probe");
        assert!(probe.is_empty() && !probe.get_more());
        let mut quiet = peer(&mut dealer, &mut pipes, &Options::default());
        assert!(quiet.read().is_none());
    }
}
