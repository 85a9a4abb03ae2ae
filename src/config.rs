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

/// `spin_loop` pauses per spin round of a receive that caught up with a
/// stream (`Spinner::pace_for_stream`; other waits pause once per round).
/// About a microsecond here: long enough for a busy writer to publish a
/// batch between two looks, short beside the 50 µs spin. Measured on
/// inproc 64 B split (`inproc_thr`, interleaved): 1 pause 12.4 M msg/s,
/// 16 → 15.4 M, 32 → 16.4 M, 64 → 16.1 M; a request-reply loop is
/// unaffected (it never finds its answer at once).
pub(crate) const STREAM_PAUSES: u32 = 32;

/// A receive paces its next look (`STREAM_PAUSES`, `READ_PACE_PAUSES`) only
/// after a frame smaller than this. A writer takes longer to make a large
/// body (allocate, fill) than a pause lasts, so no batch gathers, and a
/// reader that pauses only holds the bodies longer before it frees them:
/// with 64 KiB bodies split over two cores, bodies freed later sent the
/// sender's `calloc` to colder memory and glibc's slow path (comparison
/// bench, interleaved: 0.55–0.95 M msg/s paced, 1.23–1.40 M not). 8 KiB
/// is past the point where a frame's own copying outweighs one cache-line
/// transfer per message.
pub(crate) const PACED_FRAME_MAX: usize = 8 * 1024;

/// `spin_loop` pauses before a blocking receive that streams looks at a
/// pipe whose last look found fewer than four frames (`Pipes::pacing`):
/// about 1.7 µs here (a pause is 26 ns on this machine's CPUs), in which
/// a busy writer publishes a batch. Measured on inproc 64 B split
/// (`inproc_thr`, interleaved): no pause 15.3–15.9 M msg/s, 32 pauses
/// 17.9–18.3 M, 64 → 18.5–18.7 M, 128 → 19.1–19.2 M; 64 keeps a stream's
/// added latency under 2 µs.
pub(crate) const READ_PACE_PAUSES: u32 = 64;

/// A `yield_now` that takes longer than this let another thread run: the
/// core is shared (`signaler::yield_found_core_shared`). A paced wait then
/// goes back to short pauses (`Spinner::pace_for_stream`), and a writer
/// ceding its core keeps ceding often (`PipeEnd::cede_core`). An empty yield is a system call of well
/// under a microsecond; a switch to another thread and back is several.
pub(crate) const SHARED_CORE_YIELD: std::time::Duration = std::time::Duration::from_micros(2);

/// Body bytes a writer publishes into a pipe whose reader it has not seen
/// asleep before it yields its core once, at its next message
/// (`PipeEnd::cede_core`): eight 64 KiB bodies, within this machine's 1 MiB
/// L2 per core. Measured on 64 KiB PUSH→PULL: see DESIGN.md ("Where the
/// time goes").
pub(crate) const CEDE_AFTER_BYTES: u64 = 512 * 1024;

/// The most `CEDE_AFTER_BYTES` grows to while yields find the core free.
pub(crate) const CEDE_AFTER_BYTES_MAX: u64 = 64 << 20;

/// SO_SNDBUF and SO_RCVBUF of an ipc connection whose socket leaves SNDBUF
/// and RCVBUF at -1 (`transport::stream::size_unix_buffers`). Unix sockets
/// do not autotune as TCP does, and their default (208 KiB) holds three
/// 64 KiB messages. `local_thr`/`remote_thr` over ipc, 64 KiB, both ends on
/// one core, interleaved: 37 k msg/s at the default, 47 k at 512 KiB, 74 k
/// at 1 MiB, 75 k at 4 MiB; 64 B unchanged.
pub(crate) const IPC_STREAM_BUFFER: usize = 1 << 20;

/// How many spin rounds happen between clock reads while spinning.
pub(crate) const SPIN_ROUNDS_PER_CLOCK_READ: u32 = 64;

/// Length of the routing ids a ROUTER generates for anonymous peers: a zero
/// byte then a big-endian u32, exactly like libzmq, so ids look the same on
/// the wire and in logs.
pub(crate) const GENERATED_ID_LEN: usize = 5;

/// A received message frame body of at least this many octets gets a buffer
/// of its own from the connection's recycling pool, and what the header read
/// did not already bring is read straight into it (as libzmq's decoder does
/// for large messages). Smaller bodies stay in the shared 64 KiB read buffer,
/// many to one allocation (split off, or copied inline): there a read brings
/// several frames at once and the buffer's fresh allocation is shared by all
/// of them, while a buffer of their own would cost a second `read` each. At
/// 32 KiB, half a read chunk, a read brings at most two bodies anyway, so
/// the extra `read` is cheap beside the copy and the page faults it saves
/// (about 15% of the I/O thread at 64 KiB before this pool).
pub(crate) const RECV_LARGE_BODY: usize = 32 * 1024;

/// Free body buffers one connection keeps for reuse (more come back: they
/// are freed). Enough to cover the messages a receiving application holds
/// between two reads of the I/O thread in a stream of large messages.
pub(crate) const RECV_POOL_BUFFERS: usize = 16;

/// The largest body buffer a connection keeps for reuse: a larger one is
/// freed when its message goes, so a pool holds at most
/// `RECV_POOL_BUFFERS × RECV_POOL_MAX_BUFFER` (4 MiB), and 16 × 64 KiB for
/// the usual large message.
pub(crate) const RECV_POOL_MAX_BUFFER: usize = 256 * 1024;

/// The read that follows a large body, into the shared read buffer, asks for
/// at most this much: the next frame is likely large too, and what this read
/// brings of its body is copied into the body's buffer, where the rest is
/// read without a copy. libzmq reads 8 KiB likewise (`in_batch_size`).
/// Measured against no such limit (a 64 KiB read, whose up to 64 KiB of body
/// are then copied), 64 KiB PUSH→PULL on split cores: tcp 9.0 k against
/// 8.3 k msg/s, ipc 10.9 k against 9.3 k (same core: within the noise).
pub(crate) const RECV_HEADER_READ: usize = 8 * 1024;

/// A receiving socket reads the streams of its network connections itself
/// while it spins (direct I/O) only when it has at most this many pipes.
pub(crate) const DIRECT_READ_MAX_PIPES: usize = 8;

/// A socket that read its network stream itself (direct I/O) keeps it
/// between receives; its I/O thread takes it back when no receive has read
/// it for this long, so input never waits longer unread.
pub(crate) const DIRECT_READ_RECLAIM: std::time::Duration = std::time::Duration::from_millis(10);
