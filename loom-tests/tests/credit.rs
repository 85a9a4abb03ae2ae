//! High-water-mark flow control: a writer out of credit registers as waiting
//! and is woken by the reader's next report, never left blocked.
#![cfg(zactor_loom)]

use loom::sync::Arc;
use loom::thread;
use zactor::__loom::{queue, report_batch, Credit, Flush, Refresh};
use zactor_loom_tests::{check, Wake};

/// Wake-ups in both directions of one pipe direction.
#[derive(Default)]
struct Wakes {
    /// Reader asleep on an empty queue; the writer's flush wakes it.
    readable: Wake,
    /// Writer out of credit; the reader's report wakes it.
    writable: Wake,
}

/// `total` messages through a pipe of capacity `hwm`, as `PipeEnd` does it:
/// the writer checks its cached credit, refreshes and waits when out; the
/// reader reports every `report_batch(hwm)` messages and wakes the writer
/// when the report says it was waiting.
fn credit_handoff(hwm: u64, total: u64) {
    check(move || {
        let (mut writer, mut reader) = queue::<u64>();
        let credit = Arc::new(Credit::new());
        let wakes = Arc::new(Wakes::default());

        let producer = {
            let (credit, wakes) = (credit.clone(), wakes.clone());
            thread::spawn(move || {
                let mut peer_read = 0;
                let mut waits = 0;
                for written in 0..total {
                    while written - peer_read >= hwm {
                        match credit.refresh(written, hwm) {
                            Refresh::Read(read) => {
                                assert!(read >= peer_read, "reported count went back");
                                peer_read = read;
                            }
                            Refresh::Waiting => {
                                // A lost report leaves us here forever: deadlock.
                                wakes.writable.wait();
                                waits += 1;
                            }
                        }
                    }
                    // Never more than `hwm` unread: `peer_read` only counts
                    // messages the reader has really taken.
                    assert!(written - peer_read < hwm);
                    writer.write(written);
                    if writer.flush() == Flush::ReaderAsleep {
                        wakes.readable.notify();
                    }
                }
                waits
            })
        };

        let batch = report_batch(hwm);
        let (mut read, mut reported, mut writer_wakeups) = (0, 0, 0);
        while read < total {
            match reader.read() {
                Some(seq) => {
                    assert_eq!(seq, read);
                    read += 1;
                    if read - reported >= batch {
                        reported = read;
                        if credit.report(read) {
                            wakes.writable.notify();
                            writer_wakeups += 1;
                        }
                    }
                }
                None => wakes.readable.wait(),
            }
        }
        let writer_waits = producer.join().unwrap();
        // Each wait was ended by exactly one report that saw it waiting, and
        // no report woke a writer that was not waiting.
        assert_eq!(writer_waits, writer_wakeups);
    });
}

/// Capacity 2 (reports after every message), four messages.
#[test]
fn writer_at_hwm_is_always_released() {
    credit_handoff(2, 4);
}

/// Capacity 3 (reports every second message), four messages: the writer can
/// be waiting while the reader holds an unreported message.
#[test]
fn batched_reports_still_release_the_writer() {
    credit_handoff(3, 4);
}
