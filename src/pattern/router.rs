//! ROUTER (RFC 28): prefixes every incoming message with the routing id of
//! the peer it came from, and routes every outgoing message by its first
//! frame. Unknown ids are dropped silently, or refused with `EHOSTUNREACH`
//! under ROUTER_MANDATORY; a full peer drops the message, or `EAGAIN` under
//! ROUTER_MANDATORY. Also the engine of REP.

use bytes::Bytes;

use super::dealer::probe;
use super::fq::Fq;
use super::pipes::Pipes;
use super::routing::RoutingTable;
use super::Pattern;
use crate::error::{Error, Result};
use crate::msg::Message;
use crate::pipe::PipeId;
use crate::socket::options::Options;

/// Where the frames of the message being sent go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outgoing {
    /// Waiting for a routing id frame.
    Idle,
    /// Sending to this pipe.
    To(PipeId),
    /// Dropping the rest of the message.
    Dropping,
}

pub(crate) struct Router {
    fq: Fq,
    table: RoutingTable,
    /// The first frame of a message whose routing id frame was just
    /// returned.
    held: Option<Message>,
    /// In the middle of returning a message.
    receiving: bool,
    outgoing: Outgoing,
}

impl Default for Router {
    fn default() -> Self {
        Router {
            fq: Fq::default(),
            table: RoutingTable::default(),
            held: None,
            receiving: false,
            outgoing: Outgoing::Idle,
        }
    }
}

impl Router {
    /// Gives a pipe its routing id once the peer's identity is known.
    fn identify(&mut self, id: PipeId, pipes: &mut Pipes, options: &Options) {
        let Some(peer_id) = pipes.get(id).and_then(|e| e.peer.routing_id.clone()) else {
            return; // a pending connection: `peer_bound` will call again
        };
        let routing_id = if peer_id.is_empty() {
            self.table.generate()
        } else if let Some(existing) = self.table.pipe(&peer_id) {
            if options.router_handover {
                // The newcomer takes the name over; the old pipe goes.
                self.forget(existing);
                pipes.mark_dead(existing);
                peer_id
            } else {
                // libzmq refuses a duplicate identity.
                pipes.mark_dead(id);
                return;
            }
        } else {
            peer_id
        };
        self.table.insert(routing_id, id);
        self.fq.attach(id);
        probe(id, pipes, options);
    }

    fn forget(&mut self, id: PipeId) {
        self.fq.terminated(id);
        self.table.remove_pipe(id);
        if self.outgoing == Outgoing::To(id) {
            self.outgoing = Outgoing::Dropping;
        }
    }

    /// Abandons a reply being written (REP's malformed request).
    pub(crate) fn rollback(&mut self, pipes: &mut Pipes) {
        if let Outgoing::To(id) = self.outgoing {
            pipes.rollback(id);
        }
        self.outgoing = Outgoing::Idle;
    }

    /// Receives one frame, also saying which pipe it came from.
    pub(crate) fn recv_from(&mut self, pipes: &mut Pipes) -> Result<Message> {
        if let Some(msg) = self.held.take() {
            self.receiving = msg.get_more();
            return Ok(msg);
        }
        let (msg, pipe) = self.fq.recv(pipes).ok_or(Error::EAGAIN)?;
        if self.receiving {
            self.receiving = msg.get_more();
            return Ok(msg);
        }
        let routing_id = self.table.id_of(pipe).cloned().unwrap_or_else(Bytes::new);
        let mut id_frame = Message::from(routing_id);
        id_frame.set_more(true);
        self.held = Some(msg);
        self.receiving = true;
        Ok(id_frame)
    }
}

impl Pattern for Router {
    fn attach(&mut self, id: PipeId, pipes: &mut Pipes, options: &Options) {
        self.identify(id, pipes, options);
    }
    fn peer_bound(&mut self, id: PipeId, pipes: &mut Pipes, options: &Options) {
        self.identify(id, pipes, options);
    }
    fn read_activated(&mut self, id: PipeId, _: &mut Pipes) {
        self.fq.activate(id);
    }
    fn write_activated(&mut self, _: PipeId, _: &mut Pipes) {
        // Credit is checked at each message's routing id.
    }
    fn terminated(&mut self, id: PipeId, _: &mut Pipes) {
        self.forget(id);
    }
    fn send(
        &mut self,
        msg: Message,
        pipes: &mut Pipes,
        options: &Options,
    ) -> std::result::Result<(), (Error, Message)> {
        let more = msg.get_more();
        match self.outgoing {
            Outgoing::Idle => {
                if !more {
                    // A lone routing id with no body: nothing to send.
                    return Ok(());
                }
                self.outgoing = match self.table.pipe(&msg) {
                    Some(pipe) if pipes.check_write(pipe) => Outgoing::To(pipe),
                    Some(_) if options.router_mandatory => return Err((Error::EAGAIN, msg)),
                    None if options.router_mandatory => return Err((Error::EHOSTUNREACH, msg)),
                    _ => Outgoing::Dropping,
                };
                return Ok(());
            }
            Outgoing::To(pipe) => {
                if pipes.write(pipe, msg).is_err() {
                    // The peer went mid-message: drop the rest.
                    self.outgoing = Outgoing::Dropping;
                }
            }
            Outgoing::Dropping => {}
        }
        if !more {
            self.outgoing = Outgoing::Idle;
        }
        Ok(())
    }
    fn recv(&mut self, pipes: &mut Pipes, _: &Options) -> Result<Message> {
        self.recv_from(pipes)
    }
    fn has_in(&mut self, pipes: &mut Pipes) -> bool {
        self.held.is_some() || self.fq.has_in(pipes)
    }
    fn has_out(&mut self, _: &mut Pipes) -> bool {
        // A ROUTER can always send: a message for an unroutable peer is
        // dropped (libzmq reports ROUTER as always writable).
        true
    }
}
