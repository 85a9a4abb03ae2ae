//! Flow control by credit: how a writer at its high-water mark learns that
//! the reader has made room, without a lock and without a lost wake-up.
//!
//! One shared word per direction holds the number of whole messages the reader
//! has consumed, as last reported, plus a `WAITING` bit the writer sets when it
//! runs out of credit:
//!
//! ```text
//!  writer (written = 2000, hwm = 2000)        word          reader
//!  refresh: load 0: no room                    0
//!  CAS 0 -> 0|WAITING ok: stop, wait           0|W
//!                                                          read 1000 messages
//!                                              1000        report: swap -> old had W:
//!  <-------------------- ActivateWrite command ----------  wake the writer
//!  refresh: load 1000: room for 1000
//! ```
//!
//! The reader reports in batches (a low-water mark), so the word's cache line
//! moves once per batch, not once per message. Setting `WAITING` and reporting
//! are both read-modify-writes of the word, so either the writer sees the new
//! count or the reader sees the bit.

use crate::config::MAX_CREDIT_BATCH;
use crate::sync::{AtomicU64, Ordering};

const WAITING: u64 = 1 << 63;

/// What a writer at its limit found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refresh {
    /// The reader has reported this many messages read; there may be room.
    Read(u64),
    /// Still no room; the writer is now registered as waiting and will get an
    /// `ActivateWrite` when the reader next reports.
    Waiting,
}

/// The shared credit word of one direction of a pipe.
#[derive(Debug)]
pub(crate) struct Credit(AtomicU64);

impl Credit {
    pub(crate) fn new() -> Self {
        Self(AtomicU64::new(0))
    }

    /// Writer side: re-reads the reported count; if `written` is still at
    /// `hwm` messages ahead of it, registers as waiting.
    pub(crate) fn refresh(&self, written: u64, hwm: u64) -> Refresh {
        // Acquire pairs with the reader's Release in `report`; nothing is
        // published with the count, but it keeps the handshake one chain.
        let mut seen = self.0.load(Ordering::Acquire);
        loop {
            let read = seen & !WAITING;
            if written - read < hwm {
                return Refresh::Read(read);
            }
            if seen & WAITING != 0 {
                return Refresh::Waiting;
            }
            // Release: publishes the writer's registration (its mailbox and
            // id, set at attach) to the reader's Acquire in `report`. Failure
            // Acquire, as for the load above.
            match self.0.compare_exchange(
                seen,
                seen | WAITING,
                Ordering::Release,
                Ordering::Acquire,
            ) {
                Ok(_) => return Refresh::Waiting,
                Err(now) => seen = now,
            }
        }
    }

    /// Reader side: reports `read` messages consumed. Returns true when the
    /// writer was waiting and must be woken.
    pub(crate) fn report(&self, read: u64) -> bool {
        // AcqRel: Acquire pairs with the writer's Release that set WAITING;
        // Release pairs with the writer's Acquire in `refresh`.
        self.0.swap(read, Ordering::AcqRel) & WAITING != 0
    }
}

/// How many messages the reader consumes between two reports, for a pipe of
/// capacity `hwm` (libzmq's `compute_lwm`): half the capacity for small
/// pipes, at most `MAX_CREDIT_BATCH` short of it for large ones.
#[inline]
pub(crate) fn report_batch(hwm: u64) -> u64 {
    if hwm > 2 * MAX_CREDIT_BATCH {
        hwm - MAX_CREDIT_BATCH
    } else {
        hwm.div_ceil(2).max(1)
    }
}

/// Messages read between two credit reports for a capacity of `hwm`, as
/// a pipe keeps it beside the HWM: [`report_batch`], or `u64::MAX` with no
/// limit (0), where the writer never waits and no report is due.
pub(crate) fn credit_batch(hwm: u64) -> u64 {
    if hwm == 0 {
        u64::MAX
    } else {
        report_batch(hwm)
    }
}

#[cfg(all(test, not(zactor_loom)))]
mod tests {
    use super::*;

    #[test]
    fn writer_waits_until_reader_reports() {
        let credit = Credit::new();
        assert_eq!(credit.refresh(3, 4), Refresh::Read(0));
        assert_eq!(credit.refresh(4, 4), Refresh::Waiting);
        assert_eq!(
            credit.refresh(4, 4),
            Refresh::Waiting,
            "waiting twice is harmless"
        );
        assert!(credit.report(2), "the waiting writer must be woken");
        assert_eq!(credit.refresh(4, 4), Refresh::Read(2));
        assert!(!credit.report(3), "nobody waits now");
    }

    #[test]
    fn batches_follow_libzmq() {
        assert_eq!(report_batch(2000), 1000);
        assert_eq!(report_batch(1), 1);
        assert_eq!(report_batch(3), 2);
        assert_eq!(report_batch(10_000), 10_000 - MAX_CREDIT_BATCH);
    }
}
