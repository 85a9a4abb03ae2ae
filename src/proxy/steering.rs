//! The steerable proxy's control protocol: the commands read from the
//! control socket and the replies sent back.
//!
//! # Commands and replies (libzmq's current master)
//!
//! | command | effect | reply |
//! |---|---|---|
//! | `PAUSE` | stop forwarding; wait only for the next command | an empty frame if the control socket is REP, else none |
//! | `RESUME` | forward again | the same |
//! | `TERMINATE` | the proxy function returns `Ok(())` | the same |
//! | `STATISTICS` | none | eight `u64` frames, whatever the socket type (see `stats`) |
//! | anything else | none (ignored) | an empty frame if REP, else none |
//!
//! Why master rather than 4.3.4: 4.3.4 never replies to PAUSE, RESUME or
//! TERMINATE, so a REQ/REP control pair (what its own manual shows) stalls
//! after the first command; and it aborts the process on an unknown command,
//! which a library must not do on input a peer sends. Master replies to a
//! REP and ignores unknown commands; so do we.
//!
//! Two further choices, where master is silent or differs:
//! - a command is a whole message: one of the four words in a single frame.
//!   A multipart message is read to its end and treated as unknown (master
//!   reads frame by frame, so the rest of such a message would be taken as
//!   further commands, and a REP would reply mid-request).
//! - commands are not copied to the capture socket (as master; 4.3.4 copied
//!   them): capture carries the traffic between frontend and backend only.

use super::stats::Statistics;
use crate::error::{Error, Result};
use crate::msg::Message;
use crate::socket::{Socket, DONTWAIT, SNDMORE};
use crate::socket_type::SocketType;

/// A command read from the control socket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Command {
    Pause,
    Resume,
    Terminate,
    Statistics,
    /// Anything else: ignored, but a REP still owes its peer a reply.
    Unknown,
}

impl Command {
    /// The command a single-frame message names.
    pub(super) fn parse(frame: &[u8]) -> Command {
        match frame {
            b"PAUSE" => Command::Pause,
            b"RESUME" => Command::Resume,
            b"TERMINATE" => Command::Terminate,
            b"STATISTICS" => Command::Statistics,
            _ => Command::Unknown,
        }
    }
}

/// Reads the next command from `control`, if one is waiting: the whole
/// message, every frame of it.
pub(super) fn receive(control: &Socket) -> Result<Option<Command>> {
    let first = match control.recv_msg(DONTWAIT) {
        Ok(frame) => frame,
        Err(Error::EAGAIN) => return Ok(None),
        Err(error) => return Err(error),
    };
    if !first.get_more() {
        return Ok(Some(Command::parse(&first)));
    }
    // The rest of the message is already queued: pipes deliver whole messages.
    let mut more = true;
    while more {
        more = control.recv_msg(0)?.get_more();
    }
    Ok(Some(Command::Unknown))
}

/// Answers `command` on `control`, as the table in the module doc says.
pub(super) fn reply(control: &Socket, command: Command, stats: &Statistics) -> Result<()> {
    if command == Command::Statistics {
        let [frames @ .., last] = stats.frames();
        for frame in frames {
            control.send(frame, SNDMORE)?;
        }
        return control.send(last, 0);
    }
    if control.get_socket_type()? == SocketType::REP {
        // A REP must answer every request before it can read the next one.
        control.send(Message::new(), 0)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_four_words_parse_and_nothing_else_does() {
        assert_eq!(Command::parse(b"PAUSE"), Command::Pause);
        assert_eq!(Command::parse(b"RESUME"), Command::Resume);
        assert_eq!(Command::parse(b"TERMINATE"), Command::Terminate);
        assert_eq!(Command::parse(b"STATISTICS"), Command::Statistics);
        assert_eq!(Command::parse(b"pause"), Command::Unknown);
        assert_eq!(Command::parse(b"PAUSE\0"), Command::Unknown);
        assert_eq!(Command::parse(b""), Command::Unknown);
    }
}
