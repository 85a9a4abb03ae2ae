//! The STREAM socket over raw TCP, against plain `std::net` peers:
//! connect and disconnect notifications, echo, closing by an empty frame,
//! unknown ids, connecting out, many connections, a peer that resets, and
//! the guide's tiny HTTP server. Every port is `127.0.0.1:*`.

mod common;

use std::collections::HashSet;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

use common::{bounded, socket};
use zactor as zmq;

#[path = "../examples/http_stream.rs"]
mod http_stream;

/// A STREAM socket bound to a fresh loopback port, and the port's address.
fn stream_server(ctx: &zmq::Context) -> (zmq::Socket, String) {
    let server = socket(ctx, zmq::STREAM);
    server.bind("tcp://127.0.0.1:*").expect("bind");
    let endpoint = server.get_last_endpoint().unwrap().unwrap();
    let address = endpoint.trim_start_matches("tcp://").to_owned();
    (server, address)
}

/// A std TCP client whose reads time out.
fn client(address: &str) -> TcpStream {
    let stream = TcpStream::connect(address).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream
}

/// Receives one STREAM message: `(routing id, data)`.
fn recv_pair(server: &zmq::Socket) -> (Vec<u8>, Vec<u8>) {
    let id = server.recv_bytes(0).expect("a routing id");
    assert!(server.get_rcvmore().unwrap(), "data follows the id");
    let data = server.recv_bytes(0).expect("the data");
    assert!(!server.get_rcvmore().unwrap(), "two frames per message");
    (id, data)
}

/// Receives until `want` octets came from `id`, checking nothing else
/// arrives meanwhile.
fn recv_from(server: &zmq::Socket, id: &[u8], want: usize) -> Vec<u8> {
    let mut got = Vec::new();
    while got.len() < want {
        let (from, data) = recv_pair(server);
        assert_eq!(from, id);
        assert!(!data.is_empty(), "no disconnect before the data");
        got.extend_from_slice(&data);
    }
    got
}

fn send_to(server: &zmq::Socket, id: &[u8], data: &[u8]) -> zmq::Result<()> {
    server.send(id, zmq::SNDMORE)?;
    server.send(data, 0)
}

#[test]
fn a_connection_is_announced_and_its_end_too() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let (server, address) = stream_server(&ctx);
        let peer = client(&address);
        let (id, data) = recv_pair(&server);
        assert_eq!((id.len(), id[0]), (5, 0), "a generated routing id");
        assert!(data.is_empty(), "the connect notification");
        drop(peer);
        let (gone, data) = recv_pair(&server);
        assert_eq!(gone, id);
        assert!(data.is_empty(), "the disconnect notification");
        // The id is gone with its connection.
        assert_eq!(
            send_to(&server, &id, b"late"),
            Err(zmq::Error::EHOSTUNREACH)
        );
    });
}

#[test]
fn echo_over_raw_tcp() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let (server, address) = stream_server(&ctx);
        let mut peer = client(&address);
        let (id, _) = recv_pair(&server);
        for round in 0..20u32 {
            let text = format!("line {round}\n").repeat(round as usize + 1);
            peer.write_all(text.as_bytes()).unwrap();
            let got = recv_from(&server, &id, text.len());
            assert_eq!(got, text.as_bytes());
            send_to(&server, &id, &got).unwrap();
            let mut echoed = vec![0; text.len()];
            peer.read_exact(&mut echoed).unwrap();
            assert_eq!(echoed, text.as_bytes());
        }
        // A large body crosses in many chunks, whole and in order.
        let big: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
        let mut writer = peer.try_clone().unwrap();
        let sent = big.clone();
        let feeder = std::thread::spawn(move || writer.write_all(&sent).unwrap());
        let got = recv_from(&server, &id, big.len());
        feeder.join().unwrap();
        assert_eq!(got, big);
        send_to(&server, &id, &got).unwrap();
        let mut echoed = vec![0; big.len()];
        peer.read_exact(&mut echoed).unwrap();
        assert_eq!(echoed, big);
    });
}

#[test]
fn an_empty_frame_closes_the_connection_after_what_was_queued() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let (server, address) = stream_server(&ctx);
        let mut peer = client(&address);
        let (id, _) = recv_pair(&server);
        for part in [&b"one,"[..], b"two,", b"three"] {
            send_to(&server, &id, part).unwrap();
        }
        // The MORE flag on the empty frame is ignored, as in libzmq.
        server.send(&id[..], zmq::SNDMORE).unwrap();
        server.send(&b""[..], zmq::SNDMORE).unwrap();
        let mut everything = Vec::new();
        peer.read_to_end(&mut everything)
            .expect("EOF, not a timeout");
        assert_eq!(everything, b"one,two,three");
        assert_eq!(send_to(&server, &id, b"x"), Err(zmq::Error::EHOSTUNREACH));
        // The socket serves the next connection as before.
        let mut next = client(&address);
        let (id2, data) = recv_pair(&server);
        assert!(data.is_empty());
        assert_ne!(id2, id);
        next.write_all(b"ping").unwrap();
        assert_eq!(recv_from(&server, &id2, 4), b"ping");
    });
}

#[test]
fn an_unknown_id_is_unreachable_and_a_lone_id_is_ignored() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let (server, address) = stream_server(&ctx);
        assert_eq!(
            server.send(&b"\0nope"[..], zmq::SNDMORE),
            Err(zmq::Error::EHOSTUNREACH)
        );
        assert_eq!(
            send_to(&server, b"", b"data"),
            Err(zmq::Error::EHOSTUNREACH)
        );
        let mut peer = client(&address);
        let (id, _) = recv_pair(&server);
        // A lone id frame is dropped; the next message goes normally.
        server.send(&id[..], 0).unwrap();
        send_to(&server, &id, b"after").unwrap();
        let mut got = [0; 5];
        peer.read_exact(&mut got).unwrap();
        assert_eq!(&got, b"after");
    });
}

#[test]
fn stream_connects_out_to_a_plain_listener() {
    bounded(|| {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        let ctx = zmq::Context::new();
        let stream = socket(&ctx, zmq::STREAM);
        // After a close, no reconnect must be made behind our back.
        stream.set_reconnect_ivl(-1).unwrap();
        stream.connect(&format!("tcp://{address}")).unwrap();
        let (mut accepted, _) = listener.accept().unwrap();
        accepted
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let (id, data) = recv_pair(&stream);
        assert!(data.is_empty(), "the connect notification");
        send_to(&stream, &id, b"hello listener").unwrap();
        let mut got = [0; 14];
        accepted.read_exact(&mut got).unwrap();
        assert_eq!(&got, b"hello listener");
        accepted.write_all(b"hello stream").unwrap();
        assert_eq!(recv_from(&stream, &id, 12), b"hello stream");
        // The listener's side hangs up: the STREAM socket is told.
        drop(accepted);
        let (gone, data) = recv_pair(&stream);
        assert_eq!((gone, data.len()), (id, 0));
    });
}

#[test]
fn a_small_rcvhwm_holds_the_reading_back_without_losing_anything() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let server = socket(&ctx, zmq::STREAM);
        server.set_rcvhwm(2).unwrap();
        server.bind("tcp://127.0.0.1:*").unwrap();
        let endpoint = server.get_last_endpoint().unwrap().unwrap();
        let mut peer = client(endpoint.trim_start_matches("tcp://"));
        let (id, _) = recv_pair(&server);
        let big: Vec<u8> = (0..8_000_000u32).map(|i| (i % 253) as u8).collect();
        let sent = big.clone();
        let feeder = std::thread::spawn(move || peer.write_all(&sent).map(|()| peer));
        let got = recv_from(&server, &id, big.len());
        let peer = feeder.join().unwrap().unwrap();
        assert_eq!(got, big);
        drop(peer);
        let (gone, data) = recv_pair(&server);
        assert_eq!((gone, data.len()), (id, 0));
    });
}

#[test]
fn closing_the_socket_flushes_what_it_sent() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let (server, address) = stream_server(&ctx);
        let mut peer = client(&address);
        let (id, _) = recv_pair(&server);
        let body = vec![b'z'; 1_000_000];
        send_to(&server, &id, &body).unwrap();
        drop(server);
        let mut got = Vec::new();
        peer.read_to_end(&mut got).expect("EOF after the data");
        assert_eq!(got.len(), body.len());
    });
}

#[test]
fn stream_works_over_ipc_too() {
    bounded(|| {
        use std::os::unix::net::UnixStream;
        let path = std::env::temp_dir().join(format!("zactor-stream-{}.ipc", std::process::id()));
        let ctx = zmq::Context::new();
        let server = socket(&ctx, zmq::STREAM);
        server.bind(&format!("ipc://{}", path.display())).unwrap();
        let mut peer = UnixStream::connect(&path).unwrap();
        peer.set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let (id, data) = recv_pair(&server);
        assert!(data.is_empty());
        peer.write_all(b"over ipc").unwrap();
        assert_eq!(recv_from(&server, &id, 8), b"over ipc");
        send_to(&server, &id, b"back").unwrap();
        server.send(&id[..], zmq::SNDMORE).unwrap();
        server.send(&b""[..], 0).unwrap();
        let mut got = Vec::new();
        peer.read_to_end(&mut got).unwrap();
        assert_eq!(got, b"back");
    });
}

#[test]
fn inproc_is_refused() {
    let ctx = zmq::Context::new();
    let stream = ctx.socket(zmq::STREAM).unwrap();
    assert_eq!(
        stream.bind("inproc://stream-inproc"),
        Err(zmq::Error::ENOCOMPATPROTO)
    );
    assert_eq!(
        stream.connect("inproc://stream-inproc"),
        Err(zmq::Error::ENOCOMPATPROTO)
    );
}

#[test]
fn many_connections_each_get_their_own_id() {
    bounded(|| {
        const CLIENTS: usize = 50;
        let ctx = zmq::Context::new();
        let (server, address) = stream_server(&ctx);
        let mut peers: Vec<TcpStream> = (0..CLIENTS).map(|_| client(&address)).collect();
        for (n, peer) in peers.iter_mut().enumerate() {
            peer.write_all(format!("client {n:03}").as_bytes()).unwrap();
        }
        // Every connection: one notification, then its ten octets.
        let mut ids = HashSet::new();
        let mut from_client = std::collections::HashMap::new();
        let mut octets = 0;
        while octets < CLIENTS * 10 {
            let (id, data) = recv_pair(&server);
            if data.is_empty() {
                assert!(ids.insert(id), "one notification per connection");
            } else {
                assert!(ids.contains(&id), "the notification comes first");
                octets += data.len();
                from_client.entry(id).or_insert_with(Vec::new).extend(data);
            }
        }
        assert_eq!(ids.len(), CLIENTS);
        assert_eq!(from_client.len(), CLIENTS);
        // Each id answers its own client.
        for (id, data) in &from_client {
            send_to(&server, id, data).unwrap();
        }
        for (n, peer) in peers.iter_mut().enumerate() {
            let mut got = [0; 10];
            peer.read_exact(&mut got).unwrap();
            assert_eq!(got, format!("client {n:03}").as_bytes());
        }
        drop(peers);
        let mut gone = HashSet::new();
        while gone.len() < CLIENTS {
            let (id, data) = recv_pair(&server);
            assert!(data.is_empty());
            assert!(ids.contains(&id));
            assert!(gone.insert(id), "one disconnect per connection");
        }
    });
}

#[test]
fn a_peer_that_resets_is_just_a_disconnect() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let (server, address) = stream_server(&ctx);
        let peer = client(&address);
        let (id, _) = recv_pair(&server);
        // SO_LINGER 0: close sends RST instead of FIN.
        socket2::SockRef::from(&peer)
            .set_linger(Some(Duration::ZERO))
            .unwrap();
        let mut writer = &peer;
        writer.write_all(b"half a req").unwrap();
        assert_eq!(recv_from(&server, &id, 10), b"half a req");
        drop(peer);
        let (gone, data) = recv_pair(&server);
        assert_eq!((gone, data.len()), (id.clone(), 0));
        // Writing to it now: unreachable, no panic.
        assert_eq!(send_to(&server, &id, b"x"), Err(zmq::Error::EHOSTUNREACH));
        // The socket carries on.
        let mut next = client(&address);
        let (_, data) = recv_pair(&server);
        assert!(data.is_empty());
        next.write_all(b"ok").unwrap();
        let (_, data) = recv_pair(&server);
        assert_eq!(data, b"ok");
    });
}

/// One HTTP request with a std client; returns the whole response.
fn http_get(address: &str) -> Vec<u8> {
    let mut peer = client(address);
    peer.write_all(b"GET / HTTP/1.0\r\nHost: test\r\n").unwrap();
    peer.write_all(b"\r\n").unwrap();
    let mut response = Vec::new();
    peer.read_to_end(&mut response).expect("the server closes");
    response
}

#[test]
fn the_http_example_answers_clients_in_turn_and_at_once() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let (server, address) = stream_server(&ctx);
        let serving = std::thread::spawn(move || http_stream::serve(&server, Some(5)));
        for _ in 0..3 {
            assert_eq!(http_get(&address), http_stream::RESPONSE);
        }
        let both: Vec<_> = (0..2)
            .map(|_| {
                let address = address.clone();
                std::thread::spawn(move || http_get(&address))
            })
            .collect();
        for client in both {
            assert_eq!(client.join().unwrap(), http_stream::RESPONSE);
        }
        assert_eq!(serving.join().unwrap().unwrap(), 5);
    });
}
