"""Sign-in under the registry's failed-authentication limit: once an address has guessed too many wrong keys,
`/api/token` answers 429 with Retry-After, and the hub says how long to wait instead of calling the
registry unreachable."""

from __future__ import annotations

import re

import pytest

from mesh import new_registry

LIMIT = 3  # failed authentications per minute per address


@pytest.fixture(scope="module")
def registry(registry_binary, tmp_path_factory):
    """A registry of its own: a limited address is refused everywhere for the rest of the minute."""
    instance = new_registry(registry_binary, tmp_path_factory.mktemp("rate-limit"), env={"FAILED_AUTH_PER_MINUTE": str(LIMIT)}).start()
    yield instance
    instance.stop()


def test_too_many_wrong_keys_say_how_long_to_wait(hub, registry):
    hub.allow_console(r"api/token - Failed to load resource: the server responded with a status of (401|429)")
    key_input = hub.wait_visible("#login-key")
    message = ""
    for attempt in range(1, LIMIT + 2):
        key_input.clear()
        key_input.send_keys(f"wrong-key-{attempt}")
        hub.css("#login-submit").click()
        # Each attempt answers anew: wait for the button to come back before reading the message.
        hub.wait(lambda d: hub.css("#login-submit").is_enabled() and hub.css("#login-error").is_displayed(), "the answer to the sign-in")
        message = hub.css("#login-error").text
        if attempt <= LIMIT:
            assert "invalid API key" in message, (attempt, message)
    waited = re.fullmatch(r"Too many attempts; retry in (\d+) s\.", message)
    assert waited, message
    assert 1 <= int(waited.group(1)) <= 60
    # The registry answered 429 (the browser saw the status), not a network failure. A resource timing entry is
    # added once its response has ended, which may come after the page has shown the message.
    token_statuses = "return performance.getEntriesByType('resource').filter(e => e.name.endsWith('/api/token')).map(e => e.responseStatus)"
    statuses = hub.wait(lambda d: (found := d.execute_script(token_statuses)) and len(found) == LIMIT + 1 and found, "every attempt's timing entry")
    assert statuses == [401] * LIMIT + [429], statuses
    assert "could not be reached" not in hub.driver.page_source
    assert hub.css("#app").is_displayed() is False
    hub.screenshot("login-rate-limited")
