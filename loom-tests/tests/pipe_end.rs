//! Termination with the real `PipeEnd`: a closing side's flushed messages
//! stay readable, the peer is told of the close at most once, and an attach
//! racing with the peer's close is never missed (the SeqCst fence pair in
//! `attach` and `Drop`). loom checks every `Arc` is freed once.
#![cfg(zactor_loom)]

use loom::thread;
use zactor::__loom::{pipe_pair, Command, Mailbox, PipeEnd};
use zactor::Message;
use zactor_loom_tests::{check, next_command};

/// Drains `end` until the peer has closed and everything is read, sleeping
/// on `mailbox` whenever the pipe is empty. Returns the frames read.
fn read_until_dead(end: &mut PipeEnd, mailbox: &Mailbox, index: u32) -> Vec<Vec<u8>> {
    let mut frames = Vec::new();
    let mut terms = 0;
    loop {
        if let Some(frame) = end.read() {
            frames.push(frame.to_vec());
            continue;
        }
        if end.is_dead() {
            break;
        }
        // Empty but alive: the writer's next flush sends ActivateRead, its
        // close sends PipeTerm. Neither may be lost.
        match next_command(mailbox) {
            Command::ActivateRead(i) => assert_eq!(i, index),
            Command::PipeTerm(i) => {
                assert_eq!(i, index);
                terms += 1;
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    while let Some(command) = mailbox.try_recv() {
        if let Command::PipeTerm(_) = command {
            terms += 1;
        }
    }
    assert!(terms <= 1, "PipeTerm sent {terms} times");
    frames
}

/// Reads one frame from `end`, sleeping on `mailbox` until one comes. Only
/// an `ActivateRead` can end the sleep: the peer neither closes nor fills
/// anything here.
fn read_one(end: &mut PipeEnd, mailbox: &Mailbox, index: u32) -> Vec<u8> {
    loop {
        if let Some(frame) = end.read() {
            return frame.to_vec();
        }
        assert_eq!(next_command(mailbox), Command::ActivateRead(index));
    }
}

/// One side writes a two-frame message and a one-frame message, waits for
/// a reply (so the other side's wake-up can only come from ActivateRead),
/// starts a third message it never finishes, and closes. The other side
/// reads, replies and reads until `is_dead`: it gets the two whole messages,
/// never the cut-short frame.
#[test]
fn close_after_writes_delivers_them_then_dies() {
    check(|| {
        let (mut writer, mut reader) = pipe_pair([0, 0]);
        let (writer_mailbox, reader_mailbox) = (Mailbox::new(), Mailbox::new());
        writer.attach(1, &writer_mailbox);
        reader.attach(2, &reader_mailbox);
        let closer = thread::spawn(move || {
            writer.write(Message::from("a1"), true).unwrap();
            writer.write(Message::from("a2"), false).unwrap();
            writer.write(Message::from("b"), false).unwrap();
            assert_eq!(read_one(&mut writer, &writer_mailbox, 1), b"ack");
            // Cut short: never flushed, dies with the queue.
            writer.write(Message::from("c1"), true).unwrap();
            drop(writer);
            writer_mailbox
        });
        let mut frames = Vec::new();
        while frames.len() < 3 {
            frames.push(read_one(&mut reader, &reader_mailbox, 2));
        }
        reader.write(Message::from("ack"), false).unwrap();
        frames.extend(read_until_dead(&mut reader, &reader_mailbox, 2));
        assert_eq!(frames, [&b"a1"[..], b"a2", b"b"]);
        assert!(
            reader.write(Message::from("late"), false).is_err(),
            "peer is gone"
        );
        let writer_mailbox = closer.join().unwrap();
        drop(reader);
        // The closed writer's socket needs no PipeTerm for a pipe it dropped.
        assert_eq!(writer_mailbox.try_recv(), None);
    });
}

/// A writer at its high-water mark (2) sleeps until the reader's credit
/// report sends it `ActivateWrite`, four times over, then closes; the reader
/// gets all four messages and then sees the pipe dead.
#[test]
fn writer_at_hwm_is_woken_by_activate_write() {
    check(|| {
        let (mut writer, mut reader) = pipe_pair([2, 0]);
        let (writer_mailbox, reader_mailbox) = (Mailbox::new(), Mailbox::new());
        writer.attach(1, &writer_mailbox);
        reader.attach(2, &reader_mailbox);
        let closer = thread::spawn(move || {
            for body in ["m0", "m1", "m2", "m3"] {
                while !writer.check_write() {
                    // Out of credit: only the reader's report can wake us.
                    assert_eq!(next_command(&writer_mailbox), Command::ActivateWrite(1));
                }
                writer.write(Message::from(body), false).unwrap();
            }
            drop(writer);
        });
        let frames = read_until_dead(&mut reader, &reader_mailbox, 2);
        assert_eq!(frames, [&b"m0"[..], b"m1", b"m2", b"m3"]);
        closer.join().unwrap();
    });
}

/// Three threads: two writers on two pipes into one socket (one mailbox),
/// each writing two messages. The reader sleeps on the shared mailbox
/// whenever both pipes are empty; only the writers' `ActivateRead` can wake
/// it (they keep their ends open), and each pipe's messages arrive in order.
#[test]
fn two_pipes_into_one_mailbox() {
    check(|| {
        let mailbox = Mailbox::new();
        let mut readers = Vec::new();
        let mut writers = Vec::new();
        for index in 1..=2 {
            let (mut writer, mut reader) = pipe_pair([0, 0]);
            writer.attach(index, &Mailbox::new());
            reader.attach(index, &mailbox);
            readers.push(reader);
            writers.push(thread::spawn(move || {
                for part in ["x", "y"] {
                    let body = format!("{part}{index}");
                    writer.write(Message::from(body.as_str()), false).unwrap();
                }
                // Closed only after the reader is done (see below).
                writer
            }));
        }
        let mut frames: [Vec<Vec<u8>>; 2] = Default::default();
        while frames.iter().any(|f| f.len() < 2) {
            let mut progress = false;
            for (reader, frames) in readers.iter_mut().zip(&mut frames) {
                if let Some(frame) = reader.read() {
                    frames.push(frame.to_vec());
                    progress = true;
                }
            }
            if !progress {
                // Both pipes empty: a flush that found one asleep must have
                // left a command for us.
                assert!(matches!(next_command(&mailbox), Command::ActivateRead(_)));
            }
        }
        assert_eq!(frames[0], [&b"x1"[..], b"y1"]);
        assert_eq!(frames[1], [&b"x2"[..], b"y2"]);
        for writer in writers {
            drop(writer.join().unwrap());
        }
    });
}

/// Both sides write a message and close at the same time. Each end is freed
/// once (loom checks the shared `Arc`s), and at most one PipeTerm is sent:
/// the side whose fence comes second sees the other's flag.
#[test]
fn both_sides_close_at_once() {
    check(|| {
        let (mut left, mut right) = pipe_pair([0, 0]);
        let (left_mailbox, right_mailbox) = (Mailbox::new(), Mailbox::new());
        left.attach(1, &left_mailbox);
        right.attach(2, &right_mailbox);
        let other = thread::spawn(move || {
            let _ = right.write(Message::from("from right"), false);
            drop(right);
        });
        let _ = left.write(Message::from("from left"), false);
        drop(left);
        other.join().unwrap();
        let mut terms = 0;
        for (mailbox, index) in [(&left_mailbox, 1), (&right_mailbox, 2)] {
            while let Some(command) = mailbox.try_recv() {
                match command {
                    Command::PipeTerm(i) => {
                        assert_eq!(i, index);
                        terms += 1;
                    }
                    Command::ActivateRead(i) => assert_eq!(i, index),
                    other => panic!("unexpected {other:?}"),
                }
            }
        }
        assert!(terms <= 1, "both sides sent PipeTerm");
    });
}

/// One side attaches its end (a socket taking a pipe from its mailbox or
/// from a pending connect) while the other side, never attached, closes.
/// Either the closer sees the mailbox and sends PipeTerm, or the attacher
/// sees the closed flag right after attaching: never neither.
#[test]
fn attach_racing_with_peer_close_is_never_missed() {
    check(|| {
        let (closing, mut attaching) = pipe_pair([0, 0]);
        let mailbox = Mailbox::new();
        let closer = thread::spawn(move || drop(closing));
        attaching.attach(7, &mailbox);
        let saw_closed = attaching.peer_closed();
        closer.join().unwrap();
        match mailbox.try_recv() {
            Some(command) => assert_eq!(command, Command::PipeTerm(7)),
            None => assert!(saw_closed, "close missed: no PipeTerm and no flag"),
        }
        assert_eq!(mailbox.try_recv(), None);
        assert!(attaching.is_dead());
    });
}
