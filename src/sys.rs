//! Platform calls: `poll(2)` on native file descriptors, for [`crate::poll`],
//! and `getifaddrs(3)`, for interface names in `tcp://` binds.
//!
//! # Contract
//!
//! - This is the only module outside the pipe layer allowed `unsafe`; its
//!   foreign functions (`poll(2)`, `read(2)`, `getifaddrs(3)`) are declared
//!   here with `extern "C"` (libc is linked by std; no `libc` crate).
//! - [`read_into_spare`] hands `read(2)` the spare capacity of a
//!   `BytesMut` (pointer and length from the same `spare_capacity_mut`)
//!   and extends the buffer's length by exactly what the kernel reports
//!   written, so no uninitialised octet is ever exposed; [`read_into_vec`]
//!   does the same for a `Vec<u8>` (a large body's own buffer).
//! - [`poll`] is safe to call with any slice: it passes the kernel a pointer
//!   and length taken from the same live `&mut [PollFd]`, which the kernel
//!   writes only inside (`revents`). A descriptor that is not open is not
//!   undefined behaviour: the kernel reports `POLLNVAL` for it.
//! - `PollFd` is `#[repr(C)]` with the layout of `struct pollfd`
//!   (`int fd; short events; short revents;`), which is the same on every
//!   Unix. The event bits below are the same on Linux, the BSDs and macOS.
//! - Interruptions (`EINTR`) are reported as "nothing ready"; the caller
//!   recomputes its timeout and calls again. Any other failure comes back as
//!   the `std::io::Error` of `errno`.
//! - The wake-up descriptor of a poller is a `std::os::unix::net::UnixStream`
//!   pair (close-on-exec, non-blocking, all through std), so it needs no
//!   `unsafe` and works on every Unix; `eventfd(2)` would save one
//!   descriptor on Linux only.
//! - [`interface_addresses`] calls `getifaddrs(3)` once, copies every IPv4
//!   and IPv6 address out of the list into owned values, and frees the list
//!   with `freeifaddrs(3)` before returning, on every path. It reads only
//!   the leading fields of `struct ifaddrs` (`ifa_next`, `ifa_name`,
//!   `ifa_flags`, `ifa_addr`), laid out alike on Linux, the BSDs and macOS,
//!   and reads an address as `sockaddr_in`/`sockaddr_in6` only after its
//!   family said which it is.
#![allow(unsafe_code)]

use std::io;
use std::os::raw::{c_int, c_short};
use std::os::unix::io::RawFd;

/// Data other than high priority may be read without blocking.
pub(crate) const POLLIN: c_short = 0x1;
/// High-priority data may be read.
pub(crate) const POLLPRI: c_short = 0x2;
/// Data may be written without blocking.
pub(crate) const POLLOUT: c_short = 0x4;

/// `nfds_t`: `unsigned long` on Linux, `unsigned int` on the BSDs and macOS.
#[cfg(any(target_os = "linux", target_os = "android"))]
type NfdsT = std::os::raw::c_ulong;
#[cfg(not(any(target_os = "linux", target_os = "android")))]
type NfdsT = std::os::raw::c_uint;

/// One entry of a `poll(2)` set: `struct pollfd`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub(crate) struct PollFd {
    /// The descriptor to watch.
    pub(crate) fd: RawFd,
    /// The events asked for (`POLLIN`, `POLLOUT`, `POLLPRI`).
    pub(crate) events: c_short,
    /// The events that occurred, set by the kernel; `POLLERR`, `POLLHUP`
    /// and `POLLNVAL` may appear without being asked for.
    pub(crate) revents: c_short,
}

impl PollFd {
    /// An entry watching `fd` for `events`.
    pub(crate) fn new(fd: RawFd, events: c_short) -> Self {
        Self {
            fd,
            events,
            revents: 0,
        }
    }
}

extern "C" {
    #[link_name = "poll"]
    fn sys_poll(fds: *mut PollFd, nfds: NfdsT, timeout: c_int) -> c_int;
}

/// Waits until a descriptor in `fds` has an event or `timeout_ms` passes
/// (negative: forever; 0: just look). Fills every `revents` and returns how
/// many entries have one; `Ok(0)` on timeout or interruption.
pub(crate) fn poll(fds: &mut [PollFd], timeout_ms: c_int) -> io::Result<usize> {
    let nfds =
        NfdsT::try_from(fds.len()).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    // SAFETY: the pointer and length come from one live, exclusively borrowed
    // slice of `#[repr(C)]` `struct pollfd` entries; the kernel reads the
    // entries and writes only their `revents` fields, within the slice, and
    // keeps no reference after returning.
    let rc = unsafe { sys_poll(fds.as_mut_ptr(), nfds, timeout_ms) };
    if rc >= 0 {
        return Ok(rc as usize);
    }
    let error = io::Error::last_os_error();
    if error.kind() == io::ErrorKind::Interrupted {
        Ok(0)
    } else {
        Err(error)
    }
}

/// The leading fields of `struct ifaddrs` (the rest is never read, and
/// the list is only ever walked through pointers the C library made).
#[allow(dead_code)] // fields read by the kernel's layout, not by us
#[repr(C)]
struct IfAddrs {
    ifa_next: *mut IfAddrs,
    ifa_name: *const std::os::raw::c_char,
    ifa_flags: std::os::raw::c_uint,
    ifa_addr: *const SockAddr,
}

/// The family part of `struct sockaddr`.
#[cfg(any(target_os = "linux", target_os = "android"))]
#[repr(C)]
struct SockAddr {
    sa_family: u16,
}
/// The family part of `struct sockaddr` (BSD layout: a length octet first).
#[allow(dead_code)] // fields read by the kernel's layout, not by us
#[cfg(not(any(target_os = "linux", target_os = "android")))]
#[repr(C)]
struct SockAddr {
    sa_len: u8,
    sa_family: u8,
}

/// `struct sockaddr_in`: family, port, then the address (network order).
#[allow(dead_code)] // fields read by the kernel's layout, not by us
#[repr(C)]
struct SockAddrIn {
    sin_family: u16,
    sin_port: u16,
    sin_addr: [u8; 4],
}

/// `struct sockaddr_in6`: family, port, flow information, the address.
#[allow(dead_code)] // fields read by the kernel's layout, not by us
#[repr(C)]
struct SockAddrIn6 {
    sin6_family: u16,
    sin6_port: u16,
    sin6_flowinfo: u32,
    sin6_addr: [u8; 16],
    sin6_scope_id: u32,
}

const AF_INET: u16 = 2;
#[cfg(any(target_os = "linux", target_os = "android"))]
const AF_INET6: u16 = 10;
#[cfg(any(target_os = "macos", target_os = "ios"))]
const AF_INET6: u16 = 30;
#[cfg(target_os = "freebsd")]
const AF_INET6: u16 = 28;
#[cfg(not(any(
    target_os = "linux",
    target_os = "android",
    target_os = "macos",
    target_os = "ios",
    target_os = "freebsd"
)))]
const AF_INET6: u16 = 24; // NetBSD, OpenBSD, DragonFly

/// The address family of a `sockaddr`.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn family(addr: &SockAddr) -> u16 {
    addr.sa_family
}
/// The address family of a `sockaddr`.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn family(addr: &SockAddr) -> u16 {
    u16::from(addr.sa_family)
}

extern "C" {
    fn getifaddrs(list: *mut *mut IfAddrs) -> c_int;
    fn freeifaddrs(list: *mut IfAddrs);
}

/// Every IPv4 and IPv6 address of every network interface, with the
/// interface's name, in the order `getifaddrs(3)` lists them.
pub(crate) fn interface_addresses() -> io::Result<Vec<(String, std::net::IpAddr)>> {
    let mut list: *mut IfAddrs = std::ptr::null_mut();
    // SAFETY: `getifaddrs` writes one pointer into `list`, a live local.
    if unsafe { getifaddrs(&mut list) } != 0 {
        return Err(io::Error::last_os_error());
    }
    let mut found = Vec::new();
    let mut entry = list;
    while !entry.is_null() {
        // SAFETY: `entry` is `list` or an `ifa_next` of the list that
        // `getifaddrs` returned, which stays valid until `freeifaddrs`
        // below; `ifa_name` is a NUL-terminated string of that list.
        let (next, name, addr) = unsafe {
            let e = &*entry;
            (e.ifa_next, std::ffi::CStr::from_ptr(e.ifa_name), e.ifa_addr)
        };
        entry = next;
        if addr.is_null() {
            continue; // an interface without an address
        }
        // SAFETY: a non-null `ifa_addr` points at a `sockaddr` at least as
        // long as its family's structure; the family is read first, and
        // the address read as the structure of that family only.
        let ip = unsafe {
            match family(&*addr) {
                AF_INET => {
                    let a = &*(addr as *const SockAddrIn);
                    Some(std::net::IpAddr::from(a.sin_addr))
                }
                AF_INET6 => {
                    let a = &*(addr as *const SockAddrIn6);
                    Some(std::net::IpAddr::from(a.sin6_addr))
                }
                _ => None,
            }
        };
        if let Some(ip) = ip {
            found.push((name.to_string_lossy().into_owned(), ip));
        }
    }
    // SAFETY: `list` came from a successful `getifaddrs` and is freed once;
    // nothing borrowed from it outlives this call (names were copied).
    unsafe { freeifaddrs(list) };
    Ok(found)
}

extern "C" {
    #[link_name = "read"]
    fn sys_read(fd: c_int, buf: *mut std::os::raw::c_void, count: usize) -> isize;
}

/// Reads what `fd` has, up to the spare capacity of `buf` after reserving
/// `want` octets (so at least `want`) and at most `max` octets, straight
/// into that capacity, and grows `buf` by what was read. Unlike a read into
/// an initialised slice it costs no zero-filling of the buffer first (for a
/// 64 KiB message, a `memset` of 64 KiB per read).
pub(crate) fn read_into_spare(
    fd: RawFd,
    buf: &mut bytes::BytesMut,
    want: usize,
    max: usize,
) -> io::Result<usize> {
    buf.reserve(want);
    let spare = buf.spare_capacity_mut();
    let len = spare.len().min(max);
    let n = read_uninit(fd, &mut spare[..len])?;
    // SAFETY: read(2) initialised the first `n` octets of the spare
    // capacity (`n <= len`, what it was offered), which directly follow the
    // buffer's current length.
    unsafe { buf.set_len(buf.len() + n) };
    Ok(n)
}

/// Reads what `fd` has into the spare capacity of `buf`, at most `max`
/// octets, and grows `buf` by what was read (no zero-filling, as
/// [`read_into_spare`]). The caller makes the room: with no spare capacity
/// (or `max` 0) this fails with `InvalidInput` rather than read nothing,
/// which would read as end of stream.
pub(crate) fn read_into_vec(fd: RawFd, buf: &mut Vec<u8>, max: usize) -> io::Result<usize> {
    let spare = buf.spare_capacity_mut();
    let len = spare.len().min(max);
    let n = read_uninit(fd, &mut spare[..len])?;
    // SAFETY: read(2) initialised the first `n` octets of the spare
    // capacity (`n <= len`, what it was offered), which directly follow the
    // vector's current length.
    unsafe { buf.set_len(buf.len() + n) };
    Ok(n)
}

/// One read(2) into `dst`, which may be uninitialised: how many octets the
/// kernel wrote there (0: end of stream). An empty `dst` is refused
/// (`InvalidInput`), so 0 always means end of stream.
fn read_uninit(fd: RawFd, dst: &mut [std::mem::MaybeUninit<u8>]) -> io::Result<usize> {
    if dst.is_empty() {
        return Err(io::ErrorKind::InvalidInput.into());
    }
    // SAFETY: `dst` is `dst.len()` octets borrowed mutably here; read(2)
    // writes at most `count` octets from the pointer and reports how many,
    // and uninitialised memory is a valid target.
    let n = unsafe { sys_read(fd, dst.as_mut_ptr().cast(), dst.len()) };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(n as usize)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::os::unix::io::AsRawFd;
    use std::os::unix::net::UnixStream;

    #[test]
    fn poll_reports_a_readable_descriptor() {
        let (mut writer, reader) = UnixStream::pair().unwrap();
        let mut fds = [PollFd::new(reader.as_raw_fd(), POLLIN)];
        assert_eq!(poll(&mut fds, 0).unwrap(), 0);
        writer.write_all(b"x").unwrap();
        assert_eq!(poll(&mut fds, 1000).unwrap(), 1);
        assert_eq!(fds[0].revents & POLLIN, POLLIN);
    }

    #[test]
    fn poll_reports_a_writable_descriptor() {
        let (writer, _reader) = UnixStream::pair().unwrap();
        let mut fds = [PollFd::new(writer.as_raw_fd(), POLLOUT | POLLIN)];
        assert_eq!(poll(&mut fds, 0).unwrap(), 1);
        assert_eq!(fds[0].revents, POLLOUT);
    }

    #[test]
    fn the_loopback_interface_has_its_address() {
        let found = interface_addresses().unwrap();
        assert!(found.iter().any(|(_, ip)| ip.is_loopback()), "{found:?}");
    }
}
