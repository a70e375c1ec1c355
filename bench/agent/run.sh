#!/usr/bin/env bash
# Delegation round trip to a `chatixia run` agent, P2P over the DataChannel versus the registry's task queue,
# in one run on loopback inside a private network namespace, plus the agent's RSS. Builds the agent, sidecar
# and registry in release (BIN_DIR=<folder> uses the binaries there instead), prints the table and writes it to docs/BENCHMARKS.md.
#
#   bench/agent/run.sh [--round-trips N] [--warmup N] [--no-write]
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/lib.sh

ensure_apt libssl-dev python3 iproute2 util-linux
release_binaries
use_pysupport
say "measuring delegation round trips on loopback in a private network namespace"
exec unshare --net bash -c 'ip link set lo up && exec python3 bench/agent/bench.py --bin-dir "$0" "$@"' "$BIN" "$@"
