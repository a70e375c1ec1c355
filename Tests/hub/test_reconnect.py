"""The connection indicator tells the truth through a registry restart, and the page resyncs from the
new registry's snapshot (the restarted registry keeps its data in memory only, so old agents must go)."""

from __future__ import annotations

import secrets

from mesh import ADMIN_KEY


def test_reconnects_after_the_registry_restarts(hub, registry):
    # While the registry is down the browser logs its failed connection attempts.
    hub.allow_console(r"WebSocket connection to .* failed|ERR_CONNECTION_REFUSED|Failed to load resource")
    registry.register_agent("before-restart", hostname="old")
    hub.login(ADMIN_KEY)
    hub.goto("agents")
    hub.agent_card("before-restart")
    hub.driver.execute_script("window.__sameDocument = true")

    registry.kill()
    hub.wait(lambda d: hub.css("#connection").get_attribute("data-state") == "reconnecting", "the indicator to leave live")
    indicator = hub.wait_text("#connection-text", r"Offline · retrying in \d+:\d\d|Reconnecting")
    assert "Live" not in indicator
    assert hub.css(".stale-banner").is_displayed()
    hub.screenshot("reconnecting")

    # A new signing secret: tokens from before the restart are worthless, so the hub must mint fresh ones.
    registry.secret = secrets.token_hex(32)
    registry.start()
    registry.register_agent("after-restart", hostname="new")
    # Backoff tops out at 15 s; the indicator must come back on its own.
    hub.wait_live()
    assert not hub.css(".stale-banner").is_displayed()
    hub.agent_card("after-restart")
    hub.wait(lambda d: not [c for c in hub.all(".agent-card") if c.get_attribute("data-agent-id") == "before-restart"],
             "the agent the new registry does not know to go")
    assert hub.driver.execute_script("return window.__sameDocument") is True

    # Actions work again with freshly minted tokens.
    task_id = registry.submit(skill="noop", target_agent_id="after-restart", source_agent_id="tester", payload={}, ttl=60)
    hub.goto("tasks")
    hub.wait(lambda d: any(r.get_attribute("data-task-id") == task_id for r in hub.all(".task-row")), "a task after the restart")
