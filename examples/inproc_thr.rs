//! Throughput over inproc, libzmq's `local_thr` and `remote_thr` in one
//! process: a PUSH thread sends `count` messages of `size` bytes to a PULL
//! thread, which times them from the first to the last.
//!
//! ```text
//! cargo run --release --example inproc_thr -- [size] [count] [same|split|none]
//! cargo run --release --example inproc_thr -- 64 10000000 split
//! ```
//!
//! Defaults: 64 bytes, 1,000,000 messages, `split` (sender on core 0, receiver
//! on core 1; `same` puts both on core 0, `none` leaves them to the
//! scheduler). As in `remote_thr`, every message is a fresh `Message` of
//! `size` zero bytes: inline up to 77 bytes, a heap body (a `Vec` moved in)
//! above that.

use std::process::ExitCode;
use std::thread;
use std::time::Instant;

use zactor as zmq;

#[path = "perf/args.rs"]
mod args;

use args::Placement;

fn main() -> ExitCode {
    let Some((size, count, placement)) = args::parse(
        "inproc_thr [message-size] [message-count] [same|split|none]",
        64,
        1_000_000,
        2,
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

fn run(size: usize, count: u64, placement: Placement) -> zmq::Result<()> {
    let ctx = zmq::Context::new();
    let pull = ctx.socket(zmq::PULL)?;
    pull.bind("inproc://thr")?;
    let push = ctx.socket(zmq::PUSH)?;
    push.connect("inproc://thr")?;

    let sender = thread::spawn(move || -> zmq::Result<()> {
        placement.pin(true);
        for _ in 0..count {
            push.send(zmq::Message::with_size(size), 0)?;
        }
        Ok(())
    });

    placement.pin(false);
    let first = pull.recv_msg(0)?;
    if first.len() != size {
        eprintln!("message of incorrect size received");
        return Err(zmq::Error::EPROTO);
    }
    let start = Instant::now();
    for _ in 1..count {
        let msg = pull.recv_msg(0)?;
        if msg.len() != size {
            eprintln!("message of incorrect size received");
            return Err(zmq::Error::EPROTO);
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    sender.join().expect("sender panicked")?;

    // The clock starts at the first message, so `count - 1` arrive within it.
    let rate = (count - 1) as f64 / elapsed;
    println!("message size: {size} [B]");
    println!("message count: {count}");
    println!("mean throughput: {rate:.0} [msg/s]");
    println!("mean throughput: {:.3} [MB/s]", rate * size as f64 / 1e6);
    Ok(())
}
