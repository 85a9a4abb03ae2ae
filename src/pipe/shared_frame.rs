//! One frame shared by the pipes a fan-out sends it to (see [`super::lane`]).
//!
//! The frame lives in a node with a count of the handles that still hold
//! it. A fan-out makes all its handles from one [`FanOut`] without touching
//! the count: the node starts with a large bias that the fan-out owns, and
//! when the fan-out ends, one subtraction turns the bias into the number of
//! handles made. Readers on another core then each subtract one; the one
//! that reaches zero takes the frame itself (or drops it) and frees the
//! node. So a fan-out to a hundred pipes costs the publisher two writes of
//! the count, and no cache line goes back and forth between it and the
//! readers while it writes.
//!
//! Nodes come from a [`NodePool`]: blocks of `NODES_PER_BLOCK` nodes, handed
//! out in order. Subscribers read the nodes in the order they were
//! published, so in one block they read neighbouring memory, which the
//! core's prefetcher fetches ahead (nodes from the heap one by one are
//! scattered, and each read of one missed the cache: 28 M deliveries/s on
//! two cores against 35 M from a block). A block counts its live nodes, plus
//! one while its pool still hands out from it, and is freed by whoever
//! takes that count to zero.
//!
//! ```text
//!  publisher                        node.holders           readers
//!  FanOut::new: node from block     BIAS
//!  handle() x3, written to 3 pipes  BIAS
//!  drop(FanOut): -(BIAS - 3)        3        (or fewer, if readers came first)
//!                                   2        reader A: clone, -1
//!                                   1        reader B: clone, -1
//!                                   0        reader C: sees 1, takes the frame;
//!                                            the node is free, owed to its
//!                                            block in C's `Frees`
//! ```
#![allow(unsafe_code)]

use std::mem::MaybeUninit;
use std::ptr::{self, NonNull};

use crate::msg::Message;
use crate::sync::{fence, AtomicUsize, Ordering, UnsafeCell};

/// The count a fan-out's node starts with: more handles than can exist.
const BIAS: usize = usize::MAX / 2;

/// Nodes per block: a block is one allocation per this many fan-outs.
#[cfg(not(zactor_loom))]
const NODES_PER_BLOCK: usize = 64;
/// Two under loom, so that the models free blocks.
#[cfg(zactor_loom)]
const NODES_PER_BLOCK: usize = 2;

struct Node {
    /// The frame. A cell from `crate::sync`, so that the loom models check
    /// that its drop (or move) comes after every holder's read.
    msg: UnsafeCell<Message>,
    /// Handles that still hold the node, plus `BIAS` while a [`FanOut`] is
    /// making them.
    holders: AtomicUsize,
    /// The block the node lives in.
    block: NonNull<Block>,
}

struct Block {
    nodes: [std::cell::UnsafeCell<MaybeUninit<Node>>; NODES_PER_BLOCK],
    /// Nodes handed out and not yet freed, plus the nodes not yet handed
    /// out, plus one, while the block is its pool's current one; the pool
    /// takes back the unused part when it moves on.
    live: AtomicUsize,
}

impl Block {
    fn allocate() -> NonNull<Block> {
        let block = Box::new(Block {
            nodes: std::array::from_fn(|_| std::cell::UnsafeCell::new(MaybeUninit::uninit())),
            live: AtomicUsize::new(NODES_PER_BLOCK + 1),
        });
        NonNull::from(Box::leak(block))
    }
}

/// Subtracts `count` from `block`'s live count, freeing it at zero.
///
/// # Safety
/// The caller owns `count` of the block's live count (freed nodes, or the
/// pool's share) and touches neither them nor the block afterwards.
unsafe fn release_block(block: NonNull<Block>, count: usize) {
    // The caller's last use of its nodes (a message dropped or moved out)
    // happens before whichever caller frees the block.
    // SAFETY: the caller's share of the count keeps the block alive.
    if !gives_back_the_last(&unsafe { block.as_ref() }.live, count) {
        return;
    }
    // SAFETY: the count reached zero: every node is freed and the pool has
    // moved on, so nothing refers to the block, which came from
    // `Box::leak` in `Block::allocate`. Its nodes are `MaybeUninit`: freeing
    // drops none of them.
    drop(unsafe { Box::from_raw(block.as_ptr()) });
}

/// A share of a block's `live` count, given back when dropped.
#[derive(Debug)]
struct BlockShare {
    block: NonNull<Block>,
    count: usize,
}

// SAFETY: a share may be given back from any thread (`release_block` is
// atomic); the block is only written through the nodes it hands out.
unsafe impl Send for BlockShare {}

impl BlockShare {
    /// # Safety
    /// The caller owns `count` of `block`'s live count and hands them over.
    unsafe fn new(block: NonNull<Block>, count: usize) -> BlockShare {
        BlockShare { block, count }
    }
}

impl Drop for BlockShare {
    fn drop(&mut self) {
        // SAFETY: the share owns `count` of the block's live count
        // (`BlockShare::new`'s contract), given back once, here.
        unsafe { release_block(self.block, self.count) };
    }
}

/// Where a publishing socket's nodes come from (see the module docs).
/// Owned by the socket's distributor; only its thread allocates.
#[derive(Debug, Default)]
pub(crate) struct NodePool {
    /// The block being handed out. Its share is one per node not yet
    /// handed out, plus the pool's own one; a new block's first, dropping
    /// the old share when it is replaced (or the pool dropped) gives back
    /// the unused nodes and the pool's one.
    current: Option<BlockShare>,
}

impl NodePool {
    /// A node holding `msg`, its count at `holders`.
    fn node(&mut self, msg: Message, holders: usize) -> NonNull<Node> {
        let share = match &mut self.current {
            Some(share) if share.count > 1 => share,
            _ => {
                // SAFETY: a new block's whole count is ours.
                let fresh = unsafe { BlockShare::new(Block::allocate(), NODES_PER_BLOCK + 1) };
                self.current.insert(fresh)
            }
        };
        let (block, used) = (share.block, NODES_PER_BLOCK + 1 - share.count);
        // The node takes one share with it, given back when it is freed.
        share.count -= 1;
        // SAFETY: `block` is alive (the pool's share of its count), and
        // node `used` has not been handed out, so nobody else touches it.
        let slot = unsafe { (*block.as_ptr()).nodes[used].get() };
        // SAFETY: as above; the slot is valid for writes.
        unsafe {
            (*slot).write(Node {
                msg: UnsafeCell::new(msg),
                holders: AtomicUsize::new(holders),
                block,
            });
            NonNull::new_unchecked((*slot).as_mut_ptr())
        }
    }
}

/// The nodes a reader has freed, owed to their block's count and given
/// back a block at a time: a reader that is the last holder of every frame
/// it reads (a pipe with one subscriber) would otherwise pay an atomic
/// subtraction per frame on a line the publisher also writes.
#[derive(Debug, Default)]
pub(crate) struct Frees {
    /// The block owed, and how many of its nodes.
    owed: Option<BlockShare>,
}

impl Frees {
    /// Owes `block` one more freed node; what was owed to another block
    /// is given back.
    ///
    /// # Safety
    /// The caller hands over the freed node's share of `block`'s count.
    #[inline]
    unsafe fn add(&mut self, block: NonNull<Block>) {
        match &mut self.owed {
            Some(owed) if owed.block == block => owed.count += 1,
            // SAFETY: the node's share is handed over (this function's
            // contract).
            _ => self.owed = Some(unsafe { BlockShare::new(block, 1) }),
        }
    }
}

/// A handle to a frame that several pipes deliver: one pointer in each
/// pipe's slot, the frame itself written once. Made by a [`FanOut`], or
/// alone by [`SharedFrame::new`]; may be given back (dropped, or turned
/// into a message) at any time.
pub(crate) struct SharedFrame {
    node: NonNull<Node>,
}

// SAFETY: a handle gives shared access to the node's message, which is
// `Send + Sync` (plain bytes or a `Bytes`), and the counts are atomic; the
// node (and its block) are freed by exactly one holder, the one that takes
// the count to zero (`release`).
unsafe impl Send for SharedFrame {}
// SAFETY: as above; `&SharedFrame` only reads the message.
unsafe impl Sync for SharedFrame {}

impl std::fmt::Debug for SharedFrame {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("SharedFrame").field(self.message()).finish()
    }
}

/// Makes the handles to one frame for a fan-out (see the module docs).
pub(crate) struct FanOut {
    node: NonNull<Node>,
    /// Handles made so far.
    made: usize,
}

impl FanOut {
    /// Shares `msg`, in a node from `pool`, among the handles this fan-out
    /// will make.
    pub(crate) fn new(pool: &mut NodePool, msg: Message) -> FanOut {
        FanOut {
            node: pool.node(msg, BIAS),
            made: 0,
        }
    }

    /// The frame.
    #[inline(always)]
    pub(crate) fn message(&self) -> &Message {
        // SAFETY: the fan-out holds the bias, so the node is alive, and
        // its message is only read until the count reaches zero.
        unsafe { self.node.as_ref().msg.with(|msg| &*msg) }
    }

    /// One more handle to the frame.
    #[inline(always)]
    pub(crate) fn handle(&mut self) -> SharedFrame {
        self.made += 1;
        SharedFrame { node: self.node }
    }
}

impl Drop for FanOut {
    /// Turns the bias into the count of handles made; frees the node if
    /// every handle has already been given back, or none was made.
    fn drop(&mut self) {
        // Handles given back early only lower the count below the bias:
        // it cannot reach zero before this subtraction.
        // SAFETY: the fan-out owns `BIAS - made` of the count (the rest is
        // the handles') and forgets the node here.
        unsafe { release(self.node, BIAS - self.made) };
    }
}

impl SharedFrame {
    /// A lone handle to `msg`, for a single pipe, in a node from `pool`.
    pub(crate) fn new(pool: &mut NodePool, msg: Message) -> SharedFrame {
        SharedFrame {
            node: pool.node(msg, 1),
        }
    }

    /// The frame.
    #[inline(always)]
    pub(crate) fn message(&self) -> &Message {
        // SAFETY: this handle is counted (or the fan-out that made it still
        // holds the bias), so the node is alive, and its message is only
        // read until the count reaches zero.
        unsafe { self.node.as_ref().msg.with(|msg| &*msg) }
    }

    /// This pipe's copy of the frame: the frame itself if no other handle
    /// holds it any more, else a clone (which shares a heap body). A node
    /// this frees is owed to its block in `frees`.
    #[inline]
    pub(crate) fn into_message(self, frees: &mut Frees) -> Message {
        let mut out = Message::new();
        self.move_into(&mut out, frees);
        out
    }

    /// Replaces `*out` with this pipe's copy of the frame, written straight
    /// into `out` (an inline frame as its five words: a copy made here and
    /// then moved would be read back through stores of other widths, see
    /// `msg::image`).
    #[inline(always)]
    pub(crate) fn move_into(self, out: &mut Message, frees: &mut Frees) {
        if out.is_inline() {
            // A receive's fresh `Message::new()`, nearly always: it owns
            // nothing, so it is overwritten without being set aside.
            // SAFETY: `out` is valid, is not the node's message, and holds
            // an inline message, which needs no drop.
            unsafe { self.write_over(out, frees) };
        } else {
            // Dropped once `out` holds the new message (a panicking drop
            // then leaves `out` whole).
            let old = std::mem::take(out);
            // SAFETY: as above; `out` now holds an empty inline message.
            unsafe { self.write_over(out, frees) };
            drop(old);
        }
    }

    /// Writes this pipe's copy of the frame over `*out` without dropping
    /// what `out` held, and gives the handle back.
    ///
    /// # Safety
    /// `out` is valid for writes, is not the node's message, and holds
    /// nothing that needs a drop.
    #[inline(always)]
    unsafe fn write_over(self, out: *mut Message, frees: &mut Frees) {
        let node = self.node;
        std::mem::forget(self);
        // SAFETY: this handle (now forgotten, so given back only below)
        // keeps the node alive.
        let shared = unsafe { node.as_ref() };
        // Acquire, paired with the other holders' Release in `release`: a
        // count of one means every other holder (and a fan-out's bias) is
        // gone, and their reads of the message happened before.
        if shared.holders.load(Ordering::Acquire) == 1 {
            // SAFETY: we are the last holder: nobody else reaches the node.
            // Its message moves to `out` by the copy (and is not dropped in
            // the node); the node is then free, its share of the block's
            // count handed to `frees`.
            shared
                .msg
                .with_mut(|msg| unsafe { ptr::copy_nonoverlapping(msg, out, 1) });
            // SAFETY: the node is free (above), and its share of the
            // block's count goes to `frees`.
            unsafe { frees.add(shared.block) };
        } else {
            // SAFETY: `out` needs no drop (the caller's contract), so it may
            // be written as a place holding none; `MaybeUninit<Message>`
            // has `Message`'s layout.
            shared.msg.with(|msg| unsafe {
                (*msg).clone_into_uninit(&mut *out.cast::<MaybeUninit<Message>>());
            });
            // SAFETY: this handle is counted once and given back once, here,
            // after its last use of the node (the clone above).
            unsafe { release(node, 1) };
        }
    }
}

impl Drop for SharedFrame {
    fn drop(&mut self) {
        // SAFETY: this handle is counted once and given back once, here.
        unsafe { release(self.node, 1) };
    }
}

/// Subtracts `count` from a reference count; true when that took it to
/// zero, and then every other holder's uses happened before this returns.
#[inline]
fn gives_back_the_last(counter: &AtomicUsize, count: usize) -> bool {
    // Release: this holder's uses of what the count guards happen before
    // the count falls, so before whichever holder takes it to zero.
    if counter.fetch_sub(count, Ordering::Release) != count {
        return false;
    }
    // Acquire, paired with every other holder's Release above: their uses
    // happen before the last holder frees what the count guards.
    fence(Ordering::Acquire);
    true
}

/// Subtracts `count` holders from `node`; at zero drops its message and
/// frees it.
///
/// # Safety
/// The caller holds `count` of the node's holders and uses none of them
/// (nor the node) afterwards.
#[inline]
unsafe fn release(node: NonNull<Node>, count: usize) {
    // This holder's reads of the message happen before the count falls,
    // so before whichever holder drops it.
    // SAFETY: the caller's holders keep the node alive until this point.
    if !gives_back_the_last(&unsafe { node.as_ref() }.holders, count) {
        return;
    }
    // SAFETY: the count reached zero: no holder is left, so the message
    // is ours to drop, once, and then the node to free.
    unsafe {
        node.as_ref().msg.with_mut(|msg| ptr::drop_in_place(msg));
        free_node(node);
    }
}

/// Frees a node whose message has been dropped or moved out.
///
/// # Safety
/// Nobody holds the node, and its message is gone.
#[inline]
unsafe fn free_node(node: NonNull<Node>) {
    // SAFETY: the node is alive until here (the caller's contract); its
    // block outlives it (the node's share of the block's count).
    let block = unsafe { node.as_ref() }.block;
    // SAFETY: the node's share of the count is given back once, here; the
    // node is not touched again (its slot is `MaybeUninit`: nothing more to
    // drop).
    unsafe { release_block(block, 1) };
}

#[cfg(all(test, not(zactor_loom)))]
mod tests {
    use super::*;
    use std::sync::Arc;

    /// A body that counts its owners, to see every frame dropped once.
    struct Counted {
        /// Held for its count: dropped with the body.
        _tracker: Arc<()>,
        body: Vec<u8>,
    }
    impl AsRef<[u8]> for Counted {
        fn as_ref(&self) -> &[u8] {
            &self.body
        }
    }

    fn counted(tracker: &Arc<()>, body: &[u8]) -> Message {
        Message::from_owner(Counted {
            _tracker: tracker.clone(),
            body: body.to_vec(),
        })
    }

    #[test]
    fn every_handle_reads_the_frame_and_the_last_frees_it() {
        let tracker = Arc::new(());
        let mut pool = NodePool::default();
        let mut frees = Frees::default();
        let mut fan = FanOut::new(&mut pool, counted(&tracker, b"news"));
        let handles: Vec<_> = (0..3).map(|_| fan.handle()).collect();
        drop(fan);
        let mut copies = Vec::new();
        for handle in handles {
            copies.push(handle.into_message(&mut frees));
        }
        assert!(copies.iter().all(|m| &m[..] == b"news"));
        // The last copy is the frame itself: the body is shared, not copied.
        assert_eq!(copies[0].as_ptr(), copies[2].as_ptr());
        drop(copies);
        drop(pool);
        assert_eq!(Arc::strong_count(&tracker), 1, "the body was dropped once");
    }

    #[test]
    fn handles_given_back_before_the_fan_out_ends_do_not_free_it() {
        let tracker = Arc::new(());
        let mut pool = NodePool::default();
        let mut frees = Frees::default();
        let mut fan = FanOut::new(&mut pool, counted(&tracker, b"early"));
        drop(fan.handle());
        drop(fan.handle());
        assert_eq!(&fan.message()[..], b"early", "still alive");
        let late = fan.handle();
        drop(fan);
        assert_eq!(&late.into_message(&mut frees)[..], b"early");
        drop(pool);
        assert_eq!(Arc::strong_count(&tracker), 1);
    }

    #[test]
    fn a_fan_out_without_handles_drops_its_frame() {
        let tracker = Arc::new(());
        let mut pool = NodePool::default();
        drop(FanOut::new(&mut pool, counted(&tracker, b"nobody")));
        assert_eq!(Arc::strong_count(&tracker), 1);
    }

    #[test]
    fn move_into_replaces_and_drops_the_old_message() {
        let old = Arc::new(());
        let new = Arc::new(());
        let mut pool = NodePool::default();
        let mut frees = Frees::default();
        let mut out = counted(&old, b"old");
        let mut fan = FanOut::new(&mut pool, counted(&new, b"new"));
        let (a, b) = (fan.handle(), fan.handle());
        drop(fan);
        a.move_into(&mut out, &mut frees);
        assert_eq!(&out[..], b"new");
        assert_eq!(Arc::strong_count(&old), 1, "the old message was dropped");
        b.move_into(&mut out, &mut frees);
        assert_eq!(&out[..], b"new");
        drop(out);
        assert_eq!(Arc::strong_count(&new), 1);
    }

    #[test]
    fn blocks_outlive_their_pool_until_their_last_node_is_read() {
        let tracker = Arc::new(());
        let mut pool = NodePool::default();
        let mut frees = Frees::default();
        // Three blocks' worth, inline and heap frames, every other one
        // still held when the pool goes.
        let mut kept = Vec::new();
        for i in 0..3 * NODES_PER_BLOCK {
            let msg = if i % 3 == 0 {
                counted(&tracker, &i.to_le_bytes())
            } else {
                Message::from(&i.to_le_bytes()[..])
            };
            let mut fan = FanOut::new(&mut pool, msg);
            let (a, b) = (fan.handle(), fan.handle());
            drop(fan);
            assert_eq!(a.into_message(&mut frees)[..], i.to_le_bytes());
            if i % 2 == 0 {
                kept.push((i, b));
            }
            let lone = SharedFrame::new(&mut pool, Message::from("lone"));
            assert_eq!(&lone.into_message(&mut frees)[..], b"lone");
        }
        drop(pool);
        for (i, handle) in kept {
            assert_eq!(handle.into_message(&mut frees)[..], i.to_le_bytes());
        }
        assert_eq!(Arc::strong_count(&tracker), 1);
    }

    #[test]
    fn handles_read_on_other_threads_free_everything_once() {
        let tracker = Arc::new(());
        let mut pool = NodePool::default();
        let (senders, receivers): (Vec<_>, Vec<_>) =
            (0..4).map(|_| crossbeam_channel::unbounded()).unzip();
        let readers: Vec<_> = receivers
            .into_iter()
            .map(|rx: crossbeam_channel::Receiver<SharedFrame>| {
                std::thread::spawn(move || {
                    let mut frees = Frees::default();
                    let mut sum = 0u64;
                    for frame in rx {
                        sum += u64::from(frame.into_message(&mut frees)[0]);
                    }
                    sum
                })
            })
            .collect();
        for i in 0..10_000u32 {
            let mut fan = FanOut::new(&mut pool, counted(&tracker, &[(i % 251) as u8]));
            for tx in &senders {
                tx.send(fan.handle()).unwrap();
            }
        }
        drop(senders);
        drop(pool);
        let expected: u64 = (0..10_000u64).map(|i| i % 251).sum();
        for reader in readers {
            assert_eq!(reader.join().unwrap(), expected);
        }
        assert_eq!(Arc::strong_count(&tracker), 1);
    }
}
