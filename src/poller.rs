//! A persistent poll set: [`Poller`], in the spirit of libzmq's
//! `zmq_poller` and CZMQ's `zpoller`.
//!
//! Members (sockets and native descriptors) are added once, each with a
//! token of the caller's choosing, and [`Poller::wait`] returns the ready
//! ones. Unlike [`crate::poll`], which registers a watcher on every socket
//! at every call, a poller keeps its registrations, and a wake-up costs
//! the same whether the set has one idle member or a thousand.
//!
//! # How a wait finds the ready members
//!
//! Every socket member has a watcher on its socket's signal. When the
//! socket gets a command (a pipe woke up, a peer arrived or left, the
//! context ended) the watcher pushes the member's slot onto the `woken`
//! list (once: a per-member `queued` flag) and wakes the poller. A wait
//! checks only:
//!
//! - the members on the `woken` list,
//! - the members that were ready at the last wait (they stay ready until
//!   the application drains them: level-triggered),
//! - the members that wait for `POLLOUT` (a send can become possible by the
//!   application's own doing, a REQ after its reply, with no command; kept
//!   in their own list, so a set of readers never scans its members), and
//! - the native descriptors, through one `poll(2)`.
//!
//! A member found not readable has had its pipes marked asleep by that
//! very check, so the next message into it sends a command and wakes us:
//! no wake-up is lost. The order (reset the waker, take the `woken` list,
//! check) means a wake-up after the reset keeps the waker pending, and one
//! before it left its slot on the list.
//!
//! Waiting itself: with no descriptor members the poller parks on a
//! [`Signal`] (spin, then a futex park; sub-millisecond deadlines); with
//! descriptors it sleeps in `poll(2)` with a self-pipe ([`FdWaker`]) added.

use std::os::unix::io::RawFd;
use std::time::{Duration, Instant};

use crate::error::{Error, Result};
use crate::fd_waker::FdWaker;
use crate::interruption;
use crate::mailbox::Mailbox;
use crate::poll::fd::{happened, interest};
use crate::poll::{PollEvents, POLLIN, POLLOUT};
use crate::signaler::{lock, Signal, Spinner, WatchId, Watcher};
use crate::socket::Socket;
use crate::sync::{Arc, AtomicBool, Mutex, OnceLock, Ordering};
use crate::sys;

/// One ready member, as [`Poller::wait`] reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PollerEvent {
    /// The token the member was added with.
    pub token: usize,
    /// What it is ready for (a subset of the events it was added with;
    /// `POLLERR` may appear for a descriptor).
    pub events: PollEvents,
}

/// A persistent set of sockets and native descriptors to wait on.
///
/// The sockets are borrowed for the poller's life (`'a`), as a
/// [`crate::PollItem`] borrows its socket. A poller is used by one thread
/// at a time, like its sockets.
pub struct Poller<'a> {
    /// Members by slot; `None` is a free slot.
    members: Vec<Option<Member<'a>>>,
    shared: Arc<Shared>,
    /// Slots found ready at the last wait.
    last_ready: Vec<usize>,
    /// Per slot, the wait number at which it was last checked (dedupes a
    /// slot that is both woken and was ready).
    checked_at: Vec<u64>,
    wait_count: u64,
    /// The `poll(2)` set of the descriptor members, rebuilt when they change.
    fds: Vec<sys::PollFd>,
    /// The slot of each entry of `fds`.
    fd_slots: Vec<usize>,
    fds_dirty: bool,
    /// Socket members waiting for `POLLOUT`, checked at every pass.
    writers: Vec<usize>,
    /// Slots scratch space for the woken list.
    woken_scratch: Vec<usize>,
}

impl std::fmt::Debug for Poller<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Poller")
            .field("members", &self.len())
            .finish()
    }
}

struct Member<'a> {
    target: Target<'a>,
    events: PollEvents,
    token: usize,
}

enum Target<'a> {
    Socket {
        socket: &'a Socket,
        mailbox: Arc<Mailbox>,
        watch: WatchId,
        /// Shared with the watcher: whether the slot is on the woken list.
        queued: Arc<AtomicBool>,
    },
    Fd(RawFd),
}

/// What the watchers share with the poller.
#[derive(Debug)]
struct Shared {
    /// The poller parks here when it has no descriptor members.
    park: Signal,
    /// The self-pipe woken as well once the poller has descriptors.
    fd_waker: OnceLock<Arc<FdWaker>>,
    /// Slots whose socket was notified since the poller last looked.
    woken: Mutex<Vec<usize>>,
}

impl Shared {
    fn new() -> Self {
        Shared {
            park: Signal::new(),
            fd_waker: OnceLock::new(),
            woken: Mutex::new(Vec::new()),
        }
    }

    fn wake(&self) {
        self.park.notify();
        if let Some(waker) = self.fd_waker.get() {
            waker.wake();
        }
    }

    /// Step 1 of a pass: forget the wake-ups seen so far. One that comes
    /// after this stays pending and ends the sleep at once.
    fn reset(&self) {
        self.park.take();
        if let Some(waker) = self.fd_waker.get() {
            waker.reset();
        }
    }

    /// Step 2: take the slots woken so far (a wake-up before the reset
    /// left its slot here).
    fn take_woken(&self, into: &mut Vec<usize>) {
        into.append(&mut lock(&self.woken));
    }
}

/// Step 3, per candidate member, before looking at its socket: let the next
/// notification queue the slot again (see `MemberWatcher::wake`).
fn start_check(queued: &AtomicBool) {
    // A swap, not a store, and AcqRel: when a notifier's swap in
    // `MemberWatcher::wake` came first (it found the flag still set, so it
    // queued nothing), ours reads its write and synchronizes with it, so
    // the check that follows sees what the notifier published before
    // notifying. A plain store would let the check miss it while the
    // slot was never queued: a lost wake-up, found by the loom model
    // `poll_wake`.
    queued.swap(false, Ordering::AcqRel);
}

/// The watcher registered on a member socket's signal.
#[derive(Debug)]
struct MemberWatcher {
    shared: Arc<Shared>,
    slot: usize,
    /// Whether `slot` is on the woken list already.
    queued: Arc<AtomicBool>,
}

impl Watcher for MemberWatcher {
    fn wake(&self) {
        // Acquire/Release: the poller clears the flag (Release) before it
        // checks the socket; a notifier that sees it clear queues the slot
        // again, one that sees it set knows a check is still to come.
        if !self.queued.swap(true, Ordering::AcqRel) {
            lock(&self.shared.woken).push(self.slot);
        }
        self.shared.wake();
    }
}

/// Wakes the whole poller (for the signal module's sleeper registry).
#[cfg(not(zactor_loom))]
#[derive(Debug)]
struct SharedWatcher(Arc<Shared>);

#[cfg(not(zactor_loom))]
impl Watcher for SharedWatcher {
    fn wake(&self) {
        self.0.wake();
    }
}

impl Default for Poller<'_> {
    fn default() -> Self {
        Self::new()
    }
}

impl<'a> Poller<'a> {
    /// An empty poller.
    pub fn new() -> Self {
        Poller {
            members: Vec::new(),
            shared: Arc::new(Shared::new()),
            last_ready: Vec::new(),
            checked_at: Vec::new(),
            wait_count: 0,
            fds: Vec::new(),
            fd_slots: Vec::new(),
            fds_dirty: false,
            writers: Vec::new(),
            woken_scratch: Vec::new(),
        }
    }

    /// The number of members.
    pub fn len(&self) -> usize {
        self.members.iter().flatten().count()
    }

    /// Whether the poller has no members.
    pub fn is_empty(&self) -> bool {
        self.members.iter().all(Option::is_none)
    }

    /// Adds `socket`, waiting for `events`, reported with `token`. `EINVAL`
    /// if the socket is a member already.
    pub fn add(&mut self, socket: &'a Socket, events: PollEvents, token: usize) -> Result<()> {
        if self.find_socket(socket).is_some() {
            return Err(Error::EINVAL);
        }
        let slot = self.free_slot();
        let mailbox = socket.mailbox();
        let queued = Arc::new(AtomicBool::new(true));
        let watch = mailbox.signal().watch(Box::new(MemberWatcher {
            shared: self.shared.clone(),
            slot,
            queued: queued.clone(),
        }));
        self.members[slot] = Some(Member {
            target: Target::Socket {
                socket,
                mailbox,
                watch,
                queued,
            },
            events,
            token,
        });
        // A new member is checked at the next wait.
        self.last_ready.push(slot);
        self.update_writers(slot);
        Ok(())
    }

    /// Adds a native descriptor, waiting for `events`, reported with
    /// `token`. `EINVAL` if it is a member already; the descriptor's errors
    /// (`POLLERR`) are always reported.
    pub fn add_fd(&mut self, fd: RawFd, events: PollEvents, token: usize) -> Result<()> {
        if self.find_fd(fd).is_some() {
            return Err(Error::EINVAL);
        }
        if self.shared.fd_waker.get().is_none() {
            let waker = FdWaker::new()?;
            // The poller alone sets it, once: it cannot be set already.
            let _ = self.shared.fd_waker.set(Arc::new(waker));
        }
        let slot = self.free_slot();
        self.members[slot] = Some(Member {
            target: Target::Fd(fd),
            events,
            token,
        });
        self.fds_dirty = true;
        Ok(())
    }

    /// Changes the events `socket` is waited for. `EINVAL` if it is not a
    /// member.
    pub fn modify(&mut self, socket: &Socket, events: PollEvents) -> Result<()> {
        let slot = self.find_socket(socket).ok_or(Error::EINVAL)?;
        self.set_events(slot, events);
        self.last_ready.push(slot);
        self.update_writers(slot);
        Ok(())
    }

    /// Changes the events a descriptor is waited for. `EINVAL` if it is
    /// not a member.
    pub fn modify_fd(&mut self, fd: RawFd, events: PollEvents) -> Result<()> {
        let slot = self.find_fd(fd).ok_or(Error::EINVAL)?;
        self.set_events(slot, events);
        self.fds_dirty = true;
        Ok(())
    }

    /// Removes `socket`. `EINVAL` if it is not a member.
    pub fn remove(&mut self, socket: &Socket) -> Result<()> {
        let slot = self.find_socket(socket).ok_or(Error::EINVAL)?;
        self.release(slot);
        Ok(())
    }

    /// Removes a descriptor. `EINVAL` if it is not a member.
    pub fn remove_fd(&mut self, fd: RawFd) -> Result<()> {
        let slot = self.find_fd(fd).ok_or(Error::EINVAL)?;
        self.release(slot);
        self.fds_dirty = true;
        Ok(())
    }

    /// Waits until at least one member is ready or `timeout_ms` passes
    /// (negative: forever; 0: just look), as `zmq_poller_wait_all`. Fills
    /// `events` (cleared first) with the ready members and returns how
    /// many; 0 on timeout. `ETERM` once a member socket's context is
    /// terminated, `EINTR` when a caught signal arrives (`crate::signal`).
    pub fn wait(&mut self, events: &mut Vec<PollerEvent>, timeout_ms: i64) -> Result<usize> {
        let deadline = u64::try_from(timeout_ms)
            .ok()
            .and_then(|ms| Instant::now().checked_add(Duration::from_millis(ms)));
        self.wait_until(events, deadline)
    }

    /// [`wait`](Self::wait) with a deadline (`None`: forever), to the
    /// resolution of the OS timer rather than whole milliseconds when the
    /// poller has no descriptors.
    pub fn wait_until(
        &mut self,
        events: &mut Vec<PollerEvent>,
        deadline: Option<Instant>,
    ) -> Result<usize> {
        events.clear();
        if self.fds_dirty {
            self.rebuild_fds();
        }
        if deadline.map_or(true, |d| d > Instant::now()) {
            self.spin_on_recent(deadline)?;
        }
        // First look: no reset, no registration to make; a busy poller finds
        // its work at once.
        self.check(events)?;
        self.poll_fds(events, Some(Duration::ZERO))?;
        if !events.is_empty() || expired(deadline) {
            return Ok(events.len());
        }
        #[cfg(not(zactor_loom))]
        let _interruptible = crate::signal::guard_sleep(|| {
            Box::new(SharedWatcher(self.shared.clone())) as Box<dyn Watcher>
        });
        loop {
            if interruption::interrupted() {
                return Err(Error::EINTR);
            }
            // Reset, then check: a wake-up after the reset stays pending.
            self.shared.reset();
            self.check(events)?;
            let wait = if events.is_empty() {
                remaining(deadline)
            } else {
                Some(Duration::ZERO)
            };
            if self.has_fds() {
                self.poll_fds(events, wait)?;
            } else if events.is_empty() {
                self.shared.park.wait(deadline);
            }
            if !events.is_empty() || expired(deadline) {
                return Ok(events.len());
            }
        }
    }

    /// Before the first (marking) look, spins for a short while peeking at
    /// the members that were ready last time, without marking their pipes
    /// asleep: a peer that answers within the spin then pays no wake-up
    /// command (the reactor's ping-pong case), as a blocking `recv` spins.
    /// Only those members, so the cost does not grow with idle ones; only
    /// without descriptors (which need `poll(2)` to be seen). Returns when
    /// one is readable, a member was notified, or the spin is over; the
    /// caller's check then reports exactly.
    fn spin_on_recent(&mut self, deadline: Option<Instant>) -> Result<()> {
        if self.has_fds() || self.last_ready.is_empty() {
            return Ok(());
        }
        let mut spinner = Spinner::new(deadline);
        loop {
            for &slot in &self.last_ready {
                if let Some(Some(Member {
                    target: Target::Socket { socket, .. },
                    events,
                    ..
                })) = self.members.get(slot)
                {
                    if events.contains(POLLIN) && socket.peek_readable()? {
                        return Ok(());
                    }
                }
            }
            // A notified member is on the woken list; the pass sees it.
            if self.shared.park.take() || !spinner.next() {
                return Ok(());
            }
        }
    }

    /// Checks the candidate sockets; pushes the ready ones.
    fn check(&mut self, events: &mut Vec<PollerEvent>) -> Result<()> {
        self.wait_count += 1;
        let now = self.wait_count;
        let mut candidates = std::mem::take(&mut self.woken_scratch);
        candidates.clear();
        self.shared.take_woken(&mut candidates);
        candidates.append(&mut self.last_ready);
        // Members waiting for POLLOUT may become writable with no command.
        candidates.extend_from_slice(&self.writers);
        let mut result = Ok(());
        for &slot in &candidates {
            let Some(Some(member)) = self.members.get(slot) else {
                continue; // removed since it was queued
            };
            if self.checked_at[slot] == now {
                continue;
            }
            self.checked_at[slot] = now;
            let Target::Socket { socket, queued, .. } = &member.target else {
                continue;
            };
            start_check(queued);
            let (readable, writable) = match socket.readiness() {
                Ok(readiness) => readiness,
                Err(error) => {
                    result = Err(error);
                    break;
                }
            };
            let mut ready = PollEvents::empty();
            if readable {
                ready |= POLLIN;
            }
            if writable {
                ready |= POLLOUT;
            }
            let ready = ready & member.events;
            if !ready.is_empty() {
                events.push(PollerEvent {
                    token: member.token,
                    events: ready,
                });
                self.last_ready.push(slot);
            }
        }
        self.woken_scratch = candidates;
        result
    }

    fn has_fds(&self) -> bool {
        !self.fd_slots.is_empty()
    }

    /// One `poll(2)` over the descriptor members (and the waker, when it may
    /// sleep): `wait` `Some(ZERO)` only looks, `None` sleeps until woken.
    fn poll_fds(&mut self, events: &mut Vec<PollerEvent>, wait: Option<Duration>) -> Result<()> {
        if self.fd_slots.is_empty() {
            return Ok(());
        }
        let sleeps = wait != Some(Duration::ZERO);
        let waker_fd = self.shared.fd_waker.get().map(|waker| waker.fd());
        let members = self.fd_slots.len();
        self.fds.truncate(members);
        if sleeps {
            if let Some(fd) = waker_fd {
                self.fds.push(sys::PollFd::new(fd, sys::POLLIN));
            }
        }
        for entry in &mut self.fds {
            entry.revents = 0;
        }
        sys::poll(&mut self.fds, timeout_ms(wait))
            .map_err(|e| e.raw_os_error().map_or(Error::EFAULT, Error::from_raw))?;
        for (entry, &slot) in self.fds.iter().zip(&self.fd_slots) {
            if entry.revents == 0 {
                continue;
            }
            if let Some(Some(member)) = self.members.get(slot) {
                let ready = happened(entry.revents) & (member.events | crate::POLLERR);
                if !ready.is_empty() {
                    events.push(PollerEvent {
                        token: member.token,
                        events: ready,
                    });
                }
            }
        }
        Ok(())
    }

    fn rebuild_fds(&mut self) {
        self.fds.clear();
        self.fd_slots.clear();
        for (slot, member) in self.members.iter().enumerate() {
            if let Some(Member {
                target: Target::Fd(fd),
                events,
                ..
            }) = member
            {
                self.fds.push(sys::PollFd::new(*fd, interest(*events)));
                self.fd_slots.push(slot);
            }
        }
        self.fds_dirty = false;
    }

    fn free_slot(&mut self) -> usize {
        if let Some(slot) = self.members.iter().position(Option::is_none) {
            return slot;
        }
        self.members.push(None);
        self.checked_at.push(0);
        self.members.len() - 1
    }

    fn set_events(&mut self, slot: usize, events: PollEvents) {
        if let Some(Some(member)) = self.members.get_mut(slot) {
            member.events = events;
        }
    }

    fn release(&mut self, slot: usize) {
        if let Some(member) = self.members[slot].take() {
            if let Target::Socket { mailbox, watch, .. } = member.target {
                mailbox.signal().unwatch(watch);
            }
        }
        self.last_ready.retain(|&each| each != slot);
        self.writers.retain(|&each| each != slot);
    }

    /// Keeps `writers` in line with a socket member's events.
    fn update_writers(&mut self, slot: usize) {
        self.writers.retain(|&each| each != slot);
        if let Some(Some(member)) = self.members.get(slot) {
            if member.events.contains(POLLOUT) && matches!(member.target, Target::Socket { .. }) {
                self.writers.push(slot);
            }
        }
    }

    fn find_socket(&self, socket: &Socket) -> Option<usize> {
        self.members.iter().position(|member| {
            matches!(member, Some(Member { target: Target::Socket { socket: s, .. }, .. }) if std::ptr::eq(*s, socket))
        })
    }

    fn find_fd(&self, fd: RawFd) -> Option<usize> {
        self.members.iter().position(
            |member| matches!(member, Some(Member { target: Target::Fd(f), .. }) if *f == fd),
        )
    }
}

impl Drop for Poller<'_> {
    fn drop(&mut self) {
        for slot in 0..self.members.len() {
            self.release(slot);
        }
    }
}

fn expired(deadline: Option<Instant>) -> bool {
    deadline.is_some_and(|deadline| Instant::now() >= deadline)
}

fn remaining(deadline: Option<Instant>) -> Option<Duration> {
    deadline.map(|deadline| deadline.saturating_duration_since(Instant::now()))
}

/// `poll(2)`'s timeout: whole milliseconds rounded up, -1 for forever.
fn timeout_ms(wait: Option<Duration>) -> i32 {
    match wait {
        None => -1,
        Some(wait) => i32::try_from(wait.as_nanos().div_ceil(1_000_000)).unwrap_or(i32::MAX),
    }
}

/// The poller's wake-up protocol as the loom models in `loom-tests/` see
/// it (built only under `--cfg zactor_loom`, reached as `zactor::__loom`):
/// the real `Signal`, `MemberWatcher`, `Shared` and the three steps of a
/// pass, with a socket's readiness reduced to whatever the model checks.
#[cfg(zactor_loom)]
#[allow(unreachable_pub)]
pub mod loom_api {
    use super::{start_check, MemberWatcher, Shared};
    use crate::signaler::{Signal, WatchId};
    use crate::sync::{Arc, AtomicBool};

    /// A socket's signal (what a command to the socket notifies).
    pub struct SocketSignal(Arc<Signal>);

    impl SocketSignal {
        /// A new signal.
        pub fn new() -> Self {
            SocketSignal(Arc::new(Signal::new()))
        }

        /// What sending a command to the socket does.
        pub fn notify(&self) {
            self.0.notify();
        }
    }

    impl Clone for SocketSignal {
        fn clone(&self) -> Self {
            SocketSignal(self.0.clone())
        }
    }

    /// A poller with one socket member.
    pub struct PollerModel {
        shared: Arc<Shared>,
        queued: Arc<AtomicBool>,
        socket: SocketSignal,
        watch: WatchId,
    }

    impl PollerModel {
        /// Adds the member as `Poller::add` does (slot 0, queued for its
        /// first check).
        pub fn add(socket: &SocketSignal) -> Self {
            let shared = Arc::new(Shared::new());
            let queued = Arc::new(AtomicBool::new(true));
            let watch = socket.0.watch(Box::new(MemberWatcher {
                shared: shared.clone(),
                slot: 0,
                queued: queued.clone(),
            }));
            PollerModel {
                shared,
                queued,
                socket: socket.clone(),
                watch,
            }
        }

        /// Steps 1 to 3 of a pass: reset, take the woken slots, and start
        /// the member's check. Returns the woken slots; the caller then
        /// looks at the socket's readiness.
        pub fn begin_pass(&self) -> Vec<usize> {
            self.shared.reset();
            let mut woken = Vec::new();
            self.shared.take_woken(&mut woken);
            start_check(&self.queued);
            woken
        }

        /// Sleeps until woken (the sockets-only wait: park on the poller's
        /// signal).
        pub fn sleep(&self) {
            self.shared.park.wait(None);
        }
    }

    impl Drop for PollerModel {
        fn drop(&mut self) {
            self.socket.0.unwatch(self.watch);
        }
    }
}
