//! The byte streams and listeners of the network transports: TCP or Unix
//! domain sockets behind one type each, so the engine and the I/O thread
//! never care which (mio's non-blocking types; no `unsafe`).

use std::io::{self, IoSlice, Read, Write};
use std::net::SocketAddr;
use std::path::PathBuf;

use mio::event::Source;
use mio::{Interest, Registry, Token};

/// A connected, non-blocking stream.
#[derive(Debug)]
pub(crate) enum Stream {
    Tcp(mio::net::TcpStream),
    Unix(mio::net::UnixStream),
}

impl Stream {
    /// Starts a non-blocking TCP connect (completion is signalled by
    /// writability; see [`Stream::connect_result`]).
    pub(crate) fn connect_tcp(addr: SocketAddr) -> io::Result<Stream> {
        let stream = mio::net::TcpStream::connect(addr)?;
        Ok(Stream::Tcp(stream))
    }

    /// Connects to a Unix domain socket (local: completes at once or fails).
    pub(crate) fn connect_unix(addr: &std::os::unix::net::SocketAddr) -> io::Result<Stream> {
        let stream = std::os::unix::net::UnixStream::connect_addr(addr)?;
        stream.set_nonblocking(true)?;
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

    pub(crate) fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.read(buf),
            Stream::Unix(s) => s.read(buf),
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
    /// Binds a TCP listener (SO_REUSEADDR, as std and libzmq set it).
    pub(crate) fn bind_tcp(addr: SocketAddr) -> io::Result<Listener> {
        Ok(Listener::Tcp(mio::net::TcpListener::bind(addr)?))
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

    /// Accepts one pending connection.
    pub(crate) fn accept(&self) -> io::Result<Stream> {
        match self {
            Listener::Tcp(l) => {
                let (stream, _) = l.accept()?;
                stream.set_nodelay(true)?;
                Ok(Stream::Tcp(stream))
            }
            Listener::Unix(l, _) => Ok(Stream::Unix(l.accept()?.0)),
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
