//! Weather update client, the guide's `wuclient` (chapter 1): connects a
//! SUB socket to tcp://localhost:5556, subscribes to one zip code (the
//! first argument, default "10001 "), averages the temperature of 100
//! updates and prints it. `tests/guide_tcp.rs` runs it over tcp.

use std::io::{self, Write};

use zactor as zmq;

/// Collects 100 updates for `filter` on `subscriber`; prints the average
/// and returns it.
pub fn collect(subscriber: &zmq::Socket, filter: &str, out: &mut impl Write) -> io::Result<i64> {
    subscriber.set_subscribe(filter.as_bytes())?;
    // Process 100 updates
    let mut total_temp: i64 = 0;
    for _ in 0..100 {
        let update = subscriber.recv_string(0)?.unwrap_or_default();
        let mut fields = update.split_whitespace().skip(1);
        let temperature: i64 = fields.next().and_then(|t| t.parse().ok()).unwrap_or(0);
        total_temp += temperature;
    }
    let average = total_temp / 100;
    writeln!(
        out,
        "Average temperature for zipcode '{}' was {average}F",
        filter.trim_end()
    )?;
    Ok(average)
}

#[allow(dead_code)]
fn main() -> io::Result<()> {
    let context = zmq::Context::new();
    // Socket to talk to server
    println!("Collecting updates from weather server…");
    let subscriber = context.socket(zmq::SUB)?;
    subscriber.connect("tcp://localhost:5556")?;
    let filter = std::env::args().nth(1).unwrap_or_else(|| "10001 ".into());
    collect(&subscriber, &filter, &mut io::stdout())?;
    Ok(())
}
