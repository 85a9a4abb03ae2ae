//! The reactor's timers: one-shot and repeating, in a binary heap keyed by
//! due time (CZMQ's `zloop` scans an unsorted list every pass).
//!
//! # Schedule
//!
//! A timer first falls due `delay` after it is added. A repeating timer
//! falls due again at `previous due + delay`, not `fired at + delay`, so a
//! handler that runs late does not shift every later tick (no drift). But a
//! loop that fell behind by a period or more does not fire the missed ticks
//! back to back, as `zloop` does: the next due time is the first one on the
//! timer's grid (`first due + k × delay`) after the handler returned. A
//! late tick fires once, as soon as the loop gets to it.
//!
//! # Cancelling
//!
//! Timers live in slots of a slab; a [`TimerId`] names a slot and the
//! generation of the timer in it, so the id of a finished or cancelled
//! timer never reaches a newer one in the same slot. Cancelling frees the
//! slot at once (O(1)) and leaves its heap entry behind, stale: entries
//! carry the generation and stale ones are skipped when they reach the top.
//! When stale entries outnumber live timers the heap is compacted, so a
//! program that keeps adding and cancelling timers does not grow it.
//!
//! # Firing
//!
//! The loop fires timers one at a time ([`Timers::pop_due`]): the handler
//! is taken out of its slot while it runs, so it may add or cancel timers
//! (itself included), and [`Timers::finish`] puts it back and reschedules.
//! A timer is fired at most once per pass: entries pushed during the pass
//! (a new timer, a rescheduled one) wait for the next pass even if they
//! are due already, so a zero-delay repeating timer cannot hold the loop.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::{Duration, Instant};

/// Names a timer of a [`crate::Loop`], to cancel it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TimerId {
    slot: usize,
    generation: u64,
}

/// Stale heap entries tolerated beyond the live timers before compacting.
const STALE_SLACK: usize = 64;

/// The timers of one loop, each with a handler of type `H`.
pub(crate) struct Timers<H> {
    slots: Vec<Slot<H>>,
    /// Free slots, reused last-freed first.
    free: Vec<usize>,
    heap: BinaryHeap<Reverse<Entry>>,
    /// The sequence number of the next heap entry.
    next_seq: u64,
    /// Timers added and not yet finished or cancelled.
    live: usize,
}

struct Slot<H> {
    /// Bumped every time the slot is freed.
    generation: u64,
    timer: Option<Timer<H>>,
}

struct Timer<H> {
    delay: Duration,
    /// Firings left; `None`: forever.
    left: Option<usize>,
    /// When it falls due (the key of its heap entry).
    due: Instant,
    /// `None` while the handler runs.
    handler: Option<H>,
}

/// A heap entry: ordered by due time, then by when it was pushed.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Entry {
    due: Instant,
    seq: u64,
    slot: usize,
    generation: u64,
}

/// Where a pass stops firing: entries pushed from then on wait for the
/// next pass (see [`Timers::begin_pass`]).
#[derive(Clone, Copy, Debug)]
pub(crate) struct PassMark(u64);

impl<H> Timers<H> {
    pub(crate) fn new() -> Self {
        Timers {
            slots: Vec::new(),
            free: Vec::new(),
            heap: BinaryHeap::new(),
            next_seq: 0,
            live: 0,
        }
    }

    /// The number of live timers.
    pub(crate) fn len(&self) -> usize {
        self.live
    }

    /// Adds a timer due `delay` after `now`, to fire `times` times (0:
    /// forever).
    pub(crate) fn add(
        &mut self,
        now: Instant,
        delay: Duration,
        times: usize,
        handler: H,
    ) -> TimerId {
        let due = later(now, delay);
        let timer = Timer {
            delay,
            left: (times > 0).then_some(times),
            due,
            handler: Some(handler),
        };
        let slot = match self.free.pop() {
            Some(slot) => slot,
            None => {
                self.slots.push(Slot {
                    generation: 0,
                    timer: None,
                });
                self.slots.len() - 1
            }
        };
        self.slots[slot].timer = Some(timer);
        self.live += 1;
        let id = TimerId {
            slot,
            generation: self.slots[slot].generation,
        };
        self.push(id, due);
        id
    }

    /// Cancels a timer; false if it had finished or was cancelled already.
    /// Safe while the timer's own handler runs: it is then dropped when
    /// the handler returns.
    pub(crate) fn cancel(&mut self, id: TimerId) -> bool {
        if !self.is_live(id) {
            return false;
        }
        self.release(id.slot);
        self.compact_if_stale();
        true
    }

    /// When the earliest live timer falls due.
    pub(crate) fn next_due(&mut self) -> Option<Instant> {
        self.drop_stale_top();
        self.heap.peek().map(|Reverse(entry)| entry.due)
    }

    /// Marks the start of a pass; [`pop_due`](Self::pop_due) with the mark
    /// ignores the entries pushed after it.
    pub(crate) fn begin_pass(&self) -> PassMark {
        PassMark(self.next_seq)
    }

    /// Takes the next timer due at `now` (pushed before `mark`) out of the
    /// heap, with its handler; the caller runs it and calls
    /// [`finish`](Self::finish).
    pub(crate) fn pop_due(&mut self, now: Instant, mark: PassMark) -> Option<(TimerId, H)> {
        loop {
            self.drop_stale_top();
            // Entries pushed during the pass are due no earlier than the
            // pass began (`now` or later), so the first of them at the top
            // means no older entry is due either.
            let Reverse(entry) = *self.heap.peek()?;
            if entry.due > now || entry.seq >= mark.0 {
                return None;
            }
            self.heap.pop();
            let id = TimerId {
                slot: entry.slot,
                generation: entry.generation,
            };
            // A live timer has one entry, and its handler is out only
            // while that entry is popped: always found, but a miss is
            // skipped rather than trusted.
            let timer = self
                .slots
                .get_mut(entry.slot)
                .and_then(|s| s.timer.as_mut());
            if let Some(handler) = timer.and_then(|timer| timer.handler.take()) {
                return Some((id, handler));
            }
        }
    }

    /// Returns a fired timer's handler, `after` its run: the timer is
    /// rescheduled if it has firings left, freed if not, and the handler
    /// dropped if the timer was cancelled meanwhile.
    pub(crate) fn finish(&mut self, id: TimerId, handler: H, after: Instant) {
        if !self.is_live(id) {
            return; // cancelled by a handler: drop it
        }
        let Some(timer) = self.slots[id.slot].timer.as_mut() else {
            return;
        };
        if let Some(left) = timer.left.as_mut() {
            *left -= 1;
            if *left == 0 {
                self.release(id.slot);
                return;
            }
        }
        timer.due = next_due(timer.due, timer.delay, after);
        timer.handler = Some(handler);
        let due = timer.due;
        self.push(id, due);
    }

    fn is_live(&self, id: TimerId) -> bool {
        self.slots
            .get(id.slot)
            .is_some_and(|slot| slot.generation == id.generation && slot.timer.is_some())
    }

    fn push(&mut self, id: TimerId, due: Instant) {
        self.heap.push(Reverse(Entry {
            due,
            seq: self.next_seq,
            slot: id.slot,
            generation: id.generation,
        }));
        self.next_seq += 1;
    }

    fn release(&mut self, slot: usize) {
        let entry = &mut self.slots[slot];
        entry.timer = None;
        entry.generation += 1;
        self.free.push(slot);
        self.live -= 1;
    }

    fn entry_is_live(slots: &[Slot<H>], entry: &Entry) -> bool {
        slots
            .get(entry.slot)
            .is_some_and(|slot| slot.generation == entry.generation && slot.timer.is_some())
    }

    fn drop_stale_top(&mut self) {
        while let Some(Reverse(entry)) = self.heap.peek() {
            if Self::entry_is_live(&self.slots, entry) {
                break;
            }
            self.heap.pop();
        }
    }

    fn compact_if_stale(&mut self) {
        if self.heap.len() > 2 * self.live + STALE_SLACK {
            let slots = &self.slots;
            self.heap
                .retain(|Reverse(entry)| Self::entry_is_live(slots, entry));
        }
    }
}

/// The due time after `due` for a timer of period `delay` whose handler
/// returned at `after`: `due + delay`, or, if that has passed, the first
/// time on the grid `due + k × delay` after `after` (no catch-up burst).
fn next_due(due: Instant, delay: Duration, after: Instant) -> Instant {
    let next = later(due, delay);
    if next > after {
        return next;
    }
    let period = delay.as_nanos();
    if period == 0 {
        // A zero period has no grid: due again at once, fired next pass.
        return after;
    }
    let behind = after.saturating_duration_since(due).as_nanos();
    let periods = behind / period + 1;
    let step = periods.saturating_mul(period);
    let step = Duration::new(
        u64::try_from(step / 1_000_000_000).unwrap_or(u64::MAX),
        // Below 10^9: fits.
        (step % 1_000_000_000) as u32,
    );
    later(due, step)
}

/// `at + delay`, or a far future (decades) if that cannot be represented:
/// a huge delay means never, not a panic.
pub(crate) fn later(at: Instant, delay: Duration) -> Instant {
    const FAR: Duration = Duration::from_secs(30 * 365 * 24 * 3600);
    at.checked_add(delay)
        .or_else(|| at.checked_add(FAR))
        .unwrap_or(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    /// Fires everything due at `now` in one pass; returns the handler
    /// values in firing order.
    fn pass(timers: &mut Timers<u32>, now: Instant) -> Vec<u32> {
        let mark = timers.begin_pass();
        let mut fired = Vec::new();
        while let Some((id, handler)) = timers.pop_due(now, mark) {
            fired.push(handler);
            timers.finish(id, handler, now);
        }
        fired
    }

    #[test]
    fn fires_in_due_order_and_counts_down() {
        let t0 = Instant::now();
        let mut timers = Timers::new();
        timers.add(t0, 3 * MS, 1, 3);
        timers.add(t0, MS, 2, 1);
        assert_eq!(timers.next_due(), Some(t0 + MS));
        assert_eq!(pass(&mut timers, t0), Vec::<u32>::new());
        assert_eq!(pass(&mut timers, t0 + MS), vec![1]);
        assert_eq!(pass(&mut timers, t0 + 3 * MS), vec![1, 3]);
        assert_eq!(timers.len(), 0);
        assert_eq!(timers.next_due(), None);
    }

    #[test]
    fn cancel_is_final_and_stale_ids_do_nothing() {
        let t0 = Instant::now();
        let mut timers = Timers::new();
        let first = timers.add(t0, MS, 0, 1);
        assert!(timers.cancel(first));
        assert!(!timers.cancel(first));
        // The slot is reused; the old id does not reach the new timer.
        let second = timers.add(t0, MS, 0, 2);
        assert!(!timers.cancel(first));
        assert_eq!(pass(&mut timers, t0 + MS), vec![2]);
        assert!(timers.cancel(second));
        assert_eq!(pass(&mut timers, t0 + 10 * MS), Vec::<u32>::new());
    }

    #[test]
    fn repeating_timer_keeps_its_grid_and_skips_missed_ticks() {
        let t0 = Instant::now();
        let mut timers = Timers::new();
        timers.add(t0, 10 * MS, 0, 7);
        // Fired 3 ms late: the next tick stays at 20 ms (no drift).
        let mark = timers.begin_pass();
        let (id, h) = timers.pop_due(t0 + 13 * MS, mark).unwrap();
        timers.finish(id, h, t0 + 13 * MS);
        assert_eq!(timers.next_due(), Some(t0 + 20 * MS));
        // Its handler returns 55 ms late: the next tick is the grid's 80 ms,
        // not 30, 40, 50, 60, 70 back to back.
        let mark = timers.begin_pass();
        let (id, h) = timers.pop_due(t0 + 20 * MS, mark).unwrap();
        timers.finish(id, h, t0 + 75 * MS);
        assert_eq!(timers.next_due(), Some(t0 + 80 * MS));
        // Exactly on a grid point counts as passed.
        let mark = timers.begin_pass();
        let (id, h) = timers.pop_due(t0 + 80 * MS, mark).unwrap();
        timers.finish(id, h, t0 + 90 * MS);
        assert_eq!(timers.next_due(), Some(t0 + 100 * MS));
    }

    #[test]
    fn entries_pushed_during_a_pass_wait_for_the_next() {
        let t0 = Instant::now();
        let mut timers = Timers::new();
        timers.add(t0, Duration::ZERO, 0, 1);
        let mark = timers.begin_pass();
        let (id, h) = timers.pop_due(t0, mark).unwrap();
        timers.add(t0, Duration::ZERO, 1, 2);
        timers.finish(id, h, t0);
        assert!(timers.pop_due(t0, mark).is_none(), "one firing per pass");
        let mut next = pass(&mut timers, t0);
        next.sort_unstable();
        assert_eq!(next, vec![1, 2]);
    }

    #[test]
    fn cancelling_while_firing_drops_the_timer() {
        let t0 = Instant::now();
        let mut timers = Timers::new();
        timers.add(t0, MS, 0, 1);
        let mark = timers.begin_pass();
        let (id, h) = timers.pop_due(t0 + MS, mark).unwrap();
        assert!(timers.cancel(id));
        timers.finish(id, h, t0 + MS);
        assert_eq!(timers.len(), 0);
        assert_eq!(timers.next_due(), None);
    }

    #[test]
    fn add_and_cancel_churn_keeps_the_heap_small() {
        let t0 = Instant::now();
        let mut timers = Timers::new();
        let _keep = timers.add(t0, MS, 0, 0);
        for i in 0..10_000 {
            let id = timers.add(t0, Duration::from_secs(60), 0, i);
            timers.cancel(id);
        }
        assert!(
            timers.heap.len() <= 2 + STALE_SLACK + 1,
            "{}",
            timers.heap.len()
        );
    }

    #[test]
    fn huge_delays_mean_never() {
        let t0 = Instant::now();
        let mut timers = Timers::new();
        timers.add(t0, Duration::MAX, 0, 1);
        assert!(timers.next_due().unwrap() > t0 + Duration::from_secs(3600));
        assert!(next_due(t0, Duration::MAX, t0 + MS) > t0);
    }
}
