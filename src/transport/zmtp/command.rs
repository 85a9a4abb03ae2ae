//! ZMTP commands: single frames with the COMMAND flag whose body is a name
//! (one size octet, then 1-255 letters) followed by the command's data.
//!
//! ```text
//! READY      %d5 "READY"      *(name-size name value-size(4, BE) value)
//! ERROR      %d5 "ERROR"      reason-size reason
//! SUBSCRIBE  %d9 "SUBSCRIBE"  topic                        (3.1)
//! CANCEL     %d6 "CANCEL"     topic                        (3.1)
//! PING       %d4 "PING"       ttl(2, BE, deciseconds) context(0-16)  (3.1)
//! PONG       %d4 "PONG"       context(0-16)                (3.1)
//! ```
//!
//! Commands of other names (a mechanism's own, JOIN/LEAVE) decode as
//! [`Command::Other`]; the connection decides what to do with them.
//! Variable-length data (topics, contexts, property values) are `Bytes`
//! sliced out of the frame body without a copy.

use std::fmt;

use bytes::{BufMut, Bytes, BytesMut};

use super::frame::FrameHeader;
use super::{ZmtpError, UNNAMED};

/// `READY`: the NULL mechanism's handshake command, carrying metadata.
pub(crate) const READY: &str = "READY";
/// `ERROR`: a fatal handshake error, with a reason.
pub(crate) const ERROR: &str = "ERROR";
/// `SUBSCRIBE`: a subscriber's new subscription (3.1).
pub(crate) const SUBSCRIBE: &str = "SUBSCRIBE";
/// `CANCEL`: a subscriber cancels a subscription (3.1).
pub(crate) const CANCEL: &str = "CANCEL";
/// `PING`: a heartbeat request (3.1).
pub(crate) const PING: &str = "PING";
/// `PONG`: a heartbeat reply (3.1).
pub(crate) const PONG: &str = "PONG";

/// The longest ping context: RFC 37's `ping-context = 0*16OCTET`.
pub(crate) const MAX_PING_CONTEXT: usize = 16;
/// The longest ERROR reason: its size is one octet.
pub(crate) const MAX_ERROR_REASON: usize = u8::MAX as usize;
/// The longest property value: RFC 37, "0 to 2,147,483,647 (2^31-1)".
pub(crate) const MAX_PROPERTY_VALUE: usize = i32::MAX as usize;

/// One ZMTP command.
#[derive(Clone, PartialEq, Eq)]
pub(crate) enum Command {
    /// The NULL handshake's metadata.
    Ready(Metadata),
    /// A fatal error; the reason has no defined meaning, it is for logs.
    Error {
        /// Printable ASCII, at most 255 octets on the wire.
        reason: String,
    },
    /// Subscribe to messages starting with the topic.
    Subscribe(Bytes),
    /// Cancel one subscription to the topic.
    Cancel(Bytes),
    /// Heartbeat request.
    Ping {
        /// How long the peer may stay silent before we may close, in tenths
        /// of a second (0: no limit).
        ttl_deciseconds: u16,
        /// Echoed back in the PONG; at most 16 octets.
        context: Bytes,
    },
    /// Heartbeat reply.
    Pong {
        /// The PING's context.
        context: Bytes,
    },
    /// A command this codec does not interpret.
    Other {
        /// Its name (letters only).
        name: String,
        /// Everything after the name.
        data: Bytes,
    },
}

impl Command {
    /// An ERROR command.
    pub(crate) fn error(reason: &str) -> Command {
        Command::Error {
            reason: reason.to_owned(),
        }
    }

    /// The command's name.
    pub(crate) fn name(&self) -> &str {
        match self {
            Command::Ready(_) => READY,
            Command::Error { .. } => ERROR,
            Command::Subscribe(_) => SUBSCRIBE,
            Command::Cancel(_) => CANCEL,
            Command::Ping { .. } => PING,
            Command::Pong { .. } => PONG,
            Command::Other { name, .. } => name,
        }
    }

    /// The ERROR reason as sent: cut to 255 octets, at a character boundary.
    fn reason_on_wire(reason: &str) -> &[u8] {
        let mut len = reason.len().min(MAX_ERROR_REASON);
        while !reason.is_char_boundary(len) {
            len -= 1;
        }
        &reason.as_bytes()[..len]
    }

    /// A context as sent: at most 16 octets (libzmq cuts a longer one the
    /// same way when it echoes it).
    fn context_on_wire(context: &Bytes) -> &[u8] {
        &context[..context.len().min(MAX_PING_CONTEXT)]
    }

    /// The frame body's length: name size octet, name, data.
    pub(crate) fn body_len(&self) -> usize {
        let data = match self {
            Command::Ready(metadata) => metadata.encoded_len(),
            Command::Error { reason } => 1 + Command::reason_on_wire(reason).len(),
            Command::Subscribe(topic) | Command::Cancel(topic) => topic.len(),
            Command::Ping { context, .. } => 2 + Command::context_on_wire(context).len(),
            Command::Pong { context } => Command::context_on_wire(context).len(),
            Command::Other { data, .. } => data.len(),
        };
        1 + self.name().len().min(usize::from(u8::MAX)) + data
    }

    /// Appends the whole frame, header included, to `out`.
    pub(crate) fn encode(&self, out: &mut BytesMut) {
        let body_len = self.body_len();
        let header = FrameHeader::command(body_len);
        out.reserve(header.encoded_len() + body_len);
        header.encode(out);
        let name = &self.name().as_bytes()[..self.name().len().min(usize::from(u8::MAX))];
        out.put_u8(name.len() as u8);
        out.put_slice(name);
        match self {
            Command::Ready(metadata) => metadata.encode(out),
            Command::Error { reason } => {
                let reason = Command::reason_on_wire(reason);
                out.put_u8(reason.len() as u8);
                out.put_slice(reason);
            }
            Command::Subscribe(topic) | Command::Cancel(topic) => out.put_slice(topic),
            Command::Ping {
                ttl_deciseconds,
                context,
            } => {
                out.put_u16(*ttl_deciseconds);
                out.put_slice(Command::context_on_wire(context));
            }
            Command::Pong { context } => out.put_slice(Command::context_on_wire(context)),
            Command::Other { data, .. } => out.put_slice(data),
        }
    }

    /// Decodes a command frame's body.
    pub(crate) fn decode(body: Bytes) -> Result<Command, ZmtpError> {
        let Some(&name_len) = body.first() else {
            return Err(ZmtpError::malformed(UNNAMED, "empty command frame"));
        };
        let name_len = usize::from(name_len);
        let Some(name) = body.get(1..1 + name_len) else {
            return Err(ZmtpError::malformed(
                &String::from_utf8_lossy(&body[1..]),
                "the name runs past the frame",
            ));
        };
        if name.is_empty() || !name.iter().all(u8::is_ascii_alphabetic) {
            return Err(ZmtpError::malformed(
                &name.escape_ascii().to_string(),
                "the name is not 1-255 letters",
            ));
        }
        // Letters only, so this is the name exactly.
        let name = String::from_utf8_lossy(name).into_owned();
        let data = body.slice(1 + name_len..);
        Ok(match name.as_str() {
            READY => Command::Ready(Metadata::decode(&data)?),
            ERROR => {
                let reason = data
                    .first()
                    .and_then(|&len| data.get(1..1 + usize::from(len)))
                    .ok_or_else(|| ZmtpError::malformed(ERROR, "the reason runs past the frame"))?;
                // Octets after the reason are ignored, as libzmq does.
                Command::Error {
                    reason: String::from_utf8_lossy(reason).into_owned(),
                }
            }
            SUBSCRIBE => Command::Subscribe(data),
            CANCEL => Command::Cancel(data),
            PING => {
                if data.len() < 2 {
                    return Err(ZmtpError::malformed(PING, "no TTL"));
                }
                if data.len() - 2 > MAX_PING_CONTEXT {
                    return Err(ZmtpError::malformed(PING, "context longer than 16 octets"));
                }
                Command::Ping {
                    ttl_deciseconds: u16::from_be_bytes([data[0], data[1]]),
                    context: data.slice(2..),
                }
            }
            PONG => {
                if data.len() > MAX_PING_CONTEXT {
                    return Err(ZmtpError::malformed(PONG, "context longer than 16 octets"));
                }
                Command::Pong { context: data }
            }
            _ => Command::Other { name, data },
        })
    }
}

impl fmt::Debug for Command {
    /// Shows topics, contexts and data by length and a short preview, never
    /// in full.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Command::Ready(metadata) => f.debug_tuple("Ready").field(metadata).finish(),
            Command::Error { reason } => f.debug_struct("Error").field("reason", reason).finish(),
            Command::Subscribe(topic) => f.debug_tuple("Subscribe").field(&Preview(topic)).finish(),
            Command::Cancel(topic) => f.debug_tuple("Cancel").field(&Preview(topic)).finish(),
            Command::Ping {
                ttl_deciseconds,
                context,
            } => f
                .debug_struct("Ping")
                .field("ttl_deciseconds", ttl_deciseconds)
                .field("context", &Preview(context))
                .finish(),
            Command::Pong { context } => f
                .debug_struct("Pong")
                .field("context", &Preview(context))
                .finish(),
            Command::Other { name, data } => f
                .debug_struct("Other")
                .field("name", name)
                .field("data", &Preview(data))
                .finish(),
        }
    }
}

/// Bytes shown by `Debug`: at most 32, then `...` and the length.
struct Preview<'a>(&'a [u8]);

impl fmt::Debug for Preview<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const SHOWN: usize = 32;
        let shown = &self.0[..self.0.len().min(SHOWN)];
        write!(f, "b\"{}\"", shown.escape_ascii())?;
        if shown.len() < self.0.len() {
            write!(f, "... ({} bytes)", self.0.len())?;
        }
        Ok(())
    }
}

/// The properties of a READY command, in the order received. Names are
/// looked up case-insensitively (RFC 37: "The case (upper or lower) of
/// names SHALL NOT be significant").
#[derive(Clone, Default, PartialEq, Eq)]
pub(crate) struct Metadata {
    properties: Vec<(String, Bytes)>,
}

impl Metadata {
    /// Adds a property. The name must be 1-255 printable ASCII characters
    /// and the value at most 2^31 - 1 octets; property names may come from
    /// the application (`ZMQ_METADATA`), so this is checked, not assumed.
    pub(crate) fn insert(&mut self, name: &str, value: impl Into<Bytes>) -> Result<(), ZmtpError> {
        let value = value.into();
        Metadata::check_name(name.as_bytes())?;
        if value.len() > MAX_PROPERTY_VALUE {
            return Err(ZmtpError::malformed(
                READY,
                "property value over 2^31 - 1 octets",
            ));
        }
        self.properties.push((name.to_owned(), value));
        Ok(())
    }

    /// The first value of the property `name`, whatever its case.
    pub(crate) fn get(&self, name: &str) -> Option<&Bytes> {
        self.properties
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value)
    }

    /// Every property, in order (names as the peer spelled them).
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&str, &Bytes)> {
        self.properties
            .iter()
            .map(|(name, value)| (name.as_str(), value))
    }

    /// The number of properties.
    pub(crate) fn len(&self) -> usize {
        self.properties.len()
    }

    /// Whether there are none.
    pub(crate) fn is_empty(&self) -> bool {
        self.properties.is_empty()
    }

    /// A name is 1-255 octets. RFC 37's grammar allows only letters, digits
    /// and `-_.+`; libzmq checks nothing and lets applications choose
    /// `X-` names freely, so any printable ASCII other than space passes.
    fn check_name(name: &[u8]) -> Result<(), ZmtpError> {
        if name.is_empty() || name.len() > usize::from(u8::MAX) {
            return Err(ZmtpError::malformed(
                READY,
                "property name not 1-255 octets",
            ));
        }
        if !name.iter().all(u8::is_ascii_graphic) {
            return Err(ZmtpError::malformed(
                READY,
                "property name not printable ASCII",
            ));
        }
        Ok(())
    }

    fn encoded_len(&self) -> usize {
        self.properties
            .iter()
            .map(|(name, value)| 1 + name.len() + 4 + value.len())
            .sum()
    }

    fn encode(&self, out: &mut BytesMut) {
        for (name, value) in &self.properties {
            // `insert` bounds both lengths.
            out.put_u8(name.len() as u8);
            out.put_slice(name.as_bytes());
            out.put_u32(value.len() as u32);
            out.put_slice(value);
        }
    }

    /// Reads the properties filling `data`, which must end exactly after the
    /// last one.
    fn decode(data: &Bytes) -> Result<Metadata, ZmtpError> {
        let truncated = || ZmtpError::malformed(READY, "a property runs past the frame");
        let mut metadata = Metadata::default();
        let mut at = 0;
        while at < data.len() {
            let name_len = usize::from(data[at]);
            at += 1;
            let name = data.get(at..at + name_len).ok_or_else(truncated)?;
            Metadata::check_name(name)?;
            at += name_len;
            let size = data.get(at..at + 4).ok_or_else(truncated)?;
            let value_len = u32::from_be_bytes([size[0], size[1], size[2], size[3]]) as usize;
            if value_len > MAX_PROPERTY_VALUE {
                return Err(ZmtpError::malformed(
                    READY,
                    "property value over 2^31 - 1 octets",
                ));
            }
            at += 4;
            if data.len() - at < value_len {
                return Err(truncated());
            }
            // Printable ASCII, checked above.
            let name = String::from_utf8_lossy(name).into_owned();
            metadata
                .properties
                .push((name, data.slice(at..at + value_len)));
            at += value_len;
        }
        Ok(metadata)
    }
}

impl fmt::Debug for Metadata {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.properties.iter().map(|(k, v)| (k, Preview(v))))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(command: &Command) -> Vec<u8> {
        let mut out = BytesMut::new();
        command.encode(&mut out);
        out.to_vec()
    }

    /// Decodes a whole frame as encoded (header checked, then body).
    fn decoded(frame: &[u8]) -> Result<Command, ZmtpError> {
        let (header, len) = FrameHeader::parse(frame)?.expect("complete header");
        assert!(header.command);
        assert_eq!(header.size as usize, frame.len() - len);
        Command::decode(Bytes::copy_from_slice(&frame[len..]))
    }

    fn ready(properties: &[(&str, &[u8])]) -> Command {
        let mut metadata = Metadata::default();
        for (name, value) in properties {
            metadata.insert(name, value.to_vec()).unwrap();
        }
        Command::Ready(metadata)
    }

    #[test]
    fn ready_of_rfc_37s_worked_example_is_byte_exact() {
        // The DEALER client's READY: Socket-Type "DEALER", empty Identity.
        let mut expected = vec![0x04, 41, 5];
        expected.extend_from_slice(b"READY");
        expected.push(11);
        expected.extend_from_slice(b"Socket-Type");
        expected.extend_from_slice(&[0, 0, 0, 6]);
        expected.extend_from_slice(b"DEALER");
        expected.push(8);
        expected.extend_from_slice(b"Identity");
        expected.extend_from_slice(&[0, 0, 0, 0]);
        let command = ready(&[("Socket-Type", b"DEALER"), ("Identity", b"")]);
        assert_eq!(encoded(&command), expected);
        assert_eq!(decoded(&expected), Ok(command));

        // The ROUTER server's reply: Socket-Type only, 28 octets.
        let command = ready(&[("Socket-Type", b"ROUTER")]);
        let bytes = encoded(&command);
        assert_eq!(&bytes[..2], [0x04, 28]);
        assert_eq!(&bytes[2..8], b"\x05READY");
        assert_eq!(&bytes[20..], b"\x00\x00\x00\x06ROUTER");
    }

    #[test]
    fn ready_for_req_is_byte_exact() {
        let command = ready(&[("Socket-Type", b"REQ")]);
        assert_eq!(
            encoded(&command),
            b"\x04\x19\x05READY\x0bSocket-Type\x00\x00\x00\x03REQ"
        );
    }

    #[test]
    fn every_command_round_trips() {
        let commands = [
            ready(&[]),
            ready(&[("Socket-Type", b"PUB"), ("X-Big", &[7u8; 300])]),
            Command::error("Invalid socket type"),
            Command::error(""),
            Command::Subscribe(Bytes::from_static(b"topic")),
            Command::Subscribe(Bytes::new()),
            Command::Cancel(Bytes::from_static(b"topic")),
            Command::Ping {
                ttl_deciseconds: 0x1234,
                context: Bytes::new(),
            },
            Command::Ping {
                ttl_deciseconds: 0,
                context: Bytes::from_static(&[9; 16]),
            },
            Command::Pong {
                context: Bytes::from_static(b"ctx"),
            },
            Command::Other {
                name: "JOIN".into(),
                data: Bytes::from_static(b"group"),
            },
        ];
        for command in commands {
            let bytes = encoded(&command);
            assert_eq!(
                bytes.len() - command.body_len(),
                if bytes[0] == 0x06 { 9 } else { 2 }
            );
            assert_eq!(decoded(&bytes), Ok(command.clone()), "{command:?}");
        }
    }

    #[test]
    fn small_commands_are_byte_exact() {
        assert_eq!(
            encoded(&Command::Subscribe(Bytes::from_static(b"A"))),
            b"\x04\x0b\x09SUBSCRIBEA"
        );
        assert_eq!(
            encoded(&Command::Cancel(Bytes::from_static(b"A"))),
            b"\x04\x08\x06CANCELA"
        );
        assert_eq!(
            encoded(&Command::Ping {
                ttl_deciseconds: 300,
                context: Bytes::from_static(b"c")
            }),
            b"\x04\x08\x04PING\x01\x2cc"
        );
        assert_eq!(
            encoded(&Command::Pong {
                context: Bytes::from_static(b"c")
            }),
            b"\x04\x06\x04PONGc"
        );
        assert_eq!(encoded(&Command::error("no")), b"\x04\x09\x05ERROR\x02no");
    }

    #[test]
    fn long_reasons_and_contexts_are_cut_on_the_wire() {
        let long = "é".repeat(200); // 400 octets
        let bytes = encoded(&Command::error(&long));
        let Ok(Command::Error { reason }) = decoded(&bytes) else {
            panic!("not an ERROR");
        };
        assert_eq!(reason, "é".repeat(127), "cut at a character boundary");

        let bytes = encoded(&Command::Pong {
            context: Bytes::from(vec![1u8; 40]),
        });
        assert_eq!(
            decoded(&bytes),
            Ok(Command::Pong {
                context: Bytes::from(vec![1u8; 16])
            })
        );
    }

    #[test]
    fn property_names_are_case_insensitive() {
        let Command::Ready(metadata) = ready(&[("socket-TYPE", b"REQ"), ("Identity", b"id")])
        else {
            unreachable!()
        };
        assert_eq!(
            metadata.get("Socket-Type").map(|v| &v[..]),
            Some(&b"REQ"[..])
        );
        assert_eq!(metadata.get("IDENTITY").map(|v| &v[..]), Some(&b"id"[..]));
        assert_eq!(metadata.get("Resource"), None);
        assert_eq!(metadata.len(), 2);
        assert!(!metadata.is_empty());
        let names: Vec<_> = metadata.iter().map(|(name, _)| name).collect();
        assert_eq!(names, ["socket-TYPE", "Identity"]);
    }

    #[test]
    fn bad_property_names_are_refused_locally() {
        let mut metadata = Metadata::default();
        assert!(metadata.insert("", "x").is_err());
        assert!(metadata.insert(&"N".repeat(256), "x").is_err());
        assert!(metadata.insert("with space", "x").is_err());
        assert!(metadata.insert(&"N".repeat(255), "x").is_ok());
        assert!(metadata.insert("X-App.Key+1", "x").is_ok());
    }

    fn malformed(body: &[u8]) -> ZmtpError {
        Command::decode(Bytes::copy_from_slice(body)).unwrap_err()
    }

    fn reason(error: ZmtpError) -> &'static str {
        match error {
            ZmtpError::MalformedCommand { reason, .. } => reason,
            other => panic!("not malformed: {other:?}"),
        }
    }

    #[test]
    fn malformed_names_are_rejected() {
        assert_eq!(reason(malformed(b"")), "empty command frame");
        assert_eq!(reason(malformed(b"\x00")), "the name is not 1-255 letters");
        assert_eq!(
            reason(malformed(b"\x05REA")),
            "the name runs past the frame"
        );
        assert_eq!(
            reason(malformed(b"\x04PI G")),
            "the name is not 1-255 letters"
        );
        assert_eq!(
            reason(malformed(b"\x02\xff\xfe")),
            "the name is not 1-255 letters"
        );
    }

    #[test]
    fn malformed_ready_is_rejected() {
        let cases: [(&[u8], &str); 6] = [
            (b"\x05READY\x00", "property name not 1-255 octets"),
            (b"\x05READY\x03ab", "a property runs past the frame"),
            (b"\x05READY\x01a\x00\x00", "a property runs past the frame"),
            (
                b"\x05READY\x01a\x00\x00\x00\x05abc",
                "a property runs past the frame",
            ),
            (
                b"\x05READY\x01a\x80\x00\x00\x00",
                "property value over 2^31 - 1 octets",
            ),
            (
                b"\x05READY\x02a\x01\x00\x00\x00\x00",
                "property name not printable ASCII",
            ),
        ];
        for (body, why) in cases {
            assert_eq!(reason(malformed(body)), why, "{body:?}");
        }
        // libzmq rejects a lone trailing octet too.
        assert_eq!(
            reason(malformed(b"\x05READY\x01a\x00\x00\x00\x00\x01")),
            "a property runs past the frame"
        );
    }

    #[test]
    fn malformed_error_ping_and_pong_are_rejected() {
        assert_eq!(
            reason(malformed(b"\x05ERROR")),
            "the reason runs past the frame"
        );
        assert_eq!(
            reason(malformed(b"\x05ERROR\x03ab")),
            "the reason runs past the frame"
        );
        assert_eq!(reason(malformed(b"\x04PING")), "no TTL");
        assert_eq!(reason(malformed(b"\x04PING\x00")), "no TTL");
        let mut ping = b"\x04PING\x00\x00".to_vec();
        ping.extend_from_slice(&[0; 17]);
        assert_eq!(reason(malformed(&ping)), "context longer than 16 octets");
        let mut pong = b"\x04PONG".to_vec();
        pong.extend_from_slice(&[0; 17]);
        assert_eq!(reason(malformed(&pong)), "context longer than 16 octets");
    }

    #[test]
    fn error_ignores_what_follows_the_reason() {
        assert_eq!(
            Command::decode(Bytes::from_static(b"\x05ERROR\x02nojunk")),
            Ok(Command::error("no"))
        );
    }

    #[test]
    fn command_names_are_case_sensitive() {
        assert_eq!(
            Command::decode(Bytes::from_static(b"\x05ready")),
            Ok(Command::Other {
                name: "ready".into(),
                data: Bytes::new()
            })
        );
    }

    #[test]
    fn debug_previews_data() {
        let shown = format!("{:?}", Command::Subscribe(Bytes::from(vec![b'a'; 100])));
        assert!(shown.contains("... (100 bytes)"), "{shown}");
        assert!(shown.len() < 80, "{shown}");
    }
}
