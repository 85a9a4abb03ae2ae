//! The fuzz driver: arbitrary bytes through a whole connection (greeting,
//! NULL handshake, traffic, our replies). The `fuzz/` target calls it
//! through `crate::__fuzz` (feature `fuzzing`); the regression tests below
//! replay inputs that once failed.
//!
//! Input layout: one control octet, then the peer's bytes. The control
//! octet picks our socket type (low four bits, modulo 12), `maxmsgsize`
//! (bits 4-5: unlimited, 0, 64, 100 000) and a valid prefix to put before
//! the peer's bytes (bits 6-7: none, a greeting, a greeting and a
//! compatible READY, or the same as a 3.0 peer), so the fuzzer reaches
//! traffic without having to discover a handshake. The bytes arrive in
//! pieces whose size the control octet also sets.
//!
//! The driver checks invariants with `assert!` (that is what the fuzzer
//! looks for): nothing delivered exceeds what was received, and neither the
//! read buffer hint nor a large body's own buffer (odd piece sizes read
//! into one, as the engine does) trusts a declared size.

use bytes::{Bytes, BytesMut};

use super::body::BodyPool;
use super::command::{Command, Metadata};
use super::connection::{Connection, ConnectionConfig, Inbound};
use super::greeting::Greeting;
use super::null::SOCKET_TYPE;
use crate::config::RECV_POOL_MAX_BUFFER;
use crate::msg::Message;
use crate::socket_type::SocketType;

/// Bound on [`Connection::wanted`] beyond what is buffered.
const WANTED_SLACK: usize = 64 * 1024;

/// Runs `data` through a connection; returns normally whatever the bytes.
pub(crate) fn run(data: &[u8]) {
    let _ = run_with_outcome(data);
}

/// How far a run got (for the tests: seeds must reach traffic).
#[derive(Debug, Default, PartialEq, Eq)]
struct Outcome {
    ready: bool,
    messages: usize,
    failed: bool,
}

fn run_with_outcome(data: &[u8]) -> Outcome {
    let Some((&control, peer_bytes)) = data.split_first() else {
        return Outcome::default();
    };
    let socket_type =
        SocketType::from_raw(i32::from(control & 0x0f) % 12).unwrap_or(SocketType::PAIR);
    let max_msg_size = [-1, 0, 64, 100_000][usize::from((control >> 4) & 3)];
    let piece = 1 + usize::from(control.rotate_left(3)) % 67;

    let mut stream = Vec::with_capacity(128 + peer_bytes.len());
    let prefix = control >> 6;
    if prefix > 0 {
        let mut greeting = Greeting::null().encode();
        if prefix == 3 {
            greeting[11] = 0;
        }
        stream.extend_from_slice(&greeting);
    }
    if prefix >= 2 {
        let mut ready = BytesMut::new();
        let mut metadata = Metadata::default();
        let _ = metadata.insert(SOCKET_TYPE, compatible_peer(socket_type).zmtp_name());
        Command::Ready(metadata).encode(&mut ready);
        stream.extend_from_slice(&ready);
    }
    stream.extend_from_slice(peer_bytes);
    drive(socket_type, max_msg_size, &stream, piece)
}

/// A socket type ours accepts (PAIR when there is none: the handshake then
/// fails, which is worth fuzzing too).
fn compatible_peer(ours: SocketType) -> SocketType {
    (0..)
        .map_while(SocketType::from_raw)
        .find(|&theirs| ours.is_compatible_with(theirs))
        .unwrap_or(SocketType::PAIR)
}

fn drive(socket_type: SocketType, max_msg_size: i64, stream: &[u8], piece: usize) -> Outcome {
    let mut conn = Connection::new(ConnectionConfig {
        socket_type,
        identity: Bytes::from_static(b"fuzz"),
        max_msg_size,
    });
    let mut buf = BytesMut::new();
    let mut delivered = 0usize;
    let mut outcome = Outcome::default();
    // Odd piece sizes read as the engine does: the rest of a large body
    // into a buffer of its own, from a pool.
    let pool = (piece % 2 == 1).then(BodyPool::new);
    for chunk in stream.chunks(piece) {
        let mut chunk = chunk;
        if let Some(room) = pool
            .as_ref()
            .and_then(|pool| conn.body_room(&mut buf, pool))
        {
            let (len, capacity) = (room.buf.len(), room.buf.capacity());
            assert!(capacity > len && room.max > 0, "room to read into");
            assert!(
                capacity <= (len + len.max(WANTED_SLACK)).max(RECV_POOL_MAX_BUFFER),
                "a body's buffer never trusts a declared size"
            );
            let fits = chunk.len().min(room.max).min(capacity - len);
            room.buf.extend_from_slice(&chunk[..fits]);
            chunk = &chunk[fits..];
        }
        buf.extend_from_slice(chunk);
        assert!(conn.wanted(buf.len()) <= buf.len().max(WANTED_SLACK));
        loop {
            match conn.receive(&mut buf) {
                Ok(Some(Inbound::Message(msg))) => {
                    delivered += msg.len();
                    outcome.messages += 1;
                }
                Ok(Some(Inbound::Ready(_))) => {
                    outcome.ready = true;
                    // Exercise the sending side too.
                    let mut first = Message::from("\x01topic");
                    first.set_more(true);
                    let _ = conn.send(first);
                    let _ = conn.send_ping(10, Bytes::from_static(b"ctx"));
                    let _ = conn.send(Message::from(vec![0u8; 9000]));
                }
                Ok(Some(Inbound::Ping { .. } | Inbound::Pong { .. })) => {}
                Ok(None) => break,
                Err(_) => {
                    outcome.failed = true;
                    return outcome;
                }
            }
        }
        // Write everything out, as a socket would.
        let pending = conn.encoder().len();
        assert_eq!(conn.encoder().to_vec().len(), pending);
        conn.encoder().advance(pending);
        assert!(conn.encoder().is_empty());
    }
    assert!(delivered <= stream.len());
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_control_octet_runs_on_empty_and_small_inputs() {
        for control in 0..=255u8 {
            run(&[control]);
            run(&[control, 0x00, 0x01, b'x']);
            run(&[
                control, 0x02, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
            ]);
            run(&[control, 0x04, 0x05, 0x04, b'P', b'I', b'N', b'G', 0, 0]);
        }
        run(&[]);
    }

    #[test]
    fn the_seed_corpus_and_past_crashes_replay() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds/zmtp_decoder");
        let mut replayed = 0;
        for entry in std::fs::read_dir(&dir).expect("fuzz/seeds/zmtp_decoder") {
            let path = entry.unwrap().path();
            let outcome = run_with_outcome(&std::fs::read(&path).unwrap());
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if name == "maxmsg" {
                // maxmsgsize 64 against a 300-octet frame.
                assert!(outcome.ready && outcome.failed, "{name}: {outcome:?}");
            } else {
                assert!(
                    outcome.ready && outcome.messages >= 3,
                    "{name}: {outcome:?}"
                );
            }
            replayed += 1;
        }
        assert!(replayed >= 6, "{replayed} files in {}", dir.display());
    }

    #[test]
    fn prefixes_reach_traffic() {
        // Control 0x80 | PUSH's raw type: greeting + a PULL's READY, then a
        // message frame.
        let control = 0x80 | SocketType::PULL.to_raw() as u8;
        run(&[control, 0x00, 0x03, b'a', b'b', b'c']);
        assert_eq!(compatible_peer(SocketType::PULL), SocketType::PUSH);
        assert_eq!(compatible_peer(SocketType::STREAM), SocketType::PAIR);
    }
}
