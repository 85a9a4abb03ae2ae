//! PUB/SUB and XPUB/XSUB through the public API (RFC 29, libzmq 4.3).
//!
//! Subscriptions travel to the publisher asynchronously, so no test sends
//! data before it knows they have arrived. Two handshakes, never sleeps:
//! - [`barrier`]: each subscriber subscribes to a fresh topic and the
//!   publisher sends probes on it until every subscriber has one. A
//!   subscriber's subscriptions reach the publisher in order, so once the
//!   probe arrives, everything that subscriber changed before has arrived.
//! - with an XPUB publisher, receiving the subscription message itself.
//!
//! Every wait is bounded: blocking receives have a 5 s timeout, and probe
//! loops a deadline.

use std::time::{Duration, Instant};

use zactor::{Context, Error, Socket, DONTWAIT, PUB, SNDMORE, SUB, XPUB, XSUB};

/// How long any wait may take before the test fails.
const TIMEOUT_MS: i32 = 5000;

fn socket(ctx: &Context, kind: zactor::SocketType) -> Socket {
    let socket = ctx.socket(kind).unwrap();
    socket.set_rcvtimeo(TIMEOUT_MS).unwrap();
    socket
}

fn recv(socket: &Socket) -> Vec<u8> {
    socket.recv_bytes(0).expect("a message within the timeout")
}

/// Asserts that nothing (more) is waiting.
fn assert_nothing_waiting(socket: &Socket) {
    match socket.recv_bytes(DONTWAIT) {
        Err(Error::EAGAIN) => {}
        other => panic!("expected EAGAIN, got {other:?}"),
    }
}

/// Makes sure `publisher` has every subscription each of `subscribers` made
/// so far: subscribes them to `topic` (which nothing else may start with),
/// probes until each has a probe, drains the probes and unsubscribes.
fn barrier(publisher: &Socket, subscribers: &[&Socket], topic: &str) {
    for sub in subscribers {
        sub.set_subscribe(topic.as_bytes()).unwrap();
    }
    let deadline = Instant::now() + Duration::from_millis(TIMEOUT_MS as u64);
    let mut arrived = vec![false; subscribers.len()];
    while arrived.contains(&false) {
        assert!(
            Instant::now() < deadline,
            "subscriptions did not reach the publisher"
        );
        publisher.send(topic, DONTWAIT).unwrap();
        for (sub, arrived) in subscribers.iter().zip(&mut arrived) {
            match sub.recv_bytes(DONTWAIT) {
                Ok(msg) => {
                    assert_eq!(msg, topic.as_bytes(), "only probes so far");
                    *arrived = true;
                }
                Err(Error::EAGAIN) => std::thread::yield_now(),
                Err(e) => panic!("{e:?}"),
            }
        }
    }
    // Every probe was sent from this thread before this point, so DONTWAIT
    // sees all the ones still queued.
    for sub in subscribers {
        while let Ok(msg) = sub.recv_bytes(DONTWAIT) {
            assert_eq!(msg, topic.as_bytes());
        }
        sub.set_unsubscribe(topic.as_bytes()).unwrap();
    }
}

/// A PUB bound to `endpoint` and a SUB connected to it with `topics`, both
/// ready: the subscriptions have reached the PUB.
fn pub_sub(ctx: &Context, endpoint: &str, topics: &[&str]) -> (Socket, Socket) {
    let publisher = socket(ctx, PUB);
    publisher.bind(endpoint).unwrap();
    let subscriber = socket(ctx, SUB);
    subscriber.connect(endpoint).unwrap();
    for topic in topics {
        subscriber.set_subscribe(topic.as_bytes()).unwrap();
    }
    barrier(&publisher, &[&subscriber], "~sync");
    (publisher, subscriber)
}

#[test]
fn sub_receives_only_messages_its_prefix_starts() {
    let ctx = Context::new();
    let (publisher, subscriber) = pub_sub(&ctx, "inproc://pubsub-prefix", &["A"]);
    for msg in ["B1", "A1", "AB1", "BA", "a2", "A"] {
        publisher.send(msg, 0).unwrap();
    }
    assert_eq!(recv(&subscriber), b"A1");
    assert_eq!(recv(&subscriber), b"AB1");
    assert_eq!(recv(&subscriber), b"A");
    assert_nothing_waiting(&subscriber);
}

#[test]
fn sub_receives_every_topic_it_subscribed() {
    let ctx = Context::new();
    let (publisher, subscriber) = pub_sub(&ctx, "inproc://pubsub-topics", &["weather", "sports"]);
    for msg in [
        "weather rain",
        "news x",
        "sports 1-0",
        "weather sun",
        "stocks up",
    ] {
        publisher.send(msg, 0).unwrap();
    }
    assert_eq!(recv(&subscriber), b"weather rain");
    assert_eq!(recv(&subscriber), b"sports 1-0");
    assert_eq!(recv(&subscriber), b"weather sun");
    assert_nothing_waiting(&subscriber);
}

#[test]
fn unsubscribed_topics_stop_arriving() {
    let ctx = Context::new();
    let (publisher, subscriber) = pub_sub(&ctx, "inproc://pubsub-unsubscribe", &["A", "B"]);
    subscriber.set_unsubscribe(b"A").unwrap();
    barrier(&publisher, &[&subscriber], "~sync2");
    publisher.send("A1", 0).unwrap();
    publisher.send("B1", 0).unwrap();
    assert_eq!(recv(&subscriber), b"B1", "A1 was not delivered");
    assert_nothing_waiting(&subscriber);
}

#[test]
fn a_subscription_counts_its_references() {
    let ctx = Context::new();
    let (publisher, subscriber) = pub_sub(&ctx, "inproc://pubsub-refcount", &["A", "A"]);
    subscriber.set_unsubscribe(b"A").unwrap();
    barrier(&publisher, &[&subscriber], "~sync2");
    publisher.send("A1", 0).unwrap();
    assert_eq!(recv(&subscriber), b"A1", "one reference is left");
    subscriber.set_unsubscribe(b"A").unwrap();
    barrier(&publisher, &[&subscriber], "~sync3");
    publisher.send("A2", 0).unwrap();
    assert_nothing_waiting(&subscriber);
}

#[test]
fn the_empty_subscription_receives_everything() {
    let ctx = Context::new();
    let (publisher, subscriber) = pub_sub(&ctx, "inproc://pubsub-all", &[""]);
    let messages: [&[u8]; 4] = [b"x", b"", b"\x00binary", b"~sync-like"];
    for msg in messages {
        publisher.send(msg, 0).unwrap();
    }
    for msg in messages {
        assert_eq!(recv(&subscriber), msg);
    }
    assert_nothing_waiting(&subscriber);
}

#[test]
fn multipart_messages_are_filtered_whole_on_their_first_frame() {
    let ctx = Context::new();
    let (publisher, subscriber) = pub_sub(&ctx, "inproc://pubsub-multipart", &["A"]);
    publisher
        .send_multipart(["B", "A-but-second-frame"], 0)
        .unwrap();
    publisher
        .send_multipart(["A", "B-second", "C-third"], 0)
        .unwrap();
    assert_eq!(
        subscriber.recv_multipart(0).unwrap(),
        [b"A".to_vec(), b"B-second".to_vec(), b"C-third".to_vec()]
    );
    assert!(!subscriber.get_rcvmore().unwrap());
    assert_nothing_waiting(&subscriber);
}

#[test]
fn subscribing_before_connecting_is_sent_at_connect() {
    let ctx = Context::new();
    let publisher = socket(&ctx, PUB);
    publisher.bind("inproc://pubsub-sub-first").unwrap();
    let subscriber = socket(&ctx, SUB);
    subscriber.set_subscribe(b"A").unwrap();
    subscriber.connect("inproc://pubsub-sub-first").unwrap();
    barrier(&publisher, &[&subscriber], "~sync");
    publisher.send("B", 0).unwrap();
    publisher.send("A", 0).unwrap();
    assert_eq!(recv(&subscriber), b"A");
}

#[test]
fn a_sub_may_connect_before_the_pub_binds() {
    let ctx = Context::new();
    let subscriber = socket(&ctx, SUB);
    subscriber.connect("inproc://pubsub-connect-first").unwrap();
    subscriber.set_subscribe(b"A").unwrap();
    let publisher = socket(&ctx, PUB);
    publisher.bind("inproc://pubsub-connect-first").unwrap();
    barrier(&publisher, &[&subscriber], "~sync");
    publisher.send("B", 0).unwrap();
    publisher.send("A", 0).unwrap();
    assert_eq!(recv(&subscriber), b"A");
}

#[test]
fn pub_cannot_receive_and_sub_cannot_send() {
    let ctx = Context::new();
    let publisher = socket(&ctx, PUB);
    let subscriber = socket(&ctx, SUB);
    assert_eq!(publisher.recv_bytes(DONTWAIT).unwrap_err(), Error::ENOTSUP);
    assert_eq!(subscriber.send("x", DONTWAIT).unwrap_err(), Error::ENOTSUP);
}

#[test]
fn a_pub_without_subscribers_drops_and_never_blocks() {
    let ctx = Context::new();
    let publisher = socket(&ctx, PUB);
    publisher.bind("inproc://pubsub-nobody").unwrap();
    for _ in 0..10_000 {
        publisher.send("into the void", DONTWAIT).unwrap();
    }
}

/// Receives from an XPUB until every message in `until` has arrived;
/// returns everything received.
fn recv_until(xpub: &Socket, until: &[&[u8]]) -> Vec<Vec<u8>> {
    let mut got = Vec::new();
    while !until
        .iter()
        .all(|want| got.iter().any(|m: &Vec<u8>| m == want))
    {
        got.push(recv(xpub));
    }
    got
}

#[test]
fn xpub_receives_a_new_subscription_once() {
    let ctx = Context::new();
    let xpub = socket(&ctx, XPUB);
    xpub.bind("inproc://pubsub-xpub-once").unwrap();
    let first = socket(&ctx, SUB);
    first.connect("inproc://pubsub-xpub-once").unwrap();
    let second = socket(&ctx, SUB);
    second.connect("inproc://pubsub-xpub-once").unwrap();
    first.set_subscribe(b"A").unwrap();
    second.set_subscribe(b"A").unwrap();
    second.set_subscribe(b"A").unwrap();
    first.set_subscribe(b"Z1").unwrap();
    second.set_subscribe(b"Z2").unwrap();
    let got = recv_until(&xpub, &[b"\x01Z1", b"\x01Z2"]);
    assert_eq!(got.iter().filter(|m| m == &b"\x01A").count(), 1, "{got:?}");
    assert_eq!(got.len(), 3);
    assert_nothing_waiting(&xpub);
}

#[test]
fn verbose_xpub_receives_every_subscription() {
    let ctx = Context::new();
    let xpub = socket(&ctx, XPUB);
    xpub.set_xpub_verbose(true).unwrap();
    xpub.bind("inproc://pubsub-xpub-verbose").unwrap();
    let first = socket(&ctx, SUB);
    first.connect("inproc://pubsub-xpub-verbose").unwrap();
    let second = socket(&ctx, SUB);
    second.connect("inproc://pubsub-xpub-verbose").unwrap();
    first.set_subscribe(b"A").unwrap();
    second.set_subscribe(b"A").unwrap();
    second.set_subscribe(b"A").unwrap();
    first.set_subscribe(b"Z1").unwrap();
    second.set_subscribe(b"Z2").unwrap();
    let got = recv_until(&xpub, &[b"\x01Z1", b"\x01Z2"]);
    assert_eq!(got.iter().filter(|m| m == &b"\x01A").count(), 3, "{got:?}");
    assert_nothing_waiting(&xpub);
}

#[test]
fn xpub_routes_by_subscription() {
    let ctx = Context::new();
    let xpub = socket(&ctx, XPUB);
    xpub.bind("inproc://pubsub-xpub-route").unwrap();
    let a = socket(&ctx, SUB);
    a.connect("inproc://pubsub-xpub-route").unwrap();
    a.set_subscribe(b"A").unwrap();
    let b = socket(&ctx, SUB);
    b.connect("inproc://pubsub-xpub-route").unwrap();
    b.set_subscribe(b"B").unwrap();
    recv_until(&xpub, &[b"\x01A", b"\x01B"]);
    xpub.send("B1", 0).unwrap();
    xpub.send("A1", 0).unwrap();
    assert_eq!(recv(&a), b"A1");
    assert_eq!(recv(&b), b"B1");
    assert_nothing_waiting(&a);
    assert_nothing_waiting(&b);
}

#[test]
fn unsubscriptions_reach_xpub_when_the_last_subscriber_leaves() {
    let ctx = Context::new();
    let xpub = socket(&ctx, XPUB);
    xpub.bind("inproc://pubsub-xpub-unsub").unwrap();
    let first = socket(&ctx, SUB);
    first.connect("inproc://pubsub-xpub-unsub").unwrap();
    let second = socket(&ctx, SUB);
    second.connect("inproc://pubsub-xpub-unsub").unwrap();
    first.set_subscribe(b"A").unwrap();
    first.set_subscribe(b"B").unwrap();
    second.set_subscribe(b"B").unwrap();
    second.set_subscribe(b"Z").unwrap();
    recv_until(&xpub, &[b"\x01A", b"\x01B", b"\x01Z"]);

    second.set_unsubscribe(b"B").unwrap();
    second.set_unsubscribe(b"Z").unwrap();
    assert_eq!(recv(&xpub), b"\x00Z", "B still has the first subscriber");

    drop(first);
    let mut gone = vec![recv(&xpub), recv(&xpub)];
    gone.sort();
    assert_eq!(gone, [b"\x00A".to_vec(), b"\x00B".to_vec()]);
    assert_nothing_waiting(&xpub);
}

#[test]
fn xpub_welcomes_each_new_subscriber() {
    let ctx = Context::new();
    let xpub = socket(&ctx, XPUB);
    xpub.set_xpub_welcome_msg(Some("W-hello")).unwrap();
    xpub.bind("inproc://pubsub-welcome").unwrap();
    for _ in 0..2 {
        let sub = socket(&ctx, SUB);
        sub.set_subscribe(b"W").unwrap();
        sub.connect("inproc://pubsub-welcome").unwrap();
        // The XPUB takes the new pipe (and writes the welcome) when it is
        // next used: here, receiving the subscription.
        assert_eq!(recv(&xpub), b"\x01W");
        assert_eq!(recv(&sub), b"W-hello");
        drop(sub);
        assert_eq!(recv(&xpub), b"\x00W");
    }
}

#[test]
fn xsub_sends_subscriptions_and_data_upstream() {
    let ctx = Context::new();
    let xpub = socket(&ctx, XPUB);
    xpub.bind("inproc://pubsub-xsub").unwrap();
    let xsub = socket(&ctx, XSUB);
    xsub.send(b"\x01early".as_slice(), 0).unwrap();
    xsub.connect("inproc://pubsub-xsub").unwrap();
    assert_eq!(recv(&xpub), b"\x01early", "resent at connect");
    xsub.send(b"\x01A".as_slice(), 0).unwrap();
    assert_eq!(recv(&xpub), b"\x01A");

    xpub.send("B1", 0).unwrap();
    xpub.send("A1", 0).unwrap();
    assert_eq!(recv(&xsub), b"A1", "the XPUB filters for the XSUB");

    xsub.send_multipart(["hello", "upstream"], 0).unwrap();
    assert_eq!(
        xpub.recv_multipart(0).unwrap(),
        [b"hello".to_vec(), b"upstream".to_vec()]
    );

    xsub.send(b"\x00A".as_slice(), 0).unwrap();
    assert_eq!(recv(&xpub), b"\x00A");
    assert_nothing_waiting(&xpub);
}

#[test]
fn pub_to_xsub_delivers_what_it_subscribed() {
    let ctx = Context::new();
    let publisher = socket(&ctx, PUB);
    publisher.bind("inproc://pubsub-pub-xsub").unwrap();
    let xsub = socket(&ctx, XSUB);
    xsub.connect("inproc://pubsub-pub-xsub").unwrap();
    xsub.send(b"\x01A".as_slice(), 0).unwrap();
    xsub.send(b"\x01~sync".as_slice(), 0).unwrap();
    let deadline = Instant::now() + Duration::from_millis(TIMEOUT_MS as u64);
    loop {
        assert!(Instant::now() < deadline, "the subscription did not arrive");
        publisher.send("~sync", DONTWAIT).unwrap();
        if xsub.recv_bytes(DONTWAIT).is_ok() {
            break;
        }
        std::thread::yield_now();
    }
    while xsub.recv_bytes(DONTWAIT).is_ok() {}
    publisher.send("B1", 0).unwrap();
    publisher.send("A1", 0).unwrap();
    assert_eq!(recv(&xsub), b"A1");
    assert_nothing_waiting(&xsub);
}

#[test]
fn pub_drops_for_a_slow_subscriber_at_its_high_water_mark() {
    let ctx = Context::new();
    let publisher = socket(&ctx, PUB);
    publisher.set_sndhwm(10).unwrap();
    publisher.bind("inproc://pubsub-hwm").unwrap();
    let subscriber = socket(&ctx, SUB);
    subscriber.set_rcvhwm(10).unwrap();
    subscriber.connect("inproc://pubsub-hwm").unwrap();
    subscriber.set_subscribe(b"").unwrap();
    // No probe here: probes would take pipe capacity. None is needed: the
    // connect and the subscription happened on this thread before the
    // first send, whose command processing takes the new pipe with the
    // subscription already in it.
    for i in 0..1000 {
        publisher
            .send(format!("{i}").as_str(), DONTWAIT)
            .expect("PUB never blocks");
    }
    for i in 0..20 {
        assert_eq!(
            subscriber.recv_bytes(DONTWAIT).unwrap(),
            format!("{i}").as_bytes()
        );
    }
    assert_nothing_waiting(&subscriber);
}

#[test]
fn pub_fans_out_to_ten_subscribers_without_loss_when_unlimited() {
    const SUBSCRIBERS: usize = 10;
    const MESSAGES: usize = 20_000;
    let ctx = Context::new();
    let publisher = socket(&ctx, PUB);
    publisher.set_sndhwm(0).unwrap();
    publisher.bind("inproc://pubsub-fanout").unwrap();
    let subscribers: Vec<Socket> = (0..SUBSCRIBERS)
        .map(|_| {
            let sub = socket(&ctx, SUB);
            sub.set_rcvhwm(0).unwrap();
            sub.connect("inproc://pubsub-fanout").unwrap();
            sub.set_subscribe(b"data").unwrap();
            sub.set_subscribe(b"end").unwrap();
            sub
        })
        .collect();
    barrier(&publisher, &subscribers.iter().collect::<Vec<_>>(), "~sync");

    let threads: Vec<_> = subscribers
        .into_iter()
        .map(|sub| {
            std::thread::spawn(move || {
                let mut count = 0;
                loop {
                    let msg = recv(&sub);
                    if msg == b"end" {
                        return count;
                    }
                    assert_eq!(
                        msg,
                        format!("data {count}").as_bytes(),
                        "in order, none lost"
                    );
                    count += 1;
                }
            })
        })
        .collect();
    for i in 0..MESSAGES {
        publisher.send(format!("data {i}").as_str(), 0).unwrap();
    }
    publisher.send("end", 0).unwrap();
    for thread in threads {
        assert_eq!(thread.join().unwrap(), MESSAGES);
    }
}

/// `n` SUBs connected to `endpoint`, each subscribed to everything.
fn subscribers_to_everything(ctx: &Context, endpoint: &str, n: usize) -> Vec<Socket> {
    (0..n)
        .map(|_| {
            let sub = socket(ctx, SUB);
            sub.connect(endpoint).unwrap();
            sub.set_subscribe(b"").unwrap();
            sub
        })
        .collect()
}

#[test]
fn multipart_fan_out_sends_every_frame_to_each_subscriber() {
    let ctx = Context::new();
    let publisher = socket(&ctx, PUB);
    publisher.bind("inproc://pubsub-multipart-fanout").unwrap();
    let subs = subscribers_to_everything(&ctx, "inproc://pubsub-multipart-fanout", 3);
    barrier(&publisher, &subs.iter().collect::<Vec<_>>(), "~sync");
    publisher.send("head", SNDMORE).unwrap();
    publisher.send("body", SNDMORE).unwrap();
    publisher.send("tail", 0).unwrap();
    for sub in &subs {
        assert_eq!(
            sub.recv_multipart(0).unwrap(),
            [b"head".to_vec(), b"body".to_vec(), b"tail".to_vec()]
        );
    }
}

/// A PUB's inproc pipes carry one shared copy of each frame (DESIGN.md,
/// "Shared frames for a fan-out"): every subscriber gets the frames whole
/// and in order, and a body on the heap is never copied, whether the PUB
/// bound (its pipes made at connect) or connected to subscribers that had
/// bound.
#[test]
fn a_fanned_out_body_reaches_every_subscriber_uncopied_either_way_round() {
    let ctx = Context::new();
    let publisher = socket(&ctx, PUB);
    publisher.bind("inproc://pubsub-shared-bound").unwrap();
    let mut subs = subscribers_to_everything(&ctx, "inproc://pubsub-shared-bound", 3);
    for i in 0..2 {
        let sub = socket(&ctx, SUB);
        let endpoint = format!("inproc://pubsub-shared-connected-{i}");
        sub.bind(&endpoint).unwrap();
        sub.set_subscribe(b"").unwrap();
        publisher.connect(&endpoint).unwrap();
        subs.push(sub);
    }
    barrier(&publisher, &subs.iter().collect::<Vec<_>>(), "~sync");
    let body = zactor::Message::from(vec![42u8; 4096]);
    let body_at = body.as_ptr();
    for round in 0..100u32 {
        publisher.send("head", SNDMORE).unwrap();
        publisher.send(body.clone(), SNDMORE).unwrap();
        publisher.send(&round.to_le_bytes()[..], 0).unwrap();
    }
    for sub in &subs {
        for round in 0..100u32 {
            let head = sub.recv_msg(0).unwrap();
            assert_eq!((&head[..], head.get_more()), (&b"head"[..], true));
            let got = sub.recv_msg(0).unwrap();
            assert_eq!(got.as_ptr(), body_at, "the body was not copied");
            assert!(got.get_more());
            assert_eq!(sub.recv_bytes(0).unwrap(), round.to_le_bytes());
            assert!(!sub.get_rcvmore().unwrap());
        }
        assert_nothing_waiting(sub);
    }
}
