#!/usr/bin/env bash
# One command to a live local mesh: builds the release binaries, then starts on 127.0.0.1 a registry (with the
# hub dashboard, on an embedded SQLite database) and the three example agents of examples/ (text-agent,
# math-agent, time-agent), whose sidecars form a WebRTC DataChannel full mesh. Once the mesh is up it has the
# agents delegate work to each other and prints the results, the hub URL and an admin key.
# Ctrl-C stops everything cleanly: the agents deregister and stop their sidecars, then the registry exits.
#
#   scripts/run-mesh.sh            PORT=8081 scripts/run-mesh.sh        MESH_DIR=/tmp/mesh scripts/run-mesh.sh
#   BIN_DIR=.build/debug scripts/run-mesh.sh     (no build: use the binaries in that folder)
#
# State (SQLite database, API keys, agent copies and logs) lives in $MESH_DIR (default ./.mesh), so a restart
# keeps tasks, pairings and keys. Nothing here talks to anything but 127.0.0.1: no STUN, host candidates on
# loopback only. The registry runs with --dev (a random signing secret per start; it prints a banner saying
# so): fine for this local demo, never for a deployment (see docs/DEPLOYMENT.md).
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)
source scripts/lib.sh

ensure_swift
ensure_apt curl ca-certificates libssl-dev python3

PORT="${PORT:-8080}"
MESH_DIR="${MESH_DIR:-$REPO/.mesh}"
REGISTRY_URL="http://127.0.0.1:${PORT}"
AGENTS=(text-agent math-agent time-agent)

if curl -s -o /dev/null --max-time 1 "$REGISTRY_URL/"; then
    echo "something already listens on 127.0.0.1:${PORT}; stop it or pick another port: PORT=8081 $0" >&2
    exit 1
fi

# --- build -----------------------------------------------------------------------------------------------
release_binaries

# --- state and keys --------------------------------------------------------------------------------------
LOGS="$MESH_DIR/logs"
mkdir -p "$LOGS" "$MESH_DIR/agents"
chmod 700 "$MESH_DIR"
KEYS="$MESH_DIR/api_keys.json"
ensure_example_keys "$KEYS" "${AGENTS[@]}"
ADMIN_KEY=$(key_for "$KEYS" admin)

api() { # METHOD PATH [JSON]
    curl -s --max-time 10 -X "$1" -H "x-api-key: $ADMIN_KEY" -H 'content-type: application/json' ${3:+--data "$3"} "$REGISTRY_URL$2"
}

# --- processes and clean shutdown ------------------------------------------------------------------------
# Every child runs in its own session, so the terminal's Ctrl-C reaches only this script, which then stops
# the agents first (they deregister while the registry is still up) and the registry last.
REGISTRY_PID=""
declare -A AGENT_PIDS=()
STOPPING=0
stop_all() {
    local code=${1:-0}
    if [ "$STOPPING" = 1 ]; then
        say "second interrupt: killing everything now"
        kill -KILL "${AGENT_PIDS[@]}" $REGISTRY_PID 2>/dev/null || true
        exit 130
    fi
    STOPPING=1
    trap 'stop_all' INT TERM
    echo >&2
    stop_agents
    if [ -n "$REGISTRY_PID" ]; then
        say "stopping the registry"
        kill -TERM "$REGISTRY_PID" 2>/dev/null || true
        wait "$REGISTRY_PID" 2>/dev/null || true
    fi
    say "stopped; state kept in $MESH_DIR"
    exit "$code"
}
trap 'stop_all 0' INT TERM
# Any other way out (an error under set -e, a timeout) stops the children too.
trap 'status=$?; [ "$STOPPING" = 1 ] || stop_all "$status"' EXIT


say "starting chatixia-registry on $REGISTRY_URL (SQLite database $MESH_DIR/registry.db, hub dashboard at /)"
STUN_URLS="" setsid "$BIN/chatixia-registry" --dev --host 127.0.0.1 --port "$PORT" --db "$MESH_DIR/registry.db" \
    --api-keys "$KEYS" >"$MESH_DIR/logs/registry.log" 2>&1 &
REGISTRY_PID=$!
wait_for "the registry" 30 curl -sf --max-time 1 -H "x-api-key: $ADMIN_KEY" "$REGISTRY_URL/api/registry/agents"
grep -E '^\s*\*' "$MESH_DIR/logs/registry.log" >&2 || true  # the registry's --dev banner

for name in "${AGENTS[@]}"; do
    # A fresh copy of the example, pointed at this registry; its data_dir (sidecar log) stays in the copy.
    dir="$MESH_DIR/agents/$name"
    rm -rf "$dir/skills"
    mkdir -p "$dir"
    cp -R "examples/$name/." "$dir/"
    sed -i "s#^registry: .*#registry: \"$REGISTRY_URL\"#" "$dir/agent.yaml"
    say "starting $name (skills: $(ls "$dir/skills" | tr '\n' ' ')) with its sidecar"
    API_KEY=$(key_for "$KEYS" "$name") ICE_HOST_ADDRESSES=127.0.0.1 LOG_LEVEL=info \
        setsid "$BIN/chatixia" run "$dir/agent.yaml" >"$MESH_DIR/logs/$name.log" 2>&1 &
    AGENT_PIDS[$name]=$!
done
for name in "${AGENTS[@]}"; do
    wait_for "$name to be ready" 60 grep -q ' ready ' "$MESH_DIR/logs/$name.log"
done

mesh_complete() {
    api GET /api/hub/network/topology | python3 -c '
import json, sys
edges = {tuple(sorted((e["from_peer"], e["to_peer"]))) for e in json.load(sys.stdin)["mesh_edges"]}
sys.exit(0 if edges >= {("math-agent", "text-agent"), ("text-agent", "time-agent"), ("math-agent", "time-agent")} else 1)'
}
say "waiting for the sidecars to open their DataChannels (a full mesh of three: three observed edges)"
wait_for "the full mesh" 60 mesh_complete

# --- the agents delegate work to each other --------------------------------------------------------------
say "the agents delegate work to each other over their DataChannels:"
run_task text-agent math-agent calculate "2^10 + 24"
run_task math-agent time-agent date_time "days between 2026-01-01 and 2026-12-25"
run_task time-agent text-agent text_tools "upper: hello from the mesh"

cat >&2 <<BANNER

  chatixia-mesh is running: a registry and three agents (text-agent, math-agent, time-agent) in a full mesh.
    Hub dashboard:  $REGISTRY_URL/
    Admin key:      $ADMIN_KEY
    (--dev: a random signing secret for this run; local use only. Keys are in $KEYS.)

  Try:
    curl -s -H 'x-api-key: $ADMIN_KEY' $REGISTRY_URL/api/registry/agents
    curl -s -H 'x-api-key: $ADMIN_KEY' -H 'content-type: application/json' $REGISTRY_URL/api/hub/tasks \\
         -d '{"skill": "calculate", "payload": {"message": "sqrt(2) * 10"}}'
  Your own agent: see "Three steps" in README.md (chatixia init, pair, run; $BIN/chatixia).
  Logs: $MESH_DIR/logs/    Press Ctrl-C to stop everything.

BANNER

# Stay up until Ctrl-C; if the registry or an agent dies on its own, say so and stop the rest.
while true; do
    for name in "${!AGENT_PIDS[@]}"; do
        if ! kill -0 "${AGENT_PIDS[$name]}" 2>/dev/null; then
            echo "$name exited on its own; see $MESH_DIR/logs/$name.log" >&2
            unset "AGENT_PIDS[$name]"
            stop_all 1
        fi
    done
    if ! kill -0 "$REGISTRY_PID" 2>/dev/null; then
        echo "the registry exited on its own; see $MESH_DIR/logs/registry.log" >&2
        REGISTRY_PID=""
        stop_all 1
    fi
    sleep 1 &
    wait $! || true
done
