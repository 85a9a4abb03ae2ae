//! Pub-sub envelope subscriber, the guide's `psenvsub` (chapter 2):
//! connects a SUB socket to tcp://localhost:5563, subscribes to the key "B"
//! and prints each message as "[B] contents". The filter takes or drops the
//! whole multipart message, envelope and content together.

use std::io::{self, Write};

use zactor as zmq;

/// Subscribes `subscriber` to "B" and prints `count` messages (forever with
/// `None`) to `out`.
pub fn run(subscriber: &zmq::Socket, count: Option<usize>, out: &mut impl Write) -> io::Result<()> {
    subscriber.set_subscribe(b"B")?;
    let mut received = 0;
    while count.map_or(true, |n| received < n) {
        // Read envelope with address
        let address = subscriber.recv_msg(0)?;
        // Read message contents
        let contents = subscriber.recv_msg(0)?;
        writeln!(
            out,
            "[{}] {}",
            String::from_utf8_lossy(&address),
            String::from_utf8_lossy(&contents)
        )?;
        received += 1;
    }
    Ok(())
}

#[allow(dead_code)]
fn main() -> io::Result<()> {
    // Prepare our context and subscriber
    let context = zmq::Context::new();
    let subscriber = context.socket(zmq::SUB)?;
    let endpoint = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "tcp://localhost:5563".into());
    subscriber.connect(&endpoint)?;
    run(&subscriber, None, &mut io::stdout())
}
