//! zactor against its peers, the same workloads (inproc, tcp, ipc) in one run:
//! `cargo bench --features compare --bench compare`.
//!
//! Peers: libzmq 4.3 through the `zmq` 0.10 crate (which builds its own
//! libzmq), omq-tokio (the other pure-Rust ZeroMQ; async API, each thread
//! running its own current-thread tokio runtime with its socket's driver on
//! it), and a bare crossbeam channel, the floor any queue-based design pays.
//!
//! Workloads, all over inproc between threads:
//! - PUSH→PULL 64 B and 64 KiB, messages/s. A 64 B body is copied from a
//!   slice; a 64 KiB body is a `Vec` allocated per message and moved in, on
//!   every side (crossbeam moves a `[u8; 64]` by value and the `Vec`).
//! - PAIR round trip of one byte, µs: mean and median of every round trip.
//! - PUB→100 SUBs, a thread each, 64 B at the default HWM: deliveries/s, with
//!   the share dropped.
//! - Polling (zactor and libzmq only): a send waking a thread blocked in
//!   `zmq::poll` (half a poll-to-poll PAIR round trip), the same with 1000
//!   idle sockets in the echo side's poll set, and zactor's `Poller` with
//!   1, 100 and 1000 members next to `zmq::poll` over as many items.
//! - The guide's mtserver: REQ clients → ROUTER → proxy → DEALER → 5 REP
//!   workers, requests/s (zactor and libzmq only; `mtserver.rs`).
//!
//! Over tcp (loopback) and ipc, with zeromq (zmq.rs 0.7, on a tokio
//! current-thread runtime per thread) as a fourth peer (`net.rs`): PUSH→PULL
//! 64 B and 64 KiB, msg/s, and a REQ→REP round trip of one byte, µs. Each
//! end has its own context (its own I/O thread, unpinned) as two processes
//! would; "n/a" where a peer lacks the transport. Only these rows:
//! `COMPARE_WORKLOADS=tcp,ipc COMPARE_PLACEMENTS=same,split,none
//! COMPARE_ROUNDS=3 cargo bench --features compare --bench compare`.
//!
//! Placements (the machines are 2-vCPU VMs where waking a thread parked on the
//! other vCPU costs ~30 µs): "same", every thread on core 0; "split", the
//! sender, client or publisher on core 0 and its peers on core 1.
//!
//! The implementations run interleaved, zactor, libzmq, omq-tokio, crossbeam,
//! then again, for `COMPARE_ROUNDS` rounds (default 5); the table shows
//! medians over rounds, so a noisy neighbour hits every side alike.
//! `COMPARE_PLACEMENTS=same,split,none` adds the unpinned placement;
//! `COMPARE_WORKLOADS=thr,rtt,fan,poll,mtserver,tcp,ipc` (or `thr64`, `thr64k`) and `COMPARE_IMPLS=zactor,libzmq,...`
//! narrow a run (to profile one side, say); `COMPARE_FAN_OUT_SUBSCRIBERS=N`
//! runs the fan-out rows with N subscribers instead of 100.

mod net;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Where the threads run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Placement {
    Same,
    Split,
    Unpinned,
}

impl Placement {
    fn name(self) -> &'static str {
        match self {
            Placement::Same => "same core",
            Placement::Split => "split",
            Placement::Unpinned => "unpinned",
        }
    }

    /// The core for a thread: the driving thread (sender, client, publisher)
    /// is the `leader`.
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
        if !core_affinity::set_for_current(core_affinity::CoreId { id }) {
            eprintln!("warning: could not pin a thread to core {id}");
        }
    }
}

fn unique_endpoint(name: &str) -> String {
    static SEQ: AtomicUsize = AtomicUsize::new(0);
    format!(
        "inproc://compare-{name}-{}",
        SEQ.fetch_add(1, Ordering::Relaxed)
    )
}

/// How a throughput workload builds its bodies.
#[derive(Clone, Copy, Debug)]
enum Body {
    /// Copied from a slice at each send.
    Small(usize),
    /// A `Vec` of this size allocated per message and moved in.
    Moved(usize),
}

/// Round-trip messages: one byte, `STOP` ends the echo (and is echoed, so
/// the client knows it arrived before it closes).
const PING: u8 = 1;
const STOP: u8 = 0;
/// Round trips before the timed ones start.
const WARM_UP_ROUND_TRIPS: u32 = 1000;

type RoundTrips = Vec<Duration>;

/// Round trips of `one`: `WARM_UP_ROUND_TRIPS` untimed, then timed ones
/// until `duration` (counted from the start) has passed.
fn time_round_trips(duration: Duration, mut one: impl FnMut()) -> RoundTrips {
    let mut samples = RoundTrips::with_capacity(1 << 16);
    let until = Instant::now() + duration;
    for _ in 0..WARM_UP_ROUND_TRIPS {
        one();
    }
    loop {
        let sent = Instant::now();
        one();
        let now = Instant::now();
        samples.push(now - sent);
        if now >= until {
            return samples;
        }
    }
}

/// Fan-out messages: 64 bytes; the first says what they are.
const PROBE: u8 = 0;
const DATA: u8 = 1;
const END: u8 = 2;

fn fan_out_msg(kind: u8) -> [u8; 64] {
    let mut msg = [0xAB; 64];
    msg[0] = kind;
    msg
}

fn fan_out_kind(msg: &[u8]) -> u8 {
    msg.first().copied().unwrap_or(u8::MAX)
}

/// What a fan-out run measured.
struct FanOut {
    /// Deliveries per second over all subscribers: messages delivered, over
    /// the time from the first publish until the last subscriber has drained
    /// its pipe (read the END marker that follows the data).
    rate: f64,
    /// Share of the offered deliveries (published × subscribers) dropped.
    dropped: f64,
}

impl FanOut {
    /// From each subscriber's (deliveries, time it read END).
    fn from_results(
        start: Instant,
        published: u64,
        subscribers: usize,
        results: &[(u64, Instant)],
    ) -> FanOut {
        let delivered: u64 = results.iter().map(|r| r.0).sum();
        let last = results.iter().map(|r| r.1).max().unwrap_or(start);
        let elapsed = last
            .saturating_duration_since(start)
            .as_secs_f64()
            .max(1e-9);
        let offered = (published * subscribers as u64).max(1);
        FanOut {
            rate: delivered as f64 / elapsed,
            dropped: 1.0 - delivered as f64 / offered as f64,
        }
    }
}

/// zactor, through the zmq-compatible API.
mod zactor_side {
    use zactor as zmq;
    include!("zmq_api.rs");
}

/// libzmq 4.3 through the zmq 0.10 crate: the very same code as zactor's.
mod libzmq_side {
    use ::zmq;
    include!("zmq_api.rs");
}

/// The mtserver pool on zactor and on libzmq: the same code, `mtserver.rs`.
mod zactor_mtserver {
    use zactor as zmq;
    include!("mtserver.rs");
}

mod libzmq_mtserver {
    use ::zmq;
    include!("mtserver.rs");
}

/// omq-tokio 0.33, async API. Each thread runs a current-thread runtime and
/// creates its socket inside it, so the socket's driver task runs on that
/// (pinned) thread and no other thread is involved.
mod omq_side {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::sync::{Arc, Barrier};
    use std::thread;
    use std::time::{Duration, Instant};

    use omq_tokio::{Message, Options, Socket, SocketType};

    use super::{
        fan_out_kind, fan_out_msg, pin, unique_endpoint, Body, FanOut, Placement, RoundTrips, DATA,
        END, PING, PROBE, STOP,
    };

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("tokio runtime")
    }

    fn first_byte(msg: &Message) -> u8 {
        msg.part_slice(0).map_or(u8::MAX, fan_out_kind)
    }

    /// Waits for `flag` while letting this thread's runtime run (the socket
    /// driver may still have work), without stealing the core from a peer.
    async fn until(flag: &AtomicBool) {
        while !flag.load(Ordering::Acquire) {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }

    pub fn push_pull(body: Body, count: u64, placement: Placement) -> f64 {
        let addr = unique_endpoint("omq-push-pull");
        let bound = Arc::new(Barrier::new(2));
        let received = Arc::new(AtomicBool::new(false));
        let receiver = {
            let (addr, bound, received) = (addr.clone(), bound.clone(), received.clone());
            thread::spawn(move || {
                pin(placement.core(false));
                runtime().block_on(async move {
                    let pull = Socket::new(SocketType::Pull, Options::default());
                    pull.bind(addr.as_str()).await.expect("bind");
                    bound.wait();
                    pull.recv().await.expect("recv");
                    let first = Instant::now();
                    for _ in 1..count {
                        pull.recv().await.expect("recv");
                    }
                    let rate = (count - 1) as f64 / first.elapsed().as_secs_f64();
                    received.store(true, Ordering::Release);
                    let _ = pull.close().await;
                    rate
                })
            })
        };
        let sender = thread::spawn(move || {
            pin(placement.core(true));
            runtime().block_on(async move {
                bound.wait();
                let push = Socket::new(SocketType::Push, Options::default());
                push.connect(addr.as_str()).await.expect("connect");
                match body {
                    Body::Small(size) => {
                        let body = vec![0u8; size];
                        for _ in 0..count {
                            push.send(Message::from_slice(&body)).await.expect("send");
                        }
                    }
                    Body::Moved(size) => {
                        for _ in 0..count {
                            push.send(Message::single(vec![0u8; size]))
                                .await
                                .expect("send");
                        }
                    }
                }
                until(&received).await;
                let _ = push.close().await;
            })
        });
        let rate = receiver.join().expect("receiver");
        sender.join().expect("sender");
        rate
    }

    pub fn pair_round_trip(duration: Duration, placement: Placement) -> RoundTrips {
        let addr = unique_endpoint("omq-pair");
        let bound = Arc::new(Barrier::new(2));
        let echo = {
            let (addr, bound) = (addr.clone(), bound.clone());
            thread::spawn(move || {
                pin(placement.core(false));
                runtime().block_on(async move {
                    let echo = Socket::new(SocketType::Pair, Options::default());
                    echo.bind(addr.as_str()).await.expect("bind");
                    bound.wait();
                    loop {
                        let msg = echo.recv().await.expect("recv");
                        let stop = first_byte(&msg) == STOP;
                        echo.send(msg).await.expect("send");
                        if stop {
                            break;
                        }
                    }
                    // The STOP echo must leave before the socket closes.
                    tokio::time::sleep(Duration::from_millis(5)).await;
                    let _ = echo.close().await;
                })
            })
        };
        let client = thread::spawn(move || {
            pin(placement.core(true));
            runtime().block_on(async move {
                bound.wait();
                let client = Socket::new(SocketType::Pair, Options::default());
                client.connect(addr.as_str()).await.expect("connect");
                let mut samples = RoundTrips::with_capacity(1 << 16);
                let until = Instant::now() + duration;
                let mut warm_up = super::WARM_UP_ROUND_TRIPS;
                loop {
                    let sent = Instant::now();
                    client
                        .send(Message::from_slice(&[PING]))
                        .await
                        .expect("send");
                    client.recv().await.expect("recv");
                    let now = Instant::now();
                    if warm_up > 0 {
                        warm_up -= 1;
                    } else {
                        samples.push(now - sent);
                        if now >= until {
                            break;
                        }
                    }
                }
                client
                    .send(Message::from_slice(&[STOP]))
                    .await
                    .expect("send");
                client.recv().await.expect("recv");
                let _ = client.close().await;
                samples
            })
        });
        echo.join().expect("echo");
        client.join().expect("client")
    }

    pub fn fan_out(subscribers: usize, window: Duration, placement: Placement) -> FanOut {
        let addr = unique_endpoint("omq-fan-out");
        let heard = Arc::new(AtomicUsize::new(0));
        let bound = Arc::new(Barrier::new(subscribers + 1));
        let all_done = Arc::new(AtomicBool::new(false));
        let publisher = {
            let (addr, heard, bound, all_done) =
                (addr.clone(), heard.clone(), bound.clone(), all_done.clone());
            thread::spawn(move || {
                pin(placement.core(true));
                runtime().block_on(async move {
                    let publisher = Socket::new(SocketType::Pub, Options::default());
                    publisher.bind(addr.as_str()).await.expect("bind");
                    bound.wait();
                    let probe = fan_out_msg(PROBE);
                    while heard.load(Ordering::Acquire) < subscribers {
                        publisher
                            .send(Message::from_slice(&probe))
                            .await
                            .expect("send");
                        tokio::time::sleep(Duration::from_micros(200)).await;
                    }
                    let data = fan_out_msg(DATA);
                    let start = Instant::now();
                    let mut published = 0u64;
                    while start.elapsed() < window {
                        for _ in 0..64 {
                            publisher
                                .send(Message::from_slice(&data))
                                .await
                                .expect("send");
                        }
                        published += 64;
                    }
                    let end = fan_out_msg(END);
                    while heard.load(Ordering::Acquire) < 2 * subscribers {
                        publisher
                            .send(Message::from_slice(&end))
                            .await
                            .expect("send");
                        tokio::time::sleep(Duration::from_micros(50)).await;
                    }
                    all_done.store(true, Ordering::Release);
                    let _ = publisher.close().await;
                    (start, published)
                })
            })
        };
        let subs: Vec<_> = (0..subscribers)
            .map(|_| {
                let (addr, heard, bound, all_done) =
                    (addr.clone(), heard.clone(), bound.clone(), all_done.clone());
                thread::spawn(move || {
                    pin(placement.core(false));
                    runtime().block_on(async move {
                        bound.wait();
                        let sub = Socket::new(SocketType::Sub, Options::default());
                        sub.subscribe(bytes::Bytes::new()).await.expect("subscribe");
                        sub.connect(addr.as_str()).await.expect("connect");
                        let mut want = PROBE;
                        let mut delivered = 0u64;
                        let last = loop {
                            let msg = sub.recv().await.expect("recv");
                            match first_byte(&msg) {
                                DATA => {
                                    delivered += 1;
                                }
                                kind if kind == want => {
                                    heard.fetch_add(1, Ordering::Release);
                                    if want == END {
                                        break Instant::now();
                                    }
                                    want = END;
                                }
                                _ => {}
                            }
                        };
                        // Keep the pipe open until the publisher stops, so it
                        // never sees a subscriber vanish mid-run.
                        until(&all_done).await;
                        let _ = sub.close().await;
                        (delivered, last)
                    })
                })
            })
            .collect();
        let results: Vec<_> = subs
            .into_iter()
            .map(|s| s.join().expect("subscriber"))
            .collect();
        let (start, published) = publisher.join().expect("publisher");
        FanOut::from_results(start, published, subscribers, &results)
    }
}

/// The floor: a bounded crossbeam channel, no sockets at all.
mod crossbeam_side {
    use std::thread;
    use std::time::{Duration, Instant};

    use crossbeam_channel::{bounded, TrySendError};

    use super::{fan_out_msg, pin, Body, FanOut, Placement, RoundTrips, DATA, END};

    /// Channel capacity: libzmq's default HWM.
    const CAPACITY: usize = 1000;

    pub fn push_pull(body: Body, count: u64, placement: Placement) -> f64 {
        match body {
            // The floor for small bodies: moved by value, no allocation.
            Body::Small(_) => run_throughput(count, placement, || [0u8; 64]),
            Body::Moved(size) => run_throughput(count, placement, move || vec![0u8; size]),
        }
    }

    fn run_throughput<T: Send + 'static>(
        count: u64,
        placement: Placement,
        make: impl Fn() -> T + Send + 'static,
    ) -> f64 {
        let (tx, rx) = bounded::<T>(CAPACITY);
        let start = std::sync::Arc::new(std::sync::Barrier::new(2));
        let receiver = {
            let start = start.clone();
            thread::spawn(move || {
                pin(placement.core(false));
                start.wait();
                rx.recv().expect("recv");
                let first = Instant::now();
                for _ in 1..count {
                    rx.recv().expect("recv");
                }
                (count - 1) as f64 / first.elapsed().as_secs_f64()
            })
        };
        let sender = thread::spawn(move || {
            pin(placement.core(true));
            start.wait();
            for _ in 0..count {
                tx.send(make()).expect("send");
            }
        });
        let rate = receiver.join().expect("receiver");
        sender.join().expect("sender");
        rate
    }

    pub fn pair_round_trip(duration: Duration, placement: Placement) -> RoundTrips {
        let (ping_tx, ping_rx) = bounded::<u8>(1);
        let (pong_tx, pong_rx) = bounded::<u8>(1);
        let echo = thread::spawn(move || {
            pin(placement.core(false));
            for byte in ping_rx {
                if pong_tx.send(byte).is_err() {
                    return;
                }
            }
        });
        let client = thread::spawn(move || {
            pin(placement.core(true));
            let mut samples = RoundTrips::with_capacity(1 << 16);
            let until = Instant::now() + duration;
            let mut warm_up = super::WARM_UP_ROUND_TRIPS;
            loop {
                let sent = Instant::now();
                ping_tx.send(super::PING).expect("send");
                pong_rx.recv().expect("recv");
                let now = Instant::now();
                if warm_up > 0 {
                    warm_up -= 1;
                } else {
                    samples.push(now - sent);
                    if now >= until {
                        break;
                    }
                }
            }
            samples
        });
        let samples = client.join().expect("client");
        echo.join().expect("echo");
        samples
    }

    pub fn fan_out(subscribers: usize, window: Duration, placement: Placement) -> FanOut {
        let (senders, subs): (Vec<_>, Vec<_>) = (0..subscribers)
            .map(|_| {
                let (tx, rx) = bounded::<[u8; 64]>(CAPACITY);
                let sub = thread::spawn(move || {
                    pin(placement.core(false));
                    let mut delivered = 0u64;
                    for msg in rx {
                        if msg[0] == DATA {
                            delivered += 1;
                        } else if msg[0] == END {
                            break;
                        }
                    }
                    (delivered, Instant::now())
                });
                (tx, sub)
            })
            .unzip();
        let publisher = thread::spawn(move || {
            pin(placement.core(true));
            let data = fan_out_msg(DATA);
            let start = Instant::now();
            let mut published = 0u64;
            while start.elapsed() < window {
                for _ in 0..64 {
                    for tx in &senders {
                        // A full subscriber loses the message, as with PUB.
                        match tx.try_send(data) {
                            Ok(()) | Err(TrySendError::Full(_)) => {}
                            Err(TrySendError::Disconnected(_)) => panic!("subscriber gone"),
                        }
                    }
                }
                published += 64;
            }
            for tx in &senders {
                let _ = tx.send(fan_out_msg(END));
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
}

/// The implementations, in the order they run within a round.
const IMPLS: [&str; 5] = ["zactor", "libzmq", "omq-tokio", "zeromq", "crossbeam"];

/// The workloads and their sizes.
const THR_SMALL_COUNT: u64 = 2_000_000;
const THR_LARGE_COUNT: u64 = 100_000;
const LARGE: usize = 64 * 1024;
const RTT_DURATION: Duration = Duration::from_millis(400);
/// Subscribers in the fan-out rows: 100, or `COMPARE_FAN_OUT_SUBSCRIBERS`
/// (to see how a change fares with few).
fn fan_out_subscribers() -> usize {
    std::env::var("COMPARE_FAN_OUT_SUBSCRIBERS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(100)
}
const FAN_OUT_WINDOW: Duration = Duration::from_millis(300);
/// The guide's mtserver has five workers; eight clients keep them busy.
/// `COMPARE_MTSERVER=clients,workers` overrides both.
const MTSERVER_CLIENTS: usize = 8;
const MTSERVER_WORKERS: usize = 5;
const MTSERVER_WINDOW: Duration = Duration::from_millis(500);
/// The tcp and ipc rows (`net.rs`): fewer messages than inproc, as the
/// slowest peers move a few hundred thousand small messages a second.
const NET_THR_SMALL_COUNT: u64 = 200_000;
const NET_THR_LARGE_COUNT: u64 = 5_000;
const NET_RTT_DURATION: Duration = Duration::from_millis(300);

/// The rows of each network transport.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum NetRow {
    PushPullSmall,
    PushPullLarge,
    ReqRepMean,
    ReqRepMedian,
}

/// One row of the table: a workload and how its figure reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Metric {
    PushPullSmall,
    PushPullLarge,
    PairMean,
    PairMedian,
    FanOutRate,
    FanOutDropped,
    /// A send waking a thread blocked in poll: half a poll-to-poll round trip.
    PollWake,
    /// The same with the echo side polling 1000 idle sockets besides.
    PollWake1000,
    /// zactor's `Poller` (libzmq: `zmq::poll` over as many items) with
    /// this many members, all idle but one: half a round trip.
    PollerWake(usize),
    MtServer,
    /// A tcp or ipc row.
    Net(net::Transport, NetRow),
}

impl Metric {
    fn label(self) -> String {
        match self {
            Metric::PushPullSmall => "PUSH→PULL 64 B, msg/s".into(),
            Metric::PushPullLarge => "PUSH→PULL 64 KiB, msg/s".into(),
            Metric::PairMean => "PAIR 1 B round trip, mean µs".into(),
            Metric::PairMedian => "PAIR 1 B round trip, median µs".into(),
            Metric::FanOutRate => format!("PUB→{} SUB, deliveries/s", fan_out_subscribers()),
            Metric::FanOutDropped => format!("PUB→{} SUB, % dropped", fan_out_subscribers()),
            Metric::PollWake => "send → poll wake-up, median µs".into(),
            Metric::PollWake1000 => "send → poll wake-up, 1000 idle + 1, median µs".into(),
            Metric::PollerWake(n) => format!("send → Poller wake-up, {n} members, median µs"),
            Metric::MtServer => {
                let (clients, workers) = mtserver_size();
                format!("mtserver {clients} REQ→ROUTER→proxy→DEALER→{workers} REP, req/s")
            }
            Metric::Net(transport, row) => {
                let t = transport.name();
                match row {
                    NetRow::PushPullSmall => format!("{t} PUSH→PULL 64 B, msg/s"),
                    NetRow::PushPullLarge => format!("{t} PUSH→PULL 64 KiB, msg/s"),
                    NetRow::ReqRepMean => format!("{t} REQ→REP 1 B round trip, mean µs"),
                    NetRow::ReqRepMedian => format!("{t} REQ→REP 1 B round trip, median µs"),
                }
            }
        }
    }

    fn format(self, value: f64) -> String {
        match self {
            Metric::PushPullSmall
            | Metric::PushPullLarge
            | Metric::FanOutRate
            | Metric::MtServer
            | Metric::Net(_, NetRow::PushPullSmall | NetRow::PushPullLarge) => {
                if value >= 1e6 {
                    format!("{:.2} M", value / 1e6)
                } else {
                    format!("{:.0} k", value / 1e3)
                }
            }
            Metric::PairMean
            | Metric::PairMedian
            | Metric::PollWake
            | Metric::PollWake1000
            | Metric::PollerWake(_)
            | Metric::Net(_, NetRow::ReqRepMean | NetRow::ReqRepMedian) => format!("{value:.2}"),
            Metric::FanOutDropped => format!("{value:.1}"),
        }
    }
}

/// Every measurement: (metric, placement, implementation) → one per round.
type Results = BTreeMap<(Metric, Placement, &'static str), Vec<f64>>;

fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(|a, b| a.total_cmp(b));
    let mid = sorted.len() / 2;
    if sorted.is_empty() {
        f64::NAN
    } else if sorted.len() % 2 == 1 {
        sorted[mid]
    } else {
        (sorted[mid - 1] + sorted[mid]) / 2.0
    }
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// Runs every workload once for `name` under `placement`.
fn run_round(name: &'static str, placement: Placement, results: &mut Results) {
    type Thr = fn(Body, u64, Placement) -> f64;
    type Rtt = fn(Duration, Placement) -> RoundTrips;
    type Fan = fn(usize, Duration, Placement) -> FanOut;
    let mut record = |metric, value| {
        results
            .entry((metric, placement, name))
            .or_default()
            .push(value)
    };
    for transport in net::Transport::ALL {
        if !wanted("COMPARE_WORKLOADS", transport.name()) {
            continue;
        }
        let Some((thr, rtt)) = net::workloads(name, transport) else {
            continue;
        };
        let small = thr(
            &transport.endpoint(),
            Body::Small(64),
            NET_THR_SMALL_COUNT,
            placement,
        );
        record(Metric::Net(transport, NetRow::PushPullSmall), small);
        let large = thr(
            &transport.endpoint(),
            Body::Moved(LARGE),
            NET_THR_LARGE_COUNT,
            placement,
        );
        record(Metric::Net(transport, NetRow::PushPullLarge), large);
        let per_trip: Vec<f64> = rtt(&transport.endpoint(), NET_RTT_DURATION, placement)
            .iter()
            .map(|d| micros(*d))
            .collect();
        let mean = per_trip.iter().sum::<f64>() / per_trip.len().max(1) as f64;
        record(Metric::Net(transport, NetRow::ReqRepMean), mean);
        record(
            Metric::Net(transport, NetRow::ReqRepMedian),
            median(&per_trip),
        );
    }
    let (thr, rtt, fan): (Thr, Rtt, Fan) = match name {
        "zactor" => (
            zactor_side::push_pull,
            zactor_side::pair_round_trip,
            zactor_side::fan_out,
        ),
        "libzmq" => (
            libzmq_side::push_pull,
            libzmq_side::pair_round_trip,
            libzmq_side::fan_out,
        ),
        "omq-tokio" => (
            omq_side::push_pull,
            omq_side::pair_round_trip,
            omq_side::fan_out,
        ),
        "crossbeam" => (
            crossbeam_side::push_pull,
            crossbeam_side::pair_round_trip,
            crossbeam_side::fan_out,
        ),
        // zeromq (zmq.rs) has no inproc transport.
        _ => return,
    };
    if wanted("COMPARE_WORKLOADS", "thr") || wanted("COMPARE_WORKLOADS", "thr64") {
        record(
            Metric::PushPullSmall,
            thr(Body::Small(64), THR_SMALL_COUNT, placement),
        );
    }
    if wanted("COMPARE_WORKLOADS", "thr") || wanted("COMPARE_WORKLOADS", "thr64k") {
        record(
            Metric::PushPullLarge,
            thr(Body::Moved(LARGE), THR_LARGE_COUNT, placement),
        );
    }
    if wanted("COMPARE_WORKLOADS", "rtt") {
        let per_trip: Vec<f64> = rtt(RTT_DURATION, placement)
            .iter()
            .map(|d| micros(*d))
            .collect();
        let mean = per_trip.iter().sum::<f64>() / per_trip.len().max(1) as f64;
        record(Metric::PairMean, mean);
        record(Metric::PairMedian, median(&per_trip));
    }
    if wanted("COMPARE_WORKLOADS", "fan") {
        let fan = fan(fan_out_subscribers(), FAN_OUT_WINDOW, placement);
        record(Metric::FanOutRate, fan.rate);
        record(Metric::FanOutDropped, 100.0 * fan.dropped);
    }
    if wanted("COMPARE_WORKLOADS", "poll") {
        // Only zactor and libzmq poll; a wake-up is half a round trip.
        type PollRtt = fn(usize, Duration, Placement) -> RoundTrips;
        let poll_rtt: Option<PollRtt> = match name {
            "zactor" => Some(zactor_side::poll_round_trip),
            "libzmq" => Some(libzmq_side::poll_round_trip),
            _ => None,
        };
        let half_median = |trips: RoundTrips| {
            let per: Vec<f64> = trips.iter().map(|d| micros(*d) / 2.0).collect();
            median(&per)
        };
        if let Some(poll_rtt) = poll_rtt {
            record(
                Metric::PollWake,
                half_median(poll_rtt(0, RTT_DURATION, placement)),
            );
            record(
                Metric::PollWake1000,
                half_median(poll_rtt(1000, RTT_DURATION, placement)),
            );
            for members in POLLER_MEMBERS {
                let trips = if name == "zactor" {
                    zactor_poller::round_trip(members - 1, RTT_DURATION, placement)
                } else {
                    poll_rtt(members - 1, RTT_DURATION, placement)
                };
                record(Metric::PollerWake(members), half_median(trips));
            }
        }
    }
    if wanted("COMPARE_WORKLOADS", "mtserver") {
        type Pool = fn(usize, usize, Duration, Placement) -> f64;
        let pool: Option<Pool> = match name {
            "zactor" => Some(zactor_mtserver::requests_per_second),
            "libzmq" => Some(libzmq_mtserver::requests_per_second),
            _ => None,
        };
        if let Some(pool) = pool {
            let (clients, workers) = mtserver_size();
            let rate = pool(clients, workers, MTSERVER_WINDOW, placement);
            record(Metric::MtServer, rate);
        }
    }
}

/// Member counts of the Poller rows.
const POLLER_MEMBERS: [usize; 3] = [1, 100, 1000];

/// zactor's persistent `Poller` (the zmq crate has no `zmq_poller`; libzmq
/// runs `zmq::poll` over as many items instead).
mod zactor_poller {
    use std::thread;
    use std::time::Duration;

    use zactor as zmq;

    use super::{pin, time_round_trips, unique_endpoint, Placement, RoundTrips, PING, STOP};

    /// `poll_round_trip` with the echo side waiting in a `Poller` that
    /// holds `idle` idle sockets besides the busy one.
    pub fn round_trip(idle: usize, duration: Duration, placement: Placement) -> RoundTrips {
        let ctx = zmq::Context::new();
        let addr = unique_endpoint("poller-pair");
        let echo_socket = ctx.socket(zmq::PAIR).expect("socket");
        echo_socket.bind(&addr).expect("bind");
        let client = ctx.socket(zmq::PAIR).expect("socket");
        client.connect(&addr).expect("connect");
        let idle_sockets: Vec<zmq::Socket> = (0..idle)
            .map(|_| {
                let s = ctx.socket(zmq::PULL).expect("socket");
                s.bind(&unique_endpoint("poller-idle")).expect("bind");
                s
            })
            .collect();
        let echo = thread::spawn(move || {
            pin(placement.core(false));
            let mut poller = zmq::Poller::new();
            for (i, s) in idle_sockets.iter().enumerate() {
                poller.add(s, zmq::POLLIN, i + 1).expect("add");
            }
            poller.add(&echo_socket, zmq::POLLIN, 0).expect("add");
            let mut events = Vec::new();
            loop {
                poller.wait(&mut events, -1).expect("wait");
                if !events.iter().any(|e| e.token == 0) {
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
            let mut poller = zmq::Poller::new();
            poller.add(&client, zmq::POLLIN, 0).expect("add");
            let mut events = Vec::new();
            let samples = time_round_trips(duration, || {
                client.send(&[PING][..], 0).expect("send");
                poller.wait(&mut events, -1).expect("wait");
                client.recv_msg(0).expect("recv");
            });
            client.send(&[STOP][..], 0).expect("send");
            client.recv_msg(0).expect("recv");
            drop(poller);
            samples
        });
        echo.join().expect("echo");
        timed.join().expect("client")
    }
}

/// The mtserver pool's (clients, workers): `COMPARE_MTSERVER=8,5`, or the
/// defaults.
fn mtserver_size() -> (usize, usize) {
    let parsed = std::env::var("COMPARE_MTSERVER").ok().and_then(|v| {
        let (clients, workers) = v.split_once(',')?;
        Some((clients.trim().parse().ok()?, workers.trim().parse().ok()?))
    });
    match parsed {
        Some((clients, workers)) if clients > 0 && workers > 0 => (clients, workers),
        _ => (MTSERVER_CLIENTS, MTSERVER_WORKERS),
    }
}

/// Whether the comma-separated list in environment variable `var` names
/// `item`; an unset variable selects everything. For focused runs (a
/// profile, a quick check): `COMPARE_WORKLOADS=thr,rtt,fan,poll,mtserver`
/// (`thr64` or `thr64k` for one size),
/// `COMPARE_IMPLS=zactor,libzmq,omq-tokio,crossbeam`.
fn wanted(var: &str, item: &str) -> bool {
    match std::env::var(var) {
        Ok(list) => list.split(',').any(|x| x.trim() == item),
        Err(_) => true,
    }
}

fn placements() -> Vec<Placement> {
    let cores = core_affinity::get_core_ids().map_or(1, |ids| ids.len());
    let wanted = std::env::var("COMPARE_PLACEMENTS").unwrap_or_else(|_| "same,split".into());
    let mut out = Vec::new();
    for name in wanted.split(',') {
        match name.trim() {
            "same" => out.push(Placement::Same),
            "split" if cores >= 2 => out.push(Placement::Split),
            "split" => eprintln!("skipping the split placement: only {cores} core(s)"),
            "none" | "unpinned" => out.push(Placement::Unpinned),
            other => eprintln!("unknown placement {other:?} (same, split, none)"),
        }
    }
    out
}

fn print_table(results: &Results, placements: &[Placement]) {
    let peers = &IMPLS[1..];
    print!("| workload | placement |");
    for name in IMPLS {
        print!(" {name} |");
    }
    for peer in peers {
        print!(" zactor ÷ {peer} |");
    }
    println!();
    println!("|{}", "---|".repeat(2 + IMPLS.len() + peers.len()));
    let metrics = [
        Metric::PushPullSmall,
        Metric::PushPullLarge,
        Metric::PairMean,
        Metric::PairMedian,
        Metric::FanOutRate,
        Metric::FanOutDropped,
        Metric::PollWake,
        Metric::PollWake1000,
        Metric::PollerWake(POLLER_MEMBERS[0]),
        Metric::PollerWake(POLLER_MEMBERS[1]),
        Metric::PollerWake(POLLER_MEMBERS[2]),
        Metric::MtServer,
    ];
    let net_metrics = net::Transport::ALL.into_iter().flat_map(|transport| {
        [
            NetRow::PushPullSmall,
            NetRow::PushPullLarge,
            NetRow::ReqRepMean,
            NetRow::ReqRepMedian,
        ]
        .map(|row| Metric::Net(transport, row))
    });
    for metric in metrics.into_iter().chain(net_metrics) {
        // A network row with no figure at all was not asked for.
        let measured = |name| {
            placements
                .iter()
                .any(|&p| results.contains_key(&(metric, p, name)))
        };
        if matches!(metric, Metric::Net(..)) && !IMPLS.iter().any(|&name| measured(name)) {
            continue;
        }
        // Where an implementation lacks a network transport (crossbeam).
        let missing = if matches!(metric, Metric::Net(..)) {
            "n/a"
        } else {
            "–"
        };
        for &placement in placements {
            let value = |name| results.get(&(metric, placement, name)).map(|v| median(v));
            print!("| {} | {} |", metric.label(), placement.name());
            for name in IMPLS {
                match value(name) {
                    Some(v) => print!(" {} |", metric.format(v)),
                    None => print!(" {missing} |"),
                }
            }
            for peer in peers {
                match (value("zactor"), value(peer)) {
                    (Some(z), Some(p)) if metric != Metric::FanOutDropped && p > 0.0 => {
                        print!(" {:.2}× |", z / p)
                    }
                    _ => print!(" {missing} |"),
                }
            }
            println!();
        }
    }
}

/// The bars, checked on the medians of this run.
fn print_bars(results: &Results, placements: &[Placement]) {
    let value =
        |metric, placement, name| results.get(&(metric, placement, name)).map(|v| median(v));
    let ratio = |metric, placement, peer| match (
        value(metric, placement, "zactor"),
        value(metric, placement, peer),
    ) {
        (Some(z), Some(p)) if p > 0.0 => Some(z / p),
        _ => None,
    };
    let check = |what: String, got: Option<f64>, pass: &dyn Fn(f64) -> bool| match got {
        Some(r) => println!("- [{}] {what}: {r:.3}", if pass(r) { "x" } else { " " }),
        None => println!("- [?] {what}: not measured"),
    };
    println!();
    println!("Bars (zactor ÷ peer, medians of this run; [x] met):");
    for &placement in placements {
        let p = placement.name();
        check(
            format!("PUSH→PULL 64 B ≥ 3× libzmq ({p})"),
            ratio(Metric::PushPullSmall, placement, "libzmq"),
            &|r| r >= 3.0,
        );
        check(
            format!("PUSH→PULL 64 B ≥ 3× omq-tokio ({p})"),
            ratio(Metric::PushPullSmall, placement, "omq-tokio"),
            &|r| r >= 3.0,
        );
        check(
            format!("PUSH→PULL 64 KiB ≥ 2× libzmq ({p})"),
            ratio(Metric::PushPullLarge, placement, "libzmq"),
            &|r| r >= 2.0,
        );
        check(
            format!("PUB→{} SUB ≥ 3× libzmq ({p})", fan_out_subscribers()),
            ratio(Metric::FanOutRate, placement, "libzmq"),
            &|r| r >= 3.0,
        );
        check(
            format!("mtserver pool ≥ 2× libzmq ({p})"),
            ratio(Metric::MtServer, placement, "libzmq"),
            &|r| r >= 2.0,
        );
    }
    if placements.contains(&Placement::Same) {
        check(
            "PAIR RTT mean, same core ≤ 0.9× libzmq".into(),
            ratio(Metric::PairMean, Placement::Same, "libzmq"),
            &|r| r <= 0.9,
        );
    }
    if placements.contains(&Placement::Same) {
        check(
            "poll wake-up, same core ≤ 1.0× libzmq".into(),
            ratio(Metric::PollWake, Placement::Same, "libzmq"),
            &|r| r <= 1.0,
        );
    }
    if placements.contains(&Placement::Split) {
        check(
            "poll wake-up median, split ≤ 1/10 libzmq".into(),
            ratio(Metric::PollWake, Placement::Split, "libzmq"),
            &|r| r <= 0.1,
        );
    }
    if placements.contains(&Placement::Split) {
        check(
            "PAIR RTT median, split ≤ 1/20 libzmq".into(),
            ratio(Metric::PairMedian, Placement::Split, "libzmq"),
            &|r| r <= 0.05,
        );
        check(
            "PAIR RTT mean, split ≤ 1/4 libzmq".into(),
            ratio(Metric::PairMean, Placement::Split, "libzmq"),
            &|r| r <= 0.25,
        );
    }
}

fn main() {
    // `cargo bench` passes `--bench`; a filter or other flags mean nothing here.
    let rounds: usize = std::env::var("COMPARE_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5)
        .max(1);
    let placements = placements();
    let cores = core_affinity::get_core_ids().map_or(0, |ids| ids.len());
    println!(
        "zactor vs libzmq {:?} (zmq crate 0.10), omq-tokio 0.33, crossbeam-channel, \
         zeromq 0.7 (tcp/ipc only); {cores} cores; \
         {rounds} interleaved rounds, medians shown",
        ::zmq::version()
    );
    let mut results = Results::new();
    let started = Instant::now();
    for round in 1..=rounds {
        for &placement in &placements {
            for name in IMPLS {
                if !wanted("COMPARE_IMPLS", name) {
                    continue;
                }
                eprintln!(
                    "[{:6.1} s] round {round}/{rounds}, {}: {name}",
                    started.elapsed().as_secs_f64(),
                    placement.name()
                );
                run_round(name, placement, &mut results);
            }
        }
    }
    println!();
    print_table(&results, &placements);
    print_bars(&results, &placements);
    println!();
    println!("Every round, zactor's value (to judge the spread):");
    for ((metric, placement, name), values) in &results {
        if *name == "zactor" {
            let shown: Vec<String> = values.iter().map(|v| metric.format(*v)).collect();
            println!(
                "- {} ({}): {}",
                metric.label(),
                placement.name(),
                shown.join(", ")
            );
        }
    }
}
