//! The routing-id table of ROUTER and REP: which pipe a routing id names,
//! and back (libzmq keeps the same map inside `router.cpp`).
//!
//! A peer that set an identity (ZMQ_ROUTING_ID) before connecting is known
//! by it; any other gets a generated id, made as libzmq makes them: a zero
//! byte then a big-endian `u32` counter that starts at a random value. The
//! zero byte keeps generated ids apart from the usual user-chosen ones
//! (libzmq's documentation reserves a leading zero byte for them). libzmq
//! 4.3 does not enforce that reservation on peers, and neither do we; the
//! table instead makes sure a generated id never collides with any id in
//! use (libzmq would assert).
//!
//! A peer whose identity is already taken is refused, or, under
//! ROUTER_HANDOVER, takes the id over from the pipe that held it:
//! [`RoutingTable::admit`] makes that decision.
//!
//! ```text
//! admit(pipe 1, "alice")         -> Named            alice -> 1
//! admit(pipe 2, "")              -> Named            \0 7f 3a 10 02 -> 2
//! admit(pipe 3, "alice")         -> Refused          (pipe 3 gets no id)
//! admit(pipe 3, "alice", handover) -> TookOver(1)    alice -> 3, 1 has no id
//! ```

use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};

use bytes::Bytes;

use crate::config::GENERATED_ID_LEN;
use crate::pipe::PipeId;

/// What [`RoutingTable::admit`] did with a new pipe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Admission {
    /// The pipe has its routing id.
    Named,
    /// The pipe took its id from this pipe (ROUTER_HANDOVER), which now has
    /// none: the caller closes it.
    TookOver(PipeId),
    /// The id is taken and handover is off: the pipe has no id and the
    /// caller refuses it.
    Refused,
}

/// Routing ids to pipes and back.
#[derive(Debug)]
pub(crate) struct RoutingTable {
    by_id: HashMap<Bytes, PipeId>,
    by_pipe: HashMap<PipeId, Bytes>,
    /// The counter in the next generated id.
    next_generated: u32,
}

/// A random `u32`, from the standard library's per-process random hash
/// keys: libzmq starts its id counters at a random value so that ids differ
/// between runs and between sockets, and a std-only source is enough for
/// that (nothing here needs to be unpredictable).
pub(super) fn random_u32() -> u32 {
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u8(0);
    hasher.finish() as u32
}

impl Default for RoutingTable {
    fn default() -> Self {
        RoutingTable::starting_at(random_u32())
    }
}

impl RoutingTable {
    /// A table whose first generated id carries `counter`.
    pub(crate) fn starting_at(counter: u32) -> Self {
        RoutingTable {
            by_id: HashMap::new(),
            by_pipe: HashMap::new(),
            next_generated: counter,
        }
    }

    /// A fresh generated id: a zero byte then the big-endian counter,
    /// skipping any value a peer already uses as its identity.
    pub(crate) fn generate(&mut self) -> Bytes {
        loop {
            let mut id = [0u8; GENERATED_ID_LEN];
            id[1..].copy_from_slice(&self.next_generated.to_be_bytes());
            self.next_generated = self.next_generated.wrapping_add(1);
            if !self.by_id.contains_key(&id[..]) {
                return Bytes::copy_from_slice(&id);
            }
        }
    }

    /// Names a new pipe after its peer's identity (`peer_id`; empty: none,
    /// so a generated id). A taken identity is refused, or taken over under
    /// `handover`.
    pub(crate) fn admit(&mut self, pipe: PipeId, peer_id: Bytes, handover: bool) -> Admission {
        if peer_id.is_empty() {
            let id = self.generate();
            self.insert(id, pipe);
            return Admission::Named;
        }
        match self.pipe(&peer_id) {
            None => {
                self.insert(peer_id, pipe);
                Admission::Named
            }
            Some(_) if !handover => Admission::Refused,
            Some(previous) => {
                self.remove_pipe(previous);
                self.insert(peer_id, pipe);
                Admission::TookOver(previous)
            }
        }
    }

    /// The pipe a routing id names.
    #[inline]
    pub(crate) fn pipe(&self, id: &[u8]) -> Option<PipeId> {
        self.by_id.get(id).copied()
    }

    /// The routing id of a pipe.
    #[inline]
    pub(crate) fn id_of(&self, pipe: PipeId) -> Option<&Bytes> {
        self.by_pipe.get(&pipe)
    }

    /// Every pipe that has a routing id.
    pub(crate) fn pipes(&self) -> impl Iterator<Item = PipeId> + '_ {
        self.by_pipe.keys().copied()
    }

    /// Names a pipe with an id nobody holds.
    fn insert(&mut self, id: Bytes, pipe: PipeId) {
        debug_assert!(!self.by_id.contains_key(&id), "routing id already taken");
        if let Some(old) = self.by_pipe.insert(pipe, id.clone()) {
            // Renaming a pipe: its old name must not keep pointing at it.
            self.by_id.remove(&old);
        }
        self.by_id.insert(id, pipe);
    }

    /// Forgets a pipe; returns the id it had.
    pub(crate) fn remove_pipe(&mut self, pipe: PipeId) -> Option<Bytes> {
        let id = self.by_pipe.remove(&pipe)?;
        self.by_id.remove(&id);
        Some(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pipe(n: u32) -> PipeId {
        PipeId::new(n, 0)
    }

    #[test]
    fn generated_ids_are_a_zero_byte_and_a_big_endian_counter() {
        let mut table = RoutingTable::starting_at(0x0102_03ff);
        assert_eq!(&table.generate()[..], &[0, 1, 2, 3, 0xff]);
        assert_eq!(&table.generate()[..], &[0, 1, 2, 4, 0]);
        let mut random = RoutingTable::default();
        let id = random.generate();
        assert_eq!((id.len(), id[0]), (GENERATED_ID_LEN, 0));
    }

    #[test]
    fn the_counter_wraps_and_skips_ids_in_use() {
        let mut table = RoutingTable::starting_at(u32::MAX);
        // A peer chose, against the advice, what the counter would make next.
        let squatter = Bytes::from_static(&[0, 0xff, 0xff, 0xff, 0xff]);
        assert_eq!(table.admit(pipe(1), squatter, false), Admission::Named);
        assert_eq!(table.admit(pipe(2), Bytes::new(), false), Admission::Named);
        assert_eq!(
            table.id_of(pipe(2)).map(|id| &id[..]),
            Some(&[0u8, 0, 0, 0, 0][..])
        );
    }

    #[test]
    fn ids_map_both_ways() {
        let mut table = RoutingTable::default();
        let alice = Bytes::from_static(b"alice");
        assert_eq!(table.admit(pipe(3), alice, false), Admission::Named);
        assert_eq!(table.pipe(b"alice"), Some(pipe(3)));
        assert_eq!(table.id_of(pipe(3)).map(|b| &b[..]), Some(&b"alice"[..]));
        assert_eq!(table.pipes().collect::<Vec<_>>(), [pipe(3)]);
        assert_eq!(table.remove_pipe(pipe(3)).as_deref(), Some(&b"alice"[..]));
        assert_eq!(table.pipe(b"alice"), None);
        assert_eq!(
            table.remove_pipe(pipe(3)),
            None,
            "forgetting twice is harmless"
        );
    }

    #[test]
    fn a_taken_identity_is_refused_without_handover() {
        let mut table = RoutingTable::default();
        table.admit(pipe(1), Bytes::from_static(b"alice"), false);
        assert_eq!(
            table.admit(pipe(2), Bytes::from_static(b"alice"), false),
            Admission::Refused
        );
        assert_eq!(table.pipe(b"alice"), Some(pipe(1)), "the first keeps it");
        assert_eq!(table.id_of(pipe(2)), None);
    }

    #[test]
    fn handover_moves_the_identity_to_the_newcomer() {
        let mut table = RoutingTable::default();
        table.admit(pipe(1), Bytes::from_static(b"alice"), true);
        assert_eq!(
            table.admit(pipe(2), Bytes::from_static(b"alice"), true),
            Admission::TookOver(pipe(1))
        );
        assert_eq!(table.pipe(b"alice"), Some(pipe(2)));
        assert_eq!(table.id_of(pipe(1)), None, "the old pipe is unroutable");
        // The old pipe's later termination must not unname the newcomer.
        assert_eq!(table.remove_pipe(pipe(1)), None);
        assert_eq!(table.pipe(b"alice"), Some(pipe(2)));
    }
}
