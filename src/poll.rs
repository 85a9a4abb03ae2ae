//! Readiness events (`PollEvents`) and `Socket::get_events`, as zmq 0.10.
//!
//! The poller itself (`poll`, `PollItem`) belongs to the polling layer; this
//! file holds the event flags every layer above the socket uses.

use std::ops::{BitAnd, BitOr, BitOrAssign};

use crate::error::Result;
use crate::socket::Socket;

/// A set of poll events (zmq 0.10's `bitflags` type, same constants).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct PollEvents(i16);

impl PollEvents {
    /// At least one message may be received without blocking.
    pub const POLLIN: PollEvents = PollEvents(1);
    /// At least one message may be sent without blocking.
    pub const POLLOUT: PollEvents = PollEvents(2);
    /// An error condition (native file descriptors only).
    pub const POLLERR: PollEvents = PollEvents(4);
    /// Priority data (native file descriptors only).
    pub const POLLPRI: PollEvents = PollEvents(8);

    /// No events.
    pub const fn empty() -> PollEvents {
        PollEvents(0)
    }

    /// Every event.
    pub const fn all() -> PollEvents {
        PollEvents(1 | 2 | 4 | 8)
    }

    /// The raw bits.
    pub const fn bits(self) -> i16 {
        self.0
    }

    /// Events from raw bits, if all are known.
    pub const fn from_bits(bits: i16) -> Option<PollEvents> {
        if bits & !Self::all().0 == 0 {
            Some(PollEvents(bits))
        } else {
            None
        }
    }

    /// Events from raw bits, dropping unknown ones.
    pub const fn from_bits_truncate(bits: i16) -> PollEvents {
        PollEvents(bits & Self::all().0)
    }

    /// Whether no event is set.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Whether every event of `other` is set.
    pub const fn contains(self, other: PollEvents) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether any event of `other` is set.
    pub const fn intersects(self, other: PollEvents) -> bool {
        self.0 & other.0 != 0
    }

    /// Adds events.
    pub fn insert(&mut self, other: PollEvents) {
        self.0 |= other.0;
    }

    /// Removes events.
    pub fn remove(&mut self, other: PollEvents) {
        self.0 &= !other.0;
    }
}

impl BitOr for PollEvents {
    type Output = PollEvents;
    fn bitor(self, rhs: PollEvents) -> PollEvents {
        PollEvents(self.0 | rhs.0)
    }
}

impl BitOrAssign for PollEvents {
    fn bitor_assign(&mut self, rhs: PollEvents) {
        self.0 |= rhs.0;
    }
}

impl BitAnd for PollEvents {
    type Output = PollEvents;
    fn bitand(self, rhs: PollEvents) -> PollEvents {
        PollEvents(self.0 & rhs.0)
    }
}

/// At least one message may be received without blocking.
pub const POLLIN: PollEvents = PollEvents::POLLIN;
/// At least one message may be sent without blocking.
pub const POLLOUT: PollEvents = PollEvents::POLLOUT;
/// An error condition (native file descriptors only).
pub const POLLERR: PollEvents = PollEvents::POLLERR;

impl Socket {
    /// What the socket could do now without blocking: `POLLIN` when a
    /// message can be received, `POLLOUT` when one can be sent
    /// (level-triggered, like `ZMQ_EVENTS`).
    pub fn get_events(&self) -> Result<PollEvents> {
        let (readable, writable) = self.readiness()?;
        let mut events = PollEvents::empty();
        if readable {
            events |= POLLIN;
        }
        if writable {
            events |= POLLOUT;
        }
        Ok(events)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_combine_like_bitflags() {
        let both = POLLIN | POLLOUT;
        assert!(both.contains(POLLIN));
        assert!(!POLLIN.contains(both));
        assert_eq!(both.bits(), 3);
        assert_eq!(PollEvents::from_bits(64), None);
        assert!(PollEvents::empty().is_empty());
    }

    #[test]
    fn get_events_reports_readiness() {
        let ctx = crate::Context::new();
        let pull = ctx.socket(crate::PULL).unwrap();
        pull.bind("inproc://poll-get-events").unwrap();
        let push = ctx.socket(crate::PUSH).unwrap();
        push.connect("inproc://poll-get-events").unwrap();
        assert_eq!(pull.get_events().unwrap(), PollEvents::empty());
        assert_eq!(push.get_events().unwrap(), POLLOUT);
        push.send("x", 0).unwrap();
        assert_eq!(pull.get_events().unwrap(), POLLIN);
        pull.recv_msg(0).unwrap();
        assert_eq!(pull.get_events().unwrap(), PollEvents::empty());
    }
}
