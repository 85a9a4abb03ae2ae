//! Interoperability with libzmq through pyzmq over tcp, each side binding
//! in turn: REQ/REP, PUB/SUB with a filter (through a zactor XPUB, so both
//! directions of subscription propagation), DEALER/ROUTER with an
//! identity, PUSH/PULL with multipart, empty and 16 MiB bodies, PAIR.
//!
//! The peer is `tests/interop/peer.py`. It needs `python3` with pyzmq:
//! `.ci/run` (the README's test command) installs it. Without it these
//! tests fail and say so; they never skip.

mod common;

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};

use common::{bounded, recv_str, socket};
use zactor as zmq;

/// A running peer.
struct Peer {
    child: Child,
    stdout: BufReader<std::process::ChildStdout>,
}

impl Peer {
    fn start(args: &[&str]) -> Peer {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/interop/peer.py");
        let mut child = Command::new("python3")
            .arg(script)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("python3 is needed for the pyzmq interop tests");
        let stdout = BufReader::new(child.stdout.take().unwrap());
        Peer { child, stdout }
    }

    fn line(&mut self) -> String {
        let mut line = String::new();
        self.stdout.read_line(&mut line).unwrap();
        line.trim().to_owned()
    }

    /// Waits for the peer to finish and checks it said OK.
    fn finish(mut self) {
        let last = self.line();
        let status = self.child.wait().unwrap();
        let mut stderr = String::new();
        self.child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut stderr)
            .unwrap();
        assert!(
            stderr.is_empty() || status.success(),
            "the pyzmq peer failed ({status}):\n{stderr}\n(is pyzmq installed? `python3 -m pip install pyzmq`)"
        );
        assert_eq!(last, "OK", "{stderr}");
        assert!(status.success(), "{stderr}");
    }
}

#[test]
fn req_to_pyzmq_rep() {
    bounded(|| {
        let mut peer = Peer::start(&["rep-bind"]);
        let endpoint = peer.line();
        let ctx = zmq::Context::new();
        let req = socket(&ctx, zmq::REQ);
        req.connect(&endpoint).unwrap();
        for i in 0..10 {
            req.send(format!("Hello {i}").as_str(), 0).unwrap();
            assert_eq!(recv_str(&req), format!("World {i}"));
        }
        peer.finish();
    });
}

#[test]
fn pyzmq_req_to_rep() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let rep = socket(&ctx, zmq::REP);
        rep.bind("tcp://127.0.0.1:*").unwrap();
        let endpoint = rep.get_last_endpoint().unwrap().unwrap();
        let peer = Peer::start(&["req-connect", &endpoint]);
        for i in 0..10 {
            assert_eq!(recv_str(&rep), format!("Hello {i}"));
            rep.send(format!("World {i}").as_str(), 0).unwrap();
        }
        peer.finish();
    });
}

#[test]
fn xpub_to_pyzmq_sub_with_a_filter() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let xpub = socket(&ctx, zmq::XPUB);
        xpub.bind("tcp://127.0.0.1:*").unwrap();
        let endpoint = xpub.get_last_endpoint().unwrap().unwrap();
        let peer = Peer::start(&["sub-connect", &endpoint]);
        // The subscription travels up from pyzmq's SUB.
        assert_eq!(xpub.recv_bytes(0).unwrap(), b"\x0110001 ");
        for i in 0..5 {
            xpub.send(format!("10002 other {i}").as_str(), 0).unwrap();
            xpub.send(format!("10001 update {i}").as_str(), 0).unwrap();
        }
        peer.finish();
    });
}

#[test]
fn pyzmq_dealer_identity_reaches_router() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let router = socket(&ctx, zmq::ROUTER);
        router.bind("tcp://127.0.0.1:*").unwrap();
        let endpoint = router.get_last_endpoint().unwrap().unwrap();
        let peer = Peer::start(&["dealer-connect", &endpoint]);
        let request = router.recv_multipart(0).unwrap();
        assert_eq!(
            request,
            vec![b"py-dealer".to_vec(), Vec::new(), b"request".to_vec()]
        );
        router
            .send_multipart([&b"py-dealer"[..], b"", b"reply"], 0)
            .unwrap();
        peer.finish();
    });
}

#[test]
fn pull_from_pyzmq_push_multipart_empty_and_16_mib() {
    bounded(|| {
        let mut peer = Peer::start(&["push-bind"]);
        let endpoint = peer.line();
        let ctx = zmq::Context::new();
        let pull = socket(&ctx, zmq::PULL);
        pull.connect(&endpoint).unwrap();
        assert_eq!(
            pull.recv_multipart(0).unwrap(),
            vec![b"a".to_vec(), Vec::new(), b"c".to_vec()]
        );
        assert_eq!(pull.recv_bytes(0).unwrap(), b"");
        let big = pull.recv_bytes(0).unwrap();
        assert_eq!(big.len(), 16 << 20);
        assert!(big.iter().all(|&b| b == b'x'));
        assert_eq!(recv_str(&pull), "END");
        peer.finish();
    });
}

#[test]
fn push_to_pyzmq_pull_multipart_empty_and_16_mib() {
    bounded(|| {
        let mut peer = Peer::start(&["pull-bind"]);
        let endpoint = peer.line();
        let ctx = zmq::Context::new();
        let push = socket(&ctx, zmq::PUSH);
        push.connect(&endpoint).unwrap();
        push.send_multipart([&b"a"[..], b"", b"c"], 0).unwrap();
        push.send(&b""[..], 0).unwrap();
        push.send(vec![b'y'; 16 << 20], 0).unwrap();
        peer.finish();
    });
}

#[test]
fn pair_round_trips_with_pyzmq() {
    bounded(|| {
        let mut peer = Peer::start(&["pair-bind"]);
        let endpoint = peer.line();
        let ctx = zmq::Context::new();
        let pair = socket(&ctx, zmq::PAIR);
        pair.connect(&endpoint).unwrap();
        for i in 0..100 {
            pair.send(format!("ping {i}").as_str(), 0).unwrap();
            assert_eq!(recv_str(&pair), format!("ping {i}"));
        }
        peer.finish();
    });
}
