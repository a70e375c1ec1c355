"""The registry's hub event stream, the WebSocket `/api/hub/events` the hub's page follows: a snapshot, then
every change as a `{"type", "data"}` frame (a `task` frame carries the whole task each time it changes)."""

from __future__ import annotations

import json
import select

import websocket  # websocket-client

from pysupport.http import FINAL_STATES
from pysupport.registry import Registry


class HubEvents:
    """One subscription to `registry`'s hub events with `key`'s credential (exchanged for a token, as the hub
    does). `snapshot` is the first frame's data."""

    def __init__(self, registry: Registry, key: str, timeout: float = 30):
        url = registry.url.replace("http", "ws", 1)
        self.ws = websocket.create_connection(f"{url}/api/hub/events?token={registry.token(key)}", timeout=timeout)
        first = self.next()
        assert first["type"] == "snapshot", first["type"]
        self.snapshot = first["data"]

    def next(self) -> dict:
        return json.loads(self.ws.recv())

    def drain(self) -> int:
        """Reads and drops every frame that has already arrived; returns how many."""
        count = 0
        while select.select([self.ws.sock], [], [], 0)[0]:
            self.ws.recv()
            count += 1
        return count

    def outcome(self, task_id: str) -> dict:
        """Task `task_id` from the first `task` frame that shows it finished (frames of other tasks are read
        and dropped, most without parsing)."""
        while True:
            frame = self.ws.recv()
            if task_id not in frame:
                continue
            event = json.loads(frame)
            if event["type"] == "task" and event["data"]["id"] == task_id and event["data"]["state"] in FINAL_STATES:
                return event["data"]

    def close(self) -> None:
        self.ws.close()
