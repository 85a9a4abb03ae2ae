//! The reactor's two costs, printed as markdown tables (a plain `main`, not
//! criterion: lateness is a distribution over ticks, not a time per
//! iteration).
//!
//! 1. Timer lateness: a 1 ms repeating timer over 1000 ticks; how long
//!    after its due time each tick ran (mean, median, p99, max), how many
//!    ticks were skipped, and the most firings within one period (2 at
//!    most without catch-up: a late tick and the next grid point; a burst
//!    of missed ticks would show more). Beside it, the same
//!    schedule kept by `thread::sleep`: what the OS allows. Pinned to one
//!    core, and unpinned. The bar: mean ≤ 0.28 ms (half of CZMQ zloop's
//!    0.56 ms on the same machine), no burst.
//! 2. Reader dispatch overhead: ping-pong over inproc PAIR between two
//!    threads; the echoing side receives either with a plain blocking
//!    `recv` or through a `Loop` reader (which then receives with
//!    `DONTWAIT`). The difference per round trip is what the loop adds to
//!    a message reaching its handler. Bar: ≤ 0.5 µs. Both placements: the
//!    two threads pinned to one core, and to two cores. Plain and loop
//!    samples alternate, so drift in the machine hits both alike.
//!
//! `cargo bench --bench reactor` (about 15 s). `REACTOR_BENCH_QUICK=1`
//! shortens it.

use std::thread;
use std::time::{Duration, Instant};

use crossbeam_channel::{bounded, Receiver, Sender};
use zactor::{self as zmq, Flow, Loop};

fn pin(core: usize) -> bool {
    core_affinity::set_for_current(core_affinity::CoreId { id: core })
}

fn cores() -> usize {
    core_affinity::get_core_ids().map_or(1, |ids| ids.len())
}

fn quick() -> bool {
    std::env::var_os("REACTOR_BENCH_QUICK").is_some()
}

// ---------------------------------------------------------------- lateness

const PERIOD: Duration = Duration::from_millis(1);
const TICKS: usize = 1000;

/// Lateness figures of one run of ticks.
struct Lateness {
    mean_us: f64,
    median_us: f64,
    p99_us: f64,
    max_us: f64,
    skipped: usize,
    most_per_period: usize,
}

/// The grid point after `after`: `start + k × PERIOD`, k ≥ 1, the first
/// one later than `after` (where a repeating timer goes after a firing).
fn next_grid_point(start: Instant, after: Instant) -> Instant {
    let period = PERIOD.as_nanos();
    let slots = after.saturating_duration_since(start).as_nanos() / period + 1;
    start + Duration::from_nanos((slots * period) as u64)
}

/// Figures for ticks on the grid `start + k × PERIOD`: each tick is due at
/// the first grid point after the tick before it fired (on time, the next
/// one; late by more than a period, the missed points are skipped), and
/// late by the time from there to its firing.
fn lateness(start: Instant, fired: &[Instant]) -> Lateness {
    let period = PERIOD.as_nanos();
    let mut late: Vec<f64> = Vec::with_capacity(fired.len());
    let mut skipped = 0;
    let mut previous_due = start;
    let mut previous_fired = start;
    for &at in fired {
        let due = next_grid_point(start, previous_fired);
        late.push(at.saturating_duration_since(due).as_nanos() as f64 / 1000.0);
        let slots = (due - previous_due).as_nanos() / period;
        skipped += (slots as usize).saturating_sub(1);
        previous_due = due;
        previous_fired = at;
    }
    // Firings within one period of each firing, at most: 2 at most
    // without catch-up (a late tick, then the next grid point); a burst of
    // n missed ticks would show n.
    let most_per_period = (0..fired.len())
        .map(|i| {
            fired[i..]
                .iter()
                .take_while(|&&t| t - fired[i] < PERIOD)
                .count()
        })
        .max()
        .unwrap_or(0);
    let mean_us = late.iter().sum::<f64>() / late.len() as f64;
    late.sort_by(f64::total_cmp);
    let at = |q: f64| late[((late.len() - 1) as f64 * q).round() as usize];
    Lateness {
        mean_us,
        median_us: at(0.5),
        p99_us: at(0.99),
        max_us: at(1.0),
        skipped,
        most_per_period,
    }
}

/// Fires `ticks` ticks; returns the grid's start and when each fired.
type TickRun = fn(usize) -> (Instant, Vec<Instant>);

fn loop_timer_ticks(ticks: usize) -> (Instant, Vec<Instant>) {
    let mut fired = Vec::with_capacity(ticks);
    let mut reactor = Loop::new();
    let start = Instant::now();
    reactor.add_timer(PERIOD, ticks, |_, _| {
        fired.push(Instant::now());
        Ok(Flow::Continue)
    });
    reactor.run().expect("the timer runs out");
    drop(reactor);
    (start, fired)
}

/// The same schedule kept by `thread::sleep`: what the OS allows.
fn sleep_ticks(ticks: usize) -> (Instant, Vec<Instant>) {
    let mut fired: Vec<Instant> = Vec::with_capacity(ticks);
    let start = Instant::now();
    for _ in 0..ticks {
        let due = next_grid_point(start, fired.last().copied().unwrap_or(start));
        let now = Instant::now();
        if due > now {
            thread::sleep(due - now);
        }
        fired.push(Instant::now());
    }
    (start, fired)
}

fn bench_lateness() {
    let ticks = if quick() { 200 } else { TICKS };
    println!("## Timer lateness: a {PERIOD:?} repeating timer, {ticks} ticks\n");
    println!(
        "| scheduler | thread | mean µs | median µs | p99 µs | max µs | skipped ticks | most firings in one period |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    let rows: [(&str, TickRun); 2] = [
        ("zactor Loop timer", loop_timer_ticks),
        ("thread::sleep (the OS floor)", sleep_ticks),
    ];
    for (placement, core) in [("pinned to core 0", Some(0)), ("unpinned", None)] {
        for (name, run) in rows {
            let (start, fired) = thread::spawn(move || {
                if let Some(core) = core {
                    pin(core);
                }
                run(ticks)
            })
            .join()
            .expect("the tick thread");
            let l = lateness(start, &fired);
            println!(
                "| {name} | {placement} | {:.1} | {:.1} | {:.1} | {:.1} | {} | {} |",
                l.mean_us, l.median_us, l.p99_us, l.max_us, l.skipped, l.most_per_period
            );
        }
    }
    println!();
}

// ---------------------------------------------------------------- dispatch

#[derive(Clone, Copy, Debug, PartialEq)]
enum Echo {
    PlainRecv,
    PollerWait,
    LoopReader,
}

/// The echoing thread: for each job, echoes `n` messages in the job's mode,
/// then reports.
fn echo(socket: zmq::Socket, jobs: Receiver<(Echo, u64)>, done: Sender<()>) {
    for (mode, n) in jobs {
        match mode {
            Echo::PlainRecv => {
                let mut msg = zmq::Message::new();
                for _ in 0..n {
                    socket.recv(&mut msg, 0).expect("ping");
                    socket.send(&*msg, 0).expect("pong");
                }
            }
            Echo::PollerWait => {
                let mut msg = zmq::Message::new();
                let mut poller = zmq::Poller::new();
                poller.add(&socket, zmq::POLLIN, 0).expect("add");
                let mut events = Vec::with_capacity(1);
                for _ in 0..n {
                    poller.wait(&mut events, -1).expect("wait");
                    socket.recv(&mut msg, zmq::DONTWAIT).expect("ping");
                    socket.send(&*msg, 0).expect("pong");
                }
            }
            Echo::LoopReader => {
                let mut left = n;
                let mut msg = zmq::Message::new();
                let mut reactor = Loop::new();
                reactor
                    .add_reader(&socket, |_, socket| {
                        socket.recv(&mut msg, zmq::DONTWAIT)?;
                        socket.send(&*msg, 0)?;
                        left -= 1;
                        Ok(if left == 0 {
                            Flow::Stop
                        } else {
                            Flow::Continue
                        })
                    })
                    .expect("add the reader");
                reactor.run().expect("echo loop");
            }
        }
        done.send(()).expect("report");
    }
}

/// Median of the samples, in ns per round trip.
fn median(samples: &mut [f64]) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

/// Round trips per sample and samples per mode.
fn dispatch_sizes() -> (u64, usize) {
    if quick() {
        (5_000, 5)
    } else {
        (20_000, 15)
    }
}

/// Median ns per round trip for each mode, with the driver on core 0 and
/// the echo thread on `echo_core`.
fn ping_pong(name: &str, echo_core: usize) -> (f64, f64, f64) {
    let (round_trips, samples) = dispatch_sizes();
    let ctx = zmq::Context::new();
    let endpoint = format!("inproc://reactor-bench-{name}");
    let echo_socket = ctx.socket(zmq::PAIR).expect("socket");
    echo_socket.bind(&endpoint).expect("bind");
    let driver = ctx.socket(zmq::PAIR).expect("socket");
    driver.connect(&endpoint).expect("connect");

    let (jobs, job_rx) = bounded(1);
    let (done_tx, done) = bounded(1);
    let echoer = thread::spawn(move || {
        pin(echo_core);
        echo(echo_socket, job_rx, done_tx);
    });
    thread::spawn(move || {
        pin(0);
        let mut msg = zmq::Message::new();
        let mut run = |mode: Echo, n: u64| -> f64 {
            jobs.send((mode, n)).expect("job");
            let start = Instant::now();
            for _ in 0..n {
                driver.send(&[0u8; 8][..], 0).expect("ping");
                driver.recv(&mut msg, 0).expect("pong");
            }
            let elapsed = start.elapsed();
            done.recv().expect("echo done");
            elapsed.as_nanos() as f64 / n as f64
        };
        // Warm up both paths.
        run(Echo::PlainRecv, round_trips / 4);
        run(Echo::PollerWait, round_trips / 4);
        run(Echo::LoopReader, round_trips / 4);
        let mut plain = Vec::with_capacity(samples);
        let mut polled = Vec::with_capacity(samples);
        let mut looped = Vec::with_capacity(samples);
        for _ in 0..samples {
            plain.push(run(Echo::PlainRecv, round_trips));
            polled.push(run(Echo::PollerWait, round_trips));
            looped.push(run(Echo::LoopReader, round_trips));
        }
        drop(jobs);
        (median(&mut plain), median(&mut polled), median(&mut looped))
    })
    .join()
    .inspect(|_| echoer.join().expect("echo thread"))
    .expect("driver thread")
}

fn bench_dispatch() {
    let (round_trips, samples) = dispatch_sizes();
    println!(
        "## Reader dispatch: PAIR ping-pong, median of {samples} samples of {round_trips} round trips\n"
    );
    println!(
        "| placement | plain recv ns/rt | Poller::wait + recv ns/rt | Loop reader ns/rt | Loop overhead ns/rt |"
    );
    println!("|---|---|---|---|---|");
    let mut placements = vec![("one core (0, 0)", 0)];
    if cores() >= 2 {
        placements.push(("two cores (0, 1)", 1));
    }
    for (name, echo_core) in placements {
        let (plain, polled, looped) = ping_pong(&name.replace(' ', "-"), echo_core);
        println!(
            "| {name} | {plain:.0} | {polled:.0} | {looped:.0} | {:.0} |",
            looped - plain
        );
    }
    println!();
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument is not used.
    bench_lateness();
    bench_dispatch();
}
