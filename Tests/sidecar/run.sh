#!/usr/bin/env bash
# Sidecar integration tests: real chatixia-registry and chatixia-sidecar processes (and the original
# Python client, chatixia 0.4.3) inside a network namespace the script creates, where only loopback
# exists. Installs what is missing first. Needs `swift build` to have run.
#
#   Tests/sidecar/run.sh [pytest args...]
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/lib.sh

ensure_apt iproute2 util-linux iptables coturn
ensure_test_venv
ensure_binaries chatixia-registry chatixia-sidecar
say "running sidecar integration tests in a private network namespace"
exec unshare --net bash -c 'ip link set lo up && cd Tests/sidecar && exec "$0" -m pytest -p no:cacheprovider "$@"' "$TEST_VENV/bin/python" "$@"
