//! The active-prefix pipe set both [`Lb`](super::lb::Lb) and
//! [`Fq`](super::fq::Fq) are built on (libzmq keeps the same array in `lb`
//! and `fq`).
//!
//! Pipes live in one vector whose first `active` entries are usable (have
//! room, or may have messages); a pipe that stops being usable is swapped
//! out of the prefix, and swapped back in when its peer says so. A cursor
//! walks the prefix round-robin.

use crate::pipe::PipeId;

/// Pipes, the usable ones first, with a round-robin cursor over those.
#[derive(Debug, Default)]
pub(crate) struct ActiveSet {
    pipes: Vec<PipeId>,
    active: usize,
    current: usize,
}

impl ActiveSet {
    /// Adds a pipe, usable at once.
    pub(crate) fn attach(&mut self, id: PipeId) {
        self.pipes.push(id);
        self.activate(id);
    }

    /// Makes a pipe usable again.
    pub(crate) fn activate(&mut self, id: PipeId) {
        if let Some(pos) = self.pipes.iter().position(|&p| p == id) {
            if pos >= self.active {
                self.pipes.swap(pos, self.active);
                self.active += 1;
            }
        }
    }

    /// The pipe under the cursor, if any pipe is usable.
    #[inline]
    pub(crate) fn current(&self) -> Option<PipeId> {
        (self.active > 0).then(|| self.pipes[self.current])
    }

    /// How many pipes are usable.
    #[inline]
    pub(crate) fn active_len(&self) -> usize {
        self.active
    }

    /// Moves the cursor to the next usable pipe.
    #[inline]
    pub(crate) fn advance(&mut self) {
        // A compare, not `% self.active`: a division costs tens of cycles,
        // and this runs once per message on both ends of a pipe.
        self.current += 1;
        if self.current >= self.active {
            self.current = 0;
        }
    }

    /// Marks the pipe under the cursor unusable; the cursor then points at
    /// another usable pipe (if any).
    #[inline]
    pub(crate) fn deactivate_current(&mut self) {
        self.active -= 1;
        self.pipes.swap(self.current, self.active);
        if self.current == self.active {
            self.current = 0;
        }
    }

    /// Forgets a pipe. Returns whether it was under the cursor.
    pub(crate) fn remove(&mut self, id: PipeId) -> bool {
        let Some(mut pos) = self.pipes.iter().position(|&p| p == id) else {
            return false;
        };
        let was_current = pos == self.current && pos < self.active;
        if pos < self.active {
            self.active -= 1;
            self.pipes.swap(pos, self.active);
            pos = self.active;
        }
        // `pos` is in the unusable tail; swap_remove keeps the prefix intact.
        self.pipes.swap_remove(pos);
        if self.current >= self.active {
            self.current = 0;
        }
        was_current
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u32) -> PipeId {
        PipeId::new(n, 0)
    }

    #[test]
    fn the_cursor_walks_usable_pipes_only() {
        let mut set = ActiveSet::default();
        for n in 0..3 {
            set.attach(id(n));
        }
        assert_eq!(set.current(), Some(id(0)));
        set.advance();
        assert_eq!(set.current(), Some(id(1)));
        set.deactivate_current();
        // pipe 1 swapped out; pipe 2 took its place under the cursor
        assert_eq!(set.current(), Some(id(2)));
        set.advance();
        assert_eq!(set.current(), Some(id(0)));
        set.activate(id(1));
        assert!(set.remove(id(0)));
        let mut seen = vec![];
        for _ in 0..2 {
            seen.push(set.current().unwrap());
            set.advance();
        }
        seen.sort();
        assert_eq!(seen, vec![id(1), id(2)]);
    }

    #[test]
    fn nothing_usable_means_no_current() {
        let mut set = ActiveSet::default();
        assert_eq!(set.current(), None);
        set.attach(id(7));
        set.deactivate_current();
        assert_eq!(set.current(), None);
        assert!(!set.remove(id(7)));
        assert!(!set.remove(id(8)));
    }
}
