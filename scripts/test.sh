#!/usr/bin/env bash
# Builds everything and runs the whole test suite. Safe to run on a fresh Debian machine with Swift.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

ensure_swift
ensure_apt curl ca-certificates libssl-dev

say "building all targets and tests (debug; the first build fetches and compiles dependencies, ~5-8 min)"
swift build --build-tests

say "running the Swift test suites"
swift test --skip-build
