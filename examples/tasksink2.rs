//! Parallel task sink with kill signaling, the guide's `tasksink2` (chapter
//! 2): collects the batch's results (PULL bound on tcp://*:5558), printing
//! progress, prints the elapsed time, then broadcasts KILL to the workers (PUB
//! bound on tcp://*:5559).
//!
//! Run with `taskvent` and `taskwork2`. The guide's tcp endpoints work;
//! `tests/guide_examples.rs` also runs the same code over inproc, end to end.

use std::io::{self, Write};
use std::process;
use std::thread;
use std::time::{Duration, Instant};

use zactor as zmq;

/// Results in a batch (the ventilator's tasks).
pub const RESULTS: u32 = 100;

/// Collects one batch on `results_endpoint`, then sends KILL on
/// `control_endpoint` and waits `linger` before closing (the guide's "give
/// 0MQ time to deliver"; messages already in an inproc pipe are delivered
/// anyway). Writes progress and the elapsed time to `out`.
pub fn run(
    ctx: &zmq::Context,
    results_endpoint: &str,
    control_endpoint: &str,
    linger: Duration,
    out: &mut impl Write,
) -> io::Result<()> {
    // Socket to receive messages on
    let receiver = ctx.socket(zmq::PULL)?;
    receiver.bind(results_endpoint)?;

    // Socket for worker control
    let controller = ctx.socket(zmq::PUB)?;
    controller.bind(control_endpoint)?;

    // Wait for start of batch
    receiver.recv_msg(0)?;

    // Process 100 confirmations
    let tstart = Instant::now();
    for task_nbr in 0..RESULTS {
        receiver.recv_msg(0)?;
        write!(out, "{}", if task_nbr % 10 == 0 { ":" } else { "." })?;
        out.flush()?;
    }
    writeln!(out)?;
    writeln!(
        out,
        "Total elapsed time: {} msec",
        tstart.elapsed().as_millis()
    )?;

    // Send kill signal to workers
    controller.send("KILL", 0)?;

    // Finished
    thread::sleep(linger); // Give 0MQ time to deliver
    Ok(())
}

fn main() {
    let ctx = zmq::Context::new();
    let linger = Duration::from_secs(1);
    if let Err(error) = run(
        &ctx,
        "tcp://*:5558",
        "tcp://*:5559",
        linger,
        &mut io::stdout(),
    ) {
        eprintln!("tasksink2: {error}");
        process::exit(1);
    }
}
