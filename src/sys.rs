//! Platform calls: `poll(2)` on native file descriptors, for [`crate::poll`].
//!
//! # Contract
//!
//! - This is the only module outside the pipe layer allowed `unsafe`, and
//!   its only foreign function is `poll(2)`, declared here with
//!   `extern "C"` (libc is linked by std; no `libc` crate).
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
}
