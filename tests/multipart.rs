//! Multipart messages through the public API: "a peer SHALL receive either
//! all message frames of a message, or none of them" (ZMTP, RFC 23), also
//! with many senders racing into one receiver, with empty frames, and with
//! bodies far larger than a pipe chunk.

mod common;

use std::sync::{Arc, Barrier};
use std::thread;

use common::{assert_nothing_waiting, bound, bounded, connected, endpoint, recv, socket};
use zactor as zmq;

#[test]
fn parts_arrive_together_with_rcvmore() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let addr = endpoint("multipart-rcvmore");
        let pull = bound(&ctx, zmq::PULL, &addr);
        let push = connected(&ctx, zmq::PUSH, &addr);

        push.send("one", zmq::SNDMORE).unwrap();
        push.send("two", zmq::SNDMORE).unwrap();
        push.send("three", 0).unwrap();
        push.send("single", 0).unwrap();

        assert!(!pull.get_rcvmore().unwrap(), "nothing received yet");
        let one = pull.recv_msg(0).unwrap();
        assert_eq!(&one[..], b"one");
        assert!(one.get_more());
        assert!(pull.get_rcvmore().unwrap());
        let two = pull.recv_msg(0).unwrap();
        assert_eq!(&two[..], b"two");
        assert!(pull.get_rcvmore().unwrap());
        let three = pull.recv_msg(0).unwrap();
        assert_eq!(&three[..], b"three");
        assert!(!three.get_more());
        assert!(!pull.get_rcvmore().unwrap());
        let single = pull.recv_msg(0).unwrap();
        assert_eq!(&single[..], b"single");
        assert!(!pull.get_rcvmore().unwrap());
    });
}

#[test]
fn a_message_is_invisible_until_its_last_frame_is_sent() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let addr = endpoint("multipart-invisible-until-last");
        let pull = bound(&ctx, zmq::PULL, &addr);
        let push = connected(&ctx, zmq::PUSH, &addr);
        push.send("head", zmq::SNDMORE).unwrap();
        push.send("body", zmq::SNDMORE).unwrap();
        assert_nothing_waiting(&pull);
        push.send("tail", 0).unwrap();
        assert_eq!(
            pull.recv_multipart(0).unwrap(),
            [b"head".to_vec(), b"body".to_vec(), b"tail".to_vec()]
        );
    });
}

#[test]
fn a_message_cut_short_by_close_never_arrives() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let addr = endpoint("multipart-cut-short");
        let pull = bound(&ctx, zmq::PULL, &addr);
        let push = connected(&ctx, zmq::PUSH, &addr);
        push.send_multipart(["whole", "message"], 0).unwrap();
        push.send("orphan", zmq::SNDMORE).unwrap();
        push.send("frames", zmq::SNDMORE).unwrap();
        drop(push);
        assert_eq!(
            pull.recv_multipart(0).unwrap(),
            [b"whole".to_vec(), b"message".to_vec()]
        );
        assert_nothing_waiting(&pull);
        // And the PULL still works with a new sender.
        let push = connected(&ctx, zmq::PUSH, &addr);
        push.send("next", 0).unwrap();
        assert_eq!(recv(&pull), b"next");
        assert!(!pull.get_rcvmore().unwrap());
    });
}

#[test]
fn empty_frames_are_frames() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let addr = endpoint("multipart-empty-frames");
        let pull = bound(&ctx, zmq::PULL, &addr);
        let push = connected(&ctx, zmq::PUSH, &addr);
        let empty: &[u8] = b"";
        push.send(empty, 0).unwrap();
        push.send_multipart([empty, empty, empty], 0).unwrap();
        push.send_multipart([empty, b"middle", empty], 0).unwrap();
        push.send_multipart(Vec::<Vec<u8>>::new(), 0).unwrap(); // sends nothing

        assert_eq!(pull.recv_multipart(0).unwrap(), [Vec::<u8>::new()]);
        assert_eq!(pull.recv_multipart(0).unwrap(), vec![Vec::<u8>::new(); 3]);
        assert_eq!(
            pull.recv_multipart(0).unwrap(),
            [vec![], b"middle".to_vec(), vec![]]
        );
        assert_nothing_waiting(&pull);
    });
}

#[test]
fn a_16_mib_body_arrives_intact_between_small_frames() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let addr = endpoint("multipart-16-mib");
        let pull = bound(&ctx, zmq::PULL, &addr);
        let push = connected(&ctx, zmq::PUSH, &addr);
        const SIZE: usize = 16 << 20;
        let body: Vec<u8> = (0..SIZE).map(|i| (i * 31 % 251) as u8).collect();
        let expected = body.clone();
        push.send("header", zmq::SNDMORE).unwrap();
        push.send(body, zmq::SNDMORE).unwrap();
        push.send("trailer", 0).unwrap();

        assert_eq!(recv(&pull), b"header");
        let big = pull.recv_msg(0).unwrap();
        assert!(big.get_more());
        assert_eq!(big.len(), SIZE);
        assert!(big[..] == expected[..], "the body changed on the way");
        assert_eq!(recv(&pull), b"trailer");
        assert!(!pull.get_rcvmore().unwrap());
    });
}

#[test]
fn recv_multipart_returns_whole_messages_from_many_racing_senders() {
    const SENDERS: u64 = 8;
    const MESSAGES: u64 = if cfg!(debug_assertions) {
        1_000
    } else {
        10_000
    };
    bounded(|| {
        let ctx = zmq::Context::new();
        let addr = endpoint("multipart-racing-senders");
        let pull = bound(&ctx, zmq::PULL, &addr);
        let start = Arc::new(Barrier::new(SENDERS as usize));
        let senders: Vec<_> = (0..SENDERS)
            .map(|id| {
                let push = connected(&ctx, zmq::PUSH, &addr);
                let start = start.clone();
                thread::spawn(move || {
                    start.wait();
                    for seq in 0..MESSAGES {
                        // 1 to 5 frames: the sender id, the sequence number,
                        // then frames whose content says which message
                        // they belong to, one of them empty.
                        let extra = (seq % 4) as usize;
                        let mut parts = vec![id.to_le_bytes().to_vec(), seq.to_le_bytes().to_vec()];
                        for k in 0..extra {
                            if k == 1 {
                                parts.push(Vec::new());
                            } else {
                                parts.push(format!("{id}/{seq}/{k}").into_bytes());
                            }
                        }
                        push.send_multipart(parts, 0).unwrap();
                    }
                })
            })
            .collect();

        let mut next = vec![0u64; SENDERS as usize];
        for _ in 0..SENDERS * MESSAGES {
            let parts = pull
                .recv_multipart(0)
                .expect("a message within the timeout");
            assert!(parts.len() >= 2, "a whole message has at least two frames");
            let id = u64::from_le_bytes(parts[0].clone().try_into().unwrap());
            let seq = u64::from_le_bytes(parts[1].clone().try_into().unwrap());
            assert_eq!(seq, next[id as usize], "sender {id}'s order");
            next[id as usize] += 1;
            let extra = (seq % 4) as usize;
            assert_eq!(parts.len(), 2 + extra, "message {id}/{seq} has every frame");
            for (k, part) in parts[2..].iter().enumerate() {
                if k == 1 {
                    assert!(part.is_empty());
                } else {
                    assert_eq!(part, format!("{id}/{seq}/{k}").as_bytes());
                }
            }
        }
        for sender in senders {
            sender.join().unwrap();
        }
        assert_eq!(next, vec![MESSAGES; SENDERS as usize]);
        assert_nothing_waiting(&pull);
    });
}

#[test]
fn multipart_through_a_pair_both_ways() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let addr = endpoint("multipart-pair");
        let a = bound(&ctx, zmq::PAIR, &addr);
        let b = socket(&ctx, zmq::PAIR);
        b.connect(&addr).unwrap();
        a.send_multipart(["a1", "a2"], 0).unwrap();
        b.send_multipart(["b1", "b2", "b3"], 0).unwrap();
        assert_eq!(
            b.recv_multipart(0).unwrap(),
            [b"a1".to_vec(), b"a2".to_vec()]
        );
        assert_eq!(
            a.recv_multipart(0).unwrap(),
            [b"b1".to_vec(), b"b2".to_vec(), b"b3".to_vec()]
        );
    });
}

#[test]
fn recv_into_reports_the_full_size_of_each_part() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let addr = endpoint("multipart-recv-into");
        let pull = bound(&ctx, zmq::PULL, &addr);
        let push = connected(&ctx, zmq::PUSH, &addr);
        push.send_multipart(["0123456789", "ab"], 0).unwrap();
        let mut buf = [0u8; 4];
        assert_eq!(
            pull.recv_into(&mut buf, 0),
            Ok(10),
            "truncated, full size reported"
        );
        assert_eq!(&buf, b"0123");
        assert!(pull.get_rcvmore().unwrap());
        assert_eq!(pull.recv_into(&mut buf, 0), Ok(2));
        assert_eq!(&buf[..2], b"ab");
        assert!(!pull.get_rcvmore().unwrap());
    });
}
