from __future__ import annotations

from pathlib import Path

import pytest

from pysupport.pytest_plugin import failed
from pysupport.registry import Keys, Registry

#: The suite's API keys: the admin key and, for each peer a test names, an agent key whose peer id is the
#: sidecar's. Tests that need one ask the registry (`registry.keys`).
KEYS = Keys(admin="e2e-admin-key-0001", agent="e2e-key-{peer}")


@pytest.fixture
def new_registry(workdir: Path):
    """A factory: `new_registry(peers, **options)` makes a registry (not started) in the test's directory (or
    `folder`) with the admin key and one agent key per peer in `peers`; `options` as for Registry."""
    def make(peers, *, folder: Path | None = None, **options) -> Registry:
        return Registry(folder or workdir, KEYS, peers, **options)
    return make


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
