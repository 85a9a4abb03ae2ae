//! The guide's chapter-2 programs over tcp (loopback): syncpub/syncsub (the
//! guide's shell loop, `examples/syncpubsub.sh`, with ten subscribers and
//! a million updates each, and in-process), psenvpub/psenvsub, and the tcp
//! forms of the examples `tests/guide_examples.rs` runs over inproc: mtserver,
//! rrclient/rrworker with rrbroker and msgqueue, wuproxy (given the weather
//! server's address), taskvent/taskwork2/tasksink2.
//!
//! The examples bind inside their `run` functions, so these tests give them
//! free ports: [`free_endpoint`] asks the kernel for one (bind to port 0,
//! read it, close). Another process could take the port in between; the
//! kernel hands out ephemeral ports in turn, which makes that unlikely, and
//! the bind would then fail loudly (`EADDRINUSE`), never hang.

mod common;

use std::io::{self, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use common::{bounded, connected, socket};
use zactor as zmq;

#[allow(dead_code)]
#[path = "../examples/msgqueue.rs"]
mod msgqueue;
#[allow(dead_code)]
#[path = "../examples/mtserver.rs"]
mod mtserver;
#[allow(dead_code)]
#[path = "../examples/psenvpub.rs"]
mod psenvpub;
#[allow(dead_code)]
#[path = "../examples/psenvsub.rs"]
mod psenvsub;
#[allow(dead_code)]
#[path = "../examples/rrbroker.rs"]
mod rrbroker;
#[allow(dead_code)]
#[path = "../examples/rrclient.rs"]
mod rrclient;
#[allow(dead_code)]
#[path = "../examples/rrworker.rs"]
mod rrworker;
#[allow(dead_code)]
#[path = "../examples/syncpub.rs"]
mod syncpub;
#[allow(dead_code)]
#[path = "../examples/syncsub.rs"]
mod syncsub;
#[allow(dead_code)]
#[path = "../examples/tasksink2.rs"]
mod tasksink2;
#[allow(dead_code)]
#[path = "../examples/taskvent.rs"]
mod taskvent;
#[allow(dead_code)]
#[path = "../examples/taskwork2.rs"]
mod taskwork2;
#[allow(dead_code)]
#[path = "../examples/wuproxy.rs"]
mod wuproxy;

/// The guide's one-second "work", shortened.
const WORK: Duration = Duration::from_millis(1);

/// A loopback port nobody listens on now.
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().unwrap().port()
}

/// `tcp://127.0.0.1:PORT` on a free port.
fn free_endpoint() -> String {
    format!("tcp://127.0.0.1:{}", free_port())
}

/// Returns once something listens on `endpoint` (a `tcp://` one): a
/// loopback connect is refused at once until then, so this is a handshake
/// with the binding thread, not a wait for time to pass.
fn wait_until_listening(endpoint: &str) {
    let address = endpoint.trim_start_matches("tcp://");
    while TcpStream::connect(address).is_err() {
        thread::yield_now();
    }
}

/// The zmq error inside an example's `io::Error`, if that is what it is.
fn zmq_error(error: &io::Error) -> Option<zmq::Error> {
    error.get_ref()?.downcast_ref::<zmq::Error>().copied()
}

fn assert_eterm(result: io::Result<()>) {
    match result {
        Err(error) => assert_eq!(zmq_error(&error), Some(zmq::Error::ETERM), "{error}"),
        Ok(()) => panic!("expected ETERM, got Ok"),
    }
}

/// A writer several threads share (each holds a clone).
#[derive(Clone, Default)]
struct SharedOutput(Arc<Mutex<Vec<u8>>>);

impl SharedOutput {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).expect("UTF-8 output")
    }
}

impl Write for SharedOutput {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// What `rrclient` prints for its ten requests answered "World".
fn ten_worlds() -> String {
    (0..10)
        .map(|n| format!("Received reply {n} [World]\n"))
        .collect()
}

/// `rrclient` on its own thread; returns its output.
fn spawn_client(ctx: &zmq::Context, endpoint: &str) -> thread::JoinHandle<String> {
    let (ctx, endpoint) = (ctx.clone(), endpoint.to_owned());
    thread::spawn(move || {
        let mut out = Vec::new();
        rrclient::run(&ctx, &endpoint, &mut out).expect("rrclient");
        String::from_utf8(out).expect("UTF-8")
    })
}

/// Where cargo put the examples of this build (`cargo test` builds them):
/// the test binary is `target/<profile>/deps/guide_tcp_ch2-…`.
fn examples_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().unwrap().parent().unwrap().join("examples");
    for example in ["syncpub", "syncsub"] {
        assert!(
            dir.join(example).exists(),
            "{} is missing: `cargo test` builds the examples (or `cargo build --example {example}`)",
            dir.join(example).display()
        );
    }
    dir
}

/// The guide's shell loop (`examples/syncpubsub.sh`): ten `syncsub`
/// processes, then `syncpub` with 1,000,000 updates; every subscriber must
/// receive every update. Killed, with its children, after two minutes.
#[test]
fn syncpubsub_script_ten_subscribers_receive_a_million_updates_each() {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/syncpubsub.sh");
    let (pub_port, sync_port) = (free_port(), free_port());
    let started = Instant::now();
    let mut command = Command::new("bash");
    command
        .arg(script)
        .arg(examples_dir())
        .env("PUB_PORT", pub_port.to_string())
        .env("SYNC_PORT", sync_port.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // Its own process group, so a timeout can kill the subscribers too.
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    let child = command.spawn().expect("bash runs the script");
    let group = child.id();
    let (done, finished) = mpsc::channel();
    thread::spawn(move || {
        let _ = done.send(child.wait_with_output());
    });
    let output = match finished.recv_timeout(Duration::from_secs(120)) {
        Ok(output) => output.expect("the script's output"),
        Err(_) => {
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{group}")])
                .status();
            panic!("syncpubsub.sh still running after 120 s");
        }
    };
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "{}\n{stdout}\n{stderr}",
        output.status
    );
    let mut lines = stdout.lines();
    assert_eq!(lines.next(), Some("Starting subscribers..."));
    assert_eq!(lines.next(), Some("Starting publisher..."));
    let received: Vec<&str> = lines.collect();
    assert_eq!(received, vec!["Received 1000000 updates"; 10], "{stderr}");
    eprintln!(
        "syncpubsub.sh: 10 x 1,000,000 updates in {:?}",
        started.elapsed()
    );
}

/// syncpub and three syncsubs in one process over tcp, fewer updates.
#[test]
fn syncsubs_receive_every_update_from_syncpub() {
    const SUBSCRIBERS: usize = 3;
    const UPDATES: u64 = 100_000;
    bounded(|| {
        let ctx = zmq::Context::new();
        let (publisher, sync) = (free_endpoint(), free_endpoint());
        let subscribers: Vec<_> = (0..SUBSCRIBERS)
            .map(|_| {
                let (ctx, publisher, sync) = (ctx.clone(), publisher.clone(), sync.clone());
                thread::spawn(move || {
                    let mut out = Vec::new();
                    let count = syncsub::run(&ctx, &publisher, &sync, &mut out).expect("syncsub");
                    (count, String::from_utf8(out).unwrap())
                })
            })
            .collect();
        let mut out = Vec::new();
        syncpub::run(&ctx, &publisher, &sync, SUBSCRIBERS, UPDATES, &mut out).expect("syncpub");
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "3 subscribers synchronised\n"
        );
        for subscriber in subscribers {
            let (count, out) = subscriber.join().expect("syncsub");
            assert_eq!(count, UPDATES);
            assert_eq!(out, format!("Received {UPDATES} updates\n"));
        }
    });
}

#[test]
fn psenvsub_sees_only_the_b_messages_whole() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let publisher = socket(&ctx, zmq::PUB);
        publisher.bind("tcp://127.0.0.1:*").unwrap();
        let endpoint = publisher.get_last_endpoint().unwrap().unwrap();
        let subscriber = connected(&ctx, zmq::SUB, &endpoint);
        let (done_tx, done) = mpsc::channel();
        let client = thread::spawn(move || {
            let mut out = Vec::new();
            psenvsub::run(&subscriber, Some(5), &mut out).expect("psenvsub");
            done_tx.send(()).unwrap();
            String::from_utf8(out).unwrap()
        });
        // Publish until the subscriber has its five (its subscription may
        // arrive after the first pairs, which the PUB then drops).
        psenvpub::publish(&publisher, Duration::ZERO, || done.try_recv().is_err()).unwrap();
        assert_eq!(
            client.join().unwrap(),
            "[B] We would like to see this\n".repeat(5)
        );
    });
}

#[test]
fn mtserver_over_tcp_answers_every_request_with_world() {
    const CLIENTS: usize = 2;
    bounded(|| {
        let mut ctx = zmq::Context::new();
        let clients = free_endpoint();
        let log = SharedOutput::default();
        let server = {
            let (ctx, clients, log) = (ctx.clone(), clients.clone(), log.clone());
            thread::spawn(move || {
                mtserver::run(&ctx, &clients, "inproc://mtserver-workers", WORK, log)
            })
        };
        let outputs: Vec<_> = (0..CLIENTS).map(|_| spawn_client(&ctx, &clients)).collect();
        for output in outputs {
            assert_eq!(output.join().expect("client"), ten_worlds());
        }
        ctx.destroy().unwrap();
        assert_eterm(server.join().expect("server"));
        let log = log.text();
        assert_eq!(log.lines().count(), 10 * CLIENTS, "{log}");
        assert!(
            log.lines().all(|l| l == "Received request: [Hello]"),
            "{log}"
        );
    });
}

/// Two clients and two `rrworker`s through `broker` (rrbroker or msgqueue),
/// all over tcp.
fn broker_serves_two_clients_with_two_workers(
    broker: fn(&zmq::Context, &str, &str) -> zmq::Result<()>,
) {
    let mut ctx = zmq::Context::new();
    let (frontend, backend) = (free_endpoint(), free_endpoint());
    let broker = {
        let (ctx, frontend, backend) = (ctx.clone(), frontend.clone(), backend.clone());
        thread::spawn(move || broker(&ctx, &frontend, &backend))
    };
    let workers: Vec<_> = (0..2)
        .map(|_| {
            let (ctx, backend) = (ctx.clone(), backend.clone());
            thread::spawn(move || {
                let mut out = Vec::new();
                let ended = rrworker::run(&ctx, &backend, WORK, &mut out);
                (ended, String::from_utf8(out).expect("UTF-8"))
            })
        })
        .collect();
    let clients: Vec<_> = (0..2).map(|_| spawn_client(&ctx, &frontend)).collect();
    for client in clients {
        assert_eq!(client.join().expect("client"), ten_worlds());
    }
    ctx.destroy().unwrap();
    assert_eq!(broker.join().expect("broker"), Err(zmq::Error::ETERM));
    let mut served = 0;
    for worker in workers {
        let (ended, out) = worker.join().expect("worker");
        assert_eterm(ended);
        assert!(
            out.lines().all(|l| l == "Received request: [Hello]"),
            "{out}"
        );
        served += out.lines().count();
    }
    assert_eq!(served, 20, "every request served once");
}

#[test]
fn rrbroker_over_tcp_brokers_between_rrclients_and_rrworkers() {
    bounded(|| broker_serves_two_clients_with_two_workers(rrbroker::run));
}

#[test]
fn msgqueue_over_tcp_brokers_between_rrclients_and_rrworkers() {
    bounded(|| broker_serves_two_clients_with_two_workers(msgqueue::run));
}

#[test]
fn wuproxy_relays_the_weather_servers_updates_given_its_address() {
    const UPDATES: usize = 10;
    bounded(|| {
        let mut ctx = zmq::Context::new();
        // The weather server, on a port of its own choosing.
        let server = socket(&ctx, zmq::PUB);
        server.bind("tcp://127.0.0.1:*").unwrap();
        let weather_server = server.get_last_endpoint().unwrap().unwrap();
        let external = free_endpoint();
        let proxy = {
            let (ctx, external) = (ctx.clone(), external.clone());
            thread::spawn(move || wuproxy::run(&ctx, &weather_server, &external))
        };
        let (done_tx, done) = mpsc::channel();
        let client = {
            let sub = connected(&ctx, zmq::SUB, &external);
            sub.set_subscribe(b"10001").unwrap();
            thread::spawn(move || {
                for _ in 0..UPDATES {
                    let update = sub.recv_multipart(0).expect("an update");
                    assert_eq!(update, vec![b"10001".to_vec(), b"25 60".to_vec()]);
                }
                done_tx.send(()).unwrap();
            })
        };
        // Publish until the subscriber has its updates (until both
        // subscriptions are in place, the PUBs drop what nobody asked for).
        while done.try_recv().is_err() {
            server.send_multipart(["20000", "10 50"], 0).unwrap();
            server.send_multipart(["10001", "25 60"], 0).unwrap();
            thread::yield_now();
        }
        client.join().expect("subscriber");
        drop(server);
        ctx.destroy().unwrap();
        assert_eq!(proxy.join().expect("proxy"), Err(zmq::Error::ETERM));
    });
}

#[test]
fn task_pipeline_over_tcp_reaches_the_sink_and_kills_the_workers() {
    const WORKERS: usize = 3;
    bounded(|| {
        let ctx = zmq::Context::new();
        let (tasks, results, control) = (free_endpoint(), free_endpoint(), free_endpoint());
        let sink = {
            let (ctx, results, control) = (ctx.clone(), results.clone(), control.clone());
            thread::spawn(move || {
                let mut out = Vec::new();
                tasksink2::run(&ctx, &results, &control, Duration::ZERO, &mut out).expect("sink");
                String::from_utf8(out).expect("UTF-8")
            })
        };
        // The sink's KILL reaches only the workers whose control connection
        // is up: have it listening before they connect, so they connect at
        // once (not after a reconnect interval), long before the batch ends.
        wait_until_listening(&control);
        let (connected_tx, connected_rx) = mpsc::channel();
        let workers: Vec<_> = (0..WORKERS)
            .map(|_| {
                let (ctx, tasks, results, control) =
                    (ctx.clone(), tasks.clone(), results.clone(), control.clone());
                let connected_tx = connected_tx.clone();
                thread::spawn(move || {
                    let worker = taskwork2::Worker::connect(&ctx, &tasks, &results, &control)
                        .expect("connect");
                    connected_tx.send(()).unwrap();
                    let mut out = Vec::new();
                    worker
                        .run(Duration::from_micros(20), &mut out)
                        .expect("the worker ends on KILL");
                    String::from_utf8(out).expect("UTF-8")
                })
            })
            .collect();
        for _ in 0..WORKERS {
            connected_rx.recv().unwrap();
        }
        let mut out = Vec::new();
        let total = taskvent::run(
            &ctx,
            &tasks,
            &results,
            &b"\n"[..],
            &mut taskvent::Random::new(2024),
            &mut out,
        )
        .expect("ventilator");
        assert_eq!(
            String::from_utf8(out).unwrap(),
            format!(
                "Press Enter when the workers are ready: Sending tasks to workers...\n\
                 Total expected cost: {total} msec\n"
            )
        );
        let sink_out = sink.join().expect("sink");
        let (progress, rest) = sink_out.split_once('\n').expect("a progress line");
        assert_eq!(progress, ":.........".repeat(10), "a mark per result");
        assert!(
            rest.starts_with("Total elapsed time: ") && rest.ends_with(" msec\n"),
            "{rest:?}"
        );
        let mut done = 0;
        let mut cost = 0;
        for worker in workers {
            for line in worker.join().expect("worker").lines() {
                let workload: u32 = line.parse().expect("a workload");
                done += 1;
                cost += workload;
            }
        }
        assert_eq!(done, taskvent::TASKS, "every task done once");
        assert_eq!(cost, total, "the expected cost, all of it");
    });
}
