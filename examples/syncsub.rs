//! Synchronized subscriber, the guide's `syncsub` (chapter 2): connects a
//! SUB socket to tcp://localhost:5561 subscribing to everything, waits for
//! the publisher's "Hello" (so its subscription has arrived there, see
//! `syncpub`), synchronises over REQ to tcp://localhost:5562, then counts
//! updates until "END" and prints "Received N updates".
//!
//! Usage: `syncsub [PUBLISHER SYNC]`, the endpoints to connect to (default
//! the guide's).

use std::io::{self, Write};
use std::process;

use zactor as zmq;

/// What `syncpub` says while subscribers synchronise (its `HELLO`).
const HELLO: &[u8] = b"Hello";

/// Subscribes to `publisher_endpoint`, synchronises with `sync_endpoint`
/// and counts the updates up to "END"; writes the guide's line to `out` and
/// returns the count.
pub fn run(
    ctx: &zmq::Context,
    publisher_endpoint: &str,
    sync_endpoint: &str,
    out: &mut impl Write,
) -> io::Result<u64> {
    // First, connect our subscriber socket; no limit, so nothing is dropped
    let subscriber = ctx.socket(zmq::SUB)?;
    subscriber.set_rcvhwm(0)?;
    subscriber.connect(publisher_endpoint)?;
    subscriber.set_subscribe(b"")?;

    // Our subscription is in place at the publisher once its Hello arrives
    subscriber.recv_msg(0)?;

    // Second, synchronize with publisher
    let syncclient = ctx.socket(zmq::REQ)?;
    syncclient.connect(sync_endpoint)?;

    // - send a synchronization request
    syncclient.send("", 0)?;

    // - wait for synchronization reply
    syncclient.recv_msg(0)?;

    // Third, get our updates and report how many we got; Hellos sent before
    // the last subscriber synchronised may still be ahead of them
    let mut update_nbr = 0;
    loop {
        let string = subscriber.recv_msg(0)?;
        if &string[..] == b"END" {
            break;
        }
        if &string[..] != HELLO {
            update_nbr += 1;
        }
    }
    writeln!(out, "Received {update_nbr} updates")?;
    Ok(update_nbr)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize, default: &str| args.get(i).cloned().unwrap_or_else(|| default.to_owned());
    let ctx = zmq::Context::new();
    let result = run(
        &ctx,
        &arg(0, "tcp://localhost:5561"),
        &arg(1, "tcp://localhost:5562"),
        &mut io::stdout(),
    );
    if let Err(error) = result {
        eprintln!("syncsub: {error}");
        process::exit(1);
    }
}
