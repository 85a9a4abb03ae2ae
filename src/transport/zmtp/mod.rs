//! ZMTP 3.1 (RFC 37, with RFC 23's 3.0 peers), the wire protocol of the
//! `tcp://` and `ipc://` transports, as a pure codec.
//!
//! This module knows bytes and [`Message`](crate::msg::Message)s and nothing
//! else: no socket, no pipe, no file descriptor, no clock. A transport reads
//! bytes from the network into a `BytesMut`, hands them to a [`Connection`]
//! and writes out what its [`Encoder`] holds; what the peer says comes back as
//! values. Being free of I/O, every part can be driven byte by byte in unit
//! tests and fuzzed (`fuzz/`, through `crate::__fuzz`).
//!
//! The layers, lowest first, one file each:
//!
//! - [`frame`]: the frame header: flags (MORE, LONG, COMMAND) and the short
//!   (1-octet) or long (8-octet) size.
//! - [`greeting`]: the 64-octet greeting (signature, version, mechanism,
//!   as-server), read incrementally; version negotiation.
//! - [`command`]: the commands (READY with its metadata, ERROR, SUBSCRIBE,
//!   CANCEL, PING, PONG) as a typed enum, encoded and decoded.
//! - [`decoder`]: an incremental decoder from a read buffer to events
//!   (the peer's greeting, commands, message frames), splitting large bodies
//!   out of the buffer without a copy, or receiving the largest into
//!   buffers of their own, and enforcing `maxmsgsize` before any body is
//!   buffered.
//! - [`body`]: those buffers of their own, recycled through a small pool
//!   per connection when their messages drop.
//! - [`encoder`]: frames and commands into an output queue ready for
//!   `writev`; large bodies are queued by reference, never copied.
//! - [`null`]: the NULL security mechanism: our READY, the checks on the
//!   peer's (socket-type compatibility, properties).
//! - [`subscription`]: subscriptions as SUBSCRIBE/CANCEL commands (3.1) or as
//!   `\x01topic`/`\x00topic` messages (3.0 peers, and zactor's pipes).
//! - [`connection`]: the above composed into one connection's state machine:
//!   greeting, handshake, then traffic.
//!
//! Everything a peer sends is untrusted: any byte sequence gives either
//! events or a [`ZmtpError`], never a panic, and memory grows only with the
//! bytes actually received (a frame claiming 2^63 octets allocates nothing).

// The tcp/ipc engine uses the codec; a few accessors (`Connection::version`,
// `Encoder::to_vec`, `Metadata::len` ...) serve only the tests and the fuzz
// driver so far.
#![allow(dead_code)]

pub(crate) mod body;
pub(crate) mod command;
pub(crate) mod connection;
pub(crate) mod decoder;
pub(crate) mod encoder;
pub(crate) mod frame;
#[cfg(any(test, feature = "fuzzing"))]
pub(crate) mod fuzz;
pub(crate) mod greeting;
#[cfg(all(test, feature = "compare"))]
mod interop;
pub(crate) mod null;
pub(crate) mod subscription;

// The names the transport uses (some only in tests so far).
pub(crate) use body::BodyPool;
#[allow(unused_imports)]
pub(crate) use command::{Command, Metadata};
#[allow(unused_imports)]
pub(crate) use connection::{Connection, ConnectionConfig, Inbound};
#[allow(unused_imports)]
pub(crate) use decoder::{BodyRoom, Decoder, Event};
#[allow(unused_imports)]
pub(crate) use encoder::Encoder;
#[allow(unused_imports)]
pub(crate) use greeting::{Greeting, PeerGreeting, Version};
#[allow(unused_imports)]
pub(crate) use null::{NullHandshake, PeerMetadata};
#[allow(unused_imports)]
pub(crate) use subscription::Subscription;

use crate::socket_type::SocketType;

/// The name shown for a command whose name could not be read.
pub(crate) const UNNAMED: &str = "(unnamed)";

/// Why a ZMTP connection cannot go on. Every variant is fatal for the
/// connection: the transport closes it (after sending
/// [`error_reply`](ZmtpError::error_reply), if any).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum ZmtpError {
    /// The first ten octets are not `%xFF padding %x7F`: the peer does not
    /// speak ZMTP 2.0 or later (a ZMTP 1.0 peer, or not ZMTP at all).
    #[error("not a ZMTP 3 peer: bad greeting signature")]
    BadSignature,
    /// The peer announced a version before 3.0 (ZMTP 1.0 and 2.0 are not
    /// supported).
    #[error("unsupported ZMTP version {major}.{minor}")]
    UnsupportedVersion {
        /// The peer's major version.
        major: u8,
        /// The peer's minor version.
        minor: u8,
    },
    /// The greeting's mechanism field is not a mechanism name (characters
    /// outside `A-Z 0-9 - _ . +`, non-zero octets after the padding, empty).
    #[error("malformed security mechanism {0:?}")]
    UnknownMechanism(String),
    /// The peer uses another security mechanism than ours: RFC 37 says "If
    /// the mechanism that the peer received does not exactly match the
    /// mechanism it sent, it MUST close the connection".
    #[error("security mechanism mismatch: ours is {ours}, the peer's is {theirs}")]
    MechanismMismatch {
        /// Our mechanism.
        ours: String,
        /// The peer's.
        theirs: String,
    },
    /// A frame larger than the limit (`maxmsgsize` for message frames,
    /// [`decoder::MAX_COMMAND_SIZE`] for commands, 2^63 - 1 for any frame);
    /// detected from the header, before the body is buffered.
    #[error("frame of {size} bytes exceeds the limit of {max}")]
    FrameTooLarge {
        /// The size the frame header declares.
        size: u64,
        /// The limit it exceeds.
        max: u64,
    },
    /// A frame's flags octet has one of the reserved bits 7-3 set.
    #[error("frame flags {0:#04x} have reserved bits set")]
    ReservedFlags(u8),
    /// A command frame that does not follow its grammar.
    #[error("malformed {command} command: {reason}")]
    MalformedCommand {
        /// The command's name, as far as it could be read.
        command: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The peer's `Socket-Type` may not talk to ours (RFC 23's table); the
    /// peer gets an ERROR command saying so.
    #[error("a {ours} socket cannot talk to a {theirs} peer")]
    IncompatibleSocketType {
        /// Our socket type.
        ours: SocketType,
        /// The peer's `Socket-Type`, as sent (it may name no known type).
        theirs: String,
    },
    /// The peer's READY lacks a property we need (`Socket-Type`).
    #[error("the peer's READY has no {0} property")]
    MissingProperty(&'static str),
    /// The peer sent an ERROR command; the reason is its text.
    #[error("the peer refused the connection: {0}")]
    HandshakeError(String),
    /// A command that is valid but out of place (a PING during the
    /// handshake, a second READY, ...).
    #[error("unexpected {0} command")]
    UnexpectedCommand(String),
    /// A message frame before the handshake completed.
    #[error("message frame before the handshake completed")]
    UnexpectedMessage,
    /// Our own side tried to send traffic before the handshake completed (a
    /// transport bug, not the peer's doing).
    #[error("cannot send before the handshake completed")]
    HandshakeIncomplete,
}

impl ZmtpError {
    /// The ERROR command to send the peer before closing, where RFC 37 asks
    /// for one: "When a peer validates the socket type, it SHOULD handle
    /// errors by returning an ERROR command, and then disconnecting the
    /// peer." Other failures just close the connection (RFC 37: "An
    /// implementation SHOULD signal any other error ... by closing the
    /// connection").
    pub(crate) fn error_reply(&self) -> Option<Command> {
        match self {
            ZmtpError::IncompatibleSocketType { .. } | ZmtpError::MissingProperty(_) => {
                Some(Command::error("Invalid socket type"))
            }
            _ => None,
        }
    }

    /// Shorthand for a [`ZmtpError::MalformedCommand`].
    pub(crate) fn malformed(command: &str, reason: &'static str) -> ZmtpError {
        ZmtpError::MalformedCommand {
            command: command.to_owned(),
            reason,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_say_why() {
        assert_eq!(
            ZmtpError::UnsupportedVersion { major: 2, minor: 0 }.to_string(),
            "unsupported ZMTP version 2.0"
        );
        assert_eq!(
            ZmtpError::FrameTooLarge { size: 10, max: 5 }.to_string(),
            "frame of 10 bytes exceeds the limit of 5"
        );
        assert_eq!(
            ZmtpError::IncompatibleSocketType {
                ours: SocketType::REQ,
                theirs: "PUB".into()
            }
            .to_string(),
            "a REQ socket cannot talk to a PUB peer"
        );
        assert_eq!(
            ZmtpError::ReservedFlags(0x80).to_string(),
            "frame flags 0x80 have reserved bits set"
        );
        assert_eq!(
            ZmtpError::malformed("PING", "no TTL").to_string(),
            "malformed PING command: no TTL"
        );
    }

    #[test]
    fn only_socket_type_failures_are_answered_with_error() {
        let incompatible = ZmtpError::IncompatibleSocketType {
            ours: SocketType::PUSH,
            theirs: "PUSH".into(),
        };
        assert_eq!(
            incompatible.error_reply(),
            Some(Command::Error {
                reason: "Invalid socket type".into()
            })
        );
        assert!(ZmtpError::MissingProperty("Socket-Type")
            .error_reply()
            .is_some());
        assert_eq!(ZmtpError::BadSignature.error_reply(), None);
        assert_eq!(ZmtpError::HandshakeError("x".into()).error_reply(), None);
    }
}
