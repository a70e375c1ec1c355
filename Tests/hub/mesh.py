"""The hub suite's registry (pysupport's, serving the hub from the source folder) with its keys, and simulated
mesh participants (sidecars that report their DataChannels, a task worker) that talk to it only through its
public API, for the hub's browser tests.

As in a real deployment, an agent and its sidecar share one credential: an agent whose `sidecar_peer_id` is
`sc-NN` registers, heartbeats, claims and reports with `sidecar_key("sc-NN")` (the registry refuses a
`sidecar_peer_id` that is another credential's subject). `AGENT_KEY` serves agents without a sidecar."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import websocket  # websocket-client

from pysupport.http import ApiError
from pysupport.registry import Keys, Registry

REPO = Path(__file__).resolve().parents[2]
HUB_DIR = REPO / "Sources" / "Registry" / "Resources" / "hub"
ARTIFACTS = REPO / "artifacts" / "hub"

ADMIN_KEY = "hub-test-admin-key"
HUB_KEY = "hub-test-readonly-key"
AGENT_KEY = "hub-test-agent-runner-key"
SIDECAR_PEERS = [f"sc-{i:02d}" for i in range(1, 61)]
KEYS = Keys(admin=ADMIN_KEY, agent="hub-test-sidecar-key-{peer}", others={
    HUB_KEY: {"peer_id": "dashboard", "role": "hub"},
    AGENT_KEY: {"peer_id": "agent-runner", "role": "agent"},
})

__all__ = ["ADMIN_KEY", "AGENT_KEY", "ApiError", "ARTIFACTS", "HUB_DIR", "HUB_KEY", "REPO", "Sidecar", "TaskWorker", "new_registry",
           "sidecar_key"]


def sidecar_key(peer_id: str) -> str:
    """The credential of sidecar `peer_id` (its subject), which the agent behind that sidecar uses too."""
    return KEYS.for_peer(peer_id)


def new_registry(binary: Path, workdir: Path, db: str = ":memory:", env: dict | None = None) -> Registry:
    """A registry (not started) from `binary` on 127.0.0.1 serving the hub from the source folder; `env` adds to
    its environment (e.g. limits such as FAILED_AUTH_PER_MINUTE)."""
    return Registry(workdir, KEYS, SIDECAR_PEERS, db=db, hub_dir=HUB_DIR, log_level="notice", binaries=binary.parent, agent_key=AGENT_KEY,
                    extra_env=env)


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
    """An agent's work loop: long-polls its tasks and completes them with `answer(task)`, with the agent's
    credential `key`."""

    registry: Registry
    agent_id: str
    answer: callable = lambda task: f"echo: {task['payload'].get('message', '')}"
    key: str = AGENT_KEY
    handled: list = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self):
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                claimed = self.registry.call("POST", "/api/hub/tasks/claim", {"agent_id": self.agent_id, "wait_ms": 1000}, key=self.key)
            except (ApiError, OSError):
                time.sleep(0.2)
                continue
            for task in claimed["tasks"]:
                self.registry.call("POST", f"/api/hub/tasks/{task['id']}", {"state": "completed", "result": self.answer(task)}, key=self.key)
                self.handled.append(task["id"])

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
