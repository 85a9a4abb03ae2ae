//! libzmq's `perf/remote_thr`: a PUSH socket connects to `local_thr` and
//! sends `message-count` messages of `message-size` zero bytes, each a fresh
//! message, then closes with the default LINGER (-1), so everything queued
//! still goes out.
//!
//! Dropping the context waits until they are, as `zmq_ctx_term` does.
//!
//! ```text
//! cargo run --release --example remote_thr -- <connect-to> <message-size> <message-count>
//! cargo run --release --example remote_thr -- tcp://127.0.0.1:5555 64 1000000
//! ```

use std::process::ExitCode;

use zactor as zmq;

#[path = "perf/endpoint_args.rs"]
mod endpoint_args;

fn main() -> ExitCode {
    let Some((connect_to, size, count)) =
        endpoint_args::parse("remote_thr <connect-to> <message-size> <message-count>")
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
    let push = ctx.socket(zmq::PUSH)?;
    push.connect(connect_to)?;
    for _ in 0..count {
        push.send(zmq::Message::with_size(size), 0)?;
    }
    // libzmq's zmq_close then zmq_ctx_term: the close hands the queued
    // messages to the I/O thread, which flushes them (LINGER -1) before
    // the context, dropped last, stops it.
    drop(push);
    drop(ctx);
    Ok(())
}
