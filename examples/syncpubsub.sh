#!/usr/bin/env bash
# The guide's shell loop for syncpub/syncsub (chapter 2): start ten
# subscribers in the background, then the publisher, and wait for them all.
#
# Usage: examples/syncpubsub.sh [BIN_DIR]   (default target/release/examples;
# build first: cargo build --release --example syncpub --example syncsub).
# PUB_PORT and SYNC_PORT (default the guide's 5561 and 5562) choose the
# ports, so tests can run it on free ones; UPDATES the count (1,000,000).
set -euo pipefail
bin=${1:-"$(dirname "$0")/../target/release/examples"}
pub_port=${PUB_PORT:-5561}
sync_port=${SYNC_PORT:-5562}
updates=${UPDATES:-1000000}

echo "Starting subscribers..."
subscribers=()
for a in 1 2 3 4 5 6 7 8 9 10; do
    "$bin/syncsub" "tcp://localhost:$pub_port" "tcp://localhost:$sync_port" &
    subscribers+=($!)
done
echo "Starting publisher..."
"$bin/syncpub" "tcp://*:$pub_port" "tcp://*:$sync_port" 10 "$updates"
# Every subscriber must end well ("wait" alone would forget their status).
for subscriber in "${subscribers[@]}"; do
    wait "$subscriber"
done
