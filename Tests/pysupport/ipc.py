"""An agent's end of a sidecar's IPC socket: JSON lines out, parsed lines in."""

from __future__ import annotations

import json
import queue
import socket
import threading
import time
from pathlib import Path


def drain(lines: queue.Queue) -> list:
    """Everything queued so far, without waiting."""
    out = []
    while not lines.empty():
        out.append(lines.get_nowait())
    return out


class IPCClient:
    """JSON lines out; a reader thread queues the parsed lines in, or hands each raw line to `on_line`
    when that is set (for a benchmark's hot path)."""

    def __init__(self, path: Path, reading: bool = True):
        """With `reading` false the client reads nothing (a stuck agent) until `start_reading`."""
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(str(path))
        self.lines: queue.Queue = queue.Queue()
        self.on_line = None
        self.closed = threading.Event()
        if reading:
            self.start_reading()

    def start_reading(self) -> None:
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        buffer = b""
        try:
            while chunk := self.sock.recv(1 << 20):
                *lines, buffer = (buffer + chunk).split(b"\n")
                for line in lines:
                    if self.on_line:
                        self.on_line(line)
                    else:
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
        """Every line queued so far."""
        return drain(self.lines)

    def close(self) -> None:
        # shutdown() first: close() alone does not end the connection while the reader thread is in recv().
        for end in (lambda: self.sock.shutdown(socket.SHUT_RDWR), self.sock.close):
            try:
                end()
            except OSError:
                pass
