//! Command-line arguments shared by the network perf examples (`local_thr`,
//! `remote_thr`, `local_lat`, `remote_lat`): libzmq's own
//! `<endpoint> <message-size> <count>`, so the same command lines drive
//! either implementation.

/// `<endpoint> <message-size> <count>`; `None` (after printing `usage` to
/// stdout, as libzmq's tools do) on a missing or bad argument. Unlike
/// libzmq's `atoi`, a number that does not parse is an error, not 0; `count`
/// must be at least 1.
pub fn parse(usage: &str) -> Option<(String, usize, usize)> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let parsed = match args.as_slice() {
        [endpoint, size, count] => size
            .parse()
            .ok()
            .zip(count.parse().ok().filter(|&c| c >= 1))
            .map(|(size, count)| (endpoint.clone(), size, count)),
        _ => None,
    };
    if parsed.is_none() {
        println!("usage: {usage}");
    }
    parsed
}
