from __future__ import annotations

from pathlib import Path

import pytest

from harness import new_registry
from pysupport.pytest_plugin import factory, failed, running
from pysupport.registry import Registry
from pysupport.sidecar import Sidecar


@pytest.fixture
def registry(workdir: Path):
    yield from running(new_registry(workdir))


@pytest.fixture
def sidecars(registry: Registry, workdir: Path, request):
    """A factory: `sidecars("sc-1")` starts a sidecar; all are stopped after the test (logs shown on failure)."""
    start, started = factory(lambda peer_id, **options: Sidecar(registry, workdir, peer_id, **options))
    yield start
    for sidecar in started:
        sidecar.stop()
    if failed(request):
        for sidecar in started:
            print(f"--- {sidecar.peer_id} log ---\n{sidecar.log()[-4000:]}")
