//! Reading from multiple sockets, the right way (the guide's mspoller): one
//! `zmq::poll` over both sockets.
//!
//! It connects a PULL to the task ventilator on tcp://localhost:5557 and a SUB
//! to the weather server on tcp://localhost:5556 (filter "10001 "). The
//! guide's tcp endpoints work; `tests/guide_polling.rs` also runs the same
//! code over inproc, end to end.

use zactor as zmq;

/// What the loop has processed so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Processed {
    /// Tasks from the ventilator.
    pub tasks: usize,
    /// Weather updates.
    pub updates: usize,
}

/// The guide's loop: poll both sockets, take one message from each ready
/// one. Returns when `done` says so (never, in `main`).
pub fn poll_both(
    receiver: &zmq::Socket,
    subscriber: &zmq::Socket,
    mut done: impl FnMut(Processed) -> bool,
) -> zmq::Result<Processed> {
    let mut processed = Processed::default();
    // Process messages from both sockets
    while !done(processed) {
        let mut items = [
            receiver.as_poll_item(zmq::POLLIN),
            subscriber.as_poll_item(zmq::POLLIN),
        ];
        zmq::poll(&mut items, -1)?;
        if items[0].is_readable() {
            let _task = receiver.recv_msg(0)?;
            processed.tasks += 1; // Process task
        }
        if items[1].is_readable() {
            let _update = subscriber.recv_msg(0)?;
            processed.updates += 1; // Process weather update
        }
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
    poll_both(&receiver, &subscriber, |_| false)?;
    // We never get here
    Ok(())
}
