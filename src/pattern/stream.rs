//! STREAM (libzmq's ZMQ_STREAM): a socket whose peers are plain TCP
//! connections, each named by a generated routing id.
//!
//! Each pipe is one connection (see `transport::raw_engine`), and each
//! message in it one chunk of bytes, or an empty frame: the connection was
//! made, or ended. Receiving gives two frames per message, `[id, data]`;
//! sending takes two, `[id (MORE), data]` (libzmq 4.3 `stream_t`):
//! - an unknown id fails with `EHOSTUNREACH`; a full peer with `EAGAIN`, so
//!   a blocking send waits for room;
//! - data of zero length closes the connection, once what was sent before
//!   it is written (the pipe closes; the engine flushes it and goes);
//! - a lone id frame (no MORE) is ignored, and the MORE flag of the data
//!   frame too: the next frame is an id again.

use std::collections::HashSet;

use super::fq::Fq;
use super::pipes::Pipes;
use super::routing::RoutingTable;
use super::Pattern;
use crate::error::{Error, Result};
use crate::msg::Message;
use crate::pipe::PipeId;
use crate::socket::options::Options;

/// Where the data frame being sent goes.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum Outgoing {
    /// Waiting for a routing id frame.
    #[default]
    Idle,
    /// The data frame goes to this pipe.
    To(PipeId),
    /// The data frame is dropped (a lone id, or the peer went meanwhile).
    Dropping,
}

/// The STREAM socket type.
#[derive(Debug, Default)]
pub(crate) struct Stream {
    fq: Fq,
    table: RoutingTable,
    /// The data frame whose routing-id frame was just returned.
    held: Option<Message>,
    outgoing: Outgoing,
    /// Connections whose connect notification was received: their next
    /// empty frame is the disconnect notification, after which the id is
    /// forgotten at once (the pipe's own end may be seen a moment later).
    announced: HashSet<PipeId>,
}

impl Pattern for Stream {
    fn attach(&mut self, id: PipeId, _: &mut Pipes, _: &Options) {
        // Always a generated id: raw peers have no identity to tell.
        self.table.admit(id, bytes::Bytes::new(), false);
        self.fq.attach(id);
    }
    fn read_activated(&mut self, id: PipeId, _: &mut Pipes) {
        self.fq.activate(id);
    }
    fn write_activated(&mut self, _: PipeId, _: &mut Pipes) {
        // The command itself wakes a sender waiting for room.
    }
    fn terminated(&mut self, id: PipeId, _: &mut Pipes) {
        self.fq.terminated(id);
        self.table.remove_pipe(id);
        self.announced.remove(&id);
        if self.outgoing == Outgoing::To(id) {
            self.outgoing = Outgoing::Dropping;
        }
    }
    fn send(
        &mut self,
        mut msg: Message,
        pipes: &mut Pipes,
        _: &Options,
    ) -> std::result::Result<(), (Error, Message)> {
        match self.outgoing {
            Outgoing::Idle => {
                if !msg.get_more() {
                    return Ok(()); // a lone id: ignored, as libzmq does
                }
                let Some(pipe) = self.table.pipe(&msg) else {
                    return Err((Error::EHOSTUNREACH, msg));
                };
                if !pipes.check_write(pipe) {
                    let gone = pipes.get(pipe).map_or(true, |e| e.end.peer_closed());
                    let error = if gone {
                        Error::EHOSTUNREACH
                    } else {
                        Error::EAGAIN
                    };
                    return Err((error, msg));
                }
                self.outgoing = Outgoing::To(pipe);
                Ok(())
            }
            Outgoing::To(pipe) => {
                self.outgoing = Outgoing::Idle;
                if msg.is_empty() {
                    // Close the connection: the engine writes what the pipe
                    // holds, sees it closed, and closes the stream.
                    self.terminated(pipe, pipes);
                    pipes.mark_dead(pipe);
                    return Ok(());
                }
                msg.set_more(false);
                // Err: the connection went meanwhile; the data goes with it.
                let _ = pipes.write(pipe, msg);
                Ok(())
            }
            Outgoing::Dropping => {
                self.outgoing = Outgoing::Idle;
                Ok(())
            }
        }
    }
    fn recv(&mut self, pipes: &mut Pipes, _: &Options) -> Result<Message> {
        if let Some(data) = self.held.take() {
            return Ok(data);
        }
        let (mut data, pipe) = self.fq.recv(pipes).ok_or(Error::EAGAIN)?;
        data.set_more(false);
        let id = self.table.id_of(pipe).cloned().unwrap_or_default();
        if data.is_empty() && !self.announced.insert(pipe) {
            // The disconnect notification, the engine's last word.
            self.terminated(pipe, pipes);
            pipes.mark_dead(pipe);
        }
        let mut id_frame = Message::from(id);
        id_frame.set_more(true);
        self.held = Some(data);
        Ok(id_frame)
    }
    fn has_in(&mut self, pipes: &mut Pipes) -> bool {
        self.held.is_some() || self.fq.has_in(pipes)
    }
    fn has_out(&mut self, _: &mut Pipes) -> bool {
        // As libzmq's `stream_t::xhas_out`: a send may always be tried.
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::msg::frame;
    use crate::pipe::{pipe_pair, PeerInfo, PipeEnd};

    fn connection(stream: &mut Stream, pipes: &mut Pipes, hwm: u64) -> (PipeId, PipeEnd) {
        let (near, far) = pipe_pair([hwm, 0], "tcp://127.0.0.1:1");
        let id = pipes.insert(near, PeerInfo { routing_id: None });
        stream.attach(id, pipes, &Options::default());
        (id, far)
    }

    #[test]
    fn chunks_come_with_their_connection_id_and_replies_go_by_it() {
        let options = Options::default();
        let (mut stream, mut pipes) = (Stream::default(), Pipes::default());
        let (_, mut peer) = connection(&mut stream, &mut pipes, 0);
        peer.write(frame(b"GET /", false)).unwrap();
        let id = stream.recv(&mut pipes, &options).unwrap();
        assert!(id.get_more());
        assert_eq!((id.len(), id[0]), (5, 0));
        let data = stream.recv(&mut pipes, &options).unwrap();
        assert_eq!((&data[..], data.get_more()), (&b"GET /"[..], false));
        assert_eq!(stream.recv(&mut pipes, &options).err(), Some(Error::EAGAIN));

        stream.send(frame(&id, true), &mut pipes, &options).unwrap();
        stream
            .send(frame(b"200", true), &mut pipes, &options)
            .unwrap();
        let out = peer.read().unwrap();
        assert_eq!((&out[..], out.get_more()), (&b"200"[..], false));
    }

    #[test]
    fn unknown_ids_full_peers_and_empty_data() {
        let options = Options::default();
        let (mut stream, mut pipes) = (Stream::default(), Pipes::default());
        let (pipe, mut peer) = connection(&mut stream, &mut pipes, 1);
        let error = stream.send(frame(b"nobody", true), &mut pipes, &options);
        assert_eq!(error.err().map(|(e, _)| e), Some(Error::EHOSTUNREACH));
        let id = stream.table.id_of(pipe).unwrap().clone();
        stream.send(frame(&id, true), &mut pipes, &options).unwrap();
        stream
            .send(frame(b"x", false), &mut pipes, &options)
            .unwrap();
        let full = stream.send(frame(&id, true), &mut pipes, &options);
        assert_eq!(full.err().map(|(e, _)| e), Some(Error::EAGAIN));
        assert_eq!(&peer.read().unwrap()[..], b"x");
        // Empty data closes: the pipe goes, and the id is unknown from now.
        stream.send(frame(&id, true), &mut pipes, &options).unwrap();
        stream
            .send(frame(b"", false), &mut pipes, &options)
            .unwrap();
        assert_eq!(pipes.take_dead(), [pipe]);
        let gone = stream.send(frame(&id, true), &mut pipes, &options);
        assert_eq!(gone.err().map(|(e, _)| e), Some(Error::EHOSTUNREACH));
    }

    #[test]
    fn the_second_empty_frame_is_the_disconnect_and_forgets_the_id() {
        let options = Options::default();
        let (mut stream, mut pipes) = (Stream::default(), Pipes::default());
        let (pipe, mut peer) = connection(&mut stream, &mut pipes, 0);
        peer.write(frame(b"", false)).unwrap();
        peer.write(frame(b"bye", false)).unwrap();
        peer.write(frame(b"", false)).unwrap();
        let mut seen = Vec::new();
        for _ in 0..3 {
            let id = stream.recv(&mut pipes, &options).unwrap();
            seen.push(stream.recv(&mut pipes, &options).unwrap().to_vec());
            assert_eq!(stream.table.id_of(pipe).is_some(), seen.len() < 3, "{id:?}");
        }
        assert_eq!(seen, [&b""[..], b"bye", b""]);
        assert_eq!(pipes.take_dead(), [pipe]);
    }
}
