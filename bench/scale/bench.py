"""Scale benchmark (issue 7): cold-start full meshes of 10, 25 and 50 sidecars, then sustained P2P
delegation to a 10-agent mesh of real `chatixia run` agents. Everything runs on loopback (run.sh puts it
in a private network namespace). Prints a table and writes it to docs/BENCHMARKS.md between the
scale-bench markers (never edited by hand)."""

from __future__ import annotations

import errno
import json
import os
import selectors
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from pysupport.agent import Agent, skill_json
from pysupport.measure import children, cpu_seconds, memory_mb, percentile
from pysupport.processes import stop_all
from pysupport.registry import Keys, Registry
from pysupport.report import arguments, cell, machine, publish
from pysupport.sidecar import Sidecar

HERE = Path(__file__).resolve().parent
KEYS = Keys(admin="scale-bench-admin-key", agent="scale-bench-key-{peer}")
#: Cold-start targets from issue 7 (seconds until every sidecar has N-1 open channels), on 2 cores.
MESH_TARGETS = {10: 2.0, 25: 8.0, 50: 30.0}
#: Seconds the full mesh is left to settle (the last acknowledgements, DTLS's handshake timers, the first status
#: reports) before its idle CPU is measured, and the seconds it is measured over.
IDLE_SETTLE = float(os.environ.get("SCALE_IDLE_SETTLE", "10"))
IDLE_WINDOW = float(os.environ.get("SCALE_IDLE_WINDOW", "10"))
# The cheapest folder skill: an executable handler (no interpreter start-up beyond /bin/sh).
ECHO_SKILL = {"skill.json": skill_json("echo", "Answers ok"), "handler": "#!/bin/sh\necho ok\n"}


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def new_registry(bin_dir: Path, workdir: Path, peers: list[str]) -> Registry:
    """A started registry on 127.0.0.1 with its SQLite file in `workdir`, an admin key and one agent key per peer."""
    return Registry(workdir, KEYS, peers, log_level="error", binaries=bin_dir).start()


def relayed(registry: Registry) -> int:
    """Signaling messages the registry has relayed so far."""
    return int(registry.metrics().get("chatixia_signaling_relayed_total", 0))


def new_sidecar(bin_dir: Path, registry: Registry, workdir: Path, peer: str, socket_path: Path | None = None) -> Sidecar:
    return Sidecar(registry, workdir, peer, socket_path=socket_path, log_level=os.environ.get("SCALE_SIDECAR_LOG_LEVEL", "warning"),
                   extra_env={"TOKEN_URL": f"{registry.url}/api/token"}, binaries=bin_dir)


# ---------------------------------------------------------------------------------------------------
# Cold start


class MeshWatcher:
    """One thread, one selector: connects a minimal IPC client to every sidecar as soon as its socket takes
    connections and follows `peer_connected`/`peer_disconnected` (sent when a DataChannel opens or closes;
    a newly attached client first hears of every channel already open). Records when every sidecar first
    had all N-1 channels open at once."""

    def __init__(self, sockets: dict[str, Path], started: float):
        self.sockets = sockets
        self.started = started
        self.open: dict[str, set[str]] = {peer: set() for peer in sockets}
        self.full_at: float | None = None
        self.first_full: dict[str, float] = {}
        self.attached: dict[str, float] = {}
        self.first_channel: dict[str, float] = {}
        self.errors: list[str] = []
        self.lock = threading.Lock()
        self.stopping = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        selector = selectors.DefaultSelector()
        waiting = dict(self.sockets)
        buffers: dict[str, bytes] = {}
        wanted = len(self.sockets) - 1
        while not self.stopping:
            for peer, path in list(waiting.items()):
                sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                try:
                    sock.connect(str(path))
                except OSError as error:
                    sock.close()
                    if error.errno not in (errno.ENOENT, errno.ECONNREFUSED):
                        self.errors.append(f"{peer}: {error}")
                    continue
                sock.setblocking(False)
                selector.register(sock, selectors.EVENT_READ, peer)
                self.attached[peer] = time.perf_counter() - self.started
                buffers[peer] = b""
                del waiting[peer]
            for key, _ in selector.select(timeout=0.005 if waiting else 0.1):
                peer = key.data
                try:
                    chunk = key.fileobj.recv(1 << 16)
                except BlockingIOError:
                    continue
                if not chunk:
                    selector.unregister(key.fileobj)
                    self.errors.append(f"{peer}: the sidecar closed the IPC connection")
                    continue
                buffers[peer] += chunk
                *lines, buffers[peer] = buffers[peer].split(b"\n")
                now = time.perf_counter()
                with self.lock:
                    for raw in lines:
                        line = json.loads(raw)
                        if line.get("type") == "peer_connected":
                            self.open[peer].add(line["payload"]["peer_id"])
                            self.first_channel.setdefault(peer, now - self.started)
                        elif line.get("type") == "peer_disconnected":
                            self.open[peer].discard(line["payload"]["peer_id"])
                    if len(self.open[peer]) == wanted:
                        self.first_full.setdefault(peer, now - self.started)
                    if self.full_at is None and all(len(s) == wanted for s in self.open.values()):
                        self.full_at = now
        for key in list(selector.get_map().values()):
            key.fileobj.close()

    def channels(self) -> int:
        with self.lock:
            return sum(len(s) for s in self.open.values())

    def stop(self) -> None:
        self.stopping = True
        self.thread.join(5)


def cold_start(bin_dir: Path, root: Path, n: int, timeout: float) -> dict:
    workdir = root / f"mesh-{n}"
    workdir.mkdir()
    peers = [f"sc-{i:03d}" for i in range(n)]
    registry = new_registry(bin_dir, workdir, peers)
    sidecars = [new_sidecar(bin_dir, registry, workdir, peer) for peer in peers]
    try:
        relayed_before = relayed(registry)
        cpu_before = cpu_seconds(registry.process.pid)
        sockets = {sidecar.peer_id: sidecar.socket_path for sidecar in sidecars}
        started = time.perf_counter()
        for sidecar in sidecars:
            sidecar.start(wait=False)
        processes = [sidecar.process for sidecar in sidecars]
        watcher = MeshWatcher(sockets, started)
        deadline = started + timeout
        while watcher.full_at is None and time.perf_counter() < deadline:
            if any(p.poll() is not None for p in processes):
                break
            time.sleep(0.01)
        full_at = watcher.full_at
        registry_cpu = cpu_seconds(registry.process.pid) - cpu_before
        relayed_then = relayed(registry) - relayed_before
        rss = sorted(memory_mb(p.pid) for p in processes)
        sidecar_cpu = sum(cpu_seconds(p.pid) for p in processes)
        channels = watcher.channels()
        # What the registry's observed topology shows (from the sidecars' mesh_status reports).
        time.sleep(1)
        edges = len(registry.get("/api/hub/network/topology").get("mesh_edges", []))
        relayed_settled = relayed(registry) - relayed_before
        # The full mesh at rest: every sidecar's CPU over a few seconds with nothing to do but keep its channels.
        time.sleep(IDLE_SETTLE)
        idle_before = sum(cpu_seconds(p.pid) for p in processes)
        time.sleep(IDLE_WINDOW)
        idle_cpu = (sum(cpu_seconds(p.pid) for p in processes) - idle_before) / IDLE_WINDOW
        watcher.stop()
        exited = [peers[i] for i, p in enumerate(processes) if p.poll() is not None]
        if watcher.errors or exited:
            log(f"  N={n}: IPC errors {watcher.errors[:5]}, exited sidecars {exited[:5]}")
        first_full = sorted(watcher.first_full.values())
        if os.environ.get("SCALE_TIMELINE"):
            for peer in peers:
                log(f"  {peer}: IPC attached {watcher.attached.get(peer, -1):.3f} s, first channel {watcher.first_channel.get(peer, -1):.3f} s, "
                    f"all channels {watcher.first_full.get(peer, -1):.3f} s")
        return {
            "n": n,
            "full_s": None if full_at is None else full_at - started,
            "first_sidecar_full_s": first_full[0] if first_full else None,
            "channels": channels,
            "channels_wanted": n * (n - 1),
            "relayed": relayed_then,
            "relayed_settled": relayed_settled,
            "registry_cpu_s": registry_cpu,
            "sidecar_cpu_s": sidecar_cpu,
            "rss_median_mb": statistics.median(rss),
            "rss_max_mb": rss[-1],
            "topology_edges": edges,
            "idle_cpu": idle_cpu,
            "timeout_s": timeout,
        }
    finally:
        stop_all(sidecars)
        registry.stop()


# ---------------------------------------------------------------------------------------------------
# Sustained P2P delegation


class LoadGenerator:
    """An extra mesh node: a Python client on its own sidecar's IPC socket that sends `task_request`s
    round-robin and matches `task_response`s by request id."""

    def __init__(self, socket_path: Path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        deadline = time.monotonic() + 30
        while True:
            try:
                self.sock.connect(str(socket_path))
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.02)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
        self.peers: set[str] = set()
        self.sent_at: dict[str, float] = {}
        self.latencies: list[float] = []
        self.samples: list[tuple[float, float]] = []
        self.failed: list[str] = []
        self.errors: list[str] = []
        self.unexpected = 0
        self.lock = threading.Lock()
        self.changed = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        buffer = b""
        while chunk := self.sock.recv(1 << 20):
            now = time.perf_counter()
            *lines, buffer = (buffer + chunk).split(b"\n")
            for raw in lines:
                line = json.loads(raw)
                kind = line.get("type")
                payload = line.get("payload") or {}
                if kind == "message":
                    message = payload.get("message") or {}
                    if message.get("type") != "task_response":
                        continue
                    with self.lock:
                        sent = self.sent_at.pop(message.get("request_id"), None)
                        if sent is None:
                            self.unexpected += 1
                            continue
                        reply = message.get("payload") or {}
                        if reply.get("error"):
                            self.failed.append(reply["error"])
                        else:
                            self.latencies.append(now - sent)
                            self.samples.append((sent, now - sent))
                elif kind == "peer_connected":
                    self.peers.add(payload["peer_id"])
                elif kind == "peer_disconnected":
                    self.peers.discard(payload["peer_id"])
                elif kind == "error":
                    self.errors.append(payload.get("error", ""))
            self.changed.set()

    def outstanding(self) -> int:
        with self.lock:
            return len(self.sent_at)

    def run(self, targets: list[tuple[str, str]], rate: float, duration: float, payload: dict) -> tuple[int, float]:
        """Sends at `rate` per second for `duration` seconds, paced in ~1 ms steps; returns (sent, seconds)."""
        lines = []
        total = int(rate * duration)
        for index in range(total):
            peer, agent = targets[index % len(targets)]
            message = {"type": "task_request", "request_id": f"{index:012x}", "source_agent": "scale-loadgen", "target_agent": agent,
                       "payload": payload}
            lines.append((f"{index:012x}", (json.dumps({"type": "send", "payload": {"target_peer": peer, "message": message}},
                                                         separators=(",", ":")) + "\n").encode()))
        started = time.perf_counter()
        sent = 0
        while sent < total:
            due = min(total, int((time.perf_counter() - started) * rate) + 1)
            if due > sent:
                batch = lines[sent:due]
                now = time.perf_counter()
                with self.lock:
                    for request_id, _ in batch:
                        self.sent_at[request_id] = now
                self.sock.sendall(b"".join(data for _, data in batch))
                sent = due
            time.sleep(0.001)
        return sent, time.perf_counter() - started


def sustained(bin_dir: Path, root: Path, agents: int, rate: float, duration: float, grace: float, skill: str, agent_log_level: str) -> dict:
    workdir = root / f"load-{skill}"
    workdir.mkdir()
    names = [f"scale-agent-{i:02d}" for i in range(agents)]
    peers = [f"scale-peer-{i:02d}" for i in range(agents)]
    registry = new_registry(bin_dir, workdir, peers + ["scale-loadgen"])
    managed = [Agent.create(registry, workdir, name, peer=peer, builtin=[], manifest_extra="data_dir: .chatixia\n",
                            skills={"echo": ECHO_SKILL} if skill == "echo" else {}, log_level=agent_log_level, binaries=bin_dir)
               for name, peer in zip(names, peers)]
    generator_socket = workdir / "loadgen.sock"
    managed.append(new_sidecar(bin_dir, registry, workdir, "scale-loadgen", socket_path=generator_socket))
    try:
        processes = [process.start(wait=False).process for process in managed]
        generator_sidecar = processes[-1]
        generator = LoadGenerator(generator_socket)
        deadline = time.monotonic() + 60
        while set(peers) - generator.peers:
            if time.monotonic() > deadline or any(p.poll() is not None for p in processes):
                raise RuntimeError(f"the load generator reached only {sorted(generator.peers)}")
            time.sleep(0.05)
        time.sleep(1)  # let the agents' announcements (agent_status) and registrations settle
        agent_pids = [p.pid for p in processes[:agents]]
        agent_sidecar_pids = [c for pid in agent_pids for c in children(pid)]
        watched = {"agents": agent_pids, "agent sidecars": agent_sidecar_pids, "load generator's sidecar": [generator_sidecar.pid],
                   "registry": [registry.process.pid]}
        cpu_before = {k: sum(cpu_seconds(p) for p in pids) for k, pids in watched.items()}
        own_before = time.process_time()
        payload = {"message": "ping", "direct": True} if skill == "direct" else {"message": "ping", "skill": "echo"}
        log(f"  sending {int(rate * duration):,} task_requests at {rate:,.0f}/s to {agents} agents (skill: {skill})")
        load_started = time.perf_counter()
        sent, seconds = generator.run(list(zip(peers, names)), rate, duration, payload)
        send_done = time.perf_counter()
        cpu_load = {k: sum(cpu_seconds(p) for p in pids) - cpu_before[k] for k, pids in watched.items()}
        cpu_load["load generator (Python)"] = time.process_time() - own_before
        while generator.outstanding() and time.perf_counter() < send_done + grace:
            generator.changed.wait(0.1)
            generator.changed.clear()
        drained_s = time.perf_counter() - send_done
        with generator.lock:
            latencies = sorted(generator.latencies)
            failed = list(generator.failed)
            lost = len(generator.sent_at)
        alive = sum(p.poll() is None for p in processes)
        if os.environ.get("SCALE_TIMELINE"):
            by_second: dict[int, list[float]] = {}
            for sent_time, latency in generator.samples:
                by_second.setdefault(int(sent_time - load_started), []).append(latency)
            for second, values in sorted(by_second.items()):
                values.sort()
                log(f"  second {second}: {len(values)} responses, p50 {percentile(values, 0.5) * 1000:.1f} ms, "
                    f"p99 {percentile(values, 0.99) * 1000:.1f} ms, max {values[-1] * 1000:.0f} ms")
        if generator.errors:
            log(f"  sidecar errors on the load generator's IPC: {len(generator.errors)}, first: {generator.errors[0]}")
        if failed:
            log(f"  failed responses: {len(failed)}, first: {failed[0]}")
        return {
            "skill": skill,
            "agents": agents,
            "rate": rate,
            "duration": duration,
            "sent": sent,
            "send_seconds": seconds,
            "offered_rate": sent / seconds,
            "completed": len(latencies),
            "failed": len(failed),
            "lost": lost,
            "completed_rate": len(latencies) / (seconds + drained_s),
            "drained_s": drained_s,
            "p50_ms": None if not latencies else percentile(latencies, 0.5) * 1000,
            "p99_ms": None if not latencies else percentile(latencies, 0.99) * 1000,
            "max_ms": None if not latencies else latencies[-1] * 1000,
            "ipc_errors": len(generator.errors),
            "cpu": {k: v / seconds for k, v in cpu_load.items()},
            "processes_alive": alive,
            "processes": len(processes),
            "grace": grace,
        }
    finally:
        stop_all(managed, timeout=20)
        registry.stop()


# ---------------------------------------------------------------------------------------------------


def revision() -> str:
    """The commit measured, marked when the working tree had uncommitted changes."""
    try:
        described = subprocess.run(["git", "-C", str(HERE), "describe", "--always", "--dirty=+uncommitted changes"],
                                   capture_output=True, text=True, timeout=10).stdout.strip()
    except OSError:
        described = ""
    if not described:
        return "an unknown revision"
    commit, _, dirty = described.partition("+")
    return f"`{commit}`" + (f" with {dirty}" if dirty else "")


def met(ok: bool | None) -> str:
    return "–" if ok is None else ("yes" if ok else "**no**")


WORK = {"direct": "direct message, no skill (answered in-process)", "echo": "folder skill `echo` (a subprocess per task)"}


def mesh_table(meshes: list[dict]) -> list[str]:
    lines = ["| sidecars | launch → full mesh (s) | target | met | channel ends open | signaling relayed | registry CPU (s) | "
             "sidecars' CPU (s) | full mesh at rest (CPU, % of a core) | sidecar RSS median / max (MB) |",
             "|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|"]
    for m in meshes:
        target = MESH_TARGETS.get(m["n"])
        full = m["full_s"]
        shown = cell(full, 2) if full is not None else f"not full after {m['timeout_s']:.0f}"
        lines.append(f"| {m['n']} | {shown} | {'< ' + cell(target, 0) if target else '–'} | "
                     f"{met(None if target is None else full is not None and full < target)} | {m['channels']:,} of {m['channels_wanted']:,} "
                     f"({m['topology_edges']:,} edges in the registry's topology) | "
                     f"{m['relayed']:,} | {cell(m['registry_cpu_s'], 2)} | {cell(m['sidecar_cpu_s'], 1)} | {cell(m['idle_cpu'] * 100, 0)} | "
                     f"{cell(m['rss_median_mb'])} / {cell(m['rss_max_mb'])} |")
    return lines


def load_table(loads: list[dict]) -> list[str]:
    lines = ["| agents | work per task | offered | sent | completed | failed | lost | latency p50 / p99 / max (ms) | target | met |",
             "|---:|---|---:|---:|---:|---:|---:|---:|---|---|"]
    for r in loads:
        if r["target"]:
            # Met: the full rate was offered and every request was answered (completed, not failed).
            ok = r["lost"] == 0 and r["failed"] == 0 and r["offered_rate"] >= 0.99 * r["rate"]
            target = f"{r['rate']:,.0f}/s for {r['duration']:,.0f} s, none lost"
        else:
            ok, target = None, "– (capacity probe)"
        lines.append(f"| {r['agents']} | {WORK[r['skill']]} | {r['rate']:,.0f}/s for {r['duration']:,.0f} s | {r['sent']:,} "
                     f"({cell(r['offered_rate'], 0)}/s) | {r['completed']:,} ({cell(r['completed_rate'], 0)}/s) | {r['failed']:,} | {r['lost']:,} | "
                     f"{cell(r['p50_ms'], 1)} / {cell(r['p99_ms'], 1)} / {cell(r['max_ms'], 0)} | {target} | {met(ok)} |")
    lines.append("")
    for r in loads:
        cpu = ", ".join(f"{k} {v * 100:.0f} %" for k, v in r["cpu"].items())
        lines.append(f"CPU during the {WORK[r['skill']]} run (% of one core, all processes of each kind together): {cpu}.")
        lines.append("")
    return lines[:-1]


def main() -> None:
    parser = arguments(__doc__, agents=10)
    parser.add_argument("--sizes", default="10,25,50", help="cold-start mesh sizes (comma list)")
    parser.add_argument("--rate", type=float, default=1000, help="task_requests per second")
    parser.add_argument("--duration", type=float, default=60, help="seconds of sustained load")
    parser.add_argument("--grace", type=float, default=10, help="seconds after the last request before a missing response counts as lost")
    parser.add_argument("--skill", choices=["direct", "echo"], default="direct",
                        help="direct: a task_request without a skill carrying a direct message, answered in-process (the default); "
                             "echo: a folder skill with an executable handler (a subprocess per task)")
    parser.add_argument("--probe-seconds", type=float, default=10,
                        help="then offer the same rate to the folder skill `echo` for this long, to show what subprocess skills "
                             "sustain (0 skips it)")
    parser.add_argument("--agent-log-level", default="warning", help="LOG_LEVEL for the agents (notice logs two lines per task)")
    parser.add_argument("--no-mesh", action="store_true", help="skip the cold-start meshes")
    parser.add_argument("--no-load", action="store_true", help="skip the sustained load")
    parser.add_argument("--keep", action="store_true", help="keep the working directory (logs, databases)")
    args = parser.parse_args()
    bin_dir = Path(args.bin_dir).resolve()
    load_average = os.getloadavg()[0]
    root = Path(tempfile.mkdtemp(prefix="scale-bench-"))
    meshes: list[dict] = []
    loads: list[dict] = []
    try:
        # Private copies: others rebuilding in the same tree must not swap a binary in the middle of the run.
        (root / "bin").mkdir()
        for product in ("chatixia-registry", "chatixia-sidecar", "chatixia"):
            shutil.copy2(bin_dir / product, root / "bin" / product)
        bin_dir = root / "bin"
        if not args.no_mesh:
            for n in (int(s) for s in args.sizes.split(",")):
                log(f"cold start: {n} sidecars")
                result = cold_start(bin_dir, root, n, timeout=max(60.0, 4 * MESH_TARGETS.get(n, 30.0)))
                log(f"  {json.dumps(result)}")
                meshes.append(result)
                time.sleep(1)
        if not args.no_load:
            runs = [(args.skill, args.duration, True)]
            if args.probe_seconds > 0 and args.skill != "echo":
                runs.append(("echo", args.probe_seconds, False))
            for skill, duration, targeted in runs:
                log(f"sustained load: {args.agents} agents, {args.rate:,.0f}/s for {duration:,.0f} s ({skill})")
                result = sustained(bin_dir, root, args.agents, args.rate, duration, args.grace, skill, args.agent_log_level)
                result["target"] = targeted
                log(f"  {json.dumps(result)}")
                loads.append(result)
    finally:
        if args.keep:
            log(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)

    lines = []
    if meshes:
        lines += ["Cold start (issue 7 targets: 10 sidecars < 2 s, 25 < 8 s, 50 < 30 s):", ""] + mesh_table(meshes)
    if loads:
        lines += ([""] if lines else []) + ["Sustained P2P delegation (issue 7 target: 1,000 task_requests/s for 60 s to 10 agents, none lost):", ""]
        lines += load_table(loads)
    header = (f"{machine(load_average)}, loopback in a private network namespace, release builds of "
              f"{revision()}. "
              f"Cold start: a fresh registry (SQLite file) per size and all sidecars launched at once, each with a minimal IPC client; "
              f"the mesh is full when every sidecar has reported `peer_connected` (its DataChannel open) for every other one. "
              f"Signaling relayed is the registry's `chatixia_signaling_relayed_total` (offers, answers, candidates); CPU is utime+stime "
              f"from /proc; registry CPU, sidecars' CPU and RSS (VmRSS) are read the moment the mesh is full, the at-rest CPU over "
              f"{IDLE_WINDOW:.0f} s from {IDLE_SETTLE + 1:.0f} s after. Sustained load: real `chatixia run` agents (agents log at {args.agent_log_level}); the load "
              f"generator is an extra mesh node (Python on its own sidecar's IPC) sending upstream `task_request`s round-robin, paced "
              f"every millisecond, matched to `task_response`s by request id; latency is from the IPC write to the response's arrival; "
              f"completed per second counts from the first request to the last response; lost = no response {args.grace:.0f} s after "
              f"the last request. The direct message (`payload: {{message, direct: true}}`, "
              f"no skill) is the runtime's cheapest task; folder skills start a process per task.")
    publish("\n".join(lines), "scale-bench", "Scale: cold-start meshes and sustained P2P delegation (bench/scale)", header,
            write=not args.no_write)


if __name__ == "__main__":
    main()
