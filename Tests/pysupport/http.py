"""JSON calls to a registry's HTTP API: one call that returns the status, one that raises on an error
status, and a kept-alive connection for the benchmarks' tight loops."""

from __future__ import annotations

import http.client
import json
import ssl
import time
import urllib.error
import urllib.request

#: The states a registry task ends in (TaskState.isFinal).
FINAL_STATES = ("completed", "failed", "canceled", "rejected")


class ApiError(Exception):
    """An error status from `call`, with the body as text."""

    def __init__(self, status: int, body: str):
        super().__init__(f"HTTP {status}: {body}")
        self.status = status
        self.body = body


def request(base_url: str, method: str, path: str, body=None, key: str | None = None, headers: dict | None = None,
            timeout: float = 10, ca_file: str | None = None) -> tuple[int, bytes]:
    """One call; returns (status, raw body). Error statuses are returned, not raised. `ca_file` is the PEM CA an
    https:// registry's certificate is checked against."""
    data = None if body is None else json.dumps(body).encode()
    sent = {**({"content-type": "application/json"} if data is not None else {}), **({"x-api-key": key} if key else {}), **(headers or {})}
    try:
        context = ssl.create_default_context(cafile=ca_file) if ca_file else None
        with urllib.request.urlopen(urllib.request.Request(base_url + path, data=data, method=method, headers=sent), timeout=timeout,
                                    context=context) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def call_json(base_url: str, method: str, path: str, body=None, key: str | None = None, headers: dict | None = None, timeout: float = 10,
              ca_file: str | None = None):
    """Returns (status, parsed JSON body); error statuses are returned, not raised."""
    status, raw = request(base_url, method, path, body, key, headers, timeout, ca_file)
    return status, json.loads(raw or b"null")


def call(base_url: str, method: str, path: str, body=None, key: str | None = None, headers: dict | None = None, timeout: float = 40,
         ca_file: str | None = None):
    """Returns the parsed JSON body; raises ApiError on an error status."""
    status, raw = request(base_url, method, path, body, key, headers, timeout, ca_file)
    if status >= 400:
        raise ApiError(status, raw.decode(errors="replace"))
    return json.loads(raw or b"null")


class KeepAliveClient:
    """One HTTP/1.1 connection kept open between calls (no connect per call), for measuring a registry (or
    another JSON server: `headers` are sent with every call beside content-type and x-api-key)."""

    def __init__(self, port: int, key: str, host: str = "127.0.0.1", timeout: float = 30, headers: dict | None = None):
        self.connection = http.client.HTTPConnection(host, port, timeout=timeout)
        self.headers = {"content-type": "application/json", "x-api-key": key, **(headers or {})}

    def call(self, method: str, path: str, body=None):
        self.connection.request(method, path, body=None if body is None else json.dumps(body), headers=self.headers)
        response = self.connection.getresponse()
        data = response.read()
        if response.status != 200:
            raise RuntimeError(f"{method} {path}: {response.status} {data[:200]!r}")
        return json.loads(data)

    def outcome(self, task_id: str) -> dict:
        """Registry task `task_id` once it is finished, polled as the agents' `RegistryClient.waitForOutcome`
        does: at once, then after 2 ms, the wait doubling up to 500 ms."""
        interval = 0.002
        while True:
            task = self.call("GET", f"/api/hub/tasks/{task_id}")
            if task["state"] in FINAL_STATES:
                return task
            time.sleep(interval)
            interval = min(interval * 2, 0.5)
