//! A short tour of the guide's patterns over inproc, printing what happens.
//!
//! `cargo run --release --example tour`

use std::thread;

use zactor as zmq;

fn pair_relay(ctx: &zmq::Context) -> zmq::Result<()> {
    println!("== PAIR relay (the guide's mtrelay): three steps, one signal each");
    let step3 = ctx.socket(zmq::PAIR)?;
    step3.bind("inproc://tour-step3")?;
    let step2 = {
        let ctx = ctx.clone();
        thread::spawn(move || -> zmq::Result<()> {
            let from_step1 = ctx.socket(zmq::PAIR)?;
            from_step1.bind("inproc://tour-step2")?;
            let step1 = {
                let ctx = ctx.clone();
                thread::spawn(move || -> zmq::Result<()> {
                    let to_step2 = ctx.socket(zmq::PAIR)?;
                    to_step2.connect("inproc://tour-step2")?;
                    println!("  step 1 ready, signalling step 2");
                    to_step2.send("READY", 0)
                })
            };
            from_step1.recv_msg(0)?;
            step1.join().expect("step 1 panicked")?;
            let to_step3 = ctx.socket(zmq::PAIR)?;
            to_step3.connect("inproc://tour-step3")?;
            println!("  step 2 ready, signalling step 3");
            to_step3.send("READY", 0)
        })
    };
    step3.recv_msg(0)?;
    step2.join().expect("step 2 panicked")?;
    println!("  Test successful!");
    Ok(())
}

fn pipeline(ctx: &zmq::Context) -> zmq::Result<()> {
    println!("== PUSH/PULL pipeline: a ventilator, 3 workers, a sink");
    let ventilator = ctx.socket(zmq::PUSH)?;
    ventilator.bind("inproc://tour-tasks")?;
    let sink = ctx.socket(zmq::PULL)?;
    sink.bind("inproc://tour-results")?;
    let workers: Vec<_> = (0..3)
        .map(|id| {
            let ctx = ctx.clone();
            thread::spawn(move || -> zmq::Result<()> {
                let tasks = ctx.socket(zmq::PULL)?;
                tasks.connect("inproc://tour-tasks")?;
                let results = ctx.socket(zmq::PUSH)?;
                results.connect("inproc://tour-results")?;
                // Tell the sink we are connected, so the ventilator does not
                // hand every task to the first worker (the slow joiner).
                results.send("READY", 0)?;
                loop {
                    let task = tasks.recv_string(0)?.unwrap_or_default();
                    if task == "END" {
                        return Ok(());
                    }
                    let n: u64 = task.parse().unwrap_or(0);
                    results.send(format!("worker {id}: {n}² = {}", n * n).as_str(), 0)?;
                }
            })
        })
        .collect();
    for _ in &workers {
        sink.recv_msg(0)?; // READY
    }
    for n in 1..=6u64 {
        ventilator.send(n.to_string().as_str(), 0)?;
    }
    for _ in 1..=6 {
        println!("  {}", sink.recv_string(0)?.unwrap_or_default());
    }
    for _ in &workers {
        ventilator.send("END", 0)?;
    }
    for worker in workers {
        worker.join().expect("worker panicked")?;
    }
    Ok(())
}

fn pubsub_envelope(ctx: &zmq::Context) -> zmq::Result<()> {
    println!("== PUB/SUB with an envelope (the guide's psenvpub/psenvsub)");
    let publisher = ctx.socket(zmq::PUB)?;
    publisher.bind("inproc://tour-news")?;
    let subscriber = ctx.socket(zmq::SUB)?;
    subscriber.connect("inproc://tour-news")?;
    subscriber.set_subscribe(b"B")?;
    subscriber.set_rcvtimeo(5)?;
    // Subscriptions travel upstream asynchronously: publish until one lands.
    loop {
        publisher.send_multipart(["B", "hello?"], 0)?;
        match subscriber.recv_multipart(0) {
            Ok(_) => break,
            Err(zmq::Error::EAGAIN) => continue,
            Err(e) => return Err(e),
        }
    }
    subscriber.set_rcvtimeo(-1)?;
    publisher.send_multipart(["A", "We don't want to see this"], 0)?;
    publisher.send_multipart(["B", "We would like to see this"], 0)?;
    let parts = subscriber.recv_multipart(0)?;
    println!(
        "  [{}] {}",
        String::from_utf8_lossy(&parts[0]),
        String::from_utf8_lossy(&parts[1])
    );
    Ok(())
}

fn broker(ctx: &zmq::Context) -> zmq::Result<()> {
    println!("== REQ -> ROUTER | DEALER -> REP through a broker thread");
    let frontend = ctx.socket(zmq::ROUTER)?;
    frontend.bind("inproc://tour-frontend")?;
    let backend = ctx.socket(zmq::DEALER)?;
    backend.bind("inproc://tour-backend")?;
    let worker = {
        let ctx = ctx.clone();
        thread::spawn(move || -> zmq::Result<()> {
            let rep = ctx.socket(zmq::REP)?;
            rep.connect("inproc://tour-backend")?;
            for _ in 0..3 {
                let request = rep.recv_string(0)?.unwrap_or_default();
                rep.send(format!("World (to {request})").as_str(), 0)?;
            }
            Ok(())
        })
    };
    let broker = thread::spawn(move || -> zmq::Result<()> {
        // Forward three requests and three replies, envelopes and all.
        for _ in 0..3 {
            let request = frontend.recv_multipart(0)?;
            println!("  broker: request envelope has {} frames", request.len());
            backend.send_multipart(request, 0)?;
            let reply = backend.recv_multipart(0)?;
            frontend.send_multipart(reply, 0)?;
        }
        Ok(())
    });
    let client = ctx.socket(zmq::REQ)?;
    client.connect("inproc://tour-frontend")?;
    for n in 0..3 {
        client.send(format!("Hello {n}").as_str(), 0)?;
        println!(
            "  client got: {}",
            client.recv_string(0)?.unwrap_or_default()
        );
    }
    broker.join().expect("broker panicked")?;
    worker.join().expect("worker panicked")?;
    Ok(())
}

fn slow_subscriber(ctx: &zmq::Context) -> zmq::Result<()> {
    println!("== HWM: a publisher never blocks; a slow subscriber loses messages");
    let publisher = ctx.socket(zmq::PUB)?;
    publisher.set_sndhwm(100)?;
    publisher.bind("inproc://tour-firehose")?;
    let subscriber = ctx.socket(zmq::SUB)?;
    subscriber.set_rcvhwm(100)?;
    subscriber.connect("inproc://tour-firehose")?;
    subscriber.set_subscribe(b"")?;
    subscriber.set_rcvtimeo(5)?;
    loop {
        publisher.send("probe", 0)?;
        if subscriber.recv_msg(0).is_ok() {
            break;
        }
    }
    while subscriber.recv_msg(zmq::DONTWAIT).is_ok() {}
    let sent = 10_000;
    for n in 0..sent {
        publisher.send(format!("update {n}").as_str(), 0)?;
    }
    let mut received = 0;
    while subscriber.recv_msg(zmq::DONTWAIT).is_ok() {
        received += 1;
    }
    println!(
        "  published {sent} while the subscriber slept: it got {received} (at most SNDHWM + RCVHWM = 200), the rest were dropped"
    );
    Ok(())
}

fn main() -> zmq::Result<()> {
    let ctx = zmq::Context::new();
    pair_relay(&ctx)?;
    pipeline(&ctx)?;
    pubsub_envelope(&ctx)?;
    broker(&ctx)?;
    slow_subscriber(&ctx)?;
    println!("== done");
    Ok(())
}
