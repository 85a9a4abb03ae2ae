//! The socket types, their ZMTP names, and which types may talk to each other.

use std::fmt;

/// The kind of a socket: decides its messaging pattern.
#[allow(missing_docs)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SocketType {
    PAIR,
    PUB,
    SUB,
    REQ,
    REP,
    DEALER,
    ROUTER,
    PULL,
    PUSH,
    XPUB,
    XSUB,
    STREAM,
}

impl SocketType {
    /// libzmq's numeric value of the type (`ZMQ_PAIR` = 0 …).
    pub fn to_raw(self) -> i32 {
        match self {
            SocketType::PAIR => 0,
            SocketType::PUB => 1,
            SocketType::SUB => 2,
            SocketType::REQ => 3,
            SocketType::REP => 4,
            SocketType::DEALER => 5,
            SocketType::ROUTER => 6,
            SocketType::PULL => 7,
            SocketType::PUSH => 8,
            SocketType::XPUB => 9,
            SocketType::XSUB => 10,
            SocketType::STREAM => 11,
        }
    }

    /// The type for libzmq's numeric value, if there is one.
    pub fn from_raw(raw: i32) -> Option<SocketType> {
        Some(match raw {
            0 => SocketType::PAIR,
            1 => SocketType::PUB,
            2 => SocketType::SUB,
            3 => SocketType::REQ,
            4 => SocketType::REP,
            5 => SocketType::DEALER,
            6 => SocketType::ROUTER,
            7 => SocketType::PULL,
            8 => SocketType::PUSH,
            9 => SocketType::XPUB,
            10 => SocketType::XSUB,
            11 => SocketType::STREAM,
            _ => return None,
        })
    }

    /// The name ZMTP puts in the `Socket-Type` property.
    pub fn zmtp_name(self) -> &'static str {
        match self {
            SocketType::PAIR => "PAIR",
            SocketType::PUB => "PUB",
            SocketType::SUB => "SUB",
            SocketType::REQ => "REQ",
            SocketType::REP => "REP",
            SocketType::DEALER => "DEALER",
            SocketType::ROUTER => "ROUTER",
            SocketType::PULL => "PULL",
            SocketType::PUSH => "PUSH",
            SocketType::XPUB => "XPUB",
            SocketType::XSUB => "XSUB",
            SocketType::STREAM => "STREAM",
        }
    }

    /// Whether this type sends each message to many peers at once (PUB,
    /// XPUB): its inproc pipes carry shared frames (see `pipe::lane`).
    pub(crate) fn fans_out(self) -> bool {
        matches!(self, SocketType::PUB | SocketType::XPUB)
    }

    /// Whether a socket of this type may be connected to one of `peer`'s type
    /// (the guide's list of valid pairs; RFC 23's compatibility table).
    pub fn is_compatible_with(self, peer: SocketType) -> bool {
        use SocketType::*;
        matches!(
            (self, peer),
            (PAIR, PAIR)
                | (PUB | XPUB, SUB | XSUB)
                | (SUB | XSUB, PUB | XPUB)
                | (REQ, REP | ROUTER)
                | (REP, REQ | DEALER)
                | (DEALER, REP | DEALER | ROUTER)
                | (ROUTER, REQ | DEALER | ROUTER)
                | (PUSH, PULL)
                | (PULL, PUSH)
        )
    }
}

impl fmt::Display for SocketType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.zmtp_name())
    }
}

#[cfg(test)]
mod tests {
    use super::SocketType::*;
    use super::*;

    #[test]
    fn raw_values_round_trip() {
        for raw in 0..12 {
            assert_eq!(SocketType::from_raw(raw).unwrap().to_raw(), raw);
        }
        assert_eq!(SocketType::from_raw(12), None);
        assert_eq!(SocketType::from_raw(-1), None);
    }

    #[test]
    fn compatibility_is_symmetric_and_matches_the_guide() {
        let all = [
            PAIR, PUB, SUB, REQ, REP, DEALER, ROUTER, PULL, PUSH, XPUB, XSUB, STREAM,
        ];
        for a in all {
            for b in all {
                assert_eq!(a.is_compatible_with(b), b.is_compatible_with(a), "{a} {b}");
            }
        }
        assert!(REQ.is_compatible_with(ROUTER));
        assert!(DEALER.is_compatible_with(DEALER));
        assert!(!REQ.is_compatible_with(REQ));
        assert!(!PUSH.is_compatible_with(PUSH));
        assert!(!PAIR.is_compatible_with(PUB));
        assert!(!STREAM.is_compatible_with(STREAM));
    }
}
