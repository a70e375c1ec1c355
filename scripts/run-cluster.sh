#!/usr/bin/env bash
# One command to a local registry cluster: builds the release binaries, then starts on 127.0.0.1 a throwaway
# PostgreSQL server, three registry replicas on it (one signing secret and one keys file shared by the three),
# HAProxy in front of them (round robin, no stickiness, health-checked on GET /readyz) and the three example
# agents of examples/ (text-agent, math-agent, time-agent). Each agent lists all three replicas, a different
# one first, so their sidecars signal through different replicas and still form a WebRTC DataChannel full
# mesh. Once the agents are up it has them delegate work to each other and prints the results, the hub URL
# (through HAProxy) and an admin key. Ctrl-C stops everything cleanly: the agents deregister and stop their
# sidecars, then HAProxy, the replicas and PostgreSQL stop, and PostgreSQL's folder is removed.
#
#   scripts/run-cluster.sh          PORT=9080 scripts/run-cluster.sh        CLUSTER_DIR=/tmp/cluster scripts/run-cluster.sh
#   BIN_DIR=.build/debug scripts/run-cluster.sh    # no build: use the chatixia, chatixia-registry and
#                                                  # chatixia-sidecar binaries already in that folder
#
# Ports: HAProxy (the hub) on $PORT (default 8080), the replicas on PORT+1, PORT+2 and PORT+3. The database is
# new on every run and removed on stop (tasks and pairings do not survive a restart); API keys, agent copies
# and logs live in $CLUSTER_DIR (default ./.cluster), and the keys are kept across runs. The signing secret
# is random per run, handed to the replicas in their environment. Nothing here talks to anything but
# 127.0.0.1: no STUN, host candidates on loopback only. A local demo, not a deployment: see
# docs/DEPLOYMENT.md ("Several replicas") for one.
#
# Try stopping a replica (kill -9 its pid, printed at the end): HAProxy takes it out of the rotation within
# about two seconds, the agents and sidecars that used it move to the next replica on their lists, and the
# DataChannels stay up.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)
source scripts/lib.sh

ensure_apt curl ca-certificates libssl-dev python3 postgresql haproxy

PORT="${PORT:-8080}"
CLUSTER_DIR="${CLUSTER_DIR:-$REPO/.cluster}"
HUB_URL="http://127.0.0.1:${PORT}"
REPLICAS=(r1 r2 r3)
declare -A REPLICA_PORTS=([r1]=$((PORT + 1)) [r2]=$((PORT + 2)) [r3]=$((PORT + 3)))
replica_url() { echo "http://127.0.0.1:${REPLICA_PORTS[$1]}"; }
AGENTS=(text-agent math-agent time-agent)

for port in "$PORT" "${REPLICA_PORTS[@]}"; do
    if curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$port/"; then
        echo "something already listens on 127.0.0.1:$port (the cluster uses ports $PORT to $((PORT + 3))); stop it or pick other ports: PORT=9080 $0" >&2
        exit 1
    fi
done

# --- build -----------------------------------------------------------------------------------------------
release_binaries

# --- state and keys --------------------------------------------------------------------------------------
LOGS="$CLUSTER_DIR/logs"
mkdir -p "$LOGS" "$CLUSTER_DIR/agents"
chmod 700 "$CLUSTER_DIR"
KEYS="$CLUSTER_DIR/api_keys.json"
ensure_example_keys "$KEYS" "${AGENTS[@]}"
ADMIN_KEY=$(key_for "$KEYS" admin)
# One signing secret for the three replicas (a token one replica signs, another checks), new every run.
SIGNING_SECRET="$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')"

api() { # METHOD PATH [JSON], through HAProxy
    curl -s --max-time 10 -X "$1" -H "x-api-key: $ADMIN_KEY" -H 'content-type: application/json' ${3:+--data "$3"} "$HUB_URL$2"
}

# --- processes and clean shutdown ------------------------------------------------------------------------
# Every child runs in its own session (PostgreSQL too: pg_ctl detaches it), so the terminal's Ctrl-C reaches
# only this script, which then stops the agents first (they deregister while the replicas are up), then
# HAProxy, the replicas, and PostgreSQL last.
declare -A REPLICA_PIDS=()
declare -A AGENT_PIDS=()
HAPROXY_PID=""
STOPPING=0
stop_all() {
    local code=${1:-0}
    if [ "$STOPPING" = 1 ]; then
        say "second interrupt: killing everything now"
        kill -KILL "${AGENT_PIDS[@]}" $HAPROXY_PID "${REPLICA_PIDS[@]}" 2>/dev/null || true
        stop_postgres
        exit 130
    fi
    STOPPING=1
    trap 'stop_all' INT TERM
    echo >&2
    stop_agents
    if [ -n "$HAPROXY_PID" ]; then
        say "stopping HAProxy"
        kill -TERM "$HAPROXY_PID" 2>/dev/null || true
        wait "$HAPROXY_PID" 2>/dev/null || true
    fi
    if [ ${#REPLICA_PIDS[@]} -gt 0 ]; then
        say "stopping the registry replicas"
        kill -TERM "${REPLICA_PIDS[@]}" 2>/dev/null || true
        for name in "${!REPLICA_PIDS[@]}"; do wait "${REPLICA_PIDS[$name]}" 2>/dev/null || true; done
    fi
    if [ -n "${PG_DIR:-}" ]; then
        say "stopping PostgreSQL and removing its folder $PG_DIR"
        stop_postgres
    fi
    say "stopped; keys and logs kept in $CLUSTER_DIR"
    exit "$code"
}
trap 'stop_all 0' INT TERM
# Any other way out (an error under set -e, a timeout) stops the children too.
trap 'status=$?; [ "$STOPPING" = 1 ] || stop_all "$status"' EXIT


# --- PostgreSQL, the replicas, HAProxy ---------------------------------------------------------------------
start_postgres
# All at once: they migrate the new database and store the keys file's keys once between them.
for name in "${REPLICAS[@]}"; do
    say "starting registry replica $name on $(replica_url "$name") (PostgreSQL database, shared secret and keys)"
    # The database URL holds the password: it goes in the environment (CHATIXIA_DB), which ps does not show.
    CHATIXIA_DB="$PG_URL" SIGNALING_SECRET="$SIGNING_SECRET" STUN_URLS="" setsid "$BIN/chatixia-registry" --host 127.0.0.1 \
        --port "${REPLICA_PORTS[$name]}" --api-keys "$KEYS" --trusted-proxy 127.0.0.1 >"$CLUSTER_DIR/logs/registry-$name.log" 2>&1 &
    REPLICA_PIDS[$name]=$!
done
for name in "${REPLICAS[@]}"; do
    wait_for "replica $name to be ready" 30 curl -sf --max-time 1 "$(replica_url "$name")/readyz"
done

HAPROXY_CFG="$CLUSTER_DIR/haproxy.cfg"
{
    cat <<CFG
# Generated by scripts/run-cluster.sh on every start.
global
    log stdout format raw local0 info
    maxconn 2000

defaults
    mode http
    log global
    option httplog
    option forwardfor
    # A replica that refuses the connection (killed, before the checks notice): try another one instead.
    retries 2
    option redispatch 1
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    timeout http-request 10s
    # WebSockets (signaling /ws, the hub's /api/hub/events) stay open for long quiet spells.
    timeout tunnel 1h

frontend hub
    bind 127.0.0.1:$PORT
    default_backend registries

backend registries
    balance roundrobin
    option httpchk GET /readyz
    http-check expect status 200
CFG
    for name in "${REPLICAS[@]}"; do
        echo "    server $name 127.0.0.1:${REPLICA_PORTS[$name]} check inter 1s fall 2 rise 1"
    done
} >"$HAPROXY_CFG"
haproxy -c -q -f "$HAPROXY_CFG" || { echo "HAProxy refused $HAPROXY_CFG" >&2; exit 1; }
say "starting HAProxy on $HUB_URL (round robin over the three replicas, health check GET /readyz)"
setsid haproxy -f "$HAPROXY_CFG" -db >"$CLUSTER_DIR/logs/haproxy.log" 2>&1 &
HAPROXY_PID=$!
wait_for "HAProxy" 15 curl -sf --max-time 1 -H "x-api-key: $ADMIN_KEY" "$HUB_URL/api/registry/agents"

# --- the agents ------------------------------------------------------------------------------------------
# All at once, each on a different replica first: the replicas tell sidecars that register at the same moment
# which of them offers.
i=0
for name in "${AGENTS[@]}"; do
    # A fresh copy of the example, listing the three replicas starting with a different one for each agent.
    dir="$CLUSTER_DIR/agents/$name"
    rm -rf "$dir/skills"
    mkdir -p "$dir"
    cp -R "examples/$name/." "$dir/"
    urls=()
    for j in 0 1 2; do urls+=("$(replica_url "${REPLICAS[$(((i + j) % 3))]}")"); done
    registry_line=$(IFS=,; echo "${urls[*]}")
    sed -i "s#^registry: .*#registry: \"$registry_line\"#" "$dir/agent.yaml"
    say "starting $name (first replica ${REPLICAS[$i]}; skills: $(ls "$dir/skills" | tr '\n' ' ')) with its sidecar"
    API_KEY=$(key_for "$KEYS" "$name") ICE_HOST_ADDRESSES=127.0.0.1 LOG_LEVEL=info \
        setsid "$BIN/chatixia" run "$dir/agent.yaml" >"$CLUSTER_DIR/logs/$name.log" 2>&1 &
    AGENT_PIDS[$name]=$!
    i=$((i + 1))
done
for name in "${AGENTS[@]}"; do
    wait_for "$name to be ready" 60 grep -q ' ready ' "$CLUSTER_DIR/logs/$name.log"
done

all_active() { # every agent listed as active, asked through HAProxy (so of whichever replica answers)
    api GET /api/registry/agents | python3 -c '
import json, sys
health = {a["agent_id"]: a["health"] for a in json.load(sys.stdin)}
sys.exit(0 if all(health.get(name) == "active" for name in sys.argv[1:]) else 1)' "${AGENTS[@]}"
}
say "waiting until the replicas list the three agents as active"
wait_for "the agents to be listed as active" 30 all_active

# The full mesh is read from the agents themselves: each logs "peer connected" for each DataChannel it opens.
sees_the_others() { # AGENT
    local other
    for other in "${AGENTS[@]}"; do
        [ "$other" = "$1" ] || grep -q "peer connected  peer_id=$other" "$CLUSTER_DIR/logs/$1.log" || return 1
    done
}
say "waiting for the sidecars to open their DataChannels (each agent connected to the two others)"
for name in "${AGENTS[@]}"; do
    wait_for "$name's DataChannels" 60 sees_the_others "$name"
done

# --- the agents delegate work to each other --------------------------------------------------------------
say "the agents delegate work to each other over their DataChannels:"
run_task text-agent math-agent calculate "2^10 + 24"
run_task math-agent time-agent date_time "days between 2026-01-01 and 2026-12-25"
run_task time-agent text-agent text_tools "upper: hello from the cluster"

cat >&2 <<BANNER

  chatixia-mesh is running as a cluster: PostgreSQL, three registry replicas behind HAProxy, and three agents
  (text-agent, math-agent, time-agent) in a full mesh, each agent starting from a different replica.
    Hub dashboard:  $HUB_URL/   (HAProxy, round robin)
    Admin key:      $ADMIN_KEY
    Replicas:       r1 $(replica_url r1) (pid ${REPLICA_PIDS[r1]})   r2 $(replica_url r2) (pid ${REPLICA_PIDS[r2]})   r3 $(replica_url r3) (pid ${REPLICA_PIDS[r3]})
    PostgreSQL:     127.0.0.1:$PG_PORT, cluster in $PG_DIR (removed on stop)

  Try:
    curl -s -H 'x-api-key: $ADMIN_KEY' $HUB_URL/api/registry/agents
    curl -s $HUB_URL/readyz
    kill -9 ${REPLICA_PIDS[r1]}    # a replica dies: HAProxy and the agents move to the others
  Logs: $CLUSTER_DIR/logs/ (haproxy.log shows the health checks)    Press Ctrl-C to stop everything.

BANNER

# Stay up until Ctrl-C. A replica that dies is reported and the cluster carries on without it; an agent or
# HAProxy that dies, or the last replica, stops the rest.
while true; do
    for name in "${!AGENT_PIDS[@]}"; do
        if ! kill -0 "${AGENT_PIDS[$name]}" 2>/dev/null; then
            echo "$name exited on its own; see $CLUSTER_DIR/logs/$name.log" >&2
            unset "AGENT_PIDS[$name]"
            stop_all 1
        fi
    done
    for name in "${!REPLICA_PIDS[@]}"; do
        if ! kill -0 "${REPLICA_PIDS[$name]}" 2>/dev/null; then
            wait "${REPLICA_PIDS[$name]}" 2>/dev/null || true
            unset "REPLICA_PIDS[$name]"
            say "replica $name exited; the others carry on (see $CLUSTER_DIR/logs/registry-$name.log)"
        fi
    done
    if [ ${#REPLICA_PIDS[@]} -eq 0 ]; then
        echo "every registry replica has exited" >&2
        stop_all 1
    fi
    if ! kill -0 "$HAPROXY_PID" 2>/dev/null; then
        echo "HAProxy exited on its own; see $CLUSTER_DIR/logs/haproxy.log" >&2
        HAPROXY_PID=""
        stop_all 1
    fi
    sleep 1 &
    wait $! || true
done
