//! Transports: how a socket reaches its peers. The socket calls only
//! [`parse`] and then the transport's bind/connect; no transport knows about
//! patterns.
//!
//! Built: `inproc://` (lock-free pipes within one context), `tcp://` and
//! `ipc://` (ZMTP 3.1 over the context's I/O thread: [`network`]). The
//! multicast and other schemes answer `EPROTONOSUPPORT`.

pub(crate) mod address;
mod direct;
mod engine;
pub(crate) mod events;
pub(crate) mod inproc;
mod io_pool;
mod io_thread;
pub(crate) mod network;
mod raw_engine;
mod stream;
pub(crate) mod zmtp;

use crate::error::{Error, Result};

/// A parsed endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Endpoint<'a> {
    /// `inproc://name`
    Inproc(&'a str),
    /// `tcp://host:port` (the part after the scheme; syntax checked).
    Tcp(&'a str),
    /// `ipc://path` (the part after the scheme; syntax checked).
    Ipc(&'a str),
}

/// Parses `transport://address`.
///
/// `EINVAL` for a malformed endpoint (no `://`, empty address),
/// `EPROTONOSUPPORT` for a transport zactor does not have (yet).
pub(crate) fn parse(endpoint: &str) -> Result<Endpoint<'_>> {
    let (scheme, address) = endpoint.split_once("://").ok_or(Error::EINVAL)?;
    match scheme {
        "inproc" => {
            if address.is_empty() || address.len() > 255 {
                Err(Error::EINVAL)
            } else {
                Ok(Endpoint::Inproc(address))
            }
        }
        "tcp" => {
            address::check_tcp(address)?;
            Ok(Endpoint::Tcp(address))
        }
        "ipc" => {
            address::check_ipc(address)?;
            Ok(Endpoint::Ipc(address))
        }
        "pgm" | "epgm" | "norm" | "vmci" | "udp" | "tipc" | "ws" | "wss" => {
            Err(Error::EPROTONOSUPPORT)
        }
        "" => Err(Error::EINVAL),
        _ => Err(Error::EPROTONOSUPPORT),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_parse_or_say_why_not() {
        assert_eq!(parse("inproc://a"), Ok(Endpoint::Inproc("a")));
        assert_eq!(parse("inproc://"), Err(Error::EINVAL));
        assert_eq!(parse("inproc:/a"), Err(Error::EINVAL));
        assert_eq!(parse("nonsense"), Err(Error::EINVAL));
        assert_eq!(parse("://a"), Err(Error::EINVAL));
        assert_eq!(
            parse("tcp://127.0.0.1:5555"),
            Ok(Endpoint::Tcp("127.0.0.1:5555"))
        );
        assert_eq!(parse("tcp://*:*"), Ok(Endpoint::Tcp("*:*")));
        assert_eq!(parse("tcp://nohost"), Err(Error::EINVAL));
        assert_eq!(parse("ipc:///tmp/x"), Ok(Endpoint::Ipc("/tmp/x")));
        assert_eq!(parse("ipc://"), Err(Error::EINVAL));
        assert_eq!(parse("pgm://eth0;239.1.1.1:5"), Err(Error::EPROTONOSUPPORT));
        assert_eq!(parse("bogus://x"), Err(Error::EPROTONOSUPPORT));
    }
}
