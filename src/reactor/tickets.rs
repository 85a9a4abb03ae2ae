//! The reactor's tickets (CZMQ's `zloop_ticket`): many one-shot timeouts
//! sharing one delay, each reset in O(1), for per-peer heartbeats.
//!
//! Every ticket falls due `delay` after it was armed or last reset. With
//! one shared delay, the order in which tickets were (re)armed is the order
//! in which they fall due, so they need no heap: a doubly linked list in
//! arming order, whose links are slot indices into a slab. A reset unlinks
//! the ticket and links it at the back; a delete unlinks it and frees its
//! slot; both O(1), and nothing is left behind (a queue of stale entries,
//! one per reset, would grow with the message rate times the delay). The
//! loop looks only at the front.
//!
//! A ticket fires once and is then gone, as in CZMQ, unless its handler
//! resets it (which arms it again). [`TicketId`]s carry the slot's
//! generation, so the id of a fired or deleted ticket does nothing.
//!
//! Lowering the delay breaks the "arming order is due order" rule while
//! tickets armed under the longer delay remain (CZMQ leaves that case
//! undefined): a ticket is linked before those due after it, walking back
//! from the tail, so the list stays sorted and the cost returns to O(1)
//! once they have expired or been reset.

use std::time::{Duration, Instant};

use super::timers::later;

/// Names a ticket of a [`crate::Loop`], to reset or delete it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TicketId {
    slot: usize,
    generation: u64,
}

/// The end of the list.
const NIL: usize = usize::MAX;

/// The tickets of one loop, each with a handler of type `H`.
pub(crate) struct Tickets<H> {
    slots: Vec<Slot<H>>,
    free: Vec<usize>,
    /// The ticket due first, and the one due last.
    head: usize,
    tail: usize,
    delay: Duration,
    live: usize,
}

struct Slot<H> {
    /// Bumped every time the slot is freed.
    generation: u64,
    ticket: Option<Ticket<H>>,
}

struct Ticket<H> {
    due: Instant,
    /// Whether it is in the list (false while its handler runs, until the
    /// handler resets it).
    armed: bool,
    prev: usize,
    next: usize,
    /// `None` while the handler runs.
    handler: Option<H>,
}

impl<H> Tickets<H> {
    pub(crate) fn new() -> Self {
        Tickets {
            slots: Vec::new(),
            free: Vec::new(),
            head: NIL,
            tail: NIL,
            delay: Duration::ZERO,
            live: 0,
        }
    }

    /// The number of live tickets.
    pub(crate) fn len(&self) -> usize {
        self.live
    }

    /// The shared delay.
    pub(crate) fn delay(&self) -> Duration {
        self.delay
    }

    /// Sets the shared delay, for tickets armed or reset from now on.
    pub(crate) fn set_delay(&mut self, delay: Duration) {
        self.delay = delay;
    }

    /// Adds a ticket, armed: due `delay` after `now`.
    pub(crate) fn add(&mut self, now: Instant, handler: H) -> TicketId {
        let slot = match self.free.pop() {
            Some(slot) => slot,
            None => {
                self.slots.push(Slot {
                    generation: 0,
                    ticket: None,
                });
                self.slots.len() - 1
            }
        };
        self.slots[slot].ticket = Some(Ticket {
            due: later(now, self.delay),
            armed: false,
            prev: NIL,
            next: NIL,
            handler: Some(handler),
        });
        self.live += 1;
        self.link(slot);
        TicketId {
            slot,
            generation: self.slots[slot].generation,
        }
    }

    /// Arms a ticket again: due `delay` after `now`. False if it fired or
    /// was deleted (from its own handler it re-arms the ticket).
    pub(crate) fn reset(&mut self, id: TicketId, now: Instant) -> bool {
        if !self.is_live(id) {
            return false;
        }
        self.unlink(id.slot);
        let due = later(now, self.delay);
        if let Some(ticket) = self.ticket_mut(id.slot) {
            ticket.due = due;
        }
        self.link(id.slot);
        true
    }

    /// Deletes a ticket; false if it fired or was deleted already.
    pub(crate) fn delete(&mut self, id: TicketId) -> bool {
        if !self.is_live(id) {
            return false;
        }
        self.unlink(id.slot);
        self.release(id.slot);
        true
    }

    /// When the front ticket falls due.
    pub(crate) fn next_due(&self) -> Option<Instant> {
        self.slots
            .get(self.head)
            .and_then(|slot| slot.ticket.as_ref())
            .map(|ticket| ticket.due)
    }

    /// Takes the front ticket, if due at `now`, out of the list with its
    /// handler; the caller runs it and calls [`finish`](Self::finish).
    pub(crate) fn pop_due(&mut self, now: Instant) -> Option<(TicketId, H)> {
        let slot = self.head;
        let ticket = self.slots.get(slot)?.ticket.as_ref()?;
        if ticket.due > now {
            return None;
        }
        self.unlink(slot);
        let id = TicketId {
            slot,
            generation: self.slots[slot].generation,
        };
        let handler = self.ticket_mut(slot)?.handler.take()?;
        Some((id, handler))
    }

    /// Returns a fired ticket's handler: kept if the handler re-armed it,
    /// else the ticket is freed (or was deleted by the handler).
    pub(crate) fn finish(&mut self, id: TicketId, handler: H) {
        if !self.is_live(id) {
            return;
        }
        let Some(ticket) = self.ticket_mut(id.slot) else {
            return;
        };
        if ticket.armed {
            ticket.handler = Some(handler);
        } else {
            self.release(id.slot);
        }
    }

    fn is_live(&self, id: TicketId) -> bool {
        self.slots
            .get(id.slot)
            .is_some_and(|slot| slot.generation == id.generation && slot.ticket.is_some())
    }

    fn ticket_mut(&mut self, slot: usize) -> Option<&mut Ticket<H>> {
        self.slots.get_mut(slot)?.ticket.as_mut()
    }

    fn release(&mut self, slot: usize) {
        let entry = &mut self.slots[slot];
        entry.ticket = None;
        entry.generation += 1;
        self.free.push(slot);
        self.live -= 1;
    }

    /// Links a ticket by its due time: at the back, unless tickets armed
    /// under a longer delay are due after it (only after the delay went
    /// down), which it then goes before.
    fn link(&mut self, slot: usize) {
        let Some(due) = self.ticket_mut(slot).map(|ticket| ticket.due) else {
            return;
        };
        let mut before = self.tail;
        while let Some(ticket) = self.slots.get(before).and_then(|s| s.ticket.as_ref()) {
            if ticket.due <= due {
                break;
            }
            before = ticket.prev;
        }
        // Insert after `before` (NIL: at the front).
        let after = match self.ticket_mut(before) {
            Some(ticket) => std::mem::replace(&mut ticket.next, slot),
            None => std::mem::replace(&mut self.head, slot),
        };
        match self.ticket_mut(after) {
            Some(ticket) => ticket.prev = slot,
            None => self.tail = slot,
        }
        if let Some(ticket) = self.ticket_mut(slot) {
            ticket.armed = true;
            ticket.prev = before;
            ticket.next = after;
        }
    }

    fn unlink(&mut self, slot: usize) {
        let Some(ticket) = self.ticket_mut(slot) else {
            return;
        };
        if !ticket.armed {
            return;
        }
        ticket.armed = false;
        let (prev, next) = (ticket.prev, ticket.next);
        match self.ticket_mut(prev) {
            Some(before) => before.next = next,
            None => self.head = next,
        }
        match self.ticket_mut(next) {
            Some(after) => after.prev = prev,
            None => self.tail = prev,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    fn expire(tickets: &mut Tickets<u32>, now: Instant) -> Vec<u32> {
        let mut fired = Vec::new();
        while let Some((id, handler)) = tickets.pop_due(now) {
            fired.push(handler);
            tickets.finish(id, handler);
        }
        fired
    }

    #[test]
    fn tickets_expire_in_arming_order_once() {
        let t0 = Instant::now();
        let mut tickets = Tickets::new();
        tickets.set_delay(10 * MS);
        tickets.add(t0, 1);
        tickets.add(t0 + MS, 2);
        tickets.add(t0 + 2 * MS, 3);
        assert_eq!(tickets.next_due(), Some(t0 + 10 * MS));
        assert_eq!(expire(&mut tickets, t0 + 9 * MS), Vec::<u32>::new());
        assert_eq!(expire(&mut tickets, t0 + 11 * MS), vec![1, 2]);
        assert_eq!(expire(&mut tickets, t0 + 60 * MS), vec![3]);
        assert_eq!(tickets.len(), 0);
        assert_eq!(tickets.next_due(), None);
    }

    #[test]
    fn reset_moves_a_ticket_to_the_back() {
        let t0 = Instant::now();
        let mut tickets = Tickets::new();
        tickets.set_delay(10 * MS);
        let first = tickets.add(t0, 1);
        let _second = tickets.add(t0 + MS, 2);
        assert!(tickets.reset(first, t0 + 5 * MS));
        assert_eq!(tickets.next_due(), Some(t0 + 11 * MS));
        assert_eq!(expire(&mut tickets, t0 + 12 * MS), vec![2]);
        assert_eq!(expire(&mut tickets, t0 + 15 * MS), vec![1]);
        assert!(!tickets.reset(first, t0 + 15 * MS), "fired: gone");
    }

    #[test]
    fn delete_unlinks_from_anywhere() {
        let t0 = Instant::now();
        let mut tickets = Tickets::new();
        tickets.set_delay(MS);
        let ids: Vec<_> = (0..5).map(|i| tickets.add(t0, i)).collect();
        assert!(tickets.delete(ids[0]));
        assert!(tickets.delete(ids[2]));
        assert!(tickets.delete(ids[4]));
        assert!(!tickets.delete(ids[4]));
        assert_eq!(tickets.len(), 2);
        assert_eq!(expire(&mut tickets, t0 + MS), vec![1, 3]);
        // Reused slots do not answer to old ids.
        let fresh = tickets.add(t0, 9);
        assert_eq!(fresh.slot, ids[3].slot, "the last freed slot");
        assert!(!tickets.reset(ids[3], t0));
        assert!(tickets.reset(fresh, t0));
    }

    #[test]
    fn a_handler_may_rearm_its_own_ticket() {
        let t0 = Instant::now();
        let mut tickets = Tickets::new();
        tickets.set_delay(MS);
        tickets.add(t0, 1);
        let (id, handler) = tickets.pop_due(t0 + MS).unwrap();
        assert!(tickets.reset(id, t0 + MS));
        tickets.finish(id, handler);
        assert_eq!(tickets.len(), 1);
        assert_eq!(tickets.next_due(), Some(t0 + 2 * MS));
    }

    #[test]
    fn lowering_the_delay_keeps_due_order() {
        let t0 = Instant::now();
        let mut tickets = Tickets::new();
        tickets.set_delay(100 * MS);
        tickets.add(t0, 1);
        tickets.set_delay(10 * MS);
        tickets.add(t0 + MS, 2);
        tickets.add(t0 + 2 * MS, 3);
        assert_eq!(tickets.next_due(), Some(t0 + 11 * MS));
        assert_eq!(expire(&mut tickets, t0 + 12 * MS), vec![2, 3]);
        assert_eq!(expire(&mut tickets, t0 + 100 * MS), vec![1]);
    }
}
