from __future__ import annotations

import pytest

from pysupport.pytest_plugin import failed


@pytest.fixture
def cleanup(request):
    """Registers things to stop after the test (last registered, first stopped); prints logs on failure."""
    items: list = []
    yield items.append
    failed_test = failed(request)
    for item in reversed(items):
        if failed_test and hasattr(item, "log"):
            print(f"--- {getattr(item, 'name', getattr(item, 'peer_id', type(item).__name__))} log ---\n{item.log()[-5000:]}")
        if failed_test and hasattr(item, "sidecar_log"):
            print(f"--- its sidecar ---\n{item.sidecar_log()[-3000:]}")
        for method in ("stop", "down"):
            if hasattr(item, method):
                getattr(item, method)()
                break

