//! zactor's error type, a pure-Rust mirror of the `Error` enum of the `zmq`
//! crate 0.10 (rust-zmq).
//!
//! Every fallible zactor call reports one of the error codes libzmq uses:
//! POSIX `errno` values for system-style failures (`EAGAIN`, `EINVAL`, ...)
//! and libzmq's own codes, which sit above `ZMQ_HAUSNUMERO` (`ETERM`, `EFSM`,
//! ...). The enum has the same variants, in the same order, as rust-zmq 0.10,
//! so code written against `zmq::Error` compiles unchanged against
//! `zactor::Error`, including exhaustive `match`es.
//!
//! Differences from rust-zmq 0.10 (all source-compatible):
//!
//! * [`Error::from_raw`] never panics: a code it does not know becomes
//!   [`Error::EFAULT`] (rust-zmq panics instead).
//! * [`Error::message`] needs no C library: the texts are built in. They are
//!   what libzmq 4.3's `zmq_strerror` returns on Linux with glibc.
//! * [`Error`] also implements [`Hash`].
//! * [`Error::to_raw`] always gives Linux `errno` numbers, whatever the
//!   target, since no C code ever sees them.
//!
//! ```
//! use zactor::Error;
//!
//! let e = Error::from_raw(11);
//! assert_eq!(e, Error::EAGAIN);
//! assert_eq!(e.to_raw(), 11);
//! assert_eq!(e.to_string(), "Resource temporarily unavailable");
//! ```

use std::fmt;
use std::io;

/// libzmq's base for its own error codes, chosen to lie far above any
/// operating system's `errno` range (`ZMQ_HAUSNUMERO` in `zmq.h`).
const ZMQ_HAUSNUMERO: i32 = 156_384_712;

/// Linux `errno` values, and libzmq's codes, as `zmq.h` defines them.
mod code {
    use super::ZMQ_HAUSNUMERO as H;

    pub(crate) const ENOENT: i32 = 2;
    pub(crate) const EINTR: i32 = 4;
    pub(crate) const EAGAIN: i32 = 11;
    pub(crate) const ENOMEM: i32 = 12;
    pub(crate) const EACCES: i32 = 13;
    pub(crate) const EFAULT: i32 = 14;
    pub(crate) const EBUSY: i32 = 16;
    pub(crate) const ENODEV: i32 = 19;
    pub(crate) const EINVAL: i32 = 22;
    pub(crate) const EMFILE: i32 = 24;
    pub(crate) const ENAMETOOLONG: i32 = 36;
    pub(crate) const EPROTO: i32 = 71;
    pub(crate) const ENOTSOCK: i32 = 88;
    pub(crate) const EMSGSIZE: i32 = 90;
    pub(crate) const EPROTONOSUPPORT: i32 = 93;
    /// Linux's `ENOTSUP`, which equals its `EOPNOTSUPP`.
    pub(crate) const ENOTSUP: i32 = 95;
    pub(crate) const EADDRINUSE: i32 = 98;
    pub(crate) const EADDRNOTAVAIL: i32 = 99;
    pub(crate) const ENETDOWN: i32 = 100;
    pub(crate) const ENOBUFS: i32 = 105;
    pub(crate) const ENOTCONN: i32 = 107;
    pub(crate) const ECONNREFUSED: i32 = 111;
    pub(crate) const EHOSTUNREACH: i32 = 113;
    pub(crate) const EINPROGRESS: i32 = 115;

    // Stand-ins `zmq.h` defines when the system has no such `errno`
    // (Windows). Only those with a matching `Error` variant are listed; the
    // rest (EAFNOSUPPORT = H + 11, ENETUNREACH = H + 12, ECONNABORTED = H + 13,
    // ECONNRESET = H + 14, ETIMEDOUT = H + 16, ENETRESET = H + 18) have none.
    pub(crate) const ENOTSUP_ALT: i32 = H + 1;
    pub(crate) const EPROTONOSUPPORT_ALT: i32 = H + 2;
    pub(crate) const ENOBUFS_ALT: i32 = H + 3;
    pub(crate) const ENETDOWN_ALT: i32 = H + 4;
    pub(crate) const EADDRINUSE_ALT: i32 = H + 5;
    pub(crate) const EADDRNOTAVAIL_ALT: i32 = H + 6;
    pub(crate) const ECONNREFUSED_ALT: i32 = H + 7;
    pub(crate) const EINPROGRESS_ALT: i32 = H + 8;
    pub(crate) const ENOTSOCK_ALT: i32 = H + 9;
    pub(crate) const EMSGSIZE_ALT: i32 = H + 10;
    pub(crate) const ENOTCONN_ALT: i32 = H + 15;
    pub(crate) const EHOSTUNREACH_ALT: i32 = H + 17;

    // libzmq's native error codes.
    pub(crate) const EFSM: i32 = H + 51;
    pub(crate) const ENOCOMPATPROTO: i32 = H + 52;
    pub(crate) const ETERM: i32 = H + 53;
    pub(crate) const EMTHREAD: i32 = H + 54;
}

/// An error returned by a zactor (0MQ) API function.
///
/// The variants and their order are those of `zmq::Error` in the `zmq` crate
/// 0.10. [`Display`](fmt::Display) and [`Debug`](fmt::Debug) both write
/// [`Error::message`], as rust-zmq does.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub enum Error {
    /// Permission denied.
    EACCES,
    /// The address is already in use.
    EADDRINUSE,
    /// The operation would block: no message could be sent or received
    /// right now (non-blocking mode, or a send/receive timeout expired).
    EAGAIN,
    /// Device or resource busy.
    EBUSY,
    /// Connection refused.
    ECONNREFUSED,
    /// Bad address; also what [`Error::from_raw`] gives for an unknown code.
    EFAULT,
    /// The operation was interrupted before it completed.
    EINTR,
    /// The host is unreachable (e.g. a `ROUTER_MANDATORY` socket has no
    /// route to the given identity).
    EHOSTUNREACH,
    /// The operation is in progress.
    EINPROGRESS,
    /// Invalid argument (bad endpoint, option value, ...).
    EINVAL,
    /// Too many open files or sockets.
    EMFILE,
    /// The message is too long.
    EMSGSIZE,
    /// A name (for instance an endpoint) is too long.
    ENAMETOOLONG,
    /// No such device: the requested interface does not exist.
    ENODEV,
    /// No such file, directory or endpoint.
    ENOENT,
    /// Not enough memory.
    ENOMEM,
    /// The socket is not connected.
    ENOTCONN,
    /// The target is not a valid socket.
    ENOTSOCK,
    /// Protocol error.
    EPROTO,
    /// The requested transport protocol is not supported.
    EPROTONOSUPPORT,
    /// The operation is not supported by this socket type.
    ENOTSUP,
    /// No buffer space available.
    ENOBUFS,
    /// The network is down.
    ENETDOWN,
    /// The requested address is not available on this machine.
    EADDRNOTAVAIL,

    // libzmq's native error codes.
    /// The operation cannot be performed in the socket's current state
    /// (for instance two `send`s in a row on a `REQ` socket).
    EFSM,
    /// The peer's protocol is not compatible with this socket type.
    ENOCOMPATPROTO,
    /// The context the socket belongs to was terminated.
    ETERM,
    /// No I/O thread is available to do the work.
    EMTHREAD,
}

impl Error {
    /// Every variant, in declaration order.
    #[cfg(test)]
    const ALL: [Error; 28] = [
        Error::EACCES,
        Error::EADDRINUSE,
        Error::EAGAIN,
        Error::EBUSY,
        Error::ECONNREFUSED,
        Error::EFAULT,
        Error::EINTR,
        Error::EHOSTUNREACH,
        Error::EINPROGRESS,
        Error::EINVAL,
        Error::EMFILE,
        Error::EMSGSIZE,
        Error::ENAMETOOLONG,
        Error::ENODEV,
        Error::ENOENT,
        Error::ENOMEM,
        Error::ENOTCONN,
        Error::ENOTSOCK,
        Error::EPROTO,
        Error::EPROTONOSUPPORT,
        Error::ENOTSUP,
        Error::ENOBUFS,
        Error::ENETDOWN,
        Error::EADDRNOTAVAIL,
        Error::EFSM,
        Error::ENOCOMPATPROTO,
        Error::ETERM,
        Error::EMTHREAD,
    ];

    /// Returns the numeric code libzmq would report for this error.
    ///
    /// System errors give their Linux `errno` value (`EAGAIN` is 11);
    /// libzmq's own errors give `ZMQ_HAUSNUMERO` (156384712) plus an offset
    /// (`EFSM` is 156384763, `ETERM` 156384765).
    #[must_use]
    pub const fn to_raw(self) -> i32 {
        match self {
            Error::EACCES => code::EACCES,
            Error::EADDRINUSE => code::EADDRINUSE,
            Error::EAGAIN => code::EAGAIN,
            Error::EBUSY => code::EBUSY,
            Error::ECONNREFUSED => code::ECONNREFUSED,
            Error::EFAULT => code::EFAULT,
            Error::EINTR => code::EINTR,
            Error::EHOSTUNREACH => code::EHOSTUNREACH,
            Error::EINPROGRESS => code::EINPROGRESS,
            Error::EINVAL => code::EINVAL,
            Error::EMFILE => code::EMFILE,
            Error::EMSGSIZE => code::EMSGSIZE,
            Error::ENAMETOOLONG => code::ENAMETOOLONG,
            Error::ENODEV => code::ENODEV,
            Error::ENOENT => code::ENOENT,
            Error::ENOMEM => code::ENOMEM,
            Error::ENOTCONN => code::ENOTCONN,
            Error::ENOTSOCK => code::ENOTSOCK,
            Error::EPROTO => code::EPROTO,
            Error::EPROTONOSUPPORT => code::EPROTONOSUPPORT,
            Error::ENOTSUP => code::ENOTSUP,
            Error::ENOBUFS => code::ENOBUFS,
            Error::ENETDOWN => code::ENETDOWN,
            Error::EADDRNOTAVAIL => code::EADDRNOTAVAIL,

            Error::EFSM => code::EFSM,
            Error::ENOCOMPATPROTO => code::ENOCOMPATPROTO,
            Error::ETERM => code::ETERM,
            Error::EMTHREAD => code::EMTHREAD,
        }
    }

    /// Turns a numeric error code back into an [`Error`].
    ///
    /// Accepts every value [`Error::to_raw`] returns, and also the stand-in
    /// codes `zmq.h` defines for systems that lack an `errno`
    /// (`ZMQ_HAUSNUMERO + 1` is `ENOTSUP`, `+ 2` `EPROTONOSUPPORT`, ...,
    /// `+ 10` `EMSGSIZE`, `+ 15` `ENOTCONN`, `+ 17` `EHOSTUNREACH`).
    ///
    /// This function never panics. Any other code (including 0 and
    /// negative numbers) gives [`Error::EFAULT`], "Bad address", which libzmq
    /// itself uses for errors it has no better code for. rust-zmq 0.10
    /// panics here instead.
    #[must_use]
    pub const fn from_raw(raw: i32) -> Error {
        match raw {
            code::EACCES => Error::EACCES,
            code::EADDRINUSE | code::EADDRINUSE_ALT => Error::EADDRINUSE,
            code::EAGAIN => Error::EAGAIN,
            code::EBUSY => Error::EBUSY,
            code::ECONNREFUSED | code::ECONNREFUSED_ALT => Error::ECONNREFUSED,
            code::EFAULT => Error::EFAULT,
            code::EINTR => Error::EINTR,
            code::EHOSTUNREACH | code::EHOSTUNREACH_ALT => Error::EHOSTUNREACH,
            code::EINPROGRESS | code::EINPROGRESS_ALT => Error::EINPROGRESS,
            code::EINVAL => Error::EINVAL,
            code::EMFILE => Error::EMFILE,
            code::EMSGSIZE | code::EMSGSIZE_ALT => Error::EMSGSIZE,
            code::ENAMETOOLONG => Error::ENAMETOOLONG,
            code::ENODEV => Error::ENODEV,
            code::ENOENT => Error::ENOENT,
            code::ENOMEM => Error::ENOMEM,
            code::ENOTCONN | code::ENOTCONN_ALT => Error::ENOTCONN,
            code::ENOTSOCK | code::ENOTSOCK_ALT => Error::ENOTSOCK,
            code::EPROTO => Error::EPROTO,
            code::EPROTONOSUPPORT | code::EPROTONOSUPPORT_ALT => Error::EPROTONOSUPPORT,
            code::ENOTSUP | code::ENOTSUP_ALT => Error::ENOTSUP,
            code::ENOBUFS | code::ENOBUFS_ALT => Error::ENOBUFS,
            code::ENETDOWN | code::ENETDOWN_ALT => Error::ENETDOWN,
            code::EADDRNOTAVAIL | code::EADDRNOTAVAIL_ALT => Error::EADDRNOTAVAIL,

            code::EFSM => Error::EFSM,
            code::ENOCOMPATPROTO => Error::ENOCOMPATPROTO,
            code::ETERM => Error::ETERM,
            code::EMTHREAD => Error::EMTHREAD,

            _ => Error::EFAULT,
        }
    }

    /// Returns the error's text, as libzmq's `zmq_strerror` gives it.
    ///
    /// For system errors that is glibc's `strerror` text, except for
    /// `EHOSTUNREACH`, which libzmq words itself ("Host unreachable").
    #[must_use]
    pub const fn message(self) -> &'static str {
        match self {
            Error::EACCES => "Permission denied",
            Error::EADDRINUSE => "Address already in use",
            Error::EAGAIN => "Resource temporarily unavailable",
            Error::EBUSY => "Device or resource busy",
            Error::ECONNREFUSED => "Connection refused",
            Error::EFAULT => "Bad address",
            Error::EINTR => "Interrupted system call",
            Error::EHOSTUNREACH => "Host unreachable",
            Error::EINPROGRESS => "Operation now in progress",
            Error::EINVAL => "Invalid argument",
            Error::EMFILE => "Too many open files",
            Error::EMSGSIZE => "Message too long",
            Error::ENAMETOOLONG => "File name too long",
            Error::ENODEV => "No such device",
            Error::ENOENT => "No such file or directory",
            Error::ENOMEM => "Cannot allocate memory",
            Error::ENOTCONN => "Transport endpoint is not connected",
            Error::ENOTSOCK => "Socket operation on non-socket",
            Error::EPROTO => "Protocol error",
            Error::EPROTONOSUPPORT => "Protocol not supported",
            Error::ENOTSUP => "Operation not supported",
            Error::ENOBUFS => "No buffer space available",
            Error::ENETDOWN => "Network is down",
            Error::EADDRNOTAVAIL => "Cannot assign requested address",

            Error::EFSM => "Operation cannot be accomplished in current state",
            Error::ENOCOMPATPROTO => "The protocol is not compatible with the socket type",
            Error::ETERM => "Context was terminated",
            Error::EMTHREAD => "No thread available",
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

/// Writes the bare message text, like rust-zmq 0.10 does (so
/// `format!("{:?}", Error::EAGAIN)` is `Resource temporarily unavailable`).
impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl std::error::Error for Error {
    // rust-zmq 0.10 returns the message here; keep that for old callers.
    #[allow(deprecated)]
    fn description(&self) -> &str {
        self.message()
    }
}

/// Wraps the error in an [`io::Error`], as rust-zmq 0.10 does.
///
/// The [`io::ErrorKind`] is the one `std` gives the same Linux `errno`
/// (`EAGAIN` is [`WouldBlock`](io::ErrorKind::WouldBlock), `ENOENT`
/// [`NotFound`](io::ErrorKind::NotFound), ...), where that kind is stable in
/// Rust 1.80; everything else, including libzmq's own codes, is
/// [`Other`](io::ErrorKind::Other). The `io::Error` displays as
/// [`Error::message`], and the original [`Error`] can be had back through
/// [`io::Error::get_ref`] or [`io::Error::into_inner`] and a downcast.
impl From<Error> for io::Error {
    fn from(error: Error) -> Self {
        let kind = match error {
            Error::ENOENT => io::ErrorKind::NotFound,
            Error::EACCES => io::ErrorKind::PermissionDenied,
            Error::ECONNREFUSED => io::ErrorKind::ConnectionRefused,
            Error::ENOTCONN => io::ErrorKind::NotConnected,
            Error::EADDRINUSE => io::ErrorKind::AddrInUse,
            Error::EADDRNOTAVAIL => io::ErrorKind::AddrNotAvailable,
            Error::EAGAIN => io::ErrorKind::WouldBlock,
            Error::EINVAL => io::ErrorKind::InvalidInput,
            Error::EINTR => io::ErrorKind::Interrupted,
            Error::ENOMEM => io::ErrorKind::OutOfMemory,
            _ => io::ErrorKind::Other,
        };
        io::Error::new(kind, error)
    }
}

/// The result type of zactor's fallible functions, as in rust-zmq 0.10.
pub type Result<T> = std::result::Result<T, Error>;

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    const H: i32 = ZMQ_HAUSNUMERO;

    #[test]
    fn every_variant_round_trips_through_its_raw_code() {
        for e in Error::ALL {
            assert_eq!(Error::from_raw(e.to_raw()), e, "{e:?}");
        }
    }

    #[test]
    fn raw_codes_are_distinct() {
        let codes: HashSet<i32> = Error::ALL.iter().map(|e| e.to_raw()).collect();
        assert_eq!(codes.len(), Error::ALL.len());
    }

    #[test]
    fn raw_codes_match_linux_and_libzmq() {
        assert_eq!(Error::EAGAIN.to_raw(), 11);
        assert_eq!(Error::EINVAL.to_raw(), 22);
        assert_eq!(Error::EINTR.to_raw(), 4);
        assert_eq!(Error::ENOTSUP.to_raw(), 95);
        assert_eq!(Error::EHOSTUNREACH.to_raw(), 113);
        assert_eq!(Error::EADDRINUSE.to_raw(), 98);

        assert_eq!(ZMQ_HAUSNUMERO, 156_384_712);
        assert_eq!(Error::EFSM.to_raw(), 156_384_763);
        assert_eq!(Error::ENOCOMPATPROTO.to_raw(), 156_384_764);
        assert_eq!(Error::ETERM.to_raw(), 156_384_765);
        assert_eq!(Error::EMTHREAD.to_raw(), 156_384_766);
    }

    #[test]
    fn unknown_codes_fall_back_to_efault() {
        for raw in [
            -1,
            0,
            1,
            99_999,
            H,
            H + 11,
            H + 50,
            H + 55,
            i32::MAX,
            i32::MIN,
        ] {
            assert_eq!(Error::from_raw(raw), Error::EFAULT, "raw code {raw}");
        }
    }

    #[test]
    fn hausnumero_stand_ins_map_to_the_same_variants() {
        assert_eq!(Error::from_raw(H + 1), Error::ENOTSUP);
        assert_eq!(Error::from_raw(H + 2), Error::EPROTONOSUPPORT);
        assert_eq!(Error::from_raw(H + 3), Error::ENOBUFS);
        assert_eq!(Error::from_raw(H + 4), Error::ENETDOWN);
        assert_eq!(Error::from_raw(H + 5), Error::EADDRINUSE);
        assert_eq!(Error::from_raw(H + 6), Error::EADDRNOTAVAIL);
        assert_eq!(Error::from_raw(H + 7), Error::ECONNREFUSED);
        assert_eq!(Error::from_raw(H + 8), Error::EINPROGRESS);
        assert_eq!(Error::from_raw(H + 9), Error::ENOTSOCK);
        assert_eq!(Error::from_raw(H + 10), Error::EMSGSIZE);
        assert_eq!(Error::from_raw(H + 15), Error::ENOTCONN);
        assert_eq!(Error::from_raw(H + 17), Error::EHOSTUNREACH);
    }

    #[test]
    fn display_gives_zmq_strerror_text() {
        assert_eq!(
            Error::EAGAIN.to_string(),
            "Resource temporarily unavailable"
        );
        assert_eq!(Error::EINVAL.to_string(), "Invalid argument");
        assert_eq!(Error::EADDRINUSE.to_string(), "Address already in use");
        assert_eq!(Error::ENOTSUP.to_string(), "Operation not supported");
        assert_eq!(Error::EHOSTUNREACH.to_string(), "Host unreachable");
        assert_eq!(
            Error::EFSM.to_string(),
            "Operation cannot be accomplished in current state"
        );
        assert_eq!(Error::ETERM.to_string(), "Context was terminated");
        for e in Error::ALL {
            assert!(!e.message().is_empty(), "{}", e.to_raw());
        }
    }

    #[test]
    fn debug_writes_the_message_like_rust_zmq() {
        assert_eq!(format!("{:?}", Error::ETERM), "Context was terminated");
        assert_eq!(
            format!("{:?}", Err::<(), _>(Error::EAGAIN)),
            "Err(Resource temporarily unavailable)"
        );
    }

    #[test]
    fn converts_into_io_error() {
        let io_err: io::Error = Error::EAGAIN.into();
        assert_eq!(io_err.kind(), io::ErrorKind::WouldBlock);
        assert_eq!(io_err.to_string(), "Resource temporarily unavailable");

        let io_err = io::Error::from(Error::ETERM);
        assert_eq!(io_err.kind(), io::ErrorKind::Other);
        let inner = io_err.get_ref().and_then(|e| e.downcast_ref::<Error>());
        assert_eq!(inner, Some(&Error::ETERM));

        assert_eq!(
            io::Error::from(Error::ECONNREFUSED).kind(),
            io::ErrorKind::ConnectionRefused
        );
    }

    #[test]
    fn question_mark_turns_it_into_a_boxed_error() {
        fn fails() -> std::result::Result<(), Box<dyn std::error::Error + Send + Sync>> {
            Err(Error::EINVAL)?
        }
        assert_eq!(fails().unwrap_err().to_string(), "Invalid argument");
    }
}
