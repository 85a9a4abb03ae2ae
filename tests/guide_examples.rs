//! The guide's chapter 2 examples, run end to end over inproc in one
//! context: each example's source is included as a module and its functions
//! are called with inproc endpoints instead of the tcp ones its `main` uses,
//! short workloads instead of the guide's seconds, and writers instead of
//! stdout, so the output can be checked.
//!
//! Long-running pieces (brokers, proxies, services) end the way the guide's
//! do: the context is terminated and they return `ETERM`.

mod common;

use std::io::{self, Write};
use std::sync::{mpsc, Arc, Mutex};
use std::thread;
use std::time::Duration;

use common::{bound, bounded, connected, endpoint};
use zactor as zmq;

#[allow(dead_code)]
#[path = "../examples/msgqueue.rs"]
mod msgqueue;
#[allow(dead_code)]
#[path = "../examples/mtrelay.rs"]
mod mtrelay;
#[allow(dead_code)]
#[path = "../examples/mtserver.rs"]
mod mtserver;
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

#[test]
fn mtrelay_prints_test_successful() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let mut out = Vec::new();
        mtrelay::run(
            &ctx,
            &endpoint("guide-mtrelay-step2"),
            &endpoint("guide-mtrelay-step3"),
            &mut out,
        )
        .expect("relay");
        assert_eq!(String::from_utf8(out).unwrap(), "Test successful!\n");
    });
}

#[test]
fn mtserver_answers_every_request_with_world() {
    const CLIENTS: usize = 2;
    bounded(|| {
        let mut ctx = zmq::Context::new();
        let clients = endpoint("guide-mtserver-clients");
        let workers = endpoint("guide-mtserver-workers");
        let log = SharedOutput::default();
        let server = {
            let (ctx, clients, log) = (ctx.clone(), clients.clone(), log.clone());
            thread::spawn(move || mtserver::run(&ctx, &clients, &workers, WORK, log))
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

/// Two clients and two `rrworker`s through `broker` (rrbroker or msgqueue).
fn broker_serves_two_clients_with_two_workers(
    name: &str,
    broker: fn(&zmq::Context, &str, &str) -> zmq::Result<()>,
) {
    let mut ctx = zmq::Context::new();
    let frontend = endpoint(&format!("guide-{name}-frontend"));
    let backend = endpoint(&format!("guide-{name}-backend"));
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
fn rrbroker_brokers_between_rrclients_and_rrworkers() {
    bounded(|| broker_serves_two_clients_with_two_workers("rrbroker", rrbroker::run));
}

#[test]
fn msgqueue_brokers_between_rrclients_and_rrworkers() {
    bounded(|| broker_serves_two_clients_with_two_workers("msgqueue", msgqueue::run));
}

#[test]
fn wuproxy_relays_whole_updates_to_a_subscriber() {
    const UPDATES: usize = 10;
    bounded(|| {
        let mut ctx = zmq::Context::new();
        let internal = endpoint("guide-wuproxy-internal");
        let external = endpoint("guide-wuproxy-external");
        let ack_addr = endpoint("guide-wuproxy-ack");
        let server = bound(&ctx, zmq::PUB, &internal);
        let proxy = {
            let (ctx, internal, external) = (ctx.clone(), internal.clone(), external.clone());
            thread::spawn(move || wuproxy::run(&ctx, &internal, &external))
        };
        let ack = bound(&ctx, zmq::PAIR, &ack_addr);
        let client = {
            let sub = connected(&ctx, zmq::SUB, &external);
            sub.set_subscribe(b"10001").unwrap();
            let ack = connected(&ctx, zmq::PAIR, &ack_addr);
            thread::spawn(move || {
                for _ in 0..UPDATES {
                    let update = sub.recv_multipart(0).expect("an update");
                    assert_eq!(update.len(), 2, "both parts of the update");
                    assert_eq!(update[0], b"10001", "only the zip code asked for");
                    assert_eq!(update[1], b"25 60");
                }
                ack.send("done", 0).unwrap();
            })
        };
        // Publish until the subscriber has its updates (until both
        // subscriptions are in place, the PUBs drop what nobody asked for).
        while ack.poll(zmq::POLLIN, 1).unwrap() == 0 {
            server.send_multipart(["20000", "10 50"], 0).unwrap();
            server.send_multipart(["10001", "25 60"], 0).unwrap();
        }
        client.join().expect("subscriber");
        drop((server, ack));
        ctx.destroy().unwrap();
        assert_eq!(proxy.join().expect("proxy"), Err(zmq::Error::ETERM));
    });
}

#[test]
fn task_pipeline_reaches_the_sink_and_kills_the_workers() {
    const WORKERS: usize = 3;
    bounded(|| {
        let ctx = zmq::Context::new();
        let tasks = endpoint("guide-tasks");
        let results = endpoint("guide-results");
        let control = endpoint("guide-control");
        let sink = {
            let (ctx, results, control) = (ctx.clone(), results.clone(), control.clone());
            thread::spawn(move || {
                let mut out = Vec::new();
                tasksink2::run(&ctx, &results, &control, Duration::ZERO, &mut out).expect("sink");
                String::from_utf8(out).expect("UTF-8")
            })
        };
        // Workers connect (and subscribe to the kill signal) before the
        // ventilator is told they are ready: the "Press Enter" handshake.
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

        // Every worker got the KILL (each `run` returned), and between them
        // they did every task.
        let mut done = 0;
        let mut cost = 0;
        for worker in workers {
            for line in worker.join().expect("worker").lines() {
                let workload: u32 = line.parse().expect("a workload");
                assert!((1..=100).contains(&workload));
                done += 1;
                cost += workload;
            }
        }
        assert_eq!(done, taskvent::TASKS, "every task done once");
        assert_eq!(cost, total, "the expected cost, all of it");
    });
}

#[test]
fn the_random_workloads_span_1_to_100() {
    let mut random = taskvent::Random::new(7);
    let workloads: Vec<u32> = (0..10_000).map(|_| random.below(100) + 1).collect();
    assert_eq!(workloads.iter().min(), Some(&1));
    assert_eq!(workloads.iter().max(), Some(&100));
}
