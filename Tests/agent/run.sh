#!/usr/bin/env bash
# Agent integration tests: `chatixia run` agents with their real sidecars and a real chatixia-registry,
# inside a network namespace the script creates, where only loopback exists. Needs `swift build` first.
#
#   Tests/agent/run.sh [pytest args...]
set -euo pipefail
cd "$(dirname "$0")/../.."
REPO=$(pwd)
source scripts/lib.sh

ensure_apt python3-venv iproute2 util-linux procps
VENV="$REPO/.venv-agent"
ensure_venv "$VENV" Tests/agent/requirements.txt "pytest, mcp.server.fastmcp"
export CHATIXIA_BIN_DIR="${CHATIXIA_BIN_DIR:-$(swift build --show-bin-path)}"
for binary in chatixia chatixia-registry chatixia-sidecar; do
    [ -x "$CHATIXIA_BIN_DIR/$binary" ] || { echo "no $binary in $CHATIXIA_BIN_DIR; run 'swift build' first" >&2; exit 1; }
done
say "running agent integration tests in a private network namespace"
exec unshare --net bash -c 'ip link set lo up && cd Tests/agent && exec "$0" -m pytest -p no:cacheprovider "$@"' "$VENV/bin/python" "$@"
