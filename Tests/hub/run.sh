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
REPO=$(pwd)
say() { printf '\033[1;36m==>\033[0m %s\n' "$*" >&2; }

missing=()
for package in chromium chromium-driver python3-venv; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    say "installing Debian packages: ${missing[*]} (apt-get update first)"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
else
    say "Debian packages present: chromium chromium-driver python3-venv"
fi

VENV="$REPO/.venv-hub"
if [ ! -x "$VENV/bin/python" ]; then
    say "creating the Python virtual environment $VENV"
    python3 -m venv "$VENV"
fi
if ! "$VENV/bin/python" -c "import selenium, pytest, websocket" 2>/dev/null; then
    say "installing Python packages into $VENV: $(tr '\n' ' ' < Tests/hub/requirements.txt)"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check -r Tests/hub/requirements.txt
else
    say "Python packages present in $VENV"
fi

if [ -z "${CHATIXIA_BIN_DIR:-}" ]; then
    CHATIXIA_BIN_DIR=$(swift build --show-bin-path)
fi
export CHATIXIA_BIN_DIR
say "registry binary: $CHATIXIA_BIN_DIR/chatixia-registry"
[ -x "$CHATIXIA_BIN_DIR/chatixia-registry" ] || { echo "no registry binary in $CHATIXIA_BIN_DIR; run 'swift build' first" >&2; exit 1; }

# Selenium must use the Debian chromedriver, never download one.
export SE_OFFLINE=true
mkdir -p artifacts/hub
say "running the hub browser tests (screenshots in artifacts/hub/)"
cd Tests/hub
exec "$VENV/bin/python" -m pytest -p no:cacheprovider "$@"
