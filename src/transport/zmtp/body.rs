//! Buffers of their own for large received bodies, recycled.
//!
//! A message frame body of at least [`RECV_LARGE_BODY`] octets is received
//! into a [`BodyBuf`] taken from its connection's [`BodyPool`] (see
//! [`Decoder::body_room`](super::Decoder::body_room)). The finished body
//! becomes the message's `Bytes` without a copy
//! (`Bytes::from_owner`), and when the last reference to it goes (on the
//! application's thread, usually) the buffer goes back to the pool. A warm
//! pool's buffers keep their pages, so the I/O thread no longer faults in
//! (and the kernel no longer zeroes) fresh memory for every large message.
//!
//! Memory stays bounded: a pool keeps at most [`RECV_POOL_BUFFERS`] free
//! buffers, none larger than [`RECV_POOL_MAX_BUFFER`]; a buffer that finds
//! the pool full, or gone (its connection closed), is simply freed.
//!
//! No I/O here: the pool is a bounded channel of `Vec<u8>`s.

use std::fmt;

use bytes::Bytes;
use crossbeam_channel::{bounded, Receiver, Sender};

use crate::config::{RECV_LARGE_BODY, RECV_POOL_BUFFERS, RECV_POOL_MAX_BUFFER};

/// One connection's free body buffers.
#[derive(Clone)]
pub(crate) struct BodyPool {
    free: Receiver<Vec<u8>>,
    home: Sender<Vec<u8>>,
}

impl fmt::Debug for BodyPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BodyPool")
            .field("free", &self.free.len())
            .finish()
    }
}

impl Default for BodyPool {
    fn default() -> Self {
        BodyPool::new()
    }
}

impl BodyPool {
    /// An empty pool.
    pub(crate) fn new() -> BodyPool {
        let (home, free) = bounded(RECV_POOL_BUFFERS);
        BodyPool { free, home }
    }

    /// An empty buffer that goes back to this pool once its body is done
    /// with: a free one (with its capacity) when there is one, else a new
    /// one with no capacity (the caller reserves).
    pub(crate) fn take(&self) -> BodyBuf {
        BodyBuf {
            data: self.free.try_recv().unwrap_or_default(),
            home: Some(self.home.clone()),
        }
    }

    /// How many free buffers the pool holds.
    pub(crate) fn free(&self) -> usize {
        self.free.len()
    }
}

/// A body being received, and the pool it returns to.
#[derive(Clone)]
pub(crate) struct BodyBuf {
    data: Vec<u8>,
    home: Option<Sender<Vec<u8>>>,
}

impl fmt::Debug for BodyBuf {
    // Never the payload.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BodyBuf")
            .field("len", &self.data.len())
            .field("capacity", &self.data.capacity())
            .finish()
    }
}

impl BodyBuf {
    /// The octets received so far, and room for more: the buffer itself.
    pub(crate) fn data(&mut self) -> &mut Vec<u8> {
        &mut self.data
    }

    pub(crate) fn len(&self) -> usize {
        self.data.len()
    }

    /// The body as message bytes, without a copy; the buffer goes home when
    /// the last reference to them drops.
    pub(crate) fn freeze(mut self) -> Bytes {
        let data = std::mem::take(&mut self.data);
        match self.home.take() {
            Some(home) if recyclable(data.capacity()) => Bytes::from_owner(Recycled { data, home }),
            _ => Bytes::from(data),
        }
    }
}

impl Drop for BodyBuf {
    /// A body abandoned half-way (its connection failed or closed): its
    /// buffer goes home all the same.
    fn drop(&mut self) {
        if let Some(home) = self.home.take() {
            give_back(std::mem::take(&mut self.data), &home);
        }
    }
}

/// Whether a buffer of this capacity is worth keeping.
fn recyclable(capacity: usize) -> bool {
    (RECV_LARGE_BODY..=RECV_POOL_MAX_BUFFER).contains(&capacity)
}

/// Returns `data` to its pool, or frees it (pool full or gone, unusual size).
fn give_back(mut data: Vec<u8>, home: &Sender<Vec<u8>>) {
    if recyclable(data.capacity()) {
        data.clear();
        // Err (full, or its connection has gone): `data` is freed.
        let _ = home.try_send(data);
    }
}

/// The owner behind a pooled body's `Bytes`.
struct Recycled {
    data: Vec<u8>,
    home: Sender<Vec<u8>>,
}

impl AsRef<[u8]> for Recycled {
    fn as_ref(&self) -> &[u8] {
        &self.data
    }
}

impl Drop for Recycled {
    fn drop(&mut self) {
        give_back(std::mem::take(&mut self.data), &self.home);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filled(pool: &BodyPool, size: usize, byte: u8) -> BodyBuf {
        let mut body = pool.take();
        body.data().resize(size, byte);
        body
    }

    #[test]
    fn a_body_goes_home_when_its_last_reference_drops() {
        let pool = BodyPool::new();
        let first = filled(&pool, 64 * 1024, 1).freeze();
        let at = first.as_ptr();
        let copy = first.clone();
        drop(first);
        assert_eq!(pool.free(), 0, "a reference remains");
        drop(copy);
        assert_eq!(pool.free(), 1);
        let second = filled(&pool, 64 * 1024, 2).freeze();
        assert_eq!(second.as_ptr(), at, "the same memory, reused");
        assert!(second.iter().all(|&b| b == 2));
    }

    #[test]
    fn the_pool_is_bounded() {
        let pool = BodyPool::new();
        let bodies: Vec<Bytes> = (0..RECV_POOL_BUFFERS + 5)
            .map(|_| filled(&pool, RECV_LARGE_BODY, 0).freeze())
            .collect();
        drop(bodies);
        assert_eq!(pool.free(), RECV_POOL_BUFFERS);
        // Unusual sizes are freed, not kept.
        let pool = BodyPool::new();
        drop(filled(&pool, RECV_POOL_MAX_BUFFER + 1, 0).freeze());
        drop(filled(&pool, 100, 0).freeze());
        assert_eq!(pool.free(), 0);
    }

    #[test]
    fn a_body_outliving_its_pool_is_freed() {
        let pool = BodyPool::new();
        let body = filled(&pool, 64 * 1024, 1).freeze();
        let abandoned = filled(&pool, 64 * 1024, 1);
        drop(pool);
        drop(body);
        drop(abandoned);
    }
}
