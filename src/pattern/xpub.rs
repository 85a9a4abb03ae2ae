//! XPUB (RFC 29): a PUB whose application also sees the subscriptions.
//!
//! Sending is PUB's: each message goes to the pipes with a subscription
//! that is a prefix of its first frame, once per pipe, and is dropped for a
//! pipe at its high-water mark; a send never blocks.
//!
//! Receiving hands the application, in arrival order:
//! - `\x01topic` when a pipe subscribes to a topic no pipe had; with
//!   `XPUB_VERBOSE`, every subscription, duplicates included;
//! - `\x00topic` when the last pipe subscribed to a topic unsubscribes, or
//!   goes away (libzmq removes a closing pipe's subscriptions and reports
//!   the topics left without subscribers);
//! - any other message a peer sends (an XSUB may send data upstream), whole.
//!
//! A subscription message is a single frame starting with `0x00` or
//! `0x01` ([`Subscription::parse`]).
//!
//! Subscriptions are read from a pipe when it is attached and whenever it
//! wakes us (`read_activated`): reading a pipe to empty arms its
//! `ActivateRead`, and commands are processed before every send, receive
//! and poll, so a send always routes by every subscription flushed before
//! it, without touching the pipes per message.
//!
//! `XPUB_VERBOSE` is decided at receive time: `read_activated` does not see
//! the options, so duplicates are queued marked as such and skipped by
//! `recv` unless the option is on. `XPUB_WELCOME_MSG`, when set and not
//! empty, is written to every pipe as it attaches, past the high-water
//! mark (the pipe is new and a welcome lost would confuse the peer).
//! `XPUB_MANUAL` and `XPUB_NODROP` are not supported.

use std::collections::VecDeque;

use super::dist::Dist;
use super::mtrie::Mtrie;
use super::pipes::Pipes;
use super::trie::Subscription;
use super::Pattern;
use crate::error::{Error, Result};
use crate::msg::Message;
use crate::pipe::PipeId;
use crate::socket::options::Options;

/// A message waiting for the application's `recv`.
#[derive(Debug)]
struct Notice {
    msg: Message,
    /// A subscription to a topic some pipe already had: delivered only
    /// with `XPUB_VERBOSE`.
    duplicate: bool,
}

/// The XPUB pattern; PUB is the same without notices.
#[derive(Debug)]
pub(crate) struct XPub {
    dist: Dist,
    subscriptions: Mtrie,
    /// Whether notices are kept for `recv` (false for PUB).
    keep_notices: bool,
    notices: VecDeque<Notice>,
    /// Notices that are not duplicates (delivered whatever the options).
    unique_notices: usize,
    /// `XPUB_VERBOSE` as last seen, for `has_in`, which gets no options.
    verbose: bool,
}

impl Default for XPub {
    fn default() -> Self {
        XPub {
            dist: Dist::default(),
            subscriptions: Mtrie::default(),
            keep_notices: true,
            notices: VecDeque::new(),
            unique_notices: 0,
            verbose: false,
        }
    }
}

impl XPub {
    /// The PUB flavour: subscriptions route messages, and nothing is kept
    /// for the application to receive.
    pub(crate) fn without_notices() -> Self {
        XPub {
            keep_notices: false,
            ..XPub::default()
        }
    }

    /// How many times a message was dropped for a subscriber at its
    /// high-water mark.
    pub(crate) fn dropped(&self) -> u64 {
        self.dist.dropped()
    }

    fn notify(&mut self, msg: Message, duplicate: bool) {
        if self.keep_notices {
            self.unique_notices += usize::from(!duplicate);
            self.notices.push_back(Notice { msg, duplicate });
        }
    }

    /// Reads everything a pipe has sent: subscriptions update the trie,
    /// other messages become notices.
    fn read_subscriptions(&mut self, id: PipeId, pipes: &mut Pipes) {
        // Frames of a message are published together, so reading to empty
        // never stops mid-message; `in_data` only tells a message's first
        // frame from the rest.
        let mut in_data = false;
        while let Some(msg) = pipes.read(id) {
            let first = !in_data;
            in_data = msg.get_more();
            let subscription = if first {
                Subscription::parse(&msg)
            } else {
                None
            };
            match subscription {
                Some(Subscription::Subscribe(topic)) => {
                    let new = self.subscriptions.add(topic, id);
                    self.notify(msg, !new);
                }
                Some(Subscription::Unsubscribe(topic)) => {
                    if self.subscriptions.rm(topic, id) {
                        self.notify(msg, false);
                    }
                }
                None => self.notify(msg, false),
            }
        }
    }
}

impl Pattern for XPub {
    fn attach(&mut self, id: PipeId, pipes: &mut Pipes, options: &Options) {
        self.verbose = options.xpub_verbose;
        self.dist.attach(id);
        if let Some(welcome) = options
            .xpub_welcome_msg
            .as_deref()
            .filter(|w| !w.is_empty())
        {
            // Written without a credit check: the pipe is new and empty. A
            // failure means the peer has gone already.
            let _ = pipes.write(id, Message::from(welcome));
        }
        self.read_subscriptions(id, pipes);
    }

    fn read_activated(&mut self, id: PipeId, pipes: &mut Pipes) {
        self.read_subscriptions(id, pipes);
    }

    fn write_activated(&mut self, id: PipeId, _: &mut Pipes) {
        self.dist.activate(id);
    }

    fn terminated(&mut self, id: PipeId, _: &mut Pipes) {
        // The pipe's subscriptions go with it; topics left without a
        // subscriber are reported as unsubscribed.
        let keep = self.keep_notices;
        let (notices, unique) = (&mut self.notices, &mut self.unique_notices);
        self.subscriptions.rm_pipe(id, |topic| {
            if keep {
                *unique += 1;
                let msg = Subscription::Unsubscribe(topic).to_message();
                notices.push_back(Notice {
                    msg,
                    duplicate: false,
                });
            }
        });
        self.dist.terminated(id);
    }

    #[inline]
    fn send(
        &mut self,
        msg: Message,
        pipes: &mut Pipes,
        options: &Options,
    ) -> std::result::Result<(), (Error, Message)> {
        self.verbose = options.xpub_verbose;
        let subscriptions = &mut self.subscriptions;
        self.dist.send_to_matching(pipes, msg, |topic, out| {
            subscriptions.match_into(topic, out)
        });
        Ok(())
    }

    fn recv(&mut self, _: &mut Pipes, options: &Options) -> Result<Message> {
        self.verbose = options.xpub_verbose;
        while let Some(notice) = self.notices.pop_front() {
            if !notice.duplicate {
                self.unique_notices -= 1;
                return Ok(notice.msg);
            }
            if self.verbose {
                return Ok(notice.msg);
            }
        }
        Err(Error::EAGAIN)
    }

    fn has_in(&mut self, _: &mut Pipes) -> bool {
        if self.verbose {
            !self.notices.is_empty()
        } else {
            self.unique_notices > 0
        }
    }

    fn has_out(&mut self, _: &mut Pipes) -> bool {
        // Never blocks: a full subscriber loses the message.
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::msg::frame;
    use crate::pipe::{pipe_pair, PeerInfo, PipeEnd};

    /// An XPUB with one pipe per subscriber; returns the subscribers' ends.
    fn xpub_with(n: usize, options: &Options) -> (XPub, Pipes, Vec<PipeId>, Vec<PipeEnd>) {
        let mut xpub = XPub::default();
        let mut pipes = Pipes::default();
        let mut ids = Vec::new();
        let mut far = Vec::new();
        for _ in 0..n {
            let (near, other) = pipe_pair([0, 0], "inproc://xpub");
            let peer = PeerInfo { routing_id: None };
            let id = pipes.insert(near, peer);
            xpub.attach(id, &mut pipes, options);
            ids.push(id);
            far.push(other);
        }
        (xpub, pipes, ids, far)
    }

    fn recv_all(xpub: &mut XPub, pipes: &mut Pipes, options: &Options) -> Vec<Vec<u8>> {
        std::iter::from_fn(|| xpub.recv(pipes, options).ok())
            .map(|m| m.to_vec())
            .collect()
    }

    #[test]
    fn subscriptions_route_and_are_reported_once() {
        let options = Options::default();
        let (mut xpub, mut pipes, ids, mut far) = xpub_with(2, &options);
        far[0].write(frame(b"\x01A", false)).unwrap();
        far[1].write(frame(b"\x01A", false)).unwrap();
        far[1].write(frame(b"\x01B", false)).unwrap();
        xpub.read_activated(ids[0], &mut pipes);
        xpub.read_activated(ids[1], &mut pipes);
        assert!(xpub.has_in(&mut pipes));
        assert_eq!(
            recv_all(&mut xpub, &mut pipes, &options),
            [b"\x01A".to_vec(), b"\x01B".to_vec()]
        );
        assert!(!xpub.has_in(&mut pipes));

        xpub.send(frame(b"B-news", false), &mut pipes, &options)
            .unwrap();
        xpub.send(frame(b"A-news", false), &mut pipes, &options)
            .unwrap();
        assert_eq!(&far[0].read().unwrap()[..], b"A-news");
        assert!(far[0].read().is_none());
        assert_eq!(&far[1].read().unwrap()[..], b"B-news");
        assert_eq!(&far[1].read().unwrap()[..], b"A-news");
    }

    #[test]
    fn verbose_reports_duplicates() {
        let mut options = Options::default();
        let (mut xpub, mut pipes, ids, mut far) = xpub_with(2, &options);
        far[0].write(frame(b"\x01A", false)).unwrap();
        far[1].write(frame(b"\x01A", false)).unwrap();
        xpub.read_activated(ids[0], &mut pipes);
        xpub.read_activated(ids[1], &mut pipes);
        options.xpub_verbose = true;
        assert_eq!(
            recv_all(&mut xpub, &mut pipes, &options),
            [b"\x01A".to_vec(), b"\x01A".to_vec()]
        );
    }

    #[test]
    fn the_last_unsubscription_and_a_closing_pipe_are_reported() {
        let options = Options::default();
        let (mut xpub, mut pipes, ids, mut far) = xpub_with(2, &options);
        far[0].write(frame(b"\x01A", false)).unwrap();
        far[0].write(frame(b"\x01B", false)).unwrap();
        far[1].write(frame(b"\x01A", false)).unwrap();
        xpub.read_activated(ids[0], &mut pipes);
        xpub.read_activated(ids[1], &mut pipes);
        recv_all(&mut xpub, &mut pipes, &options);

        far[0].write(frame(b"\x00A", false)).unwrap();
        xpub.read_activated(ids[0], &mut pipes);
        assert!(
            recv_all(&mut xpub, &mut pipes, &options).is_empty(),
            "pipe 1 still has A"
        );

        xpub.terminated(ids[0], &mut pipes);
        assert_eq!(
            recv_all(&mut xpub, &mut pipes, &options),
            [b"\x00B".to_vec()]
        );
        xpub.terminated(ids[1], &mut pipes);
        assert_eq!(
            recv_all(&mut xpub, &mut pipes, &options),
            [b"\x00A".to_vec()]
        );
    }

    #[test]
    fn data_from_upstream_is_passed_whole() {
        let options = Options::default();
        let (mut xpub, mut pipes, ids, mut far) = xpub_with(1, &options);
        far[0].write(frame(b"\x01two", true)).unwrap();
        far[0].write(frame(b"\x01parts", false)).unwrap();
        xpub.read_activated(ids[0], &mut pipes);
        let first = xpub.recv(&mut pipes, &options).unwrap();
        assert!(first.get_more());
        assert_eq!(&first[..], b"\x01two");
        assert_eq!(&xpub.recv(&mut pipes, &options).unwrap()[..], b"\x01parts");
        let mut out = Vec::new();
        xpub.subscriptions.match_into(b"two", &mut out);
        assert!(out.is_empty(), "a multipart message is no subscription");
    }

    #[test]
    fn welcome_goes_to_each_new_pipe() {
        let options = Options {
            xpub_welcome_msg: Some(b"hello".to_vec()),
            ..Options::default()
        };
        let (_, _, _, mut far) = xpub_with(2, &options);
        for end in &mut far {
            assert_eq!(&end.read().unwrap()[..], b"hello");
        }
    }

    #[test]
    fn pub_keeps_no_notices() {
        let options = Options::default();
        let mut xpub = XPub::without_notices();
        let mut pipes = Pipes::default();
        let (near, mut far) = pipe_pair([0, 0], "inproc://pub");
        let id = pipes.insert(near, PeerInfo { routing_id: None });
        far.write(frame(b"\x01", false)).unwrap();
        far.write(frame(b"junk", false)).unwrap();
        xpub.attach(id, &mut pipes, &options);
        assert!(!xpub.has_in(&mut pipes));
        xpub.send(frame(b"anything", false), &mut pipes, &options)
            .unwrap();
        assert_eq!(&far.read().unwrap()[..], b"anything");
    }
}
