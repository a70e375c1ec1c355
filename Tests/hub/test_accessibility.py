"""Keyboard use and reduced motion."""

from __future__ import annotations

from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys


def active(hub):
    return hub.driver.switch_to.active_element


def test_views_are_reachable_with_the_keyboard(hub, registry):
    registry.register_agent("keyboard-agent", hostname="kb")
    hub.login()
    # On a freshly loaded page, Tab goes to the skip link, the brand, then the view tabs.
    hub.driver.refresh()
    hub.wait_live()
    ActionChains(hub.driver).send_keys(Keys.TAB).perform()
    assert active(hub).text == "Skip to content"
    reached = []
    for _ in range(8):
        active(hub).send_keys(Keys.TAB)
        view = active(hub).get_attribute("data-view")
        if view:
            reached.append(view)
        if view == "approvals":
            break
    assert reached == ["overview", "agents", "tasks", "topology", "approvals"]
    # Enter on a tab switches the view.
    active(hub).send_keys(Keys.SHIFT, Keys.TAB)
    active(hub).send_keys(Keys.SHIFT, Keys.TAB)
    active(hub).send_keys(Keys.SHIFT, Keys.TAB)
    assert active(hub).get_attribute("data-view") == "agents"
    active(hub).send_keys(Keys.ENTER)
    hub.wait_visible("#view-agents")
    assert hub.css('.tab[data-view="agents"]').get_attribute("aria-current") == "page"
    # Every focusable thing shows a visible focus ring.
    card = hub.agent_card("keyboard-agent")
    hub.driver.execute_script("arguments[0].focus()", card)
    shadow = hub.driver.execute_script("return getComputedStyle(document.activeElement).boxShadow")
    assert "0, 207, 252" in shadow, shadow


def test_reduced_motion_stops_animations(hub, registry):
    hub.driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-reduced-motion", "value": "reduce"}]})
    try:
        hub.driver.refresh()
        hub.login()
        dot_animation = hub.driver.execute_script("return getComputedStyle(document.querySelector('.connection-dot')).animationName")
        assert dot_animation == "none"
        durations = hub.driver.execute_script(
            "return [...document.querySelectorAll('.view, .button, .agent-card, .tab')].map(e => parseFloat(getComputedStyle(e).transitionDuration) || 0)")
        assert max(durations) < 0.001
    finally:
        hub.driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": []})
