"""End-to-end harness: a real chatixia-registry, `chatixia run` agents (from examples/ or scaffolded by
`chatixia init`), bare sidecars, the original Python client, coturn, and network namespaces with veth links
and iptables rules, all created by the tests inside the private namespace that run.sh starts."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(HERE.parent / "sidecar"))
sys.path.insert(0, str(HERE.parent / "pysupport"))
from managed_process import ManagedProcess  # noqa: E402
from registry_api import call_json  # noqa: E402
from processes import IPCClient, free_port, wait_until  # noqa: E402

BIN_DIR = Path(os.environ["CHATIXIA_BIN_DIR"])
EXAMPLES = REPO / "examples"
ADMIN_KEY = "e2e-admin-key-0001"

__all__ = ["ADMIN_KEY", "Agent", "BIN_DIR", "EXAMPLES", "IPCClient", "Netns", "Registry", "Sidecar", "free_port", "wait_until"]


def key_for(peer: str) -> str:
    return f"e2e-key-{peer}"


class Registry(ManagedProcess):
    """A chatixia-registry on `host` with an admin key and one agent key per peer in `peers` (the key's peer
    id is the sidecar's peer id); restartable on the same port, secret and SQLite file."""

    def __init__(self, workdir: Path, peers: list[str], *, host: str = "127.0.0.1", args: list[str] | None = None,
                 extra_env: dict | None = None, public_host: str | None = None):
        self.workdir = workdir
        self.host = host
        self.public_host = public_host or host
        self.port = free_port()
        self.args = args or []
        self.extra_env = extra_env or {}
        self.secret = os.urandom(32).hex()
        self.db = workdir / "registry.db"
        self.keys_file = workdir / "api_keys.json"
        keys = {ADMIN_KEY: {"peer_id": "admin", "role": "admin"}}
        keys.update({key_for(p): {"peer_id": p, "role": "agent"} for p in peers})
        self.keys_file.write_text(json.dumps({"keys": keys}))
        self.log_path = workdir / "registry.log"
        self.process: subprocess.Popen | None = None
        self.starts = 0

    @property
    def url(self) -> str:
        return f"http://{self.public_host}:{self.port}"

    def start(self) -> "Registry":
        env = {**os.environ, "SIGNALING_SECRET": self.secret, "STUN_URLS": "", "LOG_LEVEL": "info", **self.extra_env}
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [BIN_DIR / "chatixia-registry", "--host", self.host, "--port", str(self.port), "--db", str(self.db),
                 "--api-keys", str(self.keys_file), *self.args], env=env, stdout=log, stderr=log)
        self.starts += 1
        wait_until(self._up, "the registry to listen", timeout=20)
        return self

    def _up(self) -> bool:
        assert self.process.poll() is None, f"the registry exited: {self.log()[-2000:]}"
        try:
            return self.api("GET", "/api/registry/agents")[0] == 200
        except OSError:
            return False

    def api(self, method: str, path: str, body=None, key: str | None = ADMIN_KEY, headers: dict | None = None):
        """One call; returns (status, parsed body)."""
        return call_json(self.url, method, path, body, key, headers)

    def edges(self) -> set[tuple[str, str]]:
        status, topology = self.api("GET", "/api/hub/network/topology")
        assert status == 200, topology
        return {tuple(sorted((edge["from_peer"], edge["to_peer"]))) for edge in topology["mesh_edges"]}

    def submit(self, **task) -> str:
        status, body = self.api("POST", "/api/hub/tasks", task)
        assert status == 200, body
        return body["task_id"]

    def task(self, task_id: str) -> dict:
        status, task = self.api("GET", f"/api/hub/tasks/{task_id}")
        assert status == 200, task
        return task

    def outcome(self, task_id: str, timeout: float = 40) -> dict:
        def final():
            task = self.task(task_id)
            return task if task["state"] in ("completed", "failed") else None
        return wait_until(final, f"task {task_id} to finish", timeout=timeout, interval=0.1)

    def run_task(self, timeout: float = 40, **task) -> dict:
        return self.outcome(self.submit(**task), timeout=timeout)


class Agent(ManagedProcess):
    """One `chatixia run` process for the agent folder `folder` (a copy of an example, or one made by `chatixia init`)."""

    stop_timeout = 20  # an agent deregisters and stops its sidecar first

    def __init__(self, registry: Registry, folder: Path, *, key: str | None, netns: str | None = None, extra_env: dict | None = None):
        self.registry = registry
        self.folder = folder
        self.name = folder.name
        self.netns = netns
        self.log_path = folder.parent / f"{self.name}.agent.log"
        inherited = {k: v for k, v in os.environ.items() if k not in ("API_KEY", "DEVICE_TOKEN", "OPENAI_API_KEY", "LLM_PROVIDER", "SIDECAR_BINARY")}
        self.env = {**inherited, "ICE_HOST_ADDRESSES": "127.0.0.1", "XDG_RUNTIME_DIR": str(folder.parent), "LOG_LEVEL": "info",
                    **({"API_KEY": key} if key else {}), **(extra_env or {})}
        self.process: subprocess.Popen | None = None

    @classmethod
    def from_example(cls, registry: Registry, workdir: Path, example: str, *, name: str | None = None, peer: str | None = None, **options) -> "Agent":
        """A copy of examples/<example> named `name`, pointed at `registry`, with the key of `peer`."""
        folder = workdir / (name or example)
        shutil.copytree(EXAMPLES / example, folder, ignore=shutil.ignore_patterns(".chatixia", ".env", "__pycache__"))
        manifest = folder / "agent.yaml"
        text = manifest.read_text()
        text = "\n".join(f'registry: "{registry.url}"' if line.startswith("registry:") else
                         f"name: {folder.name}" if line.startswith("name:") else line for line in text.splitlines()) + "\n"
        manifest.write_text(text)
        return cls(registry, folder, key=key_for(peer or folder.name), **options)

    def command(self) -> list:
        prefix = ["ip", "netns", "exec", self.netns] if self.netns else []
        return [*prefix, BIN_DIR / "chatixia", "run", str(self.folder / "agent.yaml")]

    def start(self, wait_ready: bool = True) -> "Agent":
        self.ready_seen = self.log().count(" ready ")
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(self.command(), cwd=self.folder, env=self.env, stdout=log, stderr=log)
        if wait_ready:
            wait_until(lambda: self.log().count(" ready ") > self.ready_seen or self.process.poll() is not None, f"{self.name} to be ready", timeout=40)
            assert self.process.poll() is None, f"{self.name} exited: {self.log()[-3000:]}"
        return self

    def sidecar_log(self) -> str:
        path = self.folder / ".chatixia" / "sidecar.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def sidecar_pids(self) -> list[int]:
        if not self.process:
            return []
        out = subprocess.run(["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True).stdout
        return [int(pid) for pid in out.split()]

    def connected_count(self, peer: str) -> int:
        return self.log().count(f"peer connected  peer_id={peer}")

    def sees(self, *peers: str) -> bool:
        return all(self.connected_count(peer) > 0 for peer in peers)


class Sidecar(ManagedProcess):
    """A bare chatixia-sidecar for `peer`, optionally inside a network namespace."""

    def __init__(self, registry: Registry, workdir: Path, peer: str, *, netns: str | None = None, host: str = "127.0.0.1", extra_env: dict | None = None):
        self.peer_id = peer
        self.netns = netns
        self.socket_path = workdir / f"{peer}.sock"
        self.log_path = workdir / f"{peer}.sidecar.log"
        self.env = {**os.environ, "SIGNALING_URL": f"ws://{registry.public_host}:{registry.port}/ws", "API_KEY": key_for(peer),
                    "IPC_SOCKET": str(self.socket_path), "ICE_HOST_ADDRESSES": host, "LOG_LEVEL": "info", **(extra_env or {})}
        self.process: subprocess.Popen | None = None

    def start(self) -> "Sidecar":
        starts_seen = self.log().count("IPC socket ready")
        prefix = ["ip", "netns", "exec", self.netns] if self.netns else []
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen([*prefix, BIN_DIR / "chatixia-sidecar"], env=self.env, stdout=log, stderr=log)
        wait_until(lambda: self.log().count("IPC socket ready") > starts_seen or self.process.poll() is not None, f"{self.peer_id}'s IPC socket")
        assert self.process.poll() is None, f"{self.peer_id} exited: {self.log()}"
        return self

    def connect(self) -> IPCClient:
        return IPCClient(self.socket_path)


def sh(*command: str) -> str:
    result = subprocess.run(command, capture_output=True, text=True)
    assert result.returncode == 0, f"{' '.join(command)} failed: {result.stderr}"
    return result.stdout


class Netns:
    """Two private networks behind a router, all inside run.sh's namespace:

        ns e2e-a (10.1.0.2) --veth-- [router: 10.1.0.1 | 10.2.0.1, services on 10.0.0.1] --veth-- ns e2e-b (10.2.0.2)

    The router is run.sh's namespace itself; the registry and coturn listen there on 10.0.0.1, which both
    sides reach through their default route. It forwards between the sides unless `block_direct()` adds
    iptables DROP rules for traffic between 10.1.0.0/24 and 10.2.0.0/24 (only the direct path: the services
    on the router stay reachable)."""

    SERVICE = "10.0.0.1"
    SIDES = {"a": ("10.1.0.1", "10.1.0.2"), "b": ("10.2.0.1", "10.2.0.2")}

    def __init__(self):
        self.names = {side: f"e2e-{side}-{os.getpid()}" for side in self.SIDES}
        self.rules: list[list[str]] = []

    def address(self, side: str) -> str:
        return self.SIDES[side][1]

    def up(self) -> "Netns":
        sh("ip", "link", "set", "lo", "up")
        if self.SERVICE not in sh("ip", "-4", "addr", "show", "dev", "lo"):
            sh("ip", "addr", "add", f"{self.SERVICE}/32", "dev", "lo")
        Path("/proc/sys/net/ipv4/ip_forward").write_text("1\n")
        for side, (router, inside) in self.SIDES.items():
            ns, outer, inner = self.names[side], f"ve-{side}", f"ve-{side}-in"
            sh("ip", "netns", "add", ns)
            sh("ip", "link", "add", outer, "type", "veth", "peer", "name", inner)
            sh("ip", "link", "set", inner, "netns", ns)
            sh("ip", "addr", "add", f"{router}/24", "dev", outer)
            sh("ip", "link", "set", outer, "up")
            for command in (["ip", "link", "set", "lo", "up"], ["ip", "addr", "add", f"{inside}/24", "dev", inner],
                            ["ip", "link", "set", inner, "up"], ["ip", "route", "add", "default", "via", router]):
                sh("ip", "netns", "exec", ns, *command)
        return self

    def down(self) -> None:
        self.unblock()
        for side, ns in self.names.items():
            subprocess.run(["ip", "link", "del", f"ve-{side}"], capture_output=True)
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)

    def _rule(self, action: str, rule: list[str]) -> None:
        sh("iptables", action, "FORWARD", *rule)

    def block(self, *, udp_only: bool = False) -> None:
        """DROPs forwarded traffic between the two sides (only UDP with `udp_only`)."""
        for source, destination in (("10.1.0.0/24", "10.2.0.0/24"), ("10.2.0.0/24", "10.1.0.0/24")):
            rule = ["-s", source, "-d", destination, *(["-p", "udp"] if udp_only else []), "-j", "DROP"]
            self._rule("-I", rule)
            self.rules.append(rule)

    def unblock(self) -> None:
        for rule in self.rules:
            subprocess.run(["iptables", "-D", "FORWARD", *rule], capture_output=True)
        self.rules.clear()

    def dropped_packets(self) -> int:
        """Packets the DROP rules have caught so far."""
        out = sh("iptables", "-L", "FORWARD", "-v", "-n", "-x")
        return sum(int(line.split()[0]) for line in out.splitlines() if len(line.split()) > 2 and line.split()[2] == "DROP")
