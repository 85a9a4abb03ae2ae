//! Request-reply service, the guide's `rrserver` (chapter 2): connects a REP
//! socket to the broker's backend on tcp://localhost:5560, prints each
//! request, "works" for a second and replies "World".
//!
//! Run with `rrbroker` (or `msgqueue`) and `rrclient`. The guide's tcp
//! endpoints work; `tests/guide_examples.rs` also runs the same code over
//! inproc, end to end.

use std::io::{self, Write};
use std::process;
use std::thread;
use std::time::Duration;

use zactor as zmq;

/// Serves requests from `endpoint` until the context is terminated (then
/// fails with `ETERM`), spending `work` on each.
pub fn run(
    ctx: &zmq::Context,
    endpoint: &str,
    work: Duration,
    out: &mut impl Write,
) -> io::Result<()> {
    // Socket to talk to clients
    let responder = ctx.socket(zmq::REP)?;
    responder.connect(endpoint)?;

    loop {
        // Wait for next request from client
        let string = responder.recv_msg(0)?;
        writeln!(
            out,
            "Received request: [{}]",
            String::from_utf8_lossy(&string)
        )?;

        // Do some 'work'
        thread::sleep(work);

        // Send reply back to client
        responder.send("World", 0)?;
    }
}

fn main() {
    let ctx = zmq::Context::new();
    let work = Duration::from_secs(1);
    if let Err(error) = run(&ctx, "tcp://localhost:5560", work, &mut io::stdout()) {
        eprintln!("rrworker: {error}");
        process::exit(1);
    }
}
