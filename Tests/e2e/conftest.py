from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    # Unix socket paths are limited to 108 bytes; pytest's tmp_path is short enough under /tmp.
    return tmp_path


@pytest.fixture
def cleanup(request):
    """Registers things to stop after the test (last registered, first stopped); prints logs on failure."""
    items: list = []
    yield items.append
    failed = request.node.rep_call.failed if hasattr(request.node, "rep_call") else False
    for item in reversed(items):
        if failed and hasattr(item, "log"):
            print(f"--- {getattr(item, 'name', getattr(item, 'peer_id', type(item).__name__))} log ---\n{item.log()[-5000:]}")
        if failed and hasattr(item, "sidecar_log"):
            print(f"--- its sidecar ---\n{item.sidecar_log()[-3000:]}")
        for method in ("stop", "down"):
            if hasattr(item, method):
                getattr(item, method)()
                break


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report
