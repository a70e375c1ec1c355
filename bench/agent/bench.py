"""Delegation round trip to a `chatixia run` agent for a trivial skill, over the DataChannel (P2P) and through
the registry's task queue, in one run on loopback, plus the agent's memory. Prints a table and writes it to
docs/BENCHMARKS.md between the agent-bench markers.

The requester plays the delegating agent on the wire, exactly as the `delegate` skill does: P2P it sends a
`task_request {message, skill}` through its own sidecar and waits for the `task_response`; through the queue it
submits the task (`POST /api/hub/tasks`), the worker takes it by long-poll claim, runs it and reports it, and the
requester polls `GET /api/hub/tasks/{id}` as `RegistryClient.waitForOutcome` does (2 ms, doubling)."""

from __future__ import annotations

import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from pysupport.agent import Agent, skill_json
from pysupport.http import KeepAliveClient
from pysupport.ipc import IPCClient
from pysupport.measure import memory_mb, percentile
from pysupport.processes import stop_all
from pysupport.registry import Keys, Registry
from pysupport.report import arguments, cell, machine, publish
from pysupport.sidecar import Sidecar

WORKER, REQUESTER = "worker", "requester"
KEYS = Keys(admin="bench-agent-admin-key", agent="bench-agent-key-{peer}")
TARGETS = {"p2p_p50_ms": 2.0, "queue_p50_ms": 30.0, "rss_mb": 50.0}
# The worker's two skill folders, both answering with their input: `noop` in handler.py (kept loaded between
# calls) and `noop_process` as `handler.command: [cat]` (a process per call).
SKILLS = {
    "noop": {"skill.json": skill_json("noop", "Answers with its input"), "handler.py": "def handle(message):\n    return message\n"},
    "noop_process": {"skill.json": skill_json("noop_process", "Answers with its input", handler={"command": ["cat"]})},
}


def peer(name: str) -> str:
    return f"{name}-peer"


def delegate_p2p(ipc: IPCClient, target: str, index: int, skill: str = "noop") -> float:
    """One P2P delegation of `skill`."""
    request_id = f"{index:012x}"
    payload = {"message": "ping", "skill": skill}
    started = time.perf_counter()
    ipc.send("send", {"target_peer": target, "message": {"type": "task_request", "request_id": request_id, "source_agent": REQUESTER,
                                                         "target_agent": WORKER, "payload": payload}})
    reply = ipc.next("message", timeout=30, where=lambda line: line["payload"]["message"].get("request_id") == request_id)
    elapsed = (time.perf_counter() - started) * 1000
    answer = reply["payload"]["message"]["payload"]
    assert answer.get("error") == "" and answer.get("result"), answer
    return elapsed


def delegate_queued(queue: KeepAliveClient) -> float:
    started = time.perf_counter()
    task_id = queue.call("POST", "/api/hub/tasks", {"skill": "noop", "target_agent_id": WORKER, "source_agent_id": REQUESTER,
                                                  "payload": {"message": "ping"}, "ttl": 300})["task_id"]
    task = queue.outcome(task_id)
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
    registry = Registry(workdir, KEYS, [peer(WORKER), peer(REQUESTER)], log_level="error", binaries=bin_dir)
    processes = [registry]
    try:
        registry.start(timeout=60)
        queue = KeepAliveClient(registry.port, KEYS.for_peer(peer(REQUESTER)))
        # The worker: a real agent with two trivial skill folders.
        agent = Agent.create(registry, workdir, WORKER, peer=peer(WORKER), builtin=["delegate"], skills=SKILLS, log_level="notice", binaries=bin_dir)
        processes.append(agent)
        agent.start(timeout=60)
        # The requester's own sidecar, for the P2P path.
        sidecar = Sidecar(registry, workdir, peer(REQUESTER), log_level="error", binaries=bin_dir)
        processes.append(sidecar)
        ipc = sidecar.start(interval=0.02).connect()
        worker_peer = peer(WORKER)
        ipc.next("peer_connected", timeout=30, where=lambda line: line["payload"]["peer_id"] == worker_peer)
        worker = agent.process

        rss_idle, anon_idle = memory_mb(worker.pid, "VmRSS"), memory_mb(worker.pid, "RssAnon")
        for index in range(warmup):
            delegate_p2p(ipc, worker_peer, index)
            delegate_queued(queue)
        p2p = [delegate_p2p(ipc, worker_peer, warmup + index) for index in range(round_trips)]
        per_process = [delegate_p2p(ipc, worker_peer, warmup + round_trips + index, skill="noop_process") for index in range(round_trips)]
        queued = [delegate_queued(queue) for _ in range(round_trips)]
        return {
            "p2p": p2p, "per_process": per_process, "queued": queued, "rss_idle_mb": rss_idle, "rss_mb": memory_mb(worker.pid, "VmRSS"),
            "anon_mb": memory_mb(worker.pid, "RssAnon"), "peak_mb": memory_mb(worker.pid, "VmHWM"),
            "anon_idle_mb": anon_idle, "open_fds": len(os.listdir(f"/proc/{worker.pid}/fd")),
        }
    finally:
        stop_all(list(reversed(processes)), timeout=20)


def main() -> None:
    args = arguments(round_trips=1000, warmup=50).parse_args()
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
    header = (f"{machine(load)}, loopback in a private network namespace, release builds, the registry on a "
              f"SQLite file. A `chatixia run` worker with two skill folders answering with their input, `noop` (`handler.py`, which the agent "
              f"keeps loaded in a Python process between calls) and `noop_process` (`handler.command: [cat]`, a process per call), answers "
              f"{args.round_trips} delegations of `noop` each way and {args.round_trips} of `noop_process` P2P, after {args.warmup} of `noop` "
              f"each way as warm-up. The requester does on the wire what "
              f"the `delegate` skill does: P2P a `task_request` through its own sidecar to the worker's, answered by a `task_response`; "
              f"through the queue submit, the worker's long-poll claim, run and report, and the requester polling the task as "
              f"`waitForOutcome` does (2 ms, doubling). RSS is the agent process's alone (its sidecar is another process).")
    publish("\n".join(lines), "agent-bench", "Delegation round trip through the agent (bench/agent)", header, write=not args.no_write)


if __name__ == "__main__":
    main()
