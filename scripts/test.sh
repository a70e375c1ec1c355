#!/usr/bin/env bash
# Builds everything and runs the whole test suite. Safe to run on a fresh Debian machine with Swift.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

ensure_swift
ensure_apt curl ca-certificates libssl-dev libusrsctp-dev

say "building all targets and tests (debug; the first build fetches and compiles dependencies, ~5-10 min)"
swift build --build-tests

say "running the Swift test suites"
swift test --skip-build

say "running the hub's browser tests (headless Chromium against real registries)"
CHATIXIA_BIN_DIR="$(swift build --show-bin-path)" Tests/hub/run.sh
