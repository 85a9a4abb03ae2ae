//! Proxies and devices (`zmq_proxy`, `zmq_proxy_steerable`) through the
//! public API.
//!
//! - The three devices carry their patterns through: QUEUE (ROUTER/DEALER)
//!   returns every reply to its client, FORWARDER (XSUB/XPUB) carries
//!   subscriptions upstream, STREAMER (PULL/PUSH) deals every task out. Every
//!   message is counted.
//! - Multipart safe: frames of concurrent multipart messages never mix.
//! - Capture sees every frame, both ways, flags kept, bodies shared with
//!   the forwarded frames (pointer identity).
//! - Steering: PAUSE, RESUME, TERMINATE, STATISTICS over PAIR and REP
//!   control sockets, with libzmq master's replies (empty reply for REP
//!   only; eight u64 frames for STATISTICS).
//! - A full destination does not stall the other direction; `ETERM` ends a
//!   proxy; other errors propagate.
//!
//! Handshakes, no sleeps: commands on one control socket are handled in
//! order, so a STATISTICS reply proves every earlier command took effect;
//! a pub-sub path is probed until a probe comes through.

mod common;

use std::collections::HashSet;
use std::thread;

use common::{
    assert_nothing_waiting, bound, bounded, connected, endpoint, recv, recv_str, socket, tagged,
    untag,
};
use zactor as zmq;

/// Runs `device` on its own thread, moving the sockets it needs there.
fn spawn<F>(device: F) -> thread::JoinHandle<zmq::Result<()>>
where
    F: FnOnce() -> zmq::Result<()> + Send + 'static,
{
    thread::Builder::new()
        .name("proxy".into())
        .spawn(device)
        .expect("spawn the proxy thread")
}

/// Terminates `ctx` (every socket of the test must be dropped already) and
/// checks that the proxy ended with `ETERM`.
fn terminate(mut ctx: zmq::Context, device: thread::JoinHandle<zmq::Result<()>>) {
    ctx.destroy().expect("destroy");
    assert_eq!(device.join().expect("proxy thread"), Err(zmq::Error::ETERM));
}

/// The eight STATISTICS values, read from a reply.
fn statistics(control: &zmq::Socket) -> [u64; 8] {
    let frames = control.recv_multipart(0).expect("statistics");
    assert_eq!(frames.len(), 8, "eight frames");
    let values: Vec<u64> = frames
        .iter()
        .map(|f| u64::from_ne_bytes(f[..].try_into().expect("a u64 frame")))
        .collect();
    values.try_into().expect("eight values")
}

// ---------------------------------------------------------------- devices

#[test]
fn queue_device_returns_every_reply_to_its_client() {
    const CLIENTS: u64 = 4;
    const WORKERS: usize = 3;
    const REQUESTS: u64 = 500;
    bounded(|| {
        let ctx = zmq::Context::new();
        let front = endpoint("proxy-queue-front");
        let back = endpoint("proxy-queue-back");
        let frontend = bound(&ctx, zmq::ROUTER, &front);
        let backend = bound(&ctx, zmq::DEALER, &back);
        let device = spawn(move || zmq::device::queue(&frontend, &backend));
        let workers: Vec<_> = (0..WORKERS)
            .map(|_| {
                let rep = connected(&ctx, zmq::REP, &back);
                thread::spawn(move || {
                    // Answer until the context ends; count what was served.
                    let mut served = 0u64;
                    loop {
                        match rep.recv_bytes(0) {
                            Ok(request) => {
                                rep.send(request, 0).expect("reply");
                                served += 1;
                            }
                            Err(zmq::Error::ETERM) => return served,
                            Err(other) => panic!("worker: {other:?}"),
                        }
                    }
                })
            })
            .collect();
        let clients: Vec<_> = (0..CLIENTS)
            .map(|id| {
                let req = connected(&ctx, zmq::REQ, &front);
                thread::spawn(move || {
                    for seq in 0..REQUESTS {
                        req.send(&tagged(id, seq)[..], 0).expect("request");
                        assert_eq!(untag(&recv(&req)), (id, seq), "my own reply");
                    }
                })
            })
            .collect();
        for client in clients {
            client.join().expect("client");
        }
        terminate(ctx, device);
        let served: u64 = workers.into_iter().map(|w| w.join().expect("worker")).sum();
        assert_eq!(served, CLIENTS * REQUESTS, "every request served once");
    });
}

#[test]
fn queue_device_holds_requests_until_a_worker_comes() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let front = endpoint("proxy-queue-late-front");
        let back = endpoint("proxy-queue-late-back");
        let frontend = bound(&ctx, zmq::ROUTER, &front);
        let backend = bound(&ctx, zmq::DEALER, &back);
        let device = spawn(move || zmq::device::queue(&frontend, &backend));
        let client = connected(&ctx, zmq::DEALER, &front);
        for i in 0..10u8 {
            client.send_multipart([&b""[..], &[i][..]], 0).unwrap();
        }
        // No worker yet: the DEALER backend cannot take them; they wait.
        let worker = connected(&ctx, zmq::DEALER, &back);
        for i in 0..10u8 {
            let frames = worker.recv_multipart(0).unwrap();
            assert_eq!(frames.len(), 3, "id, delimiter, body");
            assert_eq!(frames[2], [i]);
            worker.send_multipart(frames, 0).unwrap();
        }
        for i in 0..10u8 {
            assert_eq!(client.recv_multipart(0).unwrap(), [vec![], vec![i]]);
        }
        drop((client, worker));
        terminate(ctx, device);
    });
}

#[test]
fn forwarder_carries_subscriptions_upstream() {
    const EACH: u64 = 200;
    bounded(|| {
        let ctx = zmq::Context::new();
        let up = endpoint("proxy-forwarder-up");
        let down = endpoint("proxy-forwarder-down");
        let control_addr = endpoint("proxy-forwarder-control");
        let ack_addr = endpoint("proxy-forwarder-ack");
        let publisher = bound(&ctx, zmq::PUB, &up);
        let mut frontend = connected(&ctx, zmq::XSUB, &up);
        let mut backend = bound(&ctx, zmq::XPUB, &down);
        let mut control = bound(&ctx, zmq::PAIR, &control_addr);
        let device = spawn(move || zmq::proxy_steerable(&mut frontend, &mut backend, &mut control));
        let steer = connected(&ctx, zmq::PAIR, &control_addr);
        let ack = bound(&ctx, zmq::PAIR, &ack_addr);

        let sub = connected(&ctx, zmq::SUB, &down);
        sub.set_subscribe(b"A").unwrap();
        let acker = connected(&ctx, zmq::PAIR, &ack_addr);
        let subscriber = thread::spawn(move || {
            let (mut probes, mut data) = (0u64, 0u64);
            loop {
                let msg = recv_str(&sub);
                match msg.as_str() {
                    "A probe" => {
                        if probes == 0 {
                            acker.send("", 0).unwrap();
                        }
                        probes += 1;
                    }
                    // The SUB goes back with the counts: closing it now would
                    // send an unsubscription up before the statistics.
                    "A end" => return (probes, data, sub),
                    other => {
                        assert!(other.starts_with("A "), "only A: got {other:?}");
                        assert_eq!(other, format!("A {data}"), "in order");
                        data += 1;
                    }
                }
            }
        });
        // A probe passes once the subscription has travelled up through the
        // proxy to the PUB; until then the PUB drops it (no subscriber).
        loop {
            publisher.send("A probe", 0).unwrap();
            if ack.poll(zmq::POLLIN, 5).unwrap() > 0 {
                break;
            }
        }
        for i in 0..EACH {
            publisher.send(format!("B {i}").as_str(), 0).unwrap();
            publisher.send(format!("A {i}").as_str(), 0).unwrap();
        }
        publisher.send("A end", 0).unwrap();
        let (probes, data, _sub) = subscriber.join().expect("subscriber");
        assert_eq!(data, EACH, "every A");

        // The B messages never reached the proxy: the PUB filtered them,
        // with the subscription the proxy carried up.
        steer.send("STATISTICS", 0).unwrap();
        let stats = statistics(&steer);
        let a_bytes = (0..EACH)
            .map(|i| format!("A {i}").len() as u64)
            .sum::<u64>();
        let frontend_in = probes + EACH + 1;
        let frontend_bytes = probes * 7 + a_bytes + 5;
        assert_eq!(
            stats,
            [
                frontend_in,
                frontend_bytes,
                1,
                2,
                1,
                2,
                frontend_in,
                frontend_bytes
            ],
            "frontend: data in, the subscription out; backend: the subscription in, data out"
        );
        steer.send("TERMINATE", 0).unwrap();
        assert_eq!(device.join().expect("proxy"), Ok(()));
    });
}

#[test]
fn forwarder_device_relays_to_a_subscriber() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let up = endpoint("proxy-forwarder-device-up");
        let down = endpoint("proxy-forwarder-device-down");
        let publisher = bound(&ctx, zmq::PUB, &up);
        let frontend = connected(&ctx, zmq::XSUB, &up);
        let backend = bound(&ctx, zmq::XPUB, &down);
        let device = spawn(move || zmq::device::forwarder(&frontend, &backend));
        let sub = connected(&ctx, zmq::SUB, &down);
        sub.set_subscribe(b"").unwrap();
        // Publish until the subscription has gone up and one arrives.
        let mut sent = 0u64;
        while sub.poll(zmq::POLLIN, 0).unwrap() == 0 {
            publisher.send(&sent.to_le_bytes()[..], 0).unwrap();
            sent += 1;
            sub.poll(zmq::POLLIN, 5).unwrap();
        }
        let first = u64::from_le_bytes(recv(&sub).try_into().unwrap());
        for i in first + 1..sent {
            assert_eq!(recv(&sub), i.to_le_bytes(), "the rest, in order");
        }
        drop((publisher, sub));
        terminate(ctx, device);
    });
}

#[test]
fn streamer_device_deals_every_task_out() {
    const CONSUMERS: usize = 3;
    const TASKS: u64 = 3000;
    bounded(|| {
        let ctx = zmq::Context::new();
        let front = endpoint("proxy-streamer-front");
        let back = endpoint("proxy-streamer-back");
        let frontend = bound(&ctx, zmq::PULL, &front);
        let backend = bound(&ctx, zmq::PUSH, &back);
        // Consumers connect before any task exists, so the PUSH deals evenly.
        let consumers: Vec<_> = (0..CONSUMERS)
            .map(|_| connected(&ctx, zmq::PULL, &back))
            .collect();
        let device = spawn(move || zmq::device::streamer(&frontend, &backend));
        let producer = connected(&ctx, zmq::PUSH, &front);
        for seq in 0..TASKS {
            producer.send(&tagged(0, seq)[..], 0).unwrap();
        }
        let mut seen = HashSet::new();
        for consumer in &consumers {
            for _ in 0..TASKS / CONSUMERS as u64 {
                assert!(seen.insert(untag(&recv(consumer)).1), "no duplicate");
            }
        }
        for consumer in &consumers {
            assert_nothing_waiting(consumer);
        }
        assert_eq!(seen.len() as u64, TASKS, "every task, once");
        drop((producer, consumers));
        terminate(ctx, device);
    });
}

#[test]
fn devices_refuse_the_wrong_socket_types() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let (router, dealer) = (socket(&ctx, zmq::ROUTER), socket(&ctx, zmq::DEALER));
        let (xsub, xpub) = (socket(&ctx, zmq::XSUB), socket(&ctx, zmq::XPUB));
        let (pull, push) = (socket(&ctx, zmq::PULL), socket(&ctx, zmq::PUSH));
        assert_eq!(
            zmq::device::queue(&dealer, &router),
            Err(zmq::Error::EINVAL)
        );
        assert_eq!(
            zmq::device::forwarder(&xpub, &xsub),
            Err(zmq::Error::EINVAL)
        );
        assert_eq!(zmq::device::streamer(&pull, &pull), Err(zmq::Error::EINVAL));
        assert_eq!(zmq::device::streamer(&push, &pull), Err(zmq::Error::EINVAL));
    });
}

// ------------------------------------------------------------- multipart

#[test]
fn multipart_messages_cross_whole_both_ways() {
    const CLIENTS: u64 = 4;
    const WORKERS: usize = 2;
    const MESSAGES: u64 = 300;
    const FRAMES: u64 = 5;
    bounded(|| {
        let ctx = zmq::Context::new();
        let front = endpoint("proxy-multipart-front");
        let back = endpoint("proxy-multipart-back");
        let frontend = bound(&ctx, zmq::ROUTER, &front);
        let backend = bound(&ctx, zmq::DEALER, &back);
        let device = spawn(move || zmq::proxy(&frontend, &backend));
        let workers: Vec<_> = (0..WORKERS)
            .map(|_| {
                let worker = connected(&ctx, zmq::DEALER, &back);
                thread::spawn(move || loop {
                    // Echo: [client id, frames...] back as it came.
                    match worker.recv_multipart(0) {
                        Ok(frames) => worker.send_multipart(frames, 0).unwrap(),
                        Err(zmq::Error::ETERM) => return,
                        Err(other) => panic!("worker: {other:?}"),
                    }
                })
            })
            .collect();
        // Every client sends all its messages before reading replies, so
        // messages from four clients interleave in the proxy.
        let clients: Vec<_> = (0..CLIENTS)
            .map(|id| {
                let client = connected(&ctx, zmq::DEALER, &front);
                thread::spawn(move || {
                    for seq in 0..MESSAGES {
                        let frames = (0..FRAMES).map(|k| tagged(id, seq * FRAMES + k).to_vec());
                        client.send_multipart(frames, 0).unwrap();
                    }
                    let mut replies = HashSet::new();
                    for _ in 0..MESSAGES {
                        let frames = client.recv_multipart(0).unwrap();
                        assert_eq!(frames.len() as u64, FRAMES, "all frames, nothing more");
                        let (owner, first) = untag(&frames[0]);
                        assert_eq!(owner, id, "my own message");
                        assert_eq!(first % FRAMES, 0, "starts with its first frame");
                        for (k, frame) in frames.iter().enumerate() {
                            assert_eq!(untag(frame), (id, first + k as u64), "frames in order");
                        }
                        assert!(replies.insert(first / FRAMES), "each message once");
                    }
                    replies.len() as u64
                })
            })
            .collect();
        let replies: u64 = clients.into_iter().map(|c| c.join().expect("client")).sum();
        assert_eq!(replies, CLIENTS * MESSAGES);
        terminate(ctx, device);
        for worker in workers {
            worker.join().expect("worker");
        }
    });
}

// --------------------------------------------------------------- capture

#[test]
fn capture_sees_every_frame_both_ways_sharing_the_bodies() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let front = endpoint("proxy-capture-front");
        let back = endpoint("proxy-capture-back");
        let cap = endpoint("proxy-capture-capture");
        let mut frontend = bound(&ctx, zmq::ROUTER, &front);
        let mut backend = bound(&ctx, zmq::DEALER, &back);
        let mut capture = bound(&ctx, zmq::PAIR, &cap);
        let tap = connected(&ctx, zmq::PAIR, &cap);
        let device =
            spawn(move || zmq::proxy_with_capture(&mut frontend, &mut backend, &mut capture));
        let client = connected(&ctx, zmq::REQ, &front);
        let worker = connected(&ctx, zmq::REP, &back);

        // A body too large to be stored inline: it travels by reference.
        let body = vec![7u8; 1000];
        let sent_at = body.as_ptr();
        client.send(body, 0).unwrap();
        let request = worker.recv_msg(0).unwrap();
        assert_eq!(
            request.as_ptr(),
            sent_at,
            "no copy on the way to the worker"
        );
        worker.send(request, 0).unwrap();
        let reply = client.recv_msg(0).unwrap();
        assert_eq!(reply.as_ptr(), sent_at, "no copy on the way back");

        // Capture: the request as the frontend read it (id, delimiter,
        // body), then the reply as the backend read it (the same).
        for way in ["request", "reply"] {
            let id = tap.recv_msg(0).unwrap();
            assert!(id.get_more(), "{way}: the id has more");
            assert_eq!(id.len(), 5, "{way}: a generated id");
            let delimiter = tap.recv_msg(0).unwrap();
            assert!(
                delimiter.get_more() && delimiter.is_empty(),
                "{way}: delimiter"
            );
            let captured = tap.recv_msg(0).unwrap();
            assert!(!captured.get_more(), "{way}: the body ends it");
            assert_eq!(&captured[..], &[7u8; 1000][..]);
            assert_eq!(captured.as_ptr(), sent_at, "{way}: capture shares the body");
        }
        assert_nothing_waiting(&tap);
        drop((tap, client, worker, reply));
        terminate(ctx, device);
    });
}

// -------------------------------------------------------------- steering

/// A steerable PULL→PUSH proxy with a `control_type` control socket, and the
/// test's ends of it: (producer, consumer, steer, proxy thread).
fn steerable(
    ctx: &zmq::Context,
    name: &str,
    control_type: zmq::SocketType,
) -> (
    zmq::Socket,
    zmq::Socket,
    zmq::Socket,
    thread::JoinHandle<zmq::Result<()>>,
) {
    let steer_type = if control_type == zmq::REP {
        zmq::REQ
    } else {
        control_type
    };
    let mut frontend = bound(ctx, zmq::PULL, &endpoint(&format!("{name}-front")));
    let mut backend = bound(ctx, zmq::PUSH, &endpoint(&format!("{name}-back")));
    let mut control = bound(ctx, control_type, &endpoint(&format!("{name}-control")));
    let device = spawn(move || zmq::proxy_steerable(&mut frontend, &mut backend, &mut control));
    let producer = connected(ctx, zmq::PUSH, &endpoint(&format!("{name}-front")));
    let consumer = connected(ctx, zmq::PULL, &endpoint(&format!("{name}-back")));
    let steer = connected(ctx, steer_type, &endpoint(&format!("{name}-control")));
    (producer, consumer, steer, device)
}

fn send_three_byte_messages(producer: &zmq::Socket, count: u8) {
    for i in 0..count {
        producer.send(&[i, i, i][..], 0).unwrap();
    }
}

fn expect_three_byte_messages(consumer: &zmq::Socket, count: u8) {
    for i in 0..count {
        assert_eq!(recv(consumer), [i, i, i]);
    }
}

#[test]
fn rep_control_pause_resume_statistics_terminate() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let (producer, consumer, steer, device) = steerable(&ctx, "proxy-steer-rep", zmq::REP);
        let command = |word: &str| {
            steer.send(word, 0).unwrap();
            assert!(recv(&steer).is_empty(), "{word}: an empty reply");
        };

        command("PAUSE");
        send_three_byte_messages(&producer, 10);
        steer.send("STATISTICS", 0).unwrap();
        assert_eq!(statistics(&steer), [0; 8], "nothing moves while paused");
        assert_nothing_waiting(&consumer);

        command("RESUME");
        expect_three_byte_messages(&consumer, 10);
        steer.send("STATISTICS", 0).unwrap();
        assert_eq!(statistics(&steer), [10, 30, 0, 0, 0, 0, 10, 30]);

        command("HELLO"); // unknown: ignored, but the REP still answers
        send_three_byte_messages(&producer, 1);
        expect_three_byte_messages(&consumer, 1);

        command("TERMINATE");
        assert_eq!(device.join().expect("proxy"), Ok(()));
    });
}

#[test]
fn pair_control_pause_resume_statistics_terminate() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let (producer, consumer, steer, device) = steerable(&ctx, "proxy-steer-pair", zmq::PAIR);

        // No replies but to STATISTICS; commands are handled in order, so
        // its reply proves the PAUSE before it took effect.
        steer.send("PAUSE", 0).unwrap();
        send_three_byte_messages(&producer, 10);
        steer.send("STATISTICS", 0).unwrap();
        assert_eq!(statistics(&steer), [0; 8], "nothing moves while paused");
        assert_nothing_waiting(&steer);
        assert_nothing_waiting(&consumer);

        steer.send("RESUME", 0).unwrap();
        expect_three_byte_messages(&consumer, 10);
        steer.send("STATISTICS", 0).unwrap();
        assert_eq!(statistics(&steer), [10, 30, 0, 0, 0, 0, 10, 30]);

        // A multipart message is not a command, even if it starts with one.
        steer.send_multipart(["PAUSE", "now"], 0).unwrap();
        send_three_byte_messages(&producer, 1);
        expect_three_byte_messages(&consumer, 1);

        steer.send("TERMINATE", 0).unwrap();
        assert_eq!(device.join().expect("proxy"), Ok(()));
        assert_nothing_waiting(&steer);
    });
}

#[test]
fn statistics_count_frames_and_bytes_of_multipart_messages_both_ways() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let front = endpoint("proxy-stats-front");
        let back = endpoint("proxy-stats-back");
        let control_addr = endpoint("proxy-stats-control");
        let mut frontend = bound(&ctx, zmq::ROUTER, &front);
        let mut backend = bound(&ctx, zmq::DEALER, &back);
        let mut control = bound(&ctx, zmq::PAIR, &control_addr);
        let device = spawn(move || zmq::proxy_steerable(&mut frontend, &mut backend, &mut control));
        let steer = connected(&ctx, zmq::PAIR, &control_addr);
        let client = socket(&ctx, zmq::DEALER);
        client.set_identity(b"abc").unwrap();
        client.connect(&front).unwrap();
        let worker = connected(&ctx, zmq::DEALER, &back);

        client.send_multipart(["12", "3456"], 0).unwrap();
        let request = worker.recv_multipart(0).unwrap();
        assert_eq!(request, [&b"abc"[..], b"12", b"3456"]);
        worker.send_multipart(["abc", "x"], 0).unwrap();
        assert_eq!(client.recv_multipart(0).unwrap(), [b"x"]);

        steer.send("STATISTICS", 0).unwrap();
        assert_eq!(
            statistics(&steer),
            // frontend: in [abc,12,3456], out [abc,x] (the ROUTER takes the
            // id frame to route by); backend: in [abc,x], out [abc,12,3456]
            [3, 9, 2, 4, 2, 4, 3, 9]
        );
        steer.send("TERMINATE", 0).unwrap();
        assert_eq!(device.join().expect("proxy"), Ok(()));
    });
}

#[test]
fn a_paused_proxy_ends_with_eterm() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let (producer, consumer, steer, device) =
            steerable(&ctx, "proxy-steer-paused-eterm", zmq::REP);
        steer.send("PAUSE", 0).unwrap();
        assert!(recv(&steer).is_empty());
        drop((producer, consumer, steer));
        terminate(ctx, device);
    });
}

// ------------------------------------------------------ flow and errors

#[test]
fn a_full_destination_does_not_stall_the_other_direction() {
    const REQUESTS: u64 = 200;
    bounded(|| {
        let ctx = zmq::Context::new();
        let front = endpoint("proxy-full-front");
        let back = endpoint("proxy-full-back");
        let frontend = bound(&ctx, zmq::ROUTER, &front);
        let backend = socket(&ctx, zmq::DEALER);
        backend.set_sndhwm(5).unwrap();
        backend.bind(&back).unwrap();
        let worker = socket(&ctx, zmq::DEALER);
        worker.set_rcvhwm(5).unwrap();
        worker.connect(&back).unwrap();
        let device = spawn(move || zmq::proxy(&frontend, &backend));
        let client = socket(&ctx, zmq::DEALER);
        client.set_identity(b"client").unwrap();
        client.connect(&front).unwrap();

        // Far more requests than the backend pipe holds: the proxy stops
        // forwarding them, with most still queued on the frontend.
        for seq in 0..REQUESTS {
            client.send(&tagged(1, seq)[..], 0).unwrap();
        }
        // The worker, reading nothing yet, replies: the reply must come
        // back although requests are stuck.
        worker
            .send_multipart([&b"client"[..], b"early"], 0)
            .unwrap();
        assert_eq!(recv(&client), b"early");
        // Then it reads every request, in order.
        for seq in 0..REQUESTS {
            let frames = worker.recv_multipart(0).unwrap();
            assert_eq!(frames[0], b"client");
            assert_eq!(untag(&frames[1]), (1, seq));
        }
        drop((client, worker));
        terminate(ctx, device);
    });
}

#[test]
fn an_error_on_a_socket_ends_the_proxy_with_that_error() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let front = endpoint("proxy-error-front");
        let mut frontend = bound(&ctx, zmq::PULL, &front);
        let mut backend = socket(&ctx, zmq::PUSH);
        backend.bind(&endpoint("proxy-error-back")).unwrap();
        let _consumer = connected(&ctx, zmq::PULL, &endpoint("proxy-error-back"));
        // A SUB cannot send: capturing to one fails at the first frame.
        let mut capture = socket(&ctx, zmq::SUB);
        let device =
            spawn(move || zmq::proxy_with_capture(&mut frontend, &mut backend, &mut capture));
        let producer = connected(&ctx, zmq::PUSH, &front);
        producer.send("x", 0).unwrap();
        assert_eq!(device.join().expect("proxy"), Err(zmq::Error::ENOTSUP));
    });
}

#[test]
fn the_signatures_are_zmq_0_10s() {
    let _: fn(&zmq::Socket, &zmq::Socket) -> zmq::Result<()> = zmq::proxy;
    let _: fn(&mut zmq::Socket, &mut zmq::Socket, &mut zmq::Socket) -> zmq::Result<()> =
        zmq::proxy_with_capture;
    let _: fn(&mut zmq::Socket, &mut zmq::Socket, &mut zmq::Socket) -> zmq::Result<()> =
        zmq::proxy_steerable;
    let _: fn(
        &mut zmq::Socket,
        &mut zmq::Socket,
        &mut zmq::Socket,
        &mut zmq::Socket,
    ) -> zmq::Result<()> = zmq::proxy_steerable_with_capture;
}
