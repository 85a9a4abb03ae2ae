//! Hello World server, the guide's `hwserver` (chapter 1): binds a REP
//! socket to tcp://*:5555, prints each request, works for a second, and
//! replies "World". `tests/guide_tcp.rs` runs it over tcp on a free port.

use std::io::{self, Write};
use std::time::Duration;

use zactor as zmq;

/// Serves `requests` requests (forever with `None`) on `responder`,
/// "working" `work` for each; writes what the guide prints to `out`.
pub fn serve(
    responder: &zmq::Socket,
    work: Duration,
    requests: Option<usize>,
    out: &mut impl Write,
) -> io::Result<()> {
    let mut served = 0;
    while requests.map_or(true, |n| served < n) {
        let request = responder.recv_msg(0)?;
        writeln!(out, "Received {}", String::from_utf8_lossy(&request))?;
        // Do some 'work'
        std::thread::sleep(work);
        // Send reply back to client
        responder.send("World", 0)?;
        served += 1;
    }
    Ok(())
}

#[allow(dead_code)]
fn main() -> io::Result<()> {
    // Socket to talk to clients
    let context = zmq::Context::new();
    let responder = context.socket(zmq::REP)?;
    responder.bind("tcp://*:5555")?;
    serve(&responder, Duration::from_secs(1), None, &mut io::stdout())
}
