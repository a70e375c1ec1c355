#!/usr/bin/env bash
# WebRTC DataChannel benchmark: our stack beside aiortc, pion (Go), Chromium in-page and a raw UDP floor,
# in one run on loopback inside a private network namespace. Builds rtc-bench in release and pion-bench,
# prints the table and writes it to docs/BENCHMARKS.md (not with --only, which measures just the named
# stacks: ours, chromium, aiortc, pion, udp).
#
#   bench/rtc/run.sh [--megabytes N] [--round-trips N] [--messages N] [--only STACK]... [--no-write]
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/lib.sh

ensure_swift
ensure_apt libssl-dev iproute2 util-linux chromium chromium-driver golang-go golang-github-pion-webrtc.v3-dev
ensure_test_venv
say "building rtc-bench (release)"
swift build -c release --package-path bench --product rtc-bench
BIN_DIR="$(swift build -c release --package-path bench --show-bin-path)"
ensure_pion_binaries
export SE_OFFLINE=true
say "measuring our stack, aiortc, pion, Chromium and raw UDP on loopback in a private network namespace"
exec unshare --net bash -c 'ip link set lo up && exec "$0" bench/rtc/bench.py --bin-dir "$1" "${@:2}"' "$TEST_VENV/bin/python" "$BIN_DIR" "$@"
