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
        # One buffer, read into in place: a fresh 1 MiB object per recv costs the kernel a mapping, page faults
        # and an unmapping for every line, more than a small message's whole trip through the sidecars.
        buffer = bytearray(1 << 20)
        start = end = 0  # buffer[start:end] is read and not yet a whole line
        try:
            while True:
                if end == len(buffer):  # full: move the partial line to the front, or make room for a longer one
                    if start == 0:
                        buffer.extend(bytes(len(buffer)))
                    else:
                        buffer[:end - start] = buffer[start:end]
                        start, end = 0, end - start
                with memoryview(buffer) as whole, whole[end:] as free:
                    count = self.sock.recv_into(free)
                if count == 0:
                    break
                scan, end = end, end + count
                while (newline := buffer.find(b"\n", scan, end)) >= 0:
                    with memoryview(buffer) as whole:
                        line = whole[start:newline].tobytes()
                    start = scan = newline + 1
                    if self.on_line:
                        self.on_line(line)
                    else:
                        self.lines.put(json.loads(line))
                if start == end:
                    start = end = 0
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
