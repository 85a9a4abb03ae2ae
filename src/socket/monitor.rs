//! `Socket::monitor`: a socket's events (connections made, accepted,
//! refused, lost; handshakes; listeners) sent to a PAIR socket bound at an
//! inproc endpoint, as libzmq's `zmq_socket_monitor`.
//!
//! The [`MonitorSlot`] is shared by the socket and every listener and
//! connection it started (their `Owner` holds it as the transports'
//! `EventSink`), so events from the I/O threads and from the socket's own
//! thread reach the same PAIR. The PAIR sends with DONTWAIT: a monitor that
//! is not read loses events, never blocks the socket or an I/O thread.

use crate::monitor_event::SocketEvent;
use crate::signaler::lock;
use crate::socket::{Socket, DONTWAIT, SNDMORE};
use crate::sync::{AtomicU32, Mutex, Ordering};
use crate::transport::events::EventSink;

/// The monitor of one socket, if it has one.
#[derive(Debug, Default)]
pub(crate) struct MonitorSlot {
    /// The events asked for (0: not monitored), checked before the lock.
    mask: AtomicU32,
    /// The PAIR socket bound at the monitor endpoint.
    pair: Mutex<Option<Socket>>,
}

impl MonitorSlot {
    /// Starts monitoring into `pair` (stopping a previous monitor first).
    pub(crate) fn start(&self, pair: Socket, events: i32) {
        let mut slot = lock(&self.pair);
        if let Some(old) = slot.take() {
            send_event(&old, SocketEvent::MONITOR_STOPPED, 0, "");
        }
        *slot = Some(pair);
        // Relaxed: the mask only filters; the PAIR itself is published by
        // the mutex, which `emit` takes before sending.
        self.mask.store(events as u32 & 0xFFFF, Ordering::Relaxed);
    }

    /// Stops monitoring: the last event is `MONITOR_STOPPED`.
    pub(crate) fn stop(&self) {
        // Relaxed: see `start`.
        self.mask.store(0, Ordering::Relaxed);
        let old = lock(&self.pair).take();
        if let Some(old) = old {
            send_event(&old, SocketEvent::MONITOR_STOPPED, 0, "");
        }
    }
}

impl EventSink for MonitorSlot {
    fn emit(&self, event: SocketEvent, value: u32, endpoint: &str) {
        // Relaxed: see `start`; a monitor started a moment ago may miss an
        // event that raced with it, as in libzmq.
        if self.mask.load(Ordering::Relaxed) & event.to_raw() as u32 == 0 {
            return;
        }
        if let Some(pair) = lock(&self.pair).as_ref() {
            send_event(pair, event, value, endpoint);
        }
    }
}

/// One event as libzmq frames it: `u16` event and `u32` value in the
/// host's byte order, then the endpoint.
fn send_event(pair: &Socket, event: SocketEvent, value: u32, endpoint: &str) {
    let mut head = [0u8; 6];
    head[..2].copy_from_slice(&event.to_raw().to_ne_bytes());
    head[2..].copy_from_slice(&value.to_ne_bytes());
    // The second frame cannot fail once the first went in (a message takes
    // its credit at its first frame); a full or unconnected monitor drops.
    if pair.send(&head[..], DONTWAIT | SNDMORE).is_ok() {
        let _ = pair.send(endpoint, DONTWAIT);
    }
}
