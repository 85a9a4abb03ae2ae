// The workloads written once against the zmq 0.10 API, which zactor shares:
// `main.rs` includes this file twice, in a module where `zmq` is zactor and in
// one where it is the zmq crate (libzmq), so both sides run the same code and
// send the same way.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use super::{
    fan_out_kind, fan_out_msg, pin, time_round_trips, unique_endpoint, Body, FanOut, Placement, RoundTrips, END,
    PING, PROBE, STOP,
};

fn socket(ctx: &zmq::Context, kind: zmq::SocketType) -> zmq::Socket {
    let socket = ctx.socket(kind).expect("socket");
    // libzmq's default linger is forever; nothing here must wait at close.
    socket.set_linger(0).expect("linger");
    socket
}

/// PUSH→PULL: `count` messages; returns messages/s as the receiver saw them,
/// from its first message to its last (libzmq's `local_thr`).
pub fn push_pull(body: Body, count: u64, placement: Placement) -> f64 {
    let ctx = zmq::Context::new();
    let addr = unique_endpoint("push-pull");
    let pull = socket(&ctx, zmq::PULL);
    pull.bind(&addr).expect("bind");
    let push = socket(&ctx, zmq::PUSH);
    push.connect(&addr).expect("connect");
    let start = Arc::new(Barrier::new(2));
    let receiver = {
        let start = start.clone();
        thread::spawn(move || {
            pin(placement.core(false));
            start.wait();
            pull.recv_msg(0).expect("recv");
            let first = Instant::now();
            for _ in 1..count {
                pull.recv_msg(0).expect("recv");
            }
            (count - 1) as f64 / first.elapsed().as_secs_f64()
        })
    };
    let sender = thread::spawn(move || {
        pin(placement.core(true));
        start.wait();
        match body {
            Body::Small(size) => {
                let body = vec![0u8; size];
                for _ in 0..count {
                    push.send(&body[..], 0).expect("send");
                }
            }
            Body::Moved(size) => {
                for _ in 0..count {
                    push.send(vec![0u8; size], 0).expect("send");
                }
            }
        }
    });
    let rate = receiver.join().expect("receiver");
    sender.join().expect("sender");
    rate
}

/// PAIR round trips of one byte for `duration`; every one timed.
pub fn pair_round_trip(duration: Duration, placement: Placement) -> RoundTrips {
    let ctx = zmq::Context::new();
    let addr = unique_endpoint("pair");
    let echo_socket = socket(&ctx, zmq::PAIR);
    echo_socket.bind(&addr).expect("bind");
    let client = socket(&ctx, zmq::PAIR);
    client.connect(&addr).expect("connect");
    let echo = thread::spawn(move || {
        pin(placement.core(false));
        loop {
            let msg = echo_socket.recv_msg(0).expect("recv");
            let stop = msg[0] == STOP;
            echo_socket.send(msg, 0).expect("send");
            if stop {
                return;
            }
        }
    });
    let timed = thread::spawn(move || {
        pin(placement.core(true));
        let samples = time_round_trips(duration, || {
            client.send(&[PING][..], 0).expect("send");
            client.recv_msg(0).expect("recv");
        });
        client.send(&[STOP][..], 0).expect("send");
        client.recv_msg(0).expect("recv");
        samples
    });
    echo.join().expect("echo");
    timed.join().expect("client")
}

/// PUB→`subscribers` SUBs, a thread each, 64-byte messages at the default
/// HWM, published for `window`. See [`FanOut`] for what is measured.
pub fn fan_out(subscribers: usize, window: Duration, placement: Placement) -> FanOut {
    let ctx = zmq::Context::new();
    let addr = unique_endpoint("fan-out");
    let publisher = socket(&ctx, zmq::PUB);
    publisher.bind(&addr).expect("bind");
    // How many subscribers have passed the handshake, then how many the end.
    let heard = Arc::new(AtomicUsize::new(0));
    let subs: Vec<_> = (0..subscribers)
        .map(|_| {
            let sub = socket(&ctx, zmq::SUB);
            sub.set_subscribe(b"").expect("subscribe");
            sub.connect(&addr).expect("connect");
            let heard = heard.clone();
            thread::spawn(move || {
                pin(placement.core(false));
                let mut want = PROBE;
                let mut delivered = 0u64;
                loop {
                    let msg = sub.recv_msg(0).expect("recv");
                    match fan_out_kind(&msg[..]) {
                        super::DATA => {
                            delivered += 1;
                        }
                        kind if kind == want => {
                            heard.fetch_add(1, Ordering::Release);
                            if want == END {
                                // END follows the data in the pipe: this is
                                // when this subscriber's last delivery landed
                                // (a clock read per message would cost more
                                // than some deliveries).
                                return (delivered, Instant::now());
                            }
                            want = END;
                        }
                        _ => {}
                    }
                }
            })
        })
        .collect();
    let publisher = thread::spawn(move || {
        pin(placement.core(true));
        // Until every subscription has arrived, messages are not delivered:
        // probe (slowly, so unread probes do not fill the pipes) until every
        // subscriber has heard one.
        let probe = fan_out_msg(PROBE);
        while heard.load(Ordering::Acquire) < subscribers {
            publisher.send(&probe[..], 0).expect("send");
            thread::sleep(Duration::from_micros(200));
        }
        let data = fan_out_msg(super::DATA);
        let start = Instant::now();
        let mut published = 0u64;
        while start.elapsed() < window {
            for _ in 0..64 {
                publisher.send(&data[..], 0).expect("send");
            }
            published += 64;
        }
        // PUB drops what a full pipe cannot take, END included: repeat it.
        let end = fan_out_msg(END);
        while heard.load(Ordering::Acquire) < 2 * subscribers {
            publisher.send(&end[..], 0).expect("send");
            thread::sleep(Duration::from_micros(50));
        }
        (start, published)
    });
    let results: Vec<_> = subs
        .into_iter()
        .map(|s| s.join().expect("subscriber"))
        .collect();
    let (start, published) = publisher.join().expect("publisher");
    FanOut::from_results(start, published, subscribers, &results)
}

/// PAIR ping-pong where both sides wait in `zmq::poll` before each receive
/// (the echo side among `idle` idle bound PULL sockets): each round trip
/// is two wake-ups of a thread blocked in poll by a send on another.
pub fn poll_round_trip(idle: usize, duration: Duration, placement: Placement) -> RoundTrips {
    let ctx = zmq::Context::new();
    let addr = unique_endpoint("poll-pair");
    let echo_socket = socket(&ctx, zmq::PAIR);
    echo_socket.bind(&addr).expect("bind");
    let client = socket(&ctx, zmq::PAIR);
    client.connect(&addr).expect("connect");
    let idle_sockets: Vec<zmq::Socket> = (0..idle)
        .map(|_| {
            let s = socket(&ctx, zmq::PULL);
            s.bind(&unique_endpoint("poll-idle")).expect("bind");
            s
        })
        .collect();
    let echo = thread::spawn(move || {
        pin(placement.core(false));
        loop {
            let mut items: Vec<zmq::PollItem> = idle_sockets
                .iter()
                .map(|s| s.as_poll_item(zmq::POLLIN))
                .collect();
            items.push(echo_socket.as_poll_item(zmq::POLLIN));
            zmq::poll(&mut items, -1).expect("poll");
            if !items[idle].is_readable() {
                continue;
            }
            let msg = echo_socket.recv_msg(0).expect("recv");
            let stop = msg[0] == STOP;
            echo_socket.send(msg, 0).expect("send");
            if stop {
                return;
            }
        }
    });
    let timed = thread::spawn(move || {
        pin(placement.core(true));
        let samples = time_round_trips(duration, || {
            client.send(&[PING][..], 0).expect("send");
            let mut items = [client.as_poll_item(zmq::POLLIN)];
            zmq::poll(&mut items, -1).expect("poll");
            client.recv_msg(0).expect("recv");
        });
        client.send(&[STOP][..], 0).expect("send");
        client.recv_msg(0).expect("recv");
        samples
    });
    echo.join().expect("echo");
    timed.join().expect("client")
}
