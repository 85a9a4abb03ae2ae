//! Subscriptions on the wire, in both forms.
//!
//! ZMTP 3.1 carries them as commands, `SUBSCRIBE topic` and `CANCEL topic`.
//! ZMTP 3.0 (RFC 23, and RFC 29's PUB-SUB) carries them as ordinary
//! single-frame messages: `\x01topic` subscribes, `\x00topic` cancels.
//! zactor's pipes use the message form whatever the transport (so XSUB and
//! XPUB see subscriptions as messages, as libzmq's do), so a connection
//! converts: outgoing subscription messages become commands for a 3.1 peer
//! and stay messages for a 3.0 one; incoming commands become messages.

use bytes::Bytes;

use super::command::Command;
use super::encoder::Encoder;
use super::greeting::Version;
use crate::msg::Message;

/// The first octet of a subscribe message.
const SUBSCRIBE_FLAG: u8 = 1;
/// The first octet of a cancel message.
const CANCEL_FLAG: u8 = 0;

/// A subscription change, with its topic (a prefix; empty matches all).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Subscription {
    /// Receive messages starting with the topic.
    Subscribe(Bytes),
    /// Undo one subscription to the topic.
    Cancel(Bytes),
}

impl Subscription {
    /// Reads the message form. `msg` must be the first frame of a message
    /// (the caller tracks MORE); a frame with MORE set, an empty frame, or
    /// one starting with another octet is data, not a subscription.
    pub(crate) fn from_message(msg: &Message) -> Option<Subscription> {
        if msg.get_more() {
            return None;
        }
        match msg.split_first() {
            Some((&SUBSCRIBE_FLAG, topic)) => {
                Some(Subscription::Subscribe(Bytes::copy_from_slice(topic)))
            }
            Some((&CANCEL_FLAG, topic)) => {
                Some(Subscription::Cancel(Bytes::copy_from_slice(topic)))
            }
            _ => None,
        }
    }

    /// The message form: `\x01topic` or `\x00topic`, one frame.
    pub(crate) fn to_message(&self) -> Message {
        let (flag, topic) = match self {
            Subscription::Subscribe(topic) => (SUBSCRIBE_FLAG, topic),
            Subscription::Cancel(topic) => (CANCEL_FLAG, topic),
        };
        let mut body = Vec::with_capacity(1 + topic.len());
        body.push(flag);
        body.extend_from_slice(topic);
        Message::from(body)
    }

    /// Reads the command form: `None` for any other command.
    pub(crate) fn from_command(command: &Command) -> Option<Subscription> {
        match command {
            Command::Subscribe(topic) => Some(Subscription::Subscribe(topic.clone())),
            Command::Cancel(topic) => Some(Subscription::Cancel(topic.clone())),
            _ => None,
        }
    }

    /// The command form.
    pub(crate) fn to_command(&self) -> Command {
        match self {
            Subscription::Subscribe(topic) => Command::Subscribe(topic.clone()),
            Subscription::Cancel(topic) => Command::Cancel(topic.clone()),
        }
    }

    /// Queues the subscription in the form the negotiated `version` uses.
    pub(crate) fn encode(&self, version: Version, encoder: &mut Encoder) {
        if version.has_subscription_commands() {
            encoder.command(&self.to_command());
        } else {
            encoder.message(self.to_message());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_form_round_trips() {
        for sub in [
            Subscription::Subscribe(Bytes::from_static(b"weather")),
            Subscription::Cancel(Bytes::from_static(b"weather")),
            Subscription::Subscribe(Bytes::new()),
            Subscription::Cancel(Bytes::from(vec![9u8; 1000])),
        ] {
            let msg = sub.to_message();
            assert!(!msg.get_more());
            assert_eq!(Subscription::from_message(&msg), Some(sub.clone()));
            assert_eq!(Subscription::from_command(&sub.to_command()), Some(sub));
        }
        assert_eq!(
            &Subscription::Subscribe(Bytes::from_static(b"A")).to_message()[..],
            b"\x01A"
        );
        assert_eq!(
            &Subscription::Cancel(Bytes::from_static(b"A")).to_message()[..],
            b"\x00A"
        );
    }

    #[test]
    fn other_messages_are_data() {
        assert_eq!(Subscription::from_message(&Message::new()), None);
        assert_eq!(Subscription::from_message(&Message::from("\x02x")), None);
        let mut first = Message::from("\x01x");
        first.set_more(true);
        assert_eq!(Subscription::from_message(&first), None);
        assert_eq!(
            Subscription::from_command(&Command::Pong {
                context: Bytes::new()
            }),
            None
        );
    }

    #[test]
    fn the_version_picks_the_wire_form() {
        let sub = Subscription::Subscribe(Bytes::from_static(b"A"));
        let mut encoder = Encoder::new();
        sub.encode(Version::V3_1, &mut encoder);
        assert_eq!(encoder.to_vec(), b"\x04\x0b\x09SUBSCRIBEA");

        let mut encoder = Encoder::new();
        sub.encode(Version::V3_0, &mut encoder);
        assert_eq!(encoder.to_vec(), b"\x00\x02\x01A");

        let mut encoder = Encoder::new();
        Subscription::Cancel(Bytes::from_static(b"A")).encode(Version::V3_0, &mut encoder);
        assert_eq!(encoder.to_vec(), b"\x00\x02\x00A");
    }
}
