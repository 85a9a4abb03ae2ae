//! Multithreaded relay, the guide's `mtrelay` (chapter 2): three threads
//! signal each other in turn over PAIR sockets on inproc. Each parent binds
//! before it starts its child, which connects and signals when ready.
//!
//! `cargo run --example mtrelay` prints "Test successful!".

use std::io::{self, Write};
use std::process;
use std::thread;

use zactor as zmq;

fn step1(ctx: &zmq::Context, step2_endpoint: &str) -> zmq::Result<()> {
    // Connect to step2 and tell it we're ready
    let xmitter = ctx.socket(zmq::PAIR)?;
    xmitter.connect(step2_endpoint)?;
    xmitter.send("READY", 0)
}

fn step2(ctx: &zmq::Context, step2_endpoint: &str, step3_endpoint: &str) -> io::Result<()> {
    // Bind inproc socket before starting step1
    let receiver = ctx.socket(zmq::PAIR)?;
    receiver.bind(step2_endpoint)?;
    let step1 = {
        let (ctx, endpoint) = (ctx.clone(), step2_endpoint.to_owned());
        thread::spawn(move || step1(&ctx, &endpoint))
    };

    // Wait for signal and pass it on
    receiver.recv_msg(0)?;
    step1
        .join()
        .map_err(|_| io::Error::other("step 1 panicked"))??;

    // Connect to step3 and tell it we're ready
    let xmitter = ctx.socket(zmq::PAIR)?;
    xmitter.connect(step3_endpoint)?;
    xmitter.send("READY", 0)?;
    Ok(())
}

/// Runs the relay over `step2_endpoint` and `step3_endpoint` (inproc) and
/// writes the result to `out`.
pub fn run(
    ctx: &zmq::Context,
    step2_endpoint: &str,
    step3_endpoint: &str,
    out: &mut impl Write,
) -> io::Result<()> {
    // Bind inproc socket before starting step2
    let receiver = ctx.socket(zmq::PAIR)?;
    receiver.bind(step3_endpoint)?;
    let step2 = {
        let ctx = ctx.clone();
        let (step2_endpoint, step3_endpoint) =
            (step2_endpoint.to_owned(), step3_endpoint.to_owned());
        thread::spawn(move || step2(&ctx, &step2_endpoint, &step3_endpoint))
    };

    // Wait for signal
    receiver.recv_msg(0)?;
    step2
        .join()
        .map_err(|_| io::Error::other("step 2 panicked"))??;

    writeln!(out, "Test successful!")
}

fn main() {
    let ctx = zmq::Context::new();
    if let Err(error) = run(&ctx, "inproc://step2", "inproc://step3", &mut io::stdout()) {
        eprintln!("mtrelay: {error}");
        process::exit(1);
    }
}
