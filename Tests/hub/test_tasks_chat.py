"""Tasks submitted from the UI — a chat prompt or the task form — are taken by a real worker through
the API, and their results come back to the page through the live stream (a chat answer also while it is written)."""

from __future__ import annotations

import json

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

from mesh import AGENT_KEY, TaskWorker, sidecar_key


@pytest.fixture(scope="module")
def worker(registry):
    registry.register_agent("helper-bot", skills=["user_intervention", "summarize"], hostname="bot-host", sidecar_peer_id="sc-20",
                            key=sidecar_key("sc-20"))
    worker = TaskWorker(registry, "helper-bot", answer=lambda t: answer(t["payload"]), key=sidecar_key("sc-20"))
    yield worker
    worker.stop()


def answer(payload):
    if "message" in payload:
        return f"helper-bot heard: {payload['message']}"
    return "summary of " + json.dumps(payload, sort_keys=True)


def test_chat_prompt_is_answered_by_the_agent(hub, registry, worker):
    hub.login()
    hub.goto("agents")
    hub.agent_card("helper-bot").click()
    hub.wait_visible("#drawer")
    message = hub.driver.switch_to.active_element
    assert message.get_attribute("name") == "message", "the chat box should have focus when the panel opens"
    message.send_keys("How many agents are online?")
    message.send_keys(Keys.ENTER)
    reply = hub.wait_text("#drawer .bubble--agent", "helper-bot heard")
    assert reply == "helper-bot heard: How many agents are online?"
    task = next(t for t in registry.tasks() if t["payload"] == {"message": "How many agents are online?"})
    assert (task["skill"], task["target_agent_id"], task["source_agent_id"], task["state"]) == \
        ("user_intervention", "helper-bot", "hub-user", "completed")
    assert task["id"] in worker.handled
    assert hub.css("#drawer .bubble--user").text == "How many agents are online?"
    assert message.get_attribute("value") == ""
    hub.screenshot("chat")


def test_chat_shows_a_failed_answer(hub, registry, worker):
    registry.register_agent("broken-bot", skills=["user_intervention"], hostname="bot-host")

    def fail_all():
        claimed = registry.call("POST", "/api/hub/tasks/claim", {"agent_id": "broken-bot", "wait_ms": 20000}, key=AGENT_KEY)
        for task in claimed["tasks"]:
            registry.call("POST", f"/api/hub/tasks/{task['id']}", {"state": "failed", "error": "model quota exceeded"}, key=AGENT_KEY)

    hub.login()
    hub.driver.get(registry.url + "/#/agents/broken-bot")
    hub.wait_live()
    hub.wait_visible("#drawer")
    box = hub.css('#drawer textarea[name="message"]')
    box.send_keys("Are you there?")
    hub.css("#drawer .chat-form button").click()
    hub.wait_text("#drawer .bubble--waiting", "Waiting for the agent")
    fail_all()
    assert hub.wait_text("#drawer .bubble--error", "quota") == "model quota exceeded"


def test_chat_shows_the_answer_as_it_is_written(hub, registry):
    registry.register_agent("poet-bot", skills=["user_intervention"], hostname="poet-host")
    task_id = registry.submit(skill="user_intervention", target_agent_id="poet-bot", source_agent_id="hub-user",
                              payload={"message": "A poem, please"}, ttl=300)
    claimed = registry.call("POST", "/api/hub/tasks/claim", {"agent_id": "poet-bot", "wait_ms": 0}, key=AGENT_KEY)["tasks"]
    assert [t["id"] for t in claimed] == [task_id]

    def progress(text):
        return registry.api("POST", f"/api/hub/tasks/{task_id}/progress", {"text": text}, key=AGENT_KEY)[0]

    hub.login()
    hub.driver.get(f"{registry.url}/#/agents/poet-bot")
    hub.wait_live()
    hub.wait_text("#drawer .bubble--waiting", "working on it")
    # Each event carries the whole answer so far: the bubble shows it, replaced as it grows.
    writing = "#drawer .bubble--writing .bubble-text"
    assert progress("Roses") == 200
    hub.wait_text(writing, "^Roses$")
    assert progress("Roses are red") == 200
    hub.wait_text(writing, "^Roses are red$")
    assert not hub.all("#drawer .bubble--waiting")
    hub.screenshot("chat-writing")

    # The task's panel shows it too, under its own heading.
    hub.css(f'#drawer .chat-meta a[href="#/tasks/{task_id}"]').click()
    assert hub.wait_text('[data-block="task-progress"] code', "Roses") == "Roses are red"
    assert hub.css('[data-block="task-progress"] .section-title').text.lower() == "writing…"
    hub.driver.back()

    # The final result replaces what was streamed; a late piece is refused.
    hub.wait_text(writing, "^Roses are red$")
    registry.call("POST", f"/api/hub/tasks/{task_id}", {"state": "completed", "result": "Roses are red."}, key=AGENT_KEY)
    assert hub.wait_text('#drawer .bubble--agent[data-task-state="completed"]', "red") == "Roses are red."
    assert not hub.all("#drawer .bubble--writing")
    assert progress("Roses are red, violets") == 409


def test_task_form_submits_and_the_result_arrives(hub, registry, worker):
    hub.login()
    hub.goto("tasks")
    hub.css("#view-tasks .view-header button").click()
    form = hub.wait_visible("#task-form")
    form.find_element(By.NAME, "skill").send_keys("summarize")
    Select(form.find_element(By.NAME, "target_agent_id")).select_by_value("helper-bot")
    payload = form.find_element(By.NAME, "payload")
    payload.clear()
    payload.send_keys('{"doc": "release notes", "words": 50}')
    ttl = form.find_element(By.NAME, "ttl")
    ttl.clear()
    ttl.send_keys("120")
    form.find_element(By.CSS_SELECTOR, 'button[type="submit"]').click()

    # The page moves to the new task's detail, which fills in as the worker completes it.
    result = hub.wait_text('[data-block="task-result"] code', "summary of")
    assert result == 'summary of {"doc": "release notes", "words": 50}'
    task_id = hub.css("#drawer-title").text
    task = registry.call("GET", f"/api/hub/tasks/{task_id}")
    assert (task["skill"], task["target_agent_id"], task["ttl"], task["state"]) == ("summarize", "helper-bot", 120, "completed")
    assert task["payload"] == {"doc": "release notes", "words": 50}
    assert "Completed" in hub.css("#drawer .pill").text
    hub.screenshot("task-submitted")
    hub.css(".drawer-close").click()
    row = hub.wait(lambda d: next((r for r in hub.all(".task-row") if r.get_attribute("data-task-id") == task_id), False), "the new row")
    assert "Completed" in row.text


def test_task_form_refuses_invalid_input(hub, registry, worker):
    before = len(registry.tasks())
    hub.login()
    hub.goto("tasks")
    hub.css("#view-tasks .view-header button").click()
    form = hub.wait_visible("#task-form")
    form.find_element(By.CSS_SELECTOR, 'button[type="submit"]').click()
    hub.wait_text("#task-form .form-error", "Name a skill or choose a target agent")
    form.find_element(By.NAME, "skill").send_keys("summarize")
    payload = form.find_element(By.NAME, "payload")
    payload.clear()
    payload.send_keys("{not json")
    form.find_element(By.CSS_SELECTOR, 'button[type="submit"]').click()
    hub.wait_text("#task-form .form-error", "not valid JSON")
    assert len(registry.tasks()) == before
