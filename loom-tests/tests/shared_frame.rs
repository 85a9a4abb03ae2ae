//! A frame shared by a fan-out: the holder count, its bias, and the block
//! count, with the handles read and given back on other threads while the
//! publisher finishes the fan-out and moves on to the next block. Every
//! frame must reach every reader whole and be dropped exactly once, and
//! every node and block freed (blocks hold two nodes under loom).
#![cfg(zactor_loom)]

use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::sync::Arc;
use loom::thread;
use zactor::__loom::{FanOut, Frees, NodePool, SharedFrame};
use zactor::Message;

/// A heap body that counts its drops.
struct Counted {
    drops: Arc<AtomicUsize>,
    body: [u8; 1],
}

impl AsRef<[u8]> for Counted {
    fn as_ref(&self) -> &[u8] {
        &self.body
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.drops.fetch_add(1, Ordering::Relaxed);
    }
}

fn counted(drops: &Arc<AtomicUsize>, byte: u8) -> Message {
    Message::from_owner(Counted {
        drops: drops.clone(),
        body: [byte],
    })
}

/// Two readers on their own threads each take a handle to frame 1 (a heap
/// body) and frame 2 (inline); the publisher ends each fan-out while they
/// read, and then fills its block so that the pool moves on.
#[test]
fn every_reader_gets_the_frame_and_it_is_dropped_once() {
    loom::model(|| {
        let drops = Arc::new(AtomicUsize::new(0));
        let mut pool = NodePool::default();
        let mut first = FanOut::new(&mut pool, counted(&drops, 1));
        let mut second = FanOut::new(&mut pool, Message::from(&[2u8][..]));
        let readers: Vec<_> = (0..2)
            .map(|_| {
                let handles = (first.handle(), second.handle());
                thread::spawn(move || {
                    let mut frees = Frees::default();
                    let (a, b) = handles;
                    assert_eq!(&a.into_message(&mut frees)[..], &[1]);
                    assert_eq!(&b.into_message(&mut frees)[..], &[2]);
                })
            })
            .collect();
        drop(first);
        drop(second);
        // The block is full: this node comes from a new one, and the old
        // block is freed by whoever gives back its last share.
        let lone = SharedFrame::new(&mut pool, counted(&drops, 3));
        drop(pool);
        for reader in readers {
            reader.join().unwrap();
        }
        assert_eq!(
            drops.load(Ordering::Relaxed),
            1,
            "frame 1, once, by its readers"
        );
        drop(lone);
        assert_eq!(drops.load(Ordering::Relaxed), 2, "and frame 3");
    });
}

/// A handle given back (dropped unread, as a pipe torn down does) before
/// the fan-out ends, racing a reader that takes the frame.
#[test]
fn a_handle_dropped_early_never_frees_the_frame_under_a_reader() {
    loom::model(|| {
        let drops = Arc::new(AtomicUsize::new(0));
        let mut pool = NodePool::default();
        let mut fan = FanOut::new(&mut pool, counted(&drops, 7));
        let dropped = fan.handle();
        let read = fan.handle();
        let dropper = thread::spawn(move || drop(dropped));
        let reader = thread::spawn(move || {
            let mut frees = Frees::default();
            let msg = read.into_message(&mut frees);
            assert_eq!(&msg[..], &[7]);
        });
        drop(fan);
        drop(pool);
        dropper.join().unwrap();
        reader.join().unwrap();
        assert_eq!(drops.load(Ordering::Relaxed), 1);
    });
}
