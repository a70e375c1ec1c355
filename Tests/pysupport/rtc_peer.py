"""rtc-interop-peer (our WebRTC stack behind JSON lines on stdin/stdout) as a subprocess, for the interop
tests: a thread queues each line it prints, on a plain queue or, given an event loop, on an asyncio queue.
pysupport.pion runs pion's peer, which speaks the same lines, the same way."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import queue
import subprocess
import threading
from pathlib import Path

from pysupport.ipc import drain
from pysupport.processes import bin_dir

#: Seconds a test waits for the peer's next line.
TIMEOUT = 20


class InteropPeer:
    def __init__(self, env: dict | None = None, loop: asyncio.AbstractEventLoop | None = None):
        """`env` adds to the environment (ICE_SERVERS, ICE_TRANSPORT_POLICY, PEER_ECHO); with `loop`, lines go
        to an asyncio.Queue for `next`, else to a queue.Queue for `poll`."""
        self.loop = loop
        self.queue = asyncio.Queue() if loop else queue.Queue()
        self.process = subprocess.Popen([str(self.executable())], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                        bufsize=1, env={**os.environ, **(env or {})})
        threading.Thread(target=self._read, daemon=True).start()

    @staticmethod
    def executable() -> Path:
        return bin_dir() / "rtc-interop-peer"

    @classmethod
    def in_running_loop(cls, env: dict | None = None) -> "InteropPeer":
        return cls(env, asyncio.get_running_loop())

    def _read(self) -> None:
        for line in self.process.stdout:
            message = json.loads(line)
            if self.loop:
                self.loop.call_soon_threadsafe(self.queue.put_nowait, message)
            else:
                self.queue.put(message)

    def send(self, **message) -> None:
        self.process.stdin.write(json.dumps(message) + "\n")
        self.process.stdin.flush()

    async def next(self, type_: str, timeout: float = TIMEOUT) -> dict:
        """The next line of `type_` (with a loop), skipping others and failing on errors."""
        while True:
            message = await asyncio.wait_for(self.queue.get(), timeout)
            if message["type"] == "error":
                raise AssertionError(f"swift peer error: {message['error']}")
            if message["type"] == type_:
                return message

    def poll(self) -> list[dict]:
        """Every line queued so far (without a loop)."""
        return drain(self.queue)

    def close(self) -> int | None:
        """Sends `close` and returns the exit code; kills the process if it does not exit."""
        if self.process.poll() is not None:
            return self.process.returncode
        try:
            self.send(type="close")
            return self.process.wait(timeout=5)
        except Exception:
            self.process.kill()
            self.process.wait()
            return None


# For checking messages: the peers print each as {"type": "message", "text"} or {"type": "message", "binary"}
# (base64); the tests send text and bytes of given sizes.
def payload(event):
    """A message event's content as bytes, and whether it was text."""
    if "text" in event:
        return event["text"].encode(), True
    return base64.b64decode(event["binary"]), False


def assert_same(what, got, want):
    """Byte-exact comparison that reports lengths and the first difference, not a huge diff."""
    if got != want:
        first = next((i for i, (a, b) in enumerate(zip(got, want)) if a != b), min(len(got), len(want)))
        raise AssertionError(f"{what}: got {len(got)} bytes, want {len(want)}, first difference at byte {first}")


def expect_message(link, side, want, is_text, what):
    """The next message `side` reports on `link` (a test's link object with `expect`) is `want`, as text or binary."""
    got, got_text = payload(link.expect(side, "message"))
    assert got_text == is_text, f"{what}: arrived as {'text' if got_text else 'binary'}"
    assert_same(what, got, want)


def text_of(size):
    return "".join(chr(32 + i % 95) for i in range(size))


def bytes_of(size):
    return bytes((i * 7 + i // 256) % 256 for i in range(size))
