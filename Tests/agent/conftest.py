from __future__ import annotations

from pathlib import Path

import pytest

from agents import Agent, Registry


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    return tmp_path


@pytest.fixture
def registry(workdir: Path):
    registry = Registry(workdir)
    registry.start()
    yield registry
    registry.stop()


@pytest.fixture
def agents(registry: Registry, workdir: Path, request):
    """A factory: `agents("alpha", peer="sc-1")` starts an agent; every agent still running afterwards must stop
    cleanly on SIGTERM (exit 0). Logs are printed when the test fails."""
    started: list[Agent] = []

    def start(name: str, **options) -> Agent:
        agent = Agent(registry, workdir, name, **options).start()
        started.append(agent)
        return agent

    yield start
    codes = {agent.name: agent.stop() for agent in started if agent.process and agent.process.poll() is None}
    failed = request.node.rep_call.failed if hasattr(request.node, "rep_call") else False
    if failed or any(code != 0 for code in codes.values()):
        for agent in started:
            print(f"--- {agent.name} log ---\n{agent.log()[-6000:]}")
    assert all(code == 0 for code in codes.values()), f"agents did not stop cleanly: {codes}"


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report
