//! Request-reply client, the guide's `rrclient` (chapter 2): connects a REQ
//! socket to the broker's frontend on tcp://localhost:5559, sends "Hello" ten
//! times and prints each reply.
//!
//! Run with `rrbroker` (or `msgqueue`) and `rrworker`. The guide's tcp
//! endpoints work; `tests/guide_examples.rs` also runs the same code over
//! inproc, end to end.

use std::io::{self, Write};
use std::process;

use zactor as zmq;

/// Sends ten requests to `endpoint` and writes each reply to `out`.
pub fn run(ctx: &zmq::Context, endpoint: &str, out: &mut impl Write) -> io::Result<()> {
    // Socket to talk to server
    let requester = ctx.socket(zmq::REQ)?;
    requester.connect(endpoint)?;

    for request_nbr in 0..10 {
        requester.send("Hello", 0)?;
        let string = requester.recv_msg(0)?;
        writeln!(
            out,
            "Received reply {request_nbr} [{}]",
            String::from_utf8_lossy(&string)
        )?;
    }
    Ok(())
}

fn main() {
    let ctx = zmq::Context::new();
    if let Err(error) = run(&ctx, "tcp://localhost:5559", &mut io::stdout()) {
        eprintln!("rrclient: {error}");
        process::exit(1);
    }
}
