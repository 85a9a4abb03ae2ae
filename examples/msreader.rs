//! Reading from multiple sockets, the wrong way (the guide's msreader): a busy
//! loop over non-blocking receives, sleeping 1 ms when idle.
//!
//! It connects a PULL to the task ventilator on tcp://localhost:5557 and a SUB
//! to the weather server on tcp://localhost:5556 (filter "10001 "). The
//! guide's tcp endpoints work; `tests/guide_polling.rs` also runs the same
//! code over inproc, end to end.

use std::time::Duration;

use zactor as zmq;

/// What the loop has processed so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Processed {
    /// Tasks from the ventilator.
    pub tasks: usize,
    /// Weather updates.
    pub updates: usize,
}

/// The guide's loop: tasks first, then weather updates, then a 1 ms nap.
/// Returns when `done` says so (never, in `main`).
pub fn read_both(
    receiver: &zmq::Socket,
    subscriber: &zmq::Socket,
    mut done: impl FnMut(Processed) -> bool,
) -> zmq::Result<Processed> {
    let mut processed = Processed::default();
    while !done(processed) {
        // Process any waiting tasks
        loop {
            match receiver.recv_msg(zmq::DONTWAIT) {
                Ok(_task) => processed.tasks += 1, // process task
                Err(zmq::Error::EAGAIN) => break,
                Err(e) => return Err(e),
            }
        }
        // Process any waiting weather updates
        loop {
            match subscriber.recv_msg(zmq::DONTWAIT) {
                Ok(_update) => processed.updates += 1, // process weather update
                Err(zmq::Error::EAGAIN) => break,
                Err(e) => return Err(e),
            }
        }
        // No activity, so sleep for 1 msec
        std::thread::sleep(Duration::from_millis(1));
    }
    Ok(processed)
}

/// Connects the two sockets as the guide does.
pub fn connect(
    context: &zmq::Context,
    ventilator: &str,
    weather: &str,
) -> zmq::Result<(zmq::Socket, zmq::Socket)> {
    // Connect to task ventilator
    let receiver = context.socket(zmq::PULL)?;
    receiver.connect(ventilator)?;
    // Connect to weather server
    let subscriber = context.socket(zmq::SUB)?;
    subscriber.connect(weather)?;
    subscriber.set_subscribe(b"10001 ")?;
    Ok((receiver, subscriber))
}

#[allow(dead_code)]
fn main() -> zmq::Result<()> {
    let context = zmq::Context::new();
    let (receiver, subscriber) = connect(&context, "tcp://localhost:5557", "tcp://localhost:5556")?;
    read_both(&receiver, &subscriber, |_| false)?;
    Ok(())
}
