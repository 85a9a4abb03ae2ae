//! Signals: the one-frame handshake messages of CZMQ (`zsock_signal`,
//! `zsock_wait`), and the end-of-actor frame an actor's thread leaves on its
//! pipe when it finishes.
//!
//! A signal is one frame of 8 bytes: the value `0x7766554433221100` plus a
//! status in the low byte, in native byte order (CZMQ writes the `int64_t`
//! as it lies in memory; the same bytes on every little-endian machine).
//!
//! ```
//! use zactor as zmq;
//!
//! let ctx = zmq::Context::new();
//! let a = ctx.socket(zmq::PAIR).unwrap();
//! a.bind("inproc://handshake-doc").unwrap();
//! let b = ctx.socket(zmq::PAIR).unwrap();
//! b.connect("inproc://handshake-doc").unwrap();
//! b.send("noise", 0).unwrap();
//! b.signal(7).unwrap();
//! assert_eq!(a.wait().unwrap(), 7); // "noise" was discarded
//! ```

use crate::error::Result;
use crate::msg::Message;
use crate::socket::Socket;

/// The signal value with a zero status (CZMQ's magic number).
const SIGNAL_BASE: u64 = 0x7766_5544_3322_1100;

/// Size of a signal frame.
const SIGNAL_LEN: usize = 8;

/// The frame of a signal with `status`.
pub(crate) fn signal_frame(status: u8) -> [u8; SIGNAL_LEN] {
    (SIGNAL_BASE | u64::from(status)).to_ne_bytes()
}

/// The status of a signal frame, if `frame` is one: 8 bytes whose upper
/// seven carry the magic value, and not part of a multipart message (CZMQ
/// does not look at the more flag; a frame inside a longer message is data).
pub(crate) fn signal_status(frame: &Message) -> Option<u8> {
    if frame.len() != SIGNAL_LEN || frame.get_more() {
        return None;
    }
    let bytes: [u8; SIGNAL_LEN] = frame[..].try_into().ok()?;
    let value = u64::from_ne_bytes(bytes);
    (value & !0xff == SIGNAL_BASE).then_some((value & 0xff) as u8)
}

/// The prefix of an end-of-actor frame; the actor's token follows.
const END_MAGIC: &[u8; 16] = b"\0zactor:ended:\0\0";

/// Size of an end-of-actor frame.
pub(crate) const END_LEN: usize = END_MAGIC.len() + 8;

/// The frame an actor's thread sends last: the magic and the actor's
/// `token` (unique among living actors), so a message an actor sends by
/// chance cannot pass for it.
pub(crate) fn end_frame(token: u64) -> [u8; END_LEN] {
    let mut frame = [0; END_LEN];
    frame[..END_MAGIC.len()].copy_from_slice(END_MAGIC);
    frame[END_MAGIC.len()..].copy_from_slice(&token.to_le_bytes());
    frame
}

/// What a frame read from an actor pipe is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Frame {
    /// A signal with its status.
    Signal(u8),
    /// The actor's end-of-actor frame: its thread has finished.
    End,
    /// Anything else.
    Data,
}

/// Classifies `frame`, read from the pipe of the actor whose end frame is `end`.
#[inline]
pub(crate) fn classify(frame: &Message, end: &[u8; END_LEN]) -> Frame {
    if frame.len() == END_LEN && frame[..] == end[..] {
        Frame::End
    } else if let Some(status) = signal_status(frame) {
        Frame::Signal(status)
    } else {
        Frame::Data
    }
}

/// Parent side of the start: reads with `recv` until the actor's ready
/// signal (`Ok(true)`), discarding anything else, as `zsock_wait`; `Ok(false)`
/// when the end frame comes first (the actor ended before it was ready).
pub(crate) fn await_ready(
    end: &[u8; END_LEN],
    mut recv: impl FnMut() -> Result<Message>,
) -> Result<bool> {
    loop {
        match classify(&recv()?, end) {
            Frame::Signal(_) => return Ok(true),
            Frame::End => return Ok(false),
            Frame::Data => {}
        }
    }
}

/// Parent side of the end: reads with `recv`, discarding everything, until
/// the end frame (`Ok`) or an error (`ETERM`: the frame will not come).
pub(crate) fn await_end(
    end: &[u8; END_LEN],
    mut recv: impl FnMut() -> Result<Message>,
) -> Result<()> {
    loop {
        if classify(&recv()?, end) == Frame::End {
            return Ok(());
        }
    }
}

impl Socket {
    /// Sends a signal with `status` (CZMQ's `zsock_signal`): one 8-byte
    /// frame that [`Socket::wait`] recognises. An actor signals its parent
    /// with `pipe.signal(0)` when it is ready.
    pub fn signal(&self, status: u8) -> Result<()> {
        self.send(&signal_frame(status)[..], 0)
    }

    /// Waits for a signal and returns its status (CZMQ's `zsock_wait`).
    /// Every other message received meanwhile is discarded. Fails as
    /// `recv` does: `ETERM` when the context is terminated, `EAGAIN` when a
    /// receive timeout expires.
    pub fn wait(&self) -> Result<u8> {
        loop {
            let frame = self.recv_msg(0)?;
            if let Some(status) = signal_status(&frame) {
                return Ok(status);
            }
        }
    }
}

#[cfg(all(test, not(zactor_loom)))]
mod tests {
    use super::*;

    fn message(bytes: &[u8], more: bool) -> Message {
        let mut msg = Message::from(bytes);
        msg.set_more(more);
        msg
    }

    #[test]
    fn a_signal_carries_its_status() {
        for status in [0, 1, 0x7f, 0xff] {
            let frame = message(&signal_frame(status), false);
            assert_eq!(signal_status(&frame), Some(status));
        }
    }

    #[test]
    fn the_layout_is_czmqs() {
        // CZMQ writes 0x7766554433221100 + status as a native int64_t.
        let frame = signal_frame(5);
        assert_eq!(u64::from_ne_bytes(frame), 0x7766_5544_3322_1105);
    }

    #[test]
    fn other_frames_are_not_signals() {
        assert_eq!(signal_status(&message(b"12345678", false)), None);
        assert_eq!(signal_status(&message(&signal_frame(0)[..7], false)), None);
        assert_eq!(signal_status(&message(&signal_frame(0), true)), None);
        let mut wrong = signal_frame(0);
        wrong[7] ^= 1;
        assert_eq!(signal_status(&message(&wrong, false)), None);
    }

    #[test]
    fn the_end_frame_is_the_actors_own() {
        let end = end_frame(42);
        assert_eq!(classify(&message(&end, false), &end), Frame::End);
        assert_eq!(
            classify(&message(&end_frame(43), false), &end),
            Frame::Data,
            "another actor's end frame is data"
        );
        assert_eq!(
            classify(&message(&signal_frame(3), false), &end),
            Frame::Signal(3)
        );
        assert_eq!(classify(&message(b"$TERM", false), &end), Frame::Data);
    }
}
