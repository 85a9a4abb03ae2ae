//! libzmq's `perf/local_lat`: a REP socket binds and echoes
//! `roundtrip-count` messages of `message-size` bytes back to `remote_lat`,
//! which does the timing. Prints nothing, as libzmq's.
//!
//! ```text
//! cargo run --release --example local_lat -- <bind-to> <message-size> <roundtrip-count>
//! cargo run --release --example local_lat -- tcp://127.0.0.1:5555 1 100000
//! ```

use std::process::ExitCode;

use zactor as zmq;

#[path = "perf/endpoint_args.rs"]
mod endpoint_args;

fn main() -> ExitCode {
    let Some((bind_to, size, count)) =
        endpoint_args::parse("local_lat <bind-to> <message-size> <roundtrip-count>")
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

fn run(bind_to: &str, size: usize, count: usize) -> zmq::Result<()> {
    let ctx = zmq::Context::new();
    let rep = ctx.socket(zmq::REP)?;
    rep.bind(bind_to)?;
    let mut msg = zmq::Message::new();
    for _ in 0..count {
        rep.recv(&mut msg, 0)?;
        if msg.len() != size {
            println!("message of incorrect size received");
            return Err(zmq::Error::EPROTO);
        }
        rep.send(std::mem::take(&mut msg), 0)?;
    }
    // libzmq's local_lat sleeps a second here for the last reply to leave;
    // dropping the context waits for it instead (LINGER -1).
    Ok(())
}
