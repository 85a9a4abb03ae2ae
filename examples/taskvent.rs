//! Task ventilator, the guide's `taskvent` (chapter 1), the one `taskwork2`
//! and `tasksink2` work with: binds a PUSH socket on tcp://*:5557, waits for
//! Enter once the workers are up, signals the start of the batch to the sink
//! on tcp://localhost:5558, then sends 100 tasks, each a random workload of 1
//! to 100 ms, and prints the total expected cost.
//!
//! The guide's tcp endpoints work; `tests/guide_examples.rs` also runs the
//! same code over inproc, end to end.

use std::io::{self, BufRead, Write};
use std::process;
use std::time::{SystemTime, UNIX_EPOCH};

use zactor as zmq;

/// Tasks in a batch.
pub const TASKS: u32 = 100;

/// A tiny pseudo-random generator (xorshift64*), enough to vary workloads
/// (the guide calls `srandom`/`random`).
pub struct Random(u64);

impl Random {
    /// A generator seeded with `seed` (any value).
    pub fn new(seed: u64) -> Random {
        // Xorshift never leaves zero: keep a bit set.
        Random(seed | 1)
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: u32) -> u32 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let x = self.0.wrapping_mul(0x2545_F491_4F6C_DD1D);
        ((x >> 32) % u64::from(n)) as u32
    }
}

/// Sends a batch of tasks on `tasks_endpoint` once a line arrives on
/// `ready`, the start-of-batch signal to `sink_endpoint` first; writes the
/// prompts and the total to `out` and returns the total expected cost in ms.
pub fn run(
    ctx: &zmq::Context,
    tasks_endpoint: &str,
    sink_endpoint: &str,
    mut ready: impl BufRead,
    random: &mut Random,
    out: &mut impl Write,
) -> io::Result<u32> {
    // Socket to send messages on
    let sender = ctx.socket(zmq::PUSH)?;
    sender.bind(tasks_endpoint)?;

    // Socket to send start of batch message on
    let sink = ctx.socket(zmq::PUSH)?;
    sink.connect(sink_endpoint)?;

    write!(out, "Press Enter when the workers are ready: ")?;
    out.flush()?;
    ready.read_line(&mut String::new())?;
    writeln!(out, "Sending tasks to workers...")?;

    // The first message is "0" and signals start of batch
    sink.send("0", 0)?;

    // Send 100 tasks
    let mut total_msec = 0; // Total expected cost in msecs
    for _ in 0..TASKS {
        // Random workload from 1 to 100msecs
        let workload = random.below(100) + 1;
        total_msec += workload;
        sender.send(workload.to_string().as_str(), 0)?;
    }
    writeln!(out, "Total expected cost: {total_msec} msec")?;
    Ok(total_msec)
}

fn main() {
    let ctx = zmq::Context::new();
    // Seeded from the clock, as the guide's srandom(time(NULL)).
    let seed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |t| t.as_nanos() as u64);
    let result = run(
        &ctx,
        "tcp://*:5557",
        "tcp://localhost:5558",
        io::stdin().lock(),
        &mut Random::new(seed),
        &mut io::stdout(),
    );
    if let Err(error) = result {
        eprintln!("taskvent: {error}");
        process::exit(1);
    }
}
