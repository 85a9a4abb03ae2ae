//! Subscriptions on the publisher side (PUB, XPUB): a byte trie of topic
//! prefixes, each with the set of pipes subscribed to it (libzmq's
//! `mtrie`).
//!
//! Matching a message walks its first bytes once and collects the pipes of
//! every prefix met on the way. A subscriber with several matching
//! subscriptions ("A" and "AB" for "ABC") must get the message once, so the
//! pipes are deduplicated: for free when a single prefix matches (a set holds
//! each pipe once), and otherwise with a mark per pipe slot stamped with
//! the number of the current match, so nothing is sorted or allocated per
//! message.
//!
//! The pipe sets are sorted vectors: adding or removing a subscription (rare)
//! is a binary search, and matching (per message) copies a slice.

use super::trie::{NodeValue, Tree};
use crate::pipe::PipeId;

/// The pipes subscribed to one prefix, sorted, each once.
#[derive(Debug, Default)]
struct PipeSet(Vec<PipeId>);

impl NodeValue for PipeSet {
    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl PipeSet {
    /// Adds `pipe`; false when it was already there.
    fn insert(&mut self, pipe: PipeId) -> bool {
        match self.0.binary_search(&pipe) {
            Ok(_) => false,
            Err(at) => {
                self.0.insert(at, pipe);
                true
            }
        }
    }

    /// Removes `pipe`; false when it was not there.
    fn remove(&mut self, pipe: PipeId) -> bool {
        match self.0.binary_search(&pipe) {
            Ok(at) => {
                self.0.remove(at);
                true
            }
            Err(_) => false,
        }
    }
}

/// Every subscription of every pipe, by prefix.
#[derive(Debug, Default)]
pub(crate) struct Mtrie {
    tree: Tree<PipeSet>,
    /// Per pipe slot (`PipeId::index`): the number of the last match that
    /// collected this pipe. Slots are reused by the pipe table, so this
    /// stays as long as the most pipes a socket had at once.
    marks: Vec<u32>,
    /// Number of the current match; never 0, so a fresh mark is never set.
    stamp: u32,
}

impl Mtrie {
    /// Subscribes `pipe` to `prefix`. True when the prefix had no pipe
    /// before (a new topic); false for a new pipe on a known topic and for
    /// a pipe subscribing twice.
    pub(crate) fn add(&mut self, prefix: &[u8], pipe: PipeId) -> bool {
        let (_, pipes) = self.tree.get_or_insert(prefix);
        let was_empty = pipes.0.is_empty();
        pipes.insert(pipe);
        was_empty
    }

    /// Unsubscribes `pipe` from `prefix`. True when it was the prefix's last
    /// pipe (the topic is gone); false when others remain or `pipe` was not
    /// subscribed.
    pub(crate) fn rm(&mut self, prefix: &[u8], pipe: PipeId) -> bool {
        let Some((node, pipes)) = self.tree.get_mut(prefix) else {
            return false;
        };
        if !pipes.remove(pipe) || !pipes.0.is_empty() {
            return false;
        }
        self.tree.prune(node);
        true
    }

    /// Unsubscribes `pipe` from everything (it is going away). Calls
    /// `on_last` with each prefix that had no other pipe.
    pub(crate) fn rm_pipe(&mut self, pipe: PipeId, mut on_last: impl FnMut(&[u8])) {
        self.tree.for_each_mut(|prefix, pipes| {
            if pipes.remove(pipe) && pipes.0.is_empty() {
                on_last(prefix);
            }
        });
    }

    /// Replaces the contents of `out` with the pipes subscribed to some
    /// prefix of `data`, each once. Reuse `out` across calls: once it has
    /// grown, matching allocates nothing.
    #[inline]
    pub(crate) fn match_into(&mut self, data: &[u8], out: &mut Vec<PipeId>) {
        out.clear();
        let marks = &mut self.marks;
        let stamp = &mut self.stamp;
        let mut sets = 0usize;
        self.tree.walk_prefixes(data, |pipes| {
            if pipes.0.is_empty() {
                return true;
            }
            sets += 1;
            if sets == 1 {
                // One set holds no duplicates: no marks needed unless a
                // second set turns up.
                out.extend_from_slice(&pipes.0);
                return true;
            }
            if sets == 2 {
                *stamp = next_stamp(*stamp, marks);
                for &pipe in out.iter() {
                    mark(marks, pipe, *stamp);
                }
            }
            for &pipe in &pipes.0 {
                if mark(marks, pipe, *stamp) {
                    out.push(pipe);
                }
            }
            true
        });
    }

    /// Whether no pipe subscribes to anything.
    #[cfg(test)]
    fn is_empty(&self) -> bool {
        let mut empty = true;
        self.tree.for_each(|_, pipes| empty &= pipes.0.is_empty());
        empty
    }
}

/// The next match number, clearing every mark when the counter wraps (once
/// in 4 billion matches with overlapping prefixes).
fn next_stamp(stamp: u32, marks: &mut [u32]) -> u32 {
    match stamp.wrapping_add(1) {
        0 => {
            marks.fill(0);
            1
        }
        next => next,
    }
}

/// Marks `pipe` as collected by match `stamp`; false when it already was.
#[inline]
fn mark(marks: &mut Vec<u32>, pipe: PipeId, stamp: u32) -> bool {
    let slot = pipe.index();
    if slot >= marks.len() {
        marks.resize(slot + 1, 0);
    }
    if marks[slot] == stamp {
        false
    } else {
        marks[slot] = stamp;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pipe(n: u32) -> PipeId {
        PipeId::new(n, 0)
    }

    fn matching(mtrie: &mut Mtrie, data: &str) -> Vec<PipeId> {
        let mut out = Vec::new();
        mtrie.match_into(data.as_bytes(), &mut out);
        out.sort();
        out
    }

    #[test]
    fn add_says_when_a_topic_is_new() {
        let mut mtrie = Mtrie::default();
        assert!(mtrie.add(b"A", pipe(1)), "first pipe on A");
        assert!(!mtrie.add(b"A", pipe(2)), "A is known");
        assert!(!mtrie.add(b"A", pipe(1)), "the same pipe again");
        assert!(mtrie.add(b"B", pipe(1)));
    }

    #[test]
    fn rm_says_when_a_topic_is_gone() {
        let mut mtrie = Mtrie::default();
        mtrie.add(b"A", pipe(1));
        mtrie.add(b"A", pipe(2));
        assert!(!mtrie.rm(b"A", pipe(3)), "never subscribed");
        assert!(!mtrie.rm(b"A", pipe(1)), "pipe 2 is still there");
        assert!(!mtrie.rm(b"A", pipe(1)), "already removed");
        assert!(mtrie.rm(b"A", pipe(2)), "the last pipe");
        assert!(!mtrie.rm(b"A", pipe(2)));
        assert!(mtrie.is_empty());
    }

    #[test]
    fn match_collects_every_prefix_and_each_pipe_once() {
        let mut mtrie = Mtrie::default();
        mtrie.add(b"", pipe(0));
        mtrie.add(b"A", pipe(1));
        mtrie.add(b"AB", pipe(1));
        mtrie.add(b"AB", pipe(2));
        mtrie.add(b"ABC", pipe(3));
        mtrie.add(b"B", pipe(4));
        assert_eq!(matching(&mut mtrie, "ABX"), [pipe(0), pipe(1), pipe(2)]);
        assert_eq!(
            matching(&mut mtrie, "ABC"),
            [pipe(0), pipe(1), pipe(2), pipe(3)]
        );
        assert_eq!(matching(&mut mtrie, "A"), [pipe(0), pipe(1)]);
        assert_eq!(matching(&mut mtrie, "C"), [pipe(0)]);
        assert_eq!(matching(&mut mtrie, ""), [pipe(0)]);
    }

    #[test]
    fn match_reuses_its_output_and_stamps() {
        let mut mtrie = Mtrie::default();
        for n in 0..100 {
            mtrie.add(b"", pipe(n));
            mtrie.add(b"x", pipe(n));
        }
        let mut out = Vec::new();
        for _ in 0..3 {
            mtrie.match_into(b"xyz", &mut out);
            assert_eq!(out.len(), 100, "every pipe once");
        }
        mtrie.match_into(b"y", &mut out);
        assert_eq!(out.len(), 100, "the output is replaced, not appended to");
    }

    #[test]
    fn stamps_survive_wrapping() {
        let mut mtrie = Mtrie::default();
        mtrie.add(b"", pipe(1));
        mtrie.add(b"a", pipe(1));
        mtrie.stamp = u32::MAX - 1;
        for _ in 0..4 {
            assert_eq!(matching(&mut mtrie, "a"), [pipe(1)]);
        }
    }

    #[test]
    fn rm_pipe_reports_topics_left_without_subscribers() {
        let mut mtrie = Mtrie::default();
        mtrie.add(b"A", pipe(1));
        mtrie.add(b"AB", pipe(1));
        mtrie.add(b"AB", pipe(2));
        mtrie.add(b"C", pipe(1));
        let mut gone = Vec::new();
        mtrie.rm_pipe(pipe(1), |prefix| gone.push(prefix.to_vec()));
        assert_eq!(gone, [b"A".to_vec(), b"C".to_vec()], "AB still has pipe 2");
        assert_eq!(matching(&mut mtrie, "ABC"), [pipe(2)]);
        mtrie.rm_pipe(pipe(2), |prefix| gone.push(prefix.to_vec()));
        assert_eq!(gone.last().unwrap(), b"AB");
        assert!(mtrie.is_empty());
        assert_eq!(mtrie.tree.node_count(), 1, "every node pruned");
    }
}
