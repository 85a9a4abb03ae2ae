//! Interoperability with libzmq through pyzmq, over tcp and ipc, each side
//! binding in turn: REQ/REP both ways round, PUB/SUB with filters and
//! subscription propagation in both directions (XPUB→SUB, SUB→XPUB,
//! XSUB→XPUB, XPUB←XSUB, subscribe and unsubscribe), DEALER/ROUTER with
//! identities both ways round, PUSH/PULL both ways with multipart, empty and
//! 16 MiB bodies, PAIR. Then heartbeats in both directions (and a stopped
//! peer dropped by them), reconnection after the pyzmq side restarts, and
//! the guide's rrbroker, mtserver and syncpub serving pyzmq clients.
//!
//! The peer is `tests/interop/peer.py`. It needs `python3` with pyzmq:
//! `.ci/test` (the README's test command) installs it. Without it these
//! tests fail and say so; they never skip.

mod common;

#[allow(dead_code)]
#[path = "../examples/mtserver.rs"]
mod mtserver;
#[allow(dead_code)]
#[path = "../examples/rrbroker.rs"]
mod rrbroker;
#[allow(dead_code)]
#[path = "../examples/rrworker.rs"]
mod rrworker;
#[allow(dead_code)]
#[path = "../examples/syncpub.rs"]
mod syncpub;

use std::io::{self, BufRead, BufReader, Read};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use common::{bounded, recv_str, socket};
use zactor as zmq;

/// A running peer; killed if the test ends without finishing it.
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

    /// The next line of the peer's stdout (empty at its end).
    fn line(&mut self) -> String {
        let mut line = String::new();
        self.stdout.read_line(&mut line).unwrap();
        line.trim().to_owned()
    }

    fn stderr(&mut self) -> String {
        let mut stderr = String::new();
        if let Some(mut pipe) = self.child.stderr.take() {
            pipe.read_to_string(&mut stderr).unwrap();
        }
        stderr
    }

    /// Waits for the peer to finish and checks it said OK.
    fn finish(mut self) {
        let last = self.line();
        let status = self.child.wait().unwrap();
        let stderr = self.stderr();
        assert!(
            stderr.is_empty() || status.success(),
            "the pyzmq peer failed ({status}):\n{stderr}\n(is pyzmq installed? `python3 -m pip install pyzmq`)"
        );
        assert_eq!(last, "OK", "{stderr}");
        assert!(status.success(), "{stderr}");
    }

    /// Kills the peer (SIGKILL) and reaps it.
    fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        // Ended already (finish, kill) or not: no python left behind.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The transports under test.
#[derive(Clone, Copy)]
enum Transport {
    Tcp,
    Ipc,
}

impl Transport {
    /// A fresh endpoint to bind: any port, or a path of its own.
    fn bind_endpoint(self) -> String {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        match self {
            Transport::Tcp => "tcp://127.0.0.1:*".to_owned(),
            Transport::Ipc => format!(
                "ipc://{}/zactor-pyzmq-{}-{}.sock",
                std::env::temp_dir().display(),
                std::process::id(),
                NEXT.fetch_add(1, Ordering::Relaxed)
            ),
        }
    }
}

/// Which side binds.
#[derive(Clone, Copy)]
enum Binder {
    Pyzmq,
    Zactor,
}

/// Runs `zactor_side` on a zactor socket of `kind` (after `prepare`), with
/// a pyzmq peer playing `role` on the other side of `transport`; `binder`
/// binds, the other connects.
fn interop(
    transport: Transport,
    binder: Binder,
    role: &'static str,
    kind: zmq::SocketType,
    prepare: fn(&zmq::Socket),
    zactor_side: fn(&zmq::Socket),
) {
    bounded(move || {
        let ctx = zmq::Context::new();
        let zactor = socket(&ctx, kind);
        prepare(&zactor);
        let peer = match binder {
            Binder::Pyzmq => {
                let mut peer = Peer::start(&[role, "bind", &transport.bind_endpoint()]);
                let endpoint = peer.line();
                zactor.connect(&endpoint).unwrap();
                peer
            }
            Binder::Zactor => {
                zactor.bind(&transport.bind_endpoint()).unwrap();
                let endpoint = zactor.get_last_endpoint().unwrap().unwrap();
                Peer::start(&[role, "connect", &endpoint])
            }
        };
        zactor_side(&zactor);
        peer.finish();
        if let Binder::Pyzmq = binder {
            remove_ipc_file(&endpoint_of(&zactor));
        }
    });
}

/// The endpoint a connected zactor socket last connected to.
fn endpoint_of(socket: &zmq::Socket) -> String {
    socket.get_last_endpoint().unwrap().unwrap_or_default()
}

/// Removes the file of an `ipc://` endpoint that pyzmq bound: libzmq leaves
/// it behind (zactor's listeners remove theirs).
fn remove_ipc_file(endpoint: &str) {
    if let Some(path) = endpoint.strip_prefix("ipc://") {
        let _ = std::fs::remove_file(path);
    }
}

/// Four tests in a module: tcp and ipc, pyzmq binding and zactor binding.
macro_rules! interop_tests {
    ($name:ident, $role:expr, $kind:expr, $prepare:expr, $zactor_side:expr) => {
        mod $name {
            use super::*;

            #[test]
            fn tcp_pyzmq_binds() {
                interop(
                    Transport::Tcp,
                    Binder::Pyzmq,
                    $role,
                    $kind,
                    $prepare,
                    $zactor_side,
                );
            }

            #[test]
            fn tcp_zactor_binds() {
                interop(
                    Transport::Tcp,
                    Binder::Zactor,
                    $role,
                    $kind,
                    $prepare,
                    $zactor_side,
                );
            }

            #[test]
            fn ipc_pyzmq_binds() {
                interop(
                    Transport::Ipc,
                    Binder::Pyzmq,
                    $role,
                    $kind,
                    $prepare,
                    $zactor_side,
                );
            }

            #[test]
            fn ipc_zactor_binds() {
                interop(
                    Transport::Ipc,
                    Binder::Zactor,
                    $role,
                    $kind,
                    $prepare,
                    $zactor_side,
                );
            }
        }
    };
}

fn no_options(_: &zmq::Socket) {}

fn req_side(req: &zmq::Socket) {
    for i in 0..10 {
        req.send(format!("Hello {i}").as_str(), 0).unwrap();
        assert_eq!(recv_str(req), format!("World {i}"));
    }
}

fn rep_side(rep: &zmq::Socket) {
    for i in 0..10 {
        assert_eq!(recv_str(rep), format!("Hello {i}"));
        rep.send(format!("World {i}").as_str(), 0).unwrap();
    }
}

/// To a pyzmq SUB: its subscription arrives, then only what matches goes.
fn xpub_to_sub_side(xpub: &zmq::Socket) {
    assert_eq!(xpub.recv_bytes(0).unwrap(), b"\x0110001 ");
    for i in 0..5 {
        xpub.send(format!("10002 other {i}").as_str(), 0).unwrap();
        xpub.send(format!("10001 update {i}").as_str(), 0).unwrap();
    }
}

/// From a pyzmq XPUB: our subscription reaches it (it publishes once it
/// has it), the filter holds, and our unsubscription reaches it too.
fn sub_from_xpub_side(sub: &zmq::Socket) {
    sub.set_subscribe(b"A").unwrap();
    for i in 0..5 {
        assert_eq!(recv_str(sub), format!("A wanted {i}"));
    }
    sub.set_unsubscribe(b"A").unwrap();
}

/// To a pyzmq XSUB: its subscribe frame arrives, we publish, its
/// unsubscribe frame arrives.
fn xpub_to_xsub_side(xpub: &zmq::Socket) {
    assert_eq!(xpub.recv_bytes(0).unwrap(), b"\x01A");
    for i in 0..5 {
        xpub.send(format!("B not wanted {i}").as_str(), 0).unwrap();
        xpub.send(format!("A wanted {i}").as_str(), 0).unwrap();
    }
    assert_eq!(xpub.recv_bytes(0).unwrap(), b"\x00A");
}

/// From a pyzmq XPUB through our XSUB: subscribe and unsubscribe frames.
fn xsub_from_xpub_side(xsub: &zmq::Socket) {
    xsub.send(&b"\x01A"[..], 0).unwrap();
    for i in 0..5 {
        assert_eq!(recv_str(xsub), format!("A wanted {i}"));
    }
    xsub.send(&b"\x00A"[..], 0).unwrap();
}

fn router_side(router: &zmq::Socket) {
    let request = router.recv_multipart(0).unwrap();
    assert_eq!(
        request,
        vec![b"py-dealer".to_vec(), Vec::new(), b"request".to_vec()]
    );
    router
        .send_multipart([&b"py-dealer"[..], b"", b"reply"], 0)
        .unwrap();
}

fn dealer_identity(dealer: &zmq::Socket) {
    dealer.set_identity(b"zactor-dealer").unwrap();
}

fn dealer_side(dealer: &zmq::Socket) {
    dealer.send_multipart([&b""[..], b"request"], 0).unwrap();
    assert_eq!(
        dealer.recv_multipart(0).unwrap(),
        vec![Vec::new(), b"reply".to_vec()]
    );
}

fn pull_side(pull: &zmq::Socket) {
    assert_eq!(
        pull.recv_multipart(0).unwrap(),
        vec![b"a".to_vec(), Vec::new(), b"c".to_vec()]
    );
    assert_eq!(pull.recv_bytes(0).unwrap(), b"");
    let big = pull.recv_bytes(0).unwrap();
    assert_eq!(big.len(), 16 << 20);
    assert!(big.iter().all(|&b| b == b'x'));
    assert_eq!(recv_str(pull), "END");
}

fn push_side(push: &zmq::Socket) {
    push.send_multipart([&b"a"[..], b"", b"c"], 0).unwrap();
    push.send(&b""[..], 0).unwrap();
    push.send(vec![b'y'; 16 << 20], 0).unwrap();
}

fn pair_side(pair: &zmq::Socket) {
    for i in 0..100 {
        pair.send(format!("ping {i}").as_str(), 0).unwrap();
        assert_eq!(recv_str(pair), format!("ping {i}"));
    }
}

interop_tests!(req_to_pyzmq_rep, "rep", zmq::REQ, no_options, req_side);
interop_tests!(rep_from_pyzmq_req, "req", zmq::REP, no_options, rep_side);
interop_tests!(
    xpub_to_pyzmq_sub,
    "sub",
    zmq::XPUB,
    no_options,
    xpub_to_sub_side
);
interop_tests!(
    sub_from_pyzmq_xpub,
    "xpub",
    zmq::SUB,
    no_options,
    sub_from_xpub_side
);
interop_tests!(
    xpub_to_pyzmq_xsub,
    "xsub",
    zmq::XPUB,
    no_options,
    xpub_to_xsub_side
);
interop_tests!(
    xsub_from_pyzmq_xpub,
    "xpub",
    zmq::XSUB,
    no_options,
    xsub_from_xpub_side
);
interop_tests!(
    router_from_pyzmq_dealer,
    "dealer",
    zmq::ROUTER,
    no_options,
    router_side
);
interop_tests!(
    dealer_to_pyzmq_router,
    "router",
    zmq::DEALER,
    dealer_identity,
    dealer_side
);
interop_tests!(
    pull_from_pyzmq_push_multipart_empty_16_mib,
    "push",
    zmq::PULL,
    no_options,
    pull_side
);
interop_tests!(
    push_to_pyzmq_pull_multipart_empty_16_mib,
    "pull",
    zmq::PUSH,
    no_options,
    push_side
);
interop_tests!(
    pair_round_trips_with_pyzmq,
    "pair",
    zmq::PAIR,
    no_options,
    pair_side
);

/// Heartbeat interval and timeout on the zactor side, in ms.
const HEARTBEAT_IVL: i32 = 50;
const HEARTBEAT_TIMEOUT: i32 = 150;

fn heartbeats(socket: &zmq::Socket) {
    socket.set_heartbeat_ivl(HEARTBEAT_IVL).unwrap();
    socket.set_heartbeat_timeout(HEARTBEAT_TIMEOUT).unwrap();
}

/// zactor PINGs libzmq across an idle second (more than six heartbeat
/// timeouts): libzmq's PONGs keep the connection up, which the pyzmq side
/// checks with its monitor (one handshake, no disconnection).
fn heartbeating_dealer_side(dealer: &zmq::Socket) {
    dealer.send("first", 0).unwrap();
    // Idle on purpose: nothing may arrive, and nothing may break.
    assert_eq!(dealer.poll(zmq::POLLIN, 1000).unwrap(), 0);
    dealer.send("second", 0).unwrap();
    assert_eq!(recv_str(dealer), "done");
}

/// libzmq PINGs zactor across an idle second; zactor's PONGs keep it up
/// (the pyzmq side checks with its monitor).
fn router_pinged_side(router: &zmq::Socket) {
    let first = router.recv_multipart(0).unwrap();
    assert_eq!(first[1], b"first");
    let second = router.recv_multipart(0).unwrap();
    assert_eq!(second, vec![first[0].clone(), b"second".to_vec()]);
    router.send_multipart([&first[0][..], b"done"], 0).unwrap();
}

interop_tests!(
    heartbeats_from_zactor_keep_an_idle_connection,
    "hb-router",
    zmq::DEALER,
    heartbeats,
    heartbeating_dealer_side
);
interop_tests!(
    heartbeats_from_pyzmq_are_answered,
    "hb-dealer",
    zmq::ROUTER,
    no_options,
    router_pinged_side
);

/// A pyzmq peer that stops dead (SIGSTOP; its kernel keeps the connection
/// open) is dropped by zactor's heartbeats within a few timeouts: then a
/// ROUTER_MANDATORY send to it fails with EHOSTUNREACH. (Without the
/// heartbeat options this test fails after 10 s.)
fn stopped_peer_is_dropped(transport: Transport) {
    bounded(move || {
        let ctx = zmq::Context::new();
        let router = socket(&ctx, zmq::ROUTER);
        heartbeats(&router);
        router.set_router_mandatory(true).unwrap();
        router.bind(&transport.bind_endpoint()).unwrap();
        let endpoint = router.get_last_endpoint().unwrap().unwrap();
        let mut peer = Peer::start(&["sleeper", "connect", &endpoint]);
        assert_eq!(
            router.recv_multipart(0).unwrap(),
            vec![b"sleeper".to_vec(), b"hello".to_vec()]
        );
        router
            .send_multipart([&b"sleeper"[..], b"go to sleep"], 0)
            .unwrap();
        assert_eq!(peer.line(), "sleeping");
        let stopped = Instant::now();
        // Sends succeed while the connection is up; each try waits a
        // heartbeat interval (on a poll that must stay empty).
        let dropped = loop {
            match router.send_multipart([&b"sleeper"[..], b"still there?"], zmq::DONTWAIT) {
                Err(zmq::Error::EHOSTUNREACH) => break stopped.elapsed(),
                Ok(()) | Err(zmq::Error::EAGAIN) => {}
                Err(error) => panic!("{error}"),
            }
            assert!(
                stopped.elapsed() < Duration::from_secs(10),
                "a stopped peer still connected after 10 s"
            );
            assert_eq!(router.poll(zmq::POLLIN, HEARTBEAT_IVL as i64).unwrap(), 0);
        };
        peer.kill();
        eprintln!("stopped peer dropped after {dropped:?}");
        assert!(
            dropped >= Duration::from_millis(HEARTBEAT_TIMEOUT as u64 / 2),
            "dropped after {dropped:?}: before any heartbeat could have failed"
        );
    });
}

#[test]
fn stopped_pyzmq_peer_is_dropped_by_heartbeats_tcp() {
    stopped_peer_is_dropped(Transport::Tcp);
}

#[test]
fn stopped_pyzmq_peer_is_dropped_by_heartbeats_ipc() {
    stopped_peer_is_dropped(Transport::Ipc);
}

/// A zactor DEALER connected to a pyzmq REP that is killed (SIGKILL) and
/// started again on the same endpoint: zactor reconnects and requests are
/// answered again. Requests are retried until one is answered, since one
/// sent while the old connection is dying is lost, as with libzmq.
fn reconnects_after_pyzmq_restarts(transport: Transport) {
    bounded(move || {
        let ctx = zmq::Context::new();
        let dealer = socket(&ctx, zmq::DEALER);
        dealer.set_reconnect_ivl(20).unwrap();
        let mut first = Peer::start(&["echo", "bind", &transport.bind_endpoint()]);
        let endpoint = first.line();
        dealer.connect(&endpoint).unwrap();
        dealer.send_multipart([&b""[..], b"before"], 0).unwrap();
        assert_eq!(
            dealer.recv_multipart(0).unwrap(),
            vec![Vec::new(), b"before".to_vec()]
        );
        assert_eq!(first.line(), "echoed before");
        first.kill();

        let mut second = Peer::start(&["echo", "bind", &endpoint]);
        assert_eq!(second.line(), endpoint, "the same endpoint again");
        let mut answered = None;
        for attempt in 0..100 {
            dealer
                .send_multipart([&b""[..], format!("after {attempt}").as_bytes()], 0)
                .unwrap();
            if dealer.poll(zmq::POLLIN, 100).unwrap() > 0 {
                answered = Some(dealer.recv_multipart(0).unwrap());
                break;
            }
        }
        let reply = answered.expect("no answer from the restarted peer within 10 s");
        assert_eq!(reply[0], b"");
        assert!(reply[1].starts_with(b"after "), "{reply:?}");
        assert!(second.line().starts_with("echoed after "));
        second.kill();
        remove_ipc_file(&endpoint);
    });
}

#[test]
fn reconnects_after_pyzmq_restarts_tcp() {
    reconnects_after_pyzmq_restarts(Transport::Tcp);
}

#[test]
fn reconnects_after_pyzmq_restarts_ipc() {
    reconnects_after_pyzmq_restarts(Transport::Ipc);
}

/// A loopback endpoint on a free port (the examples bind inside `run`).
fn free_endpoint() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    format!("tcp://127.0.0.1:{}", listener.local_addr().unwrap().port())
}

/// The guide's rrbroker with two zactor rrworkers, serving three pyzmq
/// REQ clients (ten Hellos each).
#[test]
fn rrbroker_serves_pyzmq_clients() {
    bounded(|| {
        let mut ctx = zmq::Context::new();
        let (frontend, backend) = (free_endpoint(), free_endpoint());
        let broker = {
            let (ctx, frontend, backend) = (ctx.clone(), frontend.clone(), backend.clone());
            thread::spawn(move || rrbroker::run(&ctx, &frontend, &backend))
        };
        let workers: Vec<_> = (0..2)
            .map(|_| {
                let (ctx, backend) = (ctx.clone(), backend.clone());
                thread::spawn(move || {
                    let mut out = Vec::new();
                    let ended = rrworker::run(&ctx, &backend, Duration::from_millis(1), &mut out);
                    (ended, String::from_utf8(out).unwrap())
                })
            })
            .collect();
        let clients: Vec<_> = (0..3)
            .map(|_| Peer::start(&["rrclient", "connect", &frontend]))
            .collect();
        for client in clients {
            client.finish();
        }
        ctx.destroy().unwrap();
        assert_eq!(broker.join().unwrap(), Err(zmq::Error::ETERM));
        let mut served = 0;
        for worker in workers {
            let (ended, out) = worker.join().unwrap();
            assert!(ended.is_err(), "a worker ends only with the context");
            served += out.lines().count();
        }
        assert_eq!(served, 30, "every request served once");
    });
}

/// The guide's mtserver serving three pyzmq REQ clients.
#[test]
fn mtserver_serves_pyzmq_clients() {
    bounded(|| {
        let mut ctx = zmq::Context::new();
        let clients = free_endpoint();
        let server = {
            let (ctx, clients) = (ctx.clone(), clients.clone());
            thread::spawn(move || {
                mtserver::run(
                    &ctx,
                    &clients,
                    "inproc://pyzmq-mtserver-workers",
                    Duration::from_millis(1),
                    io::sink(),
                )
            })
        };
        let peers: Vec<_> = (0..3)
            .map(|_| Peer::start(&["rrclient", "connect", &clients]))
            .collect();
        for peer in peers {
            peer.finish();
        }
        ctx.destroy().unwrap();
        assert!(
            server.join().unwrap().is_err(),
            "ends only with the context"
        );
    });
}

/// The guide's syncpub with four pyzmq syncsubs; 100,000 updates each
/// (not the guide's million, to keep python's share of the run short),
/// every one received.
#[test]
fn syncpub_reaches_every_pyzmq_syncsub() {
    const SUBSCRIBERS: usize = 4;
    const UPDATES: u64 = 100_000;
    bounded(|| {
        let ctx = zmq::Context::new();
        let (publisher, sync) = (free_endpoint(), free_endpoint());
        let mut peers: Vec<_> = (0..SUBSCRIBERS)
            .map(|_| Peer::start(&["syncsub", "connect", &publisher, &sync]))
            .collect();
        syncpub::run(
            &ctx,
            &publisher,
            &sync,
            SUBSCRIBERS,
            UPDATES,
            &mut io::sink(),
        )
        .unwrap();
        for peer in &mut peers {
            assert_eq!(peer.line(), format!("Received {UPDATES} updates"));
        }
        for peer in peers {
            peer.finish();
        }
    });
}
