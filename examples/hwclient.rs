//! Hello World client, the guide's `hwclient` (chapter 1): connects a REQ
//! socket to tcp://localhost:5555, sends "Hello" ten times and prints each
//! reply. `tests/guide_tcp.rs` runs it over tcp on a free port.

use std::io::{self, Write};

use zactor as zmq;

/// Sends ten requests through `requester`, printing as the guide does.
pub fn run(requester: &zmq::Socket, out: &mut impl Write) -> io::Result<()> {
    for request_nbr in 0..10 {
        writeln!(out, "Sending Hello {request_nbr}…")?;
        requester.send("Hello", 0)?;
        let reply = requester.recv_msg(0)?;
        writeln!(
            out,
            "Received {} {request_nbr}",
            String::from_utf8_lossy(&reply)
        )?;
    }
    Ok(())
}

#[allow(dead_code)]
fn main() -> io::Result<()> {
    let context = zmq::Context::new();
    // Socket to talk to server
    println!("Connecting to hello world server…");
    let requester = context.socket(zmq::REQ)?;
    requester.connect("tcp://localhost:5555")?;
    run(&requester, &mut io::stdout())
}
