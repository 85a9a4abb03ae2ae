//! The incremental decoder: bytes read from the peer, in pieces of any size,
//! become [`Event`]s: first the peer's greeting, then commands and message
//! frames.
//!
//! The caller owns the read buffer, a `BytesMut`: it reads into it, then
//! calls [`Decoder::decode`] until it returns `Ok(None)` ("need more
//! bytes"). The decoder takes what it uses from the front of the buffer:
//!
//! - A body of up to [`INLINE_CAP`] octets is copied into the `Message`
//!   itself (no allocation), and those octets are dropped from the buffer.
//! - A larger body is split off the buffer (`BytesMut::split_to`) and
//!   becomes the `Message`'s shared body: no copy. The message keeps that
//!   region of the read buffer alive; the buffer allocates afresh when it
//!   next grows, as libzmq's zero-copy receive does.
//! - A message body of [`RECV_LARGE_BODY`] octets or more, when the caller
//!   asks for it with [`Decoder::body_room`] (the engine does; the fuzz
//!   driver and the tests may or may not), gets a buffer of its own from the
//!   caller's [`BodyPool`]: what the read buffer holds of it is moved in
//!   (one copy), the caller reads the rest straight into that buffer, and
//!   the finished body becomes the `Message` without a copy. Its buffer goes
//!   back to the pool when the message drops, with its pages: no fresh
//!   memory to fault in per message, and the read buffer, never split, keeps
//!   its own allocation.
//!
//! Sizes are checked from the header, before a body is buffered:
//! `maxmsgsize` for message frames (per frame, as libzmq), and
//! [`MAX_COMMAND_SIZE`] for commands. The decoder never allocates from a
//! declared size: a body is taken only once all of it has been received, and
//! [`Decoder::wanted`] tells the caller how much to reserve without ever
//! trusting a declared size beyond twice what actually arrived. A body's own
//! buffer ([`Decoder::body_room`]) grows by the same rule.
//!
//! After an error the decoder is spent: every later call returns the same
//! error.

use bytes::{Buf, BytesMut};

use super::body::{BodyBuf, BodyPool};
use super::command::Command;
use super::frame::{FrameHeader, MAX_HEADER_LEN, MORE, SHORT_HEADER_LEN};
use super::greeting::{GreetingReader, PeerGreeting};
use super::ZmtpError;
use crate::config::RECV_LARGE_BODY;
use crate::msg::{Message, INLINE_CAP};

/// The largest command body accepted. Commands are small (a READY carries a
/// socket type, an identity of at most 255 octets and a few application
/// properties; PING at most 18 octets), and the handshake's arrive before
/// the peer is known: RFC 37's security considerations ask to limit "the
/// number and cost of in-progress handshakes". A subscription topic over
/// 1 MiB is far beyond any real use. libzmq has no such limit (it applies
/// `maxmsgsize` to commands too, which makes a small `maxmsgsize` fail the
/// handshake: zactor does not copy that).
pub(crate) const MAX_COMMAND_SIZE: u64 = 1 << 20;

/// What [`Decoder::wanted`] allows beyond what has arrived, so that small
/// frames are reserved in one go.
const MIN_RESERVE: usize = 64 * 1024;

/// What the peer said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Event {
    /// The peer's greeting (always the first event).
    Greeting(PeerGreeting),
    /// A command frame.
    Command(Command),
    /// A message frame, with its MORE flag.
    Message(Message),
}

/// Where the decoder is in the stream.
#[derive(Debug, Clone)]
enum State {
    /// Reading the 64-octet greeting.
    Greeting(GreetingReader),
    /// Expecting a frame header.
    Header,
    /// Header read and accepted; waiting for the whole body.
    Body(FrameHeader),
    /// A large message body being received into a buffer of its own
    /// ([`Decoder::body_room`]), which holds what has arrived.
    OwnBody(FrameHeader, BodyBuf),
}

/// Room in a large body's own buffer ([`Decoder::body_room`]): its spare
/// capacity (at least one octet) takes the next octets of the body, at most
/// `max` of them (the rest of the body: the next frame's octets must not go
/// there).
#[derive(Debug)]
pub(crate) struct BodyRoom<'a> {
    /// The body's buffer: octets read go into its spare capacity.
    pub(crate) buf: &'a mut Vec<u8>,
    /// How many octets the body still lacks.
    pub(crate) max: usize,
}

/// Decodes one peer's byte stream.
#[derive(Debug, Clone)]
pub(crate) struct Decoder {
    state: State,
    /// The largest message frame accepted (`maxmsgsize`; `None`: no limit).
    max_msg_size: Option<u64>,
    /// Set by the first error, returned from then on.
    failed: Option<ZmtpError>,
}

impl Decoder {
    /// A decoder expecting a greeting. `max_msg_size` is the `maxmsgsize`
    /// option: the largest message frame in octets, or -1 (any negative)
    /// for no limit.
    pub(crate) fn new(max_msg_size: i64) -> Decoder {
        Decoder {
            state: State::Greeting(GreetingReader::default()),
            max_msg_size: u64::try_from(max_msg_size).ok(),
            failed: None,
        }
    }

    /// Takes the next event from the front of `buf`: `Ok(None)` when `buf`
    /// holds no complete one yet (what there is may have been consumed).
    pub(crate) fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Event>, ZmtpError> {
        if let Some(error) = &self.failed {
            return Err(error.clone());
        }
        let result = self.step(buf);
        if let Err(error) = &result {
            self.failed = Some(error.clone());
        }
        result
    }

    /// The common case, taken without building an [`Event`]: when `buf`
    /// starts with a whole short message frame (flags `0` or `MORE`, a body
    /// that fits inline, within `maxmsgsize`), takes it and returns the
    /// message. `None` for anything else (a command, a long frame, an
    /// incomplete frame, a frame to reject, an error already met), which
    /// [`Decoder::decode`] then handles as usual: both read the same bytes
    /// the same way, this one only skips the general path's moves of its
    /// larger result through every layer (a sizeable share of the cost of a
    /// 64-byte message).
    #[inline]
    pub(crate) fn take_small_message(&mut self, buf: &mut BytesMut) -> Option<Message> {
        if !matches!(self.state, State::Header) || self.failed.is_some() {
            return None;
        }
        let (&flags, rest) = buf.split_first()?;
        let &size = rest.first()?;
        let size = usize::from(size);
        if flags & !MORE != 0
            || size > INLINE_CAP
            || self.max_msg_size.is_some_and(|max| size as u64 > max)
        {
            return None;
        }
        let body = buf.get(SHORT_HEADER_LEN..SHORT_HEADER_LEN + size)?;
        let mut msg = Message::from(body);
        msg.set_more(flags & MORE != 0);
        buf.advance(SHORT_HEADER_LEN + size);
        Some(msg)
    }

    /// Whether the greeting has been read.
    pub(crate) fn greeting_done(&self) -> bool {
        !matches!(self.state, State::Greeting(_))
    }

    /// How many octets to make room for before the next read, given that
    /// `buffered` octets are already in the buffer: what the element in
    /// progress still lacks, but at most `max(buffered, 64 KiB)`, so a frame
    /// announcing a huge body makes the buffer grow only as fast as bytes
    /// actually arrive (doubling), never to the announced size at once.
    pub(crate) fn wanted(&self, buffered: usize) -> usize {
        let missing = match &self.state {
            State::Greeting(reader) => reader.remaining().saturating_sub(buffered),
            State::Header => MAX_HEADER_LEN.saturating_sub(buffered),
            State::Body(header) => usize::try_from(header.size)
                .unwrap_or(usize::MAX)
                .saturating_sub(buffered),
            State::OwnBody(header, body) => (header.size as usize)
                .saturating_sub(body.len())
                .saturating_sub(buffered),
        };
        missing.min(buffered.max(MIN_RESERVE))
    }

    /// Where to read the rest of a large message body, when one is in
    /// progress: `Some` once the header of a message frame of at least
    /// [`RECV_LARGE_BODY`] octets has been read and `buf` does not hold all
    /// of its body. The first call takes a buffer from `pool` and moves
    /// what `buf` holds (all of it the body's) into it; the caller then
    /// reads into [`BodyRoom::buf`]'s spare capacity, at most
    /// [`BodyRoom::max`] octets, and calls [`Decoder::decode`] as usual,
    /// which yields the message once the body is complete (a `buf` filled
    /// meanwhile is drawn from first).
    ///
    /// The buffer never grows from the declared size alone: at first to
    /// twice what arrived (at least 64 KiB, at most the body), then by
    /// doubling as octets arrive, as [`Decoder::wanted`] does. A pooled
    /// buffer's capacity is used as it is.
    pub(crate) fn body_room(
        &mut self,
        buf: &mut BytesMut,
        pool: &BodyPool,
    ) -> Option<BodyRoom<'_>> {
        if self.failed.is_some() {
            return None;
        }
        if let State::Body(header) = &self.state {
            let header = *header;
            // `check_size` made sure the size fits in memory.
            let size = header.size as usize;
            if header.command || size < RECV_LARGE_BODY || buf.len() >= size {
                return None;
            }
            let mut body = pool.take();
            let first = size.min(buf.len().saturating_mul(2).max(MIN_RESERVE));
            body.data().reserve_exact(first);
            body.data().extend_from_slice(buf);
            buf.clear();
            self.state = State::OwnBody(header, body);
        }
        let State::OwnBody(header, body) = &mut self.state else {
            return None;
        };
        let missing = (header.size as usize).saturating_sub(body.len());
        if missing == 0 {
            return None; // complete: `decode` yields it
        }
        let data = body.data();
        if data.len() == data.capacity() {
            data.reserve_exact(missing.min(data.len().max(MIN_RESERVE)));
        }
        Some(BodyRoom {
            buf: data,
            max: missing,
        })
    }

    fn step(&mut self, buf: &mut BytesMut) -> Result<Option<Event>, ZmtpError> {
        loop {
            match &mut self.state {
                State::Greeting(reader) => {
                    let (taken, greeting) = reader.read(buf)?;
                    buf.advance(taken);
                    let Some(greeting) = greeting else {
                        return Ok(None);
                    };
                    self.state = State::Header;
                    return Ok(Some(Event::Greeting(greeting)));
                }
                State::Header => {
                    let Some((header, len)) = FrameHeader::parse(buf)? else {
                        return Ok(None);
                    };
                    self.check_size(&header)?;
                    buf.advance(len);
                    self.state = State::Body(header);
                }
                State::Body(header) => {
                    let header = *header;
                    // `check_size` made sure the size fits in memory.
                    let size = header.size as usize;
                    if buf.len() < size {
                        return Ok(None);
                    }
                    self.state = State::Header;
                    return if header.command {
                        let body = buf.split_to(size).freeze();
                        Ok(Some(Event::Command(Command::decode(body)?)))
                    } else {
                        let mut msg = if size <= INLINE_CAP {
                            let msg = Message::from(&buf[..size]);
                            buf.advance(size);
                            msg
                        } else {
                            Message::from(buf.split_to(size).freeze())
                        };
                        msg.set_more(header.more);
                        Ok(Some(Event::Message(msg)))
                    };
                }
                State::OwnBody(header, body) => {
                    let size = header.size as usize;
                    let take = size.saturating_sub(body.len()).min(buf.len());
                    if take > 0 {
                        body.data().extend_from_slice(&buf[..take]);
                        buf.advance(take);
                    }
                    if body.len() < size {
                        return Ok(None);
                    }
                    let more = header.more;
                    let State::OwnBody(_, body) = std::mem::replace(&mut self.state, State::Header)
                    else {
                        return Ok(None); // cannot happen: matched above
                    };
                    let mut msg = Message::from(body.freeze());
                    msg.set_more(more);
                    return Ok(Some(Event::Message(msg)));
                }
            }
        }
    }

    /// The size limits, checked from the header alone.
    fn check_size(&self, header: &FrameHeader) -> Result<(), ZmtpError> {
        let limit = if header.command {
            Some(MAX_COMMAND_SIZE)
        } else {
            self.max_msg_size
        };
        if let Some(max) = limit {
            if header.size > max {
                return Err(ZmtpError::FrameTooLarge {
                    size: header.size,
                    max,
                });
            }
        }
        // A body must fit in the address space (only a 32-bit target can
        // fail here: `FrameHeader::parse` caps sizes at 2^63 - 1).
        if usize::try_from(header.size).is_err() {
            return Err(ZmtpError::FrameTooLarge {
                size: header.size,
                max: usize::MAX as u64,
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::zmtp::encoder::Encoder;
    use crate::transport::zmtp::greeting::{Greeting, Version};
    use bytes::Bytes;

    fn greeting_bytes(minor: u8) -> Vec<u8> {
        let mut bytes = Greeting::null().encode().to_vec();
        bytes[11] = minor;
        bytes
    }

    /// A stream: greeting, a READY, a two-frame message (one small, one
    /// large), a SUBSCRIBE, an empty frame.
    fn sample_stream() -> Vec<u8> {
        let mut encoder = Encoder::new();
        let mut metadata = crate::transport::zmtp::Metadata::default();
        metadata.insert("Socket-Type", "PUB").unwrap();
        encoder.command(&Command::Ready(metadata));
        let mut first = Message::from("hello");
        first.set_more(true);
        encoder.message(first);
        encoder.message(Message::from(vec![7u8; 70_000]));
        encoder.command(&Command::Subscribe(Bytes::from_static(b"topic")));
        encoder.message(Message::new());
        let mut bytes = greeting_bytes(1);
        bytes.extend_from_slice(&encoder.to_vec());
        bytes
    }

    /// Events and their MORE flags, comparable across runs.
    #[derive(Debug, PartialEq)]
    enum Seen {
        Greeting(PeerGreeting),
        Command(Command),
        Message(Vec<u8>, bool),
    }

    fn seen(event: Event) -> Seen {
        match event {
            Event::Greeting(g) => Seen::Greeting(g),
            Event::Command(c) => Seen::Command(c),
            Event::Message(m) => Seen::Message(m.to_vec(), m.get_more()),
        }
    }

    /// Feeds `bytes` in the given piece sizes (cycled), draining events
    /// after each piece.
    fn decode_in_pieces(bytes: &[u8], pieces: &[usize]) -> Result<Vec<Seen>, ZmtpError> {
        let mut decoder = Decoder::new(-1);
        let mut buf = BytesMut::new();
        let mut events = Vec::new();
        let mut at = 0;
        for &piece in pieces.iter().cycle() {
            if at == bytes.len() {
                break;
            }
            let end = at.saturating_add(piece.max(1)).min(bytes.len());
            buf.extend_from_slice(&bytes[at..end]);
            at = end;
            while let Some(event) = decoder.decode(&mut buf)? {
                events.push(seen(event));
            }
        }
        assert!(buf.is_empty(), "everything consumed");
        Ok(events)
    }

    /// As [`decode_in_pieces`], but as the engine reads: while a large body
    /// is in progress, each piece goes into its own buffer
    /// ([`Decoder::body_room`]), at most what the body lacks.
    fn decode_into_bodies(bytes: &[u8], pieces: &[usize]) -> Result<Vec<Seen>, ZmtpError> {
        let pool = BodyPool::new();
        let mut decoder = Decoder::new(-1);
        let mut buf = BytesMut::new();
        let mut events = Vec::new();
        let mut at = 0;
        for &piece in pieces.iter().cycle() {
            while let Some(event) = decoder.decode(&mut buf)? {
                events.push(seen(event));
            }
            if at == bytes.len() {
                break;
            }
            let mut end = at.saturating_add(piece.max(1)).min(bytes.len());
            match decoder.body_room(&mut buf, &pool) {
                Some(room) => {
                    assert!(room.buf.capacity() > room.buf.len(), "room to read into");
                    end = end
                        .min(at + room.max)
                        .min(at + room.buf.capacity() - room.buf.len());
                    room.buf.extend_from_slice(&bytes[at..end]);
                }
                None => buf.extend_from_slice(&bytes[at..end]),
            }
            at = end;
        }
        assert!(buf.is_empty(), "everything consumed");
        Ok(events)
    }

    #[test]
    fn reading_into_own_bodies_gives_the_same_events() {
        let stream = sample_stream();
        let whole = decode_in_pieces(&stream, &[usize::MAX]).unwrap();
        assert_eq!(decode_into_bodies(&stream, &[usize::MAX]).unwrap(), whole);
        assert_eq!(decode_into_bodies(&stream, &[1]).unwrap(), whole);
        let mut rng = XorShift(0x5851_f42d_4c95_7f2d);
        for _ in 0..200 {
            let pieces: Vec<usize> = (0..8).map(|_| 1 + rng.below(20_000)).collect();
            assert_eq!(
                decode_into_bodies(&stream, &pieces).unwrap(),
                whole,
                "{pieces:?}"
            );
        }
    }

    /// `count` message frames of `size` octets, after a greeting.
    fn large_frames(count: usize, size: usize) -> Vec<u8> {
        let mut encoder = Encoder::new();
        for i in 0..count {
            encoder.message(Message::from(vec![i as u8; size]));
        }
        let mut bytes = greeting_bytes(1);
        bytes.extend_from_slice(&encoder.to_vec());
        bytes
    }

    /// The next message, feeding `stream` from `at` as the engine reads
    /// (8 KiB into the read buffer, the rest of a large body into its own).
    fn next_message(
        decoder: &mut Decoder,
        buf: &mut BytesMut,
        pool: &BodyPool,
        stream: &[u8],
        at: &mut usize,
    ) -> Message {
        loop {
            match decoder.decode(buf).unwrap() {
                Some(Event::Message(msg)) => return msg,
                Some(_) => continue,
                None => {}
            }
            let end = match decoder.body_room(buf, pool) {
                Some(room) => {
                    let end = (*at + room.max).min(stream.len());
                    room.buf.extend_from_slice(&stream[*at..end]);
                    end
                }
                None => {
                    let end = (*at + 8192).min(stream.len());
                    buf.extend_from_slice(&stream[*at..end]);
                    end
                }
            };
            assert!(end > *at, "stream ended");
            *at = end;
        }
    }

    #[test]
    fn a_large_body_buffer_comes_back_to_the_pool_when_its_message_drops() {
        let size = 64 * 1024;
        let stream = large_frames(3, size);
        let pool = BodyPool::new();
        let mut decoder = Decoder::new(-1);
        let mut buf = BytesMut::new();
        let mut at = 0;
        let first = next_message(&mut decoder, &mut buf, &pool, &stream, &mut at);
        assert_eq!(&first[..], &vec![0u8; size][..]);
        let memory = first.as_ptr();
        assert_eq!(pool.free(), 0);
        drop(first);
        assert_eq!(pool.free(), 1, "back home");
        let second = next_message(&mut decoder, &mut buf, &pool, &stream, &mut at);
        assert_eq!(&second[..], &vec![1u8; size][..]);
        assert_eq!(second.as_ptr(), memory, "the same buffer, reused");
        // While a message holds it, the next body gets another buffer.
        let third = next_message(&mut decoder, &mut buf, &pool, &stream, &mut at);
        assert_eq!(&third[..], &vec![2u8; size][..]);
        assert_ne!(third.as_ptr(), memory);
        assert_eq!(at, stream.len());
        assert!(buf.is_empty());
    }

    /// A long frame claiming 2^63 - 1 octets, then a few body octets.
    fn huge_declared_frame() -> Vec<u8> {
        let mut frame = vec![0x02];
        frame.extend_from_slice(&(i64::MAX as u64).to_be_bytes());
        frame.extend_from_slice(b"abc");
        frame
    }

    #[test]
    fn a_huge_declared_body_gets_no_buffer_up_front() {
        // Its own buffer holds what arrived and room for 64 KiB, no more.
        let frames = huge_declared_frame();
        let mut buf = BytesMut::from(&greeting_bytes(1)[..]);
        buf.extend_from_slice(&frames);
        let pool = BodyPool::new();
        let mut decoder = Decoder::new(-1);
        assert!(matches!(
            decoder.decode(&mut buf),
            Ok(Some(Event::Greeting(_)))
        ));
        assert_eq!(decoder.decode(&mut buf), Ok(None));
        let room = decoder.body_room(&mut buf, &pool).expect("a large body");
        assert_eq!(room.buf.as_slice(), b"abc");
        assert_eq!(room.buf.capacity(), MIN_RESERVE, "nothing from the size");
        assert_eq!(room.max, i64::MAX as usize - 3);
        assert!(buf.is_empty(), "moved into the body's buffer");
        // Filled up, it grows by doubling, as octets arrive.
        room.buf.resize(MIN_RESERVE, 0);
        let room = decoder.body_room(&mut buf, &pool).unwrap();
        assert_eq!(room.buf.capacity(), 2 * MIN_RESERVE);
        room.buf.resize(2 * MIN_RESERVE, 0);
        let room = decoder.body_room(&mut buf, &pool).unwrap();
        assert_eq!(room.buf.capacity(), 4 * MIN_RESERVE);
        assert_eq!(decoder.decode(&mut buf), Ok(None));
        // maxmsgsize still refuses it at the header, before any buffer.
        let mut buf = BytesMut::from(&greeting_bytes(1)[..]);
        buf.extend_from_slice(&frames);
        let mut decoder = Decoder::new(1 << 20);
        assert!(decoder.decode(&mut buf).is_ok());
        assert!(matches!(
            decoder.decode(&mut buf),
            Err(ZmtpError::FrameTooLarge { .. })
        ));
        assert!(decoder.body_room(&mut buf, &pool).is_none());
        // Commands and bodies under the threshold keep to the read buffer.
        let mut buf = BytesMut::from(&greeting_bytes(1)[..]);
        buf.extend_from_slice(&[0x02, 0, 0, 0, 0, 0, 0, 0x7f, 0xff, 1]);
        let mut decoder = Decoder::new(-1);
        assert!(decoder.decode(&mut buf).is_ok());
        assert_eq!(decoder.decode(&mut buf), Ok(None));
        assert!(decoder.body_room(&mut buf, &pool).is_none(), "under 32 KiB");
        let mut buf = BytesMut::from(&greeting_bytes(1)[..]);
        buf.extend_from_slice(&[0x06, 0, 0, 0, 0, 0, 1, 0, 0, 1]);
        let mut decoder = Decoder::new(-1);
        assert!(decoder.decode(&mut buf).is_ok());
        assert_eq!(decoder.decode(&mut buf), Ok(None));
        assert!(decoder.body_room(&mut buf, &pool).is_none(), "a command");
    }

    #[test]
    fn a_stream_decodes_into_its_events() {
        let events = decode_in_pieces(&sample_stream(), &[usize::MAX]).unwrap();
        assert_eq!(events.len(), 6);
        let Seen::Greeting(greeting) = &events[0] else {
            panic!("{:?}", events[0]);
        };
        assert_eq!(greeting.version, Version::V3_1);
        assert!(matches!(events[1], Seen::Command(Command::Ready(_))));
        assert_eq!(events[2], Seen::Message(b"hello".to_vec(), true));
        assert_eq!(events[3], Seen::Message(vec![7u8; 70_000], false));
        assert_eq!(
            events[4],
            Seen::Command(Command::Subscribe(Bytes::from_static(b"topic")))
        );
        assert_eq!(events[5], Seen::Message(Vec::new(), false));
    }

    #[test]
    fn one_byte_at_a_time_gives_the_same_events() {
        let stream = sample_stream();
        let whole = decode_in_pieces(&stream, &[usize::MAX]).unwrap();
        assert_eq!(decode_in_pieces(&stream, &[1]).unwrap(), whole);
    }

    #[test]
    fn every_split_gives_the_same_events() {
        // Property: for many piece-size patterns (including every single
        // cut point in the first 200 octets), the events are identical.
        let stream = sample_stream();
        let whole = decode_in_pieces(&stream, &[usize::MAX]).unwrap();
        for cut in 1..200 {
            assert_eq!(
                decode_in_pieces(&stream, &[cut, usize::MAX]).unwrap(),
                whole,
                "cut at {cut}"
            );
        }
        let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
        for _ in 0..200 {
            let pieces: Vec<usize> = (0..8).map(|_| 1 + rng.below(300)).collect();
            assert_eq!(
                decode_in_pieces(&stream, &pieces).unwrap(),
                whole,
                "{pieces:?}"
            );
        }
    }

    #[test]
    fn large_bodies_are_not_copied_small_ones_are_inline() {
        let mut buf = BytesMut::from(&greeting_bytes(1)[..]);
        let mut encoder = Encoder::new();
        encoder.message(Message::from(vec![1u8; 1000]));
        encoder.message(Message::from(vec![2u8; INLINE_CAP]));
        buf.extend_from_slice(&encoder.to_vec());
        let region = buf.as_ptr() as usize..buf.as_ptr() as usize + buf.len();
        let mut decoder = Decoder::new(-1);
        assert!(matches!(
            decoder.decode(&mut buf),
            Ok(Some(Event::Greeting(_)))
        ));
        let Ok(Some(Event::Message(large))) = decoder.decode(&mut buf) else {
            panic!("no message");
        };
        assert_eq!(large.len(), 1000);
        assert!(
            region.contains(&(large.as_ptr() as usize)),
            "the body is the read buffer's own memory"
        );
        let Ok(Some(Event::Message(small))) = decoder.decode(&mut buf) else {
            panic!("no message");
        };
        assert!(small.is_inline());
        assert_eq!(&small[..], &[2u8; INLINE_CAP][..]);
    }

    fn after_greeting(frames: &[u8], max_msg_size: i64) -> Result<Vec<Event>, ZmtpError> {
        let mut buf = BytesMut::from(&greeting_bytes(1)[..]);
        buf.extend_from_slice(frames);
        let mut decoder = Decoder::new(max_msg_size);
        let mut events = Vec::new();
        while let Some(event) = decoder.decode(&mut buf)? {
            events.push(event);
        }
        Ok(events)
    }

    #[test]
    fn maxmsgsize_is_enforced_from_the_header() {
        // 10 octets allowed: a 10-octet frame passes, an 11-octet header
        // fails before any body octet arrives.
        let mut frames = vec![0x00, 10];
        frames.extend_from_slice(&[0; 10]);
        assert_eq!(after_greeting(&frames, 10).unwrap().len(), 2);
        assert_eq!(
            after_greeting(&[0x00, 11], 10),
            Err(ZmtpError::FrameTooLarge { size: 11, max: 10 })
        );
        assert_eq!(
            after_greeting(&[0x00, 1], 0),
            Err(ZmtpError::FrameTooLarge { size: 1, max: 0 })
        );
        // Commands are not subject to maxmsgsize (a READY must pass).
        assert_eq!(
            after_greeting(b"\x04\x05\x04PING\x00", 0).map(|e| e.len()),
            Err(ZmtpError::malformed("PING", "no TTL"))
        );
    }

    #[test]
    fn huge_declared_sizes_allocate_nothing() {
        // Waiting, without allocating; the hint stays small.
        let frames = huge_declared_frame();
        let mut buf = BytesMut::from(&greeting_bytes(1)[..]);
        buf.extend_from_slice(&frames);
        let mut decoder = Decoder::new(-1);
        assert!(matches!(
            decoder.decode(&mut buf),
            Ok(Some(Event::Greeting(_)))
        ));
        assert_eq!(decoder.decode(&mut buf), Ok(None));
        assert_eq!(buf.len(), 3, "the body waits in the buffer");
        assert_eq!(decoder.wanted(buf.len()), MIN_RESERVE);
        assert_eq!(decoder.wanted(1 << 30), 1 << 30, "doubling, at most");

        // 2^63 and above is refused outright, as is a command over 1 MiB.
        let mut frames = vec![0x02];
        frames.extend_from_slice(&(1u64 << 63).to_be_bytes());
        assert!(matches!(
            after_greeting(&frames, -1),
            Err(ZmtpError::FrameTooLarge { .. })
        ));
        let mut frames = vec![0x06];
        frames.extend_from_slice(&(MAX_COMMAND_SIZE + 1).to_be_bytes());
        assert_eq!(
            after_greeting(&frames, -1),
            Err(ZmtpError::FrameTooLarge {
                size: MAX_COMMAND_SIZE + 1,
                max: MAX_COMMAND_SIZE
            })
        );
    }

    #[test]
    fn wanted_covers_the_element_in_progress() {
        let mut decoder = Decoder::new(-1);
        assert_eq!(decoder.wanted(0), 64);
        assert_eq!(decoder.wanted(10), 54);
        let mut buf = BytesMut::from(&greeting_bytes(1)[..]);
        buf.extend_from_slice(&[0x02, 0, 0, 0, 0, 0, 1, 0, 0]); // 65536 octets
        assert!(matches!(
            decoder.decode(&mut buf),
            Ok(Some(Event::Greeting(_)))
        ));
        assert_eq!(decoder.decode(&mut buf), Ok(None));
        assert_eq!(decoder.wanted(0), 65536);
        assert_eq!(decoder.wanted(65000), 536);
    }

    #[test]
    fn reserved_flag_bits_fail() {
        assert_eq!(
            after_greeting(&[0x08, 0], -1),
            Err(ZmtpError::ReservedFlags(0x08))
        );
        assert_eq!(
            after_greeting(&[0x80], -1),
            Err(ZmtpError::ReservedFlags(0x80))
        );
    }

    #[test]
    fn an_error_is_final() {
        let mut decoder = Decoder::new(-1);
        let mut buf = BytesMut::from(&b"nope"[..]);
        assert_eq!(decoder.decode(&mut buf), Err(ZmtpError::BadSignature));
        let mut good = BytesMut::from(&greeting_bytes(1)[..]);
        assert_eq!(decoder.decode(&mut good), Err(ZmtpError::BadSignature));
    }

    #[test]
    fn a_3_0_greeting_is_reported_as_such() {
        let events = decode_in_pieces(&greeting_bytes(0), &[5]).unwrap();
        let [Seen::Greeting(greeting)] = &events[..] else {
            panic!("{events:?}");
        };
        assert_eq!(greeting.negotiated(), Version::V3_0);
    }

    /// A tiny deterministic PRNG (xorshift64), so the mutation test needs
    /// no dependency and fails reproducibly.
    struct XorShift(u64);

    impl XorShift {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    #[test]
    fn mutated_streams_never_panic_and_stay_bounded() {
        // Thousands of corruptions of a valid stream (flipped, inserted,
        // deleted octets; huge sizes planted in headers), fed in random
        // pieces: each gives events or an error, and what comes out never
        // exceeds what went in.
        let base = sample_stream();
        let mut rng = XorShift(0x2545_f491_4f6c_dd1d);
        let mut errors = 0;
        for round in 0..4000 {
            let mut input = base.clone();
            for _ in 0..1 + rng.below(4) {
                let at = rng.below(input.len());
                match rng.below(5) {
                    0 => input[at] ^= 1 << rng.below(8),
                    1 => input[at] = rng.next() as u8,
                    2 => input.insert(at, rng.next() as u8),
                    3 => {
                        input.remove(at);
                    }
                    _ => {
                        // A long header with an arbitrary size.
                        let size = rng.next().to_be_bytes();
                        let end = (at + 9).min(input.len());
                        let mut header = vec![0x02 | (rng.next() as u8 & 0x05)];
                        header.extend_from_slice(&size);
                        input.splice(at..end, header);
                    }
                }
            }
            if round % 2 == 0 {
                input.truncate(rng.below(input.len() + 1));
            }
            let max_msg_size = [-1, 0, 100, 100_000][rng.below(4)];
            let mut decoder = Decoder::new(max_msg_size);
            let mut buf = BytesMut::new();
            let mut out = 0usize;
            let mut at = 0;
            'feed: while at < input.len() {
                let end = (at + 1 + rng.below(512)).min(input.len());
                buf.extend_from_slice(&input[at..end]);
                at = end;
                assert!(decoder.wanted(buf.len()) <= buf.len().max(MIN_RESERVE));
                loop {
                    match decoder.decode(&mut buf) {
                        Ok(Some(Event::Message(msg))) => out += msg.len(),
                        Ok(Some(Event::Command(_))) | Ok(Some(Event::Greeting(_))) => {}
                        Ok(None) => break,
                        Err(_) => {
                            errors += 1;
                            break 'feed;
                        }
                    }
                }
            }
            assert!(out <= input.len(), "round {round}");
        }
        assert!(errors > 1000, "the corruptions are mostly caught: {errors}");
    }
}
