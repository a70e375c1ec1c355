"""A real registry process and simulated mesh participants (agents, sidecars, a task worker) that talk
to it only through its public API, for the hub's browser tests."""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import websocket  # websocket-client

REPO = Path(__file__).resolve().parents[2]
HUB_DIR = REPO / "Sources" / "Registry" / "Resources" / "hub"
ARTIFACTS = REPO / "artifacts" / "hub"

ADMIN_KEY = "hub-test-admin-key"
HUB_KEY = "hub-test-readonly-key"
AGENT_KEY = "hub-test-agent-runner-key"
SIDECAR_PEERS = [f"sc-{i:02d}" for i in range(1, 61)]


def sidecar_key(peer_id: str) -> str:
    return f"hub-test-sidecar-key-{peer_id}"


def write_keys_file(path: Path) -> None:
    keys = {
        ADMIN_KEY: {"peer_id": "admin", "role": "admin"},
        HUB_KEY: {"peer_id": "dashboard", "role": "hub"},
        AGENT_KEY: {"peer_id": "agent-runner", "role": "agent"},
    }
    for peer in SIDECAR_PEERS:
        keys[sidecar_key(peer)] = {"peer_id": peer, "role": "agent"}
    path.write_text(json.dumps({"keys": keys}))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ApiError(Exception):
    def __init__(self, status: int, body: str):
        super().__init__(f"HTTP {status}: {body}")
        self.status = status
        self.body = body


class Registry:
    """One chatixia-registry process on 127.0.0.1 serving the hub from the source folder."""

    def __init__(self, binary: Path, hub_dir: Path, workdir: Path, db: str = ":memory:"):
        self.binary = binary
        self.hub_dir = hub_dir
        self.workdir = workdir
        self.db = db
        self.port = free_port()
        self.secret = secrets.token_hex(32)
        self.keys_file = workdir / "api_keys.json"
        write_keys_file(self.keys_file)
        self.process: subprocess.Popen | None = None
        self.log_path = workdir / "registry.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30) -> None:
        env = {**os.environ, "SIGNALING_SECRET": self.secret, "STUN_URLS": "", "LOG_LEVEL": "notice"}
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [str(self.binary), "--host", "127.0.0.1", "--port", str(self.port), "--db", self.db,
             "--api-keys", str(self.keys_file), "--hub-dir", str(self.hub_dir)],
            env=env, stdout=log, stderr=subprocess.STDOUT, cwd=self.workdir)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"registry exited with {self.process.returncode}: {self.log_path.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(self.url + "/", timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.1)
        raise RuntimeError(f"registry did not come up on {self.url}")

    def kill(self) -> None:
        """SIGKILL, as a crash would; waits until the port is free again."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    time.sleep(0.1)
            except OSError:
                return

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)

    # --- REST -----------------------------------------------------------------------------------

    def call(self, method: str, path: str, body=None, key: str = ADMIN_KEY, headers: dict | None = None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method)
        if key:
            request.add_header("x-api-key", key)
        if data is not None:
            request.add_header("content-type", "application/json")
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        try:
            with urllib.request.urlopen(request, timeout=40) as response:
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            raise ApiError(error.code, error.read().decode(errors="replace")) from None

    def token(self, key: str) -> str:
        return self.call("POST", "/api/token", key=key)["token"]

    def register_agent(self, agent_id: str, *, skills=(), hostname="host.local", ip="10.0.0.1", port=8000,
                       sidecar_peer_id="", mode="interactive", key: str = AGENT_KEY) -> None:
        self.call("POST", "/api/registry/agents", {
            "agent_id": agent_id, "hostname": hostname, "ip": ip, "port": port, "sidecar_peer_id": sidecar_peer_id,
            "capabilities": {"skills": list(skills), "mcp_servers": ["filesystem"], "goals_count": 1, "mode": mode},
            "status": "ready", "mode": mode,
        }, key=key)

    def submit_task(self, **submission) -> str:
        return self.call("POST", "/api/hub/tasks", submission)["task_id"]

    def tasks(self) -> list[dict]:
        return self.call("GET", "/api/hub/tasks/all")

    def pairing_entries(self) -> list[dict]:
        return self.call("GET", "/api/pairing/all")

    def redeem_code(self, code: str, agent_name: str) -> dict:
        return self.call("POST", "/api/pairing/pair", {"code": code, "agent_name": agent_name}, key="")


class Sidecar:
    """A signaling connection that reports its open DataChannels (mesh_status), as a real sidecar does.
    The report stands while the connection is open."""

    def __init__(self, registry: Registry, peer_id: str):
        self.peer_id = peer_id
        jwt = registry.token(sidecar_key(peer_id))
        self.ws = websocket.create_connection(f"ws://127.0.0.1:{registry.port}/ws?token={jwt}", timeout=10)
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()

    def _drain(self) -> None:
        try:
            while self.ws.connected:
                self.ws.recv()
        except Exception:  # closed: nothing more to read
            pass

    def report(self, connected_peers: list[str]) -> None:
        self.ws.send(json.dumps({"type": "mesh_status", "peer_id": self.peer_id, "payload": {"connected_peers": connected_peers}}))

    def close(self) -> None:
        try:
            self.ws.close()
        except Exception:
            pass


@dataclass
class TaskWorker:
    """An agent's work loop: long-polls its tasks and completes them with `answer(task)`."""

    registry: Registry
    agent_id: str
    answer: callable = lambda task: f"echo: {task['payload'].get('message', '')}"
    handled: list = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self):
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                claimed = self.registry.call("POST", "/api/hub/tasks/claim", {"agent_id": self.agent_id, "wait_ms": 1000}, key=AGENT_KEY)
            except (ApiError, OSError):
                time.sleep(0.2)
                continue
            for task in claimed["tasks"]:
                self.registry.call("POST", f"/api/hub/tasks/{task['id']}", {"state": "completed", "result": self.answer(task)}, key=AGENT_KEY)
                self.handled.append(task["id"])

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
