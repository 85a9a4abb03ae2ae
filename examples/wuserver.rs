//! Weather update server, the guide's `wuserver` (chapter 1): binds a PUB
//! socket to tcp://*:5556 and publishes random weather updates forever,
//! "%05d %d %d": zip code 0–99999, temperature −80–134, relative humidity
//! 10–59. `tests/guide_tcp.rs` runs it over tcp on a free port.

use zactor as zmq;

/// A tiny pseudo-random generator (xorshift64*; the guide uses `random`).
pub struct Random(u64);

impl Random {
    /// A generator seeded with `seed` (any value).
    pub fn new(seed: u64) -> Random {
        Random(seed | 1)
    }

    /// A number in `0..n`.
    pub fn within(&mut self, n: u32) -> u32 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        ((self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 32) % u64::from(n)) as u32
    }
}

/// One update, as the guide formats it.
pub fn update(random: &mut Random) -> String {
    // Get values that will fool the boss
    let zipcode = random.within(100_000);
    let temperature = random.within(215) as i32 - 80;
    let relhumidity = random.within(50) + 10;
    format!("{zipcode:05} {temperature} {relhumidity}")
}

/// Publishes updates on `publisher` until `keep_going` says stop (never,
/// in `main`).
pub fn publish(
    publisher: &zmq::Socket,
    random: &mut Random,
    mut keep_going: impl FnMut() -> bool,
) -> zmq::Result<()> {
    while keep_going() {
        // Send message to all subscribers
        publisher.send(update(random).as_str(), 0)?;
    }
    Ok(())
}

#[allow(dead_code)]
fn main() -> zmq::Result<()> {
    // Prepare our context and publisher
    let context = zmq::Context::new();
    let publisher = context.socket(zmq::PUB)?;
    publisher.bind("tcp://*:5556")?;
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(1, |d| d.as_nanos() as u64);
    publish(&publisher, &mut Random::new(seed), || true)
}
