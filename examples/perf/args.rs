//! Command-line arguments and thread placement shared by the perf examples
//! (`inproc_thr`, `inproc_lat`): `[size] [count] [same|split|none]`.

/// Where the two threads of a measurement run.
#[derive(Clone, Copy)]
pub enum Placement {
    /// Both on core 0.
    Same,
    /// The leader on core 0, the other on core 1.
    Split,
    /// Wherever the scheduler puts them.
    Unpinned,
}

impl Placement {
    fn parse(arg: &str) -> Option<Placement> {
        match arg {
            "same" => Some(Placement::Same),
            "split" => Some(Placement::Split),
            "none" => Some(Placement::Unpinned),
            _ => None,
        }
    }

    /// Pins the calling thread; the thread that measures is the `leader`.
    pub fn pin(self, leader: bool) {
        let core = match self {
            Placement::Same => 0,
            Placement::Split if leader => 0,
            Placement::Split => 1,
            Placement::Unpinned => return,
        };
        if !core_affinity::set_for_current(core_affinity::CoreId { id: core }) {
            eprintln!("warning: could not pin a thread to core {core}");
        }
    }
}

/// Parses `[size] [count] [placement]`, with defaults; `None` (after
/// printing `usage`) on a bad argument. `count` must be at least `min_count`.
pub fn parse(
    usage: &str,
    default_size: usize,
    default_count: usize,
    min_count: usize,
) -> Option<(usize, usize, Placement)> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let parsed = (|| {
        let size = match args.first() {
            None => default_size,
            Some(arg) => arg.parse().ok()?,
        };
        let count = match args.get(1) {
            None => default_count,
            Some(arg) => arg.parse().ok().filter(|&c| c >= min_count)?,
        };
        let placement = match args.get(2) {
            None => Placement::Split,
            Some(arg) => Placement::parse(arg)?,
        };
        Some((size, count, placement))
    })();
    if parsed.is_none() {
        eprintln!("usage: {usage}");
    }
    parsed
}
