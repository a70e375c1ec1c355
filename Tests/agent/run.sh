#!/usr/bin/env bash
# Agent integration tests: `chatixia run` agents with their real sidecars and a real chatixia-registry,
# inside a network namespace the script creates, where only loopback exists. Needs `swift build` first.
#
#   Tests/agent/run.sh [pytest args...]
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/lib.sh

ensure_apt iproute2 util-linux procps
ensure_test_venv
ensure_binaries chatixia chatixia-registry chatixia-sidecar
say "running agent integration tests in a private network namespace"
exec unshare --net bash -c 'ip link set lo up && cd Tests/agent && exec "$0" -m pytest -p no:cacheprovider "$@"' "$TEST_VENV/bin/python" "$@"
