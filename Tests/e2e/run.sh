#!/usr/bin/env bash
# End-to-end tests: the whole system as a user runs it (registry, `chatixia run` agents with their sidecars,
# pairing, the original Python client, coturn) inside a network namespace this script creates, where the
# tests add further namespaces, veth links and iptables rules of their own. Nothing leaves the machine.
# Installs what is missing first (PostgreSQL for the replica tests, which start throwaway servers inside the
# namespace through scripts/lib.sh). Needs `swift build` to have run.
#
#   Tests/e2e/run.sh [pytest args...]
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/lib.sh

ensure_apt iproute2 util-linux procps coturn iptables postgresql
ensure_test_venv
ensure_binaries chatixia chatixia-registry chatixia-sidecar
say "running end-to-end tests in a private network (and mount) namespace"
# A private mount namespace too, so `ip netns add` keeps its bind mounts (under a fresh /run/netns) to itself.
exec unshare --net --mount bash -c 'mkdir -p /run/netns && mount -t tmpfs e2e-netns /run/netns && ip link set lo up && cd Tests/e2e && exec "$0" -m pytest -p no:cacheprovider "$@"' "$TEST_VENV/bin/python" "$@"
