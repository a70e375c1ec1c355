"""Canceling a task from its panel: an admin (or the task's submitter) cancels a pending task and the panel,
the task list and the overview show it canceled through the live stream; the button is offered only for a
task still in flight and only to those the registry lets cancel it; a cancel the registry refuses (409: the
task finished meanwhile) is shown as an error and the panel catches up with the registry."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from mesh import AGENT_KEY, HUB_KEY

# A skill no agent offers: a task asking for it stays pending.
NOBODY_SKILL = "translate_to_klingon"
CANCEL = '#drawer [data-action="cancel-task"]'

# Holds back the live stream's messages while window.__holdEvents is true, so a test can make the page's
# copy of a task fall behind the registry's (installed before the page's own scripts run).
HOLD_EVENTS = """
(() => {
  const Native = window.WebSocket;
  window.__holdEvents = false;
  window.WebSocket = class extends Native {
    addEventListener(type, listener, options) {
      if (type !== 'message') return super.addEventListener(type, listener, options);
      return super.addEventListener(type, (event) => { if (!window.__holdEvents) listener.call(this, event); }, options);
    }
  };
})();
"""


@pytest.fixture(scope="module")
def completed_task(registry):
    """A task an agent has finished: nothing left to cancel."""
    registry.register_agent("stamp-bot", skills=["stamp"], hostname="stamp-host")
    task_id = registry.submit(skill="stamp", target_agent_id="stamp-bot", source_agent_id="hub-user", payload={"doc": "invoice"}, ttl=300)
    claimed = registry.call("POST", "/api/hub/tasks/claim", {"agent_id": "stamp-bot", "wait_ms": 0}, key=AGENT_KEY)["tasks"]
    assert [t["id"] for t in claimed] == [task_id]
    registry.call("POST", f"/api/hub/tasks/{task_id}", {"state": "completed", "result": "stamped"}, key=AGENT_KEY)
    return task_id


def open_task(hub, registry, task_id):
    hub.driver.get(f"{registry.url}/#/tasks/{task_id}")
    hub.wait_live()
    hub.wait_visible("#drawer")
    hub.wait(lambda d: hub.css("#drawer-title").text == task_id, f"the panel of task {task_id}")
    hub.wait_visible("#drawer .pill")


def click_cancel(hub):
    """The button asks for a confirming second click, as the hub's other destructive actions do."""
    button = hub.wait_visible(CANCEL)
    assert button.text == "Cancel task"
    button.click()
    hub.wait(lambda d: hub.css(CANCEL).text == "Confirm cancel", "the button to ask for confirmation")
    hub.css(CANCEL).click()


def row_of(hub, task_id):
    return next((r for r in hub.all(".task-row") if r.get_attribute("data-task-id") == task_id), None)


def test_admin_cancels_a_pending_task(hub, registry):
    task_id = registry.submit(skill=NOBODY_SKILL, source_agent_id="hub-user", payload={"text": "Hello, world"}, ttl=600)
    hub.login()
    open_task(hub, registry, task_id)
    assert hub.css("#drawer .pill").text == "Pending"
    assert "Expires in" in hub.css("#drawer").text
    assert "admin (admin)" in hub.css("#drawer .details").text, "the panel names who submitted the task"
    hub.screenshot("task-cancel-pending")

    click_cancel(hub)
    hub.wait_text("#drawer .pill", "^Canceled$")
    assert hub.wait_text('[data-block="task-error"] code', "canceled by") == "canceled by admin"
    assert hub.css('[data-block="task-error"] .section-title').text.lower() == "canceled"
    hub.wait_gone(CANCEL)
    details = hub.css("#drawer .details").text
    assert "Expires in" not in details and "in flight" not in details, "a canceled task is final"
    hub.wait_text(".toast--success", f"Task {task_id} canceled")
    task = registry.task(task_id)
    assert (task["state"], task["error"]) == ("canceled", "canceled by admin")
    hub.screenshot("task-canceled")

    # The list shows it canceled, and the state filter finds it.
    hub.css(".drawer-close").click()
    hub.wait_gone("#drawer")
    row = hub.wait(lambda d: next((r for r in [row_of(hub, task_id)] if r and r.get_attribute("data-state") == "canceled"), False),
                   "the canceled row")
    assert "Canceled" in row.text
    Select(hub.css('select[name="task-state"]')).select_by_value("canceled")
    canceled = sorted(t["id"] for t in registry.tasks() if t["state"] == "canceled")
    hub.wait(lambda d: sorted(r.get_attribute("data-task-id") for r in hub.all(".task-row")) == canceled, "the canceled filter")
    Select(hub.css('select[name="task-state"]')).select_by_value("")

    # The overview counts it apart from the tasks in flight.
    hub.goto("overview")
    hub.wait_text('[data-task-state="canceled"]', rf"^{len(canceled)} canceled$")
    assert hub.all("#view-overview .meter-segment--canceled")


def test_no_cancel_for_a_finished_task(hub, registry, completed_task):
    hub.login()
    open_task(hub, registry, completed_task)
    assert hub.wait_text("#drawer .pill", "^Completed$")
    hub.wait_text('[data-block="task-result"] code', "stamped")
    assert not hub.all(CANCEL)


def test_read_only_key_may_cancel_only_what_it_submitted(hub, registry):
    others = registry.submit(skill=NOBODY_SKILL, source_agent_id="hub-user", payload={"text": "not yours"}, ttl=600)
    own = registry.call("POST", "/api/hub/tasks", {"skill": NOBODY_SKILL, "payload": {"text": "mine"}, "ttl": 600}, key=HUB_KEY)["task_id"]
    hub.login(HUB_KEY)

    # Submitted by the admin: the read-only key sees it, but no button (the registry would answer 403).
    open_task(hub, registry, others)
    assert hub.css("#drawer .pill").text == "Pending"
    assert not hub.all(CANCEL)
    status, _ = registry.api("POST", f"/api/hub/tasks/{others}/cancel", key=HUB_KEY)
    assert status == 403

    # Submitted by this key's peer: its submitter may cancel it.
    open_task(hub, registry, own)
    assert "dashboard (hub)" in hub.css("#drawer .details").text
    click_cancel(hub)
    assert hub.wait_text('[data-block="task-error"] code', "canceled by") == "canceled by dashboard"
    assert registry.task(own)["state"] == "canceled"
    assert registry.task(others)["state"] == "pending"


def test_refused_cancel_is_shown_and_the_panel_catches_up(hub, registry):
    hub.allow_console(r"/cancel - Failed to load resource: the server responded with a status of 409")
    script = hub.driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": HOLD_EVENTS})["identifier"]
    try:
        hub.driver.refresh()
        task_id = registry.submit(skill=NOBODY_SKILL, source_agent_id="hub-user", payload={"text": "race"}, ttl=600)
        hub.login()
        open_task(hub, registry, task_id)
        hub.wait_visible(CANCEL)
        # Someone else cancels it while this page hears nothing of it: the page still offers the button.
        hub.driver.execute_script("window.__holdEvents = true")
        registry.call("POST", f"/api/hub/tasks/{task_id}/cancel")
        click_cancel(hub)
        error = hub.wait_text(".toast--error", "can no longer be canceled")
        assert error == f"Could not cancel task {task_id}: task '{task_id}' is canceled and can no longer be canceled"
        # The panel fetched the registry's copy even with the stream held back.
        hub.wait_text("#drawer .pill", "^Canceled$")
        hub.wait_gone(CANCEL)
        assert hub.driver.execute_script("return window.__holdEvents") is True, "the page was reloaded"
    finally:
        hub.driver.execute_cdp_cmd("Page.removeScriptToEvaluateOnNewDocument", {"identifier": script})
        hub.driver.execute_script("window.__holdEvents = false")


def test_canceled_chat_message_is_not_shown_as_waiting(hub, registry):
    registry.register_agent("sleepy-bot", skills=["user_intervention"], hostname="sleepy-host")
    task_id = registry.submit(skill="user_intervention", target_agent_id="sleepy-bot", source_agent_id="hub-user",
                              payload={"message": "Still there?"}, ttl=300)
    hub.login()
    hub.driver.get(f"{registry.url}/#/agents/sleepy-bot")
    hub.wait_live()
    hub.wait_visible("#drawer")
    hub.wait_text("#drawer .bubble--waiting", "Waiting for the agent")
    registry.call("POST", f"/api/hub/tasks/{task_id}/cancel")
    assert hub.wait_text("#drawer .bubble--canceled", "canceled") == "canceled by admin"
    assert not hub.all("#drawer .bubble--waiting")
    exchange = hub.css(f'#drawer .chat-exchange[data-task-id="{task_id}"]')
    assert exchange.find_element(By.CSS_SELECTOR, ".bubble--canceled").get_attribute("data-task-state") == "canceled"
