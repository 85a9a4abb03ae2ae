//! Criterion benches of zactor over inproc: PUSH→PULL throughput by body
//! size, PAIR and REQ/REP round trips, PUB→N SUB fan-out with the drops
//! counted, and the cost of one SUB receive on one thread.
//!
//! `cargo bench --bench inproc` runs them all in about a minute; a filter
//! narrows it (`cargo bench --bench inproc -- push_pull`). Every socket lives
//! on its own thread, pinned by `ZACTOR_BENCH_PLACEMENT`:
//!
//! - `split` (the default on two or more cores): the sending or requesting
//!   thread on core 0, its peers on core 1;
//! - `same`: every thread on core 0;
//! - `none`: left to the scheduler, which makes any blocking handoff bimodal
//!   (it sometimes keeps both threads on one core, sometimes splits them).
//!
//! Threads and sockets are set up once per benchmark and reused by every
//! sample, so a sample times only messages. For the same workloads against
//! libzmq and omq-tokio, see `benches/compare/main.rs`.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use criterion::measurement::WallTime;
use criterion::{
    criterion_group, criterion_main, BenchmarkGroup, BenchmarkId, Criterion, Throughput,
};
use crossbeam_channel::{bounded, Receiver, Sender};
use zactor as zmq;

/// Where the benchmark threads run.
#[derive(Clone, Copy, Debug)]
enum Placement {
    Same,
    Split,
    Unpinned,
}

impl Placement {
    fn from_env() -> Placement {
        let cores = core_affinity::get_core_ids().map_or(1, |ids| ids.len());
        match std::env::var("ZACTOR_BENCH_PLACEMENT").as_deref() {
            Ok("same") => Placement::Same,
            Ok("split") if cores >= 2 => Placement::Split,
            Ok("none") => Placement::Unpinned,
            _ if cores >= 2 => Placement::Split,
            _ => Placement::Unpinned,
        }
    }

    /// The core for a thread: the driving thread (sender, requester,
    /// publisher) is `leader`, the others its peers.
    fn core(self, leader: bool) -> Option<usize> {
        match self {
            Placement::Same => Some(0),
            Placement::Split => Some(if leader { 0 } else { 1 }),
            Placement::Unpinned => None,
        }
    }
}

fn pin(core: Option<usize>) {
    if let Some(id) = core {
        // A failed pin leaves the thread unpinned; the placement printed at
        // start-up then overstates, which is why it is only a bench.
        core_affinity::set_for_current(core_affinity::CoreId { id });
    }
}

/// A thread that owns some state (its socket) and runs jobs of `n`
/// messages on request, answering each with the time the job took.
struct Worker {
    jobs: Option<Sender<u64>>,
    done: Receiver<Duration>,
    handle: Option<JoinHandle<()>>,
}

impl Worker {
    fn spawn<S, Setup, Job>(core: Option<usize>, setup: Setup, mut job: Job) -> Worker
    where
        Setup: FnOnce() -> S + Send + 'static,
        Job: FnMut(&mut S, u64) + Send + 'static,
    {
        let (jobs, job_rx) = bounded::<u64>(1);
        let (done_tx, done) = bounded(1);
        let handle = thread::spawn(move || {
            pin(core);
            let mut state = setup();
            // The first answer says the setup finished.
            let _ = done_tx.send(Duration::ZERO);
            for n in job_rx {
                let start = Instant::now();
                job(&mut state, n);
                if done_tx.send(start.elapsed()).is_err() {
                    return;
                }
            }
        });
        let worker = Worker {
            jobs: Some(jobs),
            done,
            handle: Some(handle),
        };
        worker.wait();
        worker
    }

    fn start(&self, n: u64) {
        if let Some(jobs) = &self.jobs {
            jobs.send(n).expect("bench worker died");
        }
    }

    fn wait(&self) -> Duration {
        self.done.recv().expect("bench worker died")
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.jobs = None;
        if let Some(handle) = self.handle.take() {
            let _ = handle.join();
        }
    }
}

fn configure(group: &mut BenchmarkGroup<'_, WallTime>) {
    group.sample_size(10);
    group.warm_up_time(Duration::from_millis(500));
    group.measurement_time(Duration::from_secs(2));
}

fn endpoint(name: &str) -> String {
    // Unique per call: a bench may build the same workload twice.
    static SEQ: AtomicUsize = AtomicUsize::new(0);
    format!(
        "inproc://bench-{name}-{}",
        SEQ.fetch_add(1, Ordering::Relaxed)
    )
}

/// PUSH→PULL, `n` messages of `size` bytes per job. Bodies up to 1 KiB are
/// copied from a slice (inline up to 77 bytes); 64 KiB is a `Vec` moved in,
/// allocated per message by the sender and freed by the receiver.
fn push_pull(c: &mut Criterion, placement: Placement) {
    let ctx = zmq::Context::new();
    let mut group = c.benchmark_group("push_pull");
    configure(&mut group);
    group.throughput(Throughput::Elements(1));
    for size in [1usize, 64, 1024, 65536] {
        let addr = endpoint("push-pull");
        let receiver = {
            let (ctx, addr) = (ctx.clone(), addr.clone());
            Worker::spawn(
                placement.core(false),
                move || {
                    let pull = ctx.socket(zmq::PULL).unwrap();
                    pull.bind(&addr).unwrap();
                    pull
                },
                move |pull, n| {
                    for _ in 0..n {
                        pull.recv_msg(0).unwrap();
                    }
                },
            )
        };
        let sender = {
            let ctx = ctx.clone();
            Worker::spawn(
                placement.core(true),
                move || {
                    let push = ctx.socket(zmq::PUSH).unwrap();
                    push.connect(&addr).unwrap();
                    push
                },
                move |push, n| {
                    let body = vec![0u8; size];
                    for _ in 0..n {
                        if size > 1024 {
                            push.send(vec![0u8; size], 0).unwrap();
                        } else {
                            push.send(&body[..], 0).unwrap();
                        }
                    }
                },
            )
        };
        group.bench_function(BenchmarkId::from_parameter(size), |b| {
            b.iter_custom(|iters| {
                let start = Instant::now();
                receiver.start(iters);
                sender.start(iters);
                receiver.wait();
                sender.wait();
                start.elapsed()
            })
        });
    }
    group.finish();
}

/// A requester/echo pair of `kind`s; the requester's job is `n` round trips.
fn round_trip(
    group: &mut BenchmarkGroup<'_, WallTime>,
    ctx: &zmq::Context,
    placement: Placement,
    id: BenchmarkId,
    kinds: (zmq::SocketType, zmq::SocketType),
    size: usize,
) {
    let addr = endpoint("round-trip");
    let echo = {
        let (ctx, addr) = (ctx.clone(), addr.clone());
        Worker::spawn(
            placement.core(false),
            move || {
                let socket = ctx.socket(kinds.1).unwrap();
                socket.bind(&addr).unwrap();
                socket
            },
            move |socket, n| {
                for _ in 0..n {
                    let msg = socket.recv_msg(0).unwrap();
                    socket.send(msg, 0).unwrap();
                }
            },
        )
    };
    let client = {
        let ctx = ctx.clone();
        Worker::spawn(
            placement.core(true),
            move || {
                let socket = ctx.socket(kinds.0).unwrap();
                socket.connect(&addr).unwrap();
                socket
            },
            move |socket, n| {
                let body = vec![1u8; size];
                for _ in 0..n {
                    socket.send(&body[..], 0).unwrap();
                    socket.recv_msg(0).unwrap();
                }
            },
        )
    };
    group.bench_function(id, |b| {
        b.iter_custom(|iters| {
            echo.start(iters);
            client.start(iters);
            let took = client.wait();
            echo.wait();
            took
        })
    });
}

fn pair_round_trip(c: &mut Criterion, placement: Placement) {
    let ctx = zmq::Context::new();
    let mut group = c.benchmark_group("pair_round_trip");
    configure(&mut group);
    for size in [1usize, 1024] {
        let id = BenchmarkId::from_parameter(size);
        round_trip(
            &mut group,
            &ctx,
            placement,
            id,
            (zmq::PAIR, zmq::PAIR),
            size,
        );
    }
    group.finish();
}

/// Whether REQ/REP work in this build: one round trip on one thread.
fn req_rep_supported(ctx: &zmq::Context) -> bool {
    let addr = endpoint("req-rep-probe");
    let attempt = || -> zmq::Result<()> {
        let rep = ctx.socket(zmq::REP)?;
        rep.bind(&addr)?;
        let req = ctx.socket(zmq::REQ)?;
        req.connect(&addr)?;
        req.send("ping", zmq::DONTWAIT)?;
        let ping = rep.recv_msg(zmq::DONTWAIT)?;
        rep.send(ping, zmq::DONTWAIT)?;
        req.recv_msg(zmq::DONTWAIT).map(drop)
    };
    attempt().is_ok()
}

fn req_rep_round_trip(c: &mut Criterion, placement: Placement) {
    let ctx = zmq::Context::new();
    if !req_rep_supported(&ctx) {
        eprintln!("req_rep_round_trip: skipped, REQ/REP failed a one-message probe");
        return;
    }
    let mut group = c.benchmark_group("req_rep_round_trip");
    configure(&mut group);
    let id = BenchmarkId::from_parameter(1);
    round_trip(&mut group, &ctx, placement, id, (zmq::REQ, zmq::REP), 1);
    group.finish();
}

/// The first byte of a fan-out message says what it is; bytes 1..5 carry the
/// round it belongs to, so a subscriber skips what an earlier round left.
const PROBE: u8 = 0;
const DATA: u8 = 1;
const END: u8 = 2;

fn fan_out_msg(kind: u8, round: u32) -> [u8; 64] {
    let mut msg = [0u8; 64];
    msg[0] = kind;
    msg[1..5].copy_from_slice(&round.to_le_bytes());
    msg
}

/// One subscriber thread: its socket and which round it is in.
struct Sub {
    socket: zmq::Socket,
    round: u32,
}

/// PUB→N SUB, a thread per subscriber, 64-byte messages at the default HWM.
/// A job publishes `n` messages, then repeats an END marker until every
/// subscriber has seen it (the publisher never blocks, so END itself can be
/// dropped). Throughput counts offered deliveries (`n × N`); the share that
/// was dropped is printed after the group.
fn pub_sub_fan_out(c: &mut Criterion, placement: Placement) {
    let ctx = zmq::Context::new();
    let mut group = c.benchmark_group("pub_sub_fan_out");
    configure(&mut group);
    for subscribers in [1usize, 10, 100] {
        let addr = endpoint("fan-out");
        let delivered = Arc::new(AtomicU64::new(0));
        let offered = Arc::new(AtomicU64::new(0));
        // Subscribers that finished a round, over all rounds so far.
        let finished = Arc::new(AtomicUsize::new(0));
        let publisher = {
            let (ctx, addr, finished) = (ctx.clone(), addr.clone(), finished.clone());
            let mut round = 0u32;
            Worker::spawn(
                placement.core(true),
                move || {
                    let publisher = ctx.socket(zmq::PUB).unwrap();
                    publisher.bind(&addr).unwrap();
                    publisher
                },
                move |publisher, n| {
                    let target = subscribers * (round as usize + 1);
                    if round > 0 {
                        let data = fan_out_msg(DATA, round);
                        for _ in 0..n {
                            publisher.send(&data[..], 0).unwrap();
                        }
                    }
                    // Round 0 is the handshake: probes until every
                    // subscription has arrived and every SUB heard one.
                    let marker = fan_out_msg(if round == 0 { PROBE } else { END }, round);
                    while finished.load(Ordering::Acquire) < target {
                        publisher.send(&marker[..], 0).unwrap();
                        thread::sleep(Duration::from_micros(50));
                    }
                    round += 1;
                },
            )
        };
        let subs: Vec<Worker> = (0..subscribers)
            .map(|_| {
                let (ctx, addr) = (ctx.clone(), addr.clone());
                let (delivered, finished) = (delivered.clone(), finished.clone());
                Worker::spawn(
                    placement.core(false),
                    move || {
                        let socket = ctx.socket(zmq::SUB).unwrap();
                        socket.set_subscribe(b"").unwrap();
                        socket.connect(&addr).unwrap();
                        Sub { socket, round: 0 }
                    },
                    move |sub, _| {
                        let want = if sub.round == 0 { PROBE } else { END };
                        let mut count = 0;
                        loop {
                            let msg = sub.socket.recv_msg(0).unwrap();
                            let round = u32::from_le_bytes([msg[1], msg[2], msg[3], msg[4]]);
                            if round != sub.round {
                                continue;
                            }
                            if msg[0] == DATA {
                                count += 1;
                            } else if msg[0] == want {
                                break;
                            }
                        }
                        delivered.fetch_add(count, Ordering::Relaxed);
                        finished.fetch_add(1, Ordering::Release);
                        sub.round += 1;
                    },
                )
            })
            .collect();
        let run = |n: u64| {
            for sub in &subs {
                sub.start(n);
            }
            publisher.start(n);
            for sub in &subs {
                sub.wait();
            }
            publisher.wait();
        };
        run(0); // the handshake round
        group.throughput(Throughput::Elements(subscribers as u64));
        group.bench_function(BenchmarkId::from_parameter(subscribers), |b| {
            b.iter_custom(|iters| {
                let start = Instant::now();
                run(iters);
                offered.fetch_add(iters * subscribers as u64, Ordering::Relaxed);
                start.elapsed()
            })
        });
        let (delivered, offered) = (
            delivered.load(Ordering::Relaxed),
            offered.load(Ordering::Relaxed),
        );
        eprintln!(
            "pub_sub_fan_out/{subscribers}: {delivered} of {offered} deliveries made, {:.1} % dropped",
            100.0 * (1.0 - delivered as f64 / offered.max(1) as f64)
        );
        drop(subs);
        drop(publisher);
    }
    group.finish();
}

/// The cost of one SUB receive on one thread, no wake-ups and no other
/// core: a PUB publishes 1,000 messages of 64 bytes to 100 SUBs, then each
/// SUB drains its pipe; only the draining is timed. (What bounds PUB→100
/// SUB split is this cost on the subscribers' core.)
fn sub_receive(c: &mut Criterion) {
    const SUBSCRIBERS: usize = 100;
    // At most the pipes' capacity less one unreported credit batch, so
    // nothing is dropped.
    const BATCH: usize = 1000;
    let mut group = c.benchmark_group("sub_receive");
    configure(&mut group);
    group.throughput(Throughput::Elements((SUBSCRIBERS * BATCH) as u64));
    let ctx = zmq::Context::new();
    let addr = endpoint("sub-receive");
    let publisher = ctx.socket(zmq::PUB).expect("pub");
    publisher.bind(&addr).expect("bind");
    let subs: Vec<zmq::Socket> = (0..SUBSCRIBERS)
        .map(|_| {
            let sub = ctx.socket(zmq::SUB).expect("sub");
            sub.set_subscribe(b"").expect("subscribe");
            sub.connect(&addr).expect("connect");
            sub
        })
        .collect();
    // Subscriptions reach the PUB when it next sends: probe until every SUB
    // has one, then empty the pipes.
    loop {
        publisher.send(&b"probe"[..], 0).expect("send");
        if subs
            .iter()
            .all(|s| s.poll(zmq::POLLIN, 0).expect("poll") > 0)
        {
            break;
        }
    }
    for sub in &subs {
        while sub.recv_msg(zmq::DONTWAIT).is_ok() {}
    }
    let body = [7u8; 64];
    group.bench_function(BenchmarkId::new("100 SUB drain", "64 B"), |b| {
        b.iter_custom(|batches| {
            let mut drained = Duration::ZERO;
            for _ in 0..batches {
                for _ in 0..BATCH {
                    publisher.send(&body[..], 0).expect("send");
                }
                let start = Instant::now();
                for sub in &subs {
                    for _ in 0..BATCH {
                        let msg = sub.recv_msg(zmq::DONTWAIT).expect("a published message");
                        std::hint::black_box(&msg);
                    }
                }
                drained += start.elapsed();
            }
            drained
        })
    });
    group.finish();
}

fn benches(c: &mut Criterion) {
    let placement = Placement::from_env();
    eprintln!("placement: {placement:?} (ZACTOR_BENCH_PLACEMENT=same|split|none)");
    push_pull(c, placement);
    pair_round_trip(c, placement);
    req_rep_round_trip(c, placement);
    pub_sub_fan_out(c, placement);
    sub_receive(c);
}

criterion_group!(inproc, benches);
criterion_main!(inproc);
