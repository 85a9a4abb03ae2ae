// The tcp and ipc workloads written once against the zmq 0.10 API, included
// twice like `zmq_api.rs` (zactor, then libzmq). Each side has its own
// context, so each has its own I/O thread, as two processes would; those
// I/O threads are the library's and are not pinned.

use std::sync::{Arc, Barrier};
use std::thread;
use std::time::Duration;
use std::time::Instant;

use super::time_round_trips;
use crate::{pin, Body, Placement, RoundTrips, PING, STOP};

fn net_socket(ctx: &zmq::Context, kind: zmq::SocketType) -> zmq::Socket {
    let socket = ctx.socket(kind).expect("socket");
    socket.set_linger(0).expect("linger");
    socket
}

/// PUSH→PULL over `endpoint` (tcp or ipc): `count` messages; messages/s as
/// the receiver saw them, from its first message to its last.
pub fn push_pull(endpoint: &str, body: Body, count: u64, placement: Placement) -> f64 {
    let bound = Arc::new(Barrier::new(2));
    let receiver = {
        let (endpoint, bound) = (endpoint.to_string(), bound.clone());
        thread::spawn(move || {
            pin(placement.core(false));
            let ctx = zmq::Context::new();
            let pull = net_socket(&ctx, zmq::PULL);
            pull.bind(&endpoint).expect("bind");
            bound.wait();
            pull.recv_msg(0).expect("recv");
            let first = Instant::now();
            for _ in 1..count {
                pull.recv_msg(0).expect("recv");
            }
            (count - 1) as f64 / first.elapsed().as_secs_f64()
        })
    };
    let sender = {
        let endpoint = endpoint.to_string();
        thread::spawn(move || {
            pin(placement.core(true));
            bound.wait();
            let ctx = zmq::Context::new();
            let push = net_socket(&ctx, zmq::PUSH);
            push.connect(&endpoint).expect("connect");
            match body {
                Body::Small(size) => {
                    let body = vec![0u8; size];
                    for _ in 0..count {
                        push.send(&body[..], 0).expect("send");
                    }
                }
                Body::Moved(size) => {
                    for _ in 0..count {
                        push.send(vec![0u8; size], 0).expect("send");
                    }
                }
            }
            // Kept open until the receiver has everything (LINGER is 0).
            push
        })
    };
    let rate = receiver.join().expect("receiver");
    drop(sender.join().expect("sender"));
    rate
}

/// REQ→REP round trips of one byte over `endpoint` for `duration`.
pub fn req_rep_round_trip(endpoint: &str, duration: Duration, placement: Placement) -> RoundTrips {
    let bound = Arc::new(Barrier::new(2));
    let echo = {
        let (endpoint, bound) = (endpoint.to_string(), bound.clone());
        thread::spawn(move || {
            pin(placement.core(false));
            let ctx = zmq::Context::new();
            let rep = net_socket(&ctx, zmq::REP);
            rep.bind(&endpoint).expect("bind");
            bound.wait();
            loop {
                let msg = rep.recv_msg(0).expect("recv");
                let stop = msg[0] == STOP;
                rep.send(msg, 0).expect("send");
                if stop {
                    // The client has the STOP echo before it returns, and
                    // it closes only after this thread is joined.
                    return rep;
                }
            }
        })
    };
    let client = {
        let endpoint = endpoint.to_string();
        thread::spawn(move || {
            pin(placement.core(true));
            bound.wait();
            let ctx = zmq::Context::new();
            let req = net_socket(&ctx, zmq::REQ);
            req.connect(&endpoint).expect("connect");
            let samples = time_round_trips(duration, || {
                req.send(&[PING][..], 0).expect("send");
                req.recv_msg(0).expect("recv");
            });
            req.send(&[STOP][..], 0).expect("send");
            req.recv_msg(0).expect("recv");
            samples
        })
    };
    let samples = client.join().expect("client");
    drop(echo.join().expect("echo"));
    samples
}
