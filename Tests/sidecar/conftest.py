from __future__ import annotations

from pathlib import Path

import pytest

from pysupport.pytest_plugin import factory, failed, running
from pysupport.registry import Keys, Registry
from pysupport.sidecar import Sidecar

#: The suite's API keys: the admin key and one agent key per test peer, sc-1 .. sc-8. Tests that need one ask
#: the registry (`registry.keys`).
KEYS = Keys(admin="sidecar-test-admin-key", agent="sidecar-test-key-{peer}")
PEERS = [f"sc-{i}" for i in range(1, 9)]


@pytest.fixture
def new_registry(workdir: Path):
    """A factory: `new_registry(**options)` makes a registry (not started) with the suite's keys; `options` as
    for Registry."""
    return lambda **options: Registry(workdir, KEYS, PEERS, log_level="warning", **options)


@pytest.fixture
def registry(new_registry):
    yield from running(new_registry())


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
