//! The inproc transport: sockets in one context connected by pipe pairs,
//! found through the context's endpoint table.
//!
//! Connect to a bound endpoint: the connector makes the pipe pair, keeps one
//! end and mails the other to the binder (`Attach`). Connect before bind:
//! the connector keeps one end and parks the other in the table; the binder
//! takes every parked end when it binds and tells each connector who it is
//! (`PeerBound`). Either way the connector can send at once: messages queue
//! in the pipe within its high-water mark.

use bytes::Bytes;

use crate::command::{Command, NewPipe};
use crate::ctx::{CtxInner, CtxState};
use crate::error::{Error, Result};
use crate::mailbox::Mailbox;
use crate::pipe::{pipe_pair_for, PeerInfo, PipeEnd, PipeId};
use crate::socket::options::Options;
use crate::socket_type::SocketType;
use crate::sync::Arc;

/// A name in the context's inproc table.
pub(crate) enum InprocEndpoint {
    /// A socket has bound the name.
    Bound(Box<BoundSocket>),
    /// Connections waiting for a socket to bind the name.
    Pending(Vec<PendingConnect>),
}

/// The binder of a name, as connectors need to see it.
pub(crate) struct BoundSocket {
    socket: u64,
    mailbox: Arc<Mailbox>,
    kind: SocketType,
    options: Options,
}

/// A connection made before its endpoint was bound.
pub(crate) struct PendingConnect {
    end: PipeEnd,
    socket: u64,
    mailbox: Arc<Mailbox>,
    kind: SocketType,
    options: Options,
    pipe: PipeId,
}

/// What a socket tells the transport about itself.
pub(crate) struct Local<'a> {
    pub(crate) socket: u64,
    pub(crate) kind: SocketType,
    pub(crate) options: &'a Options,
    pub(crate) mailbox: &'a Arc<Mailbox>,
}

/// A pending connection taken over by a bind.
pub(crate) struct Accepted {
    pub(crate) end: PipeEnd,
    pub(crate) peer: PeerInfo,
    pub(crate) connector: Arc<Mailbox>,
    pub(crate) connector_pipe: PipeId,
}

fn peer_info(options: &Options) -> PeerInfo {
    PeerInfo {
        routing_id: Some(Bytes::copy_from_slice(&options.identity)),
    }
}

/// Binds `name`; returns the connections that were waiting for it, ready
/// to attach. `EADDRINUSE` when already bound.
pub(crate) fn bind(ctx: &CtxInner, name: &str, me: Local<'_>) -> Result<Vec<Accepted>> {
    let mut state = ctx.lock();
    let waiting = match state.endpoints.remove(name) {
        Some(InprocEndpoint::Bound(bound)) => {
            state
                .endpoints
                .insert(name.to_owned(), InprocEndpoint::Bound(bound));
            return Err(Error::EADDRINUSE);
        }
        Some(InprocEndpoint::Pending(list)) => list,
        None => Vec::new(),
    };
    state.endpoints.insert(
        name.to_owned(),
        InprocEndpoint::Bound(Box::new(BoundSocket {
            socket: me.socket,
            mailbox: me.mailbox.clone(),
            kind: me.kind,
            options: me.options.clone(),
        })),
    );
    drop(state);
    let mut accepted = Vec::with_capacity(waiting.len());
    for pending in waiting {
        if !me.kind.is_compatible_with(pending.kind) {
            // Refused: dropping the end tells the connector (PipeTerm).
            continue;
        }
        pending
            .end
            .set_out_hwm(me.options.pipe_hwm(&pending.options));
        pending.end.set_in_hwm(pending.options.pipe_hwm(me.options));
        pending.end.set_in_max_frame(me.options.maxmsgsize);
        accepted.push(Accepted {
            peer: peer_info(&pending.options),
            end: pending.end,
            connector: pending.mailbox,
            connector_pipe: pending.pipe,
        });
    }
    Ok(accepted)
}

/// Connects to `name`; returns this socket's end of the new pipe and what
/// is known of the peer. `ENOCOMPATPROTO` when the bound socket's type
/// cannot talk to ours. `next_pipe` is the id the caller will give the end.
pub(crate) fn connect(
    ctx: &CtxInner,
    name: &str,
    endpoint: &str,
    me: Local<'_>,
    next_pipe: PipeId,
) -> Result<(PipeEnd, PeerInfo)> {
    let mut state = ctx.lock();
    if let Some(InprocEndpoint::Bound(bound)) = state.endpoints.get(name) {
        if !me.kind.is_compatible_with(bound.kind) {
            return Err(Error::ENOCOMPATPROTO);
        }
        let hwm = [
            me.options.pipe_hwm(&bound.options),
            bound.options.pipe_hwm(me.options),
        ];
        let shared = [me.kind.fans_out(), bound.kind.fans_out()];
        let (mine, theirs) = pipe_pair_for(hwm, endpoint, shared);
        mine.set_in_max_frame(me.options.maxmsgsize);
        theirs.set_in_max_frame(bound.options.maxmsgsize);
        bound.mailbox.send(Command::Attach(Box::new(NewPipe {
            end: theirs,
            peer: peer_info(me.options),
        })));
        return Ok((mine, peer_info(&bound.options)));
    }
    // Not bound yet: park the other end until someone binds.
    let own_limit = |hwm: i32| {
        if hwm > 0 && !me.options.conflate {
            hwm as u64
        } else {
            0
        }
    };
    // The binder's type is not known yet: its sends travel as whole frames.
    let (mine, theirs) = pipe_pair_for(
        [own_limit(me.options.sndhwm), own_limit(me.options.rcvhwm)],
        endpoint,
        [me.kind.fans_out(), false],
    );
    mine.set_in_max_frame(me.options.maxmsgsize);
    let pending = PendingConnect {
        end: theirs,
        socket: me.socket,
        mailbox: me.mailbox.clone(),
        kind: me.kind,
        options: me.options.clone(),
        pipe: next_pipe,
    };
    match state
        .endpoints
        .entry(name.to_owned())
        .or_insert_with(|| InprocEndpoint::Pending(Vec::new()))
    {
        InprocEndpoint::Pending(list) => list.push(pending),
        InprocEndpoint::Bound(_) => unreachable!("checked above under the same lock"),
    }
    Ok((mine, PeerInfo { routing_id: None }))
}

/// Tells the connector of an accepted pending pipe who bound it.
pub(crate) fn announce(accepted_connector: &Mailbox, connector_pipe: PipeId, options: &Options) {
    accepted_connector.send(Command::PeerBound(connector_pipe, peer_info(options)));
}

/// Unbinds `name` if `socket` bound it; `ENOENT` otherwise.
pub(crate) fn unbind(ctx: &CtxInner, name: &str, socket: u64) -> Result<()> {
    let mut state = ctx.lock();
    match state.endpoints.get(name) {
        Some(InprocEndpoint::Bound(bound)) if bound.socket == socket => {
            state.endpoints.remove(name);
            Ok(())
        }
        _ => Err(Error::ENOENT),
    }
}

/// Withdraws `socket`'s connections to `name` that still wait for a bind.
/// Returns whether there were any.
pub(crate) fn cancel_pending(ctx: &CtxInner, name: &str, socket: u64) -> bool {
    let mut state = ctx.lock();
    let Some(InprocEndpoint::Pending(list)) = state.endpoints.get_mut(name) else {
        return false;
    };
    let before = list.len();
    list.retain(|p| p.socket != socket);
    let removed = list.len() != before;
    if list.is_empty() {
        state.endpoints.remove(name);
    }
    removed
}

/// Removes everything `socket` registered: its binds, and (unless
/// `keep_pending`, i.e. LINGER is not 0) its connections waiting for a bind,
/// whose queued messages a later bind may still deliver.
pub(crate) fn forget_socket(state: &mut CtxState, socket: u64, keep_pending: bool) {
    state.endpoints.retain(|_, endpoint| match endpoint {
        InprocEndpoint::Bound(bound) => bound.socket != socket,
        InprocEndpoint::Pending(list) => {
            if !keep_pending {
                list.retain(|p| p.socket != socket);
            }
            !list.is_empty()
        }
    });
}
