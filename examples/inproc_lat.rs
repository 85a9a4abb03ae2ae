//! Round-trip latency over inproc, libzmq's `local_lat` and `remote_lat` in
//! one process: a PAIR thread sends a message of `size` bytes, an echo thread
//! sends it back, `count` times.
//!
//! ```text
//! cargo run --release --example inproc_lat -- [size] [roundtrip-count] [same|split|none]
//! cargo run --release --example inproc_lat -- 1 100000 split
//! ```
//!
//! Defaults: 1 byte, 100,000 round trips, `split` (client on core 0, echo on
//! core 1; `same` puts both on core 0, `none` leaves them to the scheduler).
//! Prints the mean and median round trip in microseconds. libzmq's
//! `local_lat` prints half the mean (its "average latency" is one way).

use std::process::ExitCode;
use std::thread;
use std::time::{Duration, Instant};

use zactor as zmq;

#[path = "perf/args.rs"]
mod args;

use args::Placement;

fn main() -> ExitCode {
    let Some((size, count, placement)) = args::parse(
        "inproc_lat [message-size] [roundtrip-count] [same|split|none]",
        1,
        100_000,
        1,
    ) else {
        return ExitCode::FAILURE;
    };
    match run(size, count as _, placement) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(size: usize, count: usize, placement: Placement) -> zmq::Result<()> {
    let ctx = zmq::Context::new();
    let echo = ctx.socket(zmq::PAIR)?;
    echo.bind("inproc://lat")?;
    let client = ctx.socket(zmq::PAIR)?;
    client.connect("inproc://lat")?;

    let echo = thread::spawn(move || -> zmq::Result<()> {
        placement.pin(false);
        for _ in 0..count {
            let msg = echo.recv_msg(0)?;
            echo.send(msg, 0)?;
        }
        Ok(())
    });

    placement.pin(true);
    let body = vec![0u8; size];
    let mut trips = Vec::with_capacity(count);
    let start = Instant::now();
    for _ in 0..count {
        let sent = Instant::now();
        client.send(&body[..], 0)?;
        let msg = client.recv_msg(0)?;
        trips.push(sent.elapsed());
        if msg.len() != size {
            eprintln!("message of incorrect size received");
            return Err(zmq::Error::EPROTO);
        }
    }
    let elapsed = start.elapsed();
    echo.join().expect("echo panicked")?;

    trips.sort_unstable();
    let micros = |d: Duration| d.as_secs_f64() * 1e6;
    println!("message size: {size} [B]");
    println!("roundtrip count: {count}");
    println!(
        "mean round trip: {:.3} [us]",
        micros(elapsed) / count as f64
    );
    println!("median round trip: {:.3} [us]", micros(trips[count / 2]));
    println!(
        "99th percentile: {:.3} [us]",
        micros(trips[count * 99 / 100])
    );
    Ok(())
}
