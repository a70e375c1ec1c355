from __future__ import annotations

from pathlib import Path

import pytest

from processes import Registry, Sidecar


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    # Unix socket paths are limited to 108 bytes; pytest's tmp_path can be long.
    return tmp_path


@pytest.fixture
def registry(workdir: Path):
    registry = Registry(workdir)
    registry.start()
    yield registry
    registry.stop()


@pytest.fixture
def sidecars(registry: Registry, workdir: Path, request):
    """A factory: `sidecars("sc-1")` starts a sidecar; all are stopped after the test (logs shown on failure)."""
    started: list[Sidecar] = []

    def start(peer_id: str, **options) -> Sidecar:
        sidecar = Sidecar(registry, workdir, peer_id, **options).start()
        started.append(sidecar)
        return sidecar

    yield start
    for sidecar in started:
        sidecar.stop()
    if request.node.rep_call.failed if hasattr(request.node, "rep_call") else False:
        for sidecar in started:
            print(f"--- {sidecar.peer_id} log ---\n{sidecar.log()[-4000:]}")


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report
