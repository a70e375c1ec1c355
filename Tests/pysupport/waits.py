"""Polling for a condition, the one way every harness waits."""

from __future__ import annotations

import time


def wait_until(condition, what: str, timeout: float = 15.0, interval: float = 0.05):
    """Returns the first truthy value of `condition()`; fails with AssertionError after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")
