# Shared helpers for the project's scripts: progress lines and installing what a fresh machine lacks.
say() { printf '\033[1;36m==>\033[0m %s\n' "$*" >&2; }

# Installs the named Debian packages that are not installed yet (apt-get update once, first).
ensure_apt() {
    local missing=()
    for package in "$@"; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    say "installing Debian packages: ${missing[*]}"
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}

# Checks that the Swift toolchain is on PATH.
ensure_swift() {
    command -v swift >/dev/null || { echo "swift is not on PATH; install the Swift 6 toolchain first" >&2; exit 1; }
}

# Creates the virtual environment DIR if missing and installs REQUIREMENTS into it unless the Python
# modules named in IMPORTS (a comma list) already import.
ensure_venv() {
    local venv="$1" requirements="$2" imports="$3"
    if [ ! -x "$venv/bin/python" ]; then
        say "creating the Python virtual environment $venv"
        python3 -m venv "$venv"
    fi
    if ! "$venv/bin/python" -c "import $imports" 2>/dev/null; then
        say "installing Python packages into $venv: $(grep -v '^ *#' "$requirements" | tr '\n' ' ')"
        "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
    fi
}

# The one virtual environment of the Python test suites and benchmarks, $TEST_VENV (.venv-tests): the packages
# in Tests/requirements.txt and the original Python client, chatixia 0.4.3, unchanged from PyPI. That client
# declares Python >= 3.12; Debian 12 ships 3.11, on which its code runs as is, so the version gate is skipped.
# Its LLM/web dependencies are not needed to drive a sidecar or join a mesh and are left out. Then puts
# Tests/ on PYTHONPATH (use_pysupport).
ensure_test_venv() {
    TEST_VENV="$(pwd)/.venv-tests"
    ensure_apt python3-venv
    ensure_venv "$TEST_VENV" Tests/requirements.txt "pytest, pytest_asyncio, aiortc, selenium, websocket, mcp.server.fastmcp, a2a.client, starlette, sse_starlette, uvicorn, requests, yaml, dotenv"
    if ! "$TEST_VENV/bin/python" -c "import chatixia.core.mesh_client, chatixia.runner" 2>/dev/null; then
        say "installing the original Python client chatixia==0.4.3 into $TEST_VENV"
        "$TEST_VENV/bin/pip" install --quiet --disable-pip-version-check --no-deps --ignore-requires-python chatixia==0.4.3
    fi
    use_pysupport
}

# Makes the shared test support importable as `pysupport` (Tests/pysupport) by putting Tests/ on PYTHONPATH;
# run from the repository's root, as every script here is.
use_pysupport() {
    export PYTHONPATH="$(pwd)/Tests${PYTHONPATH:+:$PYTHONPATH}"
}

# Exports CHATIXIA_BIN_DIR (as given, else `swift build --show-bin-path`, which only prints the debug build's
# folder) and checks that the named binaries are there.
ensure_binaries() {
    export CHATIXIA_BIN_DIR="${CHATIXIA_BIN_DIR:-$(swift build --show-bin-path)}"
    for binary in "$@"; do
        [ -x "$CHATIXIA_BIN_DIR/$binary" ] || { echo "no $binary in $CHATIXIA_BIN_DIR; run 'swift build' first" >&2; exit 1; }
    done
}

# Builds our two pion/webrtc (Go) programs into .build-go/bin and exports PION_BIN_DIR: pion-interop-peer
# (Tests/interop/pion) and pion-bench (bench/rtc/pion). Needs Debian's golang-go and
# golang-github-pion-webrtc.v3-dev. Offline, in GOPATH mode, against the sources Debian installs in
# /usr/share/gocode/src: they keep pion/webrtc v3 at github.com/pion/webrtc, so a private GOPATH in
# .build-go adds the import path github.com/pion/webrtc/v3 as a symlink to it (/usr/share is not touched).
ensure_pion_binaries() {
    local root
    root="$(pwd)/.build-go"
    mkdir -p "$root/gopath/src/github.com/pion/webrtc"
    ln -sfn /usr/share/gocode/src/github.com/pion/webrtc "$root/gopath/src/github.com/pion/webrtc/v3"
    export PION_BIN_DIR="$root/bin"
    say "building pion-interop-peer and pion-bench (Go, pion/webrtc from Debian; the first build takes a minute or two)"
    local program
    for program in pion-interop-peer=Tests/interop/pion pion-bench=bench/rtc/pion; do
        GO111MODULE=off GOPROXY=off GOPATH="$root/gopath:/usr/share/gocode" GOCACHE="$root/cache" \
            go build -o "$PION_BIN_DIR/${program%%=*}" "./${program#*=}"
    done
}

# Starts a throwaway PostgreSQL server from Debian's postgresql package: a new cluster in a temporary folder,
# run as an unprivileged user (postgres when started as root), on 127.0.0.1 only, with a random password.
# Sets PG_DIR, PG_PORT and PG_URL (postgres://chatixia:...@127.0.0.1:PORT/postgres?sslmode=disable);
# stop_postgres stops it and removes the folder.
start_postgres() {
    ensure_apt postgresql
    local bin run=()
    bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
    PG_DIR="$(mktemp -d /tmp/chatixia-pg.XXXXXX)"
    PG_PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    local password
    password="$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
    printf '%s\n' "$password" > "$PG_DIR/password"
    if [ "$(id -u)" -eq 0 ]; then
        chown -R postgres: "$PG_DIR"
        run=(runuser -u postgres --)
    fi
    say "starting a throwaway PostgreSQL server on 127.0.0.1:$PG_PORT (cluster in $PG_DIR)"
    "${run[@]}" "$bin/initdb" -D "$PG_DIR/data" -U chatixia --auth=scram-sha-256 --pwfile="$PG_DIR/password" >"$PG_DIR/initdb.log" 2>&1 \
        || { cat "$PG_DIR/initdb.log" >&2; return 1; }
    "${run[@]}" "$bin/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -o \
        "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PG_DIR -c max_connections=1000" start >/dev/null \
        || { cat "$PG_DIR/server.log" >&2; return 1; }
    PG_BIN="$bin"
    PG_URL="postgres://chatixia:$password@127.0.0.1:$PG_PORT/postgres?sslmode=disable"
}

stop_postgres() {
    [ -n "${PG_DIR:-}" ] || return 0
    local run=()
    [ "$(id -u)" -eq 0 ] && run=(runuser -u postgres --)
    "${run[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$PG_DIR"
    PG_DIR=""
}

# Sets BIN to the folder of the release binaries chatixia-registry, chatixia-sidecar and chatixia, building them
# first (the compiler's "[n/m] Compiling ..." lines are the progress; warnings are left out, errors shown);
# with BIN_DIR set, uses the binaries there without building. Exports SIDECAR_BINARY for `chatixia run`.
release_binaries() {
    local products=(chatixia-registry chatixia-sidecar chatixia) step=0 product status
    if [ -n "${BIN_DIR:-}" ]; then
        BIN="$(cd "$BIN_DIR" && pwd)"
        for product in "${products[@]}"; do
            [ -x "$BIN/$product" ] || { echo "BIN_DIR=$BIN_DIR has no $product" >&2; exit 1; }
        done
        say "using the binaries in $BIN (BIN_DIR: no build)"
    else
        ensure_swift
        for product in "${products[@]}"; do
            step=$((step + 1))
            say "building $product (release, $step/${#products[@]}; the first build takes several minutes)"
            set +e
            swift build -c release --product "$product" 2>&1 | grep --line-buffered -E '^\[[0-9]+/[0-9]+\]|error:|Build .*complete|Compiling|Linking' | grep --line-buffered -v 'warning:'
            status=${PIPESTATUS[0]}
            set -e
            [ "$status" -eq 0 ] || { echo "building $product failed (exit $status); run 'swift build -c release --product $product' to see everything" >&2; exit 1; }
        done
        BIN="$(swift build -c release --show-bin-path)"
    fi
    export SIDECAR_BINARY="$BIN/chatixia-sidecar"
}

# Creates the keys file KEYS unless it exists (so restarts keep it): one admin key and one agent key per named
# agent (peer id = the agent's name), readable by its owner only.
ensure_example_keys() { # KEYS AGENT...
    local keys=$1
    shift
    [ -f "$keys" ] && return 0
    say "creating API keys in $keys (one admin key, one key per example agent; kept across restarts)"
    (umask 077; python3 - "$keys" "$@" <<'PY'
import json, secrets, sys
path, agents = sys.argv[1], sys.argv[2:]
keys = {f"ak_admin_{secrets.token_hex(16)}": {"peer_id": "admin", "role": "admin"}}
keys.update({f"ak_{name.split('-')[0]}_{secrets.token_hex(16)}": {"peer_id": name, "role": "agent"} for name in agents})
json.dump({"keys": keys}, open(path, "w"), indent=2)
PY
    )
}

# Prints the key of PEER_ID in the keys file KEYS.
key_for() { # KEYS PEER_ID
    python3 -c 'import json, sys; print(next(k for k, v in json.load(open(sys.argv[1]))["keys"].items() if v["peer_id"] == sys.argv[2]))' "$1" "$2"
}

# --- for the demo scripts (run-mesh.sh, run-cluster.sh): they set LOGS (their log folder), keep their agents'
# pids in the associative array AGENT_PIDS, and define `api METHOD PATH [JSON]` and `stop_all [STATUS]`.

wait_for() { # DESCRIPTION TIMEOUT_SECONDS COMMAND...
    local what=$1 timeout=$2
    shift 2
    local deadline=$((SECONDS + timeout))
    until "$@" >/dev/null 2>&1; do
        if [ "$SECONDS" -ge "$deadline" ]; then
            echo "timed out after ${timeout}s waiting for $what; logs are in $LOGS/" >&2
            stop_all 1
        fi
        sleep 0.2
    done
}

# Stops the agents (each deregisters and stops its sidecar) and waits for them, reporting a failed exit.
stop_agents() {
    local name status
    for name in "${!AGENT_PIDS[@]}"; do
        say "stopping $name (deregisters, stops its sidecar)"
        kill -TERM "${AGENT_PIDS[$name]}" 2>/dev/null || true
    done
    for name in "${!AGENT_PIDS[@]}"; do
        status=0
        wait "${AGENT_PIDS[$name]}" 2>/dev/null || status=$?
        [ "$status" -eq 0 ] || echo "  $name exited with status $status (see $LOGS/$name.log)" >&2
    done
}

# Each task goes to one agent's `delegate` skill, which sends the work over its DataChannel to the agent
# that has the skill and returns that agent's answer (printed); submitted and followed through `api`. The
# task's source is the calling script's name.
run_task() { # AGENT TARGET SKILL MESSAGE
    local body id="" task
    body=$(python3 -c 'import json, sys; print(json.dumps({"skill": "delegate", "target_agent_id": sys.argv[1], "source_agent_id": sys.argv[5], "payload": {"message": sys.argv[4], "target_agent_id": sys.argv[2], "skill": sys.argv[3]}, "ttl": 60}))' "$@" "$(basename "$0" .sh)")
    id=$(api POST /api/hub/tasks "$body" | python3 -c 'import json, sys; print(json.load(sys.stdin)["task_id"])') || true
    [ -n "$id" ] || { echo "    submitting to $1 failed" >&2; return 0; }
    for _ in $(seq 1 150); do
        task=$(api GET "/api/hub/tasks/$id")
        if python3 -c 'import json, sys; sys.exit(0 if json.loads(sys.argv[1]).get("state") in ("completed", "failed") else 1)' "$task" 2>/dev/null; then
            python3 -c '
import json, sys
task, agent, target, skill, message = json.loads(sys.argv[1]), *sys.argv[2:]
outcome = task["result"] if task["state"] == "completed" else "FAILED: " + task["error"]
print(f"    {agent:>10} -> {target:<10} {skill}({message!r}) = {outcome}")' "$task" "$@" >&2
            return 0
        fi
        sleep 0.2
    done
    echo "    task $id did not finish" >&2
}
