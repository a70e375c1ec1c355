#!/usr/bin/env bash
# A2A benchmark (issue 13): a blocking SendMessage through the registry's A2A gateway to a trivial skill, beside
# the same skill through our own task API and an a2a-sdk reference server, in one run on loopback inside a private
# network namespace. Builds the registry, sidecar and agent CLI in release (BIN_DIR=<folder> uses the binaries
# there instead), prints the table and writes it to docs/BENCHMARKS.md.
#
#   bench/a2a/run.sh [--round-trips N] [--warmup N] [--no-write]
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/lib.sh

ensure_apt iproute2 util-linux
ensure_test_venv
release_binaries
say "measuring A2A round trips on loopback in a private network namespace"
exec unshare --net bash -c 'ip link set lo up && exec "$0" bench/a2a/bench.py --bin-dir "$1" "${@:2}"' "$TEST_VENV/bin/python" "$BIN" "$@"
