//! libzmq's `perf/local_thr`: a PULL socket binds, receives `message-count`
//! messages of `message-size` bytes from `remote_thr` and prints the mean
//! throughput, timed from the first message to the last.
//!
//! ```text
//! cargo run --release --example local_thr -- <bind-to> <message-size> <message-count>
//! cargo run --release --example local_thr -- tcp://127.0.0.1:5555 64 1000000
//! ```
//!
//! Same command line, output and arithmetic as libzmq's, so either side can
//! be libzmq's binary: `message count / elapsed` (the clock starts after the
//! first message, as libzmq's does), megabits as `msg/s × size × 8 / 10⁶`.

use std::process::ExitCode;
use std::time::Instant;

use zactor as zmq;

#[path = "perf/endpoint_args.rs"]
mod endpoint_args;

fn main() -> ExitCode {
    let Some((bind_to, size, count)) =
        endpoint_args::parse("local_thr <bind-to> <message-size> <message-count>")
    else {
        return ExitCode::FAILURE;
    };
    match run(&bind_to, size, count) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// A message whose size is not the one announced: libzmq's words.
fn check_size(msg: &zmq::Message, size: usize) -> zmq::Result<()> {
    if msg.len() == size {
        Ok(())
    } else {
        println!("message of incorrect size received");
        Err(zmq::Error::EPROTO)
    }
}

fn run(bind_to: &str, size: usize, count: usize) -> zmq::Result<()> {
    let ctx = zmq::Context::new();
    let pull = ctx.socket(zmq::PULL)?;
    pull.bind(bind_to)?;

    let mut msg = zmq::Message::new();
    pull.recv(&mut msg, 0)?;
    check_size(&msg, size)?;
    let start = Instant::now();
    for _ in 1..count {
        pull.recv(&mut msg, 0)?;
        check_size(&msg, size)?;
    }
    // libzmq's stopwatch counts whole microseconds, at least one.
    let elapsed_us = (start.elapsed().as_micros() as f64).max(1.0);

    let throughput = count as f64 / elapsed_us * 1e6;
    let megabits = throughput * size as f64 * 8.0 / 1e6;
    println!("message size: {size} [B]");
    println!("message count: {count}");
    println!("mean throughput: {} [msg/s]", throughput as u64);
    println!("mean throughput: {megabits:.3} [Mb/s]");
    Ok(())
}
