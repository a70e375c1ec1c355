#!/usr/bin/env bash
# WebRTC interop: our stack (rtc-interop-peer) against aiortc and against headless Chromium (Debian
# chromium + chromium-driver, driven by selenium), both sides offering, and relay-only through a real
# coturn (Debian) that the tests start on 127.0.0.1, all inside a network namespace the script creates
# (only its loopback exists there). Installs what is missing first.
#
#   Tests/interop/run.sh [pytest args...]
set -euo pipefail
cd "$(dirname "$0")/../.."
REPO=$(pwd)
source scripts/lib.sh

ensure_apt python3-venv iproute2 util-linux chromium chromium-driver coturn
VENV="$REPO/.venv-interop"
ensure_venv "$VENV" Tests/interop/requirements.txt "aiortc, pytest, selenium"
export CHATIXIA_BIN_DIR="${CHATIXIA_BIN_DIR:-$(swift build --show-bin-path)}"
[ -x "$CHATIXIA_BIN_DIR/rtc-interop-peer" ] || { echo "no rtc-interop-peer in $CHATIXIA_BIN_DIR; run 'swift build' first" >&2; exit 1; }
# Selenium must use the Debian chromedriver, never download one.
export SE_OFFLINE=true
say "running WebRTC interop tests against aiortc, Chromium and coturn in a private network namespace"
exec unshare --net bash -c 'ip link set lo up && cd Tests/interop && exec "$0" -m pytest -p no:cacheprovider "$@"' "$VENV/bin/python" "$@"
