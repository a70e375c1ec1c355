"""Fixtures: the registry binary, registries per test module, a headless Chromium, and the hub page."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from hub_page import HubPage
from mesh import ARTIFACTS, REPO, new_registry
from pysupport.chromium import headless_chromium


@pytest.fixture(scope="session")
def registry_binary() -> Path:
    bin_dir = os.environ.get("CHATIXIA_BIN_DIR")
    if not bin_dir:
        bin_dir = subprocess.run(["swift", "build", "--show-bin-path"], cwd=REPO, capture_output=True, text=True, check=True).stdout.strip()
    binary = Path(bin_dir) / "chatixia-registry"
    assert binary.is_file(), f"{binary} not found: build the registry first (swift build)"
    help_text = subprocess.run([str(binary), "--help"], capture_output=True, text=True).stdout
    assert "--hub-dir" in help_text, f"{binary} has no --hub-dir option: rebuild it"
    return binary


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="module")
def registry(registry_binary, tmp_path_factory):
    """A fresh registry for each test module (own data, own rate limits)."""
    instance = new_registry(registry_binary, tmp_path_factory.mktemp("registry")).start()
    yield instance
    instance.stop()


@pytest.fixture(scope="session")
def driver():
    browser = headless_chromium("--window-size=1440,900", "--metrics-recording-only", "--lang=en-US",
                                capabilities={"goog:loggingPrefs": {"browser": "ALL"}})
    browser.set_window_size(1440, 900)
    yield browser
    browser.quit()


@pytest.fixture
def hub(driver, registry, artifacts):
    """The hub page in the shared browser, signed out, with a clean console; fails the test on any
    console error it did not expect (a CSP violation, an exception)."""
    page = HubPage(driver, registry, artifacts)
    page.reset()
    yield page
    page.assert_no_console_errors()
