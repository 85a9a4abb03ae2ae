//! `Message` through the public API: zero-copy construction from owned
//! buffers, bodies shared by clones, small bodies stored inline, owners
//! dropped when the last user goes, and an inproc send that hands the very
//! same bytes to the receiver.

mod common;

use std::mem;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use common::{bound, bounded, connected, endpoint};
use zactor as zmq;

const LARGE: usize = 1 << 20;

/// Whether `msg`'s bytes live inside the `Message` value itself.
fn is_inline(msg: &zmq::Message) -> bool {
    let start = msg as *const zmq::Message as usize;
    let body = msg.as_ptr() as usize;
    (start..start + mem::size_of::<zmq::Message>()).contains(&body)
}

#[test]
fn from_vec_takes_the_buffer_without_copying() {
    let body = vec![7u8; LARGE];
    let ptr = body.as_ptr();
    let msg = zmq::Message::from(body);
    assert_eq!(msg.as_ptr(), ptr);
    assert_eq!(msg.len(), LARGE);
    assert!(msg.iter().all(|&b| b == 7));

    let boxed: Box<[u8]> = vec![1u8; LARGE].into_boxed_slice();
    let ptr = boxed.as_ptr();
    assert_eq!(zmq::Message::from(boxed).as_ptr(), ptr);

    let text = "y".repeat(LARGE);
    let ptr = text.as_ptr();
    let msg = zmq::Message::from(text);
    assert_eq!(msg.as_ptr(), ptr);
    assert_eq!(msg.as_str().map(str::len), Some(LARGE));
}

#[test]
fn from_a_slice_copies() {
    let body = vec![3u8; LARGE];
    let msg = zmq::Message::from(&body[..]);
    assert_ne!(msg.as_ptr(), body.as_ptr());
    assert_eq!(&msg[..], &body[..]);
    let msg = zmq::Message::from("text");
    assert_eq!(&msg[..], b"text");
    assert_eq!(msg.as_str(), Some("text"));
}

#[test]
fn a_clone_shares_the_body() {
    let msg = zmq::Message::from(vec![9u8; LARGE]);
    let copy = msg.clone();
    assert_eq!(copy.as_ptr(), msg.as_ptr());
    assert_eq!(copy, msg);
}

#[test]
fn writing_to_a_clone_leaves_the_original_alone() {
    let original = zmq::Message::from(vec![0u8; LARGE]);
    let mut copy = original.clone();
    copy[0] = 1;
    assert_eq!(original[0], 0);
    assert_eq!(copy[0], 1);
    assert_ne!(copy.as_ptr(), original.as_ptr());
}

#[test]
fn small_messages_are_inline() {
    let small = zmq::Message::from(&[5u8; 32][..]);
    assert!(is_inline(&small));
    assert!(is_inline(&zmq::Message::from("hello")));
    assert!(is_inline(&zmq::Message::with_size(16)));
    let moved = small;
    assert!(is_inline(&moved), "the bytes move with the value");
    assert_eq!(&moved[..], &[5u8; 32][..]);

    assert!(!is_inline(&zmq::Message::from(&[5u8; 4096][..])));
    assert!(
        mem::size_of::<zmq::Message>() <= 128,
        "a message stays small"
    );
}

#[test]
fn constructors_give_what_they_say() {
    let empty = zmq::Message::new();
    assert_eq!(empty.len(), 0);
    assert!(!empty.get_more());
    assert_eq!(empty.as_str(), Some(""));
    assert_eq!(zmq::Message::default(), empty);
    let zeroed = zmq::Message::with_size(1000);
    assert_eq!(zeroed.len(), 1000);
    assert!(zeroed.iter().all(|&b| b == 0));
    assert_eq!(zmq::Message::from(&[0xffu8, 0xfe][..]).as_str(), None);
    assert_eq!(
        zmq::Message::from(&String::from("ref")),
        zmq::Message::from("ref")
    );
    assert_eq!(
        zmq::Message::from(&vec![1u8, 2]),
        zmq::Message::from(&[1u8, 2][..])
    );
}

/// An owner that counts its drops.
struct Counted {
    body: Vec<u8>,
    drops: Arc<AtomicUsize>,
}

impl AsRef<[u8]> for Counted {
    fn as_ref(&self) -> &[u8] {
        &self.body
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.drops.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn from_owner_drops_the_owner_with_the_last_clone() {
    let drops = Arc::new(AtomicUsize::new(0));
    let body = vec![4u8; LARGE];
    let ptr = body.as_ptr();
    let msg = zmq::Message::from_owner(Counted {
        body,
        drops: drops.clone(),
    });
    assert_eq!(msg.as_ptr(), ptr, "the owner's bytes, not a copy");
    let first = msg.clone();
    let second = first.clone();
    drop(msg);
    drop(first);
    assert_eq!(drops.load(Ordering::SeqCst), 0, "a clone still uses it");
    assert_eq!(second.as_ptr(), ptr);
    drop(second);
    assert_eq!(drops.load(Ordering::SeqCst), 1, "dropped exactly once");
}

#[test]
fn from_owner_lives_until_the_receiver_drops_it() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let addr = endpoint("message-owner-through-socket");
        let pull = bound(&ctx, zmq::PULL, &addr);
        let push = connected(&ctx, zmq::PUSH, &addr);
        let drops = Arc::new(AtomicUsize::new(0));
        let body = vec![8u8; LARGE];
        let ptr = body.as_ptr();
        push.send(
            zmq::Message::from_owner(Counted {
                body,
                drops: drops.clone(),
            }),
            0,
        )
        .unwrap();
        assert_eq!(drops.load(Ordering::SeqCst), 0, "queued in the pipe");
        let received = pull.recv_msg(0).unwrap();
        assert_eq!(received.as_ptr(), ptr);
        assert_eq!(drops.load(Ordering::SeqCst), 0, "held by the receiver");
        drop(received);
        assert_eq!(drops.load(Ordering::SeqCst), 1);
    });
}

#[test]
fn a_large_vec_crosses_inproc_without_a_copy() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let addr = endpoint("message-zero-copy");
        let pull = bound(&ctx, zmq::PULL, &addr);
        let push = connected(&ctx, zmq::PUSH, &addr);

        let body: Vec<u8> = (0..LARGE).map(|i| i as u8).collect();
        let ptr = body.as_ptr();
        push.send(body, 0).unwrap();
        let received = pull.recv_msg(0).unwrap();
        assert_eq!(
            received.as_ptr(),
            ptr,
            "the receiver sees the sender's buffer"
        );
        assert_eq!(received.len(), LARGE);
        assert!(received.iter().enumerate().all(|(i, &b)| b == i as u8));

        // A Message and a clone of one travel the same way.
        let msg = zmq::Message::from(vec![1u8; LARGE]);
        let ptr = msg.as_ptr();
        push.send(msg.clone(), 0).unwrap();
        push.send(&msg, 0).unwrap();
        push.send(msg, 0).unwrap();
        for _ in 0..3 {
            assert_eq!(pull.recv_msg(0).unwrap().as_ptr(), ptr);
        }

        // recv into an existing Message replaces it with the sent body.
        let body = vec![2u8; LARGE];
        let ptr = body.as_ptr();
        push.send(body, 0).unwrap();
        let mut slot = zmq::Message::from("old");
        pull.recv(&mut slot, 0).unwrap();
        assert_eq!(slot.as_ptr(), ptr);
    });
}

#[test]
fn recv_into_a_message_drops_what_it_held_once_and_eagain_leaves_it() {
    // PULL and PAIR receive straight into the caller's message; SUB goes
    // through its pattern's own receive. All must keep the same promise.
    bounded(|| {
        let ctx = zmq::Context::new();
        for (kind, peer_kind) in [
            (zmq::PULL, zmq::PUSH),
            (zmq::PAIR, zmq::PAIR),
            (zmq::SUB, zmq::PUB),
        ] {
            let addr = endpoint("message-recv-into");
            let receiver = bound(&ctx, kind, &addr);
            if kind == zmq::SUB {
                receiver.set_subscribe(b"").unwrap();
            }
            let sender = connected(&ctx, peer_kind, &addr);
            let drops = Arc::new(AtomicUsize::new(0));
            let mut place = zmq::Message::from_owner(Counted {
                body: vec![1u8; LARGE],
                drops: drops.clone(),
            });

            assert_eq!(
                receiver.recv(&mut place, zmq::DONTWAIT),
                Err(zmq::Error::EAGAIN)
            );
            assert_eq!(drops.load(Ordering::SeqCst), 0, "{kind:?}: kept on EAGAIN");
            assert_eq!(place.len(), LARGE, "{kind:?}: untouched on EAGAIN");

            // A SUB's subscription must reach the publisher first.
            let mut sent = 0;
            while receiver.recv(&mut place, zmq::DONTWAIT).is_err() {
                sender.send("new", 0).unwrap();
                sent += 1;
                assert!(sent < 1_000_000, "{kind:?}: nothing arrived");
                std::thread::yield_now();
            }
            assert_eq!(&place[..], b"new", "{kind:?}");
            assert_eq!(drops.load(Ordering::SeqCst), 1, "{kind:?}: dropped once");
            drop(place);
            assert_eq!(drops.load(Ordering::SeqCst), 1, "{kind:?}: not again");
        }
    });
}

#[test]
fn a_received_message_can_be_written_and_sent_on() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let first = endpoint("message-forward-first");
        let second = endpoint("message-forward-second");
        let pull = bound(&ctx, zmq::PULL, &first);
        let push = connected(&ctx, zmq::PUSH, &first);
        let sink = bound(&ctx, zmq::PULL, &second);
        let forward = connected(&ctx, zmq::PUSH, &second);

        let body = vec![0u8; LARGE];
        let ptr = body.as_ptr();
        push.send(body, 0).unwrap();
        let mut msg = pull.recv_msg(0).unwrap();
        // The only holder may write in place.
        msg[0] = 42;
        assert_eq!(msg.as_ptr(), ptr);
        forward.send(msg, 0).unwrap();
        let received = sink.recv_msg(0).unwrap();
        assert_eq!(received.as_ptr(), ptr);
        assert_eq!(received[0], 42);
    });
}

#[test]
fn get_more_is_false_on_new_messages_and_set_on_received_parts() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let addr = endpoint("message-get-more");
        let pull = bound(&ctx, zmq::PULL, &addr);
        let push = connected(&ctx, zmq::PUSH, &addr);
        let mut part = zmq::Message::from("part");
        assert!(!part.get_more());
        assert_eq!(part.gets("Socket-Type"), None, "no metadata over inproc");
        push.send(part, zmq::SNDMORE).unwrap();
        push.send("last", 0).unwrap();
        part = pull.recv_msg(0).unwrap();
        assert!(part.get_more());
        assert!(!pull.recv_msg(0).unwrap().get_more());
    });
}

#[test]
fn debug_shows_a_preview_not_the_body() {
    let text = format!("{:?}", zmq::Message::from(vec![b'a'; LARGE]));
    assert!(text.len() < 200, "{text}");
    assert!(text.contains(&LARGE.to_string()), "{text}");
}
