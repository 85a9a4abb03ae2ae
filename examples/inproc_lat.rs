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

/// Where the two threads run.
#[derive(Clone, Copy)]
enum Placement {
    Same,
    Split,
    Unpinned,
}

impl Placement {
    fn parse(arg: &str) -> Option<Placement> {
        match arg {
            "same" => Some(Placement::Same),
            "split" => Some(Placement::Split),
            "none" => Some(Placement::Unpinned),
            _ => None,
        }
    }

    /// Pins the calling thread: the client is the `leader`.
    fn pin(self, leader: bool) {
        let core = match self {
            Placement::Same => 0,
            Placement::Split if leader => 0,
            Placement::Split => 1,
            Placement::Unpinned => return,
        };
        if !core_affinity::set_for_current(core_affinity::CoreId { id: core }) {
            eprintln!("warning: could not pin a thread to core {core}");
        }
    }
}

fn usage() -> ExitCode {
    eprintln!("usage: inproc_lat [message-size] [roundtrip-count] [same|split|none]");
    ExitCode::FAILURE
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let size = match args.first().map(|a| a.parse::<usize>()) {
        None => 1,
        Some(Ok(size)) => size,
        Some(Err(_)) => return usage(),
    };
    let count = match args.get(1).map(|a| a.parse::<usize>()) {
        None => 100_000,
        Some(Ok(count)) if count >= 1 => count,
        Some(_) => return usage(),
    };
    let placement = match args.get(2).map(|a| Placement::parse(a)) {
        None => Placement::Split,
        Some(Some(placement)) => placement,
        Some(None) => return usage(),
    };
    match run(size, count, placement) {
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
