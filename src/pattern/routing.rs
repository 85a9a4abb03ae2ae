//! The routing-id table: which pipe a routing id names, and back (libzmq
//! keeps the same map inside `router.cpp`). Used by ROUTER and REP.
//!
//! A peer that set an identity before connecting is known by it; any other
//! gets a generated id: a zero byte then a big-endian u32, as libzmq makes
//! them, so generated ids never collide with user-chosen ones that do not
//! start with a zero byte.

use std::collections::HashMap;

use bytes::Bytes;

use crate::config::GENERATED_ID_LEN;
use crate::pipe::PipeId;

/// Routing ids to pipes and back.
#[derive(Debug)]
pub(crate) struct RoutingTable {
    by_id: HashMap<Bytes, PipeId>,
    by_pipe: HashMap<PipeId, Bytes>,
    next_generated: u32,
}

impl Default for RoutingTable {
    fn default() -> Self {
        RoutingTable {
            by_id: HashMap::new(),
            by_pipe: HashMap::new(),
            // libzmq starts from a random value so ids differ between runs of
            // a program; any start works, this one is derived from the clock.
            next_generated: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.subsec_nanos())
                .unwrap_or(0x0bad_cafe),
        }
    }
}

impl RoutingTable {
    /// A fresh generated id.
    pub(crate) fn generate(&mut self) -> Bytes {
        let mut id = [0u8; GENERATED_ID_LEN];
        id[1..].copy_from_slice(&self.next_generated.to_be_bytes());
        self.next_generated = self.next_generated.wrapping_add(1);
        Bytes::copy_from_slice(&id)
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

    /// Names a pipe.
    pub(crate) fn insert(&mut self, id: Bytes, pipe: PipeId) {
        self.by_pipe.insert(pipe, id.clone());
        self.by_id.insert(id, pipe);
    }

    /// Forgets a pipe; returns its id.
    pub(crate) fn remove_pipe(&mut self, pipe: PipeId) -> Option<Bytes> {
        let id = self.by_pipe.remove(&pipe)?;
        if self.by_id.get(&id) == Some(&pipe) {
            self.by_id.remove(&id);
        }
        Some(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_look_like_libzmqs_and_differ() {
        let mut table = RoutingTable::default();
        let a = table.generate();
        let b = table.generate();
        assert_eq!(a.len(), 5);
        assert_eq!(a[0], 0);
        assert_ne!(a, b);
    }

    #[test]
    fn ids_map_both_ways() {
        let mut table = RoutingTable::default();
        let pipe = PipeId::new(3, 1);
        table.insert(Bytes::from_static(b"alice"), pipe);
        assert_eq!(table.pipe(b"alice"), Some(pipe));
        assert_eq!(table.id_of(pipe).map(|b| &b[..]), Some(&b"alice"[..]));
        assert_eq!(table.remove_pipe(pipe).as_deref(), Some(&b"alice"[..]));
        assert_eq!(table.pipe(b"alice"), None);
    }
}
