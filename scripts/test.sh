#!/usr/bin/env bash
# Builds everything and runs the whole test suite. Safe to run on a fresh Debian machine with Swift.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

ensure_swift
ensure_apt curl ca-certificates libssl-dev postgresql

say "building all targets and tests (debug; the first build fetches and compiles dependencies, ~5-10 min)"
swift build --build-tests

say "running the Swift test suites"
swift test --skip-build

say "running the registry suite again, against a real PostgreSQL server instead of SQLite"
start_postgres
trap stop_postgres EXIT
CHATIXIA_TEST_POSTGRES="$PG_URL" swift test --skip-build --filter RegistryTests

say "checking that docs/PROTOCOL.md and docs/THREAT_MODEL.md match the code (routes, message types, cited tests)"
Tests/docs/run.sh

BIN_DIR="$(swift build --show-bin-path)"
say "running the hub's browser tests (headless Chromium against real registries)"
CHATIXIA_BIN_DIR="$BIN_DIR" Tests/hub/run.sh

say "running WebRTC interop tests: our stack against aiortc, Chromium, pion and coturn, inside a private network namespace"
CHATIXIA_BIN_DIR="$BIN_DIR" Tests/interop/run.sh

say "running sidecar integration tests (real registry, sidecars and the original Python client) in a private network namespace"
CHATIXIA_BIN_DIR="$BIN_DIR" Tests/sidecar/run.sh

say "running agent integration tests (chatixia run agents with real sidecars and a real registry) in a private network namespace"
CHATIXIA_BIN_DIR="$BIN_DIR" Tests/agent/run.sh

say "running end-to-end tests (pairing to delegation, chatixia 0.4.3 run, NAT through coturn, faults) in private network namespaces"
CHATIXIA_BIN_DIR="$BIN_DIR" Tests/e2e/run.sh

say "fuzzing the STUN, SDP, ICE candidate, DCEP, SCTP and IPC parsers briefly (libFuzzer, 20 s each; longer runs: scripts/fuzz.sh 300)"
scripts/fuzz.sh 20
