from __future__ import annotations

from pathlib import Path

import pytest

from agents import new_agent, new_registry
from pysupport.pytest_plugin import factory, failed, running
from pysupport.registry import Registry


@pytest.fixture
def registry(workdir: Path):
    yield from running(new_registry(workdir))


@pytest.fixture
def agents(registry: Registry, workdir: Path, request):
    """A factory: `agents("alpha", peer="sc-1")` starts an agent; every agent still running afterwards must stop
    cleanly on SIGTERM (exit 0). Logs are printed when the test fails."""
    start, started = factory(lambda name, **options: new_agent(registry, workdir, name, **options), timeout=30)
    yield start
    codes = {agent.name: agent.stop() for agent in started if agent.process and agent.process.poll() is None}
    if failed(request) or any(code != 0 for code in codes.values()):
        for agent in started:
            print(f"--- {agent.name} log ---\n{agent.log()[-6000:]}")
    assert all(code == 0 for code in codes.values()), f"agents did not stop cleanly: {codes}"
