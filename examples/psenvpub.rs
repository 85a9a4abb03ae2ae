//! Pub-sub envelope publisher, the guide's `psenvpub` (chapter 2): binds a
//! PUB socket on tcp://*:5563 and, once a second, publishes two messages,
//! each an envelope frame ("A" or "B", the subscription key) and a content
//! frame. `psenvsub` wants only B. `tests/guide_tcp_ch2.rs` runs both over
//! tcp on a free port.

use std::io;
use std::thread;
use std::time::Duration;

use zactor as zmq;

/// Publishes the A and B messages on `publisher` while `more()` says so,
/// pausing `interval` after each pair (the guide's one second).
pub fn publish(
    publisher: &zmq::Socket,
    interval: Duration,
    mut more: impl FnMut() -> bool,
) -> io::Result<()> {
    while more() {
        // Write two messages, each with an envelope and content
        publisher.send("A", zmq::SNDMORE)?;
        publisher.send("We don't want to see this", 0)?;
        publisher.send("B", zmq::SNDMORE)?;
        publisher.send("We would like to see this", 0)?;
        thread::sleep(interval);
    }
    Ok(())
}

#[allow(dead_code)]
fn main() -> io::Result<()> {
    // Prepare our context and publisher
    let context = zmq::Context::new();
    let publisher = context.socket(zmq::PUB)?;
    let endpoint = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "tcp://*:5563".into());
    publisher.bind(&endpoint)?;
    // We never get past this but by an error
    publish(&publisher, Duration::from_secs(1), || true)
}
