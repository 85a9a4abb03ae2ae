//! The queue's flush/asleep handshake and rollback, with two threads.
//! Chunks hold two items under loom, so every model crosses a chunk boundary.
#![cfg(zactor_loom)]

use loom::sync::Arc;
use loom::thread;
use zactor::__loom::{queue, Flush, Reader, Writer};
use zactor_loom_tests::{check, Wake};

/// An item: its sequence number, and whether more items of its group
/// (a multipart message) follow.
type Item = (u32, bool);

/// Writes `groups` (each flushed as a whole) and wakes the reader exactly
/// when a flush reports it asleep. Returns how many wake-ups it sent.
fn write_groups(mut writer: Writer<Item>, groups: &[u32], wake: &Wake) -> usize {
    let mut next = 0;
    let mut wakeups = 0;
    for &len in groups {
        for i in 0..len {
            writer.write((next, i + 1 < len));
            next += 1;
        }
        match writer.flush() {
            Flush::ReaderAsleep => {
                wake.notify();
                wakeups += 1;
            }
            Flush::Published => {}
            Flush::Nothing => panic!("a flush after writes published nothing"),
        }
    }
    wakeups
}

/// How the reader behaves around an empty queue.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Style {
    /// Sleeps as soon as `read` finds nothing, wakes only when notified:
    /// every sleep must be matched by exactly one wake-up.
    Sleepy,
    /// Like a socket woken for some other reason (another pipe, a command),
    /// looks again before sleeping, and asks `peek_ready` first (which never
    /// marks the reader asleep). It may see items the writer published while
    /// flagging it asleep, without the wake-up's ordering to lean on.
    Polling,
}

/// Reads `total` items, sleeping on `wake` whenever the queue is empty.
/// Checks order and multipart atomicity. Returns how many times it slept.
fn read_all(mut reader: Reader<Item>, total: u32, wake: &Wake, style: Style) -> usize {
    let mut expected = 0;
    let mut sleeps = 0;
    while expected < total {
        let item = match style {
            Style::Polling if reader.peek_ready() => {
                Some(reader.read().expect("peek_ready promised an item"))
            }
            Style::Polling => reader.read().or_else(|| {
                thread::yield_now();
                reader.read()
            }),
            Style::Sleepy => reader.read(),
        };
        match item {
            Some((seq, more)) => {
                assert_eq!(seq, expected, "items arrive once each, in order");
                expected += 1;
                if more {
                    // The rest of a multipart group was flushed with this
                    // frame: it must be readable now, without waiting.
                    assert!(reader.check_read(), "group {seq} published in part");
                }
            }
            None => {
                // `read` found the queue empty and marked us asleep: the next
                // flush must report it, or we sleep forever (loom: deadlock).
                wake.wait();
                sleeps += 1;
            }
        }
    }
    assert!(reader.read().is_none(), "nothing beyond what was written");
    sleeps
}

fn handshake(groups: &'static [u32], style: Style) {
    check(move || {
        let total = groups.iter().sum();
        let (writer, reader) = queue::<Item>();
        let wake = Arc::new(Wake::new());
        let writer_wake = wake.clone();
        let producer = thread::spawn(move || write_groups(writer, groups, &writer_wake));
        let sleeps = read_all(reader, total, &wake, style);
        let wakeups = producer.join().unwrap();
        if style == Style::Sleepy {
            // Every sleep was ended by exactly one wake-up, and no wake-up
            // was sent to a reader that had not gone to sleep.
            assert_eq!(sleeps, wakeups);
        } else {
            // A reader that looked again may leave a wake-up unused.
            assert!(sleeps <= wakeups);
        }
    });
}

/// Five single-item flushes: two chunk boundaries, and the third chunk is
/// the first one, recycled through `spare` once the reader has left it.
#[test]
fn flush_each_item_wakes_a_sleeping_reader() {
    handshake(&[1, 1, 1, 1, 1], Style::Sleepy);
}

/// Two-frame groups straddling both chunk boundaries: the reader sees each
/// group whole or not at all.
#[test]
fn multipart_groups_across_chunks_are_atomic() {
    handshake(&[1, 2, 2], Style::Sleepy);
}

/// A reader that polls before it sleeps neither misses an item nor reads
/// one before it is published.
#[test]
fn polling_reader_sees_only_published_items() {
    handshake(&[2, 1, 2], Style::Polling);
}

/// Items of a rollback model: a number, and a loom `Arc` so that an item
/// rollback forgets to drop is reported as a leak.
type Tracked = (u32, Arc<()>);

/// The writer flushes item 0 (and item 1 when `full_chunk`, so the flushed
/// position ends a chunk), writes three more items spilling into new chunks,
/// rolls them back, then writes and flushes item 9. The reader must see the
/// flushed items and 9, never a rolled-back one.
fn rollback(full_chunk: bool) {
    check(move || {
        let (mut writer, mut reader) = queue::<Tracked>();
        let wake = Arc::new(Wake::new());
        let writer_wake = wake.clone();
        let flushed: &[u32] = if full_chunk { &[0, 1] } else { &[0] };
        let producer = thread::spawn(move || {
            let mut wakeups = 0;
            let mut flush = |writer: &mut Writer<Tracked>| {
                if writer.flush() == Flush::ReaderAsleep {
                    writer_wake.notify();
                    wakeups += 1;
                }
            };
            for &seq in flushed {
                writer.write((seq, Arc::new(())));
            }
            flush(&mut writer);
            for seq in 5..8 {
                writer.write((seq, Arc::new(())));
            }
            writer.rollback();
            assert_eq!(
                writer.flush(),
                Flush::Nothing,
                "rollback left nothing to flush"
            );
            writer.write((9, Arc::new(())));
            flush(&mut writer);
            wakeups
        });
        let mut expected = flushed.iter().copied().chain([9]);
        let mut sleeps = 0;
        let mut received = 0;
        while received < flushed.len() + 1 {
            match reader.read() {
                Some((seq, _)) => {
                    assert_eq!(Some(seq), expected.next(), "a rolled-back item leaked out");
                    received += 1;
                }
                None => {
                    wake.wait();
                    sleeps += 1;
                }
            }
        }
        assert_eq!(sleeps, producer.join().unwrap());
        assert!(reader.read().is_none());
    });
}

/// Rollback of items in the chunk after a partly flushed one, and beyond.
#[test]
fn rollback_hides_unflushed_items() {
    rollback(false);
}

/// Rollback when the last flushed item ends a chunk: the link the reader
/// will follow is rewritten while it reads the chunk before.
#[test]
fn rollback_at_a_chunk_boundary() {
    rollback(true);
}
