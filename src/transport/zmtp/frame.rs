//! The ZMTP frame header: a flags octet, then the body size in one octet
//! (short frame, 0-255) or eight big-endian octets (long frame, LONG flag).
//!
//! ```text
//! flags: bits 7-3 reserved (MUST be zero) | bit 2 COMMAND | bit 1 LONG | bit 0 MORE
//! short frame:  flags  size(1)            body
//! long frame:   flags  size(8, network order)  body
//! ```
//!
//! RFC 37: "A long frame has a body of 0 to 2^63-1 octets" and MORE "SHALL
//! be zero on command frames"; both are checked here.

use bytes::BufMut;

use super::{ZmtpError, UNNAMED};

/// More frames of this message follow.
pub(crate) const MORE: u8 = 0x01;
/// The size is 8 octets instead of 1.
pub(crate) const LONG: u8 = 0x02;
/// The frame is a command, not a message frame.
pub(crate) const COMMAND: u8 = 0x04;
/// Bits 7-3, reserved for future use.
pub(crate) const RESERVED: u8 = !(MORE | LONG | COMMAND);

/// Header length of a short frame (flags + 1 size octet).
pub(crate) const SHORT_HEADER_LEN: usize = 2;
/// Header length of a long frame (flags + 8 size octets).
pub(crate) const LONG_HEADER_LEN: usize = 9;
/// The longest header.
pub(crate) const MAX_HEADER_LEN: usize = LONG_HEADER_LEN;

/// The largest body a frame may declare (RFC 37: 2^63 - 1).
pub(crate) const MAX_FRAME_SIZE: u64 = i64::MAX as u64;

/// A decoded or to-be-encoded frame header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FrameHeader {
    /// A command frame (COMMAND flag) rather than a message frame.
    pub(crate) command: bool,
    /// More frames of the message follow (always false on a command).
    pub(crate) more: bool,
    /// The body's size in octets.
    pub(crate) size: u64,
}

impl FrameHeader {
    /// The header of a message frame.
    pub(crate) fn message(size: usize, more: bool) -> FrameHeader {
        FrameHeader {
            command: false,
            more,
            size: size as u64,
        }
    }

    /// The header of a command frame.
    pub(crate) fn command(size: usize) -> FrameHeader {
        FrameHeader {
            command: true,
            more: false,
            size: size as u64,
        }
    }

    /// Whether the size needs the long (8-octet) form: RFC 37's "SHOULD use a
    /// short size field" for bodies of 0-255 octets, as libzmq does.
    fn is_long(&self) -> bool {
        self.size > u64::from(u8::MAX)
    }

    /// The encoded header's length: 2 or 9.
    pub(crate) fn encoded_len(&self) -> usize {
        if self.is_long() {
            LONG_HEADER_LEN
        } else {
            SHORT_HEADER_LEN
        }
    }

    /// Appends the header to `out`.
    pub(crate) fn encode(&self, out: &mut impl BufMut) {
        let mut flags = 0;
        if self.more {
            flags |= MORE;
        }
        if self.command {
            flags |= COMMAND;
        }
        if self.is_long() {
            out.put_u8(flags | LONG);
            out.put_u64(self.size);
        } else {
            out.put_u8(flags);
            out.put_u8(self.size as u8);
        }
    }

    /// Parses a header from the start of `input`: `Ok(None)` while it is
    /// incomplete, else the header and the octets it took. Errors as soon as
    /// the flags octet is known to be bad, without waiting for the size.
    pub(crate) fn parse(input: &[u8]) -> Result<Option<(FrameHeader, usize)>, ZmtpError> {
        let Some(&flags) = input.first() else {
            return Ok(None);
        };
        if flags & RESERVED != 0 {
            return Err(ZmtpError::ReservedFlags(flags));
        }
        let command = flags & COMMAND != 0;
        let more = flags & MORE != 0;
        if command && more {
            return Err(ZmtpError::malformed(
                UNNAMED,
                "a command frame has the MORE flag",
            ));
        }
        let (size, len) = if flags & LONG != 0 {
            let Some(octets) = input.get(1..LONG_HEADER_LEN) else {
                return Ok(None);
            };
            let mut be = [0; 8];
            be.copy_from_slice(octets);
            (u64::from_be_bytes(be), LONG_HEADER_LEN)
        } else {
            let Some(&size) = input.get(1) else {
                return Ok(None);
            };
            (u64::from(size), SHORT_HEADER_LEN)
        };
        if size > MAX_FRAME_SIZE {
            return Err(ZmtpError::FrameTooLarge {
                size,
                max: MAX_FRAME_SIZE,
            });
        }
        Ok(Some((
            FrameHeader {
                command,
                more,
                size,
            },
            len,
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(header: FrameHeader) -> Vec<u8> {
        let mut out = Vec::new();
        header.encode(&mut out);
        assert_eq!(out.len(), header.encoded_len());
        out
    }

    #[test]
    fn short_and_long_headers_are_byte_exact() {
        assert_eq!(encoded(FrameHeader::message(0, false)), [0x00, 0]);
        assert_eq!(encoded(FrameHeader::message(5, true)), [0x01, 5]);
        assert_eq!(encoded(FrameHeader::message(255, false)), [0x00, 255]);
        assert_eq!(
            encoded(FrameHeader::message(256, false)),
            [0x02, 0, 0, 0, 0, 0, 0, 1, 0]
        );
        assert_eq!(
            encoded(FrameHeader::message(0x0102_0304, true)),
            [0x03, 0, 0, 0, 0, 1, 2, 3, 4]
        );
        assert_eq!(encoded(FrameHeader::command(41)), [0x04, 41]);
        assert_eq!(
            encoded(FrameHeader::command(300)),
            [0x06, 0, 0, 0, 0, 0, 0, 1, 44]
        );
    }

    #[test]
    fn headers_round_trip() {
        for size in [0usize, 1, 77, 255, 256, 65_535, 1 << 20] {
            for header in [
                FrameHeader::message(size, false),
                FrameHeader::message(size, true),
                FrameHeader::command(size),
            ] {
                let bytes = encoded(header);
                assert_eq!(FrameHeader::parse(&bytes), Ok(Some((header, bytes.len()))));
                // Every strict prefix is incomplete, not an error.
                for cut in 0..bytes.len() {
                    assert_eq!(FrameHeader::parse(&bytes[..cut]), Ok(None), "{cut}");
                }
            }
        }
    }

    #[test]
    fn a_long_encoding_of_a_small_size_is_accepted() {
        // "SHOULD use a short size": the long form is still legal.
        assert_eq!(
            FrameHeader::parse(&[0x02, 0, 0, 0, 0, 0, 0, 0, 3]),
            Ok(Some((FrameHeader::message(3, false), 9)))
        );
    }

    #[test]
    fn reserved_bits_are_rejected_from_the_first_octet() {
        for bit in 3..8 {
            let flags = 1u8 << bit;
            assert_eq!(
                FrameHeader::parse(&[flags]),
                Err(ZmtpError::ReservedFlags(flags))
            );
        }
        assert_eq!(
            FrameHeader::parse(&[0xff, 0]),
            Err(ZmtpError::ReservedFlags(0xff))
        );
    }

    #[test]
    fn a_command_with_more_is_rejected() {
        assert!(matches!(
            FrameHeader::parse(&[COMMAND | MORE]),
            Err(ZmtpError::MalformedCommand { .. })
        ));
    }

    #[test]
    fn sizes_of_2_pow_63_and_above_are_too_large() {
        let mut bytes = vec![LONG];
        bytes.extend_from_slice(&(1u64 << 63).to_be_bytes());
        assert_eq!(
            FrameHeader::parse(&bytes),
            Err(ZmtpError::FrameTooLarge {
                size: 1 << 63,
                max: MAX_FRAME_SIZE
            })
        );
        bytes[1..].copy_from_slice(&u64::MAX.to_be_bytes());
        assert!(matches!(
            FrameHeader::parse(&bytes),
            Err(ZmtpError::FrameTooLarge { .. })
        ));
        bytes[1..].copy_from_slice(&MAX_FRAME_SIZE.to_be_bytes());
        assert_eq!(
            FrameHeader::parse(&bytes),
            Ok(Some((
                FrameHeader {
                    command: false,
                    more: false,
                    size: MAX_FRAME_SIZE
                },
                9
            )))
        );
    }
}
