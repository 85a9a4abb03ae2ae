//! Simple message queuing broker, the guide's `msgqueue` (chapter 2): the
//! request-reply broker (`rrbroker`) with the built-in QUEUE device,
//! `zmq::proxy` between a ROUTER for clients on tcp://*:5559 and a DEALER for
//! services on tcp://*:5560.
//!
//! Run with `rrclient` and `rrworker`. The guide's tcp endpoints work;
//! `tests/guide_examples.rs` also runs the same code over inproc, end to end.

use std::process;

use zactor as zmq;

/// Queues between clients on `frontend_endpoint` and services on
/// `backend_endpoint` until the context is terminated (`ETERM`).
pub fn run(ctx: &zmq::Context, frontend_endpoint: &str, backend_endpoint: &str) -> zmq::Result<()> {
    // Socket facing clients
    let frontend = ctx.socket(zmq::ROUTER)?;
    frontend.bind(frontend_endpoint)?;

    // Socket facing services
    let backend = ctx.socket(zmq::DEALER)?;
    backend.bind(backend_endpoint)?;

    // Start the proxy
    zmq::proxy(&frontend, &backend)
}

fn main() {
    let ctx = zmq::Context::new();
    // We never get past the proxy but by an error.
    if let Err(error) = run(&ctx, "tcp://*:5559", "tcp://*:5560") {
        eprintln!("msgqueue: {error}");
        process::exit(1);
    }
}
