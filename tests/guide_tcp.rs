//! The guide's chapter-1 programs over tcp (loopback, a free port each):
//! hwserver/hwclient and wuserver/wuclient, run through their own
//! functions, checking what they print.

mod common;

#[allow(dead_code)]
#[path = "../examples/hwserver.rs"]
mod hwserver;

#[allow(dead_code)]
#[path = "../examples/hwclient.rs"]
mod hwclient;

#[allow(dead_code)]
#[path = "../examples/wuserver.rs"]
mod wuserver;

#[allow(dead_code)]
#[path = "../examples/wuclient.rs"]
mod wuclient;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use common::{bounded, socket};
use zactor as zmq;

#[test]
fn hwclient_gets_ten_worlds_from_hwserver() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let responder = socket(&ctx, zmq::REP);
        responder.bind("tcp://127.0.0.1:*").unwrap();
        let endpoint = responder.get_last_endpoint().unwrap().unwrap();
        let server = thread::spawn(move || {
            let mut out = Vec::new();
            hwserver::serve(&responder, Duration::ZERO, Some(10), &mut out).unwrap();
            String::from_utf8(out).unwrap()
        });
        let requester = socket(&ctx, zmq::REQ);
        requester.connect(&endpoint).unwrap();
        let mut out = Vec::new();
        hwclient::run(&requester, &mut out).unwrap();
        let client_lines = String::from_utf8(out).unwrap();
        let expected: String = (0..10)
            .map(|n| format!("Sending Hello {n}…\nReceived World {n}\n"))
            .collect();
        assert_eq!(client_lines, expected);
        assert_eq!(server.join().unwrap(), "Received Hello\n".repeat(10));
    });
}

#[test]
fn wuclient_averages_its_zip_code_from_wuserver() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let publisher = socket(&ctx, zmq::PUB);
        publisher.bind("tcp://127.0.0.1:*").unwrap();
        let endpoint = publisher.get_last_endpoint().unwrap().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let server = {
            let stop = stop.clone();
            thread::spawn(move || {
                // The guide's updates, from a fixed seed.
                let mut random = wuserver::Random::new(42);
                wuserver::publish(&publisher, &mut random, || !stop.load(Ordering::Relaxed))
            })
        };
        let subscriber = socket(&ctx, zmq::SUB);
        subscriber.connect(&endpoint).unwrap();
        // Any zip code that exists in the stream; "10001 " alone would take
        // about 100,000 updates per match.
        let mut out = Vec::new();
        let average = wuclient::collect(&subscriber, "1", &mut out).unwrap();
        stop.store(true, Ordering::Relaxed);
        server.join().unwrap().unwrap();
        assert!((-80..=134).contains(&average), "{average}");
        assert_eq!(
            String::from_utf8(out).unwrap(),
            format!("Average temperature for zipcode '1' was {average}F\n")
        );
    });
}

#[test]
fn wuserver_updates_are_formatted_like_the_guides() {
    let mut random = wuserver::Random::new(7);
    for _ in 0..10_000 {
        let update = wuserver::update(&mut random);
        let fields: Vec<&str> = update.split(' ').collect();
        assert_eq!(fields.len(), 3, "{update}");
        assert_eq!(fields[0].len(), 5, "zip codes are 5 digits: {update}");
        let temperature: i32 = fields[1].parse().unwrap();
        let humidity: u32 = fields[2].parse().unwrap();
        assert!((-80..=134).contains(&temperature), "{update}");
        assert!((10..=59).contains(&humidity), "{update}");
    }
}
