"""The pytest plugin of the process suites (sidecar, agent, e2e), loaded by their pytest.ini (`-p
pysupport.pytest_plugin`): a short working directory per test, each phase's report kept on the test item
(for `failed`), and the bodies of fixtures that start one process (`running`) or processes on demand (`factory`)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    # Unix socket paths are limited to 108 bytes; pytest's tmp_path is short enough under /tmp.
    return tmp_path


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keeps each phase's report on the test item (rep_setup, rep_call, rep_teardown) for `failed`."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


def failed(request) -> bool:
    """Whether the test that `request` belongs to failed (for a fixture's teardown: print logs)."""
    return request.node.rep_call.failed if hasattr(request.node, "rep_call") else False


def running(process):
    """A fixture's body for one process: starts it, yields it, stops it afterwards."""
    yield process.start()
    process.stop()


def factory(make, **start_options):
    """Returns (start, started): start(*args, **options) makes a process with `make`, starts it (with
    `start_options`) and returns it; `started` lists them all, for the fixture to stop afterwards."""
    started: list = []

    def start(*args, **options):
        process = make(*args, **options).start(**start_options)
        started.append(process)
        return process
    return start, started
