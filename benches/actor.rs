//! Criterion benches of actors: the cost of an actor's whole life (start,
//! ready handshake, `$TERM`, join), serially, next to a bare thread spawn
//! with the same handshake; and a one-byte round trip between a parent and
//! its actor (and the same over the bare pipe socket, for the actor
//! layer's own cost).
//!
//! `cargo bench --bench actor` runs them in about half a minute. Placement
//! (`ZACTOR_BENCH_PLACEMENT`, as in `benches/inproc.rs`):
//!
//! - `split` (the default on two or more cores): the parent on core 0, the
//!   actor on core 1;
//! - `same`: both on core 0;
//! - `none`: left to the scheduler.
//!
//! For the figure CZMQ is compared on, run the whole process on one core:
//! `taskset -c 0 cargo bench --bench actor -- life` (the placement then
//! cannot split anything). `benches/czmq/run.sh` measures CZMQ's
//! `zactor_new`/`zactor_destroy` the same way.

use std::sync::mpsc;
use std::thread;

use criterion::{criterion_group, criterion_main, Criterion};
use zactor as zmq;
use zmq::actor::{Actor, TERM};

/// Where the parent and its actor run.
#[derive(Clone, Copy, Debug)]
enum Placement {
    Same,
    Split,
    Unpinned,
}

impl Placement {
    fn from_env() -> Placement {
        let cores = core_affinity::get_core_ids().map_or(1, |ids| ids.len());
        match std::env::var("ZACTOR_BENCH_PLACEMENT").as_deref() {
            Ok("same") => Placement::Same,
            Ok("split") if cores >= 2 => Placement::Split,
            Ok("none") => Placement::Unpinned,
            _ if cores >= 2 => Placement::Split,
            _ => Placement::Unpinned,
        }
    }

    /// The parent's core and the actor's core.
    fn cores(self) -> (Option<usize>, Option<usize>) {
        let allowed = core_affinity::get_core_ids().unwrap_or_default();
        let nth = |n: usize| allowed.get(n).map(|core| core.id);
        match self {
            Placement::Same => (nth(0), nth(0)),
            Placement::Split => (nth(0), nth(1)),
            Placement::Unpinned => (None, None),
        }
    }
}

fn pin(core: Option<usize>) {
    if let Some(id) = core {
        core_affinity::set_for_current(core_affinity::CoreId { id });
    }
}

/// Ready, then wait for `$TERM` (CZMQ's minimal actor).
fn minimal(pipe: &zmq::Socket, _: &zmq::Context) -> zmq::Result<()> {
    pipe.signal(0)?;
    pipe.recv_msg(0)?;
    Ok(())
}

/// Echo until `$TERM`.
fn echo(pipe: &zmq::Socket, _: &zmq::Context) -> zmq::Result<()> {
    pipe.signal(0)?;
    loop {
        let msg = pipe.recv_msg(0)?;
        if msg[..] == *TERM.as_bytes() {
            return Ok(());
        }
        pipe.send(msg, 0)?;
    }
}

fn life(c: &mut Criterion) {
    let placement = Placement::from_env();
    let (parent_core, actor_core) = placement.cores();
    eprintln!("placement: {placement:?} (parent {parent_core:?}, actor {actor_core:?})");
    // The parent runs on the bench's own thread.
    pin(parent_core);
    let ctx = zmq::Context::new();
    let mut group = c.benchmark_group("actor");
    group.bench_function("life (new + ready + drop)", |b| {
        b.iter(|| {
            let builder = match actor_core {
                Some(core) => Actor::builder().pin(core),
                None => Actor::builder(),
            };
            let actor = builder.spawn(&ctx, minimal).expect("actor");
            drop(actor);
        });
    });
    group.bench_function("bare thread (spawn + ready + stop + join)", |b| {
        b.iter(|| {
            let (ready_tx, ready_rx) = mpsc::sync_channel::<()>(0);
            let (stop_tx, stop_rx) = mpsc::sync_channel::<()>(0);
            let handle = thread::spawn(move || {
                pin(actor_core);
                ready_tx.send(()).unwrap();
                stop_rx.recv().unwrap();
            });
            ready_rx.recv().unwrap();
            stop_tx.send(()).unwrap();
            handle.join().unwrap();
        });
    });
    group.finish();
}

fn round_trip(c: &mut Criterion) {
    let placement = Placement::from_env();
    let (parent_core, actor_core) = placement.cores();
    pin(parent_core);
    let ctx = zmq::Context::new();
    let builder = match actor_core {
        Some(core) => Actor::builder().pin(core),
        None => Actor::builder(),
    };
    let actor = builder.spawn(&ctx, echo).expect("actor");
    let mut group = c.benchmark_group("actor");
    group.bench_function("round trip 1 B", |b| {
        b.iter(|| {
            actor.send(&b"x"[..], 0).unwrap();
            actor.recv_msg(0).unwrap()
        });
    });
    // The same exchange over the actor's socket itself, bypassing the
    // Actor's end-of-actor checks: what the actor layer costs per trip.
    let pipe = actor.socket();
    group.bench_function("round trip 1 B (raw pipe socket)", |b| {
        b.iter(|| {
            pipe.send(&b"x"[..], 0).unwrap();
            pipe.recv_msg(0).unwrap()
        });
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(30)
        .warm_up_time(std::time::Duration::from_millis(500))
        .measurement_time(std::time::Duration::from_secs(3));
    targets = life, round_trip
}
criterion_main!(benches);
