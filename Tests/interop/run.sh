#!/usr/bin/env bash
# WebRTC interop: our stack (rtc-interop-peer) against aiortc, against headless Chromium (Debian
# chromium + chromium-driver, driven by selenium) and against pion/webrtc (Go, Debian's package; our
# pion-interop-peer, built offline), both sides offering, and relay-only through a real coturn (Debian)
# that the tests start on 127.0.0.1, all inside a network namespace the script creates (only its
# loopback exists there). Installs what is missing first.
#
#   Tests/interop/run.sh [pytest args...]
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/lib.sh

ensure_apt iproute2 util-linux iptables chromium chromium-driver coturn golang-go golang-github-pion-webrtc.v3-dev
ensure_test_venv
ensure_binaries rtc-interop-peer
ensure_pion_binaries
# Selenium must use the Debian chromedriver, never download one.
export SE_OFFLINE=true
say "running WebRTC interop tests against aiortc, Chromium, pion and coturn in a private network namespace"
exec unshare --net bash -c 'ip link set lo up && cd Tests/interop && exec "$0" -m pytest -p no:cacheprovider "$@"' "$TEST_VENV/bin/python" "$@"
