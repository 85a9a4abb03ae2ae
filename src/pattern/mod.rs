//! Messaging patterns: shared routing blocks, and one small file per socket
//! type composing them.
//!
//! Routing blocks: [`lb`] (load-balance out), [`fq`] (fair-queue in),
//! [`dist`] (fan out to many), [`trie`] and [`mtrie`] (subscriptions),
//! [`routing`] (routing-id table). A socket type implements [`Pattern`]: a
//! handful of hooks the socket calls when a pipe comes, wakes or goes, and
//! to send or receive one frame. [`AnyPattern`] dispatches over the types
//! with a `match`, so calls inline.

pub(crate) mod active;
pub(crate) mod dist;
pub(crate) mod fq;
pub(crate) mod lb;
pub(crate) mod mtrie;
pub(crate) mod pipes;
pub(crate) mod routing;
pub(crate) mod trie;

mod dealer;
mod pair;
mod publish;
mod pull;
mod push;
mod rep;
mod req;
mod router;
mod stream;
mod sub;
mod xpub;
mod xsub;

use crate::error::{Error, Result};
use crate::msg::Message;
use crate::pipe::PipeId;
use crate::socket::options::Options;
use crate::socket_type::SocketType;
use pipes::Pipes;

/// An option a pattern handles itself (the rest live in [`Options`]).
#[derive(Debug, Clone, Copy)]
pub(crate) enum PatternOption<'a> {
    /// ZMQ_SUBSCRIBE
    Subscribe(&'a [u8]),
    /// ZMQ_UNSUBSCRIBE
    Unsubscribe(&'a [u8]),
}

/// The hooks every socket type implements.
pub(crate) trait Pattern {
    /// A new pipe, ready for use. `pipes.get(id).peer` says who is there.
    fn attach(&mut self, id: PipeId, pipes: &mut Pipes, options: &Options);
    /// A pending pipe's peer has bound: its routing id is now known.
    fn peer_bound(&mut self, _id: PipeId, _pipes: &mut Pipes, _options: &Options) {}
    /// A pipe we found empty has messages again.
    fn read_activated(&mut self, id: PipeId, pipes: &mut Pipes);
    /// A pipe we found full has room again.
    fn write_activated(&mut self, id: PipeId, pipes: &mut Pipes);
    /// A pipe is going away: forget it. Called once per attached pipe.
    fn terminated(&mut self, id: PipeId, pipes: &mut Pipes);
    /// Sends one frame. `EAGAIN` hands the frame back: retry after a wake-up.
    fn send(
        &mut self,
        msg: Message,
        pipes: &mut Pipes,
        options: &Options,
    ) -> std::result::Result<(), (Error, Message)>;
    /// Sends `*msg`, leaving an empty message in its place; on an error,
    /// `*msg` is the frame to retry (`EAGAIN`) or drop. A pattern that
    /// passes frames on as they are overrides it to copy each frame once,
    /// from `msg` to its pipe.
    #[inline]
    fn send_from(&mut self, msg: &mut Message, pipes: &mut Pipes, options: &Options) -> Result<()> {
        self.send(std::mem::take(msg), pipes, options)
            .map_err(|(error, back)| {
                *msg = back;
                error
            })
    }
    /// Receives one frame; `EAGAIN` when none is ready.
    fn recv(&mut self, pipes: &mut Pipes, options: &Options) -> Result<Message>;
    /// Receives one frame into `out`, replacing what it held; `EAGAIN`
    /// (`out` untouched) when none is ready. A pattern that passes frames
    /// on as they come overrides it to copy each frame once, from its pipe
    /// to `out`.
    #[inline]
    fn recv_into(&mut self, out: &mut Message, pipes: &mut Pipes, options: &Options) -> Result<()> {
        *out = self.recv(pipes, options)?;
        Ok(())
    }
    /// Whether a receive would not block.
    fn has_in(&mut self, pipes: &mut Pipes) -> bool;
    /// Whether a send would not block.
    fn has_out(&mut self, pipes: &mut Pipes) -> bool;
    /// A pattern-specific option.
    fn set_option(&mut self, _option: PatternOption<'_>, _pipes: &mut Pipes) -> Result<()> {
        Err(Error::EINVAL)
    }
}

/// [`Pattern::send`] for a pattern that overrides [`Pattern::send_from`].
#[inline]
pub(crate) fn send_by_place<P: Pattern + ?Sized>(
    pattern: &mut P,
    mut msg: Message,
    pipes: &mut Pipes,
    options: &Options,
) -> std::result::Result<(), (Error, Message)> {
    pattern
        .send_from(&mut msg, pipes, options)
        .map_err(|error| (error, msg))
}

/// [`Pattern::recv`] for a pattern that overrides [`Pattern::recv_into`].
#[inline]
pub(crate) fn recv_by_place<P: Pattern + ?Sized>(
    pattern: &mut P,
    pipes: &mut Pipes,
    options: &Options,
) -> Result<Message> {
    let mut msg = Message::new();
    pattern.recv_into(&mut msg, pipes, options).map(|()| msg)
}

/// Every socket type's pattern, for static dispatch.
pub(crate) enum AnyPattern {
    Pair(pair::Pair),
    Pub(publish::Pub),
    Sub(sub::Sub),
    Req(req::Req),
    Rep(rep::Rep),
    Dealer(dealer::Dealer),
    Router(router::Router),
    Pull(pull::Pull),
    Push(push::Push),
    XPub(xpub::XPub),
    XSub(xsub::XSub),
    Stream(stream::Stream),
}

macro_rules! dispatch {
    ($self:ident, $p:ident => $body:expr) => {
        match $self {
            AnyPattern::Pair($p) => $body,
            AnyPattern::Pub($p) => $body,
            AnyPattern::Sub($p) => $body,
            AnyPattern::Req($p) => $body,
            AnyPattern::Rep($p) => $body,
            AnyPattern::Dealer($p) => $body,
            AnyPattern::Router($p) => $body,
            AnyPattern::Pull($p) => $body,
            AnyPattern::Push($p) => $body,
            AnyPattern::XPub($p) => $body,
            AnyPattern::XSub($p) => $body,
            AnyPattern::Stream($p) => $body,
        }
    };
}

impl AnyPattern {
    /// The pattern for a socket type.
    pub(crate) fn new(kind: SocketType) -> Result<Self> {
        Ok(match kind {
            SocketType::PAIR => AnyPattern::Pair(Default::default()),
            SocketType::PUB => AnyPattern::Pub(Default::default()),
            SocketType::SUB => AnyPattern::Sub(Default::default()),
            SocketType::REQ => AnyPattern::Req(Default::default()),
            SocketType::REP => AnyPattern::Rep(Default::default()),
            SocketType::DEALER => AnyPattern::Dealer(Default::default()),
            SocketType::ROUTER => AnyPattern::Router(Default::default()),
            SocketType::PULL => AnyPattern::Pull(Default::default()),
            SocketType::PUSH => AnyPattern::Push(Default::default()),
            SocketType::XPUB => AnyPattern::XPub(Default::default()),
            SocketType::XSUB => AnyPattern::XSub(Default::default()),
            SocketType::STREAM => AnyPattern::Stream(Default::default()),
        })
    }
}

impl Pattern for AnyPattern {
    #[inline]
    fn attach(&mut self, id: PipeId, pipes: &mut Pipes, options: &Options) {
        dispatch!(self, p => p.attach(id, pipes, options))
    }
    #[inline]
    fn peer_bound(&mut self, id: PipeId, pipes: &mut Pipes, options: &Options) {
        dispatch!(self, p => p.peer_bound(id, pipes, options))
    }
    #[inline]
    fn read_activated(&mut self, id: PipeId, pipes: &mut Pipes) {
        dispatch!(self, p => p.read_activated(id, pipes))
    }
    #[inline]
    fn write_activated(&mut self, id: PipeId, pipes: &mut Pipes) {
        dispatch!(self, p => p.write_activated(id, pipes))
    }
    #[inline]
    fn terminated(&mut self, id: PipeId, pipes: &mut Pipes) {
        dispatch!(self, p => p.terminated(id, pipes))
    }
    #[inline]
    fn send(
        &mut self,
        msg: Message,
        pipes: &mut Pipes,
        options: &Options,
    ) -> std::result::Result<(), (Error, Message)> {
        dispatch!(self, p => p.send(msg, pipes, options))
    }
    #[inline]
    fn send_from(&mut self, msg: &mut Message, pipes: &mut Pipes, options: &Options) -> Result<()> {
        dispatch!(self, p => p.send_from(msg, pipes, options))
    }
    #[inline]
    fn recv(&mut self, pipes: &mut Pipes, options: &Options) -> Result<Message> {
        dispatch!(self, p => p.recv(pipes, options))
    }
    #[inline]
    fn recv_into(&mut self, out: &mut Message, pipes: &mut Pipes, options: &Options) -> Result<()> {
        dispatch!(self, p => p.recv_into(out, pipes, options))
    }
    #[inline]
    fn has_in(&mut self, pipes: &mut Pipes) -> bool {
        dispatch!(self, p => p.has_in(pipes))
    }
    #[inline]
    fn has_out(&mut self, pipes: &mut Pipes) -> bool {
        dispatch!(self, p => p.has_out(pipes))
    }
    #[inline]
    fn set_option(&mut self, option: PatternOption<'_>, pipes: &mut Pipes) -> Result<()> {
        dispatch!(self, p => p.set_option(option, pipes))
    }
}
