//! Simple request-reply broker, the guide's `rrbroker` (chapter 2): a ROUTER
//! for clients on tcp://*:5559, a DEALER for services on tcp://*:5560, and a
//! `zmq::poll` loop that shuttles whole messages (every frame, multipart safe)
//! between them. `msgqueue` is the same broker with the built-in proxy.
//!
//! Run with `rrclient` and `rrworker`. The guide's tcp endpoints work;
//! `tests/guide_examples.rs` also runs the same code over inproc, end to end.

use std::process;

use zactor as zmq;

/// Brokers between clients on `frontend_endpoint` and services on
/// `backend_endpoint` until the context is terminated (`ETERM`).
pub fn run(ctx: &zmq::Context, frontend_endpoint: &str, backend_endpoint: &str) -> zmq::Result<()> {
    // Prepare our sockets
    let frontend = ctx.socket(zmq::ROUTER)?;
    let backend = ctx.socket(zmq::DEALER)?;
    frontend.bind(frontend_endpoint)?;
    backend.bind(backend_endpoint)?;

    // Switch messages between sockets
    loop {
        let mut items = [
            frontend.as_poll_item(zmq::POLLIN),
            backend.as_poll_item(zmq::POLLIN),
        ];
        zmq::poll(&mut items, -1)?;
        if items[0].is_readable() {
            forward(&frontend, &backend)?;
        }
        if items[1].is_readable() {
            forward(&backend, &frontend)?;
        }
    }
}

/// Moves one message, all its parts, from `from` to `to`.
fn forward(from: &zmq::Socket, to: &zmq::Socket) -> zmq::Result<()> {
    loop {
        // Process all parts of the message
        let message = from.recv_msg(0)?;
        let more = from.get_rcvmore()?;
        to.send(message, if more { zmq::SNDMORE } else { 0 })?;
        if !more {
            return Ok(()); // Last message part
        }
    }
}

fn main() {
    let ctx = zmq::Context::new();
    if let Err(error) = run(&ctx, "tcp://*:5559", "tcp://*:5560") {
        eprintln!("rrbroker: {error}");
        process::exit(1);
    }
}
