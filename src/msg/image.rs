//! An inline message built as the five 16-byte words that copy it.
//!
//! A message made on the sender's stack is then copied into a pipe slot, by
//! 16-byte loads at offsets 0, 16, … 64. Made field by field, it is written
//! by stores of other widths and offsets: the tag, `MORE` flag and length
//! as single bytes, the body at offset 3. No such store can forward its
//! bytes to a 16-byte load that spans it and its neighbours, so each load
//! waits until those stores have reached the cache, and they reach it in
//! order, behind the previous message's stores into its slot, which wait
//! for the reader's core to hand that slot's cache line back. On a pipe
//! between two cores, that put a cache-line transfer on every send.
//!
//! Built here in registers and stored as those five words, the message is
//! read back by loads that each match one store, and forwarding never
//! fails. The body is read from the caller's slice by at most two loads
//! per word; nothing is stored and read back on the way.
#![allow(unsafe_code)]

use std::mem::MaybeUninit;

use super::{Message, INLINE_CAP, INLINE_TAG};

/// An inline message holding a copy of `body` (at most `INLINE_CAP` bytes).
#[inline(always)]
pub(super) fn inline(body: &[u8]) -> Message {
    debug_assert!(body.len() <= INLINE_CAP);
    let len = body.len();
    #[cfg(target_arch = "x86_64")]
    if len >= 16 {
        return inline_from_vectors(body);
    }
    // Word 0: the header, then the body's first 13 bytes.
    let (low, high) = load_le(&body[..len.min(FIRST_WORD_BODY)]);
    let first = word(low << 24 | header(len), high << 24 | low >> 40);
    // Word k > 0: the body from byte 16k - 3 on. Written out rather than
    // looped, so that every word stays in registers.
    message([
        first,
        window(body, 13),
        window(body, 29),
        window(body, 45),
        window(body, 61),
    ])
}

/// [`inline`] for a body of 16 bytes or more: every word the body fills is
/// one unaligned 16-byte load of it.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn inline_from_vectors(body: &[u8]) -> Message {
    use std::arch::x86_64::{_mm_cvtsi64_si128, _mm_loadu_si128, _mm_or_si128, _mm_slli_si128};
    let len = body.len();
    debug_assert!((16..=INLINE_CAP).contains(&len));
    let at = |start: usize| {
        if start + 16 <= len {
            // SAFETY: bytes `start..start + 16` are in `body`; SSE2 is part
            // of x86_64.
            unsafe { _mm_loadu_si128(body.as_ptr().add(start).cast()) }
        } else {
            window(body, start)
        }
    };
    // SAFETY: the body's first 16 bytes exist; SSE2 is part of x86_64. The
    // shift moves body byte i to byte i + 3, above the header.
    let first = unsafe {
        let head = _mm_slli_si128::<3>(_mm_loadu_si128(body.as_ptr().cast()));
        _mm_or_si128(head, _mm_cvtsi64_si128(header(len) as i64))
    };
    message([first, at(13), at(29), at(45), at(61)])
}

/// An inline message of `len` zero bytes (at most `INLINE_CAP`).
#[inline(always)]
pub(super) fn zeroed(len: usize) -> Message {
    debug_assert!(len <= INLINE_CAP);
    let zero = word(0, 0);
    message([word(header(len), 0), zero, zero, zero, zero])
}

/// Writes a copy of `source`, an inline message, into `place`.
#[inline(always)]
pub(super) fn copy_inline(source: &Message, place: &mut MaybeUninit<Message>) {
    debug_assert!(source.is_inline());
    // SAFETY: an inline message owns nothing beyond its own bytes, so a
    // copy of them is a whole, independent clone; `place` is valid for
    // writes and distinct from `source` (it is borrowed mutably).
    unsafe { std::ptr::copy_nonoverlapping(source, place.as_mut_ptr(), 1) }
}

/// The inline image's size in 16-byte words: all of a `Message`.
const WORDS: usize = 5;

/// Bytes of the body in the first word, after the three header bytes.
const FIRST_WORD_BODY: usize = 13;

/// The first word's header bytes: the `Inline` tag, a clear `MORE` flag
/// and the length.
#[inline(always)]
fn header(len: usize) -> u64 {
    (len as u64) << 16 | u64::from(INLINE_TAG)
}

/// Up to 16 bytes of `body` from `start` on, as a word (zero past its end).
#[inline(always)]
fn window(body: &[u8], start: usize) -> Word {
    if start < body.len() {
        let (low, high) = load_le(&body[start..body.len().min(start + 16)]);
        word(low, high)
    } else {
        word(0, 0)
    }
}

/// The little-endian value of `bytes` (at most 16 of them) as its low and
/// high halves, assembled in registers from at most two overlapping loads.
#[inline(always)]
fn load_le(bytes: &[u8]) -> (u64, u64) {
    let n = bytes.len();
    debug_assert!(n <= 16);
    if n >= 8 {
        // The last eight bytes; the top `n - 8` of them are bytes 8.. .
        let last = le_u64(&bytes[n - 8..]);
        (
            le_u64(bytes),
            last.checked_shr(8 * (16 - n) as u32).unwrap_or(0),
        )
    } else if n >= 4 {
        let last = le_u32(&bytes[n - 4..]);
        let high = last.checked_shr(8 * (8 - n) as u32).unwrap_or(0);
        (u64::from(le_u32(bytes)) | u64::from(high) << 32, 0)
    } else {
        let low = bytes
            .iter()
            .enumerate()
            .fold(0, |value, (i, byte)| value | u64::from(*byte) << (8 * i));
        (low, 0)
    }
}

/// The first eight bytes of `bytes` (which has at least eight).
#[inline(always)]
fn le_u64(bytes: &[u8]) -> u64 {
    bytes
        .first_chunk()
        .map_or(0, |chunk| u64::from_le_bytes(*chunk))
}

/// The first four bytes of `bytes` (which has at least four).
#[inline(always)]
fn le_u32(bytes: &[u8]) -> u32 {
    bytes
        .first_chunk()
        .map_or(0, |chunk| u32::from_le_bytes(*chunk))
}

/// One 16-byte word of a message as it is stored: a vector register on
/// x86_64, so that it becomes one 16-byte store (a pair of integers is
/// stored as two 8-byte halves).
#[cfg(target_arch = "x86_64")]
type Word = std::arch::x86_64::__m128i;
#[cfg(not(target_arch = "x86_64"))]
type Word = u128;

/// The word of halves `low` (bytes 0..8) and `high` (bytes 8..16).
#[inline(always)]
fn word(low: u64, high: u64) -> Word {
    #[cfg(target_arch = "x86_64")]
    {
        // SAFETY: SSE2 is part of x86_64; the casts keep the bits.
        unsafe { std::arch::x86_64::_mm_set_epi64x(high as i64, low as i64) }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        u128::from(low) | u128::from(high) << 64
    }
}

/// Five words as a `Message`. They must be an inline image: byte 0 the
/// `Inline` tag, byte 1 the `MORE` flag (clear), byte 2 the length (at most
/// `INLINE_CAP`), then that many body bytes, then zeros (the layout of
/// `Repr::Inline`).
#[inline(always)]
fn message(words: [Word; WORDS]) -> Message {
    const _: () = assert!(std::mem::size_of::<Message>() == WORDS * 16);
    // SAFETY: both are 80 bytes (asserted above), and the bits are an
    // inline image (this function's contract): a valid `Message`.
    unsafe { std::mem::transmute::<[Word; WORDS], Message>(words) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loads_assemble_every_length_little_endian() {
        let source: Vec<u8> = (1..=16).collect();
        for n in 0..=16 {
            let expected = source[..n]
                .iter()
                .rev()
                .fold(0u128, |value, byte| value << 8 | u128::from(*byte));
            let (low, high) = load_le(&source[..n]);
            assert_eq!(
                u128::from(low) | u128::from(high) << 64,
                expected,
                "{n} bytes"
            );
        }
    }

    #[test]
    fn every_length_is_the_header_then_the_body_then_zeros() {
        let body: Vec<u8> = (100..100 + INLINE_CAP as u8).collect();
        for len in 0..=INLINE_CAP {
            for (msg, body) in [
                (inline(&body[..len]), &body[..len]),
                (zeroed(len), &[0; INLINE_CAP][..len]),
            ] {
                // SAFETY: a `Message` is 80 initialised bytes (an inline one
                // has no padding: tag, flag, length and a full buffer).
                let bytes: [u8; WORDS * 16] = unsafe { std::mem::transmute(msg) };
                assert_eq!(&bytes[..3], &[INLINE_TAG, 0, len as u8]);
                assert_eq!(&bytes[3..3 + len], body);
                assert!(bytes[3 + len..].iter().all(|b| *b == 0), "len {len}");
            }
        }
    }
}
