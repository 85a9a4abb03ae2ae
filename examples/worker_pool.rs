//! An actor-based worker pool: the zactor way to write the guide's
//! mtserver. Clients (REQ) talk to one ROUTER; the pool's broker loop hands
//! each request to an idle worker, and every worker is an [`Actor`] pinned
//! to a core, reached only through its pipe. No DEALER, no shared state: the
//! broker polls the ROUTER and the workers' pipes together, and knows which
//! workers are idle because each one answers before it gets more work.
//!
//! ```text
//!   client (REQ) ─┐                      ┌─ pipe ─ worker-0 (actor, core 0)
//!   client (REQ) ─┼─ ROUTER ── broker ───┼─ pipe ─ worker-1 (actor, core 1)
//!   client (REQ) ─┘   (zmq::poll over    └─ pipe ─ ...
//!                      ROUTER + pipes)
//! ```
//!
//! `cargo run --release --example worker_pool [workers] [clients] [requests per client]`
//! (default 4 workers, 4 clients, 5000 requests each). Prints what each
//! worker served and the request rate, then ends: dropping the workers
//! sends each its `$TERM`.

use std::collections::VecDeque;
use std::thread;
use std::time::Instant;

use zactor as zmq;
use zmq::actor::{Actor, TERM};

const FRONTEND: &str = "inproc://worker-pool";

/// A worker: answers `[client, "", request]` with `[client, "", reply]`
/// until `$TERM`.
fn worker(name: String) -> impl FnOnce(&zmq::Socket, &zmq::Context) -> zmq::Result<()> + Send {
    move |pipe, _ctx| {
        pipe.signal(0)?;
        loop {
            let mut parts = pipe.recv_multipart(0)?;
            if parts.len() == 1 && parts[0] == TERM.as_bytes() {
                return Ok(());
            }
            // The envelope stays as it came; only the body changes.
            let request = parts.pop().unwrap_or_default();
            let reply = format!(
                "{} (by {name})",
                String::from_utf8_lossy(&request).to_uppercase()
            );
            parts.push(reply.into_bytes());
            pipe.send_multipart(parts, 0)?;
        }
    }
}

/// A client: sends `requests` requests one at a time and checks each reply.
fn client(ctx: zmq::Context, id: usize, requests: usize) -> zmq::Result<()> {
    let socket = ctx.socket(zmq::REQ)?;
    socket.connect(FRONTEND)?;
    for n in 0..requests {
        let request = format!("hello {id}/{n}");
        socket.send(request.as_str(), 0)?;
        let reply = socket.recv_string(0)?.map_err(|_| zmq::Error::EPROTO)?;
        let expected = request.to_uppercase();
        if !reply.starts_with(&expected) {
            eprintln!("client {id}: asked {request:?}, got {reply:?}");
            return Err(zmq::Error::EPROTO);
        }
    }
    Ok(())
}

fn arg(n: usize, default: usize) -> usize {
    std::env::args()
        .nth(n)
        .and_then(|a| a.parse().ok())
        .unwrap_or(default)
}

fn main() -> zmq::Result<()> {
    let workers_wanted = arg(1, 4).max(1);
    let clients = arg(2, 4).max(1);
    let requests = arg(3, 5000);
    let total = clients * requests;

    let ctx = zmq::Context::new();
    let frontend = ctx.socket(zmq::ROUTER)?;
    frontend.bind(FRONTEND)?;

    let cores = core_affinity::get_core_ids().unwrap_or_default();
    let mut workers = Vec::with_capacity(workers_wanted);
    for i in 0..workers_wanted {
        let name = format!("worker-{i}");
        let mut builder = Actor::builder().name(name.clone());
        if let Some(core) = cores.get(i % cores.len().max(1)) {
            builder = builder.pin(core.id);
        }
        workers.push(builder.spawn(&ctx, worker(name))?);
    }
    println!(
        "{workers_wanted} workers on cores {:?}, {clients} clients × {requests} requests",
        cores.iter().map(|c| c.id).collect::<Vec<_>>()
    );

    let started = Instant::now();
    let client_threads: Vec<_> = (0..clients)
        .map(|id| {
            let ctx = ctx.clone();
            thread::spawn(move || client(ctx, id, requests))
        })
        .collect();

    // The broker: requests go to the longest-idle worker; the ROUTER is
    // read only while some worker is idle, so waiting requests queue in
    // the clients' pipes, not here.
    let mut idle: VecDeque<usize> = (0..workers.len()).collect();
    let mut served = vec![0usize; workers.len()];
    let mut replied = 0;
    while replied < total {
        let mut items: Vec<zmq::PollItem<'_>> = workers
            .iter()
            .map(|w| w.socket().as_poll_item(zmq::POLLIN))
            .collect();
        if !idle.is_empty() {
            items.push(frontend.as_poll_item(zmq::POLLIN));
        }
        zmq::poll(&mut items, -1)?;
        let frontend_ready = items.len() > workers.len() && items[workers.len()].is_readable();
        let ready: Vec<usize> = (0..workers.len())
            .filter(|&i| items[i].is_readable())
            .collect();
        drop(items);
        for i in ready {
            // A worker that died says so here (ENOTCONN, with its failure).
            let reply = workers[i].recv_multipart(0).inspect_err(|e| {
                eprintln!("worker-{i}: {e}: {:?}", workers[i].failure());
            })?;
            frontend.send_multipart(reply, 0)?;
            served[i] += 1;
            replied += 1;
            idle.push_back(i);
        }
        if frontend_ready {
            if let Some(i) = idle.pop_front() {
                let request = frontend.recv_multipart(0)?;
                workers[i].send_multipart(request, 0)?;
            }
        }
    }
    let elapsed = started.elapsed();
    for handle in client_threads {
        handle.join().expect("client thread")?;
    }

    for (i, count) in served.iter().enumerate() {
        println!("worker-{i} served {count} requests");
    }
    println!(
        "{total} requests in {elapsed:.2?}: {:.0} requests/s",
        total as f64 / elapsed.as_secs_f64()
    );
    // Each worker gets $TERM and is joined as it drops.
    drop(workers);
    println!("all workers ended");
    Ok(())
}
