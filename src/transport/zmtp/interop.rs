//! The codec against libzmq 4.3.4 itself (the `zmq` crate, built with the
//! `compare` feature), over loopback TCP driven by plain blocking
//! `std::net` calls: handshakes both ways, multipart and large messages,
//! SUBSCRIBE/CANCEL, PING/PONG in both directions, a socket-type mismatch.
//!
//! `cargo test --features compare --lib zmtp::interop`

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

use bytes::{Bytes, BytesMut};

use super::connection::{Connection, ConnectionConfig, Inbound};
use super::null::PeerMetadata;
use super::ZmtpError;
use crate::msg::Message;
use crate::socket_type::SocketType;

/// Bound on every blocking call, so a broken exchange fails, never hangs.
const TIMEOUT: Duration = Duration::from_secs(5);

/// Our side of a TCP connection: a blocking socket and the codec.
struct Wire {
    stream: TcpStream,
    conn: Connection,
    inbox: BytesMut,
}

impl Wire {
    fn new(stream: TcpStream, socket_type: SocketType, identity: &'static [u8]) -> Wire {
        stream.set_read_timeout(Some(TIMEOUT)).unwrap();
        stream.set_write_timeout(Some(TIMEOUT)).unwrap();
        Wire {
            stream,
            conn: Connection::new(ConnectionConfig {
                socket_type,
                identity: Bytes::from_static(identity),
                max_msg_size: -1,
            }),
            inbox: BytesMut::new(),
        }
    }

    /// Connects to a libzmq socket bound at `tcp://127.0.0.1:port`.
    fn connect(endpoint: &str, socket_type: SocketType, identity: &'static [u8]) -> Wire {
        let address = endpoint.strip_prefix("tcp://").unwrap();
        Wire::new(TcpStream::connect(address).unwrap(), socket_type, identity)
    }

    fn flush(&mut self) {
        while !self.conn.encoder().is_empty() {
            let slices = self.conn.encoder().io_slices(64);
            let written = self.stream.write_vectored(&slices).unwrap();
            self.conn.encoder().advance(written);
        }
    }

    /// The next event, writing what is due and reading as needed.
    fn next(&mut self) -> Result<Inbound, ZmtpError> {
        let mut chunk = vec![0u8; 64 * 1024];
        loop {
            self.flush();
            if let Some(event) = self.conn.receive(&mut self.inbox)? {
                self.flush();
                return Ok(event);
            }
            self.inbox.reserve(self.conn.wanted(self.inbox.len()));
            let n = self.stream.read(&mut chunk).expect("read (timed out?)");
            assert!(n > 0, "libzmq closed the connection");
            self.inbox.extend_from_slice(&chunk[..n]);
        }
    }

    fn ready(&mut self) -> PeerMetadata {
        match self.next() {
            Ok(Inbound::Ready(peer)) => peer,
            other => panic!("no handshake: {other:?}"),
        }
    }

    fn message(&mut self) -> Message {
        loop {
            match self.next() {
                Ok(Inbound::Message(msg)) => return msg,
                Ok(Inbound::Ping { .. } | Inbound::Pong { .. }) => {}
                other => panic!("no message: {other:?}"),
            }
        }
    }

    fn send(&mut self, body: &[u8], more: bool) {
        let mut msg = Message::from(body.to_vec());
        msg.set_more(more);
        self.conn.send(msg).unwrap();
        self.flush();
    }
}

fn libzmq_bound(ctx: &zmq::Context, kind: zmq::SocketType) -> (zmq::Socket, String) {
    libzmq_bound_with(ctx, kind, |_| {})
}

/// A libzmq socket bound to a loopback port, `configure`d before the bind
/// (libzmq copies the options into its listener at bind time).
fn libzmq_bound_with(
    ctx: &zmq::Context,
    kind: zmq::SocketType,
    configure: impl FnOnce(&zmq::Socket),
) -> (zmq::Socket, String) {
    let socket = ctx.socket(kind).unwrap();
    configure(&socket);
    socket.set_rcvtimeo(TIMEOUT.as_millis() as i32).unwrap();
    socket.set_sndtimeo(TIMEOUT.as_millis() as i32).unwrap();
    socket.set_linger(0).unwrap();
    socket.bind("tcp://127.0.0.1:*").unwrap();
    let endpoint = socket.get_last_endpoint().unwrap().unwrap();
    (socket, endpoint)
}

#[test]
fn dealer_talks_to_a_libzmq_router() {
    let ctx = zmq::Context::new();
    let (router, endpoint) = libzmq_bound(&ctx, zmq::ROUTER);
    let mut wire = Wire::connect(&endpoint, SocketType::DEALER, b"zactor");
    let peer = wire.ready();
    assert_eq!(peer.socket_type, SocketType::ROUTER);
    assert_eq!(wire.conn.version(), Some(super::Version::V3_1));

    let big = vec![0x5a; 100_000];
    wire.send(b"hello", true);
    wire.send(&big, false);
    let got = router.recv_multipart(0).unwrap();
    assert_eq!(got, [b"zactor".to_vec(), b"hello".to_vec(), big]);

    router
        .send_multipart([&b"zactor"[..], b"part", b"world"], 0)
        .unwrap();
    let part = wire.message();
    assert_eq!(&part[..], b"part");
    assert!(part.get_more());
    let world = wire.message();
    assert_eq!(&world[..], b"world");
    assert!(!world.get_more());
}

#[test]
fn a_libzmq_dealer_connects_to_us_with_its_identity() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let ctx = zmq::Context::new();
    let dealer = ctx.socket(zmq::DEALER).unwrap();
    dealer.set_identity(b"lz").unwrap();
    dealer.set_linger(0).unwrap();
    dealer.set_sndtimeo(TIMEOUT.as_millis() as i32).unwrap();
    dealer.set_rcvtimeo(TIMEOUT.as_millis() as i32).unwrap();
    dealer.connect(&format!("tcp://127.0.0.1:{port}")).unwrap();
    let (stream, _) = listener.accept().unwrap();
    let mut wire = Wire::new(stream, SocketType::ROUTER, b"");
    let peer = wire.ready();
    assert_eq!(peer.socket_type, SocketType::DEALER);
    assert_eq!(peer.identity, Some(Bytes::from_static(b"lz")));

    dealer
        .send_multipart([&b"a"[..], &[7u8; 300][..]], 0)
        .unwrap();
    assert_eq!(&wire.message()[..], b"a");
    assert_eq!(&wire.message()[..], &[7u8; 300][..]);
    wire.send(b"back", false);
    assert_eq!(dealer.recv_bytes(0).unwrap(), b"back");
}

#[test]
fn subscriptions_reach_a_libzmq_xpub_and_filter_there() {
    let ctx = zmq::Context::new();
    let (xpub, endpoint) = libzmq_bound(&ctx, zmq::XPUB);
    let mut wire = Wire::connect(&endpoint, SocketType::SUB, b"");
    assert_eq!(wire.ready().socket_type, SocketType::XPUB);

    wire.send(b"\x01A", false);
    assert_eq!(xpub.recv_bytes(0).unwrap(), b"\x01A");
    xpub.send("B-not-for-us", 0).unwrap();
    xpub.send("A-for-us", 0).unwrap();
    assert_eq!(&wire.message()[..], b"A-for-us");

    wire.send(b"\x00A", false);
    assert_eq!(xpub.recv_bytes(0).unwrap(), b"\x00A");
}

#[test]
fn ping_pong_both_ways_with_libzmq() {
    let ctx = zmq::Context::new();
    // libzmq pings every 50 ms and drops us if a PONG is late.
    let (router, endpoint) = libzmq_bound_with(&ctx, zmq::ROUTER, |router| {
        router.set_heartbeat_ivl(50).unwrap();
        router.set_heartbeat_timeout(1000).unwrap();
    });
    let mut wire = Wire::connect(&endpoint, SocketType::DEALER, b"hb");
    wire.ready();

    // Our PING, with a context libzmq must echo.
    assert_eq!(wire.conn.send_ping(0, Bytes::from_static(b"ctx")), Ok(true));
    let mut pings = 0;
    loop {
        match wire.next().unwrap() {
            Inbound::Pong { context } => {
                assert_eq!(context, Bytes::from_static(b"ctx"));
                break;
            }
            Inbound::Ping { .. } => pings += 1,
            other => panic!("{other:?}"),
        }
    }
    // libzmq's PINGs: answered by the codec; the connection stays up.
    while pings < 3 {
        if let Inbound::Ping { .. } = wire.next().unwrap() {
            pings += 1;
        }
    }
    wire.send(b"still here", false);
    assert_eq!(
        router.recv_multipart(0).unwrap(),
        [b"hb".to_vec(), b"still here".to_vec()]
    );
}

#[test]
fn a_libzmq_push_is_incompatible_with_our_push() {
    let ctx = zmq::Context::new();
    let (_push, endpoint) = libzmq_bound(&ctx, zmq::PUSH);
    let mut wire = Wire::connect(&endpoint, SocketType::PUSH, b"");
    assert_eq!(
        wire.next(),
        Err(ZmtpError::IncompatibleSocketType {
            ours: SocketType::PUSH,
            theirs: "PUSH".into()
        })
    );
}
