//! The 64-octet greeting each peer sends first, and version negotiation.
//!
//! ```text
//! octet  0      %xFF         signature (10 octets): %xFF, 8 octets of
//!        1-8    padding        padding (not significant), %x7F
//!        9      %x7F
//!        10     major        3
//!        11     minor        1 (0 from a ZMTP 3.0 peer)
//!        12-31  mechanism    "NULL", padded with %x00 to 20 octets
//!        32     as-server    0 or 1 (zero for NULL)
//!        33-63  filler       zeros
//! ```
//!
//! zactor sends its whole greeting at once (RFC 37: "When a peer does not
//! need backwards interoperability, it SHOULD send its full greeting
//! immediately"): ZMTP 1.0 and 2.0 are not supported, so there is nothing to
//! detect before committing to 3.x. The peer's greeting is read
//! incrementally and checked as soon as each part arrives, like libzmq: the
//! signature from the first ten octets, the version from octets 10-11, the
//! mechanism once all 64 are in. A peer with a higher version talks to us
//! in ours ("A peer SHALL always use its own protocol ... when talking to
//! an equal or higher protocol peer"); a 3.0 peer gets 3.0: the negotiated
//! version is the lower of the two.

use super::ZmtpError;

/// The greeting's length.
pub(crate) const GREETING_LEN: usize = 64;
/// Octets of the signature.
const SIGNATURE_LEN: usize = 10;
/// Position of the major version octet.
const MAJOR_POS: usize = 10;
/// Position of the minor version octet.
const MINOR_POS: usize = 11;
/// Position of the mechanism name.
const MECHANISM_POS: usize = 12;
/// Length of the mechanism field.
const MECHANISM_LEN: usize = 20;
/// Position of the as-server octet.
const AS_SERVER_POS: usize = MECHANISM_POS + MECHANISM_LEN;

/// First octet of the signature.
const SIGNATURE_START: u8 = 0xff;
/// Last octet of the signature.
const SIGNATURE_END: u8 = 0x7f;

/// A ZMTP protocol version, ordered as versions are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Version {
    /// The major version (3).
    pub(crate) major: u8,
    /// The minor version (0 or 1).
    pub(crate) minor: u8,
}

impl Version {
    /// ZMTP 3.0 (RFC 23): subscriptions travel as messages; no PING/PONG.
    pub(crate) const V3_0: Version = Version { major: 3, minor: 0 };
    /// ZMTP 3.1 (RFC 37): SUBSCRIBE/CANCEL and PING/PONG commands.
    pub(crate) const V3_1: Version = Version { major: 3, minor: 1 };
    /// The version zactor speaks.
    pub(crate) const OURS: Version = Version::V3_1;

    /// Whether subscriptions are SUBSCRIBE/CANCEL commands (3.1) rather
    /// than `\x01topic`/`\x00topic` messages (3.0).
    pub(crate) fn has_subscription_commands(self) -> bool {
        self >= Version::V3_1
    }
}

/// A security mechanism's name as the greeting carries it: an ASCII name
/// padded with zero octets to 20.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct MechanismName([u8; MECHANISM_LEN]);

impl MechanismName {
    /// The NULL mechanism: no authentication, no confidentiality.
    pub(crate) const NULL: MechanismName = MechanismName::padded(b"NULL");

    /// A name padded with zeros; `name` is at most 20 ASCII octets.
    const fn padded(name: &[u8]) -> MechanismName {
        let mut field = [0; MECHANISM_LEN];
        let mut i = 0;
        while i < name.len() {
            field[i] = name[i];
            i += 1;
        }
        MechanismName(field)
    }

    /// Reads the field: the name, then only zeros (RFC 37: "mechanism =
    /// 20mechanism-char", `"A"-"Z" | DIGIT | "-" | "_" | "." | "+" | %x0`,
    /// "a null padded string").
    fn parse(field: &[u8; MECHANISM_LEN]) -> Result<MechanismName, ZmtpError> {
        let len = field.iter().position(|&b| b == 0).unwrap_or(MECHANISM_LEN);
        let (name, padding) = field.split_at(len);
        let name_ok = !name.is_empty()
            && name
                .iter()
                .all(|&b| b.is_ascii_uppercase() || b.is_ascii_digit() || b"-_.+".contains(&b));
        if name_ok && padding.iter().all(|&b| b == 0) {
            Ok(MechanismName(*field))
        } else {
            let shown = field.escape_ascii().to_string();
            Err(ZmtpError::UnknownMechanism(
                shown.trim_end_matches("\\x00").to_owned(),
            ))
        }
    }

    /// The name without its padding.
    pub(crate) fn as_str(&self) -> &str {
        let len = self.0.iter().position(|&b| b == 0).unwrap_or(MECHANISM_LEN);
        // Only ASCII names are ever built or parsed, so this never fails.
        std::str::from_utf8(&self.0[..len]).unwrap_or("?")
    }
}

impl std::fmt::Debug for MechanismName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", self.as_str())
    }
}

/// Our greeting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Greeting {
    /// The version we announce.
    pub(crate) version: Version,
    /// Our security mechanism.
    pub(crate) mechanism: MechanismName,
    /// Whether we are the server of the security handshake.
    pub(crate) as_server: bool,
}

impl Greeting {
    /// The greeting of a NULL-mechanism ZMTP 3.1 peer. RFC 37: "When a peer
    /// uses the NULL security mechanism, the as-server field MUST be zero."
    pub(crate) fn null() -> Greeting {
        Greeting {
            version: Version::OURS,
            mechanism: MechanismName::NULL,
            as_server: false,
        }
    }

    /// The 64 octets on the wire. The padding is zeros (RFC 37: "the peer
    /// SHOULD set the padding field to binary zeros" when it sends its whole
    /// greeting at once).
    pub(crate) fn encode(&self) -> [u8; GREETING_LEN] {
        let mut out = [0; GREETING_LEN];
        out[0] = SIGNATURE_START;
        out[SIGNATURE_LEN - 1] = SIGNATURE_END;
        out[MAJOR_POS] = self.version.major;
        out[MINOR_POS] = self.version.minor;
        out[MECHANISM_POS..AS_SERVER_POS].copy_from_slice(&self.mechanism.0);
        out[AS_SERVER_POS] = u8::from(self.as_server);
        out
    }
}

/// The peer's greeting, checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PeerGreeting {
    /// The version the peer announced (3.0 or later).
    pub(crate) version: Version,
    /// The peer's security mechanism.
    pub(crate) mechanism: MechanismName,
    /// The peer's as-server flag (any non-zero octet counts as set; libzmq
    /// does not check it either).
    pub(crate) as_server: bool,
}

impl PeerGreeting {
    /// The version both sides speak: the lower of ours and the peer's.
    pub(crate) fn negotiated(&self) -> Version {
        self.version.min(Version::OURS)
    }

    /// Checks that the peer uses our mechanism.
    pub(crate) fn check_mechanism(&self, ours: MechanismName) -> Result<(), ZmtpError> {
        if self.mechanism == ours {
            Ok(())
        } else {
            Err(ZmtpError::MechanismMismatch {
                ours: ours.as_str().to_owned(),
                theirs: self.mechanism.as_str().to_owned(),
            })
        }
    }
}

/// Reads the peer's greeting from however many pieces it arrives in.
#[derive(Debug, Clone)]
pub(crate) struct GreetingReader {
    received: [u8; GREETING_LEN],
    len: usize,
}

impl Default for GreetingReader {
    fn default() -> Self {
        GreetingReader {
            received: [0; GREETING_LEN],
            len: 0,
        }
    }
}

impl GreetingReader {
    /// Octets still missing.
    pub(crate) fn remaining(&self) -> usize {
        GREETING_LEN - self.len
    }

    /// Takes as much of `input` as the greeting still needs: returns the
    /// octets taken and, once all 64 are in, the peer's greeting. Fails as
    /// soon as the octets received so far cannot start a ZMTP 3 greeting.
    pub(crate) fn read(
        &mut self,
        input: &[u8],
    ) -> Result<(usize, Option<PeerGreeting>), ZmtpError> {
        let taken = input.len().min(self.remaining());
        self.received[self.len..self.len + taken].copy_from_slice(&input[..taken]);
        self.len += taken;
        self.check_so_far()?;
        if self.len < GREETING_LEN {
            return Ok((taken, None));
        }
        let mut field = [0; MECHANISM_LEN];
        field.copy_from_slice(&self.received[MECHANISM_POS..AS_SERVER_POS]);
        let greeting = PeerGreeting {
            version: self.version(),
            mechanism: MechanismName::parse(&field)?,
            as_server: self.received[AS_SERVER_POS] != 0,
        };
        Ok((taken, Some(greeting)))
    }

    /// The version octets.
    fn version(&self) -> Version {
        Version {
            major: self.received[MAJOR_POS],
            minor: self.received[MINOR_POS],
        }
    }

    /// Checks the signature and version, as far as they have arrived.
    fn check_so_far(&self) -> Result<(), ZmtpError> {
        let got = &self.received[..self.len];
        // A ZMTP 1.0 peer starts with a frame, whose first octet is its size
        // (not %xFF), or %xFF then an 8-octet size and a flags octet whose
        // low bit is clear (not %x7F): both fail here, as any non-ZMTP peer.
        if got.first().is_some_and(|&b| b != SIGNATURE_START)
            || got
                .get(SIGNATURE_LEN - 1)
                .is_some_and(|&b| b != SIGNATURE_END)
        {
            return Err(ZmtpError::BadSignature);
        }
        // Judged once the minor is in, so the error names the whole version
        // (a ZMTP 2.0 peer sends its socket type there, right away).
        if self.len > MINOR_POS && self.version().major < 3 {
            let Version { major, minor } = self.version();
            return Err(ZmtpError::UnsupportedVersion { major, minor });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 37's worked example: signature, version 3.1, "NULL", not a
    /// server, zero filler.
    const NULL_GREETING: [u8; 64] = {
        let mut g = [0u8; 64];
        g[0] = 0xff;
        g[9] = 0x7f;
        g[10] = 3;
        g[11] = 1;
        g[12] = b'N';
        g[13] = b'U';
        g[14] = b'L';
        g[15] = b'L';
        g
    };

    fn read_all(bytes: &[u8]) -> Result<(usize, Option<PeerGreeting>), ZmtpError> {
        GreetingReader::default().read(bytes)
    }

    #[test]
    fn our_greeting_is_byte_exact() {
        assert_eq!(Greeting::null().encode(), NULL_GREETING);
        let server = Greeting {
            as_server: true,
            ..Greeting::null()
        };
        assert_eq!(server.encode()[32], 1);
    }

    #[test]
    fn a_greeting_round_trips() {
        let (taken, peer) = read_all(&Greeting::null().encode()).unwrap();
        assert_eq!(taken, 64);
        let peer = peer.unwrap();
        assert_eq!(peer.version, Version::V3_1);
        assert_eq!(peer.mechanism, MechanismName::NULL);
        assert_eq!(peer.mechanism.as_str(), "NULL");
        assert!(!peer.as_server);
        assert_eq!(peer.negotiated(), Version::V3_1);
        assert_eq!(peer.check_mechanism(MechanismName::NULL), Ok(()));
    }

    #[test]
    fn one_octet_at_a_time_gives_the_same_greeting() {
        let mut reader = GreetingReader::default();
        for (i, &byte) in NULL_GREETING.iter().enumerate() {
            let (taken, peer) = reader.read(&[byte]).unwrap();
            assert_eq!(taken, 1);
            assert_eq!(peer.is_some(), i == 63);
        }
    }

    #[test]
    fn only_the_greeting_is_taken() {
        let mut bytes = NULL_GREETING.to_vec();
        bytes.extend_from_slice(&[4, 5, b'R']);
        let mut reader = GreetingReader::default();
        let (taken, _) = reader.read(&bytes[..30]).unwrap();
        assert_eq!(taken, 30);
        let (taken, peer) = reader.read(&bytes[30..]).unwrap();
        assert_eq!(taken, 34);
        assert!(peer.is_some());
    }

    #[test]
    fn padding_is_not_significant() {
        // libzmq puts its identity size + 1 there (ZMTP 1.0 detection).
        let mut bytes = NULL_GREETING;
        bytes[1..9].copy_from_slice(&6u64.to_be_bytes());
        assert!(read_all(&bytes).unwrap().1.is_some());
        // The filler is not checked either.
        bytes[40] = 9;
        assert!(read_all(&bytes).unwrap().1.is_some());
    }

    #[test]
    fn a_bad_signature_fails_as_soon_as_it_shows() {
        assert_eq!(read_all(b"G"), Err(ZmtpError::BadSignature));
        assert_eq!(
            read_all(b"GET / HTTP/1.1\r\n"),
            Err(ZmtpError::BadSignature)
        );
        // ZMTP 1.0 with a long identity frame: flags octet 0 at octet 9.
        let mut v1 = [0u8; 10];
        v1[0] = 0xff;
        v1[8] = 1;
        assert_eq!(read_all(&v1), Err(ZmtpError::BadSignature));
        // Nine octets could still be a signature.
        assert_eq!(read_all(&v1[..9]), Ok((9, None)));
    }

    #[test]
    fn zmtp_1_and_2_are_unsupported() {
        for major in [0u8, 1, 2] {
            let mut bytes = NULL_GREETING;
            bytes[10] = major;
            bytes[11] = 5;
            assert_eq!(
                read_all(&bytes[..12]),
                Err(ZmtpError::UnsupportedVersion { major, minor: 5 })
            );
        }
        // Undecided until the minor octet arrives.
        let mut bytes = NULL_GREETING;
        bytes[10] = 1;
        assert_eq!(read_all(&bytes[..11]), Ok((11, None)));
    }

    #[test]
    fn a_3_0_peer_negotiates_3_0() {
        let mut bytes = NULL_GREETING;
        bytes[11] = 0;
        let peer = read_all(&bytes).unwrap().1.unwrap();
        assert_eq!(peer.version, Version::V3_0);
        assert_eq!(peer.negotiated(), Version::V3_0);
        assert!(!peer.negotiated().has_subscription_commands());
        assert!(Version::V3_1.has_subscription_commands());
    }

    #[test]
    fn a_higher_version_peer_talks_ours() {
        for (major, minor) in [(3, 2), (3, 255), (4, 0), (255, 255)] {
            let mut bytes = NULL_GREETING;
            bytes[10] = major;
            bytes[11] = minor;
            let peer = read_all(&bytes).unwrap().1.unwrap();
            assert_eq!(peer.version, Version { major, minor });
            assert_eq!(peer.negotiated(), Version::V3_1);
        }
    }

    #[test]
    fn other_mechanisms_mismatch() {
        let mut bytes = NULL_GREETING;
        bytes[12..17].copy_from_slice(b"CURVE");
        let peer = read_all(&bytes).unwrap().1.unwrap();
        assert_eq!(peer.mechanism.as_str(), "CURVE");
        assert_eq!(
            peer.check_mechanism(MechanismName::NULL),
            Err(ZmtpError::MechanismMismatch {
                ours: "NULL".into(),
                theirs: "CURVE".into()
            })
        );
        // A full 20-character name has no padding and is fine.
        bytes[12..32].copy_from_slice(b"ABCDEFGHIJ0123456789");
        let peer = read_all(&bytes).unwrap().1.unwrap();
        assert_eq!(peer.mechanism.as_str(), "ABCDEFGHIJ0123456789");
    }

    #[test]
    fn malformed_mechanisms_are_rejected() {
        let cases: [&[u8]; 4] = [b"", b"null", b"NU LL", b"NULL\0X"];
        for name in cases {
            let mut bytes = NULL_GREETING;
            bytes[12..32].fill(0);
            bytes[12..12 + name.len()].copy_from_slice(name);
            assert!(
                matches!(read_all(&bytes), Err(ZmtpError::UnknownMechanism(_))),
                "{name:?}"
            );
        }
        let mut bytes = NULL_GREETING;
        bytes[12..16].copy_from_slice(b"nu\xffl");
        assert_eq!(
            read_all(&bytes),
            Err(ZmtpError::UnknownMechanism("nu\\xffl".into()))
        );
    }

    #[test]
    fn as_server_is_read() {
        let mut bytes = NULL_GREETING;
        bytes[32] = 1;
        assert!(read_all(&bytes).unwrap().1.unwrap().as_server);
    }
}
