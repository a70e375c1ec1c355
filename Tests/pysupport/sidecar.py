"""A real chatixia-sidecar for one peer, with its IPC socket and log in the caller's directory."""

from __future__ import annotations

import os
from pathlib import Path

from pysupport.ipc import IPCClient
from pysupport.processes import ManagedProcess, bin_dir
from pysupport.registry import Registry
from pysupport.waits import wait_until

#: The log levels at which a sidecar logs "IPC socket ready".
_LOGS_READY = ("trace", "debug", "info")


class Sidecar(ManagedProcess):
    """One chatixia-sidecar for `peer` with the registry's key for it, optionally inside the network
    namespace `netns`; its ICE host address is `host` (None: the machine's or namespace's own addresses, followed as
    they change). Restartable."""

    def __init__(self, registry: Registry, workdir: Path, peer: str, *, netns: str | None = None, host: str | None = "127.0.0.1",
                 socket_path: Path | None = None, log_level: str = "info", extra_env: dict | None = None, binaries: Path | None = None):
        self.registry = registry
        self.peer_id = peer
        self.netns = netns
        self.socket_path = socket_path or workdir / f"{peer}.sock"
        self.log_path = workdir / f"{peer}.sidecar.log"
        self.log_level = log_level
        self.binary = (binaries or bin_dir()) / "chatixia-sidecar"
        self.env = {**os.environ, "SIGNALING_URL": f"ws://{registry.public_host}:{registry.port}/ws", "API_KEY": registry.keys.for_peer(peer),
                    "IPC_SOCKET": str(self.socket_path), "LOG_LEVEL": log_level,
                    **({"ICE_HOST_ADDRESSES": host} if host is not None else {}), **(extra_env or {})}

    def command(self) -> list:
        prefix = ["ip", "netns", "exec", self.netns] if self.netns else []
        return [*prefix, self.binary]

    def start(self, wait: bool = True, interval: float = 0.05) -> "Sidecar":
        """Starts the process and, with `wait`, returns once its IPC socket takes connections."""
        self.starts_seen = self.log().count("IPC socket ready")
        self.spawn(self.command(), env=self.env)
        if wait:
            wait_until(lambda: self.accepting() or self.process.poll() is not None, f"{self.peer_id}'s IPC socket", interval=interval)
            assert self.process.poll() is None, f"{self.peer_id} exited: {self.log()}"
        return self

    def accepting(self) -> bool:
        """Whether the socket takes connections. A killed sidecar leaves its socket file behind, and probing with
        a connection would take the single client slot, so this reads the sidecar's log (when its level logs
        readiness; at quieter levels the socket file alone counts)."""
        if not self.socket_path.exists():
            return False
        return self.log_level not in _LOGS_READY or self.log().count("IPC socket ready") > self.starts_seen

    def connect(self, reading: bool = True) -> IPCClient:
        return IPCClient(self.socket_path, reading)
