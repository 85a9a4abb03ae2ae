//! The NULL security mechanism (RFC 37): no authentication, no encryption;
//! the handshake is one READY command each way, carrying metadata.
//!
//! Both peers send READY as soon as the greetings are exchanged (libzmq
//! does not make the server wait for the client's READY either), then check
//! the peer's: its `Socket-Type` must be one ours may talk to (RFC 23/37's
//! table, [`SocketType::is_compatible_with`]); on a mismatch the connection
//! fails with [`ZmtpError::IncompatibleSocketType`], whose
//! [`error_reply`](ZmtpError::error_reply) is the ERROR command to send
//! before closing. A peer's ERROR ends the handshake with
//! [`ZmtpError::HandshakeError`].
//!
//! Like libzmq, we announce `Identity` only from REQ, DEALER and ROUTER
//! sockets, the ones a ROUTER can address by it.

use bytes::Bytes;

use super::command::{Command, Metadata};
use super::ZmtpError;
use crate::socket_type::SocketType;

/// The property naming the sender's socket type.
pub(crate) const SOCKET_TYPE: &str = "Socket-Type";
/// The property carrying the sender's identity (routing id).
pub(crate) const IDENTITY: &str = "Identity";
/// The longest identity (RFC 37: `identity = 0*255OCTET`).
pub(crate) const MAX_IDENTITY: usize = u8::MAX as usize;

/// What the peer's READY told us.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PeerMetadata {
    /// The peer's socket type, compatible with ours.
    pub(crate) socket_type: SocketType,
    /// The peer's `Identity` property, if it sent one (possibly empty).
    pub(crate) identity: Option<Bytes>,
    /// Every property as received, `Socket-Type` and `Identity` included
    /// (for `zmq_msg_gets` and application `X-` properties).
    pub(crate) properties: Metadata,
}

/// Where the handshake is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Waiting for the peer's READY or ERROR.
    Waiting,
    /// The peer's READY was accepted.
    Done,
    /// It failed; nothing more is accepted.
    Failed,
}

/// One side of a NULL handshake.
#[derive(Debug, Clone)]
pub(crate) struct NullHandshake {
    socket_type: SocketType,
    identity: Bytes,
    state: State,
}

impl NullHandshake {
    /// The handshake of a socket of `socket_type` with routing id
    /// `identity` (at most 255 octets, as the socket option enforces;
    /// longer is cut).
    pub(crate) fn new(socket_type: SocketType, identity: Bytes) -> NullHandshake {
        let identity = identity.slice(..identity.len().min(MAX_IDENTITY));
        NullHandshake {
            socket_type,
            identity,
            state: State::Waiting,
        }
    }

    /// Whether the peer's READY has been accepted.
    pub(crate) fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// Our READY command.
    pub(crate) fn ready(&self) -> Command {
        let mut metadata = Metadata::default();
        // Both names are valid and the values short: these cannot fail.
        let _ = metadata.insert(SOCKET_TYPE, self.socket_type.zmtp_name());
        if matches!(
            self.socket_type,
            SocketType::REQ | SocketType::DEALER | SocketType::ROUTER
        ) {
            let _ = metadata.insert(IDENTITY, self.identity.clone());
        }
        Command::Ready(metadata)
    }

    /// Takes a command received during the handshake: the peer's READY
    /// completes it, anything else fails it.
    pub(crate) fn on_command(&mut self, command: Command) -> Result<PeerMetadata, ZmtpError> {
        if self.state != State::Waiting {
            return Err(ZmtpError::UnexpectedCommand(command.name().to_owned()));
        }
        let result = match command {
            Command::Ready(metadata) => self.check_ready(metadata),
            Command::Error { reason } => Err(ZmtpError::HandshakeError(reason)),
            other => Err(ZmtpError::UnexpectedCommand(other.name().to_owned())),
        };
        self.state = if result.is_ok() {
            State::Done
        } else {
            State::Failed
        };
        result
    }

    fn check_ready(&self, properties: Metadata) -> Result<PeerMetadata, ZmtpError> {
        let mut socket_type = None;
        // Every Socket-Type given must be acceptable, as libzmq checks each.
        for (name, value) in properties.iter() {
            if name.eq_ignore_ascii_case(SOCKET_TYPE) {
                match socket_type_named(value) {
                    Some(theirs) if self.socket_type.is_compatible_with(theirs) => {
                        socket_type.get_or_insert(theirs);
                    }
                    _ => {
                        return Err(ZmtpError::IncompatibleSocketType {
                            ours: self.socket_type,
                            theirs: shown_name(value),
                        })
                    }
                }
            }
        }
        let socket_type = socket_type.ok_or(ZmtpError::MissingProperty(SOCKET_TYPE))?;
        let identity = properties.get(IDENTITY).cloned();
        if identity.as_ref().is_some_and(|id| id.len() > MAX_IDENTITY) {
            return Err(ZmtpError::malformed(
                "READY",
                "Identity longer than 255 octets",
            ));
        }
        Ok(PeerMetadata {
            socket_type,
            identity,
            properties,
        })
    }
}

/// A peer's socket-type value for an error message: the longest real name
/// is 7 characters; a value of any length may arrive, so it is cut.
fn shown_name(value: &[u8]) -> String {
    const SHOWN: usize = 32;
    let mut shown = String::from_utf8_lossy(&value[..value.len().min(SHOWN)]).into_owned();
    if value.len() > SHOWN {
        shown.push_str("...");
    }
    shown
}

/// The socket type whose ZMTP name is exactly `name` (case matters, as in
/// libzmq).
fn socket_type_named(name: &[u8]) -> Option<SocketType> {
    (0..)
        .map_while(SocketType::from_raw)
        .find(|kind| kind.zmtp_name().as_bytes() == name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::socket_type::SocketType::*;

    const ALL: [SocketType; 12] = [
        PAIR, PUB, SUB, REQ, REP, DEALER, ROUTER, PULL, PUSH, XPUB, XSUB, STREAM,
    ];

    fn ready_from(properties: &[(&str, &[u8])]) -> Command {
        let mut metadata = Metadata::default();
        for (name, value) in properties {
            metadata.insert(name, value.to_vec()).unwrap();
        }
        Command::Ready(metadata)
    }

    #[test]
    fn our_ready_carries_socket_type_and_identity_where_libzmq_does() {
        let dealer = NullHandshake::new(DEALER, Bytes::new()).ready();
        let mut bytes = bytes::BytesMut::new();
        dealer.encode(&mut bytes);
        // RFC 37's worked example, byte for byte.
        assert_eq!(
            &bytes[..],
            b"\x04\x29\x05READY\x0bSocket-Type\x00\x00\x00\x06DEALER\x08Identity\x00\x00\x00\x00"
        );
        for kind in ALL {
            let Command::Ready(metadata) = NullHandshake::new(kind, Bytes::from("me")).ready()
            else {
                unreachable!()
            };
            assert_eq!(
                metadata.get(SOCKET_TYPE).map(|v| &v[..]),
                Some(kind.zmtp_name().as_bytes())
            );
            let has_identity = matches!(kind, REQ | DEALER | ROUTER);
            assert_eq!(metadata.get(IDENTITY).is_some(), has_identity, "{kind}");
        }
    }

    #[test]
    fn two_handshakes_accept_each_other_exactly_per_the_table() {
        for ours in ALL {
            for theirs in ALL {
                let mut handshake = NullHandshake::new(ours, Bytes::new());
                let peer_ready = NullHandshake::new(theirs, Bytes::from("id")).ready();
                let result = handshake.on_command(peer_ready);
                if ours.is_compatible_with(theirs) {
                    let peer = result.unwrap();
                    assert_eq!(peer.socket_type, theirs);
                    assert!(handshake.is_done());
                } else {
                    let error = result.unwrap_err();
                    assert_eq!(
                        error,
                        ZmtpError::IncompatibleSocketType {
                            ours,
                            theirs: theirs.zmtp_name().into()
                        }
                    );
                    assert_eq!(
                        error.error_reply(),
                        Some(Command::error("Invalid socket type"))
                    );
                    assert!(!handshake.is_done());
                }
            }
        }
    }

    #[test]
    fn identity_and_other_properties_are_collected() {
        let mut handshake = NullHandshake::new(ROUTER, Bytes::new());
        let peer = handshake
            .on_command(ready_from(&[
                ("socket-type", b"DEALER"),
                ("IDENTITY", b"worker-1"),
                ("X-Colour", b"blue"),
            ]))
            .unwrap();
        assert_eq!(peer.socket_type, DEALER);
        assert_eq!(peer.identity, Some(Bytes::from("worker-1")));
        assert_eq!(
            peer.properties.get("x-colour").map(|v| &v[..]),
            Some(&b"blue"[..])
        );
        assert_eq!(peer.properties.len(), 3);
    }

    #[test]
    fn no_identity_is_none_and_an_empty_one_is_empty() {
        let mut handshake = NullHandshake::new(ROUTER, Bytes::new());
        let peer = handshake
            .on_command(ready_from(&[("Socket-Type", b"REQ")]))
            .unwrap();
        assert_eq!(peer.identity, None);
        let mut handshake = NullHandshake::new(ROUTER, Bytes::new());
        let peer = handshake
            .on_command(ready_from(&[("Socket-Type", b"REQ"), ("Identity", b"")]))
            .unwrap();
        assert_eq!(peer.identity, Some(Bytes::new()));
    }

    #[test]
    fn a_ready_without_socket_type_fails() {
        let mut handshake = NullHandshake::new(PULL, Bytes::new());
        assert_eq!(
            handshake.on_command(ready_from(&[("Identity", b"x")])),
            Err(ZmtpError::MissingProperty("Socket-Type"))
        );
    }

    #[test]
    fn socket_type_names_are_exact_and_every_one_is_checked() {
        let mut handshake = NullHandshake::new(PULL, Bytes::new());
        assert_eq!(
            handshake.on_command(ready_from(&[("Socket-Type", b"push")])),
            Err(ZmtpError::IncompatibleSocketType {
                ours: PULL,
                theirs: "push".into()
            })
        );
        let mut handshake = NullHandshake::new(PULL, Bytes::new());
        assert!(matches!(
            handshake.on_command(ready_from(&[
                ("Socket-Type", b"PUSH"),
                ("Socket-Type", b"CLIENT")
            ])),
            Err(ZmtpError::IncompatibleSocketType { .. })
        ));
    }

    #[test]
    fn a_huge_socket_type_is_cut_in_the_error() {
        let mut handshake = NullHandshake::new(PULL, Bytes::new());
        let huge = vec![b'X'; 100_000];
        let Err(ZmtpError::IncompatibleSocketType { theirs, .. }) =
            handshake.on_command(ready_from(&[("Socket-Type", &huge)]))
        else {
            panic!("accepted");
        };
        assert_eq!(theirs, format!("{}...", "X".repeat(32)));
    }

    #[test]
    fn an_overlong_identity_fails() {
        let mut handshake = NullHandshake::new(ROUTER, Bytes::new());
        let long = vec![b'i'; 256];
        assert!(matches!(
            handshake.on_command(ready_from(&[
                ("Socket-Type", b"DEALER"),
                ("Identity", &long)
            ])),
            Err(ZmtpError::MalformedCommand { .. })
        ));
    }

    #[test]
    fn the_peers_error_fails_the_handshake_with_its_reason() {
        let mut handshake = NullHandshake::new(REQ, Bytes::new());
        assert_eq!(
            handshake.on_command(Command::error("go away")),
            Err(ZmtpError::HandshakeError("go away".into()))
        );
        // Nothing is accepted after a failure.
        assert_eq!(
            handshake.on_command(ready_from(&[("Socket-Type", b"REP")])),
            Err(ZmtpError::UnexpectedCommand("READY".into()))
        );
    }

    #[test]
    fn other_commands_and_a_second_ready_are_unexpected() {
        let mut handshake = NullHandshake::new(SUB, Bytes::new());
        assert_eq!(
            handshake.on_command(Command::Ping {
                ttl_deciseconds: 0,
                context: Bytes::new()
            }),
            Err(ZmtpError::UnexpectedCommand("PING".into()))
        );
        let mut handshake = NullHandshake::new(SUB, Bytes::new());
        handshake
            .on_command(ready_from(&[("Socket-Type", b"PUB")]))
            .unwrap();
        assert_eq!(
            handshake.on_command(ready_from(&[("Socket-Type", b"PUB")])),
            Err(ZmtpError::UnexpectedCommand("READY".into()))
        );
    }

    #[test]
    fn socket_types_are_found_by_zmtp_name() {
        for kind in ALL {
            assert_eq!(socket_type_named(kind.zmtp_name().as_bytes()), Some(kind));
        }
        assert_eq!(socket_type_named(b"CLIENT"), None);
        assert_eq!(socket_type_named(b""), None);
    }

    #[test]
    fn a_long_identity_of_ours_is_cut_to_255() {
        let handshake = NullHandshake::new(DEALER, Bytes::from(vec![1u8; 300]));
        let Command::Ready(metadata) = handshake.ready() else {
            unreachable!()
        };
        assert_eq!(metadata.get(IDENTITY).map(Bytes::len), Some(255));
    }
}
