//! Multithreaded Hello World server, the guide's `mtserver` (chapter 2): a
//! ROUTER for clients on tcp://*:5555, a DEALER for workers on
//! inproc://workers, five worker threads with a REP socket each, and the QUEUE
//! proxy between the two. Each worker prints the request, "works" for a second
//! and replies "World".
//!
//! Clients: `rrclient` pointed at port 5555. The guide's tcp endpoints work;
//! `tests/guide_examples.rs` also runs the same code over inproc, end to end.
//! `worker_pool` is the actor-based way to build this server.

use std::io::{self, Write};
use std::process;
use std::thread;
use std::time::Duration;

use zactor as zmq;

/// Worker threads in the pool.
pub const WORKERS: usize = 5;

fn worker_routine(
    ctx: &zmq::Context,
    endpoint: &str,
    work: Duration,
    mut out: impl Write,
) -> io::Result<()> {
    // Socket to talk to dispatcher
    let receiver = ctx.socket(zmq::REP)?;
    receiver.connect(endpoint)?;

    loop {
        let string = receiver.recv_msg(0)?;
        // One write per line, so the lines of five threads never interleave.
        let line = format!("Received request: [{}]\n", String::from_utf8_lossy(&string));
        out.write_all(line.as_bytes())?;

        // Do some 'work'
        thread::sleep(work);

        // Send reply back to client
        receiver.send("World", 0)?;
    }
}

/// Serves clients of `clients_endpoint` with [`WORKERS`] threads behind
/// `workers_endpoint`, each spending `work` on a request and writing to its
/// copy of `out`, until the context is terminated: then every worker has
/// ended and this returns the proxy's `ETERM`.
pub fn run<W>(
    ctx: &zmq::Context,
    clients_endpoint: &str,
    workers_endpoint: &str,
    work: Duration,
    out: W,
) -> io::Result<()>
where
    W: Write + Clone + Send + 'static,
{
    // Socket to talk to clients
    let clients = ctx.socket(zmq::ROUTER)?;
    clients.bind(clients_endpoint)?;

    // Socket to talk to workers
    let workers = ctx.socket(zmq::DEALER)?;
    workers.bind(workers_endpoint)?;

    // Launch pool of worker threads
    let pool: Vec<_> = (0..WORKERS)
        .map(|_| {
            let (ctx, endpoint, out) = (ctx.clone(), workers_endpoint.to_owned(), out.clone());
            thread::spawn(move || worker_routine(&ctx, &endpoint, work, out))
        })
        .collect();

    // Connect work threads to client threads via a queue proxy
    let ended = zmq::proxy(&clients, &workers);

    // The proxy ends when the context is terminated, and so do the workers
    // (with ETERM); any other way a worker ended is worth reporting.
    drop((clients, workers));
    for worker in pool {
        match worker.join() {
            Ok(Err(error)) if !is_eterm(&error) => return Err(error),
            Ok(_) => {}
            Err(_) => return Err(io::Error::other("a worker panicked")),
        }
    }
    Err(ended.err().unwrap_or(zmq::Error::ETERM).into())
}

fn is_eterm(error: &io::Error) -> bool {
    error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<zmq::Error>())
        == Some(&zmq::Error::ETERM)
}

/// Standard output, as a `Write` each worker thread can hold a copy of.
#[derive(Clone, Copy)]
struct Console;

impl Write for Console {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        io::stdout().write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        io::stdout().flush()
    }
}

fn main() {
    let ctx = zmq::Context::new();
    let work = Duration::from_secs(1);
    if let Err(error) = run(&ctx, "tcp://*:5555", "inproc://workers", work, Console) {
        eprintln!("mtserver: {error}");
        process::exit(1);
    }
}
