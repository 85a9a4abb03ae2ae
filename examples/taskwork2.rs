//! Parallel task worker with kill signaling, the guide's `taskwork2` (chapter
//! 2): takes tasks from the ventilator (PULL from tcp://localhost:5557),
//! "works" for each task's workload in ms, reports to the sink (PUSH to
//! tcp://localhost:5558), and stops when the sink broadcasts KILL (SUB to
//! tcp://localhost:5559). It polls both sockets.
//!
//! Run with `taskvent` and `tasksink2`. The guide's tcp endpoints work;
//! `tests/guide_examples.rs` also runs the same code over inproc, end to end.

use std::io::{self, Write};
use std::process;
use std::thread;
use std::time::Duration;

use zactor as zmq;

/// A worker's three sockets, connected.
pub struct Worker {
    receiver: zmq::Socket,
    sender: zmq::Socket,
    controller: zmq::Socket,
}

impl Worker {
    /// Connects to the ventilator (`tasks`), the sink (`results`) and the
    /// sink's kill signal (`control`), subscribed to everything on it.
    pub fn connect(
        ctx: &zmq::Context,
        tasks: &str,
        results: &str,
        control: &str,
    ) -> zmq::Result<Worker> {
        // Socket to receive messages on
        let receiver = ctx.socket(zmq::PULL)?;
        receiver.connect(tasks)?;

        // Socket to send messages to
        let sender = ctx.socket(zmq::PUSH)?;
        sender.connect(results)?;

        // Socket for control input
        let controller = ctx.socket(zmq::SUB)?;
        controller.connect(control)?;
        controller.set_subscribe(b"")?;

        Ok(Worker {
            receiver,
            sender,
            controller,
        })
    }

    /// Processes tasks until a KILL arrives; a workload of `n` takes `n`
    /// times `per_msec` (a millisecond in the guide). Echoes each task's
    /// workload to `out` as progress.
    pub fn run(&self, per_msec: Duration, out: &mut impl Write) -> io::Result<()> {
        // Process messages from either socket
        loop {
            let mut items = [
                self.receiver.as_poll_item(zmq::POLLIN),
                self.controller.as_poll_item(zmq::POLLIN),
            ];
            zmq::poll(&mut items, -1)?;
            if items[0].is_readable() {
                let message = self.receiver.recv_msg(0)?;
                let workload = String::from_utf8_lossy(&message).into_owned();
                // Simple progress indicator for the viewer
                writeln!(out, "{workload}")?;
                out.flush()?;

                // Do the work
                let msec: u32 = workload.trim().parse().unwrap_or(0);
                thread::sleep(per_msec * msec);

                // Send results to sink
                self.sender.send("", 0)?;
            }
            // Any waiting controller command acts as 'KILL'
            if items[1].is_readable() {
                return Ok(());
            }
        }
    }
}

fn main() {
    let ctx = zmq::Context::new();
    let result = Worker::connect(
        &ctx,
        "tcp://localhost:5557",
        "tcp://localhost:5558",
        "tcp://localhost:5559",
    )
    .map_err(io::Error::from)
    .and_then(|worker| worker.run(Duration::from_millis(1), &mut io::stdout()));
    if let Err(error) = result {
        eprintln!("taskwork2: {error}");
        process::exit(1);
    }
}
