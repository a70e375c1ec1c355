#!/usr/bin/env bash
# Agent-to-agent benchmark through our sidecars beside aiortc <-> aiortc, in one run on loopback inside a
# private network namespace, with our bare stack (bench/rtc's rtc-bench) in the same run. Builds the registry,
# sidecar and agent CLI in release (BIN_DIR=<folder> uses the binaries there instead) and rtc-bench, prints the
# table and writes it to docs/BENCHMARKS.md.
#
#   bench/sidecar/run.sh [--megabytes N] [--round-trips N] [--messages N] [--no-write]
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/lib.sh

ensure_apt libssl-dev iproute2 util-linux
ensure_test_venv
release_binaries
say "building rtc-bench (release)"
swift build -c release --package-path bench --product rtc-bench
RTC_BENCH="$(swift build -c release --package-path bench --show-bin-path)/rtc-bench"
say "measuring the agent-to-agent path and aiortc on loopback in a private network namespace"
exec unshare --net bash -c 'ip link set lo up && exec "$0" bench/sidecar/bench.py --bin-dir "$1" --rtc-bench "$2" "${@:3}"' "$TEST_VENV/bin/python" "$BIN" "$RTC_BENCH" "$@"
