#!/usr/bin/env bash
# End-to-end tests: the whole system as a user runs it (registry, `chatixia run` agents with their sidecars,
# pairing, the original Python client, coturn) inside a network namespace this script creates, where the
# tests add further namespaces, veth links and iptables rules of their own. Nothing leaves the machine.
# Installs what is missing first. Needs `swift build` to have run.
#
#   Tests/e2e/run.sh [pytest args...]
set -euo pipefail
cd "$(dirname "$0")/../.."
REPO=$(pwd)
source scripts/lib.sh

ensure_apt python3-venv iproute2 util-linux procps coturn iptables
VENV="$REPO/.venv-e2e"
ensure_venv "$VENV" Tests/e2e/requirements.txt "pytest, requests, yaml, dotenv"
# The original client, unchanged from PyPI. It declares Python >= 3.12; Debian 12 ships 3.11, on which its
# code runs as is, so the version gate is skipped. Its LLM/web dependencies are not needed to join a mesh.
if ! "$VENV/bin/python" -c "import chatixia.runner" 2>/dev/null; then
    say "installing the original Python client chatixia==0.4.3 into $VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check --no-deps --ignore-requires-python chatixia==0.4.3
fi
export CHATIXIA_BIN_DIR="${CHATIXIA_BIN_DIR:-$(swift build --show-bin-path)}"
for binary in chatixia chatixia-registry chatixia-sidecar; do
    [ -x "$CHATIXIA_BIN_DIR/$binary" ] || { echo "no $binary in $CHATIXIA_BIN_DIR; run 'swift build' first" >&2; exit 1; }
done
say "running end-to-end tests in a private network (and mount) namespace"
# A private mount namespace too, so `ip netns add` keeps its bind mounts (under a fresh /run/netns) to itself.
exec unshare --net --mount bash -c 'mkdir -p /run/netns && mount -t tmpfs e2e-netns /run/netns && ip link set lo up && cd Tests/e2e && exec "$0" -m pytest -p no:cacheprovider "$@"' "$VENV/bin/python" "$@"
