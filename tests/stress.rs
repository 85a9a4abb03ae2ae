//! Stress through the public API: many threads, many messages, every one
//! counted.
//!
//! - Four PUSH threads send a million tagged messages each into one PULL:
//!   none may be lost or duplicated, and each sender's order is kept (RFC 30
//!   fair queuing never reorders one peer's messages).
//! - A hundred threads in one context play PAIR ping-pong in fifty pairs.
//!
//! Debug builds run a tenth of the load so `cargo test` stays quick there.

mod common;

use std::sync::{Arc, Barrier};
use std::thread;
use std::time::Instant;

use common::{assert_nothing_waiting, bounded, endpoint, socket, tagged, untag};
use zactor as zmq;

#[test]
fn four_pushers_into_one_pull_lose_nothing_and_keep_order() {
    const SENDERS: u64 = 4;
    const PER_SENDER: u64 = if cfg!(debug_assertions) {
        100_000
    } else {
        1_000_000
    };
    bounded(|| {
        let ctx = zmq::Context::new();
        let addr = endpoint("stress-four-pushers");
        let pull = socket(&ctx, zmq::PULL);
        pull.bind(&addr).unwrap();
        let start = Arc::new(Barrier::new(SENDERS as usize + 1));
        let senders: Vec<_> = (0..SENDERS)
            .map(|id| {
                let push = socket(&ctx, zmq::PUSH);
                push.connect(&addr).unwrap();
                let start = start.clone();
                thread::spawn(move || {
                    start.wait();
                    for seq in 0..PER_SENDER {
                        push.send(&tagged(id, seq)[..], 0).unwrap();
                    }
                })
            })
            .collect();

        start.wait();
        let began = Instant::now();
        let mut next = [0u64; SENDERS as usize];
        for _ in 0..SENDERS * PER_SENDER {
            let msg = pull.recv_msg(0).expect("a message within the timeout");
            let (id, seq) = untag(&msg);
            let expected = &mut next[id as usize];
            assert_eq!(seq, *expected, "sender {id}: lost, duplicated or reordered");
            *expected += 1;
        }
        let elapsed = began.elapsed();
        for sender in senders {
            sender.join().unwrap();
        }
        assert_eq!(next, [PER_SENDER; SENDERS as usize]);
        assert_nothing_waiting(&pull);
        println!(
            "{} messages in {elapsed:?} ({:.1} M msg/s)",
            SENDERS * PER_SENDER,
            (SENDERS * PER_SENDER) as f64 / elapsed.as_secs_f64() / 1e6
        );
    });
}

#[test]
fn a_hundred_threads_play_pair_ping_pong() {
    const PAIRS: usize = 50;
    const ROUNDS: u32 = if cfg!(debug_assertions) { 100 } else { 1000 };
    bounded(|| {
        let ctx = zmq::Context::new();
        let players: Vec<_> = (0..PAIRS)
            .flat_map(|pair| {
                let addr = endpoint(&format!("stress-ping-pong-{pair}"));
                // The server binds in its own thread, the client may connect
                // before or after: inproc takes either order.
                let server = {
                    let ctx = ctx.clone();
                    let addr = addr.clone();
                    thread::spawn(move || {
                        let socket = socket(&ctx, zmq::PAIR);
                        socket.bind(&addr).unwrap();
                        for round in 0..ROUNDS {
                            let ping = socket.recv_bytes(0).expect("a ping within the timeout");
                            assert_eq!(ping, round.to_le_bytes(), "pair {pair}");
                            socket.send(&(round + 1).to_le_bytes()[..], 0).unwrap();
                        }
                        ROUNDS
                    })
                };
                let client = {
                    let ctx = ctx.clone();
                    thread::spawn(move || {
                        let socket = socket(&ctx, zmq::PAIR);
                        socket.connect(&addr).unwrap();
                        for round in 0..ROUNDS {
                            socket.send(&round.to_le_bytes()[..], 0).unwrap();
                            let pong = socket.recv_bytes(0).expect("a pong within the timeout");
                            assert_eq!(pong, (round + 1).to_le_bytes(), "pair {pair}");
                        }
                        ROUNDS
                    })
                };
                [server, client]
            })
            .collect();
        assert_eq!(players.len(), 2 * PAIRS);
        let rounds: u32 = players
            .into_iter()
            .map(|player| player.join().unwrap())
            .sum();
        assert_eq!(rounds, 2 * PAIRS as u32 * ROUNDS);
    });
}
