//! Where the transports report what happens to a socket's listeners and
//! connections (`Socket::monitor`): an [`EventSink`] the socket gives every
//! listener and connection it starts (in its `Owner`). The transports only
//! describe events; the socket layer decides where they go.

use crate::monitor_event::{protocol_error, SocketEvent};
use crate::transport::zmtp::ZmtpError;

/// Receives a socket's events; cheap to call when nobody monitors.
pub(crate) trait EventSink: std::fmt::Debug + Send + Sync {
    /// Reports `event` with its value, about `endpoint`.
    fn emit(&self, event: SocketEvent, value: u32, endpoint: &str);
}

/// The `HANDSHAKE_FAILED_PROTOCOL` code for a protocol failure (libzmq's
/// `ZMQ_PROTOCOL_ERROR_*`).
pub(crate) fn protocol_code(error: &ZmtpError) -> u32 {
    use protocol_error::*;
    match error {
        ZmtpError::MechanismMismatch { .. } | ZmtpError::UnknownMechanism(_) => {
            ZMTP_MECHANISM_MISMATCH
        }
        ZmtpError::MalformedCommand { .. } => ZMTP_MALFORMED_COMMAND_UNSPECIFIED,
        ZmtpError::IncompatibleSocketType { .. } => ZMTP_INVALID_METADATA,
        ZmtpError::MissingProperty(_) => ZMTP_MALFORMED_COMMAND_READY,
        ZmtpError::HandshakeError(_) => ZMTP_MALFORMED_COMMAND_ERROR,
        ZmtpError::UnexpectedCommand(_) => ZMTP_UNEXPECTED_COMMAND,
        ZmtpError::UnexpectedMessage => ZMTP_INVALID_SEQUENCE,
        _ => ZMTP_UNSPECIFIED,
    }
}
