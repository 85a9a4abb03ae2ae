//! Leak check: creates and destroys contexts, sockets and pipes in a loop,
//! every socket type, with messages left in flight, so CI can run it under
//! valgrind and fail on any leak.
//!
//! `cargo run --release --example leakcheck [rounds]`

use zactor as zmq;

fn round(n: usize) -> zmq::Result<()> {
    let ctx = zmq::Context::new();
    let pairs = [
        (zmq::PAIR, zmq::PAIR),
        (zmq::PUSH, zmq::PULL),
        (zmq::PUB, zmq::SUB),
        (zmq::XPUB, zmq::XSUB),
        (zmq::REQ, zmq::REP),
        (zmq::DEALER, zmq::ROUTER),
        (zmq::DEALER, zmq::DEALER),
    ];
    let mut keep = Vec::new();
    for (i, (a_type, b_type)) in pairs.into_iter().enumerate() {
        let endpoint = format!("inproc://leak-{n}-{i}");
        let a = ctx.socket(a_type)?;
        let b = ctx.socket(b_type)?;
        if i % 2 == 0 {
            a.bind(&endpoint)?;
            b.connect(&endpoint)?;
        } else {
            // Connect before bind: the pipe waits in the context first.
            b.connect(&endpoint)?;
            a.bind(&endpoint)?;
        }
        if b_type == zmq::SUB {
            b.set_subscribe(b"")?;
        }
        // Messages in flight: small (inline), large (heap) and multipart.
        let big = vec![7u8; 100_000];
        let _ = a.send("small", zmq::DONTWAIT);
        let _ = a.send(big.clone(), zmq::DONTWAIT);
        let _ = a.send_multipart(["one", "two", "three"], zmq::DONTWAIT);
        if i % 3 == 0 {
            // Read some of them so both directions of every pipe are used.
            let _ = b.recv_msg(zmq::DONTWAIT);
        }
        keep.push((a, b));
    }
    // A fan-out: each frame a PUB sends is shared by its three inproc
    // subscribers' pipes; some read, the rest left in flight.
    let publisher = ctx.socket(zmq::PUB)?;
    publisher.bind(&format!("inproc://leak-fan-{n}"))?;
    let mut subscribers = Vec::new();
    for _ in 0..3 {
        let sub = ctx.socket(zmq::SUB)?;
        sub.set_subscribe(b"")?;
        sub.connect(&format!("inproc://leak-fan-{n}"))?;
        subscribers.push(sub);
    }
    for _ in 0..3 {
        publisher.send("small", zmq::DONTWAIT)?;
        publisher.send(vec![9u8; 10_000], zmq::DONTWAIT)?;
        publisher.send_multipart(["one", "two"], zmq::DONTWAIT)?;
    }
    let _ = subscribers[0].recv_msg(zmq::DONTWAIT);
    drop(subscribers.pop());
    keep.push((publisher, subscribers.remove(0)));
    // Two sockets connected to each other's binds, closed before either
    // processed the other's connection (their mailboxes refer to each other).
    let left = ctx.socket(zmq::DEALER)?;
    let right = ctx.socket(zmq::DEALER)?;
    left.bind(&format!("inproc://leak-left-{n}"))?;
    right.bind(&format!("inproc://leak-right-{n}"))?;
    left.connect(&format!("inproc://leak-right-{n}"))?;
    right.connect(&format!("inproc://leak-left-{n}"))?;
    drop((left, right));
    // A pending connection nobody ever binds.
    let lonely = ctx.socket(zmq::PUSH)?;
    lonely.connect(&format!("inproc://leak-nobody-{n}"))?;
    let _ = lonely.send("never delivered", zmq::DONTWAIT);
    drop(lonely);
    // Close half the sockets before the context, the rest with it.
    keep.truncate(3);
    drop(keep);
    drop(ctx);
    Ok(())
}

fn main() -> zmq::Result<()> {
    let rounds = std::env::args()
        .nth(1)
        .and_then(|arg| arg.parse().ok())
        .unwrap_or(50);
    for n in 0..rounds {
        round(n)?;
    }
    println!("leakcheck: {rounds} rounds done");
    Ok(())
}
