"""A real chatixia-registry for tests and benchmarks, with its keys file, the registry API calls the harnesses
make, and a stream of task submissions to load it with."""

from __future__ import annotations

import json
import os
import secrets
import socket
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from pysupport.http import call, call_json
from pysupport.ports import free_port
from pysupport.processes import ManagedProcess, bin_dir
from pysupport.waits import wait_until

#: The default of a `key` argument: the registry's admin key.
ADMIN = object()


@dataclass(frozen=True)
class Keys:
    """A suite's API keys: an admin key, one agent key per peer (`agent` with `{peer}` in it), and any
    others as {key: {"peer_id": ..., "role": ...}}."""

    admin: str
    agent: str
    others: dict = field(default_factory=dict)

    def for_peer(self, peer: str) -> str:
        return self.agent.format(peer=peer)

    def file(self, peers) -> dict:
        keys = {self.admin: {"peer_id": "admin", "role": "admin"}}
        keys.update(self.others)
        keys.update({self.for_peer(p): {"peer_id": p, "role": "agent"} for p in peers})
        return {"keys": keys}


class Registry(ManagedProcess):
    """A chatixia-registry listening on `host` (reached at `public_host`), with the admin key and one agent key
    per peer in `peers`; its SQLite file (`db`, else registry.db) and log in `workdir`. Restartable on the same
    port, secret and database. `hub_dir` serves the hub from that folder; `agent_key` is the key
    `register_agent` uses unless told otherwise; `secret` is the SIGNALING_SECRET (random unless given:
    replicas on one database share one)."""

    def __init__(self, workdir: Path, keys: Keys, peers=(), *, host: str = "127.0.0.1", public_host: str | None = None,
                 db: str | None = None, hub_dir: Path | None = None, args: list[str] | None = None, extra_env: dict | None = None,
                 log_level: str = "info", binaries: Path | None = None, agent_key: str | None = None, tls: tuple[Path, Path] | None = None,
                 secret: str | None = None):
        self.workdir = workdir
        self.keys = keys
        self.host = host
        self.public_host = public_host or host
        self.port = free_port()
        self.db = db or str(workdir / "registry.db")
        self.args = [*(["--hub-dir", str(hub_dir)] if hub_dir else []), *(["--tls-cert", str(tls[0]), "--tls-key", str(tls[1])] if tls else []),
                     *(args or [])]
        # With `tls` (certificate, key) the registry serves HTTPS itself; calls check it against the certificate.
        self.ca_file = str(tls[0]) if tls else None
        self.extra_env = extra_env or {}
        self.log_level = log_level
        self.binary = (binaries or bin_dir()) / "chatixia-registry"
        self.agent_key = agent_key
        self.secret = secret or secrets.token_hex(32)
        self.keys_file = workdir / "api_keys.json"
        self.keys_file.write_text(json.dumps(keys.file(peers)))
        self.log_path = workdir / "registry.log"
        self.starts = 0

    @property
    def url(self) -> str:
        return f"{'https' if self.ca_file else 'http'}://{self.public_host}:{self.port}"

    def start(self, timeout: float = 30) -> "Registry":
        env = {**os.environ, "SIGNALING_SECRET": self.secret, "STUN_URLS": "", "LOG_LEVEL": self.log_level, **self.extra_env}
        self.spawn([self.binary, "--host", self.host, "--port", str(self.port), "--db", self.db, "--api-keys", str(self.keys_file), *self.args],
                   env=env, cwd=self.workdir)
        self.starts += 1
        wait_until(self._up, f"the registry to listen on {self.url}", timeout=timeout)
        return self

    def _up(self) -> bool:
        assert self.process.poll() is None, f"the registry exited with {self.process.returncode}: {self.log()[-2000:]}"
        try:
            return self.api("GET", "/api/registry/agents", timeout=2)[0] == 200
        except OSError:
            return False

    def kill(self) -> None:
        """SIGKILL, as a crash would; waits until the port is free again."""
        super().kill()
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                with socket.create_connection((self.public_host, self.port), timeout=0.5):
                    time.sleep(0.1)
            except OSError:
                return

    # --- API ------------------------------------------------------------------------------------

    def _key(self, key) -> str | None:
        return self.keys.admin if key is ADMIN else key

    def api(self, method: str, path: str, body=None, key=ADMIN, headers: dict | None = None, timeout: float = 10):
        """One call (admin key unless `key` says otherwise, None for none); returns (status, parsed body)."""
        return call_json(self.url, method, path, body, self._key(key), headers, timeout, self.ca_file)

    def call(self, method: str, path: str, body=None, key=ADMIN, headers: dict | None = None):
        """One call; returns the parsed body and raises ApiError on an error status."""
        return call(self.url, method, path, body, self._key(key), headers, ca_file=self.ca_file)

    def get(self, path: str):
        return self.call("GET", path)

    def edges(self) -> set[tuple[str, str]]:
        """The mesh edges the registry has observed (the sidecars' reports), each as a sorted pair."""
        return {tuple(sorted((edge["from_peer"], edge["to_peer"]))) for edge in self.get("/api/hub/network/topology")["mesh_edges"]}

    def metrics(self) -> dict[str, float]:
        with urllib.request.urlopen(f"{self.url}/metrics", timeout=5) as response:
            text = response.read().decode()
        values = {}
        for line in text.splitlines():
            if line and not line.startswith("#"):
                name, _, value = line.rpartition(" ")
                values[name] = float(value)
        return values

    def token(self, key: str) -> str:
        return self.call("POST", "/api/token", key=key)["token"]

    def register_agent(self, agent_id: str, *, skills=(), hostname="host.local", ip="10.0.0.1", port=8000,
                       sidecar_peer_id="", mode="interactive", key: str | None = None) -> None:
        self.call("POST", "/api/registry/agents", {
            "agent_id": agent_id, "hostname": hostname, "ip": ip, "port": port, "sidecar_peer_id": sidecar_peer_id,
            "capabilities": {"skills": list(skills), "mcp_servers": ["filesystem"], "goals_count": 1, "mode": mode},
            "status": "ready", "mode": mode,
        }, key=key or self.agent_key)

    def submit(self, **task) -> str:
        """Submits a task as the hub does; returns its id."""
        return self.call("POST", "/api/hub/tasks", task)["task_id"]

    def task(self, task_id: str) -> dict:
        return self.get(f"/api/hub/tasks/{task_id}")

    def tasks(self) -> list[dict]:
        return self.get("/api/hub/tasks/all")

    def outcome(self, task_id: str, timeout: float = 40, interval: float = 0.1) -> dict:
        """The task once it is finished: completed, failed or canceled."""
        def final():
            task = self.task(task_id)
            return task if task["state"] in ("completed", "failed", "canceled") else None
        return wait_until(final, f"task {task_id} to finish", timeout=timeout, interval=interval)

    def run_task(self, timeout: float = 40, **task) -> dict:
        """Submits a task and waits for its outcome."""
        return self.outcome(self.submit(**task), timeout=timeout)

    def pairing_entries(self) -> list[dict]:
        return self.get("/api/pairing/all")

    def redeem_code(self, code: str, agent_name: str) -> dict:
        return self.call("POST", "/api/pairing/pair", {"code": code, "agent_name": agent_name}, key=None)


class TaskSubmitter(threading.Thread):
    """A load of submissions: a `calculate` task (the math-agent example's skill, "<n> * 2"), with the fields of
    `task` added, every `interval` seconds through `registry` (a Registry, or anything with its `api`) until
    stopped. Records every answer: the ids acknowledged (200), and the other statuses (or the failure's repr)
    with their time."""

    def __init__(self, registry, interval: float, timeout: float = 10, **task):
        super().__init__(daemon=True)
        self.registry = registry
        self.interval = interval
        self.timeout = timeout
        self.task = task
        self.acknowledged: list[str] = []
        self.other: list[tuple[float, object]] = []
        self.done = threading.Event()

    def run(self) -> None:
        n = 0
        while not self.done.is_set():
            n += 1
            try:
                status, body = self.registry.api("POST", "/api/hub/tasks", {"skill": "calculate", "payload": {"message": f"{n} * 2"}, **self.task},
                                                 timeout=self.timeout)
                if status == 200:
                    self.acknowledged.append(body["task_id"])
                else:
                    self.other.append((time.monotonic(), status))
            except OSError as error:
                self.other.append((time.monotonic(), repr(error)))
            time.sleep(self.interval)

    def stop(self) -> None:
        self.done.set()
        if self.is_alive():
            self.join(timeout=20)
