//! A tiny HTTP server over a STREAM socket (the zmq_socket(3) example):
//! binds tcp://*:8080 (or the endpoint given as the first argument), reads
//! each client's request up to its blank line, answers "Hello, World!" and
//! closes the connection. Try it with `curl http://127.0.0.1:8080/`.
//! `tests/stream.rs` drives [`serve`] with plain TCP clients.

use std::collections::HashMap;
use std::io;

use zactor as zmq;

/// The whole response; HTTP/1.0, so closing the connection ends it.
pub const RESPONSE: &[u8] = b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nHello, World!";

/// Serves `requests` requests (forever with `None`) on a bound STREAM
/// socket; returns how many it answered.
pub fn serve(server: &zmq::Socket, requests: Option<usize>) -> io::Result<usize> {
    // What each connection has sent so far, until its request is whole.
    let mut pending: HashMap<Vec<u8>, Vec<u8>> = HashMap::new();
    let mut served = 0;
    while requests.map_or(true, |n| served < n) {
        // Each message is [routing id, data]; empty data says a client
        // connected or went away.
        let id = server.recv_bytes(0)?;
        let data = server.recv_bytes(0)?;
        if data.is_empty() {
            pending.remove(&id);
            continue;
        }
        let request = pending.entry(id.clone()).or_default();
        request.extend_from_slice(&data);
        if !request.windows(4).any(|w| w == b"\r\n\r\n") {
            continue; // the rest of the request is still coming
        }
        pending.remove(&id);
        // The response, then an empty frame to close the connection.
        server.send(&id[..], zmq::SNDMORE)?;
        server.send(RESPONSE, zmq::SNDMORE)?;
        server.send(&id[..], zmq::SNDMORE)?;
        server.send(&b""[..], 0)?;
        served += 1;
    }
    Ok(served)
}

#[allow(dead_code)]
fn main() -> io::Result<()> {
    let endpoint = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "tcp://*:8080".to_owned());
    let context = zmq::Context::new();
    let server = context.socket(zmq::STREAM)?;
    server.bind(&endpoint)?;
    println!(
        "serving on {}",
        server.get_last_endpoint()?.unwrap_or(endpoint)
    );
    serve(&server, None)?;
    Ok(())
}
