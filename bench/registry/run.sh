#!/usr/bin/env bash
# Registry load benchmark: the release registry beside a bare Hummingbird server, same run, same machine.
# Writes its table into docs/BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/lib.sh
ensure_swift
ensure_apt wrk
say "building release binaries (chatixia-registry, registry-bench)"
swift build -c release --product chatixia-registry
swift build -c release --product registry-bench
BIN="$(swift build -c release --show-bin-path)"
say "running the benchmark (about a minute)"
"$BIN/registry-bench" run --bin-dir "$BIN" --out docs/BENCHMARKS.md "$@"
