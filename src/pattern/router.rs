//! ROUTER (RFC 28): prefixes every incoming message with the routing id of
//! the peer it came from, and routes every outgoing message by its first
//! frame. Also the engine of REP.
//!
//! Sending, per message (libzmq 4.3 `router_t::xsend`):
//! - a lone routing-id frame (no MORE) is malformed and ignored;
//! - an unknown id drops the message, or fails with `EHOSTUNREACH` under
//!   ROUTER_MANDATORY;
//! - a full peer drops the message, or fails with `EAGAIN` under
//!   ROUTER_MANDATORY, so a blocking send waits for room.
//!
//! A pipe becomes routable once its peer's identity is known: at attach, or
//! for a connection made before its endpoint was bound, when `peer_bound`
//! fires. A peer whose identity is taken is refused (its pipe closed), or
//! under ROUTER_HANDOVER takes the id over and the old pipe is closed, once
//! any message being read from it has been read whole.

use super::dealer::probe;
use super::fq::Fq;
use super::pipes::Pipes;
use super::routing::{Admission, RoutingTable};
use super::Pattern;
use crate::error::{Error, Result};
use crate::msg::Message;
use crate::pipe::PipeId;
use crate::socket::options::Options;

/// Where the frames of the message being sent go.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum Outgoing {
    /// Waiting for a routing id frame.
    #[default]
    Idle,
    /// Sending to this pipe.
    To(PipeId),
    /// Dropping the rest of the message.
    Dropping,
}

/// The ROUTER socket type; REP wraps one.
#[derive(Debug, Default)]
pub(crate) struct Router {
    fq: Fq,
    table: RoutingTable,
    /// The first frame of the message whose routing-id frame was just
    /// returned.
    held: Option<Message>,
    /// The pipe whose message is being returned, from its routing-id frame
    /// to its last frame.
    current_in: Option<PipeId>,
    /// `current_in` lost its id to a handover: close it once its message
    /// has been read whole (closing it now would cut the message).
    retire_current_in: bool,
    outgoing: Outgoing,
    /// ROUTER_MANDATORY as of the last hook that saw the options: `has_out`
    /// gets none, and under ROUTER_MANDATORY a ROUTER is writable only when
    /// some peer has room (libzmq's `xhas_out`).
    mandatory: bool,
}

impl Router {
    /// Gives a pipe its routing id once its peer's identity is known.
    fn identify(&mut self, pipe: PipeId, pipes: &mut Pipes, options: &Options) {
        self.mandatory = options.router_mandatory;
        if self.table.id_of(pipe).is_some() {
            return; // already named
        }
        let Some(peer_id) = pipes.get(pipe).and_then(|e| e.peer.routing_id.clone()) else {
            return; // a pending connection: `peer_bound` will call again
        };
        match self.table.admit(pipe, peer_id, options.router_handover) {
            Admission::Named => {}
            Admission::TookOver(previous) => self.retire(previous, pipes),
            Admission::Refused => {
                // libzmq ignores such a peer; closing its pipe tells it so.
                pipes.mark_dead(pipe);
                return;
            }
        }
        self.fq.attach(pipe);
        probe(pipe, pipes, options);
    }

    /// Closes a pipe whose routing id was handed over to a newcomer.
    fn retire(&mut self, previous: PipeId, pipes: &mut Pipes) {
        if self.current_in == Some(previous) {
            self.retire_current_in = true;
        } else {
            self.forget(previous);
            pipes.mark_dead(previous);
        }
    }

    /// Forgets a pipe that is going away.
    fn forget(&mut self, pipe: PipeId) {
        self.fq.terminated(pipe);
        self.table.remove_pipe(pipe);
        if self.outgoing == Outgoing::To(pipe) {
            self.outgoing = Outgoing::Dropping;
        }
        if self.current_in == Some(pipe) {
            // Only a local disconnect cuts a message short (pipes publish
            // whole messages): what is left of it is gone with the pipe.
            self.current_in = None;
            self.retire_current_in = false;
            self.held = None;
        }
    }

    /// Where a message for routing id `id` goes.
    fn route(&self, id: &[u8], pipes: &mut Pipes, mandatory: bool) -> Result<Outgoing> {
        let Some(pipe) = self.table.pipe(id) else {
            return if mandatory {
                Err(Error::EHOSTUNREACH)
            } else {
                Ok(Outgoing::Dropping)
            };
        };
        if pipes.check_write(pipe) {
            return Ok(Outgoing::To(pipe));
        }
        if !mandatory {
            return Ok(Outgoing::Dropping);
        }
        // Full, or closed by the peer and not yet reaped: libzmq tells them
        // apart the same way (`check_hwm`).
        let gone = pipes.get(pipe).map_or(true, |e| e.end.peer_closed());
        Err(if gone {
            Error::EHOSTUNREACH
        } else {
            Error::EAGAIN
        })
    }

    /// Sends one frame; the first frame of each message is the routing id.
    /// REP calls this with `mandatory` off: a reply that cannot go is lost.
    pub(crate) fn send_routed(
        &mut self,
        msg: Message,
        pipes: &mut Pipes,
        mandatory: bool,
    ) -> std::result::Result<(), (Error, Message)> {
        let more = msg.get_more();
        match self.outgoing {
            Outgoing::Idle => {
                if more {
                    self.outgoing = match self.route(&msg, pipes, mandatory) {
                        Ok(outgoing) => outgoing,
                        Err(error) => return Err((error, msg)),
                    };
                }
                // A routing id with no frames after it: ignored, as libzmq does.
                return Ok(());
            }
            Outgoing::To(pipe) => {
                if pipes.write(pipe, msg).is_err() {
                    // The peer went mid-message: drop the rest.
                    self.outgoing = Outgoing::Dropping;
                }
            }
            Outgoing::Dropping => {}
        }
        if !more {
            self.outgoing = Outgoing::Idle;
        }
        Ok(())
    }

    /// Abandons the message being sent: frames already written to its pipe
    /// are taken back (REP's reply envelope for a malformed request).
    pub(crate) fn rollback(&mut self, pipes: &mut Pipes) {
        if let Outgoing::To(pipe) = self.outgoing {
            pipes.rollback(pipe);
        }
        self.outgoing = Outgoing::Idle;
    }

    /// Receives one frame: the routing id of the peer a message came from,
    /// then the message's own frames.
    pub(crate) fn recv_from(&mut self, pipes: &mut Pipes) -> Result<Message> {
        let msg = match self.held.take() {
            Some(first) => first,
            None => {
                let (msg, pipe) = self.fq.recv(pipes).ok_or(Error::EAGAIN)?;
                if self.current_in.is_none() {
                    // A new message: its sender's routing id goes first.
                    self.current_in = Some(pipe);
                    self.held = Some(msg);
                    let id = self.table.id_of(pipe).cloned().unwrap_or_default();
                    let mut id_frame = Message::from(id);
                    id_frame.set_more(true);
                    return Ok(id_frame);
                }
                msg
            }
        };
        if !msg.get_more() {
            if let Some(pipe) = self.current_in.take() {
                if std::mem::take(&mut self.retire_current_in) {
                    self.forget(pipe);
                    pipes.mark_dead(pipe);
                }
            }
        }
        Ok(msg)
    }
}

impl Pattern for Router {
    fn attach(&mut self, id: PipeId, pipes: &mut Pipes, options: &Options) {
        self.identify(id, pipes, options);
    }
    fn peer_bound(&mut self, id: PipeId, pipes: &mut Pipes, options: &Options) {
        self.identify(id, pipes, options);
    }
    fn read_activated(&mut self, id: PipeId, _: &mut Pipes) {
        self.fq.activate(id);
    }
    fn write_activated(&mut self, _: PipeId, _: &mut Pipes) {
        // Credit is checked at each message's routing id; the command itself
        // woke any sender blocked under ROUTER_MANDATORY.
    }
    fn terminated(&mut self, id: PipeId, _: &mut Pipes) {
        self.forget(id);
    }
    #[inline]
    fn send(
        &mut self,
        msg: Message,
        pipes: &mut Pipes,
        options: &Options,
    ) -> std::result::Result<(), (Error, Message)> {
        self.mandatory = options.router_mandatory;
        self.send_routed(msg, pipes, options.router_mandatory)
    }
    #[inline]
    fn recv(&mut self, pipes: &mut Pipes, options: &Options) -> Result<Message> {
        self.mandatory = options.router_mandatory;
        self.recv_from(pipes)
    }
    fn has_in(&mut self, pipes: &mut Pipes) -> bool {
        self.held.is_some() || self.current_in.is_some() || self.fq.has_in(pipes)
    }
    fn has_out(&mut self, pipes: &mut Pipes) -> bool {
        // Without ROUTER_MANDATORY a send never blocks: a message for a
        // peer that cannot take it is dropped. With it, a new message can
        // go only where there is room.
        if !self.mandatory || self.outgoing != Outgoing::Idle {
            return true;
        }
        self.table.pipes().any(|pipe| pipes.check_write(pipe))
    }
}

#[cfg(test)]
mod tests {
    use crate::msg::frame;
    use crate::pattern::pipes::drain;
    use bytes::Bytes;

    use super::*;
    use crate::pipe::{pipe_pair, PeerInfo, PipeEnd};

    /// Attaches a peer with this identity (None: a pending connection);
    /// returns its pipe and the peer's end. `hwm` limits what we may queue.
    fn peer(
        router: &mut Router,
        pipes: &mut Pipes,
        identity: Option<&'static [u8]>,
        hwm: u64,
        options: &Options,
    ) -> (PipeId, PipeEnd) {
        let (near, far) = pipe_pair([hwm, 0], "inproc://router");
        let peer = PeerInfo {
            routing_id: identity.map(Bytes::from_static),
        };
        let id = pipes.insert(near, peer);
        router.attach(id, pipes, options);
        (id, far)
    }

    fn send(
        router: &mut Router,
        pipes: &mut Pipes,
        options: &Options,
        frames: &[&[u8]],
    ) -> Result<()> {
        for (i, body) in frames.iter().enumerate() {
            let more = i + 1 < frames.len();
            router
                .send(frame(body, more), pipes, options)
                .map_err(|(e, _)| e)?;
        }
        Ok(())
    }

    fn recv_message(router: &mut Router, pipes: &mut Pipes, options: &Options) -> Vec<Vec<u8>> {
        let mut frames = Vec::new();
        loop {
            let msg = router.recv(pipes, options).expect("a frame");
            frames.push(msg.to_vec());
            if !msg.get_more() {
                return frames;
            }
        }
    }

    #[test]
    fn incoming_messages_are_prefixed_with_the_senders_id() {
        let options = Options::default();
        let (mut router, mut pipes) = (Router::default(), Pipes::default());
        let (_, mut alice) = peer(&mut router, &mut pipes, Some(b"alice"), 0, &options);
        let (_, mut anonymous) = peer(&mut router, &mut pipes, Some(b""), 0, &options);
        alice.write(frame(b"hello", true)).unwrap();
        alice.write(frame(b"world", false)).unwrap();
        anonymous.write(frame(b"hi", false)).unwrap();
        let mut messages = [
            recv_message(&mut router, &mut pipes, &options),
            recv_message(&mut router, &mut pipes, &options),
        ];
        messages.sort();
        assert_eq!(messages[1], [&b"alice"[..], b"hello", b"world"]);
        let generated = &messages[0][0];
        assert_eq!((generated.len(), generated[0]), (5, 0));
        assert_eq!(messages[0][1], b"hi");
        assert_eq!(router.recv(&mut pipes, &options).err(), Some(Error::EAGAIN));
    }

    #[test]
    fn outgoing_messages_are_routed_by_their_first_frame() {
        let options = Options::default();
        let (mut router, mut pipes) = (Router::default(), Pipes::default());
        let (_, mut alice) = peer(&mut router, &mut pipes, Some(b"alice"), 0, &options);
        let (_, mut bob) = peer(&mut router, &mut pipes, Some(b"bob"), 0, &options);
        send(&mut router, &mut pipes, &options, &[b"bob", b"for", b"bob"]).unwrap();
        send(&mut router, &mut pipes, &options, &[b"alice", b"for alice"]).unwrap();
        send(&mut router, &mut pipes, &options, &[b"carol", b"lost"]).unwrap();
        send(&mut router, &mut pipes, &options, &[b"alice"]).unwrap(); // malformed: ignored
        assert_eq!(drain(&mut alice), [b"for alice".to_vec()]);
        assert_eq!(drain(&mut bob), [b"for".to_vec(), b"bob".to_vec()]);
    }

    #[test]
    fn mandatory_reports_unknown_and_full_peers() {
        let options = Options {
            router_mandatory: true,
            ..Options::default()
        };
        let (mut router, mut pipes) = (Router::default(), Pipes::default());
        let (_, mut alice) = peer(&mut router, &mut pipes, Some(b"alice"), 1, &options);
        assert_eq!(
            send(&mut router, &mut pipes, &options, &[b"carol", b"x"]),
            Err(Error::EHOSTUNREACH)
        );
        assert!(router.has_out(&mut pipes));
        send(&mut router, &mut pipes, &options, &[b"alice", b"first"]).unwrap();
        assert_eq!(
            send(&mut router, &mut pipes, &options, &[b"alice", b"second"]),
            Err(Error::EAGAIN)
        );
        assert!(!router.has_out(&mut pipes), "no peer has room");
        assert_eq!(drain(&mut alice), [b"first".to_vec()]);
        send(&mut router, &mut pipes, &options, &[b"alice", b"second"]).unwrap();
        drop(alice);
        assert_eq!(
            send(&mut router, &mut pipes, &options, &[b"alice", b"third"]),
            Err(Error::EHOSTUNREACH),
            "a peer that closed is unreachable, not full"
        );
    }

    #[test]
    fn without_mandatory_a_full_peer_loses_the_message() {
        let options = Options::default();
        let (mut router, mut pipes) = (Router::default(), Pipes::default());
        let (_, mut alice) = peer(&mut router, &mut pipes, Some(b"alice"), 1, &options);
        send(&mut router, &mut pipes, &options, &[b"alice", b"first"]).unwrap();
        send(
            &mut router,
            &mut pipes,
            &options,
            &[b"alice", b"second", b"part"],
        )
        .unwrap();
        assert!(router.has_out(&mut pipes));
        assert_eq!(drain(&mut alice), [b"first".to_vec()]);
    }

    #[test]
    fn a_duplicate_identity_is_refused_or_handed_over() {
        let options = Options::default();
        let (mut router, mut pipes) = (Router::default(), Pipes::default());
        let (first, _first_end) = peer(&mut router, &mut pipes, Some(b"alice"), 0, &options);
        let (second, _second_end) = peer(&mut router, &mut pipes, Some(b"alice"), 0, &options);
        assert_eq!(pipes.take_dead(), [second], "the newcomer is refused");
        assert_eq!(router.table.pipe(b"alice"), Some(first));

        let handover = Options {
            router_handover: true,
            ..Options::default()
        };
        let (third, mut third_end) = peer(&mut router, &mut pipes, Some(b"alice"), 0, &handover);
        assert_eq!(pipes.take_dead(), [first], "the old pipe is closed");
        send(
            &mut router,
            &mut pipes,
            &handover,
            &[b"alice", b"to the newcomer"],
        )
        .unwrap();
        assert_eq!(drain(&mut third_end), [b"to the newcomer".to_vec()]);
        assert_eq!(router.table.pipe(b"alice"), Some(third));
    }

    #[test]
    fn handover_waits_for_the_message_being_read() {
        let options = Options {
            router_handover: true,
            ..Options::default()
        };
        let (mut router, mut pipes) = (Router::default(), Pipes::default());
        let (old, mut old_end) = peer(&mut router, &mut pipes, Some(b"alice"), 0, &options);
        old_end.write(frame(b"one", true)).unwrap();
        old_end.write(frame(b"two", false)).unwrap();
        assert_eq!(&router.recv(&mut pipes, &options).unwrap()[..], b"alice");
        let (_, _new_end) = peer(&mut router, &mut pipes, Some(b"alice"), 0, &options);
        assert!(!pipes.has_dead(), "not while its message is half read");
        assert_eq!(&router.recv(&mut pipes, &options).unwrap()[..], b"one");
        assert_eq!(&router.recv(&mut pipes, &options).unwrap()[..], b"two");
        assert_eq!(pipes.take_dead(), [old]);
    }

    #[test]
    fn a_pending_pipe_is_routable_once_its_peer_is_bound() {
        let options = Options {
            probe_router: true,
            ..Options::default()
        };
        let (mut router, mut pipes) = (Router::default(), Pipes::default());
        let (pending, mut far) = peer(&mut router, &mut pipes, None, 0, &options);
        send(&mut router, &mut pipes, &options, &[b"bob", b"too early"]).unwrap();
        assert!(drain(&mut far).is_empty(), "not routable, not probed");
        pipes.get(pending).unwrap().peer.routing_id = Some(Bytes::from_static(b"bob"));
        router.peer_bound(pending, &mut pipes, &options);
        send(&mut router, &mut pipes, &options, &[b"bob", b"now"]).unwrap();
        assert_eq!(
            drain(&mut far),
            [Vec::new(), b"now".to_vec()],
            "the probe, then the message"
        );
    }
}
