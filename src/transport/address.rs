//! Network addresses of the `tcp://` and `ipc://` transports: syntax checks
//! (at parse time, so a malformed endpoint is `EINVAL` before anything
//! happens) and resolution to a socket address.
//!
//! `tcp://host:port`: the host is an IPv4 or bracketed IPv6 literal,
//! `localhost`, another name (resolved once, at bind or connect time, like
//! libzmq), or `*` (bind only: every interface); the port is a number or
//! `*` (bind only: a port chosen by the kernel, see `get_last_endpoint`).
//! In a bind, the host may also be a network interface's name
//! (`tcp://lo:5555`, `tcp://eth0:*`): its first IPv4 address (IPv6 with the
//! ipv6 option), found with `getifaddrs(3)`, as libzmq does. A bind to a
//! name that is neither an interface nor resolvable fails with `ENODEV`,
//! libzmq's error there.
//!
//! `ipc://path`: a Unix domain socket path; `ipc://@name` is Linux's
//! abstract namespace (no file).

use std::net::{IpAddr, Ipv4Addr, SocketAddr, ToSocketAddrs};

use crate::error::{Error, Result};

/// Whether the address is for bind (wildcards allowed) or connect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    Bind,
    Connect,
}

/// An ephemeral port range for bind, CZMQ's syntax: `*[lo-hi]` takes the
/// first free port from `lo` up, `!` or `![lo-hi]` a random free one; either
/// bound may be left out (`*[60000-]`), the default range being the IANA
/// dynamic ports, 49152–65535.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PortRange {
    pub(crate) low: u16,
    pub(crate) high: u16,
    pub(crate) random: bool,
}

const DYNAMIC_PORTS: (u16, u16) = (0xC000, 0xFFFF);

/// The range of a port written `*[lo-hi]`, `!` or `![lo-hi]`; `None` for
/// any other port; `EINVAL` for a malformed or empty range.
pub(crate) fn port_range(port: &str) -> Result<Option<PortRange>> {
    let (random, rest) = match port.as_bytes().first() {
        Some(b'!') => (true, &port[1..]),
        Some(b'*') if port.len() > 1 => (false, &port[1..]),
        _ => return Ok(None),
    };
    let (mut low, mut high) = DYNAMIC_PORTS;
    if !rest.is_empty() {
        let inner = rest
            .strip_prefix('[')
            .and_then(|r| r.strip_suffix(']'))
            .ok_or(Error::EINVAL)?;
        let (lo, hi) = inner.split_once('-').ok_or(Error::EINVAL)?;
        let number = |text: &str| text.parse::<u16>().map_err(|_| Error::EINVAL);
        if !lo.is_empty() {
            low = number(lo)?;
        }
        if !hi.is_empty() {
            high = number(hi)?;
        }
    }
    if low == 0 || low > high {
        return Err(Error::EINVAL);
    }
    Ok(Some(PortRange { low, high, random }))
}

/// Splits `host:port` and checks the syntax: a non-empty host and a port
/// that is a number, `*`, or a range (see [`PortRange`]).
pub(crate) fn check_tcp(address: &str) -> Result<(&str, &str)> {
    // A range's brackets hold no colon, so the last colon is the port's.
    let (host, port) = address.rsplit_once(':').ok_or(Error::EINVAL)?;
    if host.is_empty() || port.is_empty() {
        return Err(Error::EINVAL);
    }
    if port != "*" && port.parse::<u16>().is_err() && port_range(port)?.is_none() {
        return Err(Error::EINVAL);
    }
    if host.starts_with('[') != host.ends_with(']') {
        return Err(Error::EINVAL);
    }
    Ok((host, port))
}

/// Resolves a `tcp://` address (without the scheme).
///
/// `EINVAL` for a wildcard where a connect needs a real address, for port 0
/// on connect, and for a host name that does not resolve (libzmq says
/// `EINVAL` there too).
///
/// With `ipv6` (the socket's IPV6 option) `*` binds `[::]` (both
/// families on Linux) and names resolve to whichever family comes first;
/// without it, IPv4 is preferred. IPv6 literals work either way.
pub(crate) fn resolve_tcp(address: &str, role: Role, ipv6: bool) -> Result<SocketAddr> {
    let (host, port) = check_tcp(address)?;
    let ranged = port_range(port)?.is_some();
    let port = match (port, role) {
        ("*", Role::Bind) => 0,
        (_, Role::Bind) if ranged => 0, // the listener tries the range
        ("*", Role::Connect) => return Err(Error::EINVAL),
        (number, _) => number.parse::<u16>().map_err(|_| Error::EINVAL)?,
    };
    if role == Role::Connect && port == 0 {
        return Err(Error::EINVAL);
    }
    let literal = host.trim_start_matches('[').trim_end_matches(']');
    let ip = match (literal, role) {
        ("*", Role::Bind) if ipv6 => IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED),
        ("*", Role::Bind) => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        ("*", Role::Connect) => return Err(Error::EINVAL),
        ("localhost", _) => IpAddr::V4(Ipv4Addr::LOCALHOST),
        (other, role) => match other.parse::<IpAddr>() {
            Ok(ip) => ip,
            Err(_) if role == Role::Bind => match interface_address(other, ipv6)? {
                Some(ip) => ip,
                // Not an interface: a host name (libzmq refuses those in a
                // bind; zactor keeps resolving them), else ENODEV as libzmq.
                None => {
                    return resolve_name(other, port, ipv6).map_err(|_| Error::ENODEV);
                }
            },
            Err(_) => return resolve_name(other, port, ipv6),
        },
    };
    Ok(SocketAddr::new(ip, port))
}

/// The address of the network interface called `name`: its first IPv4
/// address, or IPv6 with the ipv6 option (libzmq's `resolve_nic_name`);
/// `None` when no interface has that name and family.
fn interface_address(name: &str, ipv6: bool) -> Result<Option<IpAddr>> {
    let addresses = crate::sys::interface_addresses()
        .map_err(|e| e.raw_os_error().map_or(Error::ENODEV, Error::from_raw))?;
    Ok(addresses
        .into_iter()
        .find(|(interface, ip)| interface == name && ip.is_ipv6() == ipv6)
        .map(|(_, ip)| ip))
}

/// Looks a host name up (blocking, once); IPv4 preferred, as libzmq does
/// without the ipv6 option.
fn resolve_name(host: &str, port: u16, ipv6: bool) -> Result<SocketAddr> {
    if host.contains(['/', ' ', '[', ']']) {
        return Err(Error::EINVAL);
    }
    let found: Vec<SocketAddr> = (host, port)
        .to_socket_addrs()
        .map_err(|_| Error::EINVAL)?
        .collect();
    found
        .iter()
        .find(|addr| ipv6 || addr.is_ipv4())
        .or_else(|| found.first())
        .copied()
        .ok_or(Error::EINVAL)
}

/// The endpoint string of a socket address, as `get_last_endpoint` gives
/// it (`tcp://127.0.0.1:40123`, `tcp://[::1]:5555`).
pub(crate) fn tcp_endpoint(addr: SocketAddr) -> String {
    format!("tcp://{addr}")
}

/// Checks an `ipc://` path: non-empty, and short enough for `sun_path`
/// (107 octets on Linux; `ENAMETOOLONG` beyond).
pub(crate) fn check_ipc(path: &str) -> Result<()> {
    if path.is_empty() || path == "@" {
        return Err(Error::EINVAL);
    }
    if path.len() > 107 {
        return Err(Error::ENAMETOOLONG);
    }
    Ok(())
}

/// The std socket address of an `ipc://` path (`@name`: the abstract
/// namespace, Linux only).
pub(crate) fn ipc_address(path: &str) -> Result<std::os::unix::net::SocketAddr> {
    check_ipc(path)?;
    if let Some(name) = path.strip_prefix('@') {
        #[cfg(any(target_os = "linux", target_os = "android"))]
        {
            #[cfg(target_os = "android")]
            use std::os::android::net::SocketAddrExt;
            #[cfg(target_os = "linux")]
            use std::os::linux::net::SocketAddrExt;
            return std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes())
                .map_err(|_| Error::EINVAL);
        }
        #[cfg(not(any(target_os = "linux", target_os = "android")))]
        {
            let _ = name;
            return Err(Error::EINVAL);
        }
    }
    std::os::unix::net::SocketAddr::from_pathname(path).map_err(|_| Error::EINVAL)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tcp_addresses_resolve_or_say_why_not() {
        let bind = |a| resolve_tcp(a, Role::Bind, false);
        let connect = |a| resolve_tcp(a, Role::Connect, false);
        assert_eq!(
            resolve_tcp("*:1", Role::Bind, true),
            Ok("[::]:1".parse().unwrap())
        );
        assert_eq!(bind("*:*"), Ok("0.0.0.0:0".parse().unwrap()));
        assert_eq!(
            bind("127.0.0.1:5555"),
            Ok("127.0.0.1:5555".parse().unwrap())
        );
        assert_eq!(bind("localhost:1"), Ok("127.0.0.1:1".parse().unwrap()));
        #[cfg(target_os = "linux")]
        assert_eq!(bind("lo:1"), Ok("127.0.0.1:1".parse().unwrap()));
        assert_eq!(bind("zactor-no-such-if0:1"), Err(Error::ENODEV));
        assert_eq!(connect("zactor-no-such-if0:1"), Err(Error::EINVAL));
        assert_eq!(connect("[::1]:7"), Ok("[::1]:7".parse().unwrap()));
        assert_eq!(connect("*:5555"), Err(Error::EINVAL));
        assert_eq!(connect("127.0.0.1:*"), Err(Error::EINVAL));
        assert_eq!(connect("127.0.0.1:0"), Err(Error::EINVAL));
        for bad in [
            "127.0.0.1",
            ":5555",
            "127.0.0.1:",
            "1.2.3.4:70000",
            "h:x",
            "[::1:5",
        ] {
            assert_eq!(bind(bad), Err(Error::EINVAL), "{bad}");
        }
        assert_eq!(
            tcp_endpoint("127.0.0.1:80".parse().unwrap()),
            "tcp://127.0.0.1:80"
        );
    }

    #[test]
    fn ipc_paths_are_checked() {
        assert!(ipc_address("/tmp/zactor-x").is_ok());
        assert_eq!(check_ipc(""), Err(Error::EINVAL));
        assert_eq!(check_ipc(&"x".repeat(200)), Err(Error::ENAMETOOLONG));
        #[cfg(target_os = "linux")]
        assert!(ipc_address("@zactor-abstract").is_ok());
    }
}
