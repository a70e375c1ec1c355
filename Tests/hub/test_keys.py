"""API key management in the hub: an admin creates a key, sees it exactly once, the key works against the
API, and revoking it in the UI ends it at once; the read-only hub role gets no Keys view (the API refuses it
anyway). The view is held to the hub's standards: labelled controls, keyboard focus, text never markup."""

from __future__ import annotations

import re

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from mesh import HUB_KEY, ApiError

PEER = "build-agent-7"
LABEL = "CI runner <b>3</b>"  # markup in a label stays text


def key_row(hub, key_id):
    return hub.wait(lambda d: next((r for r in hub.all("#view-keys .key-row") if r.get_attribute("data-key-id") == key_id), False),
                    f"the row of key {key_id}")


def test_admin_creates_sees_once_uses_and_revokes_a_key(hub, registry):
    hub.login()
    hub.goto("keys")
    listed = registry.call("GET", "/api/keys")
    hub.wait(lambda d: len(hub.all("#view-keys .key-row")) == len(listed), "a row per key")
    admin_row = key_row(hub, next(k["id"] for k in listed if k["peer_id"] == "admin"))
    assert "Keys file" in admin_row.text and "Admin" in admin_row.text and "Active" in admin_row.text

    # An empty peer id is refused before anything is sent.
    form = hub.css("#key-form")
    form.find_element(By.CSS_SELECTOR, 'button[type="submit"]').click()
    hub.wait_text("#key-form .form-error", "Name the peer ID")
    assert len(registry.call("GET", "/api/keys")) == len(listed)

    form.find_element(By.NAME, "peer_id").send_keys(PEER)
    form.find_element(By.NAME, "role").send_keys("Agent")
    form.find_element(By.NAME, "label").send_keys(LABEL)
    form.find_element(By.CSS_SELECTOR, 'button[type="submit"]').click()

    # The new key, once, with a copy button and the note that it will not be shown again.
    panel = hub.wait_visible("#new-key")
    secret = hub.wait_text("#new-key .new-key-value", r"^ak_[0-9a-f]{40}$")
    assert "Shown once" in panel.text and "cannot show it again" in panel.text
    assert hub.css("#h-created-key").text == f"New key for {PEER}"
    assert hub.css('[data-action="copy-key"]').is_displayed()
    assert hub.driver.switch_to.active_element.get_attribute("id") == "new-key", "focus should move to the new key"
    hub.screenshot("keys-created")

    # The registry has it, without its secret anywhere in the listing.
    created = next(k for k in registry.call("GET", "/api/keys") if k["peer_id"] == PEER)
    assert (created["role"], created["label"], created["source"], created["revoked"]) == ("agent", LABEL, "api", False)
    assert "key" not in created
    assert hub.css("#new-key .new-key-detail").text == f"Agent key {created['id']} · {LABEL}"

    # The key works against the API.
    status, agents = registry.api("GET", "/api/registry/agents", key=secret)
    assert status == 200 and isinstance(agents, list)

    # Its row: the label is text, not markup.
    row = key_row(hub, created["id"])
    assert PEER in row.text and LABEL in row.text and "Created here" in row.text and "Active" in row.text
    assert not hub.driver.execute_script("return document.querySelectorAll('#view-keys b').length")

    # Hiding the key removes it from the page for good; reopening the view does not bring it back.
    hub.css('[data-action="hide-key"]').click()
    hub.wait_gone("#new-key")
    assert secret not in hub.driver.page_source
    hub.goto("agents")
    hub.goto("keys")
    key_row(hub, created["id"])
    assert secret not in hub.driver.page_source

    # Revoking takes a confirming second click.
    revoke = key_row(hub, created["id"]).find_element(By.CSS_SELECTOR, '[data-action="revoke-key"]')
    assert revoke.accessible_name == f"Revoke key {created['id']} of {PEER}"
    revoke.click()
    assert revoke.text == "Confirm revoke"
    assert registry.api("GET", "/api/registry/agents", key=secret)[0] == 200
    revoke.click()
    hub.wait(lambda d: key_row(hub, created["id"]).get_attribute("data-revoked") == "true", "the row to show the revocation")
    row = key_row(hub, created["id"])
    assert "Revoked" in row.text and not row.find_elements(By.CSS_SELECTOR, "button")
    assert next(k for k in registry.call("GET", "/api/keys") if k["id"] == created["id"])["revoked"] is True

    # The revoked key is refused at once.
    status, body = registry.api("GET", "/api/registry/agents", key=secret)
    assert status == 401, body
    hub.screenshot("keys-revoked")


def test_keys_view_is_labelled_and_keyboard_friendly(hub, registry):
    hub.login()
    # The Keys tab follows Approvals in the tab order.
    approvals = hub.css('.tab[data-view="approvals"]')
    hub.driver.execute_script("arguments[0].focus()", approvals)
    hub.driver.switch_to.active_element.send_keys(Keys.TAB)
    assert hub.driver.switch_to.active_element.get_attribute("data-view") == "keys"
    hub.driver.switch_to.active_element.send_keys(Keys.ENTER)
    hub.wait_visible("#view-keys")
    assert hub.css('.tab[data-view="keys"]').get_attribute("aria-current") == "page"
    assert hub.driver.title.startswith("Keys")
    hub.wait(lambda d: hub.all("#view-keys .key-row"), "the key list")
    # Every control has an accessible name; the table has a caption and column headers.
    controls = hub.all("#view-keys input, #view-keys select, #view-keys button")
    unnamed = [c.get_attribute("outerHTML")[:80] for c in controls if c.is_displayed() and not (c.accessible_name or "").strip()]
    assert controls and not unnamed, unnamed
    assert hub.css("#view-keys caption").get_attribute("textContent") == "API keys, newest first"
    assert all(th.get_attribute("scope") == "col" for th in hub.all("#view-keys th"))
    assert [h.text for h in hub.all("#view-keys h1")] == ["API keys"]
    # A visible focus ring on the form's controls.
    peer = hub.css('#key-form input[name="peer_id"]')
    peer.click()
    focus_shadow = "return getComputedStyle(document.activeElement).boxShadow"
    hub.wait(lambda d: "0, 207, 252" in d.execute_script(focus_shadow), "the focus ring (after its transition)")
    hub.screenshot("keys", full_page=True)


def test_hub_role_sees_no_keys_view(hub, registry):
    hub.login(HUB_KEY)
    assert not hub.css('.tab[data-view="keys"]').is_displayed()
    hub.driver.get(hub.registry.url + "/#/keys")
    hub.wait_live()
    hub.wait_text("#view-keys", "Admins only")
    assert not hub.all("#view-keys [data-action], #view-keys form, #view-keys .key-row")
    assert not re.search(r"key_[0-9a-f]{8}", hub.css("#view-keys").text)
    # The registry refuses the role too.
    with pytest.raises(ApiError) as refused:
        registry.call("GET", "/api/keys", key=HUB_KEY)
    assert refused.value.status == 403
