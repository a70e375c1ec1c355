#!/usr/bin/env bash
# Scale benchmark (issue 7): cold-start full meshes of 10, 25 and 50 sidecars, and 10 `chatixia run` agents
# under sustained P2P delegation, on loopback inside a private network namespace. Builds the registry,
# sidecar and agent CLI in release, prints the table and writes it to docs/BENCHMARKS.md.
#
#   bench/scale/run.sh [--sizes 10,25,50] [--rate 1000] [--duration 60] [--skill direct|echo]
#                      [--no-mesh] [--no-load] [--keep] [--no-write]
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/lib.sh

ensure_apt iproute2 util-linux python3
release_binaries
use_pysupport
say "measuring on loopback in a private network namespace"
exec unshare --net bash -c 'ip link set lo up && exec python3 bench/scale/bench.py --bin-dir "$0" "$@"' "$BIN" "$@"
