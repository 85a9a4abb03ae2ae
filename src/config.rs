//! Tunables, each with the reason for its value (libzmq keeps the same list in
//! `src/config.hpp`). Loom builds shrink the sizes so models stay small.

/// Items per chunk of a pipe's queue. A chunk is allocated when the writer
/// runs past the last one and recycled through the pipe's spare slot, so a
/// warm pipe allocates nothing. 256 × 80-byte messages = 20 KiB: big enough
/// that a chunk boundary is rare, small enough that an idle pipe is cheap.
#[cfg(not(zactor_loom))]
pub(crate) const PIPE_CHUNK: usize = 256;
/// Under loom a chunk of two items makes chunk crossings part of every model.
#[cfg(zactor_loom)]
pub(crate) const PIPE_CHUNK: usize = 2;

/// Default send and receive high-water marks, in messages (libzmq's default).
pub(crate) const DEFAULT_HWM: i32 = 1000;

/// How many messages at most the reader consumes before it returns credit to
/// the writer, whatever the HWM. libzmq uses the same bound (`max_wm_delta`):
/// returning credit in batches keeps the shared counter's cache line still.
pub(crate) const MAX_CREDIT_BATCH: u64 = 1024;

/// How long a blocked call spins, re-checking for work, before it parks.
/// A wake-up of a thread parked on another vCPU costs about 30 µs on the
/// machines this project targets, so a peer that answers within a few
/// microseconds is far cheaper to wait for than to be woken by.
pub(crate) const SPIN_BEFORE_PARK: std::time::Duration = std::time::Duration::from_micros(50);

/// How long the I/O thread keeps polling (without blocking) after a pass
/// that did work. Its sockets' next messages then need no wake-up command,
/// and it is not parked when a reply comes in; as for `SPIN_BEFORE_PARK`,
/// the 30 µs of a cross-vCPU wake-up set the scale.
pub(crate) const IO_SPIN_BEFORE_BLOCK: std::time::Duration = std::time::Duration::from_micros(50);

/// While the I/O thread spins, how often it runs its timers (heartbeats,
/// reconnects): the spin may go on as long as traffic does.
pub(crate) const IO_SPIN_TIMER_CHECK: std::time::Duration = std::time::Duration::from_millis(1);

/// Spin rounds per `yield_now` while spinning: a yield costs a syscall, but
/// only a yield lets a peer on the same core run before our slice ends.
pub(crate) const SPINS_PER_YIELD: u32 = 4;

/// How many spin rounds happen between clock reads while spinning.
pub(crate) const SPIN_ROUNDS_PER_CLOCK_READ: u32 = 64;

/// Length of the routing ids a ROUTER generates for anonymous peers: a zero
/// byte then a big-endian u32, exactly like libzmq, so ids look the same on
/// the wire and in logs.
pub(crate) const GENERATED_ID_LEN: usize = 5;
