#!/usr/bin/env bash
# Agent-to-agent benchmark through our sidecars beside aiortc <-> aiortc, in one run on loopback inside a
# private network namespace. Builds the registry, sidecar and agent CLI in release (BIN_DIR=<folder> uses the
# binaries there instead), prints the table and writes it to docs/BENCHMARKS.md.
#
#   bench/sidecar/run.sh [--megabytes N] [--round-trips N] [--messages N] [--no-write]
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/lib.sh

ensure_apt libssl-dev iproute2 util-linux
ensure_test_venv
release_binaries
say "measuring the agent-to-agent path and aiortc on loopback in a private network namespace"
exec unshare --net bash -c 'ip link set lo up && exec "$0" bench/sidecar/bench.py --bin-dir "$1" "${@:2}"' "$TEST_VENV/bin/python" "$BIN" "$@"
