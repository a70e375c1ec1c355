#!/usr/bin/env bash
# Browser tests of the hub dashboard: headless Chromium (Debian chromium + chromium-driver) driven by
# selenium against real registries started on free 127.0.0.1 ports. Installs what is missing first.
#
#   Tests/hub/run.sh [pytest args...]
#
# The registry binary comes from $CHATIXIA_BIN_DIR, else `swift build --show-bin-path` (which only
# prints the path; build the registry first). Screenshots go to artifacts/hub/.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/lib.sh

ensure_apt chromium chromium-driver
ensure_test_venv
ensure_binaries chatixia-registry
say "registry binary: $CHATIXIA_BIN_DIR/chatixia-registry"

# Selenium must use the Debian chromedriver, never download one.
export SE_OFFLINE=true
mkdir -p artifacts/hub
say "running the hub browser tests (screenshots in artifacts/hub/)"
cd Tests/hub
exec "$TEST_VENV/bin/python" -m pytest -p no:cacheprovider "$@"
