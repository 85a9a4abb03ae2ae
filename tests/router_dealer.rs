//! ROUTER and DEALER (RFC 28), and the broker they make between REQ and REP
//! (the guide's "extended request-reply"), through the public API.
//!
//! - ROUTER "SHALL prepend a message frame containing the routing id of the
//!   originating peer" to each message it receives, "SHALL use the first
//!   frame as routing id" of each message sent, and "SHALL silently drop"
//!   a message it cannot route (or fail with `EHOSTUNREACH` under
//!   ROUTER_MANDATORY; `EAGAIN` when the peer is full). Peers that set no
//!   identity get a generated one: 5 bytes, the first zero (libzmq's form).
//!   A duplicate identity is refused, or under ROUTER_HANDOVER takes over.
//! - DEALER "SHALL route outgoing messages to available peers using a
//!   round-robin strategy" and "SHALL receive incoming messages from its
//!   peers using a fair-queuing strategy", leaving envelopes alone.
//! - PROBE_ROUTER: a DEALER or ROUTER greets each new peer with an empty
//!   message.
//!
//! Handshakes: a connect to a bound socket mails the pipe to the binder,
//! which attaches it at its next send or receive. The broker threads block
//! in `zmq::poll` and stop after a known number of replies; no sleeps.

mod common;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;

use common::{
    assert_nothing_waiting, bound, bounded, connected, endpoint, recv_str, socket, tagged, untag,
};
use zactor as zmq;

fn multipart(socket: &zmq::Socket) -> Vec<Vec<u8>> {
    socket
        .recv_multipart(0)
        .expect("a message within the timeout")
}

/// A socket with an identity, connected to `addr`.
fn named(ctx: &zmq::Context, kind: zmq::SocketType, name: &str, addr: &str) -> zmq::Socket {
    let socket = socket(ctx, kind);
    socket.set_identity(name.as_bytes()).unwrap();
    socket.connect(addr).unwrap();
    socket
}

/// The broker of the guide: ROUTER `frontend` for clients, DEALER
/// `backend` for workers, frames passed through as they are. Returns once
/// `replies` replies went back to clients.
fn broker(frontend: zmq::Socket, backend: zmq::Socket, replies: usize) {
    let mut returned = 0;
    while returned < replies {
        let mut items = [
            frontend.as_poll_item(zmq::POLLIN),
            backend.as_poll_item(zmq::POLLIN),
        ];
        let ready = zmq::poll(&mut items, i64::from(common::TIMEOUT_MS)).unwrap();
        assert!(ready > 0, "broker: nothing to forward within the timeout");
        let (requests, answers) = (items[0].is_readable(), items[1].is_readable());
        if requests {
            backend.send_multipart(multipart(&frontend), 0).unwrap();
        }
        if answers {
            frontend.send_multipart(multipart(&backend), 0).unwrap();
            returned += 1;
        }
    }
}

#[test]
fn router_prefixes_the_senders_identity_and_routes_by_it() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let addr = endpoint("router-identity");
        let router = bound(&ctx, zmq::ROUTER, &addr);
        let alice = named(&ctx, zmq::DEALER, "alice", &addr);
        let bob = named(&ctx, zmq::DEALER, "bob", &addr);
        // The identities are known as soon as the ROUTER handles the connects.
        router.set_router_mandatory(true).unwrap();
        router.send_multipart(["bob", "for", "bob"], 0).unwrap();
        router.send_multipart(["alice", "for alice"], 0).unwrap();
        assert_eq!(multipart(&alice), [b"for alice".to_vec()]);
        assert_eq!(multipart(&bob), [b"for".to_vec(), b"bob".to_vec()]);
        alice.send_multipart(["from", "alice"], 0).unwrap();
        assert_eq!(
            multipart(&router),
            [b"alice".to_vec(), b"from".to_vec(), b"alice".to_vec()]
        );
        assert!(!router.get_rcvmore().unwrap());
    });
}

#[test]
fn router_identity_of_a_connection_made_before_bind() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let addr = endpoint("router-identity-connect-first");
        let dealer = named(&ctx, zmq::DEALER, "early", &addr);
        dealer.send("queued before bind", 0).unwrap();
        let router = bound(&ctx, zmq::ROUTER, &addr);
        assert_eq!(
            multipart(&router),
            [b"early".to_vec(), b"queued before bind".to_vec()]
        );
        router.send_multipart(["early", "welcome"], 0).unwrap();
        assert_eq!(recv_str(&dealer), "welcome");
    });
}

#[test]
fn router_connecting_to_bound_peers_learns_their_identities() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let anonymous = bound(&ctx, zmq::DEALER, &endpoint("router-connects-bound"));
        let router = socket(&ctx, zmq::ROUTER);
        router.set_router_mandatory(true).unwrap();
        router.connect(&endpoint("router-connects-bound")).unwrap();
        // No identity: the peer is known by a generated id, learnt from its
        // first message.
        anonymous.send("who am I?", 0).unwrap();
        let message = multipart(&router);
        assert_eq!((message[0].len(), message[0][0]), (5, 0));
        router
            .send_multipart([message[0].clone(), b"you are you".to_vec()], 0)
            .unwrap();
        assert_eq!(recv_str(&anonymous), "you are you");

        let named_server = socket(&ctx, zmq::DEALER);
        named_server.set_identity(b"named").unwrap();
        named_server
            .bind(&endpoint("router-connects-bound-named"))
            .unwrap();
        router
            .connect(&endpoint("router-connects-bound-named"))
            .unwrap();
        router.send_multipart(["named", "hello"], 0).unwrap();
        assert_eq!(recv_str(&named_server), "hello");
    });
}

#[test]
fn generated_ids_are_five_bytes_starting_with_zero() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let addr = endpoint("router-generated-ids");
        let router = bound(&ctx, zmq::ROUTER, &addr);
        let dealers: Vec<_> = (0..3)
            .map(|_| connected(&ctx, zmq::DEALER, &addr))
            .collect();
        for (i, dealer) in dealers.iter().enumerate() {
            dealer.send(format!("dealer {i}").as_str(), 0).unwrap();
        }
        let mut ids = HashMap::new();
        for _ in 0..3 {
            let message = multipart(&router);
            assert_eq!(message.len(), 2);
            assert_eq!(message[0].len(), 5, "id {:?}", message[0]);
            assert_eq!(message[0][0], 0, "id {:?}", message[0]);
            ids.insert(
                message[0].clone(),
                String::from_utf8(message[1].clone()).unwrap(),
            );
        }
        assert_eq!(ids.len(), 3, "each peer has its own id");
        for (id, name) in &ids {
            router
                .send_multipart([id.clone(), format!("hi {name}").into_bytes()], 0)
                .unwrap();
        }
        for (i, dealer) in dealers.iter().enumerate() {
            assert_eq!(recv_str(dealer), format!("hi dealer {i}"));
        }
    });
}

#[test]
fn router_mandatory_refuses_an_unknown_id() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let addr = endpoint("router-mandatory-unknown");
        let router = bound(&ctx, zmq::ROUTER, &addr);
        router.set_router_mandatory(true).unwrap();
        let known = named(&ctx, zmq::DEALER, "known", &addr);
        assert_eq!(
            router.send("nobody", zmq::SNDMORE),
            Err(zmq::Error::EHOSTUNREACH)
        );
        assert_eq!(
            router.send_multipart(["nobody", "x"], zmq::DONTWAIT),
            Err(zmq::Error::EHOSTUNREACH)
        );
        router.send_multipart(["known", "delivered"], 0).unwrap();
        assert_eq!(recv_str(&known), "delivered");
        drop(known);
        // Once the ROUTER has seen the peer go, its id is unknown again.
        assert_eq!(
            router.send("known", zmq::SNDMORE),
            Err(zmq::Error::EHOSTUNREACH)
        );
    });
}

#[test]
fn router_drops_unroutable_messages_silently() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let addr = endpoint("router-drop-unknown");
        let router = bound(&ctx, zmq::ROUTER, &addr);
        let known = named(&ctx, zmq::DEALER, "known", &addr);
        router
            .send_multipart(["nobody", "lost", "whole"], 0)
            .unwrap();
        router.send("known", 0).unwrap(); // an id alone is ignored
        router.send_multipart(["known", "delivered"], 0).unwrap();
        assert_eq!(multipart(&known), [b"delivered".to_vec()]);
        assert_nothing_waiting(&known);
    });
}

#[test]
fn router_mandatory_says_eagain_when_the_peer_is_full() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let addr = endpoint("router-mandatory-full");
        let router = socket(&ctx, zmq::ROUTER);
        router.set_router_mandatory(true).unwrap();
        router.set_sndhwm(1).unwrap();
        router.bind(&addr).unwrap();
        let slow = socket(&ctx, zmq::DEALER);
        slow.set_identity(b"slow").unwrap();
        slow.set_rcvhwm(1).unwrap();
        slow.connect(&addr).unwrap();
        let mut sent = 0;
        loop {
            match router.send("slow", zmq::SNDMORE | zmq::DONTWAIT) {
                Ok(()) => {
                    router.send(format!("{sent}").as_str(), 0).unwrap();
                    sent += 1;
                }
                Err(zmq::Error::EAGAIN) => break,
                Err(other) => panic!("{other:?}"),
            }
            assert!(sent <= 10, "the HWM never stopped the sender");
        }
        assert_eq!(
            sent, 2,
            "inproc capacity is the sender's SNDHWM plus the receiver's RCVHWM"
        );
        assert!(
            !router.get_events().unwrap().contains(zmq::POLLOUT),
            "no peer has room"
        );
        router.set_sndtimeo(20).unwrap();
        assert_eq!(
            router.send("slow", zmq::SNDMORE),
            Err(zmq::Error::EAGAIN),
            "a blocking send times out"
        );
        assert_eq!(recv_str(&slow), "0");
        // Reading made room: the ROUTER is told, and can send again.
        router.set_sndtimeo(common::TIMEOUT_MS).unwrap();
        router.send_multipart(["slow", "2"], 0).unwrap();
        assert_eq!(recv_str(&slow), "1");
        assert_eq!(recv_str(&slow), "2");
    });
}

#[test]
fn router_without_mandatory_drops_what_a_full_peer_cannot_take() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let addr = endpoint("router-full-drops");
        let router = socket(&ctx, zmq::ROUTER);
        router.set_sndhwm(1).unwrap();
        router.bind(&addr).unwrap();
        let slow = socket(&ctx, zmq::DEALER);
        slow.set_identity(b"slow").unwrap();
        slow.set_rcvhwm(1).unwrap();
        slow.connect(&addr).unwrap();
        for i in 0..10 {
            router
                .send_multipart(["slow".to_string(), format!("{i}")], zmq::DONTWAIT)
                .unwrap();
        }
        assert_eq!(recv_str(&slow), "0");
        assert_eq!(recv_str(&slow), "1");
        assert_nothing_waiting(&slow);
    });
}

#[test]
fn a_duplicate_identity_is_refused_without_handover() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let addr = endpoint("router-duplicate-refused");
        let router = bound(&ctx, zmq::ROUTER, &addr);
        let first = named(&ctx, zmq::DEALER, "alice", &addr);
        let second = named(&ctx, zmq::DEALER, "alice", &addr);
        second.send("from the impostor", 0).unwrap();
        first.send("from the first", 0).unwrap();
        assert_eq!(
            multipart(&router),
            [b"alice".to_vec(), b"from the first".to_vec()]
        );
        assert_nothing_waiting(&router);
        router.send_multipart(["alice", "reply"], 0).unwrap();
        assert_eq!(recv_str(&first), "reply");
        assert_nothing_waiting(&second);
        // The refused peer's pipe was closed: it has nowhere to send.
        assert_eq!(second.send("again", zmq::DONTWAIT), Err(zmq::Error::EAGAIN));
    });
}

#[test]
fn router_handover_gives_the_identity_to_the_newcomer() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let addr = endpoint("router-handover");
        let router = bound(&ctx, zmq::ROUTER, &addr);
        router.set_router_handover(true).unwrap();
        router.set_router_mandatory(true).unwrap();
        let old = named(&ctx, zmq::DEALER, "alice", &addr);
        router.send_multipart(["alice", "to the old"], 0).unwrap();
        assert_eq!(recv_str(&old), "to the old");
        let new = named(&ctx, zmq::DEALER, "alice", &addr);
        router.send_multipart(["alice", "to the new"], 0).unwrap();
        assert_eq!(recv_str(&new), "to the new");
        assert_nothing_waiting(&old);
        // The old connection was closed.
        assert_eq!(
            old.send("still there?", zmq::DONTWAIT),
            Err(zmq::Error::EAGAIN)
        );
        new.send("it is me", 0).unwrap();
        assert_eq!(
            multipart(&router),
            [b"alice".to_vec(), b"it is me".to_vec()]
        );
    });
}

#[test]
fn dealer_probe_router_greets_the_router() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let addr = endpoint("router-probe-dealer");
        let router = bound(&ctx, zmq::ROUTER, &addr);
        let dealer = socket(&ctx, zmq::DEALER);
        dealer.set_identity(b"prober").unwrap();
        dealer.set_probe_router(true).unwrap();
        dealer.connect(&addr).unwrap();
        assert_eq!(multipart(&router), [b"prober".to_vec(), vec![]]);
        // Connected before bind, the greeting waits in the pipe.
        let late_addr = endpoint("router-probe-dealer-late");
        let early = socket(&ctx, zmq::DEALER);
        early.set_probe_router(true).unwrap();
        early.connect(&late_addr).unwrap();
        let late_router = bound(&ctx, zmq::ROUTER, &late_addr);
        let probe = multipart(&late_router);
        assert_eq!((probe.len(), probe[1].len()), (2, 0));
        late_router
            .send_multipart([probe[0].clone(), b"now I know you".to_vec()], 0)
            .unwrap();
        assert_eq!(recv_str(&early), "now I know you");
    });
}

#[test]
fn router_probe_router_greets_a_bound_router() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let addr = endpoint("router-probe-router");
        let server = socket(&ctx, zmq::ROUTER);
        server.set_identity(b"server").unwrap();
        server.bind(&addr).unwrap();
        let client = socket(&ctx, zmq::ROUTER);
        client.set_identity(b"client").unwrap();
        client.set_probe_router(true).unwrap();
        client.connect(&addr).unwrap();
        assert_eq!(multipart(&server), [b"client".to_vec(), vec![]]);
        server
            .send_multipart(["client", "hello client"], 0)
            .unwrap();
        assert_eq!(
            multipart(&client),
            [b"server".to_vec(), b"hello client".to_vec()]
        );
    });
}

#[test]
fn dealer_fair_queues_two_peers() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let addr = endpoint("router-dealer-fair-queue");
        let dealer = bound(&ctx, zmq::DEALER, &addr);
        let peers = [
            connected(&ctx, zmq::DEALER, &addr),
            connected(&ctx, zmq::DEALER, &addr),
        ];
        for (p, peer) in peers.iter().enumerate() {
            for seq in 0..100 {
                peer.send_multipart([&tagged(p as u64, seq)[..], b"tail"], 0)
                    .unwrap();
            }
        }
        let mut next = [0u64; 2];
        let mut last_peer = None;
        for _ in 0..200 {
            let message = multipart(&dealer);
            assert_eq!(message.len(), 2, "whole messages");
            assert_eq!(message[1], b"tail");
            let (p, seq) = untag(&message[0]);
            assert_eq!(seq, next[p as usize], "each peer's messages in order");
            next[p as usize] += 1;
            assert_ne!(last_peer, Some(p), "the peers take turns");
            last_peer = Some(p);
        }
        assert_eq!(next, [100, 100]);
    });
}

#[test]
fn dealer_round_robins_two_peers() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let peers = [
            bound(&ctx, zmq::DEALER, &endpoint("router-dealer-rr-0")),
            bound(&ctx, zmq::DEALER, &endpoint("router-dealer-rr-1")),
        ];
        let dealer = socket(&ctx, zmq::DEALER);
        dealer.connect(&endpoint("router-dealer-rr-0")).unwrap();
        dealer.connect(&endpoint("router-dealer-rr-1")).unwrap();
        for seq in 0..100u64 {
            dealer
                .send_multipart([&seq.to_le_bytes()[..], b"tail"], 0)
                .unwrap();
        }
        for (p, peer) in peers.iter().enumerate() {
            for k in 0..50u64 {
                let message = multipart(peer);
                assert_eq!(
                    message[0],
                    (2 * k + p as u64).to_le_bytes(),
                    "every other message"
                );
                assert_eq!(message[1], b"tail");
            }
            assert_nothing_waiting(peer);
        }
    });
}

#[test]
fn router_to_dealer_asynchronous_exchange() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let addr = endpoint("router-dealer-async");
        let router = bound(&ctx, zmq::ROUTER, &addr);
        let dealer = named(&ctx, zmq::DEALER, "worker", &addr);
        let worker = thread::spawn(move || {
            for i in 0..500u32 {
                dealer.send(&i.to_le_bytes()[..], 0).unwrap();
            }
            for i in 0..500u32 {
                assert_eq!(common::recv(&dealer), (i * 2).to_le_bytes());
            }
        });
        for _ in 0..500 {
            let message = multipart(&router);
            assert_eq!(message[0], b"worker");
            let n = u32::from_le_bytes(message[1].clone().try_into().unwrap());
            router
                .send_multipart([b"worker".to_vec(), (n * 2).to_le_bytes().to_vec()], 0)
                .unwrap();
        }
        worker.join().unwrap();
    });
}

#[test]
fn broker_chain_req_router_dealer_rep() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let front = endpoint("router-broker-chain-front");
        let back = endpoint("router-broker-chain-back");
        let frontend = bound(&ctx, zmq::ROUTER, &front);
        let backend = bound(&ctx, zmq::DEALER, &back);
        let worker = connected(&ctx, zmq::REP, &back);
        let client = connected(&ctx, zmq::REQ, &front);
        const ROUND_TRIPS: usize = 50;
        let broker_thread = thread::spawn(move || broker(frontend, backend, ROUND_TRIPS));
        let worker = thread::spawn(move || {
            for _ in 0..ROUND_TRIPS {
                let request = multipart(&worker);
                let mut reply = vec![b"re".to_vec()];
                reply.extend(request);
                worker.send_multipart(reply, 0).unwrap();
            }
        });
        for i in 0..ROUND_TRIPS {
            // Multipart bodies, empty frames included, pass the chain intact.
            let request = [format!("request {i}").into_bytes(), vec![], b"end".to_vec()];
            client.send_multipart(request.clone(), 0).unwrap();
            let reply = multipart(&client);
            assert_eq!(reply[0], b"re");
            assert_eq!(&reply[1..], &request[..]);
        }
        worker.join().unwrap();
        broker_thread.join().unwrap();
    });
}

#[test]
fn broker_chain_shows_the_envelope_to_a_dealer_worker() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let front = endpoint("router-broker-envelope-front");
        let back = endpoint("router-broker-envelope-back");
        let frontend = bound(&ctx, zmq::ROUTER, &front);
        let backend = bound(&ctx, zmq::DEALER, &back);
        let worker = connected(&ctx, zmq::DEALER, &back);
        let client = socket(&ctx, zmq::REQ);
        client.set_identity(b"client-1").unwrap();
        client.connect(&front).unwrap();
        let broker_thread = thread::spawn(move || broker(frontend, backend, 1));
        client.send("work", 0).unwrap();
        // The DEALER worker sees what a REP would strip: [client id, "", body].
        let request = multipart(&worker);
        assert_eq!(request, [b"client-1".to_vec(), vec![], b"work".to_vec()]);
        worker.send_multipart(["client-1", "", "done"], 0).unwrap();
        assert_eq!(recv_str(&client), "done");
        broker_thread.join().unwrap();
    });
}

#[test]
fn stress_ten_clients_through_a_broker_to_four_workers() {
    const CLIENTS: u64 = 10;
    const REQUESTS: u64 = 1000;
    const WORKERS: usize = 4;
    bounded(|| {
        let ctx = zmq::Context::new();
        let front = endpoint("router-stress-front");
        let back = endpoint("router-stress-back");
        let frontend = bound(&ctx, zmq::ROUTER, &front);
        let backend = bound(&ctx, zmq::DEALER, &back);
        let broker_thread =
            thread::spawn(move || broker(frontend, backend, (CLIENTS * REQUESTS) as usize));

        let done = Arc::new(AtomicBool::new(false));
        let workers: Vec<_> = (0..WORKERS)
            .map(|w| {
                let rep = connected(&ctx, zmq::REP, &back);
                // A short timeout is only the interval at which an idle
                // worker checks whether the test is over.
                rep.set_rcvtimeo(20).unwrap();
                let done = done.clone();
                thread::spawn(move || {
                    let mut served = 0u64;
                    loop {
                        match rep.recv_multipart(0) {
                            Ok(request) => {
                                assert_eq!(request.len(), 1, "the envelope is stripped");
                                rep.send_multipart([request[0].clone(), vec![w as u8]], 0)
                                    .unwrap();
                                served += 1;
                            }
                            Err(zmq::Error::EAGAIN) if done.load(Ordering::Acquire) => {
                                return served
                            }
                            Err(zmq::Error::EAGAIN) => {}
                            Err(other) => panic!("worker {w}: {other:?}"),
                        }
                    }
                })
            })
            .collect();

        let clients: Vec<_> = (0..CLIENTS)
            .map(|c| {
                let req = connected(&ctx, zmq::REQ, &front);
                thread::spawn(move || {
                    let mut per_worker = [0u64; WORKERS];
                    for seq in 0..REQUESTS {
                        req.send(&tagged(c, seq)[..], 0).unwrap();
                        let reply = multipart(&req);
                        assert_eq!(reply.len(), 2);
                        assert_eq!(untag(&reply[0]), (c, seq), "the reply to this request");
                        per_worker[reply[1][0] as usize] += 1;
                    }
                    per_worker
                })
            })
            .collect();

        let mut per_worker = [0u64; WORKERS];
        for client in clients {
            for (w, n) in client.join().unwrap().iter().enumerate() {
                per_worker[w] += n;
            }
        }
        broker_thread.join().unwrap();
        done.store(true, Ordering::Release);
        let served: Vec<u64> = workers.into_iter().map(|w| w.join().unwrap()).collect();
        assert_eq!(
            served.iter().sum::<u64>(),
            CLIENTS * REQUESTS,
            "every request served once"
        );
        assert_eq!(served, per_worker, "each reply names its worker");
        assert!(
            served.iter().all(|&n| n > 0),
            "every worker got work: {served:?}"
        );
    });
}
