//! Polling, as zmq 0.10: [`poll`] waits on a set of [`PollItem`]s (sockets
//! and native file descriptors) until one is ready; [`PollEvents`] and
//! `Socket::get_events` say what a socket could do now.
//!
//! # Semantics
//!
//! Level-triggered: a socket item is ready while a receive (`POLLIN`) or a
//! send (`POLLOUT`) would not block now, as `Socket::get_events` reports it.
//! A native descriptor's events come from `poll(2)`; `POLLHUP` and
//! `POLLNVAL` read as `POLLERR`, as in libzmq. `poll` returns the number of
//! items with any event, 0 on timeout (`-1` waits forever, `0` just looks),
//! and `ETERM` once a polled socket's context is terminated.
//!
//! # Waking up
//!
//! A socket's readiness can change only through a command in its mailbox
//! (a pipe activation, an attach, a termination wake-up), and every command
//! notifies the socket's [`Signal`]. A poll that must wait registers a
//! [`Watcher`] on the signal of every socket item (`Signal::watch`), then
//! loops: reset its waker, check every item, and sleep until the waker
//! fires or the deadline passes. Registering before checking closes the
//! race: a command that arrives after a socket was checked wakes the
//! watcher, and the waker keeps that wake-up until the poller looks (like
//! the signal's own `NOTIFIED` state); one that arrives before is seen by
//! the check (see `Signal::watch` for the memory-ordering handshake).
//!
//! The waker is per thread and reused across calls:
//! - sockets only: a [`Signal`] the poller parks on (spin, then park);
//! - with native descriptors: a `UnixStream` pair whose read end joins the
//!   `poll(2)` set; a watcher writes one byte, and only on the first wake-up
//!   after the poller last looked (the `pending` flag), so a burst of
//!   commands costs one `write(2)`.
//!
//! A poll that finds an item ready at once registers nothing: the cost of a
//! busy poll is one readiness check per socket (and one `poll(2)` with a
//! zero timeout when there are descriptors).

use std::ops::{BitAnd, BitOr, BitOrAssign};
use std::time::{Duration, Instant};

use crate::error::{Error, Result};
#[cfg(unix)]
use crate::fd_waker::FdWaker;
use crate::interruption;
use crate::mailbox::Mailbox;
use crate::signaler::{Signal, WatchId, Watcher};
use crate::socket::Socket;
use crate::sync::Arc;

/// A set of poll events (zmq 0.10's `bitflags` type, same constants).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct PollEvents(i16);

impl PollEvents {
    /// At least one message may be received without blocking.
    pub const POLLIN: PollEvents = PollEvents(1);
    /// At least one message may be sent without blocking.
    pub const POLLOUT: PollEvents = PollEvents(2);
    /// An error condition (native file descriptors only).
    pub const POLLERR: PollEvents = PollEvents(4);
    /// Priority data (native file descriptors only; libzmq's `ZMQ_POLLPRI`,
    /// an addition to zmq 0.10's three flags).
    pub const POLLPRI: PollEvents = PollEvents(8);

    /// No events.
    pub const fn empty() -> PollEvents {
        PollEvents(0)
    }

    /// Every event.
    pub const fn all() -> PollEvents {
        PollEvents(1 | 2 | 4 | 8)
    }

    /// The raw bits.
    pub const fn bits(&self) -> i16 {
        self.0
    }

    /// Events from raw bits, if all are known.
    pub const fn from_bits(bits: i16) -> Option<PollEvents> {
        if bits & !Self::all().0 == 0 {
            Some(PollEvents(bits))
        } else {
            None
        }
    }

    /// Events from raw bits, dropping unknown ones.
    pub const fn from_bits_truncate(bits: i16) -> PollEvents {
        PollEvents(bits & Self::all().0)
    }

    /// Whether no event is set.
    pub const fn is_empty(&self) -> bool {
        self.0 == 0
    }

    /// Whether every event of `other` is set.
    pub const fn contains(&self, other: PollEvents) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether any event of `other` is set.
    pub const fn intersects(&self, other: PollEvents) -> bool {
        self.0 & other.0 != 0
    }

    /// Adds events.
    pub fn insert(&mut self, other: PollEvents) {
        self.0 |= other.0;
    }

    /// Removes events.
    pub fn remove(&mut self, other: PollEvents) {
        self.0 &= !other.0;
    }

    /// Whether every event is set.
    pub const fn is_all(&self) -> bool {
        self.0 == Self::all().0
    }

    /// Flips events.
    pub fn toggle(&mut self, other: PollEvents) {
        self.0 ^= other.0;
    }

    /// Sets or clears events.
    pub fn set(&mut self, other: PollEvents, value: bool) {
        if value {
            self.insert(other);
        } else {
            self.remove(other);
        }
    }
}

impl std::ops::BitXor for PollEvents {
    type Output = PollEvents;
    fn bitxor(self, rhs: PollEvents) -> PollEvents {
        PollEvents(self.0 ^ rhs.0)
    }
}

impl std::ops::Sub for PollEvents {
    type Output = PollEvents;
    fn sub(self, rhs: PollEvents) -> PollEvents {
        PollEvents(self.0 & !rhs.0)
    }
}

impl std::ops::Not for PollEvents {
    type Output = PollEvents;
    fn not(self) -> PollEvents {
        PollEvents::from_bits_truncate(!self.0)
    }
}

impl std::ops::BitAndAssign for PollEvents {
    fn bitand_assign(&mut self, rhs: PollEvents) {
        self.0 &= rhs.0;
    }
}

impl BitOr for PollEvents {
    type Output = PollEvents;
    fn bitor(self, rhs: PollEvents) -> PollEvents {
        PollEvents(self.0 | rhs.0)
    }
}

impl BitOrAssign for PollEvents {
    fn bitor_assign(&mut self, rhs: PollEvents) {
        self.0 |= rhs.0;
    }
}

impl BitAnd for PollEvents {
    type Output = PollEvents;
    fn bitand(self, rhs: PollEvents) -> PollEvents {
        PollEvents(self.0 & rhs.0)
    }
}

/// At least one message may be received without blocking.
pub const POLLIN: PollEvents = PollEvents::POLLIN;
/// At least one message may be sent without blocking.
pub const POLLOUT: PollEvents = PollEvents::POLLOUT;
/// An error condition (native file descriptors only).
pub const POLLERR: PollEvents = PollEvents::POLLERR;

impl Socket {
    /// What the socket could do now without blocking: `POLLIN` when a
    /// message can be received, `POLLOUT` when one can be sent
    /// (level-triggered, like `ZMQ_EVENTS`).
    pub fn get_events(&self) -> Result<PollEvents> {
        let (readable, writable) = self.readiness()?;
        let mut events = PollEvents::empty();
        if readable {
            events |= POLLIN;
        }
        if writable {
            events |= POLLOUT;
        }
        Ok(events)
    }

    /// An item for [`poll`] watching this socket for `events`.
    pub fn as_poll_item(&self, events: PollEvents) -> PollItem<'_> {
        PollItem {
            target: Target::Socket(self),
            events,
            revents: PollEvents::empty(),
        }
    }

    /// [`poll`] on this socket alone: 1 if one of `events` is ready within
    /// `timeout_ms`, else 0.
    pub fn poll(&self, events: PollEvents, timeout_ms: i64) -> Result<i32> {
        poll(&mut [self.as_poll_item(events)], timeout_ms)
    }
}

/// A native descriptor, as zmq 0.10 takes it: a file descriptor on Unix, a
/// `SOCKET` on Windows.
#[cfg(unix)]
type RawFd = std::os::unix::io::RawFd;
#[cfg(windows)]
type RawFd = std::os::windows::io::RawSocket;
#[cfg(not(any(unix, windows)))]
type RawFd = i32;

/// What a [`PollItem`] watches.
#[derive(Clone, Copy, Debug)]
enum Target<'a> {
    Socket(&'a Socket),
    Fd(RawFd),
}

/// One entry of a [`poll`] set: a socket or a native descriptor, the events
/// to wait for, and after `poll` the events that occurred.
#[derive(Debug)]
pub struct PollItem<'a> {
    target: Target<'a>,
    events: PollEvents,
    revents: PollEvents,
}

impl<'a> PollItem<'a> {
    /// An item watching a native descriptor (a file descriptor on Unix) for
    /// `events`. Polling one is supported on Unix only (`ENOTSUP` elsewhere).
    pub fn from_fd(fd: RawFd, events: PollEvents) -> PollItem<'a> {
        PollItem {
            target: Target::Fd(fd),
            events,
            revents: PollEvents::empty(),
        }
    }

    /// Changes the events to wait for.
    pub fn set_events(&mut self, events: PollEvents) {
        self.events = events;
    }

    /// The events that occurred at the last [`poll`].
    pub fn get_revents(&self) -> PollEvents {
        self.revents
    }

    /// Whether the last [`poll`] found the item readable.
    pub fn is_readable(&self) -> bool {
        self.revents.contains(POLLIN)
    }

    /// Whether the last [`poll`] found the item writable.
    pub fn is_writable(&self) -> bool {
        self.revents.contains(POLLOUT)
    }

    /// Whether the last [`poll`] found an error condition (native
    /// descriptors only).
    pub fn is_error(&self) -> bool {
        self.revents.contains(POLLERR)
    }

    /// Whether the item watches `socket`.
    pub fn has_socket(&self, socket: &Socket) -> bool {
        matches!(self.target, Target::Socket(s) if std::ptr::eq(s, socket))
    }

    /// Whether the item watches the native descriptor `fd`.
    pub fn has_fd(&self, fd: RawFd) -> bool {
        matches!(self.target, Target::Fd(f) if f == fd)
    }

    fn socket(&self) -> Option<&'a Socket> {
        match self.target {
            Target::Socket(socket) => Some(socket),
            Target::Fd(_) => None,
        }
    }
}

/// Waits until at least one item has one of its events, or `timeout`
/// milliseconds pass (`-1`, or any negative value, waits forever; `0` only
/// looks). Sets every item's `revents` and returns how many items have any.
///
/// Fails with `ETERM` once the context of a polled socket is terminated,
/// `EINVAL` for an empty set with no timeout (it could never return), and
/// `ENOTSUP` for native descriptors off Unix.
pub fn poll(items: &mut [PollItem<'_>], timeout: i64) -> Result<i32> {
    let deadline = deadline_after_ms(timeout);
    for item in items.iter_mut() {
        item.revents = PollEvents::empty();
    }
    if items.is_empty() {
        return match deadline {
            None => Err(Error::EINVAL),
            Some(deadline) => {
                sleep_until(deadline);
                Ok(0)
            }
        };
    }
    let mut fds = fd::FdSet::new(items)?;
    if !items.iter().any(|item| item.socket().is_some()) && !signal_installed() {
        // Descriptors only: the kernel does all the waiting.
        loop {
            fds.poll(items, None, remaining_ms(deadline))?;
            let ready = count_ready(items);
            if ready > 0 || expired(deadline) {
                return Ok(ready);
            }
        }
    }
    // A first look registers nothing: a busy poller finds work at once.
    check_sockets(items)?;
    fds.poll(items, None, 0)?;
    let ready = count_ready(items);
    if ready > 0 || expired(deadline) {
        return Ok(ready);
    }
    let waker = Waker::for_this_thread(fds.is_empty())?;
    let _registrations = Registrations::new(items, &waker);
    let _interruptible = guard_sleep(&waker);
    loop {
        if interruption::interrupted() {
            return Err(Error::EINTR);
        }
        // Reset, then check: a wake-up after the reset stays pending.
        waker.reset();
        check_sockets(items)?;
        let sockets_ready = count_ready(items) > 0;
        let wait_ms = if sockets_ready {
            0
        } else {
            remaining_ms(deadline)
        };
        if !fds.is_empty() {
            fds.poll(items, waker.fd(), wait_ms)?;
        } else if !sockets_ready {
            waker.park(deadline);
        }
        let ready = count_ready(items);
        if ready > 0 || expired(deadline) {
            return Ok(ready);
        }
    }
}

/// Whether caught signals interrupt polls (`crate::signal`).
fn signal_installed() -> bool {
    #[cfg(all(unix, not(zactor_loom)))]
    {
        crate::signal::installed()
    }
    #[cfg(not(all(unix, not(zactor_loom))))]
    {
        false
    }
}

/// Makes a caught signal wake `waker` while the guard lives (a poll whose
/// sockets alone would not be woken: one on descriptors only).
#[cfg(all(unix, not(zactor_loom)))]
pub(crate) fn guard_sleep(waker: &Waker) -> crate::signal::SleepGuard {
    crate::signal::guard_sleep(|| Box::new(waker.clone()))
}

#[cfg(not(all(unix, not(zactor_loom))))]
pub(crate) fn guard_sleep(_waker: &Waker) {}

/// Sets the `revents` of every socket item from its readiness now.
fn check_sockets(items: &mut [PollItem<'_>]) -> Result<()> {
    for item in items.iter_mut() {
        if let Some(socket) = item.socket() {
            let (readable, writable) = socket.readiness()?;
            let mut revents = PollEvents::empty();
            if readable {
                revents |= POLLIN;
            }
            if writable {
                revents |= POLLOUT;
            }
            item.revents = revents & item.events;
        }
    }
    Ok(())
}

/// How many items have any event; zmq's return value.
fn count_ready(items: &[PollItem<'_>]) -> i32 {
    let ready = items.iter().filter(|item| !item.revents.is_empty()).count();
    i32::try_from(ready).unwrap_or(i32::MAX)
}

/// The deadline of a zmq timeout: `None` is forever (a negative timeout, or
/// one too large to represent).
fn deadline_after_ms(timeout: i64) -> Option<Instant> {
    let timeout = u64::try_from(timeout).ok()?;
    Instant::now().checked_add(Duration::from_millis(timeout))
}

fn expired(deadline: Option<Instant>) -> bool {
    deadline.is_some_and(|deadline| Instant::now() >= deadline)
}

/// Milliseconds left until `deadline`, rounded up so a wait never ends
/// early, as `poll(2)` takes them: -1 for forever.
fn remaining_ms(deadline: Option<Instant>) -> i32 {
    let Some(deadline) = deadline else {
        return -1;
    };
    let left = deadline.saturating_duration_since(Instant::now());
    let ms = left.as_nanos().div_ceil(1_000_000);
    i32::try_from(ms).unwrap_or(i32::MAX)
}

/// Sleeps until `deadline` (an empty poll set with a timeout, as libzmq).
fn sleep_until(deadline: Instant) {
    loop {
        let now = Instant::now();
        if now >= deadline {
            return;
        }
        crate::sync::thread::park_timeout(deadline - now);
    }
}

/// What wakes a waiting poller: the socket signals' watchers fire it.
#[derive(Clone, Debug)]
pub(crate) enum Waker {
    /// Sockets only: the poller parks on this signal.
    Park(Arc<Signal>),
    /// With native descriptors: the poller sleeps in `poll(2)`.
    #[cfg(unix)]
    Fd(Arc<FdWaker>),
}

impl Waker {
    /// This thread's waker of the kind the poll needs; created on first use
    /// and kept for the thread's life, so a steady poller allocates nothing.
    fn for_this_thread(sockets_only: bool) -> Result<Waker> {
        if sockets_only {
            return Ok(PARK_WAKER.with(|signal| Waker::Park(signal.clone())));
        }
        #[cfg(unix)]
        {
            fd::waker_for_this_thread().map(Waker::Fd)
        }
        #[cfg(not(unix))]
        {
            Err(Error::ENOTSUP)
        }
    }

    /// Forgets wake-ups that came before the check about to happen.
    fn reset(&self) {
        match self {
            Waker::Park(signal) => {
                signal.take();
            }
            #[cfg(unix)]
            Waker::Fd(waker) => waker.reset(),
        }
    }

    /// Parks until woken or until `deadline` (the sockets-only wait).
    fn park(&self, deadline: Option<Instant>) {
        match self {
            Waker::Park(signal) => {
                signal.wait(deadline);
            }
            #[cfg(unix)]
            Waker::Fd(_) => debug_assert!(false, "an fd waker waits in poll(2)"),
        }
    }

    /// The descriptor to add to the `poll(2)` set, if this waker has one.
    #[cfg(unix)]
    fn fd(&self) -> Option<RawFd> {
        match self {
            Waker::Park(_) => None,
            Waker::Fd(waker) => Some(waker.fd()),
        }
    }

    #[cfg(not(unix))]
    fn fd(&self) -> Option<RawFd> {
        None
    }
}

impl Watcher for Waker {
    fn wake(&self) {
        match self {
            Waker::Park(signal) => signal.notify(),
            #[cfg(unix)]
            Waker::Fd(waker) => waker.wake(),
        }
    }
}

thread_local! {
    /// The sockets-only waker of the current thread.
    static PARK_WAKER: Arc<Signal> = Arc::new(Signal::new());
}

/// The watchers a poll registered; unregisters them when dropped, on every
/// way out of `poll` (an `ETERM` included).
struct Registrations {
    entries: Vec<(Arc<Mailbox>, WatchId)>,
}

impl Registrations {
    fn new(items: &[PollItem<'_>], waker: &Waker) -> Self {
        let entries = items
            .iter()
            .filter_map(PollItem::socket)
            .map(|socket| {
                let mailbox = socket.mailbox();
                let id = mailbox.signal().watch(Box::new(waker.clone()));
                (mailbox, id)
            })
            .collect();
        Self { entries }
    }
}

impl Drop for Registrations {
    fn drop(&mut self) {
        for (mailbox, id) in &self.entries {
            mailbox.signal().unwatch(*id);
        }
    }
}

/// Native descriptors through `poll(2)`.
#[cfg(unix)]
pub(crate) mod fd {
    use std::cell::RefCell;

    use super::{PollEvents, PollItem, RawFd, Target, POLLERR, POLLIN, POLLOUT};
    use crate::error::{Error, Result};
    use crate::fd_waker::FdWaker;
    use crate::sync::Arc;
    use crate::sys;

    /// The `poll(2)` set of a poll's descriptor items, plus room for the
    /// waker's descriptor at the end.
    pub(super) struct FdSet {
        fds: Vec<sys::PollFd>,
        /// The item index of each entry of `fds`.
        items: Vec<usize>,
    }

    impl FdSet {
        pub(super) fn new(items: &[PollItem<'_>]) -> Result<Self> {
            let mut set = FdSet {
                fds: Vec::new(),
                items: Vec::new(),
            };
            for (index, item) in items.iter().enumerate() {
                if let Target::Fd(fd) = item.target {
                    set.fds.push(sys::PollFd::new(fd, interest(item.events)));
                    set.items.push(index);
                }
            }
            Ok(set)
        }

        pub(super) fn is_empty(&self) -> bool {
            self.items.is_empty()
        }

        /// Runs `poll(2)` on the descriptor items (and `wake`, if given) for
        /// up to `timeout_ms`, and sets the items' `revents`.
        pub(super) fn poll(
            &mut self,
            items: &mut [PollItem<'_>],
            wake: Option<RawFd>,
            timeout_ms: i32,
        ) -> Result<()> {
            if self.is_empty() && timeout_ms == 0 {
                return Ok(());
            }
            self.fds.truncate(self.items.len());
            if let Some(wake) = wake {
                self.fds.push(sys::PollFd::new(wake, sys::POLLIN));
            }
            for entry in &mut self.fds {
                entry.revents = 0;
            }
            sys::poll(&mut self.fds, timeout_ms)
                .map_err(|e| e.raw_os_error().map_or(Error::EFAULT, Error::from_raw))?;
            for (entry, &index) in self.fds.iter().zip(&self.items) {
                items[index].revents = happened(entry.revents);
            }
            Ok(())
        }
    }

    /// The `poll(2)` events for zmq events.
    pub(crate) fn interest(events: PollEvents) -> i16 {
        let mut bits = 0;
        if events.contains(POLLIN) {
            bits |= sys::POLLIN;
        }
        if events.contains(POLLOUT) {
            bits |= sys::POLLOUT;
        }
        if events.contains(PollEvents::POLLPRI) {
            bits |= sys::POLLPRI;
        }
        bits
    }

    /// zmq events for `poll(2)` events: anything beyond in, out and
    /// priority (`POLLERR`, `POLLHUP`, `POLLNVAL`) is an error, as libzmq.
    pub(crate) fn happened(revents: i16) -> PollEvents {
        let mut events = PollEvents::empty();
        if revents & sys::POLLIN != 0 {
            events |= POLLIN;
        }
        if revents & sys::POLLOUT != 0 {
            events |= POLLOUT;
        }
        if revents & sys::POLLPRI != 0 {
            events |= PollEvents::POLLPRI;
        }
        if revents & !(sys::POLLIN | sys::POLLOUT | sys::POLLPRI) != 0 {
            events |= POLLERR;
        }
        events
    }

    thread_local! {
        static FD_WAKER: RefCell<Option<Arc<FdWaker>>> = const { RefCell::new(None) };
    }

    /// This thread's poll waker, created on first use.
    pub(super) fn waker_for_this_thread() -> Result<Arc<FdWaker>> {
        FD_WAKER.with(|cell| {
            let mut cell = cell.borrow_mut();
            if let Some(waker) = &*cell {
                return Ok(waker.clone());
            }
            let waker = Arc::new(FdWaker::new()?);
            *cell = Some(waker.clone());
            Ok(waker)
        })
    }
}

/// Native descriptors are not supported off Unix: a set holding one is
/// refused with `ENOTSUP`.
#[cfg(not(unix))]
mod fd {
    use super::{PollItem, RawFd, Target};
    use crate::error::{Error, Result};

    pub(super) struct FdSet;

    impl FdSet {
        pub(super) fn new(items: &[PollItem<'_>]) -> Result<Self> {
            if items
                .iter()
                .any(|item| matches!(item.target, Target::Fd(_)))
            {
                return Err(Error::ENOTSUP);
            }
            Ok(FdSet)
        }

        pub(super) fn is_empty(&self) -> bool {
            true
        }

        pub(super) fn poll(
            &mut self,
            _items: &mut [PollItem<'_>],
            _wake: Option<RawFd>,
            _timeout_ms: i32,
        ) -> Result<()> {
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_combine_like_bitflags() {
        let both = POLLIN | POLLOUT;
        assert!(both.contains(POLLIN));
        assert!(!POLLIN.contains(both));
        assert_eq!(both.bits(), 3);
        assert_eq!(PollEvents::from_bits(64), None);
        assert!(PollEvents::empty().is_empty());
    }

    #[test]
    fn get_events_reports_readiness() {
        let ctx = crate::Context::new();
        let pull = ctx.socket(crate::PULL).unwrap();
        pull.bind("inproc://poll-get-events").unwrap();
        let push = ctx.socket(crate::PUSH).unwrap();
        push.connect("inproc://poll-get-events").unwrap();
        assert_eq!(pull.get_events().unwrap(), PollEvents::empty());
        assert_eq!(push.get_events().unwrap(), POLLOUT);
        push.send("x", 0).unwrap();
        assert_eq!(pull.get_events().unwrap(), POLLIN);
        pull.recv_msg(0).unwrap();
        assert_eq!(pull.get_events().unwrap(), PollEvents::empty());
    }

    #[test]
    fn timeouts_become_deadlines_like_zmq() {
        assert_eq!(deadline_after_ms(-1), None, "negative waits forever");
        assert_eq!(remaining_ms(None), -1);
        let soon = deadline_after_ms(0);
        assert!(expired(soon));
        assert_eq!(remaining_ms(soon), 0);
        // Rounded up: poll(2) never wakes before the deadline.
        let later = Instant::now() + Duration::from_micros(1_500);
        assert!(remaining_ms(Some(later)) >= 1);
    }

    #[cfg(unix)]
    #[test]
    fn descriptor_events_map_like_libzmq() {
        use crate::sys;
        assert_eq!(fd::interest(POLLIN | POLLOUT), sys::POLLIN | sys::POLLOUT);
        assert_eq!(fd::interest(POLLERR), 0, "errors are always reported");
        assert_eq!(fd::happened(sys::POLLIN), POLLIN);
        // POLLHUP (0x10) and POLLNVAL (0x20) read as POLLERR.
        assert_eq!(fd::happened(sys::POLLIN | 0x10), POLLIN | POLLERR);
        assert_eq!(fd::happened(0x20), POLLERR);
    }

    #[test]
    fn an_empty_set_sleeps_for_its_timeout_or_is_refused() {
        assert_eq!(poll(&mut [], -1), Err(Error::EINVAL));
        let started = Instant::now();
        assert_eq!(poll(&mut [], 5), Ok(0));
        assert!(started.elapsed() >= Duration::from_millis(5));
    }
}
