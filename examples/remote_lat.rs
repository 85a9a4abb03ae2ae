//! libzmq's `perf/remote_lat`: a REQ socket connects to `local_lat`, sends
//! `roundtrip-count` requests of `message-size` zero bytes, each after the
//! previous reply, and prints the average one-way latency: the elapsed
//! time over twice the round trips, as libzmq's.
//!
//! ```text
//! cargo run --release --example remote_lat -- <connect-to> <message-size> <roundtrip-count>
//! cargo run --release --example remote_lat -- tcp://127.0.0.1:5555 1 100000
//! ```

use std::process::ExitCode;
use std::time::Instant;

use zactor as zmq;

#[path = "perf/endpoint_args.rs"]
mod endpoint_args;

fn main() -> ExitCode {
    let Some((connect_to, size, count)) =
        endpoint_args::parse("remote_lat <connect-to> <message-size> <roundtrip-count>")
    else {
        return ExitCode::FAILURE;
    };
    match run(&connect_to, size, count) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(connect_to: &str, size: usize, count: usize) -> zmq::Result<()> {
    let ctx = zmq::Context::new();
    let req = ctx.socket(zmq::REQ)?;
    req.connect(connect_to)?;
    // As libzmq, the one message goes out and comes back each time.
    let mut msg = zmq::Message::with_size(size);
    let start = Instant::now();
    for _ in 0..count {
        req.send(std::mem::take(&mut msg), 0)?;
        req.recv(&mut msg, 0)?;
        if msg.len() != size {
            println!("message of incorrect size received");
            return Err(zmq::Error::EPROTO);
        }
    }
    let elapsed_us = start.elapsed().as_micros() as f64;

    let latency = elapsed_us / (count as f64 * 2.0);
    println!("message size: {size} [B]");
    println!("roundtrip count: {count}");
    println!("average latency: {latency:.3} [us]");
    Ok(())
}
