//! A context's I/O threads (`set_io_threads`, default one), started
//! together on the first `tcp://` or `ipc://` bind or connect.
//!
//! Each listener and each connect goes to one thread, chosen round robin
//! among the threads its socket's AFFINITY allows (every thread when
//! AFFINITY is 0, libzmq's default). A listener's thread spreads the
//! connections it accepts over all the threads, so one busy server socket
//! uses them all. Requests about a socket (unbind, disconnect, close) go to
//! every thread: each acts on what it holds.

use super::io_thread::{IoThread, Request};
use crate::error::{Error, Result};
use crate::sync::{AtomicUsize, Ordering};

/// The I/O threads of one context.
#[derive(Debug)]
pub(crate) struct IoPool {
    threads: Vec<IoThread>,
    /// Round-robin cursor for `pick`.
    next: AtomicUsize,
}

impl IoPool {
    /// Starts `count` threads; `EMTHREAD` for 0 (libzmq: a context with no
    /// I/O thread cannot use a network transport).
    pub(crate) fn start(count: usize) -> Result<IoPool> {
        if count == 0 {
            return Err(Error::EMTHREAD);
        }
        Ok(IoPool {
            threads: IoThread::start_many(count)?,
            next: AtomicUsize::new(0),
        })
    }

    /// The thread for a new listener or connect of a socket with this
    /// AFFINITY (bit N: thread N).
    pub(crate) fn pick(&self, affinity: u64) -> &IoThread {
        let allowed = |i: usize| affinity == 0 || (i < 64 && affinity & (1 << i) != 0);
        let eligible = (0..self.threads.len()).filter(|&i| allowed(i)).count();
        if eligible == 0 {
            // AFFINITY names no thread we have: libzmq falls back to any.
            return self.pick(0);
        }
        // Relaxed: a counter for spreading load; no data hangs on it.
        let turn = self.next.fetch_add(1, Ordering::Relaxed) % eligible;
        let index = (0..self.threads.len())
            .filter(|&i| allowed(i))
            .nth(turn)
            .unwrap_or(0);
        &self.threads[index]
    }

    /// Sends a request to every thread (`make` builds each one).
    pub(crate) fn broadcast(&self, make: impl Fn() -> Request) {
        for thread in &self.threads {
            thread.request(make());
        }
    }

    /// Why the last failed connection of any thread was closed.
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) fn last_error(&self) -> Option<String> {
        self.threads.first().and_then(IoThread::last_error)
    }

    /// How many connections each thread serves (for tests).
    #[cfg(test)]
    pub(crate) fn engines_per_thread(&self) -> Vec<usize> {
        self.threads
            .iter()
            .map(|thread| {
                let (reply, answer) = crossbeam_channel::bounded(1);
                thread.request(Request::CountEngines(reply));
                answer
                    .recv_timeout(std::time::Duration::from_secs(10))
                    .unwrap_or(usize::MAX)
            })
            .collect()
    }

    /// Stops every thread (see [`IoThread::stop`]): first asks them all,
    /// then waits for each, so they wind down together.
    pub(crate) fn stop(&self) {
        self.broadcast(|| Request::Stop);
        for thread in &self.threads {
            thread.stop();
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::error::Error;

    #[test]
    fn connections_are_spread_over_the_io_threads() {
        let ctx = crate::Context::new();
        ctx.set_io_threads(3).unwrap();
        let router = ctx.socket(crate::ROUTER).unwrap();
        router.set_rcvtimeo(10_000).unwrap();
        router.bind("tcp://127.0.0.1:*").unwrap();
        let endpoint = router.get_last_endpoint().unwrap().unwrap();
        let dealers: Vec<_> = (0..6)
            .map(|i| {
                let dealer = ctx.socket(crate::DEALER).unwrap();
                dealer.set_identity(format!("d{i}").as_bytes()).unwrap();
                dealer.set_rcvtimeo(10_000).unwrap();
                dealer.connect(&endpoint).unwrap();
                dealer.send("hello", 0).unwrap();
                dealer
            })
            .collect();
        for _ in 0..6 {
            let [id, body]: [Vec<u8>; 2] = router.recv_multipart(0).unwrap().try_into().unwrap();
            assert_eq!(body, b"hello");
            router.send_multipart([id, b"back".to_vec()], 0).unwrap();
        }
        for dealer in &dealers {
            assert_eq!(dealer.recv_bytes(0).unwrap(), b"back");
        }
        let io = ctx.inner.io_thread().unwrap();
        // 6 connects picked round robin, 6 accepted connections spread
        // round robin by the listener's thread: 4 each.
        assert_eq!(io.engines_per_thread(), vec![4, 4, 4]);
    }

    #[test]
    fn affinity_pins_a_socket_to_its_io_thread() {
        let ctx = crate::Context::new();
        ctx.set_io_threads(2).unwrap();
        let pull = ctx.socket(crate::PULL).unwrap();
        pull.bind("tcp://127.0.0.1:*").unwrap();
        let endpoint = pull.get_last_endpoint().unwrap().unwrap();
        let pushers: Vec<_> = (0..4)
            .map(|_| {
                let push = ctx.socket(crate::PUSH).unwrap();
                push.set_affinity(0b10).unwrap();
                push.connect(&endpoint).unwrap();
                push.send("x", 0).unwrap();
                push
            })
            .collect();
        pull.set_rcvtimeo(10_000).unwrap();
        for _ in 0..4 {
            assert_eq!(pull.recv_bytes(0).unwrap(), b"x");
        }
        let io = ctx.inner.io_thread().unwrap();
        let counts = io.engines_per_thread();
        // Thread 1 holds the 4 connects and half the accepted connections.
        assert_eq!(counts, vec![2, 6], "{counts:?}");
        drop(pushers);
    }

    #[test]
    fn no_io_threads_means_no_network() {
        let ctx = crate::Context::new();
        ctx.set_io_threads(0).unwrap();
        let push = ctx.socket(crate::PUSH).unwrap();
        assert_eq!(push.bind("tcp://127.0.0.1:*"), Err(Error::EMTHREAD));
        assert_eq!(push.connect("ipc://@zactor-no-io"), Err(Error::EMTHREAD));
        push.bind("inproc://no-io-threads").unwrap();
    }
}
