//! Synchronized publisher, the guide's `syncpub` (chapter 2): binds a PUB
//! socket on tcp://*:5561 and a REP socket on tcp://*:5562, waits until ten
//! subscribers (`syncsub`) have synchronised, then publishes exactly
//! 1,000,000 updates ("Rhubarb") followed by "END".
//!
//! Usage: `syncpub [PUBLISHER SYNC [SUBSCRIBERS [UPDATES]]]`, the endpoints
//! to bind (default the guide's) and the counts (default 10 and 1,000,000).
//! `examples/syncpubsub.sh` is the guide's shell loop that starts ten
//! `syncsub`s and then this; `tests/guide_tcp_ch2.rs` runs that script.
//!
//! Two departures from the guide make "every update received" hold rather
//! than hold usually:
//!
//! - The guide's own "more robust model": the REQ/REP handshake alone does
//!   not prove that a subscriber's subscription has reached the publisher
//!   (over tcp the SUB and REQ connections complete in no particular order,
//!   and the guide's C version sleeps a second to paper over it). So while
//!   it waits for synchronisations the publisher sends "Hello" on the PUB
//!   socket every [`HELLO_INTERVAL_MS`], and a subscriber synchronises only
//!   once a Hello has reached it. A PUB sends only to peers whose
//!   subscription it holds, so a Hello received proves the subscription is
//!   in place, and every update after the synchronisation will be sent to
//!   that subscriber.
//! - High-water marks: a PUB drops what meets a full pipe, and the default
//!   SNDHWM (1,000) is far below a burst of a million, so the publisher's
//!   SNDHWM and the subscribers' RCVHWM are 0 (no limit), as the guide's
//!   section on high-water marks advises for data that must not be lost.

use std::io::{self, Write};
use std::process;

use zactor as zmq;

/// Subscribers the publisher waits for, the guide's `SUBSCRIBERS_EXPECTED`.
pub const SUBSCRIBERS_EXPECTED: usize = 10;

/// Updates published after the synchronisation.
pub const UPDATES: u64 = 1_000_000;

/// How often the publisher repeats "Hello" while subscribers synchronise.
pub const HELLO_INTERVAL_MS: i64 = 10;

/// What the publisher sends while it waits; subscribers skip it.
pub const HELLO: &str = "Hello";

/// Binds `publisher_endpoint` and `sync_endpoint`, waits for `subscribers`
/// synchronisation requests, then publishes `updates` updates and "END".
/// Writes a line to `out` once all subscribers are in.
pub fn run(
    ctx: &zmq::Context,
    publisher_endpoint: &str,
    sync_endpoint: &str,
    subscribers: usize,
    updates: u64,
    out: &mut impl Write,
) -> io::Result<()> {
    // Socket to talk to clients; no limit, so nothing is dropped
    let publisher = ctx.socket(zmq::PUB)?;
    publisher.set_sndhwm(0)?;
    publisher.set_linger(-1)?;
    publisher.bind(publisher_endpoint)?;

    // Socket to receive signals
    let syncservice = ctx.socket(zmq::REP)?;
    syncservice.bind(sync_endpoint)?;

    // Get synchronization from subscribers, saying Hello meanwhile
    let mut synchronised = 0;
    while synchronised < subscribers {
        if syncservice.poll(zmq::POLLIN, HELLO_INTERVAL_MS)? == 0 {
            publisher.send(HELLO, 0)?;
            continue;
        }
        // - wait for synchronization request
        syncservice.recv_msg(0)?;
        // - send synchronization reply
        syncservice.send("", 0)?;
        synchronised += 1;
    }
    writeln!(out, "{synchronised} subscribers synchronised")?;

    // Now broadcast exactly `updates` updates followed by END
    for _ in 0..updates {
        publisher.send("Rhubarb", 0)?;
    }
    publisher.send("END", 0)?;
    // Dropping the publisher lingers (LINGER -1) until all is sent: no
    // sleep needed, unlike 0MQ/2.0 in the guide.
    Ok(())
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize, default: &str| args.get(i).cloned().unwrap_or_else(|| default.to_owned());
    let count = |i: usize, default: u64| -> u64 {
        args.get(i).map_or(default, |s| {
            s.parse().unwrap_or_else(|_| {
                eprintln!("syncpub: not a count: {s}");
                process::exit(2)
            })
        })
    };
    let ctx = zmq::Context::new();
    let result = run(
        &ctx,
        &arg(0, "tcp://*:5561"),
        &arg(1, "tcp://*:5562"),
        count(2, SUBSCRIBERS_EXPECTED as u64) as usize,
        count(3, UPDATES),
        &mut io::sink(),
    );
    if let Err(error) = result {
        eprintln!("syncpub: {error}");
        process::exit(1);
    }
}
