#!/usr/bin/env bash
# Builds the CZMQ harness against the system libczmq (Debian/Ubuntu:
# `apt-get install -y libczmq-dev`) and runs it: N actors serially, a few
# rounds, microseconds per actor. Extra arguments: N (default 10000) and
# the number of rounds (default 5).
#
# Pinned placements, as for `cargo bench --bench actor`:
#   taskset -c 0   bash benches/czmq/run.sh      # one core
#   taskset -c 0,1 bash benches/czmq/run.sh      # two cores (CZMQ pins nothing)
set -euo pipefail
cd "$(dirname "$0")"
out="${CARGO_TARGET_DIR:-../../target}/czmq"
mkdir -p "$out"
cc -O2 -o "$out/zactor_life" zactor_life.c $(pkg-config --cflags --libs libczmq)
exec "$out/zactor_life" "$@"
