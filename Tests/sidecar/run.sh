#!/usr/bin/env bash
# Sidecar integration tests: real chatixia-registry and chatixia-sidecar processes (and the original
# Python client, chatixia 0.4.3) inside a network namespace the script creates, where only loopback
# exists. Installs what is missing first. Needs `swift build` to have run.
#
#   Tests/sidecar/run.sh [pytest args...]
set -euo pipefail
cd "$(dirname "$0")/../.."
REPO=$(pwd)
source scripts/lib.sh

ensure_apt python3-venv iproute2 util-linux coturn
VENV="$REPO/.venv-sidecar"
ensure_venv "$VENV" Tests/sidecar/requirements.txt "pytest, requests, yaml, dotenv"
# The original client, unchanged from PyPI. It declares Python >= 3.12; Debian 12 ships 3.11, on which its
# code runs as is, so the version gate is skipped there. Its LLM/web dependencies are not needed to drive
# a sidecar and are left out.
if ! "$VENV/bin/python" -c "import chatixia.core.mesh_client" 2>/dev/null; then
    say "installing the original Python client chatixia==0.4.3 into $VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check --no-deps --ignore-requires-python chatixia==0.4.3
fi
export CHATIXIA_BIN_DIR="${CHATIXIA_BIN_DIR:-$(swift build --show-bin-path)}"
for binary in chatixia-registry chatixia-sidecar; do
    [ -x "$CHATIXIA_BIN_DIR/$binary" ] || { echo "no $binary in $CHATIXIA_BIN_DIR; run 'swift build' first" >&2; exit 1; }
done
say "running sidecar integration tests in a private network namespace"
exec unshare --net bash -c 'ip link set lo up && cd Tests/sidecar && exec "$0" -m pytest -p no:cacheprovider "$@"' "$VENV/bin/python" "$@"
