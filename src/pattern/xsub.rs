//! XSUB (RFC 29): a SUB whose application sends the subscriptions itself,
//! as messages.
//!
//! Sending: a single-frame message `\x01topic` subscribes, `\x00topic`
//! unsubscribes ([`Subscription::parse`]). Each updates the counting
//! [`Trie`] and goes upstream to every publisher: every subscription, even
//! one already held (libzmq 4.3: the XPUB side deduplicates, and filtering
//! here would hide repeats from an `XPUB_VERBOSE` behind a proxy), but an
//! unsubscription only when its last reference goes. Any other message is
//! data for the publishers (libzmq 4.3 passes it upstream; an XPUB hands it
//! to its application) and is dropped for a publisher at its high-water
//! mark, like PUB's data. A send never blocks.
//!
//! Subscriptions are not subject to the high-water mark: they are written
//! past it (libzmq drops them at the mark instead, silently changing what
//! the subscriber receives for good). They are few by nature, a publisher
//! reads them as soon as it is used, and their volume is bounded by what the
//! application asks for; data past the mark would be unbounded, so it is
//! dropped. A pipe that attaches gets every current subscription.
//!
//! Receiving: fair-queued, whole messages. XSUB passes everything (libzmq's
//! XSUB does not filter; its publishers do); SUB, built on this type,
//! filters on the first frame and drops non-matching messages whole.

use super::dist::Dist;
use super::fq::Fq;
use super::pipes::Pipes;
use super::trie::{Subscription, Trie};
use super::{recv_by_place, Pattern};
use crate::error::{Error, Result};
use crate::msg::Message;
use crate::pipe::PipeId;
use crate::socket::options::Options;

/// The XSUB pattern; SUB is the same with filtering on.
#[derive(Debug, Default)]
pub(crate) struct XSub {
    fq: Fq,
    dist: Dist,
    subscriptions: Trie,
    /// Drop received messages no subscription matches (SUB).
    filter: bool,
    /// In the middle of handing a received message to the application.
    more_in: bool,
    /// A matching message's first frame, taken by `has_in` while looking
    /// past non-matching ones; `recv` returns it first.
    prefetched: Option<Message>,
}

impl XSub {
    /// The SUB flavour: received messages are filtered by subscription.
    pub(crate) fn filtering() -> Self {
        XSub {
            filter: true,
            ..XSub::default()
        }
    }

    /// Applies a subscription and sends it upstream when it changes what
    /// the publishers must send (see the module docs).
    pub(crate) fn subscribe(&mut self, subscription: Subscription<'_>, pipes: &mut Pipes) {
        let forward = match subscription {
            Subscription::Subscribe(topic) => {
                self.subscriptions.add(topic);
                true
            }
            Subscription::Unsubscribe(topic) => self.subscriptions.rm(topic),
        };
        if forward {
            self.dist
                .send_to_all_past_hwm(pipes, &subscription.to_message());
        }
    }

    /// The next frame whose message is wanted, into `out`: the first one
    /// that matches a subscription (when filtering), then the rest of its
    /// message. Each frame is looked at in its pipe and only a kept one is
    /// copied out (see [`Fq::recv_into_if`]); a message no subscription
    /// matches is dropped in its pipe, frame by frame. False, `out` as it
    /// was, when no wanted frame is ready.
    fn next_wanted_into(&mut self, pipes: &mut Pipes, out: &mut Message) -> bool {
        loop {
            let keep_all = self.more_in || !self.filter;
            let subscriptions = &self.subscriptions;
            match self
                .fq
                .recv_into_if(pipes, out, |frame| keep_all || subscriptions.check(frame))
            {
                None => return false,
                Some(true) => return true,
                Some(false) => {
                    // Its frames were published together, so they are all
                    // there: drop the rest of the message.
                    while self.fq.in_message() {
                        if self.fq.recv_into_if(pipes, out, |_| false).is_none() {
                            break;
                        }
                    }
                }
            }
        }
    }
}

impl Pattern for XSub {
    fn attach(&mut self, id: PipeId, pipes: &mut Pipes, _: &Options) {
        self.fq.attach(id);
        self.dist.attach(id);
        // The new publisher must know every current subscription. A pipe
        // made by a connect before the bind queues them until it is taken.
        self.subscriptions.for_each(|topic| {
            let _ = pipes.write(id, Subscription::Subscribe(topic).to_message());
        });
    }

    fn read_activated(&mut self, id: PipeId, _: &mut Pipes) {
        self.fq.activate(id);
    }

    fn write_activated(&mut self, id: PipeId, _: &mut Pipes) {
        self.dist.activate(id);
    }

    fn terminated(&mut self, id: PipeId, _: &mut Pipes) {
        self.fq.terminated(id);
        self.dist.terminated(id);
    }

    fn send(
        &mut self,
        msg: Message,
        pipes: &mut Pipes,
        _: &Options,
    ) -> std::result::Result<(), (Error, Message)> {
        if !self.dist.in_message() {
            if let Some(subscription) = Subscription::parse(&msg) {
                self.subscribe(subscription, pipes);
                return Ok(());
            }
        }
        self.dist.send_to_all(pipes, msg);
        Ok(())
    }

    fn recv(&mut self, pipes: &mut Pipes, options: &Options) -> Result<Message> {
        recv_by_place(self, pipes, options)
    }

    /// The next wanted frame into `out` (see
    /// [`next_wanted_into`](Self::next_wanted_into)); `out` is left as it
    /// was on `EAGAIN`.
    #[inline]
    fn recv_into(&mut self, out: &mut Message, pipes: &mut Pipes, _: &Options) -> Result<()> {
        if let Some(msg) = self.prefetched.take() {
            *out = msg;
        } else if !self.next_wanted_into(pipes, out) {
            return Err(Error::EAGAIN);
        }
        self.more_in = out.get_more();
        Ok(())
    }

    fn has_in(&mut self, pipes: &mut Pipes) -> bool {
        if self.more_in || self.prefetched.is_some() {
            return true;
        }
        if !self.filter {
            return self.fq.has_in(pipes);
        }
        // Only a matching message counts: look past the others.
        let mut first = Message::new();
        if !self.next_wanted_into(pipes, &mut first) {
            return false;
        }
        self.prefetched = Some(first);
        true
    }

    fn has_out(&mut self, _: &mut Pipes) -> bool {
        // Subscriptions can be sent at any time; data is dropped when full.
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::msg::frame;
    use crate::pattern::pipes::drain;
    use crate::pipe::{pipe_pair, PeerInfo, PipeEnd};

    fn attach_one(xsub: &mut XSub, pipes: &mut Pipes) -> (PipeId, PipeEnd) {
        let (near, far) = pipe_pair([0, 0], "inproc://xsub");
        let id = pipes.insert(near, PeerInfo { routing_id: None });
        xsub.attach(id, pipes, &Options::default());
        (id, far)
    }

    #[test]
    fn subscriptions_go_upstream_and_to_late_pipes() {
        let options = Options::default();
        let mut xsub = XSub::default();
        let mut pipes = Pipes::default();
        let (_, mut early) = attach_one(&mut xsub, &mut pipes);
        for sub in [
            &b"\x01A"[..],
            b"\x01A",
            b"\x01B",
            b"\x00A",
            b"\x00A",
            b"\x00C",
        ] {
            xsub.send(frame(sub, false), &mut pipes, &options).unwrap();
        }
        assert_eq!(
            drain(&mut early),
            [
                b"\x01A".to_vec(),
                b"\x01A".to_vec(),
                b"\x01B".to_vec(),
                b"\x00A".to_vec()
            ],
            "every subscribe; an unsubscribe only when the last reference goes"
        );
        let (_, mut late) = attach_one(&mut xsub, &mut pipes);
        assert_eq!(drain(&mut late), [b"\x01B".to_vec()]);
    }

    #[test]
    fn other_messages_go_upstream_as_data() {
        let options = Options::default();
        let mut xsub = XSub::default();
        let mut pipes = Pipes::default();
        let (_, mut far) = attach_one(&mut xsub, &mut pipes);
        xsub.send(frame(b"\x01head", true), &mut pipes, &options)
            .unwrap();
        xsub.send(frame(b"\x01tail", false), &mut pipes, &options)
            .unwrap();
        xsub.send(frame(b"", false), &mut pipes, &options).unwrap();
        assert_eq!(
            drain(&mut far),
            [b"\x01head".to_vec(), b"\x01tail".to_vec(), Vec::new()]
        );
        let (_, mut late) = attach_one(&mut xsub, &mut pipes);
        assert!(drain(&mut late).is_empty(), "no subscription was made");
    }

    #[test]
    fn xsub_receives_everything_and_sub_filters_whole_messages() {
        let options = Options::default();
        for filter in [false, true] {
            let mut xsub = if filter {
                XSub::filtering()
            } else {
                XSub::default()
            };
            let mut pipes = Pipes::default();
            let (_, mut far) = attach_one(&mut xsub, &mut pipes);
            xsub.subscribe(Subscription::Subscribe(b"yes"), &mut pipes);
            far.write(frame(b"no", true)).unwrap();
            far.write(frame(b"yes, but part of no", false)).unwrap();
            far.write(frame(b"yes", true)).unwrap();
            far.write(frame(b"tail", false)).unwrap();
            assert!(xsub.has_in(&mut pipes));
            let got: Vec<_> = std::iter::from_fn(|| xsub.recv(&mut pipes, &options).ok())
                .map(|m| m.to_vec())
                .collect();
            let expected: &[&[u8]] = if filter {
                &[b"yes", b"tail"]
            } else {
                &[b"no", b"yes, but part of no", b"yes", b"tail"]
            };
            assert_eq!(got, expected);
            assert!(!xsub.has_in(&mut pipes));
        }
    }

    #[test]
    fn sub_drops_unwanted_messages_in_the_pipe_and_leaves_the_place_alone() {
        // Without `has_in` first: `recv_into` filters frame by frame in the
        // pipe. A dropped frame is freed (its owner counts), and a receive
        // that finds only unwanted messages leaves the caller's message as
        // it was.
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::sync::Arc;
        struct Counted(Arc<AtomicUsize>, Vec<u8>);
        impl AsRef<[u8]> for Counted {
            fn as_ref(&self) -> &[u8] {
                &self.1
            }
        }
        impl Drop for Counted {
            fn drop(&mut self) {
                self.0.fetch_add(1, Ordering::SeqCst);
            }
        }
        let options = Options::default();
        let mut sub = XSub::filtering();
        let mut pipes = Pipes::default();
        let (id, mut far) = attach_one(&mut sub, &mut pipes);
        sub.subscribe(Subscription::Subscribe(b"yes"), &mut pipes);
        let drops = Arc::new(AtomicUsize::new(0));
        let counted = |body: &[u8], more| {
            let mut msg = Message::from_owner(Counted(drops.clone(), body.to_vec()));
            msg.set_more(more);
            msg
        };
        far.write(counted(b"no", true)).unwrap();
        far.write(counted(b"yes, but part of no", false)).unwrap();
        let mut place = Message::from("old");
        assert!(matches!(
            sub.recv_into(&mut place, &mut pipes, &options),
            Err(Error::EAGAIN)
        ));
        assert_eq!(&place[..], b"old", "untouched");
        assert_eq!(drops.load(Ordering::SeqCst), 2, "both frames dropped");

        far.write(counted(b"no", false)).unwrap();
        far.write(counted(b"yes", true)).unwrap();
        far.write(counted(b"tail", false)).unwrap();
        // The empty pipe was marked asleep; a socket would now process the
        // writer's ActivateRead.
        sub.read_activated(id, &mut pipes);
        let mut got = Vec::new();
        while sub.recv_into(&mut place, &mut pipes, &options).is_ok() {
            got.push(place.to_vec());
        }
        assert_eq!(got, [b"yes".to_vec(), b"tail".to_vec()]);
        drop(place);
        assert_eq!(drops.load(Ordering::SeqCst), 5, "each frame dropped once");
    }
}
