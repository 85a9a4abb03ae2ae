//! The reactor's readers: a slab of handlers indexed by the poller token.
//!
//! Each reader (a socket or a native descriptor, and its handler) lives in
//! a slot of the slab, and the slot's index is the token it is registered
//! with in the loop's [`crate::Poller`]. Dispatching a ready event is one
//! index into a vector: no hashing, no allocation.
//!
//! While a handler runs it is taken out of its slot, so the handler may
//! add and remove readers, itself included; the loop puts it back if the
//! reader is still there. A slot freed during a pass is recycled only once
//! the pass is over ([`Readers::recycle`]): an event of that pass still
//! naming the slot then finds it empty, instead of reaching a reader added
//! in its place that may not be ready at all.

/// Names a reader of a [`crate::Loop`], to remove it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ReaderId {
    slot: usize,
    generation: u64,
}

/// The readers of one loop: targets of type `T`, handlers of type `H`.
pub(crate) struct Readers<T, H> {
    slots: Vec<Slot<T, H>>,
    /// Slots free for reuse.
    free: Vec<usize>,
    /// Slots freed during the current pass.
    retired: Vec<usize>,
    live: usize,
}

struct Slot<T, H> {
    /// Bumped every time the slot is freed.
    generation: u64,
    /// What is read, while the reader exists.
    target: Option<T>,
    /// `None` while the handler runs.
    handler: Option<H>,
}

impl<T: Copy, H> Readers<T, H> {
    pub(crate) fn new() -> Self {
        Readers {
            slots: Vec::new(),
            free: Vec::new(),
            retired: Vec::new(),
            live: 0,
        }
    }

    /// The number of readers.
    pub(crate) fn len(&self) -> usize {
        self.live
    }

    /// The slot (poller token) the next [`insert`](Self::insert) will use.
    pub(crate) fn next_slot(&self) -> usize {
        self.free.last().copied().unwrap_or(self.slots.len())
    }

    /// Adds a reader at [`next_slot`](Self::next_slot).
    pub(crate) fn insert(&mut self, target: T, handler: H) -> ReaderId {
        let slot = match self.free.pop() {
            Some(slot) => slot,
            None => {
                self.slots.push(Slot {
                    generation: 0,
                    target: None,
                    handler: None,
                });
                self.slots.len() - 1
            }
        };
        let entry = &mut self.slots[slot];
        entry.target = Some(target);
        entry.handler = Some(handler);
        self.live += 1;
        ReaderId {
            slot,
            generation: entry.generation,
        }
    }

    /// The target of a live reader.
    pub(crate) fn target(&self, id: ReaderId) -> Option<T> {
        let slot = self.slots.get(id.slot)?;
        if slot.generation != id.generation {
            return None;
        }
        slot.target
    }

    /// Removes a live reader (its handler is dropped now, or when it
    /// returns if it is running); returns its target.
    pub(crate) fn remove(&mut self, id: ReaderId) -> Option<T> {
        let target = self.target(id)?;
        let slot = &mut self.slots[id.slot];
        slot.target = None;
        slot.handler = None;
        slot.generation += 1;
        self.retired.push(id.slot);
        self.live -= 1;
        Some(target)
    }

    /// Takes the handler of the reader at `slot` (a poller token) out to
    /// run it, with its id and target; `None` if the slot has no reader
    /// now (removed during this pass).
    #[inline]
    pub(crate) fn take(&mut self, slot: usize) -> Option<(ReaderId, T, H)> {
        let entry = self.slots.get_mut(slot)?;
        let target = entry.target?;
        let handler = entry.handler.take()?;
        let id = ReaderId {
            slot,
            generation: entry.generation,
        };
        Some((id, target, handler))
    }

    /// Puts a handler back after its run, unless the reader was removed.
    #[inline]
    pub(crate) fn restore(&mut self, id: ReaderId, handler: H) {
        if let Some(entry) = self.slots.get_mut(id.slot) {
            if entry.generation == id.generation && entry.target.is_some() {
                entry.handler = Some(handler);
            }
        }
    }

    /// Makes the slots freed during the pass reusable (call between
    /// passes, when no event is outstanding).
    pub(crate) fn recycle(&mut self) {
        self.free.append(&mut self.retired);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_index_handlers_and_retire_until_recycled() {
        let mut readers: Readers<i32, &str> = Readers::new();
        assert_eq!(readers.next_slot(), 0);
        let a = readers.insert(10, "a");
        let b = readers.insert(20, "b");
        assert_eq!(readers.len(), 2);

        let (id, target, handler) = readers.take(1).unwrap();
        assert_eq!((id, target, handler), (b, 20, "b"));
        assert!(readers.take(1).is_none(), "running: taken out");
        readers.restore(id, handler);

        assert_eq!(readers.remove(a), Some(10));
        assert_eq!(readers.remove(a), None);
        assert!(
            readers.take(0).is_none(),
            "removed: an old event finds nothing"
        );
        assert_eq!(readers.next_slot(), 2, "not reused during the pass");
        readers.recycle();
        assert_eq!(readers.next_slot(), 0);
        let c = readers.insert(30, "c");
        assert_eq!(readers.target(a), None, "an old id misses the new reader");
        assert_eq!(readers.target(c), Some(30));
    }

    #[test]
    fn a_reader_removed_while_running_is_not_restored() {
        let mut readers: Readers<i32, &str> = Readers::new();
        let a = readers.insert(10, "a");
        let (id, _, handler) = readers.take(0).unwrap();
        assert_eq!(readers.remove(a), Some(10));
        readers.restore(id, handler);
        assert!(readers.take(0).is_none());
        assert_eq!(readers.len(), 0);
    }
}
