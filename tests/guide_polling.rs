//! The guide's polling examples, end to end: msreader and mspoller over
//! inproc (their own functions, included from examples/), and interrupt as
//! a child process stopped by a real SIGINT or SIGTERM, checking its lines
//! and exit status.

mod common;

#[allow(dead_code)]
#[path = "../examples/msreader.rs"]
mod msreader;

#[allow(dead_code)]
#[path = "../examples/mspoller.rs"]
mod mspoller;

use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use common::{bound, bounded};
use zactor as zmq;

const TASKS: usize = 100;
const UPDATES: usize = 50;

/// A ventilator and a weather server over inproc; the weather server also
/// sends updates for other zip codes, which the filter must drop. Returns
/// the two sockets, already sent.
fn servers(ctx: &zmq::Context, name: &str) -> (zmq::Socket, zmq::Socket, String, String) {
    let ventilator_ep = format!("inproc://{name}-ventilator");
    let weather_ep = format!("inproc://{name}-weather");
    let ventilator = bound(ctx, zmq::PUSH, &ventilator_ep);
    let weather = bound(ctx, zmq::PUB, &weather_ep);
    (ventilator, weather, ventilator_ep, weather_ep)
}

fn feed(ventilator: &zmq::Socket, weather: &zmq::Socket) {
    for i in 0..TASKS {
        ventilator
            .send(format!("{}", i % 100 + 1).as_str(), 0)
            .unwrap();
    }
    for i in 0..UPDATES {
        weather
            .send(format!("10001 {} 50", i % 100).as_str(), 0)
            .unwrap();
        weather
            .send(format!("10002 {} 50", i % 100).as_str(), 0)
            .unwrap();
    }
}

#[test]
fn msreader_reads_every_task_and_matching_update() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let (ventilator, weather, ventilator_ep, weather_ep) = servers(&ctx, "msreader");
        let (receiver, subscriber) = msreader::connect(&ctx, &ventilator_ep, &weather_ep).unwrap();
        // inproc: the subscription is in place once connect returns.
        feed(&ventilator, &weather);
        let processed = msreader::read_both(&receiver, &subscriber, |p| {
            p.tasks == TASKS && p.updates == UPDATES
        })
        .unwrap();
        assert_eq!(processed.tasks, TASKS);
        assert_eq!(processed.updates, UPDATES, "only zip code 10001");
        assert_eq!(subscriber.recv_msg(zmq::DONTWAIT), Err(zmq::Error::EAGAIN));
    });
}

#[test]
fn mspoller_reads_every_task_and_matching_update() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let (ventilator, weather, ventilator_ep, weather_ep) = servers(&ctx, "mspoller");
        let (receiver, subscriber) = mspoller::connect(&ctx, &ventilator_ep, &weather_ep).unwrap();
        let feeder = thread::spawn(move || {
            feed(&ventilator, &weather);
            (ventilator, weather)
        });
        let processed = mspoller::poll_both(&receiver, &subscriber, |p| {
            p.tasks == TASKS && p.updates == UPDATES
        })
        .unwrap();
        assert_eq!(processed.tasks, TASKS);
        assert_eq!(processed.updates, UPDATES, "only zip code 10001");
        let _servers = feeder.join().unwrap();
        assert_eq!(subscriber.recv_msg(zmq::DONTWAIT), Err(zmq::Error::EAGAIN));
    });
}

/// The `interrupt` example binary, built by `cargo test` next to the tests.
fn example(name: &str) -> PathBuf {
    let mut path = std::env::current_exe().unwrap();
    path.pop(); // the test binary
    if path.ends_with("deps") {
        path.pop();
    }
    path.join("examples").join(name)
}

/// Starts `interrupt` with `args`, waits until it says it is ready, sends
/// `signal` (by name, through kill(1)), and returns its stdout and status.
fn interrupt_with(signal: &str, args: &[&str]) -> (String, std::process::ExitStatus) {
    let binary = example("interrupt");
    assert!(binary.exists(), "{} not built", binary.display());
    let mut child = Command::new(&binary)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Handshake: the example writes its ready line to stderr.
    let stderr = child.stderr.take().unwrap();
    let (ready_tx, ready_rx) = mpsc::channel();
    thread::spawn(move || {
        let mut lines = BufReader::new(stderr).lines();
        if let Some(Ok(line)) = lines.next() {
            let _ = ready_tx.send(line);
        }
        for _ in lines {}
    });
    let ready = ready_rx
        .recv_timeout(Duration::from_secs(20))
        .expect("the example never got ready");
    assert!(ready.starts_with("I: ready"), "{ready}");
    let status = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(child.id().to_string())
        .status()
        .unwrap();
    assert!(status.success());
    let mut stdout = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    let status = child.wait().unwrap();
    (stdout, status)
}

const EXPECTED: &str = "W: interrupt received, killing server…\nW: cleaning up\n";

#[test]
fn interrupt_stops_cleanly_on_sigint() {
    bounded(|| {
        let (stdout, status) = interrupt_with("INT", &["inproc://interrupt-int"]);
        assert_eq!(stdout, EXPECTED);
        assert!(status.success(), "{status}");
    });
}

#[test]
fn interrupt_stops_cleanly_on_sigterm() {
    bounded(|| {
        let (stdout, status) = interrupt_with("TERM", &["inproc://interrupt-term"]);
        assert_eq!(stdout, EXPECTED);
        assert!(status.success(), "{status}");
    });
}

#[test]
fn zactor_signal_interrupts_a_blocking_recv_on_sigint() {
    bounded(|| {
        let (stdout, status) =
            interrupt_with("INT", &["--zactor-signal", "inproc://interrupt-zs-int"]);
        assert_eq!(stdout, EXPECTED);
        assert!(status.success(), "{status}");
    });
}

#[test]
fn zactor_signal_interrupts_a_blocking_recv_on_sigterm() {
    bounded(|| {
        let (stdout, status) =
            interrupt_with("TERM", &["--zactor-signal", "inproc://interrupt-zs-term"]);
        assert_eq!(stdout, EXPECTED);
        assert!(status.success(), "{status}");
    });
}
