//! `Socket::monitor`: the events of a socket's listeners and connections,
//! read from the PAIR it binds, in libzmq's format (six octets of event and
//! value, then the endpoint), including why a handshake failed.

mod common;

use std::io::{Read, Write};

use common::{bounded, recv_str, socket};
use zactor as zmq;
use zmq::SocketEvent;

/// Monitors `socket` with `mask` at a fresh inproc endpoint; returns the
/// PAIR to read the events from.
fn monitor(ctx: &zmq::Context, socket: &zmq::Socket, name: &str, mask: SocketEvent) -> zmq::Socket {
    let endpoint = format!("inproc://monitor-{name}");
    socket.monitor(&endpoint, mask as i32).unwrap();
    let reader = self::socket(ctx, zmq::PAIR);
    reader.connect(&endpoint).unwrap();
    reader
}

/// The next event: (event, value, endpoint).
fn next_event(reader: &zmq::Socket) -> (SocketEvent, u32, String) {
    let frames = reader
        .recv_multipart(0)
        .expect("an event within the timeout");
    assert_eq!(frames.len(), 2, "two frames per event");
    assert_eq!(frames[0].len(), 6, "six octets of event and value");
    let event = u16::from_ne_bytes([frames[0][0], frames[0][1]]);
    let value = u32::from_ne_bytes([frames[0][2], frames[0][3], frames[0][4], frames[0][5]]);
    let endpoint = String::from_utf8(frames[1].clone()).unwrap();
    (SocketEvent::from_raw(event), value, endpoint)
}

/// Reads events until `wanted`; returns its value and endpoint.
fn wait_for(reader: &zmq::Socket, wanted: SocketEvent) -> (u32, String) {
    loop {
        let (event, value, endpoint) = next_event(reader);
        if event == wanted {
            return (value, endpoint);
        }
    }
}

#[test]
fn a_connection_is_reported_from_both_ends() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let pull = socket(&ctx, zmq::PULL);
        let server = monitor(&ctx, &pull, "both-server", SocketEvent::ALL);
        pull.bind("tcp://127.0.0.1:*").unwrap();
        let endpoint = pull.get_last_endpoint().unwrap().unwrap();
        let (event, fd, at) = next_event(&server);
        assert_eq!(
            (event, at.as_str()),
            (SocketEvent::LISTENING, endpoint.as_str())
        );
        assert!(fd > 0);

        let push = socket(&ctx, zmq::PUSH);
        let client = monitor(&ctx, &push, "both-client", SocketEvent::ALL);
        push.connect(&endpoint).unwrap();
        push.send("hello", 0).unwrap();
        assert_eq!(recv_str(&pull), "hello");

        let (event, _, at) = next_event(&client);
        assert_eq!(event, SocketEvent::CONNECT_DELAYED);
        assert_eq!(at, endpoint);
        assert_eq!(next_event(&client).0, SocketEvent::CONNECTED);
        assert_eq!(next_event(&client).0, SocketEvent::HANDSHAKE_SUCCEEDED);
        assert_eq!(next_event(&server).0, SocketEvent::ACCEPTED);
        assert_eq!(next_event(&server).0, SocketEvent::HANDSHAKE_SUCCEEDED);

        // The server goes away: the client sees the disconnection and
        // schedules a retry.
        pull.unbind(&endpoint).unwrap();
        drop(pull);
        wait_for(&client, SocketEvent::DISCONNECTED);
        let (delay, _) = wait_for(&client, SocketEvent::CONNECT_RETRIED);
        assert_eq!(delay, 100, "RECONNECT_IVL's default");
    });
}

#[test]
fn unbind_reports_the_closed_listener() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let rep = socket(&ctx, zmq::REP);
        let events = monitor(&ctx, &rep, "unbind", SocketEvent::ALL);
        rep.bind("tcp://127.0.0.1:*").unwrap();
        let endpoint = rep.get_last_endpoint().unwrap().unwrap();
        let (listening_fd, _) = wait_for(&events, SocketEvent::LISTENING);
        rep.unbind(&endpoint).unwrap();
        let (closed_fd, at) = wait_for(&events, SocketEvent::CLOSED);
        assert_eq!((closed_fd, at), (listening_fd, endpoint));
    });
}

#[test]
fn a_failed_bind_is_reported_with_its_errno() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let first = socket(&ctx, zmq::PULL);
        first.bind("tcp://127.0.0.1:*").unwrap();
        let endpoint = first.get_last_endpoint().unwrap().unwrap();
        let second = socket(&ctx, zmq::PULL);
        let events = monitor(&ctx, &second, "bind-failed", SocketEvent::BIND_FAILED);
        assert_eq!(second.bind(&endpoint), Err(zmq::Error::EADDRINUSE));
        let (event, errno, at) = next_event(&events);
        assert_eq!(event, SocketEvent::BIND_FAILED);
        assert_eq!(errno, zmq::Error::EADDRINUSE.to_raw() as u32);
        assert_eq!(at, endpoint);
    });
}

#[test]
fn an_incompatible_peer_is_reported_as_a_protocol_failure() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let pull = socket(&ctx, zmq::PULL);
        let server = monitor(&ctx, &pull, "incompatible-server", SocketEvent::ALL);
        pull.bind("tcp://127.0.0.1:*").unwrap();
        let endpoint = pull.get_last_endpoint().unwrap().unwrap();
        let req = socket(&ctx, zmq::REQ);
        let client = monitor(&ctx, &req, "incompatible-client", SocketEvent::ALL);
        req.connect(&endpoint).unwrap();
        let (code, _) = wait_for(&server, SocketEvent::HANDSHAKE_FAILED_PROTOCOL);
        assert_eq!(code, zmq::protocol_error::ZMTP_INVALID_METADATA);
        // The REQ side finds the mismatch itself, or hears the ERROR.
        let (code, _) = wait_for(&client, SocketEvent::HANDSHAKE_FAILED_PROTOCOL);
        assert!(
            code == zmq::protocol_error::ZMTP_INVALID_METADATA
                || code == zmq::protocol_error::ZMTP_MALFORMED_COMMAND_ERROR,
            "{code:#x}"
        );
    });
}

#[test]
fn garbage_from_a_raw_client_is_reported_as_a_protocol_failure() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let rep = socket(&ctx, zmq::REP);
        let events = monitor(
            &ctx,
            &rep,
            "garbage",
            SocketEvent::HANDSHAKE_FAILED_PROTOCOL,
        );
        rep.bind("tcp://127.0.0.1:*").unwrap();
        let endpoint = rep.get_last_endpoint().unwrap().unwrap();
        let mut raw = std::net::TcpStream::connect(endpoint.trim_start_matches("tcp://")).unwrap();
        raw.set_read_timeout(Some(std::time::Duration::from_secs(10)))
            .unwrap();
        raw.write_all(b"GET / HTTP/1.0\r\n\r\n").unwrap();
        let mut sink = Vec::new();
        let _ = raw.read_to_end(&mut sink);
        // Only the asked-for event comes (no LISTENING, no ACCEPTED).
        let (event, code, at) = next_event(&events);
        assert_eq!(event, SocketEvent::HANDSHAKE_FAILED_PROTOCOL);
        assert_eq!(code, zmq::protocol_error::ZMTP_UNSPECIFIED);
        assert_eq!(at, endpoint);
    });
}

#[test]
fn stopping_or_closing_ends_with_monitor_stopped() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let dealer = socket(&ctx, zmq::DEALER);
        assert_eq!(
            dealer.monitor("tcp://127.0.0.1:5999", SocketEvent::ALL as i32),
            Err(zmq::Error::EPROTONOSUPPORT),
            "a monitor endpoint is inproc"
        );
        let events = monitor(&ctx, &dealer, "stop", SocketEvent::ALL);
        dealer.monitor("", 0).unwrap();
        assert_eq!(next_event(&events).0, SocketEvent::MONITOR_STOPPED);
        let events = monitor(&ctx, &dealer, "close", SocketEvent::ALL);
        drop(dealer);
        assert_eq!(next_event(&events).0, SocketEvent::MONITOR_STOPPED);
    });
}
