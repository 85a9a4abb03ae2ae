//! Socket monitor events (`Socket::monitor`), as zmq 0.10's `SocketEvent`
//! with libzmq's values, and the protocol error codes a
//! `HANDSHAKE_FAILED_PROTOCOL` event carries.
//!
//! An event reaches the monitor as a two-frame message, libzmq's format:
//! six octets (the event as a `u16`, then its value as a `u32`, both in
//! the host's byte order) and the endpoint it concerns.

/// A socket event, with libzmq's numbering (zmq 0.10's names).
#[allow(non_camel_case_types)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SocketEvent {
    /// A connect completed (value: the connection's file descriptor).
    CONNECTED = 0x0001,
    /// A connect is in progress (value: `EINPROGRESS`).
    CONNECT_DELAYED = 0x0002,
    /// A connect will be retried (value: the wait in milliseconds).
    CONNECT_RETRIED = 0x0004,
    /// A bind succeeded (value: the listener's file descriptor).
    LISTENING = 0x0008,
    /// A bind failed (value: the errno).
    BIND_FAILED = 0x0010,
    /// A connection was accepted (value: its file descriptor).
    ACCEPTED = 0x0020,
    /// An accept failed (value: the errno).
    ACCEPT_FAILED = 0x0040,
    /// A listener closed (value: its file descriptor).
    CLOSED = 0x0080,
    /// Closing a listener failed (value: the errno).
    CLOSE_FAILED = 0x0100,
    /// A connection that had completed its handshake ended (value: its file
    /// descriptor).
    DISCONNECTED = 0x0200,
    /// Monitoring stopped: the last event.
    MONITOR_STOPPED = 0x0400,
    /// A handshake failed for a reason other than the protocol (the peer
    /// closed the connection, an I/O error, `HANDSHAKE_IVL` ran out).
    HANDSHAKE_FAILED_NO_DETAIL = 0x0800,
    /// A handshake completed (value: 0).
    HANDSHAKE_SUCCEEDED = 0x1000,
    /// A handshake failed because the peer broke ZMTP or refused us (value:
    /// one of the `PROTOCOL_ERROR_*` codes of libzmq).
    HANDSHAKE_FAILED_PROTOCOL = 0x2000,
    /// A security handshake was refused (not produced: zactor has the NULL
    /// mechanism only).
    HANDSHAKE_FAILED_AUTH = 0x4000,
    /// Every event (a mask for `Socket::monitor`).
    ALL = 0xFFFF,
}

impl SocketEvent {
    /// The event's number.
    pub fn to_raw(self) -> u16 {
        self as u16
    }

    /// The event for a number. zmq 0.10 panics on an unknown number; here
    /// an unknown number gives [`SocketEvent::ALL`], so a monitor reading
    /// a newer peer's events never brings a program down.
    pub fn from_raw(raw: u16) -> SocketEvent {
        use SocketEvent::*;
        [
            CONNECTED,
            CONNECT_DELAYED,
            CONNECT_RETRIED,
            LISTENING,
            BIND_FAILED,
            ACCEPTED,
            ACCEPT_FAILED,
            CLOSED,
            CLOSE_FAILED,
            DISCONNECTED,
            MONITOR_STOPPED,
            HANDSHAKE_FAILED_NO_DETAIL,
            HANDSHAKE_SUCCEEDED,
            HANDSHAKE_FAILED_PROTOCOL,
            HANDSHAKE_FAILED_AUTH,
        ]
        .into_iter()
        .find(|event| event.to_raw() == raw)
        .unwrap_or(ALL)
    }
}

/// libzmq's `ZMQ_PROTOCOL_ERROR_*` values for `HANDSHAKE_FAILED_PROTOCOL`.
pub mod protocol_error {
    /// A ZMTP violation without a more precise code (a bad greeting, a
    /// malformed or oversized frame).
    pub const ZMTP_UNSPECIFIED: u32 = 0x1000_0000;
    /// A valid command out of place.
    pub const ZMTP_UNEXPECTED_COMMAND: u32 = 0x1000_0001;
    /// Traffic out of sequence (a message frame before the handshake).
    pub const ZMTP_INVALID_SEQUENCE: u32 = 0x1000_0002;
    /// A command that does not follow its grammar.
    pub const ZMTP_MALFORMED_COMMAND_UNSPECIFIED: u32 = 0x1000_0011;
    /// The peer sent an ERROR command.
    pub const ZMTP_MALFORMED_COMMAND_ERROR: u32 = 0x1000_0015;
    /// A READY command without what it must carry.
    pub const ZMTP_MALFORMED_COMMAND_READY: u32 = 0x1000_0016;
    /// The peer's metadata is invalid: here, a socket type ours may not
    /// talk to.
    pub const ZMTP_INVALID_METADATA: u32 = 0x1000_0018;
    /// The peer uses another security mechanism.
    pub const ZMTP_MECHANISM_MISMATCH: u32 = 0x1100_0002;
}

#[cfg(test)]
mod tests {
    use super::SocketEvent;

    #[test]
    fn events_round_trip_and_unknown_numbers_do_not_panic() {
        for raw in [1u16, 2, 4, 8, 0x10, 0x200, 0x400, 0x1000, 0x2000, 0x4000] {
            assert_eq!(SocketEvent::from_raw(raw).to_raw(), raw);
        }
        assert_eq!(SocketEvent::from_raw(0x8000), SocketEvent::ALL);
        assert_eq!(SocketEvent::HANDSHAKE_FAILED_PROTOCOL.to_raw(), 0x2000);
    }
}
