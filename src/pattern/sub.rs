//! SUB (RFC 29): receives the messages that match its subscriptions; never
//! sends.
//!
//! `ZMQ_SUBSCRIBE` / `ZMQ_UNSUBSCRIBE` become `\x01topic` / `\x00topic`
//! messages sent upstream exactly as an XSUB application would send them
//! (libzmq's `sub_t` derives from `xsub_t` the same way): every subscribe,
//! an unsubscribe when its last reference goes, past the high-water mark,
//! and all current subscriptions to each pipe that attaches. Publishers
//! filter, and SUB filters again on the first frame of each message, so a
//! message published before an unsubscription arrived is still dropped here,
//! whole.

use super::pipes::Pipes;
use super::trie::Subscription;
use super::xsub::XSub;
use super::{Pattern, PatternOption};
use crate::error::{Error, Result};
use crate::msg::Message;
use crate::pipe::PipeId;
use crate::socket::options::Options;

/// The SUB pattern.
#[derive(Debug)]
pub(crate) struct Sub {
    xsub: XSub,
}

impl Default for Sub {
    fn default() -> Self {
        Sub {
            xsub: XSub::filtering(),
        }
    }
}

impl Pattern for Sub {
    fn attach(&mut self, id: PipeId, pipes: &mut Pipes, options: &Options) {
        self.xsub.attach(id, pipes, options);
    }
    fn read_activated(&mut self, id: PipeId, pipes: &mut Pipes) {
        self.xsub.read_activated(id, pipes);
    }
    fn write_activated(&mut self, id: PipeId, pipes: &mut Pipes) {
        self.xsub.write_activated(id, pipes);
    }
    fn terminated(&mut self, id: PipeId, pipes: &mut Pipes) {
        self.xsub.terminated(id, pipes);
    }
    fn send(
        &mut self,
        msg: Message,
        _: &mut Pipes,
        _: &Options,
    ) -> std::result::Result<(), (Error, Message)> {
        Err((Error::ENOTSUP, msg))
    }
    #[inline]
    fn recv(&mut self, pipes: &mut Pipes, options: &Options) -> Result<Message> {
        self.xsub.recv(pipes, options)
    }
    #[inline]
    fn recv_into(&mut self, out: &mut Message, pipes: &mut Pipes, options: &Options) -> Result<()> {
        self.xsub.recv_into(out, pipes, options)
    }
    fn has_in(&mut self, pipes: &mut Pipes) -> bool {
        self.xsub.has_in(pipes)
    }
    fn has_out(&mut self, _: &mut Pipes) -> bool {
        false
    }
    fn set_option(&mut self, option: PatternOption<'_>, pipes: &mut Pipes) -> Result<()> {
        let subscription = match option {
            PatternOption::Subscribe(topic) => Subscription::Subscribe(topic),
            PatternOption::Unsubscribe(topic) => Subscription::Unsubscribe(topic),
        };
        self.xsub.subscribe(subscription, pipes);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipe::{pipe_pair, PeerInfo};

    #[test]
    fn subscribing_filters_and_tells_the_publisher() {
        let options = Options::default();
        let mut sub = Sub::default();
        let mut pipes = Pipes::default();
        sub.set_option(PatternOption::Subscribe(b"weather"), &mut pipes)
            .unwrap();
        let (near, mut publisher) = pipe_pair([0, 0], "inproc://sub");
        let id = pipes.insert(near, PeerInfo { routing_id: None });
        sub.attach(id, &mut pipes, &options);
        assert_eq!(
            &publisher.read().unwrap()[..],
            b"\x01weather",
            "sent at attach"
        );

        publisher.write(Message::from("sports: 1-0")).unwrap();
        publisher.write(Message::from("weather: rain")).unwrap();
        assert_eq!(
            &sub.recv(&mut pipes, &options).unwrap()[..],
            b"weather: rain"
        );
        assert!(matches!(sub.recv(&mut pipes, &options), Err(Error::EAGAIN)));

        sub.set_option(PatternOption::Unsubscribe(b"weather"), &mut pipes)
            .unwrap();
        assert_eq!(&publisher.read().unwrap()[..], b"\x00weather");
        publisher.write(Message::from("weather: sun")).unwrap();
        assert!(!sub.has_in(&mut pipes), "filtered here too");
        assert!(!sub.has_out(&mut pipes));
        assert!(matches!(
            sub.send(Message::from("x"), &mut pipes, &options),
            Err((Error::ENOTSUP, _))
        ));
    }
}
