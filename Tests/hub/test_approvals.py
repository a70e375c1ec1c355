"""Pairing administration done in the UI changes the registry's state, and the read-only hub role gets
no pairing controls at all (the API refuses it anyway)."""

from __future__ import annotations

import re

import pytest
from selenium.webdriver.common.by import By

from mesh import HUB_KEY, ApiError


def entry_status(registry, name):
    return {e["agent_name"]: e["status"] for e in registry.pairing_entries()}.get(name)


def entry_row(hub, list_name, agent_name):
    return hub.wait(lambda d: next((row for row in hub.all(f'[data-list="{list_name}"] .entry')
                                    if row.find_element(By.CSS_SELECTOR, ".entry-name").text == agent_name), False),
                    f"{agent_name} in the {list_name} list")


def test_invite_code_approve_and_revoke_from_the_ui(hub, registry):
    hub.login()
    hub.goto("approvals")
    hub.css('[data-action="generate-code"]').click()
    code = hub.wait_text(".invite-code", r"^\d{6}$")
    # The code's validity counts down from five minutes.
    countdown = hub.wait_text(".invite-expiry", r"^[45]:\d\d$")
    assert re.match(r"^(4:[0-5]\d|5:00)$", countdown), countdown

    # An agent redeems the code: the request appears without a reload.
    redeemed = registry.redeem_code(code, "field-sensor-12")
    row = entry_row(hub, "pending", "field-sensor-12")
    assert redeemed["peer_id"] in row.text
    assert hub.css('[data-count="approvals"]').text == "1"

    row.find_element(By.CSS_SELECTOR, '[data-action="approve"]').click()
    approved = entry_row(hub, "approved", "field-sensor-12")
    assert entry_status(registry, "field-sensor-12") == "approved"
    assert not [r for r in hub.all('[data-list="pending"] .entry') if "field-sensor-12" in r.text]

    # Revoking takes a confirming second click.
    revoke = approved.find_element(By.CSS_SELECTOR, '[data-action="revoke"]')
    revoke.click()
    assert revoke.text == "Confirm revoke"
    assert entry_status(registry, "field-sensor-12") == "approved"
    revoke.click()
    entry_row(hub, "history", "field-sensor-12")
    assert entry_status(registry, "field-sensor-12") == "revoked"


def test_reject_from_the_ui(hub, registry):
    hub.login()
    hub.goto("approvals")
    code = registry.call("POST", "/api/pairing/generate-code")["code"]
    registry.redeem_code(code, "stranger-laptop")
    row = entry_row(hub, "pending", "stranger-laptop")
    row.find_element(By.CSS_SELECTOR, '[data-action="reject"]').click()
    entry_row(hub, "history", "stranger-laptop")
    assert entry_status(registry, "stranger-laptop") == "rejected"


def test_hub_role_sees_no_pairing_controls(hub, registry):
    code = registry.call("POST", "/api/pairing/generate-code")["code"]
    registry.redeem_code(code, "waiting-device")
    hub.login(HUB_KEY)
    assert hub.css("#identity").text == "dashboard · read-only"
    assert not hub.css('.tab[data-view="approvals"]').is_displayed()
    hub.wait_text('[data-stat="approvals-waiting"]', "^—$")
    hub.screenshot("hub-role-overview")
    hub.driver.get(hub.registry.url + "/#/approvals")
    hub.wait_live()
    hub.wait_text("#view-approvals", "Admins only")
    assert not hub.all("[data-action]"), "pairing controls rendered for the read-only role"
    assert "waiting-device" not in hub.driver.page_source
    # The registry refuses the role too: the hidden buttons would not have worked.
    for method, path in (("POST", "/api/pairing/generate-code"), ("GET", "/api/pairing/all")):
        with pytest.raises(ApiError) as refused:
            registry.call(method, path, key=HUB_KEY)
        assert refused.value.status == 403
