//! One ZMTP connection's protocol state, without I/O: the greeting, the NULL
//! handshake, then traffic. What a transport's engine drives.
//!
//! ```text
//!  new()            queues our greeting
//!  peer greeting -> mechanism checked, version negotiated, our READY queued
//!  peer READY    -> Inbound::Ready(peer)            (or an error, + ERROR queued)
//!  traffic       -> Inbound::Message / Ping / Pong; SUBSCRIBE/CANCEL become
//!                   `\x01topic`/`\x00topic` messages for a PUB/XPUB socket;
//!                   a PING's PONG is queued by itself
//! ```
//!
//! The transport reads into a `BytesMut` and calls [`Connection::receive`]
//! until it returns `Ok(None)`; it writes what [`Connection::encoder`] holds;
//! once `Ready`, it passes outgoing frames to [`Connection::send`]. Any
//! error is final: the transport sends what the encoder still holds (an
//! ERROR command, when there is one) and closes.
//!
//! Commands are never put between the frames of a message we send (the
//! grammar has `traffic = *(command | message)`): a PONG or PING due while a
//! multipart message is half sent waits for its last frame. libzmq can put a
//! PING inside a multipart message, so incoming PING and PONG are accepted
//! anywhere; a subscription inside a message is not.

use std::time::Duration;

use bytes::{Bytes, BytesMut};

use super::body::BodyPool;
use super::command::Command;
use super::decoder::{BodyRoom, Decoder, Event};
use super::encoder::Encoder;
use super::greeting::{Greeting, MechanismName, Version};
use super::null::{NullHandshake, PeerMetadata};
use super::subscription::Subscription;
use super::ZmtpError;
use crate::msg::Message;
use crate::socket_type::SocketType;

/// What a connection needs to know about its socket.
#[derive(Debug, Clone)]
pub(crate) struct ConnectionConfig {
    /// Our socket's type, announced in READY and checked against the
    /// peer's.
    pub(crate) socket_type: SocketType,
    /// Our routing id (`ZMQ_ROUTING_ID`), announced by REQ, DEALER, ROUTER.
    pub(crate) identity: Bytes,
    /// `ZMQ_MAXMSGSIZE`: the largest message frame accepted, -1 for any.
    pub(crate) max_msg_size: i64,
}

/// What the peer sent that the transport must act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Inbound {
    /// The handshake is complete: traffic may flow both ways.
    Ready(PeerMetadata),
    /// A message frame for the socket, with its MORE flag.
    Message(Message),
    /// The peer's heartbeat; its PONG is already queued. The peer asks to
    /// be dropped if silent for `ttl` (zero: no such request).
    Ping {
        /// The PING's time-to-live.
        ttl: Duration,
    },
    /// The answer to one of our PINGs.
    Pong {
        /// Our PING's context, echoed.
        context: Bytes,
    },
}

/// Where the connection is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Waiting for the peer's greeting.
    Greeting,
    /// Greetings exchanged, waiting for the peer's READY.
    Handshake,
    /// Traffic.
    Active,
}

/// A ZMTP connection's state, fed with bytes, producing bytes and events.
#[derive(Debug)]
pub(crate) struct Connection {
    socket_type: SocketType,
    phase: Phase,
    decoder: Decoder,
    encoder: Encoder,
    handshake: NullHandshake,
    /// The negotiated version, once the peer's greeting is in.
    version: Option<Version>,
    /// The next frame we send starts a message.
    sending_first_frame: bool,
    /// The next frame we receive starts a message.
    receiving_first_frame: bool,
    /// A PONG to send once our message in progress is complete (only the
    /// latest is kept: libzmq keeps one too).
    pending_pong: Option<Command>,
    /// Likewise for a PING of ours.
    pending_ping: Option<Command>,
    /// The first error, returned from then on.
    failed: Option<ZmtpError>,
}

impl Connection {
    /// A new connection: our greeting is queued in the encoder.
    pub(crate) fn new(config: ConnectionConfig) -> Connection {
        let mut encoder = Encoder::new();
        encoder.greeting(&Greeting::null());
        Connection {
            socket_type: config.socket_type,
            phase: Phase::Greeting,
            decoder: Decoder::new(config.max_msg_size),
            encoder,
            handshake: NullHandshake::new(config.socket_type, config.identity),
            version: None,
            sending_first_frame: true,
            receiving_first_frame: true,
            pending_pong: None,
            pending_ping: None,
            failed: None,
        }
    }

    /// The octets to send to the peer.
    pub(crate) fn encoder(&mut self) -> &mut Encoder {
        &mut self.encoder
    }

    /// Whether the handshake is complete.
    pub(crate) fn is_ready(&self) -> bool {
        self.phase == Phase::Active
    }

    /// The negotiated version, once the peer's greeting has arrived.
    pub(crate) fn version(&self) -> Option<Version> {
        self.version
    }

    /// How much room to make in the read buffer (see [`Decoder::wanted`]).
    pub(crate) fn wanted(&self, buffered: usize) -> usize {
        self.decoder.wanted(buffered)
    }

    /// Where to read the rest of a large message body straight into, once
    /// the handshake is complete (see [`Decoder::body_room`]).
    pub(crate) fn body_room(
        &mut self,
        buf: &mut BytesMut,
        pool: &BodyPool,
    ) -> Option<BodyRoom<'_>> {
        if self.phase != Phase::Active || self.failed.is_some() {
            return None;
        }
        self.decoder.body_room(buf, pool)
    }

    /// The fast path of [`Connection::receive`]: the next message frame,
    /// when it is a whole small one and the handshake is over (see
    /// [`Decoder::take_small_message`]); `None` leaves everything to
    /// `receive`.
    #[inline]
    pub(crate) fn receive_small_message(&mut self, buf: &mut BytesMut) -> Option<Message> {
        if self.phase != Phase::Active {
            return None;
        }
        let msg = self.decoder.take_small_message(buf)?;
        self.receiving_first_frame = !msg.get_more();
        Some(msg)
    }

    /// Takes what the peer sent from the front of `buf`: the next event for
    /// the transport, or `Ok(None)` when more bytes are needed.
    pub(crate) fn receive(&mut self, buf: &mut BytesMut) -> Result<Option<Inbound>, ZmtpError> {
        if let Some(error) = &self.failed {
            return Err(error.clone());
        }
        let result = self.receive_inner(buf);
        if let Err(error) = &result {
            self.failed = Some(error.clone());
        }
        result
    }

    fn receive_inner(&mut self, buf: &mut BytesMut) -> Result<Option<Inbound>, ZmtpError> {
        loop {
            let Some(event) = self.decoder.decode(buf)? else {
                return Ok(None);
            };
            let inbound = match (self.phase, event) {
                (Phase::Greeting, Event::Greeting(peer)) => {
                    peer.check_mechanism(MechanismName::NULL)?;
                    self.version = Some(peer.negotiated());
                    self.encoder.command(&self.handshake.ready());
                    self.phase = Phase::Handshake;
                    None
                }
                // Cannot happen: the decoder yields the greeting first and
                // only once. An error rather than a panic all the same.
                (_, Event::Greeting(_)) | (Phase::Greeting, _) => {
                    return Err(ZmtpError::BadSignature);
                }
                (Phase::Handshake, Event::Command(command)) => {
                    match self.handshake.on_command(command) {
                        Ok(peer) => {
                            self.phase = Phase::Active;
                            Some(Inbound::Ready(peer))
                        }
                        Err(error) => {
                            if let Some(reply) = error.error_reply() {
                                self.encoder.command(&reply);
                            }
                            return Err(error);
                        }
                    }
                }
                (Phase::Handshake, Event::Message(_)) => return Err(ZmtpError::UnexpectedMessage),
                (Phase::Active, Event::Message(msg)) => {
                    self.receiving_first_frame = !msg.get_more();
                    Some(Inbound::Message(msg))
                }
                (Phase::Active, Event::Command(command)) => self.on_command(command)?,
            };
            if inbound.is_some() {
                return Ok(inbound);
            }
        }
    }

    /// A command after the handshake.
    fn on_command(&mut self, command: Command) -> Result<Option<Inbound>, ZmtpError> {
        Ok(match command {
            Command::Subscribe(_) | Command::Cancel(_) => {
                if !self.receiving_first_frame {
                    return Err(ZmtpError::UnexpectedCommand(command.name().to_owned()));
                }
                // Only publishers take subscriptions; libzmq hands them to
                // any socket, where they make no sense: dropped here.
                match Subscription::from_command(&command) {
                    Some(sub) if matches!(self.socket_type, SocketType::PUB | SocketType::XPUB) => {
                        Some(Inbound::Message(sub.to_message()))
                    }
                    _ => None,
                }
            }
            Command::Ping {
                ttl_deciseconds,
                context,
            } => {
                self.queue_between_messages(Command::Pong { context });
                Some(Inbound::Ping {
                    ttl: Duration::from_millis(u64::from(ttl_deciseconds) * 100),
                })
            }
            Command::Pong { context } => Some(Inbound::Pong { context }),
            // RFC 37: an ERROR is fatal whenever it comes.
            Command::Error { reason } => return Err(ZmtpError::HandshakeError(reason)),
            Command::Ready(_) => return Err(ZmtpError::UnexpectedCommand(command.name().into())),
            // A mechanism's or a later version's command: ignored, as libzmq
            // does.
            Command::Other { .. } => None,
        })
    }

    /// Queues a message frame (with its MORE flag) for the peer. A
    /// subscriber's single-frame `\x01topic`/`\x00topic` message is a
    /// subscription and goes in the negotiated version's form.
    pub(crate) fn send(&mut self, msg: Message) -> Result<(), ZmtpError> {
        if !self.is_ready() {
            return Err(ZmtpError::HandshakeIncomplete);
        }
        let subscription = if self.sending_first_frame
            && matches!(self.socket_type, SocketType::SUB | SocketType::XSUB)
        {
            Subscription::from_message(&msg)
        } else {
            None
        };
        let version = self.version.unwrap_or(Version::OURS);
        match subscription {
            Some(sub) => sub.encode(version, &mut self.encoder),
            None => {
                self.sending_first_frame = !msg.get_more();
                self.encoder.message(msg);
            }
        }
        if self.sending_first_frame {
            self.flush_pending();
        }
        Ok(())
    }

    /// Queues a PING (ZMTP 3.1; a 3.0 peer has no heartbeats, and this
    /// returns `Ok(false)`). `ttl_deciseconds` is `ZMQ_HEARTBEAT_TTL`.
    pub(crate) fn send_ping(
        &mut self,
        ttl_deciseconds: u16,
        context: Bytes,
    ) -> Result<bool, ZmtpError> {
        if !self.is_ready() {
            return Err(ZmtpError::HandshakeIncomplete);
        }
        if self.version < Some(Version::V3_1) {
            return Ok(false);
        }
        self.queue_between_messages(Command::Ping {
            ttl_deciseconds,
            context,
        });
        Ok(true)
    }

    /// Queues a PING or PONG now, or after the message being sent.
    fn queue_between_messages(&mut self, command: Command) {
        if self.sending_first_frame {
            self.encoder.command(&command);
        } else if matches!(command, Command::Pong { .. }) {
            self.pending_pong = Some(command);
        } else {
            self.pending_ping = Some(command);
        }
    }

    fn flush_pending(&mut self) {
        if self.pending_pong.is_none() && self.pending_ping.is_none() {
            return; // the common case, without building the iterator
        }
        for command in [self.pending_pong.take(), self.pending_ping.take()]
            .into_iter()
            .flatten()
        {
            self.encoder.command(&command);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::socket_type::SocketType::*;
    use crate::transport::zmtp::command::Metadata;

    fn config(socket_type: SocketType) -> ConnectionConfig {
        ConnectionConfig {
            socket_type,
            identity: Bytes::new(),
            max_msg_size: -1,
        }
    }

    /// Moves everything `from` has queued into `to`'s read buffer and
    /// collects `to`'s events, in pieces of `piece` octets.
    fn pump(
        from: &mut Connection,
        to: &mut Connection,
        inbox: &mut BytesMut,
        piece: usize,
    ) -> Result<Vec<Inbound>, ZmtpError> {
        let bytes = from.encoder().to_vec();
        let len = from.encoder().len();
        from.encoder().advance(len);
        let mut events = Vec::new();
        for chunk in bytes.chunks(piece.max(1)) {
            inbox.extend_from_slice(chunk);
            while let Some(event) = to.receive(inbox)? {
                events.push(event);
            }
        }
        Ok(events)
    }

    /// Two connections handshaking: returns them ready, with each side's
    /// view of the other.
    fn connected(
        a: SocketType,
        b: SocketType,
    ) -> (
        Connection,
        Connection,
        BytesMut,
        BytesMut,
        PeerMetadata,
        PeerMetadata,
    ) {
        let mut left = Connection::new(ConnectionConfig {
            identity: Bytes::from("left"),
            ..config(a)
        });
        let mut right = Connection::new(config(b));
        let (mut left_in, mut right_in) = (BytesMut::new(), BytesMut::new());
        // left's greeting: right answers with its greeting and READY, which
        // complete left's handshake; left's READY then completes right's.
        assert!(pump(&mut left, &mut right, &mut right_in, 7)
            .unwrap()
            .is_empty());
        assert!(!right.is_ready());
        let mut to_left = pump(&mut right, &mut left, &mut left_in, 7).unwrap();
        let mut to_right = pump(&mut left, &mut right, &mut right_in, 7).unwrap();
        let (Some(Inbound::Ready(left_sees)), Some(Inbound::Ready(right_sees))) =
            (to_left.pop(), to_right.pop())
        else {
            panic!("not ready");
        };
        assert!(to_left.is_empty() && to_right.is_empty());
        assert!(left.is_ready() && right.is_ready());
        (left, right, left_in, right_in, left_sees, right_sees)
    }

    #[test]
    fn two_connections_handshake_and_exchange_messages() {
        let (mut dealer, mut router, mut dealer_in, mut router_in, dealer_sees, router_sees) =
            connected(DEALER, ROUTER);
        assert_eq!(router_sees.socket_type, DEALER);
        assert_eq!(router_sees.identity, Some(Bytes::from("left")));
        assert_eq!(dealer_sees.socket_type, ROUTER);
        assert_eq!(dealer.version(), Some(Version::V3_1));

        let mut first = Message::from("part one");
        first.set_more(true);
        dealer.send(first).unwrap();
        dealer.send(Message::from(vec![4u8; 100_000])).unwrap();
        let events = pump(&mut dealer, &mut router, &mut router_in, 1000).unwrap();
        assert_eq!(events.len(), 2);
        let Inbound::Message(one) = &events[0] else {
            panic!("{events:?}")
        };
        assert_eq!(&one[..], b"part one");
        assert!(one.get_more());
        let Inbound::Message(two) = &events[1] else {
            panic!("{events:?}")
        };
        assert_eq!(two.len(), 100_000);
        assert!(!two.get_more());

        router.send(Message::from("reply")).unwrap();
        let events = pump(&mut router, &mut dealer, &mut dealer_in, 3).unwrap();
        assert_eq!(events, [Inbound::Message(Message::from("reply"))]);
    }

    #[test]
    fn incompatible_peers_get_an_error_command_and_fail() {
        let mut push = Connection::new(config(PUSH));
        let mut other = Connection::new(config(PUSH));
        let (mut push_in, mut other_in) = (BytesMut::new(), BytesMut::new());
        pump(&mut push, &mut other, &mut other_in, 64).unwrap();
        let error = pump(&mut other, &mut push, &mut push_in, 64).unwrap_err();
        assert_eq!(
            error,
            ZmtpError::IncompatibleSocketType {
                ours: PUSH,
                theirs: "PUSH".into()
            }
        );
        // push's queue: its READY, then the ERROR for the peer.
        let sent = push.encoder().to_vec();
        assert!(sent.ends_with(b"\x04\x1a\x05ERROR\x13Invalid socket type"));
        // The peer checks too, and fails the same way on push's READY
        // (before it reads the ERROR behind it).
        let error = pump(&mut push, &mut other, &mut other_in, 64).unwrap_err();
        assert!(matches!(error, ZmtpError::IncompatibleSocketType { .. }));
        // A peer that does not check learns why from the ERROR.
        let mut lenient = Connection::new(config(PULL));
        let mut buf = BytesMut::from(&Greeting::null().encode()[..]);
        Command::error("Invalid socket type").encode(&mut buf);
        assert_eq!(
            lenient.receive(&mut buf),
            Err(ZmtpError::HandshakeError("Invalid socket type".into()))
        );
        // Both stay failed.
        assert!(push.receive(&mut BytesMut::new()).is_err());
        assert_eq!(
            push.send(Message::from("x")),
            Err(ZmtpError::HandshakeIncomplete)
        );
    }

    #[test]
    fn a_mechanism_mismatch_fails() {
        let mut conn = Connection::new(config(PAIR));
        let mut greeting = Greeting::null().encode();
        greeting[12..17].copy_from_slice(b"PLAIN");
        let mut buf = BytesMut::from(&greeting[..]);
        assert_eq!(
            conn.receive(&mut buf),
            Err(ZmtpError::MechanismMismatch {
                ours: "NULL".into(),
                theirs: "PLAIN".into()
            })
        );
    }

    #[test]
    fn a_message_before_ready_fails() {
        let mut conn = Connection::new(config(PAIR));
        let mut buf = BytesMut::from(&Greeting::null().encode()[..]);
        buf.extend_from_slice(b"\x00\x01x");
        assert_eq!(conn.receive(&mut buf), Err(ZmtpError::UnexpectedMessage));
        assert_eq!(
            Connection::new(config(PAIR)).send(Message::new()),
            Err(ZmtpError::HandshakeIncomplete)
        );
    }

    #[test]
    fn subscriptions_are_commands_for_3_1_and_messages_for_pub() {
        let (mut sub, mut publisher, _, mut pub_in, _, _) = connected(SUB, PUB);
        sub.send(Message::from("\x01weather")).unwrap();
        sub.send(Message::from("\x00weather")).unwrap();
        assert_eq!(
            sub.encoder().to_vec(),
            b"\x04\x11\x09SUBSCRIBEweather\x04\x0e\x06CANCELweather"
        );
        let events = pump(&mut sub, &mut publisher, &mut pub_in, 5).unwrap();
        assert_eq!(
            events,
            [
                Inbound::Message(Message::from("\x01weather")),
                Inbound::Message(Message::from("\x00weather"))
            ]
        );
    }

    /// A ZMTP 3.0 peer, played by hand: its greeting says 3.0.
    fn with_3_0_peer(ours: SocketType, theirs: &str) -> (Connection, BytesMut) {
        let mut conn = Connection::new(config(ours));
        let mut greeting = Greeting::null().encode();
        greeting[11] = 0;
        let mut metadata = Metadata::default();
        metadata.insert("Socket-Type", theirs.to_owned()).unwrap();
        let mut buf = BytesMut::from(&greeting[..]);
        Command::Ready(metadata).encode(&mut buf);
        let Ok(Some(Inbound::Ready(_))) = conn.receive(&mut buf) else {
            panic!("no handshake");
        };
        assert_eq!(conn.version(), Some(Version::V3_0));
        let len = conn.encoder().len();
        conn.encoder().advance(len);
        (conn, buf)
    }

    #[test]
    fn a_3_0_peer_gets_subscriptions_as_messages_and_no_pings() {
        let (mut xsub, _) = with_3_0_peer(XSUB, "XPUB");
        xsub.send(Message::from("\x01A")).unwrap();
        xsub.send(Message::from("data")).unwrap();
        assert_eq!(xsub.encoder().to_vec(), b"\x00\x02\x01A\x00\x04data");
        assert_eq!(xsub.send_ping(10, Bytes::new()), Ok(false));
    }

    #[test]
    fn a_3_0_subscriber_subscribes_with_messages() {
        let (mut xpub, mut buf) = with_3_0_peer(XPUB, "SUB");
        buf.extend_from_slice(b"\x00\x02\x01A");
        assert_eq!(
            xpub.receive(&mut buf),
            Ok(Some(Inbound::Message(Message::from("\x01A"))))
        );
    }

    #[test]
    fn ping_is_answered_with_pong_between_messages() {
        let (mut left, mut right, mut left_in, mut right_in, _, _) = connected(PAIR, PAIR);
        // right is in the middle of a message when the PING comes: its PONG
        // waits for the message's end.
        let mut first = Message::from("a");
        first.set_more(true);
        right.send(first).unwrap();
        assert_eq!(left.send_ping(50, Bytes::from("ctx")), Ok(true));
        let events = pump(&mut left, &mut right, &mut right_in, 4).unwrap();
        assert_eq!(
            events,
            [Inbound::Ping {
                ttl: Duration::from_secs(5)
            }]
        );
        assert_eq!(right.encoder().to_vec(), b"\x01\x01a");
        right.send(Message::from("b")).unwrap();
        let events = pump(&mut right, &mut left, &mut left_in, 4).unwrap();
        assert_eq!(
            events,
            [
                Inbound::Message(Message::from("a")),
                Inbound::Message(Message::from("b")),
                Inbound::Pong {
                    context: Bytes::from("ctx")
                }
            ]
        );
    }

    #[test]
    fn a_ping_inside_a_peer_message_is_accepted_a_subscription_is_not() {
        let (_, mut publisher, _, mut pub_in, _, _) = connected(SUB, PUB);
        pub_in.extend_from_slice(b"\x01\x01a\x04\x07\x04PING\x00\x00\x00\x01b");
        let mut events = Vec::new();
        while let Some(event) = publisher.receive(&mut pub_in).unwrap() {
            events.push(event);
        }
        assert_eq!(events.len(), 3);
        assert!(matches!(events[1], Inbound::Ping { .. }));

        pub_in.extend_from_slice(b"\x01\x01a\x04\x0a\x09SUBSCRIBE");
        assert!(publisher.receive(&mut pub_in).unwrap().is_some());
        assert_eq!(
            publisher.receive(&mut pub_in),
            Err(ZmtpError::UnexpectedCommand("SUBSCRIBE".into()))
        );
    }

    #[test]
    fn after_the_handshake_error_is_fatal_ready_unexpected_others_ignored() {
        let (_, mut pair, _, mut buf, _, _) = connected(PAIR, PAIR);
        buf.extend_from_slice(b"\x04\x06\x04JOINx\x00\x01m");
        assert_eq!(
            pair.receive(&mut buf),
            Ok(Some(Inbound::Message(Message::from("m"))))
        );
        let mut error = BytesMut::new();
        Command::error("bye").encode(&mut error);
        assert_eq!(
            pair.receive(&mut error),
            Err(ZmtpError::HandshakeError("bye".into()))
        );

        let (_, mut pair, _, mut buf, _, _) = connected(PAIR, PAIR);
        NullHandshake::new(PAIR, Bytes::new())
            .ready()
            .encode(&mut buf);
        assert_eq!(
            pair.receive(&mut buf),
            Err(ZmtpError::UnexpectedCommand("READY".into()))
        );
    }

    #[test]
    fn subscriptions_to_non_publishers_are_dropped() {
        let (_, mut pair, _, mut buf, _, _) = connected(PAIR, PAIR);
        buf.extend_from_slice(b"\x04\x0b\x09SUBSCRIBEA\x00\x01m");
        assert_eq!(
            pair.receive(&mut buf),
            Ok(Some(Inbound::Message(Message::from("m"))))
        );
    }

    #[test]
    fn maxmsgsize_reaches_the_decoder() {
        let mut conn = Connection::new(ConnectionConfig {
            max_msg_size: 4,
            ..config(PULL)
        });
        let mut buf = BytesMut::from(&Greeting::null().encode()[..]);
        NullHandshake::new(PUSH, Bytes::new())
            .ready()
            .encode(&mut buf);
        buf.extend_from_slice(b"\x00\x05");
        assert!(matches!(
            conn.receive(&mut buf),
            Ok(Some(Inbound::Ready(_)))
        ));
        assert_eq!(
            conn.receive(&mut buf),
            Err(ZmtpError::FrameTooLarge { size: 5, max: 4 })
        );
    }
}
