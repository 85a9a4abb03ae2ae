#!/usr/bin/env bash
# Runs the loom models of the pipe (see README.md). Extra arguments go to
# `cargo test`, e.g. `./run.sh --test queue` or `./run.sh -- rollback`.
#
# - `--cfg zactor_loom` (namespaced, never a bare `--cfg loom`) swaps
#   src/sync.rs onto loom's types and shrinks queue chunks to 2 items.
# - Release build with debug assertions: loom explores thousands of
#   interleavings, and the queue's debug_asserts must stay on.
# - A separate target dir, so the different RUSTFLAGS never invalidate the
#   normal build.
# - LOOM_MAX_PREEMPTIONS=2 bounds the search (tokio and crossbeam use the
#   same bound); override it from the environment to search deeper.
set -euo pipefail
cd "$(dirname "$0")/.."
export RUSTFLAGS="--cfg zactor_loom ${RUSTFLAGS:-}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target/loom}"
export CARGO_PROFILE_RELEASE_DEBUG_ASSERTIONS=true
export LOOM_MAX_PREEMPTIONS="${LOOM_MAX_PREEMPTIONS:-2}"
exec cargo test --release -p zactor-loom-tests "$@"
