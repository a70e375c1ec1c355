"""One JSON call to a registry's HTTP API, for the test harnesses."""

from __future__ import annotations

import json
import urllib.error
import urllib.request


def call_json(base_url: str, method: str, path: str, body=None, key: str | None = None, headers: dict | None = None):
    """Returns (status, parsed JSON body); error statuses are returned, not raised."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base_url + path, data=data, method=method,
                                     headers={"content-type": "application/json", **({"x-api-key": key} if key else {}), **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")
