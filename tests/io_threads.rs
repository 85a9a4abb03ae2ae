//! A program that uses only inproc starts no thread of zactor's; the first
//! `tcp://` or `ipc://` use starts the I/O threads.
//!
//! Alone in its test binary (its own process), so no other test's network
//! sockets start I/O threads meanwhile. zactor's threads are counted by
//! name (`zactor-io-N`), so the test harness's own threads do not count.

mod common;

use common::{bounded, recv_str};
use zactor as zmq;

/// zactor's I/O threads alive in this process now.
fn io_threads() -> usize {
    std::fs::read_dir("/proc/self/task")
        .expect("/proc/self/task")
        .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("comm")).ok())
        .filter(|name| name.starts_with("zactor-io"))
        .count()
}

#[test]
fn inproc_starts_no_thread_and_the_first_network_use_does() {
    bounded(|| {
        let ctx = zmq::Context::new();
        ctx.set_io_threads(2).unwrap();
        // Every kind of pair, messages each way where the pattern allows.
        let pairs = [
            (zmq::PAIR, zmq::PAIR),
            (zmq::PUSH, zmq::PULL),
            (zmq::PUB, zmq::SUB),
            (zmq::REQ, zmq::REP),
            (zmq::DEALER, zmq::ROUTER),
            (zmq::XPUB, zmq::XSUB),
        ];
        let mut sockets = Vec::new();
        for (i, (binder_kind, connecter_kind)) in pairs.into_iter().enumerate() {
            let endpoint = format!("inproc://io-threads-{i}");
            let binder = ctx.socket(binder_kind).unwrap();
            binder.bind(&endpoint).unwrap();
            let connecter = ctx.socket(connecter_kind).unwrap();
            connecter.connect(&endpoint).unwrap();
            sockets.push((binder, connecter));
        }
        let (pair_a, pair_b) = &sockets[0];
        pair_a.send("ping", 0).unwrap();
        assert_eq!(recv_str(pair_b), "ping");
        let (push, pull) = &sockets[1];
        push.send("work", 0).unwrap();
        assert_eq!(recv_str(pull), "work");
        let (req, rep) = &sockets[3];
        req.send("request", 0).unwrap();
        assert_eq!(recv_str(rep), "request");
        rep.send("reply", 0).unwrap();
        assert_eq!(recv_str(req), "reply");
        assert_eq!(io_threads(), 0, "inproc alone starts no I/O thread");

        let tcp = ctx.socket(zmq::PULL).unwrap();
        tcp.bind("tcp://127.0.0.1:*").unwrap();
        // A new thread names itself as it starts: wait for both names
        // (`bounded` fails the test if they never come).
        while io_threads() < 2 {
            std::thread::yield_now();
        }
        assert_eq!(io_threads(), 2, "the first tcp bind starts io_threads");
    });
}
