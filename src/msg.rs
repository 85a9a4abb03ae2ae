//! `Message`, one ZeroMQ frame.
//!
//! # Representation
//!
//! A `Message` is one of three bodies plus its `MORE` flag:
//!
//! - **Inline**: up to [`INLINE_CAP`] bytes stored inside the `Message`
//!   itself, with no heap allocation. Slices, `&str`, `with_size` and arrays
//!   of that size or less land here.
//! - **Shared**: a [`bytes::Bytes`], a reference-counted body. `Vec<u8>`,
//!   `Box<[u8]>`, `String`, `Bytes` and [`Message::from_owner`] become a
//!   message without copying the data, whatever their length; a clone shares
//!   the body by reference count (libzmq's `zmq_msg_copy`).
//! - **Unique**: a [`bytes::BytesMut`], what a shared body becomes once it is
//!   mutably borrowed (`DerefMut`). The conversion is free when this message
//!   holds the only reference, and copies the body only when it is actually
//!   shared, so other clones never see the write. Sending a message turns a
//!   unique body back into a shared one, again without a copy.
//!
//! Why inline: a message crosses threads through lock-free queues. A heap
//! body is allocated by the sender's thread and freed by the receiver's, and
//! that cross-thread malloc/free costs more than the queue itself: measured
//! on the development machine, a crossbeam channel moving a heap `Vec` per
//! message across cores runs at 3.8 M msg/s, against 16.7 M msg/s for a
//! `[u8; 64]` moved by value. So small bodies, the common case, travel by
//! value inside the `Message`, whose size stays at 80 bytes.
//!
//! Why `bytes`: it already provides shared, zero-copy bodies with owner-drop
//! support (the equivalent of `zmq_msg_init_data` with a free function), and
//! unique-to-mutable conversion without a copy.

use std::fmt;
use std::mem;
use std::ops::{Deref, DerefMut};
use std::str;

use bytes::{Bytes, BytesMut};

mod image;

/// The largest body stored inline, without a heap allocation: as much as fits
/// while `size_of::<Message>()` stays at 80 bytes (a tag, the `MORE` flag and
/// a length byte take the other three).
pub(crate) const INLINE_CAP: usize = 77;

const _: () = assert!(mem::size_of::<Message>() == 80);
const _: () = assert!(INLINE_CAP >= 64 && INLINE_CAP <= u8::MAX as usize);

/// `Repr::Inline`'s tag (the `image` module builds inline messages by it).
const INLINE_TAG: u8 = 0;

/// Bytes of the body shown by `Debug`.
const DEBUG_PREVIEW: usize = 32;

/// Holds a 0MQ message: a single frame, either received or created locally
/// and then sent. Multipart messages are transmitted as several `Message`s.
///
/// A `Message` dereferences to its body, `[u8]`. Bodies of up to 77 bytes are
/// stored inline (no allocation); larger ones, and any `Vec<u8>`, `Box<[u8]>`,
/// `String` or `bytes::Bytes` given to it, are held by reference count
/// without a copy. `clone` shares a heap body rather than copying it.
///
/// ```
/// # use zactor as zmq;
/// let msg = zmq::Message::from("hello");
/// assert_eq!(&msg[..], b"hello");
/// assert_eq!(msg.as_str(), Some("hello"));
/// assert!(!msg.get_more());
/// ```
pub struct Message {
    repr: Repr,
}

/// The three bodies; each carries the `MORE` flag so the whole `Message`
/// fits in 80 bytes with 77 inline bytes (a flag outside the enum would cost
/// a word of padding).
///
/// `repr(u8)` lays each variant out as a C struct after the one-byte tag, so
/// `more` sits at byte 1 in all three: reading the flag (once per frame on
/// both ends of a pipe) is one load, not a match, and a move of a `Message`
/// stays a plain copy instead of being split per variant (a split copy
/// reassembled from the stack stalled store-to-load forwarding on the
/// receive path).
#[derive(Clone)]
#[repr(u8)]
enum Repr {
    /// `buf[..len]` is the body; the rest is zero.
    Inline {
        more: bool,
        len: u8,
        buf: [u8; INLINE_CAP],
    } = INLINE_TAG,
    /// A reference-counted body, possibly shared with other messages.
    Shared { more: bool, body: Bytes },
    /// A body this message alone owns, after a mutable borrow.
    Unique { more: bool, body: BytesMut },
}

impl Repr {
    const EMPTY: Repr = Repr::Inline {
        more: false,
        len: 0,
        buf: [0; INLINE_CAP],
    };
}

impl Message {
    /// Create an empty `Message`.
    #[inline]
    pub const fn new() -> Message {
        Message { repr: Repr::EMPTY }
    }

    /// Copies `data` inline; the caller checks `data.len() <= INLINE_CAP`.
    ///
    /// Built in registers and stored as the five 16-byte words that copy
    /// it into a pipe (see the `image` module for why).
    #[inline(always)]
    fn inline(data: &[u8]) -> Message {
        debug_assert!(data.len() <= INLINE_CAP);
        image::inline(data)
    }

    /// Wraps a shared body, zero-copy; an empty one becomes an inline empty
    /// message.
    #[inline]
    fn shared(body: Bytes) -> Message {
        if body.is_empty() {
            return Message::new();
        }
        Message {
            repr: Repr::Shared { more: false, body },
        }
    }

    /// Create a `Message` with space for `len` bytes that are initialized to 0.
    #[inline]
    pub fn with_size(len: usize) -> Message {
        if len <= INLINE_CAP {
            image::zeroed(len)
        } else {
            // `vec!` of zeros is one calloc; `len == capacity`, so `Bytes`
            // adopts it without a second allocation.
            Message::shared(Bytes::from(vec![0; len]))
        }
    }

    /// Create a `Message` with space for `len` bytes that are initialized to 0.
    ///
    /// The same as [`with_size`](Message::with_size): despite the name, `len`
    /// is the size of the body, not a capacity.
    #[deprecated(
        since = "0.9.1",
        note = "This method has a name which does not match its semantics. Use `with_size` instead"
    )]
    pub fn with_capacity(len: usize) -> Message {
        Self::with_size(len)
    }

    /// Create a `Message` from a `&[u8]`. This will copy `data` into the message.
    ///
    /// This is equivalent to using the `From<&[u8]>` trait.
    #[deprecated(since = "0.9.1", note = "Use the `From` trait instead.")]
    pub fn from_slice(data: &[u8]) -> Message {
        Self::from(data)
    }

    /// Create a `Message` whose body is borrowed from `owner`, without a copy:
    /// libzmq's `zmq_msg_init_data` with a free function. `owner` is dropped
    /// when the last clone of this message is dropped.
    ///
    /// A mutable borrow of the body (`DerefMut`) copies it first, since the
    /// owner only lends it read-only.
    ///
    /// ```
    /// # use zactor as zmq;
    /// let page = std::sync::Arc::new(vec![7u8; 4096]);
    /// let msg = zmq::Message::from_owner(ArcBody(page.clone()));
    /// assert_eq!(msg.as_ptr(), page.as_ptr());
    ///
    /// struct ArcBody(std::sync::Arc<Vec<u8>>);
    /// impl AsRef<[u8]> for ArcBody {
    ///     fn as_ref(&self) -> &[u8] {
    ///         &self.0
    ///     }
    /// }
    /// ```
    pub fn from_owner<O>(owner: O) -> Message
    where
        O: AsRef<[u8]> + Send + 'static,
    {
        // Kept even when empty: the owner must live as long as the message.
        Message {
            repr: Repr::Shared {
                more: false,
                body: Bytes::from_owner(owner),
            },
        }
    }

    /// Return the message content as a string slice if it is valid UTF-8.
    pub fn as_str(&self) -> Option<&str> {
        str::from_utf8(self).ok()
    }

    /// Return the `ZMQ_MORE` flag, which indicates if more parts of a multipart
    /// message will follow.
    #[inline]
    pub fn get_more(&self) -> bool {
        match self.repr {
            Repr::Inline { more, .. } | Repr::Shared { more, .. } | Repr::Unique { more, .. } => {
                more
            }
        }
    }

    /// Sets the `MORE` flag (the socket layer does, from `SNDMORE`).
    #[inline]
    pub(crate) fn set_more(&mut self, value: bool) {
        match &mut self.repr {
            Repr::Inline { more, .. } | Repr::Shared { more, .. } | Repr::Unique { more, .. } => {
                *more = value
            }
        }
    }

    /// Query a message metadata property.
    ///
    /// No property is known yet (libzmq's come from a connection's handshake,
    /// and inproc has none), so this returns `None`.
    pub fn gets<'a>(&'a mut self, property: &str) -> Option<&'a str> {
        let _ = property;
        None
    }

    /// The body as `Bytes`, for a zero-copy handoff; an inline body is copied.
    #[allow(dead_code)] // for the transports
    pub(crate) fn into_bytes(self) -> Bytes {
        match self.repr {
            Repr::Inline { len, buf, .. } => Bytes::copy_from_slice(&buf[..usize::from(len)]),
            Repr::Shared { body, .. } => body,
            Repr::Unique { body, .. } => body.freeze(),
        }
    }

    /// Whether the body is stored inline (no heap allocation).
    #[inline]
    pub(crate) fn is_inline(&self) -> bool {
        matches!(self.repr, Repr::Inline { .. })
    }

    /// Writes a clone of this message into `place`, which holds none.
    ///
    /// An inline message is copied as its five 16-byte words: a fan-out
    /// writes one message into many pipes' slots, each a cache line the
    /// reader's core must hand back first, and five stores per slot keep
    /// more of those hand-overs in flight than the dozen of a field-by-field
    /// clone.
    #[inline]
    pub(crate) fn clone_into_uninit(&self, place: &mut mem::MaybeUninit<Message>) {
        if self.is_inline() {
            image::copy_inline(self, place);
        } else {
            place.write(self.clone());
        }
    }

    /// Turns a unique body back into a shared one (no copy), so that clones
    /// made from here on share it. Once per send: the test is inlined, the
    /// rare conversion is not.
    #[inline(always)]
    fn freeze(&mut self) {
        if let Repr::Unique { .. } = self.repr {
            self.freeze_unique();
        }
    }

    #[cold]
    #[inline(never)]
    fn freeze_unique(&mut self) {
        if let Repr::Unique { more, body } = mem::replace(&mut self.repr, Repr::EMPTY) {
            self.repr = Repr::Shared {
                more,
                body: body.freeze(),
            };
        }
    }

    /// Turns a shared body into a unique one: free when this is the only
    /// reference (and the body is not borrowed from an owner), a copy otherwise.
    #[cold]
    fn unshare(&mut self) {
        if let Repr::Shared { more, body } = mem::replace(&mut self.repr, Repr::EMPTY) {
            let body = body
                .try_into_mut()
                .unwrap_or_else(|shared| BytesMut::from(&shared[..]));
            self.repr = Repr::Unique { more, body };
        }
    }
}

impl Default for Message {
    #[inline]
    fn default() -> Message {
        Message::new()
    }
}

impl Clone for Message {
    /// A copy of the message, `MORE` flag included. A shared heap body is not
    /// copied: the clone holds another reference to it. (A body mutably
    /// borrowed since the message was made or received is copied once; the
    /// socket re-shares it when it is sent.)
    #[inline]
    fn clone(&self) -> Message {
        let repr = match &self.repr {
            Repr::Unique { more, body } => Repr::Shared {
                more: *more,
                body: Bytes::copy_from_slice(body),
            },
            other => other.clone(),
        };
        Message { repr }
    }
}

impl Deref for Message {
    type Target = [u8];

    #[inline]
    fn deref(&self) -> &[u8] {
        match &self.repr {
            Repr::Inline { len, buf, .. } => &buf[..usize::from(*len)],
            Repr::Shared { body, .. } => body,
            Repr::Unique { body, .. } => body,
        }
    }
}

impl DerefMut for Message {
    /// The body, writable. A heap body shared with clones is copied first, so
    /// they are unaffected; one this message alone references is not.
    #[inline]
    fn deref_mut(&mut self) -> &mut [u8] {
        if let Repr::Shared { .. } = self.repr {
            self.unshare();
        }
        match &mut self.repr {
            Repr::Inline { len, buf, .. } => &mut buf[..usize::from(*len)],
            Repr::Unique { body, .. } => body,
            Repr::Shared { .. } => unreachable!("unshare leaves no shared body"),
        }
    }
}

impl AsRef<[u8]> for Message {
    #[inline]
    fn as_ref(&self) -> &[u8] {
        self
    }
}

impl AsMut<[u8]> for Message {
    #[inline]
    fn as_mut(&mut self) -> &mut [u8] {
        self
    }
}

impl PartialEq for Message {
    /// Messages are equal when their bodies are; the `MORE` flag is ignored.
    fn eq(&self, other: &Message) -> bool {
        self[..] == other[..]
    }
}

impl Eq for Message {}

impl fmt::Debug for Message {
    /// Shows the length, the `MORE` flag and at most the first 32 bytes of
    /// the body, e.g. `Message { len: 5, more: false, data: b"hello" }`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Message")
            .field("len", &self.len())
            .field("more", &self.get_more())
            .field("data", &Preview(self))
            .finish()
    }
}

/// A body as a byte-string literal, cut after `DEBUG_PREVIEW` bytes.
struct Preview<'a>(&'a [u8]);

impl fmt::Debug for Preview<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown = &self.0[..self.0.len().min(DEBUG_PREVIEW)];
        write!(f, "b\"{}\"", shown.escape_ascii())?;
        if shown.len() < self.0.len() {
            f.write_str("...")?;
        }
        Ok(())
    }
}

impl<'a> From<&'a [u8]> for Message {
    /// Construct a message from a byte slice by copying the data (inline when
    /// it fits).
    ///
    /// Always inlined: built in the caller's frame, the message's words go
    /// from registers to the pipe slot without a call in between.
    #[inline(always)]
    fn from(data: &'a [u8]) -> Self {
        if data.len() <= INLINE_CAP {
            Message::inline(data)
        } else {
            Message::shared(Bytes::copy_from_slice(data))
        }
    }
}

impl<const N: usize> From<[u8; N]> for Message {
    /// Construct a message from a byte array by copying the data (inline when
    /// it fits). With the `From<&T>` impl this also makes `&[u8; N]`, such as
    /// `b"hello"`, convertible.
    #[inline]
    fn from(data: [u8; N]) -> Self {
        Message::from(&data[..])
    }
}

impl From<Vec<u8>> for Message {
    /// Construct a message from a byte vector without copying the data.
    #[inline]
    fn from(data: Vec<u8>) -> Self {
        Message::shared(Bytes::from(data))
    }
}

impl From<Box<[u8]>> for Message {
    /// Construct a message from a boxed slice without copying the data.
    #[inline]
    fn from(data: Box<[u8]>) -> Self {
        Message::shared(Bytes::from(data))
    }
}

impl From<String> for Message {
    /// Construct a message from a string without copying the UTF-8 data.
    #[inline]
    fn from(data: String) -> Self {
        Message::shared(Bytes::from(data))
    }
}

impl From<Bytes> for Message {
    /// Construct a message from `Bytes` without copying the data; the message
    /// holds another reference to the body.
    #[inline]
    fn from(data: Bytes) -> Self {
        Message::shared(data)
    }
}

impl<'a> From<&'a str> for Message {
    /// Construct a message from a string slice by copying the UTF-8 data.
    #[inline]
    fn from(data: &'a str) -> Self {
        Message::from(data.as_bytes())
    }
}

// `From<&String>` comes from the impl below (clone, then `From<String>`): a
// separate impl, as rust-zmq has, would overlap it now that `String` converts.
impl<'a, T> From<&'a T> for Message
where
    T: Into<Message> + Clone,
{
    /// Construct a message from a reference by cloning the value and
    /// converting the clone.
    fn from(v: &'a T) -> Self {
        v.clone().into()
    }
}

/// A frame with `body` and the MORE flag as given (envelope frames,
/// delimiters, subscriptions).
#[inline]
pub(crate) fn frame(body: &[u8], more: bool) -> Message {
    let mut msg = Message::from(body);
    msg.set_more(more);
    msg
}

impl Message {
    /// Converts anything message-like for sending: a mutated heap body is
    /// made shareable again (no copy), so a fan-out's clones do not copy it.
    #[inline]
    pub(crate) fn for_sending(data: impl Into<Message>) -> Message {
        let mut msg = data.into();
        msg.freeze();
        msg
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    const MIB: usize = 1 << 20;

    #[test]
    fn a_message_is_80_bytes_and_holds_64_bytes_inline() {
        assert_eq!(mem::size_of::<Message>(), 80);
        assert_eq!(mem::size_of::<Option<Message>>(), 80);

        assert!(Message::from(&[1u8; 64][..]).is_inline());
        assert!(Message::from(&[1u8; INLINE_CAP][..]).is_inline());
        assert!(!Message::from(&[1u8; INLINE_CAP + 1][..]).is_inline());
        assert!(!Message::from(&[1u8; 1000][..]).is_inline());
    }

    #[test]
    fn empty_messages_are_inline() {
        assert!(Message::new().is_inline());
        assert!(Message::default().is_inline());
        assert!(Message::with_size(0).is_inline());
        assert!(Message::from("").is_inline());
        assert!(Message::from(Vec::new()).is_inline());
        assert!(Message::from(Bytes::new()).is_inline());
        assert_eq!(Message::new().len(), 0);
    }

    #[test]
    fn with_size_is_zeroed_and_inline_when_it_fits() {
        let small = Message::with_size(64);
        assert!(small.is_inline());
        assert_eq!(&small[..], &[0u8; 64][..]);

        let large = Message::with_size(65 + INLINE_CAP);
        assert!(!large.is_inline());
        assert!(large.iter().all(|&b| b == 0));
        assert_eq!(large.len(), 65 + INLINE_CAP);

        #[allow(deprecated)]
        let same = Message::with_capacity(10);
        assert_eq!(&same[..], &[0u8; 10][..]);
    }

    #[test]
    fn slices_and_strs_are_copied() {
        let data = b"hello".to_vec();
        let msg = Message::from(&data[..]);
        assert_ne!(msg.as_ptr(), data.as_ptr());
        assert_eq!(&msg[..], b"hello");
        assert_eq!(Message::from("hello"), msg);
        assert_eq!(Message::from(&String::from("hello")), msg);
        assert_eq!(Message::from(*b"hello"), msg);
        assert_eq!(Message::from(b"hello"), msg);
        #[allow(deprecated)]
        let from_slice = Message::from_slice(b"hello");
        assert_eq!(from_slice, msg);
    }

    #[test]
    fn vec_is_not_copied_large_or_small() {
        let big = vec![3u8; MIB];
        let ptr = big.as_ptr();
        let msg = Message::from(big);
        assert_eq!(msg.as_ptr(), ptr);
        assert_eq!(msg.len(), MIB);

        let small = b"hi".to_vec();
        let ptr = small.as_ptr();
        let msg = Message::from(small);
        assert!(!msg.is_inline());
        assert_eq!(msg.as_ptr(), ptr);
        assert_eq!(&msg[..], b"hi");

        // Spare capacity does not force a copy either.
        let mut spare = Vec::with_capacity(2 * MIB);
        spare.extend_from_slice(&[1u8; MIB]);
        let ptr = spare.as_ptr();
        assert_eq!(Message::from(spare).as_ptr(), ptr);
    }

    #[test]
    fn box_string_and_bytes_are_not_copied() {
        let boxed: Box<[u8]> = vec![5u8; MIB].into_boxed_slice();
        let ptr = boxed.as_ptr();
        assert_eq!(Message::from(boxed).as_ptr(), ptr);

        let string = "x".repeat(MIB);
        let ptr = string.as_ptr();
        let msg = Message::from(string);
        assert_eq!(msg.as_ptr(), ptr);
        assert_eq!(msg.as_str().map(str::len), Some(MIB));

        let bytes = Bytes::from(vec![9u8; MIB]);
        let msg = Message::from(bytes.clone());
        assert_eq!(msg.as_ptr(), bytes.as_ptr());
        assert_eq!(msg.into_bytes().as_ptr(), bytes.as_ptr());
    }

    /// A body whose drop is observable.
    struct Owner {
        body: Vec<u8>,
        dropped: Arc<AtomicBool>,
    }

    impl AsRef<[u8]> for Owner {
        fn as_ref(&self) -> &[u8] {
            &self.body
        }
    }

    impl Drop for Owner {
        fn drop(&mut self) {
            self.dropped.store(true, Ordering::SeqCst);
        }
    }

    #[test]
    fn from_owner_borrows_the_body_until_the_last_clone_goes() {
        let dropped = Arc::new(AtomicBool::new(false));
        let body = vec![1u8; MIB];
        let ptr = body.as_ptr();
        let msg = Message::from_owner(Owner {
            body,
            dropped: dropped.clone(),
        });
        assert_eq!(msg.as_ptr(), ptr);

        let copy = msg.clone();
        assert_eq!(copy.as_ptr(), ptr);
        drop(msg);
        assert!(!dropped.load(Ordering::SeqCst));
        let moved = std::thread::spawn(move || copy.len()).join().unwrap();
        assert_eq!(moved, MIB);
        assert!(dropped.load(Ordering::SeqCst));
    }

    #[test]
    fn a_clone_shares_the_heap_body() {
        let mut msg = Message::from(vec![2u8; MIB]);
        msg.set_more(true);
        let copy = msg.clone();
        assert_eq!(copy.as_ptr(), msg.as_ptr());
        assert!(copy.get_more());
        assert_eq!(copy, msg);

        let small = Message::from("tiny");
        let copy = small.clone();
        assert!(copy.is_inline());
        assert_eq!(copy, small);
    }

    #[test]
    fn clone_from_copies_any_body_into_any_message() {
        let mut long = Message::from("a longer inline body");
        long.set_more(true);
        let heap = Message::from(vec![3u8; MIB]);
        let mut place = Message::from("an old inline body, longer still");
        // Inline over inline: the old body's tail must not show.
        place.clone_from(&long);
        assert_eq!((&place[..], place.get_more()), (&long[..], true));
        place.clone_from(&Message::from("short"));
        assert_eq!((&place[..], place.get_more()), (&b"short"[..], false));
        // Heap over inline shares the body; inline over heap drops it.
        place.clone_from(&heap);
        assert_eq!(place.as_ptr(), heap.as_ptr());
        place.clone_from(&long);
        assert!(place.is_inline());
        assert_eq!(&place[..], &long[..]);
    }

    #[test]
    fn writing_a_unique_heap_body_does_not_copy_it() {
        let mut msg = Message::from(vec![0u8; MIB]);
        let ptr = msg.as_ptr();
        msg[0] = 42;
        msg.as_mut()[1] = 43;
        assert_eq!(msg.as_ptr(), ptr);
        assert_eq!(&msg[..2], &[42, 43]);

        // Sending re-shares it, still without a copy, so clones are cheap.
        let sent = Message::for_sending(msg);
        assert_eq!(sent.as_ptr(), ptr);
        assert_eq!(sent.clone().as_ptr(), ptr);
    }

    #[test]
    fn writing_a_shared_heap_body_copies_it_and_leaves_the_clone_alone() {
        let original = Message::from(vec![0u8; MIB]);
        let mut written = original.clone();
        written[0] = 1;
        assert_ne!(written.as_ptr(), original.as_ptr());
        assert_eq!(original[0], 0);
        assert_eq!(written[0], 1);
        assert_eq!(written.len(), MIB);

        let mut inline = Message::from("abc");
        let untouched = inline.clone();
        inline[0] = b'x';
        assert_eq!(inline.as_str(), Some("xbc"));
        assert_eq!(untouched.as_str(), Some("abc"));
    }

    #[test]
    fn writing_an_owned_body_copies_it() {
        let dropped = Arc::new(AtomicBool::new(false));
        let mut msg = Message::from_owner(Owner {
            body: vec![0u8; 100],
            dropped: dropped.clone(),
        });
        msg[99] = 7;
        assert_eq!(msg[99], 7);
        assert!(dropped.load(Ordering::SeqCst));
    }

    #[test]
    fn as_str_checks_utf8() {
        assert_eq!(Message::from("héllo").as_str(), Some("héllo"));
        assert_eq!(Message::from(&[0xff, 0xfe][..]).as_str(), None);
        assert_eq!(Message::new().as_str(), Some(""));
    }

    #[test]
    fn more_defaults_to_false_and_follows_set_more() {
        for mut msg in [Message::new(), Message::from(vec![1u8; 1000])] {
            assert!(!msg.get_more());
            msg.set_more(true);
            assert!(msg.get_more());
            msg[0..0].copy_from_slice(&[]);
            assert!(msg.get_more());
            msg.set_more(false);
            assert!(!msg.get_more());
        }
    }

    #[test]
    fn no_property_is_known() {
        let mut msg = Message::from("x");
        assert_eq!(msg.gets("Socket-Type"), None);
        assert_eq!(msg.gets("User-Id"), None);
    }

    #[test]
    fn equality_compares_bodies_only() {
        let mut a = Message::from("same");
        let b = Message::from(b"same".to_vec());
        a.set_more(true);
        assert_eq!(a, b);
        assert_ne!(a, Message::from("other"));
        assert_eq!(
            Message::from(vec![4u8; 500]),
            Message::from(&[4u8; 500][..])
        );
    }

    #[test]
    fn debug_is_short() {
        assert_eq!(
            format!("{:?}", Message::from("hello")),
            r#"Message { len: 5, more: false, data: b"hello" }"#
        );
        let big = format!("{:?}", Message::from(vec![0u8; MIB]));
        assert!(big.len() < 200, "{big}");
        assert!(big.starts_with("Message { len: 1048576, more: false, data: b\"\\x00"));
        assert!(big.ends_with("\"... }"));
    }

    #[test]
    fn into_bytes_hands_the_body_over() {
        let inline = Message::from("abc").into_bytes();
        assert_eq!(&inline[..], b"abc");

        let vec = vec![1u8; MIB];
        let ptr = vec.as_ptr();
        assert_eq!(Message::from(vec).into_bytes().as_ptr(), ptr);
    }

    #[test]
    #[allow(clippy::needless_borrows_for_generic_args)] // the borrows are the point
    fn sendable_covers_the_usual_types() {
        fn message<T: Into<Message>>(data: T) -> Message {
            Message::for_sending(data)
        }
        let expected = Message::from("data");
        assert_eq!(message("data"), expected);
        assert_eq!(message(&b"data"[..]), expected);
        assert_eq!(message(b"data"), expected);
        assert_eq!(message(String::from("data")), expected);
        assert_eq!(message(&String::from("data")), expected);
        assert_eq!(message(b"data".to_vec()), expected);
        assert_eq!(message(&b"data".to_vec()), expected);
        assert_eq!(message(Bytes::from_static(b"data")), expected);
        assert_eq!(message(expected.clone()), expected);
        assert_eq!(message(&expected), expected);
    }

    #[test]
    fn message_is_send_and_sync() {
        fn check<T: Send + Sync + 'static>() {}
        check::<Message>();
    }
}
