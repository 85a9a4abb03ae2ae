//! REQ and REP (RFC 28, "Request-Reply") through the public API, alone and
//! against DEALER and ROUTER.
//!
//! - REQ "SHALL prefix the outgoing message with an empty delimiter frame",
//!   "SHALL route outgoing messages to connected peers using a round-robin
//!   strategy", "SHALL accept an incoming message only from the last peer
//!   that it sent a request to" and "SHALL discard silently any messages
//!   received from other peers"; send and receive strictly alternate
//!   (`EFSM`) unless REQ_RELAXED; REQ_CORRELATE adds a request id.
//! - REP "SHALL receive incoming messages from its peers using a
//!   fair-queuing strategy", "SHALL remove and store the address envelope,
//!   including the delimiter", "SHALL prepend the address envelope and
//!   delimiter to the outgoing reply" and send it to the peer the request
//!   came from; "SHALL silently discard" a request without a delimiter.
//!
//! A connect to a bound socket mails the new pipe to the binder, which
//! attaches it at its next send or receive; connecting before the first call
//! is the handshake, so no test sleeps.

mod common;

use std::thread;

use common::{assert_nothing_waiting, bound, bounded, connected, endpoint, recv, recv_str, socket};
use zactor as zmq;

fn multipart(socket: &zmq::Socket) -> Vec<Vec<u8>> {
    socket
        .recv_multipart(0)
        .expect("a message within the timeout")
}

/// A REQ whose options are set before it connects.
fn req_with(ctx: &zmq::Context, addr: &str, setup: impl FnOnce(&zmq::Socket)) -> zmq::Socket {
    let req = socket(ctx, zmq::REQ);
    setup(&req);
    req.connect(addr).expect("connect");
    req
}

#[test]
fn req_and_rep_take_turns() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let addr = endpoint("reqrep-take-turns");
        let rep = bound(&ctx, zmq::REP, &addr);
        let req = connected(&ctx, zmq::REQ, &addr);
        for i in 0..100 {
            req.send(format!("ping {i}").as_str(), 0).unwrap();
            assert_eq!(recv_str(&rep), format!("ping {i}"));
            assert!(!rep.get_rcvmore().unwrap(), "the envelope is not shown");
            rep.send(format!("pong {i}").as_str(), 0).unwrap();
            assert_eq!(recv_str(&req), format!("pong {i}"));
        }
    });
}

#[test]
fn req_may_connect_before_rep_binds() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let addr = endpoint("reqrep-connect-first");
        let req = connected(&ctx, zmq::REQ, &addr);
        req.send("early", 0).unwrap();
        let rep = bound(&ctx, zmq::REP, &addr);
        assert_eq!(recv_str(&rep), "early");
        rep.send("late", 0).unwrap();
        assert_eq!(recv_str(&req), "late");
    });
}

#[test]
fn multipart_requests_and_replies_keep_their_frames() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let addr = endpoint("reqrep-multipart");
        let rep = bound(&ctx, zmq::REP, &addr);
        let req = connected(&ctx, zmq::REQ, &addr);
        req.send_multipart(["a", "", "c"], 0).unwrap();
        assert_eq!(multipart(&rep), [b"a".to_vec(), vec![], b"c".to_vec()]);
        rep.send_multipart(["x", "y"], 0).unwrap();
        assert_eq!(multipart(&req), [b"x".to_vec(), b"y".to_vec()]);
        req.send("", 0).unwrap();
        assert_eq!(
            multipart(&rep),
            [Vec::<u8>::new()],
            "an empty body is a body"
        );
        rep.send("", 0).unwrap();
        assert_eq!(multipart(&req), [Vec::<u8>::new()]);
    });
}

#[test]
fn req_out_of_turn_is_efsm() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let addr = endpoint("reqrep-req-efsm");
        let rep = bound(&ctx, zmq::REP, &addr);
        let req = connected(&ctx, zmq::REQ, &addr);
        assert_eq!(req.recv_bytes(0), Err(zmq::Error::EFSM), "no request sent");
        req.send("one", 0).unwrap();
        assert_eq!(req.send("two", 0), Err(zmq::Error::EFSM), "reply pending");
        assert_eq!(recv_str(&rep), "one", "the refused request never left");
        rep.send("reply", 0).unwrap();
        assert_eq!(recv_str(&req), "reply");
        assert_eq!(
            req.recv_bytes(zmq::DONTWAIT),
            Err(zmq::Error::EFSM),
            "one reply per request"
        );
        req.send("three", 0).unwrap();
        assert_eq!(recv_str(&rep), "three");
    });
}

#[test]
fn rep_out_of_turn_is_efsm() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let addr = endpoint("reqrep-rep-efsm");
        let rep = bound(&ctx, zmq::REP, &addr);
        let req = connected(&ctx, zmq::REQ, &addr);
        assert_eq!(
            rep.send("unasked", 0),
            Err(zmq::Error::EFSM),
            "no request received"
        );
        req.send("q", 0).unwrap();
        assert_eq!(recv_str(&rep), "q");
        assert_eq!(
            rep.recv_bytes(zmq::DONTWAIT),
            Err(zmq::Error::EFSM),
            "reply owed"
        );
        rep.send("a", 0).unwrap();
        assert_eq!(
            rep.send("again", 0),
            Err(zmq::Error::EFSM),
            "one reply per request"
        );
        assert_eq!(recv_str(&req), "a");
    });
}

#[test]
fn req_round_robins_over_two_reps() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let reps = [
            bound(&ctx, zmq::REP, &endpoint("reqrep-rr-0")),
            bound(&ctx, zmq::REP, &endpoint("reqrep-rr-1")),
        ];
        let req = socket(&ctx, zmq::REQ);
        req.connect(&endpoint("reqrep-rr-0")).unwrap();
        req.connect(&endpoint("reqrep-rr-1")).unwrap();
        let mut served_by = Vec::new();
        for i in 0..20 {
            req.send(format!("{i}").as_str(), 0).unwrap();
            // The request is in a pipe once send returns: exactly one REP has it.
            let ready: Vec<usize> = (0..2)
                .filter(|&r| reps[r].get_events().unwrap().contains(zmq::POLLIN))
                .collect();
            assert_eq!(ready.len(), 1, "request {i} went to one REP");
            let rep = &reps[ready[0]];
            assert_eq!(recv_str(rep), format!("{i}"));
            rep.send(format!("from {}", ready[0]).as_str(), 0).unwrap();
            assert_eq!(recv_str(&req), format!("from {}", ready[0]));
            served_by.push(ready[0]);
        }
        for pair in served_by.windows(2) {
            assert_ne!(pair[0], pair[1], "the REPs take turns: {served_by:?}");
        }
    });
}

#[test]
fn rep_fair_queues_clients_and_answers_each_its_own() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let addr = endpoint("reqrep-many-clients");
        let rep = bound(&ctx, zmq::REP, &addr);
        let clients: Vec<_> = (0..3).map(|_| connected(&ctx, zmq::REQ, &addr)).collect();
        for (i, client) in clients.iter().enumerate() {
            client.send(format!("client {i}").as_str(), 0).unwrap();
        }
        let mut seen = Vec::new();
        for _ in 0..3 {
            let request = recv_str(&rep);
            rep.send(format!("re: {request}").as_str(), 0).unwrap();
            seen.push(request);
        }
        seen.sort();
        assert_eq!(seen, ["client 0", "client 1", "client 2"]);
        for (i, client) in clients.iter().enumerate() {
            assert_eq!(recv_str(client), format!("re: client {i}"));
        }
    });
}

#[test]
fn req_to_router_shows_the_envelope() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let addr = endpoint("reqrep-req-router");
        let router = bound(&ctx, zmq::ROUTER, &addr);
        let req = connected(&ctx, zmq::REQ, &addr);
        req.send("hello", 0).unwrap();
        let request = multipart(&router);
        assert_eq!(
            request.len(),
            3,
            "[routing id, delimiter, body]: {request:?}"
        );
        assert_eq!((request[0].len(), request[0][0]), (5, 0), "a generated id");
        assert_eq!(&request[1..], [vec![], b"hello".to_vec()]);
        router
            .send_multipart([request[0].clone(), vec![], b"world".to_vec()], 0)
            .unwrap();
        assert_eq!(recv_str(&req), "world");
    });
}

#[test]
fn req_accepts_a_reply_only_from_the_peer_it_asked() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let asked = bound(&ctx, zmq::ROUTER, &endpoint("reqrep-only-asked-0"));
        let other = bound(&ctx, zmq::ROUTER, &endpoint("reqrep-only-asked-1"));
        let req = req_with(&ctx, &endpoint("reqrep-only-asked-0"), |s| {
            s.set_identity(b"client").unwrap()
        });
        req.connect(&endpoint("reqrep-only-asked-1")).unwrap();
        other.set_router_mandatory(true).unwrap();
        req.send("question", 0).unwrap();
        assert_eq!(
            multipart(&asked),
            [b"client".to_vec(), vec![], b"question".to_vec()]
        );
        // The other ROUTER knows the REQ by name, and answers unasked.
        other.send_multipart(["client", "", "impostor"], 0).unwrap();
        // The asked one sends a malformed reply first, then a good one.
        asked.send_multipart(["client", "no delimiter"], 0).unwrap();
        asked.send_multipart(["client", "", "answer"], 0).unwrap();
        assert_eq!(recv_str(&req), "answer");
        assert!(!req.get_rcvmore().unwrap());
    });
}

#[test]
fn dealer_talks_to_rep_with_an_explicit_delimiter() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let addr = endpoint("reqrep-dealer-rep");
        let rep = bound(&ctx, zmq::REP, &addr);
        let dealer = connected(&ctx, zmq::DEALER, &addr);
        // Asynchronous: several requests out before any reply.
        for i in 0..5 {
            dealer
                .send_multipart(["".to_string(), format!("request {i}")], 0)
                .unwrap();
        }
        // Without a delimiter REP drops the request.
        dealer.send("malformed", 0).unwrap();
        dealer.send_multipart(["", "last"], 0).unwrap();
        for i in 0..5 {
            assert_eq!(recv_str(&rep), format!("request {i}"));
            rep.send(format!("reply {i}").as_str(), 0).unwrap();
        }
        assert_eq!(recv_str(&rep), "last");
        rep.send("reply last", 0).unwrap();
        for i in 0..5 {
            assert_eq!(
                multipart(&dealer),
                [vec![], format!("reply {i}").into_bytes()]
            );
        }
        assert_eq!(multipart(&dealer), [vec![], b"reply last".to_vec()]);
        assert_nothing_waiting(&dealer);
    });
}

#[test]
fn rep_keeps_a_routed_envelope_whole() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let addr = endpoint("reqrep-deep-envelope");
        let rep = bound(&ctx, zmq::REP, &addr);
        let dealer = connected(&ctx, zmq::DEALER, &addr);
        // As after two ROUTER hops: two ids, then the delimiter.
        dealer
            .send_multipart(["hop-2", "hop-1", "", "body"], 0)
            .unwrap();
        assert_eq!(multipart(&rep), [b"body".to_vec()]);
        rep.send_multipart(["re", "ply"], 0).unwrap();
        assert_eq!(
            multipart(&dealer),
            [
                b"hop-2".to_vec(),
                b"hop-1".to_vec(),
                vec![],
                b"re".to_vec(),
                b"ply".to_vec()
            ]
        );
    });
}

#[test]
fn req_correlate_puts_a_request_id_before_the_delimiter() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let addr = endpoint("reqrep-correlate-layout");
        let router = bound(&ctx, zmq::ROUTER, &addr);
        let req = req_with(&ctx, &addr, |s| s.set_req_correlate(true).unwrap());
        let mut ids = Vec::new();
        for i in 0..3 {
            req.send(format!("q{i}").as_str(), 0).unwrap();
            let request = multipart(&router);
            assert_eq!(
                request.len(),
                4,
                "[routing id, request id, delimiter, body]"
            );
            assert_eq!(request[2], b"");
            assert_eq!(request[3], format!("q{i}").into_bytes());
            let request_id = request[1].clone();
            assert_eq!(request_id.len(), 4);
            // A reply with a wrong request id is dropped; the right one goes through.
            router
                .send_multipart(
                    [
                        request[0].clone(),
                        b"nope".to_vec(),
                        vec![],
                        b"stale".to_vec(),
                    ],
                    0,
                )
                .unwrap();
            router
                .send_multipart(
                    [
                        request[0].clone(),
                        request_id.clone(),
                        vec![],
                        b"ok".to_vec(),
                    ],
                    0,
                )
                .unwrap();
            assert_eq!(recv_str(&req), "ok");
            ids.push(u32::from_be_bytes(request_id.try_into().unwrap()));
        }
        assert_eq!(ids[1], ids[0].wrapping_add(1), "ids count up: {ids:?}");
        assert_eq!(ids[2], ids[1].wrapping_add(1), "ids count up: {ids:?}");
    });
}

#[test]
fn req_relaxed_resends_and_drops_the_stale_reply() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let addr = endpoint("reqrep-relaxed-correlated");
        let rep = bound(&ctx, zmq::REP, &addr);
        let req = req_with(&ctx, &addr, |s| {
            s.set_req_relaxed(true).unwrap();
            s.set_req_correlate(true).unwrap();
        });
        req.send("first", 0).unwrap();
        // Relaxed: no EFSM; the first request is abandoned.
        req.send("second", 0).unwrap();
        assert_eq!(recv_str(&rep), "first");
        rep.send("answer to first", 0).unwrap();
        assert_eq!(recv_str(&rep), "second");
        rep.send("answer to second", 0).unwrap();
        assert_eq!(
            recv_str(&req),
            "answer to second",
            "the stale reply is dropped"
        );
        assert_eq!(req.recv_bytes(zmq::DONTWAIT), Err(zmq::Error::EFSM));
        // And the socket carries on as usual.
        req.send("third", 0).unwrap();
        assert_eq!(recv_str(&rep), "third");
        rep.send("answer to third", 0).unwrap();
        assert_eq!(recv_str(&req), "answer to third");
    });
}

#[test]
fn req_relaxed_can_resend_after_its_peer_went_away() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let lost = endpoint("reqrep-relaxed-lost");
        let alive = endpoint("reqrep-relaxed-alive");
        let rep_lost = bound(&ctx, zmq::REP, &lost);
        let rep_alive = bound(&ctx, zmq::REP, &alive);
        let req = req_with(&ctx, &lost, |s| s.set_req_relaxed(true).unwrap());
        req.connect(&alive).unwrap();
        req.send("to the first peer", 0).unwrap();
        assert_eq!(recv_str(&rep_lost), "to the first peer");
        drop(rep_lost); // it never answers
        req.set_rcvtimeo(0).unwrap();
        assert_eq!(req.recv_bytes(0), Err(zmq::Error::EAGAIN));
        req.set_rcvtimeo(common::TIMEOUT_MS).unwrap();
        req.send("retry", 0).unwrap();
        assert_eq!(recv_str(&rep_alive), "retry");
        rep_alive.send("done", 0).unwrap();
        assert_eq!(recv_str(&req), "done");
    });
}

#[test]
fn rep_serves_requests_from_another_thread() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let addr = endpoint("reqrep-threads");
        let rep = bound(&ctx, zmq::REP, &addr);
        let server = thread::spawn(move || {
            for _ in 0..1000 {
                let mut body = recv(&rep);
                body.reverse();
                rep.send(body, 0).unwrap();
            }
        });
        let req = connected(&ctx, zmq::REQ, &addr);
        for i in 0..1000u32 {
            req.send(&i.to_le_bytes()[..], 0).unwrap();
            let mut expected = i.to_le_bytes();
            expected.reverse();
            assert_eq!(recv(&req), expected);
        }
        server.join().unwrap();
    });
}
