"""Headless Chromium (Debian chromium + chromium-driver) under selenium, for the hub's browser tests, the
WebRTC interop tests and the rtc benchmark. Selenium must use the Debian chromedriver, never download one
(the run.sh scripts export SE_OFFLINE=true)."""

from __future__ import annotations

import shutil

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

# --no-sandbox: Chromium will not sandbox itself as root, and the run.sh scripts run as root to create
# network namespaces.
FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--disable-extensions",
         "--disable-background-networking", "--disable-component-update", "--disable-sync")
# Chromium gathers no host candidate on a loopback-only machine unless loopback is allowed and the page has
# media permission (the fake UI grants it without a prompt); with that permission it also writes plain IPs
# instead of mDNS names.
WEBRTC_ON_LOOPBACK = ("--allow-loopback-in-peer-connection", "--use-fake-ui-for-media-stream")


def headless_chromium(*flags: str, capabilities: dict | None = None) -> webdriver.Chrome:
    """A new headless Chromium with FLAGS and `flags`; quit it when done."""
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for flag in (*FLAGS, *flags):
        options.add_argument(flag)
    for name, value in (capabilities or {}).items():
        options.set_capability(name, value)
    service = Service(executable_path=shutil.which("chromedriver") or "/usr/bin/chromedriver")
    return webdriver.Chrome(service=service, options=options)
