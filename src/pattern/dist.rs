//! The distributor routing block: fans each message out to a set of pipes
//! (libzmq's `dist`). Used by PUB and XPUB for data, and by XSUB for what it
//! sends upstream.
//!
//! At the first frame of a message the caller picks the recipients (the
//! pipes whose subscriptions match, or all); the distributor keeps only those
//! with room for a whole message and sends every frame of the message to
//! that same set. A recipient without room loses the whole message, never
//! a part, and the sender never waits: a slow subscriber must not hold up
//! the others (RFC 29: "SHALL silently drop the message" at the high-water
//! mark). Drops are counted.
//!
//! Frames are cloned for all recipients but the last; a clone shares the
//! body, so a large message is copied into no pipe. To pipes that carry
//! shared frames (a PUB's or XPUB's inproc pipes, see `pipe::lane`) a frame
//! for several recipients is written once, into a node from the
//! distributor's pool, and each pipe gets a pointer to it; the pipes are
//! flushed after the last one is written.
//!
//! Unlike libzmq's `dist` there is no "eligible" prefix of pipes with room:
//! credit is checked per recipient per message, which is a load of the
//! pipe's own counters while it has room, and on a full pipe also a load of
//! its shared credit word. That keeps the block free of per-pipe state, and
//! `ActivateWrite` needs no handling.

use crate::msg::Message;
use crate::pattern::pipes::Pipes;
use crate::pipe::{FanOut, NodePool, PipeId};

/// Sends each message to a chosen set of pipes, dropping it for those that
/// are full.
#[derive(Debug, Default)]
pub(crate) struct Dist {
    /// Every attached pipe.
    pipes: Vec<PipeId>,
    /// The recipients of the message being sent (kept between messages so
    /// its allocation is reused).
    matching: Vec<PipeId>,
    /// In the middle of a multipart message: the next frame goes to
    /// `matching` as it is.
    more: bool,
    /// Messages not delivered to a recipient because its pipe was full,
    /// counted once per recipient per message.
    dropped: u64,
    /// Where the frames shared by many pipes are kept (see `pipe::lane`).
    nodes: NodePool,
}

impl Dist {
    /// Adds a pipe. Mid-message it gets nothing of the message in progress.
    pub(crate) fn attach(&mut self, id: PipeId) {
        self.pipes.push(id);
    }

    /// A full pipe has room again. Nothing to do: credit is checked at every
    /// message (see the module docs).
    pub(crate) fn activate(&mut self, _id: PipeId) {}

    /// Forgets a pipe.
    pub(crate) fn terminated(&mut self, id: PipeId) {
        if let Some(pos) = self.pipes.iter().position(|&p| p == id) {
            self.pipes.swap_remove(pos);
        }
        if let Some(pos) = self.matching.iter().position(|&p| p == id) {
            self.matching.swap_remove(pos);
        }
    }

    /// Whether a multipart message is being sent (its first frame went,
    /// its last has not).
    pub(crate) fn in_message(&self) -> bool {
        self.more
    }

    /// How many times a message was dropped for a full pipe.
    pub(crate) fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Sends a frame to every pipe with room.
    pub(crate) fn send_to_all(&mut self, pipes: &mut Pipes, msg: Message) {
        if !self.more {
            self.matching.clear();
            self.matching.extend_from_slice(&self.pipes);
            self.keep_writable(pipes);
        }
        self.distribute(pipes, msg);
    }

    /// Sends a frame to the pipes `select` picks at the first frame of a
    /// message (it gets the frame's bytes and an empty list to fill), among
    /// them those with room. Later frames go to the same pipes.
    #[inline]
    pub(crate) fn send_to_matching(
        &mut self,
        pipes: &mut Pipes,
        msg: Message,
        select: impl FnOnce(&[u8], &mut Vec<PipeId>),
    ) {
        if !self.more {
            select(&msg, &mut self.matching);
            self.keep_writable(pipes);
        }
        self.distribute(pipes, msg);
    }

    /// Writes a single-frame control message (a subscription, a welcome) to
    /// every pipe whatever its high-water mark: such messages are few, and
    /// losing one would change what the peer receives for good.
    pub(crate) fn send_to_all_past_hwm(&mut self, pipes: &mut Pipes, msg: &Message) {
        debug_assert!(
            !self.more && !msg.get_more(),
            "control messages are whole messages"
        );
        for &id in &self.pipes {
            // A pipe whose peer has gone is reaped soon; nothing to do.
            let _ = pipes.write(id, msg.clone());
        }
    }

    /// Drops the recipients without room for a new message.
    #[inline]
    fn keep_writable(&mut self, pipes: &mut Pipes) {
        let dropped = &mut self.dropped;
        self.matching.retain(|&id| {
            if pipes.check_write(id) {
                return true;
            }
            // A pipe whose peer has gone is not full, just closing.
            if pipes.get(id).is_some_and(|e| !e.end.peer_closed()) {
                *dropped += 1;
            }
            false
        });
    }

    /// Writes the frame to every recipient: clones to all but the last.
    #[inline]
    fn distribute(&mut self, pipes: &mut Pipes, msg: Message) {
        let more = msg.get_more();
        self.more = more;
        if self.matching.len() > 1 && pipes.sends_shared(self.matching[0]) {
            let fan = FanOut::new(&mut self.nodes, msg);
            self.distribute_shared(pipes, fan);
            return;
        }
        let mut i = 0;
        while i + 1 < self.matching.len() {
            // Cloned in the queue slot: a clone made here and moved in would
            // be copied twice more per pipe.
            if pipes.write_clone(self.matching[i], &msg) {
                i += 1;
            } else {
                // The peer has gone: the frames it got of this message are
                // never published; it gets none of the rest.
                self.matching.swap_remove(i);
            }
        }
        if let Some(&last) = self.matching.last() {
            if pipes.write(last, msg).is_err() {
                self.matching.pop();
            }
        }
    }

    /// Writes the frame to every recipient once, sharing it: one pointer
    /// per pipe (see `pipe::lane`).
    #[inline]
    fn distribute_shared(&mut self, pipes: &mut Pipes, mut fan: FanOut) {
        self.matching.retain(|&id| pipes.write_shared(id, &mut fan));
        drop(fan);
        if !self.more {
            for &id in &self.matching {
                pipes.flush(id);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipe::{pipe_pair_for, PeerInfo, PipeEnd};

    fn frame(body: &str, more: bool) -> Message {
        let mut msg = Message::from(body);
        msg.set_more(more);
        msg
    }

    /// A table with `n` pipes of capacity `hwm`; returns the far ends.
    fn table(n: usize, hwm: u64) -> (Pipes, Vec<PipeId>, Vec<PipeEnd>) {
        table_of(n, hwm, false)
    }

    /// [`table`], the pipes' sends travelling as shared frames when
    /// `shared` (as a PUB's inproc pipes do).
    fn table_of(n: usize, hwm: u64, shared: bool) -> (Pipes, Vec<PipeId>, Vec<PipeEnd>) {
        let mut pipes = Pipes::default();
        let mut ids = Vec::new();
        let mut far = Vec::new();
        for _ in 0..n {
            let (near, other) = pipe_pair_for([hwm, hwm], "inproc://dist", [shared, false]);
            let peer = PeerInfo { routing_id: None };
            ids.push(pipes.insert(near, peer));
            far.push(other);
        }
        (pipes, ids, far)
    }

    fn drain(end: &mut PipeEnd) -> Vec<String> {
        std::iter::from_fn(|| end.read())
            .map(|m| String::from_utf8(m.to_vec()).unwrap())
            .collect()
    }

    #[test]
    fn every_frame_goes_to_the_pipes_chosen_at_the_first() {
        let (mut pipes, ids, mut far) = table(3, 0);
        let mut dist = Dist::default();
        for &id in &ids {
            dist.attach(id);
        }
        let chosen = [ids[0], ids[2]];
        dist.send_to_matching(&mut pipes, frame("head", true), |head, out| {
            assert_eq!(head, b"head");
            out.clear();
            out.extend_from_slice(&chosen);
        });
        assert!(dist.in_message());
        dist.send_to_matching(&mut pipes, frame("tail", false), |_, _| {
            panic!("only asked at the first frame")
        });
        assert_eq!(drain(&mut far[0]), ["head", "tail"]);
        assert!(drain(&mut far[1]).is_empty());
        assert_eq!(drain(&mut far[2]), ["head", "tail"]);
    }

    #[test]
    fn a_full_pipe_loses_whole_messages_and_nobody_waits() {
        let (mut pipes, ids, mut far) = table(2, 2);
        let mut dist = Dist::default();
        for &id in &ids {
            dist.attach(id);
        }
        for i in 0..5 {
            dist.send_to_all(&mut pipes, frame(&format!("{i}a"), true));
            dist.send_to_all(&mut pipes, frame(&format!("{i}b"), false));
        }
        assert_eq!(drain(&mut far[0]), ["0a", "0b", "1a", "1b"]);
        assert_eq!(drain(&mut far[1]), ["0a", "0b", "1a", "1b"]);
        assert_eq!(
            dist.dropped(),
            6,
            "three messages lost by each of two pipes"
        );
    }

    #[test]
    fn a_pipe_that_attaches_mid_message_waits_for_the_next() {
        let (mut pipes, ids, mut far) = table(2, 0);
        let mut dist = Dist::default();
        dist.attach(ids[0]);
        dist.send_to_all(&mut pipes, frame("1a", true));
        dist.attach(ids[1]);
        dist.send_to_all(&mut pipes, frame("1b", false));
        dist.send_to_all(&mut pipes, frame("2", false));
        assert_eq!(drain(&mut far[0]), ["1a", "1b", "2"]);
        assert_eq!(drain(&mut far[1]), ["2"]);
    }

    #[test]
    fn a_closed_peer_is_skipped_and_not_counted_as_a_drop() {
        let (mut pipes, ids, mut far) = table(2, 0);
        let mut dist = Dist::default();
        dist.attach(ids[0]);
        dist.attach(ids[1]);
        drop(far.remove(0));
        dist.send_to_all(&mut pipes, frame("x", false));
        assert_eq!(drain(&mut far[0]), ["x"]);
        assert_eq!(dist.dropped(), 0);
        dist.terminated(ids[0]);
        assert_eq!(dist.pipes, &ids[1..]);
    }

    #[test]
    fn control_messages_pass_the_high_water_mark() {
        let (mut pipes, ids, mut far) = table(1, 1);
        let mut dist = Dist::default();
        dist.attach(ids[0]);
        dist.send_to_all(&mut pipes, frame("data", false));
        dist.send_to_all_past_hwm(&mut pipes, &frame("\x01topic", false));
        dist.send_to_all(&mut pipes, frame("dropped", false));
        assert_eq!(drain(&mut far[0]), ["data", "\x01topic"]);
    }

    #[test]
    fn shared_frames_reach_the_chosen_pipes_whole_and_full_pipes_lose_them() {
        let (mut pipes, ids, mut far) = table_of(3, 2, true);
        let mut dist = Dist::default();
        for &id in &ids {
            dist.attach(id);
        }
        let chosen = [ids[0], ids[2]];
        for i in 0..3 {
            dist.send_to_matching(&mut pipes, frame(&format!("{i}a"), true), |_, out| {
                out.clear();
                out.extend_from_slice(&chosen);
            });
            dist.send_to_matching(&mut pipes, frame(&format!("{i}b"), false), |_, _| {
                panic!("only asked at the first frame")
            });
        }
        assert_eq!(dist.dropped(), 2, "the third, by each of the two");
        assert!(drain(&mut far[1]).is_empty(), "not chosen");
        let want = ["0a", "0b", "1a", "1b"];
        assert_eq!(drain(&mut far[0]), want);
        assert_eq!(drain(&mut far[2]), want);
        // A body on the heap is shared by the pipes, not copied; a pipe
        // whose peer has gone is skipped.
        drop(far.remove(1));
        let body = Message::from(vec![9u8; 100]);
        dist.send_to_all(&mut pipes, body.clone());
        for end in &mut far {
            let got = end.read().unwrap();
            assert_eq!(got.as_ptr(), body.as_ptr());
            assert!(end.read().is_none());
        }
        assert_eq!(dist.dropped(), 2);
    }
}
