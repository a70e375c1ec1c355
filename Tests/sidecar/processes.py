"""Real processes for the sidecar tests: a chatixia-registry and chatixia-sidecars on 127.0.0.1, and a
line-based IPC client that talks to a sidecar's Unix socket the way an agent does."""

from __future__ import annotations

import json
import os
import queue
import secrets
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "pysupport"))
from managed_process import ManagedProcess  # noqa: E402

BIN_DIR = Path(os.environ["CHATIXIA_BIN_DIR"])
ADMIN_KEY = "sidecar-test-admin-key"
PEERS = [f"sc-{i}" for i in range(1, 9)]


def api_key(peer_id: str) -> str:
    return f"sidecar-test-key-{peer_id}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(condition, what: str, timeout: float = 15.0, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


class Registry(ManagedProcess):
    """A chatixia-registry with one agent key per test peer; restartable on the same port and secret."""

    def __init__(self, workdir: Path, extra_env: dict | None = None):
        self.workdir = workdir
        self.extra_env = extra_env or {}
        self.port = free_port()
        self.secret = secrets.token_hex(32)
        self.keys_file = workdir / "api_keys.json"
        keys = {ADMIN_KEY: {"peer_id": "admin", "role": "admin"}}
        keys.update({api_key(p): {"peer_id": p, "role": "agent"} for p in PEERS})
        self.keys_file.write_text(json.dumps({"keys": keys}))
        self.log_path = workdir / "registry.log"
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        env = {**os.environ, "SIGNALING_SECRET": self.secret, "STUN_URLS": "", "LOG_LEVEL": "warning", **self.extra_env}
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [BIN_DIR / "chatixia-registry", "--host", "127.0.0.1", "--port", str(self.port), "--db", str(self.workdir / "registry.db"),
             "--api-keys", str(self.keys_file)],
            env=env, stdout=log, stderr=log)
        wait_until(self._up, "the registry to listen")

    def _up(self) -> bool:
        try:
            self.get("/api/registry/agents")
            return True
        except OSError:
            return False

    def get(self, path: str):
        request = urllib.request.Request(self.url + path, headers={"x-api-key": ADMIN_KEY})
        with urllib.request.urlopen(request, timeout=5) as response:
            return json.loads(response.read())

    def topology_edges(self) -> set[tuple[str, str]]:
        topology = self.get("/api/hub/network/topology")
        return {tuple(sorted((edge["from_peer"], edge["to_peer"]))) for edge in topology["mesh_edges"]}


class Sidecar(ManagedProcess):
    """One chatixia-sidecar process for `peer_id`, with its IPC socket in the test's directory."""

    def __init__(self, registry: Registry, workdir: Path, peer_id: str, *, extra_env: dict | None = None, socket_path: Path | None = None):
        self.registry = registry
        self.peer_id = peer_id
        self.socket_path = socket_path or workdir / f"{peer_id}.sock"
        self.log_path = workdir / f"{peer_id}.log"
        self.env = {
            **os.environ,
            "SIGNALING_URL": f"ws://127.0.0.1:{registry.port}/ws",
            "API_KEY": api_key(peer_id),
            "IPC_SOCKET": str(self.socket_path),
            "ICE_HOST_ADDRESSES": "127.0.0.1",
            "LOG_LEVEL": "info",
            **(extra_env or {}),
        }
        self.process: subprocess.Popen | None = None

    def start(self) -> "Sidecar":
        self.starts_seen = self.log().count("IPC socket ready")
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen([BIN_DIR / "chatixia-sidecar"], env=self.env, stdout=log, stderr=log)
        wait_until(lambda: self._accepting() or self.process.poll() is not None, f"{self.peer_id}'s IPC socket")
        assert self.process.poll() is None, f"{self.peer_id} exited: {self.log()}"
        return self

    def _accepting(self) -> bool:
        """Whether the socket takes connections (a killed sidecar leaves its socket file behind).

        Probing with a connection would take the single client slot, so this reads the sidecar's log."""
        return self.socket_path.exists() and self.log().count("IPC socket ready") > self.starts_seen

    def connect(self, reading: bool = True) -> "IPCClient":
        return IPCClient(self.socket_path, reading)


class IPCClient:
    """An agent's end of the IPC socket: JSON lines out, a queue of parsed lines in."""

    def __init__(self, path: Path, reading: bool = True):
        """With `reading` false the client reads nothing (a stuck agent) until `start_reading`."""
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(str(path))
        self.lines: queue.Queue = queue.Queue()
        self.closed = threading.Event()
        if reading:
            self.start_reading()

    def start_reading(self) -> None:
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        buffer = b""
        try:
            while chunk := self.sock.recv(1 << 20):
                buffer += chunk
                while b"\n" in buffer:
                    line, buffer = buffer.split(b"\n", 1)
                    self.lines.put(json.loads(line))
        except OSError:
            pass
        self.closed.set()

    def send_raw(self, data: bytes) -> None:
        self.sock.sendall(data)

    def send(self, type_: str, payload: dict | None = None, id_=None) -> None:
        line = {"type": type_, "payload": payload or {}}
        if id_ is not None:
            line["id"] = id_
        self.send_raw(json.dumps(line).encode() + b"\n")

    def next(self, type_: str | None = None, timeout: float = 15.0, where=lambda line: True) -> dict:
        """The next line (of `type_`, matching `where`), skipping others."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no {type_ or 'line'} within {timeout}s")
            try:
                line = self.lines.get(timeout=remaining)
            except queue.Empty:
                continue
            if (type_ is None or line.get("type") == type_) and where(line):
                return line

    def drain(self) -> list[dict]:
        out = []
        while not self.lines.empty():
            out.append(self.lines.get_nowait())
        return out

    def close(self) -> None:
        # shutdown() first: close() alone does not end the connection while the reader thread is in recv().
        for end in (lambda: self.sock.shutdown(socket.SHUT_RDWR), self.sock.close):
            try:
                end()
            except OSError:
                pass
