//! The encoder: our greeting, commands and message frames, queued as the
//! octets to write, ready for `writev`.
//!
//! Output is a queue of segments. Headers, commands and small bodies are
//! appended to one staging buffer, so that many small messages go out in
//! one segment; a body of at least [`ZERO_COPY_THRESHOLD`] octets is queued
//! as its own segment, the message's `Bytes` itself, never copied. The
//! caller writes [`Encoder::io_slices`] with `writev` (or
//! [`Encoder::chunks`] one by one) and reports what was written with
//! [`Encoder::advance`].

use std::collections::VecDeque;
use std::io::IoSlice;

use bytes::{Buf, BufMut, Bytes, BytesMut};

use super::command::Command;
use super::frame::FrameHeader;
use super::greeting::Greeting;
use crate::msg::Message;

/// Bodies of at least this many octets are queued by reference instead of
/// being copied into the staging buffer. Below it a copy is cheaper than an
/// extra `iovec` entry and keeps many small messages in one segment; above
/// it the copy dominates. 8 KiB is libzmq's `out_batch_size`, the point at
/// which its encoder, too, stops copying into its batch buffer and points
/// at the message's data. (A transport tunable, so it would belong in
/// `config.rs`; it lives here while the codec is the only user.)
pub(crate) const ZERO_COPY_THRESHOLD: usize = 8 * 1024;

/// The octets to send to one peer, in order.
#[derive(Debug, Default)]
pub(crate) struct Encoder {
    /// Sealed segments, oldest first; `staging` comes after them.
    queue: VecDeque<Bytes>,
    /// Octets in `queue`.
    queued: usize,
    /// Where headers, commands and small bodies are appended.
    staging: BytesMut,
}

impl Encoder {
    /// An empty encoder.
    pub(crate) fn new() -> Encoder {
        Encoder::default()
    }

    /// Queues our greeting.
    pub(crate) fn greeting(&mut self, greeting: &Greeting) {
        self.staging.put_slice(&greeting.encode());
    }

    /// Queues a command.
    pub(crate) fn command(&mut self, command: &Command) {
        command.encode(&mut self.staging);
    }

    /// Queues a message frame, with the message's MORE flag. A large body
    /// is queued by reference: the message's `Bytes` is written from.
    pub(crate) fn message(&mut self, msg: Message) {
        let header = FrameHeader::message(msg.len(), msg.get_more());
        if msg.len() >= ZERO_COPY_THRESHOLD {
            header.encode(&mut self.staging);
            self.seal();
            let body = msg.into_bytes();
            self.queued += body.len();
            self.queue.push_back(body);
        } else {
            self.staging.reserve(header.encoded_len() + msg.len());
            header.encode(&mut self.staging);
            self.staging.put_slice(&msg);
        }
    }

    /// Moves the staging buffer's content to the queue.
    fn seal(&mut self) {
        if !self.staging.is_empty() {
            let segment = self.staging.split().freeze();
            self.queued += segment.len();
            self.queue.push_back(segment);
        }
    }

    /// Octets waiting to be written.
    pub(crate) fn len(&self) -> usize {
        self.queued + self.staging.len()
    }

    /// Whether everything has been written.
    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The segments to write, in order.
    pub(crate) fn chunks(&self) -> impl Iterator<Item = &[u8]> {
        self.queue
            .iter()
            .map(|segment| &segment[..])
            .chain(Some(&self.staging[..]).filter(|staging| !staging.is_empty()))
    }

    /// The first `max` segments (`IOV_MAX` is 1024 on Linux), for `writev`.
    pub(crate) fn io_slices(&self, max: usize) -> Vec<IoSlice<'_>> {
        self.chunks().take(max).map(IoSlice::new).collect()
    }

    /// Drops the first `written` octets, after a write. Asking for more
    /// than is queued drops everything.
    pub(crate) fn advance(&mut self, mut written: usize) {
        while written > 0 {
            let Some(front) = self.queue.front_mut() else {
                let n = written.min(self.staging.len());
                self.staging.advance(n);
                return;
            };
            if written < front.len() {
                front.advance(written);
                self.queued -= written;
                return;
            }
            written -= front.len();
            self.queued -= front.len();
            self.queue.pop_front();
        }
    }

    /// Everything queued, copied into one vector (tests, the fuzz driver).
    pub(crate) fn to_vec(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.len());
        for chunk in self.chunks() {
            out.extend_from_slice(chunk);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_frames_share_one_segment_byte_exact() {
        let mut encoder = Encoder::new();
        let mut first = Message::from("ab");
        first.set_more(true);
        encoder.message(first);
        encoder.message(Message::from(""));
        encoder.command(&Command::Pong {
            context: Bytes::new(),
        });
        assert_eq!(encoder.chunks().count(), 1);
        assert_eq!(encoder.to_vec(), b"\x01\x02ab\x00\x00\x04\x05\x04PONG");
        assert_eq!(encoder.len(), 13);
    }

    #[test]
    fn large_bodies_are_queued_by_reference() {
        let body = Bytes::from(vec![5u8; ZERO_COPY_THRESHOLD]);
        let mut encoder = Encoder::new();
        encoder.message(Message::from("x"));
        encoder.message(Message::from(body.clone()));
        encoder.message(Message::from("y"));
        let chunks: Vec<&[u8]> = encoder.chunks().collect();
        assert_eq!(chunks.len(), 3);
        let mut header = vec![0x00, 1, b'x', 0x02];
        header.extend_from_slice(&(ZERO_COPY_THRESHOLD as u64).to_be_bytes());
        assert_eq!(chunks[0], &header[..]);
        assert_eq!(chunks[1].as_ptr(), body.as_ptr(), "not copied");
        assert_eq!(chunks[2], b"\x00\x01y");
        assert_eq!(encoder.io_slices(2).len(), 2);
        assert_eq!(encoder.len(), header.len() + ZERO_COPY_THRESHOLD + 3);
    }

    #[test]
    fn a_body_just_under_the_threshold_is_copied() {
        let mut encoder = Encoder::new();
        encoder.message(Message::from(vec![1u8; ZERO_COPY_THRESHOLD - 1]));
        assert_eq!(encoder.chunks().count(), 1);
        assert_eq!(encoder.len(), 9 + ZERO_COPY_THRESHOLD - 1);
    }

    #[test]
    fn advance_walks_across_segments() {
        let mut encoder = Encoder::new();
        encoder.greeting(&Greeting::null());
        encoder.message(Message::from(vec![3u8; 10_000]));
        encoder.message(Message::from("tail"));
        let all = encoder.to_vec();
        let mut written = Vec::new();
        // Write in uneven steps, as a socket might.
        for step in [5usize, 60, 8, 1, 4000, 6000, 3, 100].iter().cycle() {
            if encoder.is_empty() {
                break;
            }
            let chunk = encoder.chunks().next().unwrap();
            let n = (*step).min(chunk.len());
            written.extend_from_slice(&chunk[..n]);
            encoder.advance(n);
            assert_eq!(encoder.len(), all.len() - written.len());
        }
        assert_eq!(written, all);
        encoder.advance(10);
        assert!(encoder.is_empty());
        assert_eq!(encoder.chunks().count(), 0);
    }

    #[test]
    fn advance_across_several_segments_at_once() {
        let mut encoder = Encoder::new();
        encoder.message(Message::from(vec![1u8; ZERO_COPY_THRESHOLD]));
        encoder.message(Message::from("abc"));
        let total = encoder.len();
        encoder.advance(total - 2);
        assert_eq!(encoder.to_vec(), b"bc");
        encoder.advance(usize::MAX);
        assert!(encoder.is_empty());
    }
}
