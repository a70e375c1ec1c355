"""Nothing that agents send is ever rendered as HTML, the key stays in the tab's session, sign-in
refuses keys the hub should not take, and the registry sends a strict CSP with the hub."""

from __future__ import annotations

import json
import urllib.request

from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.common.by import By

from mesh import ADMIN_KEY, AGENT_KEY, Sidecar, sidecar_key

XSS_NAME = "<img src=x onerror=alert(1)>"
XSS_HOST = "<script>window.__pwned = 'host'</script>"
XSS_SKILL = "<b onmouseover=alert(2)>bold</b>"
XSS_MESSAGE = '<img src=x onerror="window.__pwned = \'payload\'">'
XSS_RESULT = "<iframe srcdoc='<script>parent.__pwned=1</script>'></iframe>"


def assert_nothing_injected(hub):
    markup = hub.driver.execute_script("""
        return {
            imgs: document.querySelectorAll('img').length,
            scripts: [...document.scripts].map(s => s.src).filter(src => !src.endsWith('/js/app.js')).length,
            bold: document.querySelectorAll('b').length,
            frames: document.querySelectorAll('iframe').length,
            pwned: window.__pwned ?? null,
        }""")
    assert markup == {"imgs": 0, "scripts": 0, "bold": 0, "frames": 0, "pwned": None}
    try:
        alert = hub.driver.switch_to.alert
        raise AssertionError(f"an alert opened: {alert.text}")
    except NoAlertPresentException:
        pass


def test_markup_from_agents_is_shown_as_text(hub, registry):
    xss_key = sidecar_key("sc-50")
    registry.register_agent(XSS_NAME, skills=[XSS_SKILL, "user_intervention"], hostname=XSS_HOST, sidecar_peer_id="sc-50", key=xss_key)
    registry.register_agent("honest-agent", hostname="h", sidecar_peer_id="sc-51", key=sidecar_key("sc-51"))
    sidecar = Sidecar(registry, "sc-50")
    sidecar.report(["sc-51"])
    task_id = registry.submit(skill="user_intervention", target_agent_id=XSS_NAME, source_agent_id="hub-user",
                              payload={"message": XSS_MESSAGE}, ttl=300)
    claimed = registry.call("POST", "/api/hub/tasks/claim", {"agent_id": XSS_NAME, "wait_ms": 0}, key=xss_key)["tasks"]
    assert [t["id"] for t in claimed] == [task_id]
    registry.call("POST", f"/api/hub/tasks/{task_id}", {"state": "completed", "result": XSS_RESULT}, key=xss_key)
    try:
        hub.login()
        hub.goto("agents")
        card = hub.agent_card(XSS_NAME)
        assert card.find_element(By.CSS_SELECTOR, ".agent-name").text == XSS_NAME
        assert XSS_HOST in card.text
        assert XSS_SKILL in [chip.text for chip in card.find_elements(By.CSS_SELECTOR, ".chip")]
        assert_nothing_injected(hub)

        # The details and the chat: the prompt and the agent's answer are text too.
        card.click()
        hub.wait_visible("#drawer")
        assert hub.css("#drawer-title").text == XSS_NAME
        assert hub.wait_text("#drawer .bubble--user", "onerror") == XSS_MESSAGE
        assert hub.wait_text("#drawer .bubble--agent", "iframe") == XSS_RESULT
        assert_nothing_injected(hub)
        hub.screenshot("xss-as-text")
        hub.css(".drawer-close").click()

        # The task table and detail, and the topology labels.
        hub.goto("tasks")
        hub.css(f'.task-row[data-task-id="{task_id}"] a').click()
        assert json.loads(hub.wait_text('[data-block="task-payload"] code', "onerror")) == {"message": XSS_MESSAGE}
        assert hub.css('[data-block="task-result"] code').text == XSS_RESULT
        hub.css(".drawer-close").click()
        hub.goto("topology")
        # Long labels are shortened on the graph; the node's accessible name carries the whole name.
        hub.wait(lambda d: any((n.get_attribute("aria-label") or "").startswith(XSS_NAME + ",") for n in hub.all(".topology-svg .node")), "the node")
        assert any(label.text.startswith("<img src=x") for label in hub.all(".topology-svg .node-label"))
        assert_nothing_injected(hub)
    finally:
        sidecar.close()


def test_key_lives_only_in_the_tab_session(hub, registry):
    hub.login()
    storage = hub.driver.execute_script(
        "return {session: Object.values(sessionStorage), local: localStorage.length, cookies: document.cookie}")
    assert ADMIN_KEY in storage["session"]
    assert storage["local"] == 0 and storage["cookies"] == ""
    # A reload of the same tab resumes the session without asking again...
    hub.driver.refresh()
    hub.wait_live()
    # ...and signing out forgets the key.
    hub.css("#sign-out").click()
    hub.wait_visible("#login-key")
    assert ADMIN_KEY not in hub.driver.execute_script("return Object.values(sessionStorage)")


def test_sign_in_refuses_wrong_and_agent_keys(hub, registry):
    hub.allow_console(r"api/token - Failed to load resource: the server responded with a status of 401")
    key_input = hub.wait_visible("#login-key")
    hub.screenshot("login")
    key_input.send_keys("not-a-key-at-all")
    hub.css("#login-submit").click()
    assert "invalid API key" in hub.wait_text("#login-error", "refused")
    key_input.clear()
    key_input.send_keys(AGENT_KEY)
    hub.css("#login-submit").click()
    hub.wait_text("#login-error", "role 'agent'")
    assert hub.css("#app").is_displayed() is False
    assert hub.driver.execute_script("return sessionStorage.length") == 0


def test_registry_serves_the_hub_with_a_strict_csp(registry):
    for path in ("/", "/js/app.js", "/styles.css"):
        with urllib.request.urlopen(registry.url + path) as response:
            csp = response.headers["Content-Security-Policy"]
            assert "script-src 'self'" in csp and "style-src 'self'" in csp and "unsafe-inline" not in csp
            assert response.headers["X-Content-Type-Options"] == "nosniff"
            if path.endswith(".js"):  # module scripts load only with a JavaScript type under nosniff
                assert "javascript" in response.headers["Content-Type"]


def test_jwt_is_reminted_before_it_expires(hub, registry):
    registry.register_agent("clock-agent", skills=["noop"], hostname="c")
    hub.login()
    count_mints = "return performance.getEntriesByType('resource').filter(e => e.name.endsWith('/api/token')).length"
    mints = hub.driver.execute_script(count_mints)
    # Four and a half minutes later (the JWT lives five), the next API call must use a freshly minted token.
    hub.driver.execute_script("const real = Date.now; Date.now = () => real() + 270000")
    hub.driver.get(registry.url + "/#/agents/clock-agent")
    hub.wait_visible("#drawer")
    box = hub.css('#drawer textarea[name="message"]')
    box.send_keys("ping")
    hub.css("#drawer .chat-form button").click()
    hub.wait_text("#drawer .bubble--user", "^ping$")
    assert hub.driver.execute_script(count_mints) == mints + 1
    assert any(t["payload"] == {"message": "ping"} for t in registry.tasks())
