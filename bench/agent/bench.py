"""Delegation round trip to a `chatixia run` agent for a trivial skill, over the DataChannel (P2P) and through
the registry's task queue, in one run on loopback, plus the agent's memory. Prints a table and writes it to
docs/BENCHMARKS.md between the agent-bench markers.

The requester plays the delegating agent on the wire, exactly as the `delegate` skill does: P2P it sends a
`task_request {message, skill}` through its own sidecar and waits for the `task_response`; through the queue it
submits the task (`POST /api/hub/tasks`), the worker takes it by long-poll claim, runs it and reports it, and the
requester polls `GET /api/hub/tasks/{id}` as `RegistryClient.waitForOutcome` does (2 ms, doubling)."""

from __future__ import annotations

import argparse
import datetime
import http.client
import json
import os
import platform
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from processes import free_port, memory_mb, percentile, stop_all  # noqa: E402
from report import cell, write_section  # noqa: E402

WORKER, REQUESTER = "worker", "requester"
KEYS = {WORKER: "bench-agent-key-worker", REQUESTER: "bench-agent-key-requester"}
TARGETS = {"p2p_p50_ms": 2.0, "queue_p50_ms": 30.0, "rss_mb": 50.0}






def wait_for(condition, what: str, timeout: float = 60):
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        time.sleep(0.02)
    return value




class IPC:
    """The requester's end of its sidecar's IPC socket, read synchronously (one request in flight)."""

    def __init__(self, path: Path):
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.connect(str(path))
        self.sock.settimeout(30)  # a worker that died must end the run, not hang it
        self.file = self.sock.makefile("rb", buffering=1 << 16)

    def next(self, predicate) -> dict:
        for raw in self.file:
            line = json.loads(raw)
            if predicate(line):
                return line
        raise EOFError("the sidecar closed the IPC socket")

    def send(self, peer: str, message: dict) -> None:
        line = {"type": "send", "payload": {"target_peer": peer, "message": message}}
        self.sock.sendall(json.dumps(line, separators=(",", ":")).encode() + b"\n")


class Registry:
    def __init__(self, port: int, key: str):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.headers = {"content-type": "application/json", "x-api-key": key}

    def call(self, method: str, path: str, body=None):
        self.connection.request(method, path, body=None if body is None else json.dumps(body), headers=self.headers)
        response = self.connection.getresponse()
        data = response.read()
        if response.status != 200:
            raise RuntimeError(f"{method} {path}: {response.status} {data[:200]!r}")
        return json.loads(data)


def delegate_p2p(ipc: IPC, peer: str, index: int, skill: str = "noop") -> float:
    """One P2P delegation of `skill`."""
    request_id = f"{index:012x}"
    payload = {"message": "ping", "skill": skill}
    started = time.perf_counter()
    ipc.send(peer, {"type": "task_request", "request_id": request_id, "source_agent": REQUESTER, "target_agent": WORKER, "payload": payload})
    reply = ipc.next(lambda line: line["type"] == "message" and line["payload"]["message"].get("request_id") == request_id)
    elapsed = (time.perf_counter() - started) * 1000
    answer = reply["payload"]["message"]["payload"]
    assert answer.get("error") == "" and answer.get("result"), answer
    return elapsed


def delegate_queued(registry: Registry) -> float:
    started = time.perf_counter()
    task_id = registry.call("POST", "/api/hub/tasks", {"skill": "noop", "target_agent_id": WORKER, "source_agent_id": REQUESTER,
                                                     "payload": {"message": "ping"}, "ttl": 300})["task_id"]
    interval = 0.002
    while True:
        task = registry.call("GET", f"/api/hub/tasks/{task_id}")
        if task["state"] in ("completed", "failed"):
            break
        time.sleep(interval)
        interval = min(interval * 2, 0.5)
    elapsed = (time.perf_counter() - started) * 1000
    assert task["state"] == "completed" and task["result"], task
    return elapsed


def process_start_ms(count: int = 300) -> float:
    """What starting `cat` with piped stdio costs on this machine right now (Python's subprocess), for scale."""
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        subprocess.run(["cat"], input=b'{"message":"ping"}', capture_output=True, check=True)
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def measure(bin_dir: Path, workdir: Path, round_trips: int, warmup: int) -> dict:
    port = free_port()
    keys = {KEYS[name]: {"peer_id": f"{name}-peer", "role": "agent"} for name in KEYS}
    (workdir / "keys.json").write_text(json.dumps({"keys": keys}))
    env = {**os.environ, "SIGNALING_SECRET": secrets.token_hex(32), "STUN_URLS": "", "LOG_LEVEL": "error"}
    processes: list[subprocess.Popen] = []
    try:
        processes.append(subprocess.Popen([bin_dir / "chatixia-registry", "--host", "127.0.0.1", "--port", str(port), "--db", str(workdir / "registry.db"),
                                           "--api-keys", str(workdir / "keys.json")], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        registry = Registry(port, KEYS[REQUESTER])

        def registry_up() -> bool:
            try:
                return bool(registry.call("GET", "/api/registry/agents") is not None)
            except (OSError, http.client.HTTPException):
                registry.connection.close()
                return False
        wait_for(registry_up, "the registry")

        # The worker: a real agent with two trivial skill folders answering with their input: `noop` in
        # handler.py (kept loaded between calls) and `noop_process` as `handler.command: [cat]` (a process per call).
        agent_dir = workdir / WORKER
        for name, handler in (("noop", None), ("noop_process", {"command": ["cat"]})):
            (agent_dir / "skills" / name).mkdir(parents=True)
            (agent_dir / "skills" / name / "skill.json").write_text(json.dumps({
                "name": name, "description": "Answers with its input", "parameters": {"message": {"type": "string", "required": True}},
                **({"handler": handler} if handler else {})}))
        (agent_dir / "skills" / "noop" / "handler.py").write_text("def handle(message):\n    return message\n")
        (agent_dir / "agent.yaml").write_text(f"name: {WORKER}\nregistry: http://127.0.0.1:{port}\nprovider: openai\nsidecar:\n  api_key: {KEYS[WORKER]}\n"
                                             "skills:\n  builtin: [delegate]\n  dirs: [./skills]\n")
        agent_log = workdir / "worker.log"
        agent_env = {**os.environ, "ICE_HOST_ADDRESSES": "127.0.0.1", "XDG_RUNTIME_DIR": str(workdir), "LOG_LEVEL": "notice"}
        with open(agent_log, "ab") as log:
            agent = subprocess.Popen([bin_dir / "chatixia", "run", str(agent_dir / "agent.yaml")], cwd=agent_dir, env=agent_env, stdout=log, stderr=log)
        processes.append(agent)
        wait_for(lambda: " ready " in agent_log.read_text() or agent.poll() is not None, "the worker agent")
        assert agent.poll() is None, agent_log.read_text()

        # The requester's own sidecar, for the P2P path.
        socket_path = workdir / "requester.sock"
        sidecar_env = {**os.environ, "SIGNALING_URL": f"ws://127.0.0.1:{port}/ws", "API_KEY": KEYS[REQUESTER], "IPC_SOCKET": str(socket_path),
                       "ICE_HOST_ADDRESSES": "127.0.0.1", "LOG_LEVEL": "error"}
        processes.append(subprocess.Popen([bin_dir / "chatixia-sidecar"], env=sidecar_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        wait_for(socket_path.exists, "the requester's sidecar")
        ipc = IPC(socket_path)
        worker_peer = f"{WORKER}-peer"
        ipc.next(lambda line: line["type"] == "peer_connected" and line["payload"]["peer_id"] == worker_peer)

        rss_idle, anon_idle = memory_mb(agent.pid, "VmRSS"), memory_mb(agent.pid, "RssAnon")
        for index in range(warmup):
            delegate_p2p(ipc, worker_peer, index)
            delegate_queued(registry)
        p2p = [delegate_p2p(ipc, worker_peer, warmup + index) for index in range(round_trips)]
        per_process = [delegate_p2p(ipc, worker_peer, warmup + round_trips + index, skill="noop_process") for index in range(round_trips)]
        queued = [delegate_queued(registry) for _ in range(round_trips)]
        return {
            "p2p": p2p, "per_process": per_process, "queued": queued, "rss_idle_mb": rss_idle, "rss_mb": memory_mb(agent.pid, "VmRSS"),
            "anon_mb": memory_mb(agent.pid, "RssAnon"), "peak_mb": memory_mb(agent.pid, "VmHWM"),
            "anon_idle_mb": anon_idle, "open_fds": len(os.listdir(f"/proc/{agent.pid}/fd")),
        }
    finally:
        stop_all(list(reversed(processes)), timeout=20)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin-dir", required=True)
    parser.add_argument("--round-trips", type=int, default=1000)
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="agent-bench-") as workdir:
        result = measure(Path(args.bin_dir), Path(workdir), args.round_trips, args.warmup)
    result["process_start_ms"] = process_start_ms()

    def met(ok: bool) -> str:
        return "yes" if ok else "**no**"

    p2p_p50, queue_p50 = statistics.median(result["p2p"]), statistics.median(result["queued"])
    lines = ["| metric | value | target | met |", "|---|---:|---:|---|",
             f"| delegation P2P (DataChannel), p50 (ms) | {cell(p2p_p50, 2)} | ≤ {TARGETS['p2p_p50_ms']:g} | {met(p2p_p50 <= TARGETS['p2p_p50_ms'])} |",
             f"| delegation P2P (DataChannel), p99 (ms) | {cell(percentile(result['p2p'], 0.99), 2)} | – | – |",
             f"| delegation P2P of a process-per-call skill (`handler.command`), p50 / p99 (ms) | {cell(statistics.median(result['per_process']), 2)} / "
             f"{cell(percentile(result['per_process'], 0.99), 2)} | – | – |",
             f"| delegation through the queue, p50 (ms) | {cell(queue_p50, 2)} | ≤ {TARGETS['queue_p50_ms']:g} | {met(queue_p50 <= TARGETS['queue_p50_ms'])} |",
             f"| delegation through the queue, p99 (ms) | {cell(percentile(result['queued'], 0.99), 2)} | – | – |",
             f"| agent RSS after the run (MB) | {cell(result['rss_mb'])} | < {TARGETS['rss_mb']:g} | {met(result['rss_mb'] < TARGETS['rss_mb'])} |",
             f"| agent RSS idle before it / peak / anonymous after (MB) | {cell(result['rss_idle_mb'])} / {cell(result['peak_mb'])} / {cell(result['anon_mb'])} | – | – |",
             f"| agent's open descriptors after {3 * args.round_trips + 2 * args.warmup:,} calls | {result['open_fds']} | – | – |"]
    calls = 3 * args.round_trips + 2 * args.warmup
    growth_kb = (result["anon_mb"] - result["anon_idle_mb"]) * 1024 / calls
    lines.append("")
    lines.append(f"In this run starting `cat` with piped stdio took {cell(result['process_start_ms'], 2)} ms (p50, Python's subprocess), "
                 f"which a process-per-call skill pays on every call. The agent's anonymous memory changed by {cell(growth_kb, 2)} KB per "
                 f"call over the {calls:,} calls.")
    text = "\n".join(lines)
    print(text)
    if args.no_write:
        return
    header = (f"Run {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC on {platform.machine()}, {os.cpu_count()} cores "
              f"(load average {load:.1f} when the run began), loopback in a private network namespace, release builds, the registry on a "
              f"SQLite file. A `chatixia run` worker with two skill folders answering with their input, `noop` (`handler.py`, which the agent "
              f"keeps loaded in a Python process between calls) and `noop_process` (`handler.command: [cat]`, a process per call), answers "
              f"{args.round_trips} delegations of `noop` each way and {args.round_trips} of `noop_process` P2P, after {args.warmup} of `noop` "
              f"each way as warm-up. The requester does on the wire what "
              f"the `delegate` skill does: P2P a `task_request` through its own sidecar to the worker's, answered by a `task_response`; "
              f"through the queue submit, the worker's long-poll claim, run and report, and the requester polling the task as "
              f"`waitForOutcome` does (2 ms, doubling). RSS is the agent process's alone (its sidecar is another process).")
    path = write_section("agent-bench", "Delegation round trip through the agent (bench/agent)", header, text)
    print(f"wrote {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
