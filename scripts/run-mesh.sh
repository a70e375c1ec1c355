#!/usr/bin/env bash
# Builds the release binaries and starts a local registry with the dashboard on 127.0.0.1.
# Ctrl-C stops everything cleanly. State lives in ./.mesh/ (an SQLite file), so a restart keeps it.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

ensure_swift
ensure_apt curl ca-certificates libssl-dev libusrsctp-dev

PORT="${PORT:-8080}"
say "building release binaries (the first build takes several minutes)"
swift build -c release --product chatixia-registry
BIN="$(swift build -c release --show-bin-path)"
mkdir -p .mesh

say "starting chatixia-registry on http://127.0.0.1:${PORT} (--dev: dev keys, random secret, no STUN)"
"$BIN/chatixia-registry" --dev --host 127.0.0.1 --port "$PORT" --db .mesh/registry.db &
REGISTRY=$!
trap 'say "stopping"; kill -TERM $REGISTRY 2>/dev/null; wait $REGISTRY 2>/dev/null; exit 0' INT TERM

for _ in $(seq 1 100); do
    curl -sf "http://127.0.0.1:${PORT}/metrics" >/dev/null && break
    sleep 0.1
done

cat >&2 <<BANNER

  chatixia-mesh is running.
    Dashboard:   http://127.0.0.1:${PORT}/
    Admin key:   ak_admin_dev      Agent key: ak_dev_001
    Try:         curl -s -H 'x-api-key: ak_admin_dev' http://127.0.0.1:${PORT}/api/registry/agents
  Press Ctrl-C to stop.

BANNER
wait $REGISTRY
