// The guide's multithreaded server as a workload, written once against the
// zmq 0.10 API: `main.rs` includes this file in a module where `zmq` is
// zactor and in one where it is the zmq crate (libzmq), so both sides run
// the same code.
//
// Topology (chapter 2's mtserver, every hop inproc): REQ clients → ROUTER →
// `zmq::proxy` (its own thread) → DEALER → REP workers, a thread each. Each
// client sends "Hello" and waits for "World", as fast as it can, for the
// window; the figure is requests answered per second, all clients together.
//
// Placements: "same", every thread on core 0; "split", the clients on core 0
// and the proxy and the workers on core 1.

use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use super::{pin, unique_endpoint, Placement};

/// Requests each client makes before the timed window: every pipe is
/// attached and warm when the clock starts.
const WARM_UP_REQUESTS: u32 = 200;

/// Requests between two reads of the clock.
const REQUESTS_PER_CLOCK_READ: u64 = 16;

fn socket(ctx: &zmq::Context, kind: zmq::SocketType) -> zmq::Socket {
    let socket = ctx.socket(kind).expect("socket");
    // libzmq's default linger is forever; nothing here must wait at close.
    socket.set_linger(0).expect("linger");
    socket
}

/// `clients` REQ clients against `workers` REP workers behind the proxy, for
/// `window`; returns requests answered per second.
pub fn requests_per_second(
    clients: usize,
    workers: usize,
    window: Duration,
    placement: Placement,
) -> f64 {
    let mut ctx = zmq::Context::new();
    let clients_addr = unique_endpoint("mtserver-clients");
    let workers_addr = unique_endpoint("mtserver-workers");
    let frontend = socket(&ctx, zmq::ROUTER);
    frontend.bind(&clients_addr).expect("bind");
    let backend = socket(&ctx, zmq::DEALER);
    backend.bind(&workers_addr).expect("bind");
    let proxy = thread::spawn(move || {
        pin(placement.core(false));
        zmq::proxy(&frontend, &backend)
    });
    let pool: Vec<_> = (0..workers)
        .map(|_| {
            let receiver = socket(&ctx, zmq::REP);
            receiver.connect(&workers_addr).expect("connect");
            thread::spawn(move || {
                pin(placement.core(false));
                // Until the context is terminated (ETERM).
                while receiver.recv_msg(0).is_ok() {
                    receiver.send("World", 0).expect("send");
                }
            })
        })
        .collect();
    let start = Arc::new(Barrier::new(clients));
    let requesters: Vec<_> = (0..clients)
        .map(|_| {
            let requester = socket(&ctx, zmq::REQ);
            requester.connect(&clients_addr).expect("connect");
            let start = start.clone();
            thread::spawn(move || {
                pin(placement.core(true));
                for _ in 0..WARM_UP_REQUESTS {
                    requester.send("Hello", 0).expect("send");
                    requester.recv_msg(0).expect("recv");
                }
                start.wait();
                let began = Instant::now();
                let mut answered = 0u64;
                while began.elapsed() < window {
                    for _ in 0..REQUESTS_PER_CLOCK_READ {
                        requester.send("Hello", 0).expect("send");
                        requester.recv_msg(0).expect("recv");
                    }
                    answered += REQUESTS_PER_CLOCK_READ;
                }
                (answered, began.elapsed())
            })
        })
        .collect();
    let results: Vec<(u64, Duration)> = requesters
        .into_iter()
        .map(|c| c.join().expect("client"))
        .collect();
    // The guide's way to stop a proxy: terminate the context.
    ctx.destroy().expect("destroy");
    assert!(proxy.join().expect("proxy").is_err(), "ETERM ends the proxy");
    for worker in pool {
        worker.join().expect("worker");
    }
    // The zmq crate terms its context again when the last handle drops,
    // which after `destroy` is a zmq_ctx_term on a freed context; every
    // socket is closed and every thread joined, so this handle is the last:
    // leak it (zactor's is a harmless leak of one small allocation).
    std::mem::forget(ctx);
    let answered: u64 = results.iter().map(|r| r.0).sum();
    let longest = results
        .iter()
        .map(|r| r.1)
        .max()
        .unwrap_or(window)
        .as_secs_f64();
    answered as f64 / longest.max(1e-9)
}
