//! The byte streams and listeners of the network transports: TCP or Unix
//! domain sockets behind one type each, so the engine and the I/O thread
//! never care which (mio's non-blocking types; no `unsafe`).

use std::io::{self, IoSlice, Write};
use std::net::SocketAddr;
use std::path::PathBuf;

use std::time::Duration;

use mio::event::Source;
use mio::{Interest, Registry, Token};
use socket2::{Domain, SockRef, Socket, TcpKeepalive, Type};

use crate::config::IPC_STREAM_BUFFER;
use crate::error::Error;
use crate::socket::options::Options;

/// A TCP socket for `addr` with the socket's options applied: SNDBUF,
/// RCVBUF, TOS, TCP_KEEPALIVE (with its idle, interval and count), all
/// before bind or connect, as libzmq sets them.
fn tcp_socket(addr: SocketAddr, options: &Options) -> io::Result<Socket> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, None)?;
    socket.set_nonblocking(true)?;
    if options.sndbuf > 0 {
        socket.set_send_buffer_size(options.sndbuf as usize)?;
    }
    if options.rcvbuf > 0 {
        socket.set_recv_buffer_size(options.rcvbuf as usize)?;
    }
    if options.tos > 0 && addr.is_ipv4() {
        socket.set_tos_v4(options.tos as u32)?;
    }
    match options.tcp_keepalive {
        0 => socket.set_keepalive(false)?,
        1 => {
            let mut keepalive = TcpKeepalive::new();
            if options.tcp_keepalive_idle > 0 {
                keepalive =
                    keepalive.with_time(Duration::from_secs(options.tcp_keepalive_idle as u64));
            }
            if options.tcp_keepalive_intvl > 0 {
                keepalive = keepalive
                    .with_interval(Duration::from_secs(options.tcp_keepalive_intvl as u64));
            }
            if options.tcp_keepalive_cnt > 0 {
                keepalive = keepalive.with_retries(options.tcp_keepalive_cnt as u32);
            }
            socket.set_tcp_keepalive(&keepalive)?;
            socket.set_keepalive(true)?;
        }
        _ => {} // -1: the system's default
    }
    Ok(socket)
}

/// SO_SNDBUF and SO_RCVBUF of an ipc stream: the socket's SNDBUF and
/// RCVBUF options when set, else `IPC_STREAM_BUFFER` (the kernel caps it at
/// `net.core.wmem_max`/`rmem_max`). A TCP socket keeps the system's
/// default when they are not set: setting a size would turn off the
/// kernel's autotuning, which grows a busy connection's buffers to
/// megabytes. A Unix socket has no autotuning, and its 208 KiB default
/// holds three 64 KiB messages: with both ends and their I/O threads on
/// one core, every three messages cost four thread switches.
fn size_unix_buffers(stream: &impl std::os::fd::AsFd, options: &Options) -> io::Result<()> {
    let socket = SockRef::from(stream);
    let size = |option: i32| {
        usize::try_from(option)
            .ok()
            .filter(|&n| n > 0)
            .unwrap_or(IPC_STREAM_BUFFER)
    };
    socket.set_send_buffer_size(size(options.sndbuf))?;
    socket.set_recv_buffer_size(size(options.rcvbuf))?;
    Ok(())
}

/// A connected, non-blocking stream.
#[derive(Debug)]
pub(crate) enum Stream {
    Tcp(mio::net::TcpStream),
    Unix(mio::net::UnixStream),
}

impl Stream {
    /// The descriptor, for monitor events.
    pub(crate) fn raw_fd(&self) -> std::os::unix::io::RawFd {
        use std::os::unix::io::AsRawFd;
        match self {
            Stream::Tcp(s) => s.as_raw_fd(),
            Stream::Unix(s) => s.as_raw_fd(),
        }
    }

    /// Starts a non-blocking TCP connect (completion is signalled by
    /// writability; see [`Stream::connect_result`]).
    pub(crate) fn connect_tcp(addr: SocketAddr, options: &Options) -> io::Result<Stream> {
        let socket = tcp_socket(addr, options)?;
        match socket.connect(&addr.into()) {
            Ok(()) => {}
            Err(e) if e.raw_os_error().map(Error::from_raw) == Some(Error::EINPROGRESS) => {}
            Err(e) => return Err(e),
        }
        let stream = std::net::TcpStream::from(socket);
        Ok(Stream::Tcp(mio::net::TcpStream::from_std(stream)))
    }

    /// Connects to a Unix domain socket (local: completes at once or fails),
    /// its buffers sized by [`size_unix_buffers`].
    pub(crate) fn connect_unix(
        addr: &std::os::unix::net::SocketAddr,
        options: &Options,
    ) -> io::Result<Stream> {
        let stream = std::os::unix::net::UnixStream::connect_addr(addr)?;
        stream.set_nonblocking(true)?;
        size_unix_buffers(&stream, options)?;
        Ok(Stream::Unix(mio::net::UnixStream::from_std(stream)))
    }

    /// After a writable event on a connecting stream: `Ok(true)` when
    /// connected, `Ok(false)` while still in progress, the error if the
    /// connect failed.
    pub(crate) fn connect_result(&self) -> io::Result<bool> {
        match self {
            Stream::Tcp(stream) => {
                if let Some(error) = stream.take_error()? {
                    return Err(error);
                }
                match stream.peer_addr() {
                    Ok(_) => {
                        // Small messages go out at once; ZeroMQ batches itself.
                        stream.set_nodelay(true)?;
                        Ok(true)
                    }
                    Err(e) if e.kind() == io::ErrorKind::NotConnected => Ok(false),
                    Err(e) => Err(e),
                }
            }
            Stream::Unix(_) => Ok(true),
        }
    }

    pub(crate) fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.write_vectored(bufs),
            Stream::Unix(s) => s.write_vectored(bufs),
        }
    }
}

impl Source for Stream {
    fn register(
        &mut self,
        registry: &Registry,
        token: Token,
        interests: Interest,
    ) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.register(registry, token, interests),
            Stream::Unix(s) => s.register(registry, token, interests),
        }
    }

    fn reregister(
        &mut self,
        registry: &Registry,
        token: Token,
        interests: Interest,
    ) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.reregister(registry, token, interests),
            Stream::Unix(s) => s.reregister(registry, token, interests),
        }
    }

    fn deregister(&mut self, registry: &Registry) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.deregister(registry),
            Stream::Unix(s) => s.deregister(registry),
        }
    }
}

/// A listening socket.
#[derive(Debug)]
pub(crate) enum Listener {
    Tcp(mio::net::TcpListener),
    /// With the file to remove when the listener closes (none for the
    /// abstract namespace).
    Unix(mio::net::UnixListener, Option<PathBuf>),
}

impl Listener {
    /// The descriptor, for monitor events.
    pub(crate) fn raw_fd(&self) -> std::os::unix::io::RawFd {
        use std::os::unix::io::AsRawFd;
        match self {
            Listener::Tcp(l) => l.as_raw_fd(),
            Listener::Unix(l, _) => l.as_raw_fd(),
        }
    }

    /// Binds a TCP listener (SO_REUSEADDR, as std and libzmq set it; the
    /// socket's options, inherited by accepted connections; BACKLOG).
    pub(crate) fn bind_tcp(addr: SocketAddr, options: &Options) -> io::Result<Listener> {
        let socket = tcp_socket(addr, options)?;
        socket.set_reuse_address(true)?;
        socket.bind(&addr.into())?;
        socket.listen(options.backlog.max(1))?;
        let listener = std::net::TcpListener::from(socket);
        Ok(Listener::Tcp(mio::net::TcpListener::from_std(listener)))
    }

    /// Binds a Unix listener at `path`. A file already there is removed
    /// first, as libzmq does (a stale socket left by a dead process would
    /// otherwise block the bind for good).
    pub(crate) fn bind_unix(addr: &std::os::unix::net::SocketAddr) -> io::Result<Listener> {
        let file = addr.as_pathname().map(PathBuf::from);
        if let Some(file) = &file {
            let _ = std::fs::remove_file(file);
        }
        let listener = std::os::unix::net::UnixListener::bind_addr(addr)?;
        listener.set_nonblocking(true)?;
        Ok(Listener::Unix(
            mio::net::UnixListener::from_std(listener),
            file,
        ))
    }

    /// The bound TCP address (for `get_last_endpoint`).
    pub(crate) fn tcp_addr(&self) -> Option<SocketAddr> {
        match self {
            Listener::Tcp(l) => l.local_addr().ok(),
            Listener::Unix(..) => None,
        }
    }

    /// Accepts one pending connection (an ipc one with its buffers sized by
    /// [`size_unix_buffers`]; a TCP one inherits the listener's options).
    pub(crate) fn accept(&self, options: &Options) -> io::Result<Stream> {
        match self {
            Listener::Tcp(l) => {
                let (stream, _) = l.accept()?;
                stream.set_nodelay(true)?;
                Ok(Stream::Tcp(stream))
            }
            Listener::Unix(l, _) => {
                let (stream, _) = l.accept()?;
                size_unix_buffers(&stream, options)?;
                Ok(Stream::Unix(stream))
            }
        }
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        if let Listener::Unix(_, Some(file)) = self {
            let _ = std::fs::remove_file(file);
        }
    }
}

impl Source for Listener {
    fn register(
        &mut self,
        registry: &Registry,
        token: Token,
        interests: Interest,
    ) -> io::Result<()> {
        match self {
            Listener::Tcp(l) => l.register(registry, token, interests),
            Listener::Unix(l, _) => l.register(registry, token, interests),
        }
    }

    fn reregister(
        &mut self,
        registry: &Registry,
        token: Token,
        interests: Interest,
    ) -> io::Result<()> {
        match self {
            Listener::Tcp(l) => l.reregister(registry, token, interests),
            Listener::Unix(l, _) => l.reregister(registry, token, interests),
        }
    }

    fn deregister(&mut self, registry: &Registry) -> io::Result<()> {
        match self {
            Listener::Tcp(l) => l.deregister(registry),
            Listener::Unix(l, _) => l.deregister(registry),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tcp_options_are_applied_before_bind_and_connect() {
        let options = Options {
            tcp_keepalive: 1,
            tcp_keepalive_idle: 42,
            rcvbuf: 1 << 16,
            ..Options::default()
        };
        let listener = Listener::bind_tcp("127.0.0.1:0".parse().unwrap(), &options).unwrap();
        let Listener::Tcp(inner) = &listener else {
            unreachable!("a TCP listener")
        };
        let sock = socket2::SockRef::from(inner);
        assert!(sock.keepalive().unwrap());
        assert_eq!(sock.tcp_keepalive_time().unwrap(), Duration::from_secs(42));
        // Linux doubles the value asked for (bookkeeping overhead).
        assert!(sock.recv_buffer_size().unwrap() >= 1 << 16);
        let addr = listener.tcp_addr().unwrap();
        let stream = Stream::connect_tcp(addr, &options).unwrap();
        let Stream::Tcp(inner) = &stream else {
            unreachable!("a TCP stream")
        };
        assert!(socket2::SockRef::from(inner).keepalive().unwrap());
    }

    #[test]
    fn ipc_buffers_are_the_options_else_larger_than_the_system_default() {
        let path = std::env::temp_dir().join(format!("zactor-bufs-{}.sock", std::process::id()));
        let addr = std::os::unix::net::SocketAddr::from_pathname(&path).unwrap();
        let listener = Listener::bind_unix(&addr).unwrap();
        let explicit = Options {
            sndbuf: 1 << 16,
            rcvbuf: 1 << 15,
            ..Options::default()
        };
        let defaulted = Stream::connect_unix(&addr, &Options::default()).unwrap();
        let accepted = loop {
            match listener.accept(&explicit) {
                Ok(stream) => break stream,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => std::thread::yield_now(),
                Err(e) => panic!("accept: {e}"),
            }
        };
        let sizes = |stream: &Stream| {
            let Stream::Unix(inner) = stream else {
                unreachable!("a Unix stream")
            };
            let sock = SockRef::from(inner);
            (
                sock.send_buffer_size().unwrap(),
                sock.recv_buffer_size().unwrap(),
            )
        };
        // Linux doubles the value asked for (bookkeeping overhead).
        assert_eq!(sizes(&accepted), (2 << 16, 2 << 15));
        let (plain, _) = std::os::unix::net::UnixStream::pair().unwrap();
        let system = SockRef::from(&plain).send_buffer_size().unwrap();
        let (send, recv) = sizes(&defaulted);
        assert!(
            send > system && recv > system,
            "{send}/{recv} vs the system's {system}"
        );
        drop(listener);
        let _ = std::fs::remove_file(&path);
    }
}
