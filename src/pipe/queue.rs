//! The single-producer/single-consumer queue at the heart of every pipe (libzmq's
//! `ypipe` over `yqueue`).
//!
//! Items live in a linked list of fixed-size chunks. The writer appends items
//! privately and makes them visible with an explicit [`Writer::flush`], so the
//! frames of a multipart message become visible together. One shared word,
//! `published`, carries both the number of published items and the reader's
//! "asleep" mark:
//!
//! ```text
//!  writer                         published                 reader
//!  write(a), write(b)               0
//!  flush: CAS 0 -> 2  ok            2        (nothing to wake)
//!                                            read a, read b (cached limit 2)
//!                                            read: CAS 2 -> ASLEEP ok: empty, now asleep
//!  write(c)                       ASLEEP
//!  flush: CAS 2 -> 3 fails (ASLEEP)
//!         store 3; return ReaderAsleep  ---> the caller wakes the reader
//!                                   3        read: CAS 2 -> ASLEEP fails, sees 3: read c
//! ```
//!
//! Because marking asleep and publishing are both read-modify-writes of the same
//! word, either the reader sees the new items or the writer sees the mark:
//! a wake-up can never be lost, and a flush costs a wake-up only when the reader
//! really found the queue empty. (The reader loads the word before its CAS:
//! a larger count it takes with that load, without a locked instruction.)
//!
//! A chunk the reader has finished is handed back to the writer through the
//! `spare` slot, so a warm queue allocates nothing.
#![allow(unsafe_code)]

use std::mem::MaybeUninit;
use std::ptr;

use crate::config::PIPE_CHUNK;
use crossbeam_utils::CachePadded;

use crate::sync::{Arc, AtomicPtr, AtomicU64, Ordering, UnsafeCell};

/// The value of `published` while the reader is asleep.
const ASLEEP: u64 = u64::MAX;

/// An item a writer can clone straight into a queue slot
/// ([`Writer::write_clone`]).
pub(crate) trait CloneIntoSlot: Sized {
    /// Writes a clone of `self` into `slot`, which holds no item. (Safe to
    /// implement: a `MaybeUninit` can only be written whole values.)
    fn clone_into_slot(&self, slot: &mut MaybeUninit<Self>);
}

/// What a flush found. The caller must wake the reader on `ReaderAsleep`.
#[must_use = "a flush that finds the reader asleep must wake it"]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flush {
    /// Nothing was written since the last flush.
    Nothing,
    /// The new items are visible; the reader is awake and will find them.
    Published,
    /// The new items are visible, but the reader had gone to sleep: wake it.
    ReaderAsleep,
}

struct Chunk<T> {
    slots: [UnsafeCell<MaybeUninit<T>>; PIPE_CHUNK],
    /// The chunk after this one. Written by the writer before the flush that
    /// publishes the first item stored there, read by the reader after it has
    /// acquired that flush: the `published` word orders the two.
    next: UnsafeCell<*mut Chunk<T>>,
}

impl<T> Chunk<T> {
    fn allocate() -> *mut Chunk<T> {
        Box::into_raw(Box::new(Chunk {
            slots: std::array::from_fn(|_| UnsafeCell::new(MaybeUninit::uninit())),
            next: UnsafeCell::new(ptr::null_mut()),
        }))
    }
}

/// Positions private to the writer.
struct WriterState<T> {
    /// The chunk that holds position `written - 1` (or position 0 initially).
    chunk: *mut Chunk<T>,
    /// Items written, published or not.
    written: u64,
    /// Items published by the last flush.
    flushed: u64,
    /// The chunk that held position `flushed - 1` at the last flush (the
    /// first chunk before any flush): where a rollback resumes.
    flushed_chunk: *mut Chunk<T>,
}

/// Positions private to the reader.
struct ReaderState<T> {
    /// The chunk that holds position `read - 1` (or position 0 initially).
    chunk: *mut Chunk<T>,
    /// Items consumed.
    read: u64,
    /// Items known to be published; `read < limit` means an item is ready
    /// without touching shared memory.
    limit: u64,
    /// The last look at `published` found fewer than `SMALL_BATCH` new
    /// items: the writer is publishing while we read (see
    /// [`Reader::caught_up_on_small_batch`]).
    small_batch: bool,
}

/// New items per look at `published` below which the reader is keeping
/// pace with a busy writer, one or two items at a time.
const SMALL_BATCH: u64 = 4;

struct Shared<T> {
    // Each part on its own cache line: the writer's and the reader's private
    // positions must not share a line with each other or with `published`,
    // or every write would invalidate the other side's cache (false sharing).
    /// Items published by the writer, or `ASLEEP`. See the module docs.
    published: CachePadded<AtomicU64>,
    /// One recycled chunk travelling from the reader back to the writer
    /// (touched once per chunk, so it shares `published`'s neighbourhood).
    spare: AtomicPtr<Chunk<T>>,
    writer: CachePadded<UnsafeCell<WriterState<T>>>,
    reader: CachePadded<UnsafeCell<ReaderState<T>>>,
}

// SAFETY: `Shared` is reached through `Writer` and `Reader`, at most one of
// each. `writer` is only touched by the `Writer` (or by `Drop`, which has
// exclusive access), `reader` only by the `Reader`; the item slots are handed
// from writer to reader by the Release/Acquire pair on `published`, and whole
// chunks from reader to writer by the pair on `spare`. Items cross threads, so
// `T: Send` is required.
unsafe impl<T: Send> Sync for Shared<T> {}
// SAFETY: as above; the raw chunk pointers are owned by the queue.
unsafe impl<T: Send> Send for Shared<T> {}

/// The producing half of a queue.
pub(crate) struct Writer<T> {
    shared: Arc<Shared<T>>,
}

/// The consuming half of a queue.
pub(crate) struct Reader<T> {
    shared: Arc<Shared<T>>,
}

/// Creates an empty queue. The reader starts awake, so the first flush never
/// asks for a wake-up: a reader always checks a queue when it attaches it.
pub(crate) fn queue<T: Send>() -> (Writer<T>, Reader<T>) {
    let first = Chunk::allocate();
    let shared = Arc::new(Shared {
        published: CachePadded::new(AtomicU64::new(0)),
        spare: AtomicPtr::new(ptr::null_mut()),
        writer: CachePadded::new(UnsafeCell::new(WriterState {
            chunk: first,
            written: 0,
            flushed: 0,
            flushed_chunk: first,
        })),
        reader: CachePadded::new(UnsafeCell::new(ReaderState {
            chunk: first,
            read: 0,
            limit: 0,
            small_batch: false,
        })),
    });
    (
        Writer {
            shared: shared.clone(),
        },
        Reader { shared },
    )
}

/// Index of position `pos` inside its chunk, and whether reaching it means
/// stepping into the next chunk.
#[inline(always)]
fn slot_of(pos: u64) -> (usize, bool) {
    let index = (pos % PIPE_CHUNK as u64) as usize;
    (index, index == 0 && pos != 0)
}

impl<T: Send> Writer<T> {
    /// Appends an item; it stays invisible to the reader until [`flush`](Self::flush).
    /// (A pipe of whole frames writes with [`write_from`](Self::write_from).)
    #[inline]
    pub(crate) fn write(&mut self, item: T) {
        // SAFETY: the write moves `item` into the slot (`put`'s contract).
        unsafe { self.put(|slot| slot.write(item)) }
    }

    /// Appends `*item` as [`write`](Self::write) does, leaving
    /// `T::default()` in its place.
    ///
    /// The item goes from `item` to its slot in one plain copy (see
    /// [`Reader::read_into`] for why that matters).
    #[inline]
    pub(crate) fn write_from(&mut self, item: &mut T)
    where
        T: Default,
    {
        let item: *mut T = item;
        // SAFETY: the copy moves the item into the slot (`put`'s contract);
        // `item`, valid and not the slot, no longer owns it and is
        // overwritten without a drop.
        unsafe {
            self.put(|slot| {
                ptr::copy_nonoverlapping(item, slot, 1);
                ptr::write(item, T::default());
            })
        }
    }

    /// Appends a clone of `*item`, made in its slot
    /// ([`CloneIntoSlot`]): a fan-out writes one message to many pipes, and
    /// a clone made first and then moved in would be copied twice more on
    /// the way (see [`Reader::read_into`]).
    #[inline]
    pub(crate) fn write_clone(&mut self, item: &T)
    where
        T: CloneIntoSlot,
    {
        // SAFETY: `clone_into_slot` writes a clone of `item` into the slot
        // (its contract): an item is moved into the slot (`put`'s contract).
        // A `MaybeUninit<T>` has `T`'s layout.
        unsafe { self.put(|slot| item.clone_into_slot(&mut *slot.cast::<MaybeUninit<T>>())) }
    }

    /// Hands the next free slot to `move_in`, then counts it written.
    ///
    /// # Safety
    /// `move_in` must move an item into the slot: from then on the slot is
    /// taken to hold one, which the reader will move out.
    #[inline(always)]
    unsafe fn put(&mut self, move_in: impl FnOnce(*mut T)) {
        let shared = &*self.shared;
        shared.writer.with_mut(|state| {
            // SAFETY: only this `Writer` touches the writer state (`&mut self`).
            let state = unsafe { &mut *state };
            let (index, next_chunk) = slot_of(state.written);
            if next_chunk {
                // Acquire pairs with the reader's Release swap in `read`: the
                // reader has finished reading this chunk's old items before we
                // overwrite them.
                let mut fresh = shared.spare.swap(ptr::null_mut(), Ordering::Acquire);
                if fresh.is_null() {
                    fresh = Chunk::allocate();
                }
                // SAFETY: `fresh` is ours alone: newly allocated, or taken out of
                // `spare` by the swap. `state.chunk` is the writer's current chunk,
                // alive until the reader has read past it, which cannot happen
                // before this link is published.
                unsafe {
                    (*fresh).next.with_mut(|next| *next = ptr::null_mut());
                    (*state.chunk).next.with_mut(|next| *next = fresh);
                }
                state.chunk = fresh;
            }
            // SAFETY: position `written` is not yet published, so the reader does
            // not look at this slot; the slot is empty (never written, or read
            // out before its chunk was recycled), and `move_in` fills it.
            unsafe {
                (*state.chunk).slots[index].with_mut(|slot| move_in((*slot).as_mut_ptr()));
            }
            state.written += 1;
        });
    }

    /// Publishes everything written so far.
    #[inline]
    pub(crate) fn flush(&mut self) -> Flush {
        self.shared.writer.with_mut(|state| {
            // SAFETY: only this `Writer` touches the writer state.
            let state = unsafe { &mut *state };
            if state.written == state.flushed {
                return Flush::Nothing;
            }
            let outcome = match self.shared.published.compare_exchange(
                state.flushed,
                state.written,
                // Release: publishes the slot writes (and chunk links) to the
                // reader's Acquire in `check_read`.
                Ordering::Release,
                // Acquire on failure pairs with the reader's Release when it
                // marked itself asleep: whatever it registered before sleeping
                // (who to wake) is visible to our caller.
                Ordering::Acquire,
            ) {
                Ok(_) => Flush::Published,
                Err(found) => {
                    debug_assert_eq!(
                        found, ASLEEP,
                        "only the reader changes `published` besides us"
                    );
                    // Release: publishes the slots, as above. The reader is
                    // asleep and will re-read the word once woken.
                    self.shared
                        .published
                        .store(state.written, Ordering::Release);
                    Flush::ReaderAsleep
                }
            };
            state.flushed = state.written;
            state.flushed_chunk = state.chunk;
            outcome
        })
    }

    /// Drops every item written since the last flush (a multipart message
    /// abandoned halfway). The reader never saw them.
    pub(crate) fn rollback(&mut self) {
        self.shared.writer.with_mut(|state| {
            // SAFETY: only this `Writer` touches the writer state.
            let state = unsafe { &mut *state };
            let mut chunk = state.flushed_chunk;
            for pos in state.flushed..state.written {
                let (index, next_chunk) = slot_of(pos);
                if next_chunk {
                    // SAFETY: the writer linked this chunk before writing past it.
                    chunk = unsafe { (*chunk).next.with(|next| *next) };
                }
                // SAFETY: positions `flushed..written` hold initialised items
                // that the reader cannot see (not published).
                unsafe { (*chunk).slots[index].with_mut(|slot| (*slot).assume_init_drop()) };
            }
            // Unlink and free the chunks past `flushed_chunk`: they only ever
            // held unpublished items, so the reader never reached them.
            // SAFETY: `flushed_chunk` is the writer's; its `next` is read by
            // the reader only for a published position past its end.
            let mut extra = unsafe {
                (*state.flushed_chunk)
                    .next
                    .with_mut(|next| std::mem::replace(&mut *next, ptr::null_mut()))
            };
            if state.chunk != state.flushed_chunk {
                while !extra.is_null() {
                    // SAFETY: chunks past the flushed one are unreachable for the
                    // reader and now unlinked; each is freed once.
                    let next = unsafe { (*extra).next.with(|next| *next) };
                    let last = extra == state.chunk;
                    // SAFETY: as above.
                    drop(unsafe { Box::from_raw(extra) });
                    if last {
                        break;
                    }
                    extra = next;
                }
            }
            state.chunk = state.flushed_chunk;
            state.written = state.flushed;
        });
    }

    /// Items written but not yet flushed.
    #[cfg(test)]
    pub(crate) fn unflushed(&self) -> u64 {
        // SAFETY: only this `Writer` touches the writer state.
        self.shared
            .writer
            .with(|state| unsafe { (*state).written - (*state).flushed })
    }
}

impl<T: Send> Reader<T> {
    /// Returns whether an item is ready. When none is, marks the reader asleep,
    /// so that the next flush reports [`Flush::ReaderAsleep`].
    #[inline]
    pub(crate) fn check_read(&mut self) -> bool {
        self.shared.reader.with_mut(|state| {
            // SAFETY: only this `Reader` touches the reader state.
            let state = unsafe { &mut *state };
            if state.read < state.limit {
                return true;
            }
            // A plain load first: when the writer has published more, that
            // is all we need (Acquire pairs with the writer's Release in
            // `flush`, as the failing CAS below would), and a reader that
            // keeps catching up with its writer pays no locked instruction
            // per message. Only a queue that looks empty needs the CAS.
            let seen = self.shared.published.load(Ordering::Acquire);
            if seen != ASLEEP && seen > state.read {
                state.small_batch = seen - state.read < SMALL_BATCH;
                state.limit = seen;
                return true;
            }
            state.small_batch = false;
            match self.shared.published.compare_exchange(
                state.read,
                ASLEEP,
                // Release: publishes what our owner registered before reading
                // (who to wake) to the writer's failing CAS in `flush`.
                Ordering::Release,
                // Acquire pairs with the writer's Release in `flush`: the slots
                // up to `found` are written.
                Ordering::Acquire,
            ) {
                Ok(_) => false,
                Err(ASLEEP) => false,
                Err(found) => {
                    state.limit = found;
                    true
                }
            }
        })
    }

    /// Whether the reader has read everything it knew of, and its last look
    /// found only a small batch: a writer is publishing as fast as we read,
    /// so the next look at `published` will most likely find one item, and
    /// take the cache line the writer's next flush needs (see
    /// `Pipes::read_with` for what a receive does about it).
    #[inline]
    pub(crate) fn caught_up_on_small_batch(&self) -> bool {
        self.shared.reader.with(|state| {
            // SAFETY: only this `Reader` touches the reader state.
            let state = unsafe { &*state };
            state.read == state.limit && state.small_batch
        })
    }

    /// Returns whether an item is ready without marking the reader asleep:
    /// for spinning, where a wake-up would be wasted. (The loom models use
    /// it, and so does a socket spinning in a blocking receive.)
    #[inline]
    pub(crate) fn peek_ready(&self) -> bool {
        self.shared.reader.with(|state| {
            // SAFETY: only this `Reader` touches the reader state.
            let state = unsafe { &*state };
            if state.read < state.limit {
                return true;
            }
            // Relaxed is enough: a true answer is followed by `check_read`,
            // whose Acquire does the synchronisation.
            let found = self.shared.published.load(Ordering::Relaxed);
            found != ASLEEP && found > state.read
        })
    }

    /// Takes the next item, or `None` (and marks the reader asleep) when empty.
    #[inline]
    pub(crate) fn read(&mut self) -> Option<T> {
        // SAFETY: the read moves the item out of its slot (`take`'s contract).
        unsafe { self.take(|slot| slot.read()) }
    }

    /// Moves the next item into `out`, dropping what `out` held, and
    /// returns true; false (the reader now asleep) when empty, `out`
    /// untouched.
    ///
    /// The item goes from its slot to `out` in one plain copy. Returned by
    /// value through the layers above, an 80-byte message is copied several
    /// times, partly field by field, and each copy that reads back bytes
    /// just stored with another width stalls on store forwarding.
    /// (Pipes read with [`read_into_if`](Self::read_into_if).)
    #[cfg(any(test, zactor_loom))]
    #[inline]
    pub(crate) fn read_into(&mut self, out: &mut T) -> bool {
        self.read_into_if(out, |_| true).is_some()
    }

    /// Takes the next item: into `out` as [`read_into`](Self::read_into)
    /// does when `accept` says so (`Some(true)`), otherwise dropped where
    /// it is, `out` untouched (`Some(false)`). `None` (the reader now
    /// asleep) when empty. A reader that filters (SUB) looks at each item
    /// in its slot and moves only what it keeps.
    #[inline]
    pub(crate) fn read_into_if(
        &mut self,
        out: &mut T,
        accept: impl FnOnce(&T) -> bool,
    ) -> Option<bool> {
        let out: *mut T = out;
        // SAFETY: either branch moves the item out of its slot (`take`'s
        // contract): into `out`, a valid, writable item that is not the
        // slot, whose old item was moved out first and is dropped once,
        // after `out` holds the new one (so a panicking drop leaves `out`
        // valid); or into a value dropped here. `accept` only borrows the
        // item, which the slot holds until then.
        unsafe {
            self.take(|slot| {
                if accept(&*slot) {
                    let old = ptr::read(out);
                    ptr::copy_nonoverlapping(slot, out, 1);
                    drop(old);
                    true
                } else {
                    drop(ptr::read(slot));
                    false
                }
            })
        }
    }

    /// Moves past the next item, handing its slot to `move_out`; `None`
    /// (the reader now asleep) when empty.
    ///
    /// # Safety
    /// `move_out` must move the item out of the slot: the slot is treated
    /// as empty from then on, so the item must be neither dropped there
    /// nor left without an owner.
    #[inline(always)]
    unsafe fn take<R>(&mut self, move_out: impl FnOnce(*const T) -> R) -> Option<R> {
        if !self.check_read() {
            return None;
        }
        let shared = &*self.shared;
        Some(shared.reader.with_mut(|state| {
            // SAFETY: only this `Reader` touches the reader state.
            let state = unsafe { &mut *state };
            let (index, next_chunk) = slot_of(state.read);
            if next_chunk {
                let finished = state.chunk;
                // SAFETY: `check_read` acquired a `published` count past the end
                // of `finished`, so the writer's link to the next chunk is visible.
                state.chunk = unsafe { (*finished).next.with(|next| *next) };
                // Release pairs with the writer's Acquire swap in `write`: our
                // reads of `finished` happen before it is reused.
                let displaced = shared.spare.swap(finished, Ordering::Release);
                if !displaced.is_null() {
                    // SAFETY: `displaced` came out of `spare`, so nobody else
                    // holds it; its items were all read before it went in.
                    // The Acquire that would order its reads is unnecessary:
                    // only this reader ever puts chunks into `spare`.
                    drop(unsafe { Box::from_raw(displaced) });
                }
            }
            state.read += 1;
            // SAFETY: the slot is published (read < limit) and holds an item
            // the writer will not touch again until the chunk is recycled;
            // `move_out` moves it out exactly once (its contract).
            unsafe { (*state.chunk).slots[index].with(|slot| move_out((*slot).as_ptr())) }
        }))
    }
}

impl<T> Drop for Shared<T> {
    fn drop(&mut self) {
        // Both halves are gone: we have exclusive access to everything.
        let (mut chunk, mut pos) = self.reader.with(|state| {
            // SAFETY: exclusive access in `drop`.
            let state = unsafe { &*state };
            (state.chunk, state.read)
        });
        let (last, written) = self.writer.with(|state| {
            // SAFETY: exclusive access in `drop`.
            let state = unsafe { &*state };
            (state.chunk, state.written)
        });
        // Drop the items never read, published or not.
        while pos < written {
            let (index, next_chunk) = slot_of(pos);
            if next_chunk {
                // SAFETY: the writer linked this chunk before writing past it.
                let next = unsafe { (*chunk).next.with(|next| *next) };
                // SAFETY: every item of `chunk` has been read or dropped.
                drop(unsafe { Box::from_raw(chunk) });
                chunk = next;
            }
            // SAFETY: positions in `read..written` hold initialised items.
            unsafe { (*chunk).slots[index].with_mut(|slot| (*slot).assume_init_drop()) };
            pos += 1;
        }
        // `chunk` now holds position `written - 1`, like the writer's own
        // chunk; free it (and, defensively, anything linked up to `last`).
        while !chunk.is_null() {
            // SAFETY: chunks are owned by the queue; each is freed once.
            let next = unsafe { (*chunk).next.with(|next| *next) };
            // SAFETY: as above.
            drop(unsafe { Box::from_raw(chunk) });
            if chunk == last {
                break;
            }
            chunk = next;
        }
        // Relaxed: exclusive access in `drop`, nothing left to synchronise.
        let spare = self.spare.load(Ordering::Relaxed);
        if !spare.is_null() {
            // SAFETY: the spare chunk is owned by the queue and holds no items.
            drop(unsafe { Box::from_raw(spare) });
        }
    }
}

#[cfg(all(test, not(zactor_loom)))]
mod tests {
    use super::*;

    #[test]
    fn items_become_visible_only_at_flush() {
        let (mut w, mut r) = queue::<u32>();
        w.write(1);
        w.write(2);
        assert_eq!(w.unflushed(), 2);
        assert!(!r.peek_ready());
        assert_eq!(r.read(), None, "unflushed items are invisible");
        // The failed read marked the reader asleep, so this flush must wake it.
        assert_eq!(w.flush(), Flush::ReaderAsleep);
        assert!(r.peek_ready());
        assert_eq!(r.read(), Some(1));
        assert_eq!(r.read(), Some(2));
        assert_eq!(r.read(), None);
        assert_eq!(w.flush(), Flush::Nothing);
    }

    #[test]
    fn rollback_discards_unflushed_items_across_chunks() {
        let item = std::sync::Arc::new(());
        let (mut w, mut r) = queue();
        w.write(item.clone());
        let _ = w.flush();
        for _ in 0..PIPE_CHUNK * 2 + 5 {
            w.write(item.clone());
        }
        w.rollback();
        assert_eq!(std::sync::Arc::strong_count(&item), 2);
        for _ in 0..PIPE_CHUNK + 1 {
            w.write(item.clone());
        }
        let _ = w.flush();
        let mut n = 0;
        while r.read().is_some() {
            n += 1;
        }
        assert_eq!(n, PIPE_CHUNK + 2);
        drop((w, r));
        assert_eq!(std::sync::Arc::strong_count(&item), 1);
    }

    #[test]
    fn moving_through_places_keeps_every_item_once_and_in_order() {
        // `write_from` leaves the default behind; `read_into` drops what its
        // place held. Counted with `Arc`s: no item lost, none dropped twice.
        let item = std::sync::Arc::new(0u64);
        let (mut w, mut r) = queue::<Option<std::sync::Arc<u64>>>();
        let total = PIPE_CHUNK * 3 + 2;
        for i in 0..total {
            let mut place = Some(std::sync::Arc::new(i as u64));
            w.write_from(&mut place);
            assert!(place.is_none(), "the item left its place");
        }
        let _ = w.flush();
        assert_eq!(std::sync::Arc::strong_count(&item), 1);
        let mut out = Some(item.clone());
        for i in 0..total {
            assert!(r.read_into(&mut out));
            assert_eq!(out.as_deref(), Some(&(i as u64)));
            if i == 0 {
                assert_eq!(
                    std::sync::Arc::strong_count(&item),
                    1,
                    "the old content was dropped"
                );
            }
        }
        let last = out.clone();
        assert!(!r.read_into(&mut out), "empty");
        assert_eq!(out, last, "an empty read leaves the place as it was");
        assert_eq!(std::sync::Arc::strong_count(out.as_ref().unwrap()), 2);
    }

    #[test]
    fn a_reader_is_caught_up_on_a_small_batch_only_after_a_look_found_few() {
        let (mut w, mut r) = queue::<u32>();
        assert!(!r.caught_up_on_small_batch(), "no look yet");
        w.write(1);
        let _ = w.flush();
        assert_eq!(r.read(), Some(1));
        assert!(r.caught_up_on_small_batch(), "one item per look");
        for i in 0..SMALL_BATCH as u32 {
            w.write(i);
        }
        let _ = w.flush();
        assert_eq!(r.read(), Some(0));
        assert!(!r.caught_up_on_small_batch(), "items left");
        while r.read().is_some() {}
        assert!(!r.caught_up_on_small_batch(), "that look found a batch");
        w.write(9);
        let _ = w.flush();
        assert!(r.peek_ready());
        assert_eq!(r.read(), Some(9));
        assert_eq!(r.read(), None);
        assert!(!r.caught_up_on_small_batch(), "the last look found nothing");
    }

    #[test]
    fn awake_reader_costs_no_wakeup() {
        let (mut w, mut r) = queue::<u32>();
        w.write(7);
        assert_eq!(w.flush(), Flush::Published);
        w.write(8);
        assert_eq!(w.flush(), Flush::Published);
        assert_eq!(r.read(), Some(7));
        assert_eq!(r.read(), Some(8));
    }

    #[test]
    fn crosses_many_chunks_and_recycles() {
        let (mut w, mut r) = queue::<Box<u64>>();
        let total = PIPE_CHUNK as u64 * 10 + 3;
        let mut next_read = 0;
        for i in 0..total {
            w.write(Box::new(i));
            if i % 7 == 0 {
                let _ = w.flush();
                while let Some(v) = r.read() {
                    assert_eq!(*v, next_read);
                    next_read += 1;
                }
            }
        }
        let _ = w.flush();
        while let Some(v) = r.read() {
            assert_eq!(*v, next_read);
            next_read += 1;
        }
        assert_eq!(next_read, total);
    }

    #[test]
    fn drop_frees_unread_items() {
        let item = std::sync::Arc::new(());
        let (mut w, r) = queue();
        for _ in 0..PIPE_CHUNK * 3 + 1 {
            w.write(item.clone());
        }
        let _ = w.flush();
        w.write(item.clone()); // unflushed
        drop(r);
        drop(w);
        assert_eq!(std::sync::Arc::strong_count(&item), 1);
    }

    #[test]
    fn two_threads_move_every_item_in_order() {
        let (mut w, mut r) = queue::<u64>();
        const N: u64 = 200_000;
        let producer = std::thread::spawn(move || {
            for i in 0..N {
                w.write(i);
                if i % 3 == 0 {
                    let _ = w.flush();
                }
            }
            let _ = w.flush();
        });
        let mut expect = 0;
        while expect < N {
            match r.read() {
                Some(v) => {
                    assert_eq!(v, expect);
                    expect += 1;
                }
                None => std::thread::yield_now(),
            }
        }
        producer.join().unwrap();
    }
}
