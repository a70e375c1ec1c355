"""The hub as a user drives it: sign in, switch views, wait for live data, take screenshots."""

from __future__ import annotations

import base64
import re
from pathlib import Path

from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from mesh import ADMIN_KEY
from pysupport.registry import Registry

WAIT = 30  # seconds: generous, the machine may be busy
DESKTOP = (1440, 900)


class HubPage:
    def __init__(self, driver: WebDriver, registry: Registry, artifacts: Path):
        self.driver = driver
        self.registry = registry
        self.artifacts = artifacts
        self.allowed_console = []

    # --- navigation -------------------------------------------------------------------------------

    def use_viewport(self, width: int, height: int, *, mobile: bool = False, scale: float = 1) -> None:
        """An exact CSS viewport (a headless window's size includes space it never shows)."""
        self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                    {"width": width, "height": height, "deviceScaleFactor": scale, "mobile": mobile})

    def reset(self) -> None:
        self.use_viewport(*DESKTOP)
        self.driver.get(self.registry.url + "/")
        self.driver.execute_script("sessionStorage.clear()")
        self.driver.get(self.registry.url + "/#/overview")
        self.driver.refresh()
        self.driver.get_log("browser")  # start each test with an empty console

    def login(self, key: str = ADMIN_KEY) -> None:
        key_input = self.wait_visible("#login-key")
        key_input.clear()
        key_input.send_keys(key)
        self.css("#login-submit").click()
        self.wait_visible("#app")
        self.wait_live()

    def wait_live(self) -> None:
        self.wait(lambda d: self.css("#connection").get_attribute("data-state") == "live", "the connection indicator to say live")
        assert self.css("#connection-text").text == "Live"

    def goto(self, view: str) -> None:
        self.css(f'.tab[data-view="{view}"]').click()
        self.wait_visible(f"#view-{view}")

    # --- queries and waits ------------------------------------------------------------------------

    def css(self, selector: str):
        return self.driver.find_element(By.CSS_SELECTOR, selector)

    def all(self, selector: str):
        return self.driver.find_elements(By.CSS_SELECTOR, selector)

    def wait(self, condition, what: str, timeout: float = WAIT):
        def safe(driver):
            try:
                return condition(driver)
            except StaleElementReferenceException:  # the live view re-rendered under us; ask again
                return False
        return WebDriverWait(self.driver, timeout, poll_frequency=0.1).until(safe, message=f"timed out waiting for {what}")

    def wait_visible(self, selector: str, timeout: float = WAIT):
        return self.wait(lambda d: next((e for e in self.all(selector) if e.is_displayed()), False), f"{selector} to be visible", timeout)

    def wait_text(self, selector: str, pattern: str, timeout: float = WAIT) -> str:
        """Waits until an element matching `selector` has text matching the regex `pattern`."""
        regex = re.compile(pattern)

        def found(_):
            for element in self.all(selector):
                text = element.text
                if regex.search(text):
                    return text
            return False
        return self.wait(found, f"{selector} text matching {pattern!r}", timeout)

    def wait_gone(self, selector: str, timeout: float = WAIT) -> None:
        self.wait(lambda d: not [e for e in self.all(selector) if e.is_displayed()], f"{selector} to disappear", timeout)

    def agent_card(self, agent_id: str):
        return self.wait(lambda d: next((c for c in self.all(".agent-card") if c.get_attribute("data-agent-id") == agent_id), False),
                         f"the card of agent {agent_id!r}")

    # --- artifacts and console --------------------------------------------------------------------

    def screenshot(self, name: str, *, full_page: bool = False) -> Path:
        path = self.artifacts / f"{name}.png"
        # Let entrance animations finish so the picture shows the settled page.
        self.driver.execute_script(
            "document.getAnimations().filter(a => a.effect?.getComputedTiming().endTime !== Infinity).forEach(a => a.finish())")
        if full_page:
            size = self.driver.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
            shot = self.driver.execute_cdp_cmd("Page.captureScreenshot", {
                "captureBeyondViewport": True, "clip": {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}})
            path.write_bytes(base64.b64decode(shot["data"]))
        else:
            self.driver.save_screenshot(str(path))
        return path

    def allow_console(self, pattern: str) -> None:
        """Console errors matching `pattern` are expected in this test (e.g. while the registry is down)."""
        self.allowed_console.append(re.compile(pattern))

    def assert_no_console_errors(self) -> None:
        errors = [entry["message"] for entry in self.driver.get_log("browser") if entry["level"] == "SEVERE"]
        unexpected = [m for m in errors if not any(p.search(m) for p in self.allowed_console)]
        assert not unexpected, "browser console errors:\n" + "\n".join(unexpected)
