//! What a proxy counts for its STATISTICS command: frames and bytes received
//! and sent by each of its two sockets.
//!
//! As libzmq's current master (and its `zmq_proxy_steerable(3)` page), every
//! frame of a multipart message counts as one message: libzmq 4.3.4 counted
//! whole messages, master counts parts, and the manual documents parts.

use crate::msg::Message;

/// Frames and bytes moved one way through one socket.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Counter {
    pub(super) frames: u64,
    pub(super) bytes: u64,
}

impl Counter {
    /// Counts one frame of `len` bytes.
    #[inline]
    pub(super) fn add(&mut self, len: usize) {
        self.frames += 1;
        // A body longer than u64::MAX bytes cannot exist; saturate anyway
        // rather than wrap if a run ever moves that much in total.
        self.bytes = self.bytes.saturating_add(len as u64);
    }
}

/// One socket's counters: what it received and what it sent.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct EndStats {
    pub(super) received: Counter,
    pub(super) sent: Counter,
}

/// Both sockets' counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Statistics {
    pub(super) frontend: EndStats,
    pub(super) backend: EndStats,
}

impl Statistics {
    /// The reply to STATISTICS: eight frames of one `u64` each, in the order
    /// of `zmq_proxy_steerable(3)`: frontend messages received, bytes
    /// received, messages sent, bytes sent, then the same four for the
    /// backend. Native byte order, as libzmq copies the `uint64_t` into the
    /// frame (a peer on the same machine reads it with `from_ne_bytes`).
    pub(super) fn frames(&self) -> [Message; 8] {
        let values = [
            self.frontend.received.frames,
            self.frontend.received.bytes,
            self.frontend.sent.frames,
            self.frontend.sent.bytes,
            self.backend.received.frames,
            self.backend.received.bytes,
            self.backend.sent.frames,
            self.backend.sent.bytes,
        ];
        values.map(|value| Message::from(&value.to_ne_bytes()[..]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_add_frames_and_bytes() {
        let mut counter = Counter::default();
        counter.add(5);
        counter.add(0);
        assert_eq!(
            counter,
            Counter {
                frames: 2,
                bytes: 5
            }
        );
    }

    #[test]
    fn the_reply_is_eight_u64_in_the_documented_order() {
        let mut stats = Statistics::default();
        stats.frontend.received = Counter {
            frames: 1,
            bytes: 2,
        };
        stats.frontend.sent = Counter {
            frames: 3,
            bytes: 4,
        };
        stats.backend.received = Counter {
            frames: 5,
            bytes: 6,
        };
        stats.backend.sent = Counter {
            frames: 7,
            bytes: 8,
        };
        let values: Vec<u64> = stats
            .frames()
            .iter()
            .map(|frame| u64::from_ne_bytes(frame[..].try_into().expect("8 bytes")))
            .collect();
        assert_eq!(values, [1, 2, 3, 4, 5, 6, 7, 8]);
    }
}
