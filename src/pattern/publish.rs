//! PUB (RFC 29): sends each message to the subscribers whose subscriptions
//! match it; never receives.
//!
//! A subscriber at its high-water mark loses the message (whole) and the
//! others still get it: a send never blocks, and a PUB with no subscribers
//! drops everything. Subscribers filter upstream: their subscriptions
//! arrive in the pipes as `\x01topic` / `\x00topic` messages, which PUB reads
//! and ignores anything else. All of that is XPUB's machinery, as in libzmq
//! (`pub_t` derives from `xpub_t`), minus handing subscriptions to the
//! application. The file is named `publish` because `pub` is a keyword.

use super::pipes::Pipes;
use super::xpub::XPub;
use super::Pattern;
use crate::error::{Error, Result};
use crate::msg::Message;
use crate::pipe::PipeId;
use crate::socket::options::Options;

/// The PUB pattern.
#[derive(Debug)]
pub(crate) struct Pub {
    xpub: XPub,
}

impl Default for Pub {
    fn default() -> Self {
        Pub {
            xpub: XPub::without_notices(),
        }
    }
}

impl Pub {
    /// How many times a message was dropped for a subscriber at its
    /// high-water mark.
    #[allow(dead_code)] // For tests and benches.
    pub(crate) fn dropped(&self) -> u64 {
        self.xpub.dropped()
    }
}

impl Pattern for Pub {
    fn attach(&mut self, id: PipeId, pipes: &mut Pipes, options: &Options) {
        self.xpub.attach(id, pipes, options);
    }
    fn read_activated(&mut self, id: PipeId, pipes: &mut Pipes) {
        self.xpub.read_activated(id, pipes);
    }
    fn write_activated(&mut self, id: PipeId, pipes: &mut Pipes) {
        self.xpub.write_activated(id, pipes);
    }
    fn terminated(&mut self, id: PipeId, pipes: &mut Pipes) {
        self.xpub.terminated(id, pipes);
    }
    #[inline]
    fn send(
        &mut self,
        msg: Message,
        pipes: &mut Pipes,
        options: &Options,
    ) -> std::result::Result<(), (Error, Message)> {
        self.xpub.send(msg, pipes, options)
    }
    fn recv(&mut self, _: &mut Pipes, _: &Options) -> Result<Message> {
        Err(Error::ENOTSUP)
    }
    fn has_in(&mut self, _: &mut Pipes) -> bool {
        false
    }
    fn has_out(&mut self, pipes: &mut Pipes) -> bool {
        self.xpub.has_out(pipes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipe::{pipe_pair, PeerInfo};

    #[test]
    fn a_slow_subscriber_loses_messages_and_the_publisher_never_waits() {
        let options = Options::default();
        let mut publisher = Pub::default();
        let mut pipes = Pipes::default();
        let (near, mut far) = pipe_pair([4, 4], "inproc://pub");
        let id = pipes.insert(near, PeerInfo { routing_id: None });
        far.write(Message::from(&b"\x01"[..])).unwrap();
        publisher.attach(id, &mut pipes, &options);
        for i in 0..10 {
            assert!(publisher.has_out(&mut pipes));
            publisher
                .send(Message::from(format!("{i}").as_str()), &mut pipes, &options)
                .unwrap();
        }
        let got: Vec<_> = std::iter::from_fn(|| far.read())
            .map(|m| m.to_vec())
            .collect();
        assert_eq!(
            got,
            [b"0".to_vec(), b"1".to_vec(), b"2".to_vec(), b"3".to_vec()]
        );
        assert_eq!(publisher.dropped(), 6);
        assert!(matches!(
            publisher.recv(&mut pipes, &options),
            Err(Error::ENOTSUP)
        ));
    }

    #[test]
    fn without_subscribers_everything_is_dropped() {
        let options = Options::default();
        let mut publisher = Pub::default();
        let mut pipes = Pipes::default();
        assert!(publisher.has_out(&mut pipes));
        publisher
            .send(Message::from("lost"), &mut pipes, &options)
            .unwrap();
        assert_eq!(publisher.dropped(), 0, "no subscriber, so nobody's limit");
    }
}
