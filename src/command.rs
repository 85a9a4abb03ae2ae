//! Commands: what one socket tells another outside the message stream.
//!
//! Commands are a typed enum carried by the receiving socket's
//! [`Mailbox`](crate::mailbox::Mailbox) and processed by its owner thread the
//! next time the socket is used. They only travel on edges (a pipe appears, a
//! sleeping reader must look again, a blocked writer regains credit, a peer
//! goes away), never once per message on a warm pipe. Subscriptions are not
//! commands here: as in libzmq they travel inside the pipe as `\x01topic`
//! messages, which keeps them ordered with the data.

use crate::pipe::{PeerInfo, PipeEnd, PipeId};

/// A pipe end handed to a socket, with what it needs to know about the peer.
#[derive(Debug)]
pub(crate) struct NewPipe {
    /// The end this socket will own.
    pub(crate) end: PipeEnd,
    /// Who is at the other end.
    pub(crate) peer: PeerInfo,
}

/// One command for a socket.
#[derive(Debug)]
pub(crate) enum Command {
    /// Take ownership of a new pipe (an inproc peer connected to our bind).
    Attach(Box<NewPipe>),
    /// A pipe we had found empty has messages again.
    ActivateRead(PipeId),
    /// A pipe we had found full has credit again.
    ActivateWrite(PipeId),
    /// The peer closed its end of this pipe.
    PipeTerm(PipeId),
    /// The socket that bound our pending (connect-before-bind) endpoint has
    /// taken the other end of this pipe; here is who it is.
    PeerBound(PipeId, PeerInfo),
}
