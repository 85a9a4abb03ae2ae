//! Weather update proxy, the guide's `wuproxy` (chapter 2): subscribes to
//! everything from the weather server (tcp://192.168.55.210:5556, the internal
//! network) and republishes it on tcp://10.1.1.0:8100 (the external one),
//! frame by frame with `SNDMORE` kept, so it is multipart safe.
//!
//! This is the chapter's SUB/PUB device, which subscribes to everything
//! upstream. The built-in FORWARDER, `zmq::device::forwarder` over XSUB/XPUB,
//! carries subscribers' subscriptions upstream instead.
//!
//! Usage: `wuproxy [WEATHER_SERVER [PUBLIC]]` (default the guide's
//! addresses). `tests/guide_tcp_ch2.rs` runs it over tcp with the weather
//! server's address given; `tests/guide_examples.rs` over inproc.

use std::process;

use zactor as zmq;

/// Relays updates from the publisher at `frontend_endpoint` to subscribers
/// of `backend_endpoint` until the context is terminated (`ETERM`).
pub fn run(ctx: &zmq::Context, frontend_endpoint: &str, backend_endpoint: &str) -> zmq::Result<()> {
    // This is where the weather server sits
    let frontend = ctx.socket(zmq::SUB)?;
    frontend.connect(frontend_endpoint)?;

    // This is our public endpoint for subscribers
    let backend = ctx.socket(zmq::PUB)?;
    backend.bind(backend_endpoint)?;

    // Subscribe on everything
    frontend.set_subscribe(b"")?;

    // Shunt messages out to our own subscribers
    loop {
        loop {
            // Process all parts of the message
            let message = frontend.recv_msg(0)?;
            let more = frontend.get_rcvmore()?;
            backend.send(message, if more { zmq::SNDMORE } else { 0 })?;
            if !more {
                break; // Last message part
            }
        }
    }
}

fn main() {
    // The weather server's address and our public endpoint may be given as
    // arguments (the guide's addresses are another network's).
    let args: Vec<String> = std::env::args().skip(1).collect();
    let frontend = args
        .first()
        .map_or("tcp://192.168.55.210:5556", String::as_str);
    let backend = args.get(1).map_or("tcp://10.1.1.0:8100", String::as_str);
    let ctx = zmq::Context::new();
    if let Err(error) = run(&ctx, frontend, backend) {
        eprintln!("wuproxy: {error}");
        process::exit(1);
    }
}
