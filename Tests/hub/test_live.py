"""Changes made through the API reach an open page through the event stream, without a reload."""

from __future__ import annotations

from selenium.webdriver.common.by import By

from mesh import AGENT_KEY, Sidecar, sidecar_key


def mark_page(hub):
    """A value that only survives if the page is never reloaded."""
    hub.driver.execute_script("window.__sameDocument = 'still here'")


def assert_not_reloaded(hub):
    assert hub.driver.execute_script("return window.__sameDocument") == "still here", "the page was reloaded"


def test_agents_appear_change_and_disappear_live(hub, registry):
    hub.login()
    hub.goto("agents")
    mark_page(hub)
    # The agent and its sidecar sc-30 share a credential, as in a real deployment.
    key = sidecar_key("sc-30")
    registry.register_agent("late-joiner", skills=["weather"], hostname="first-host", sidecar_peer_id="sc-30", key=key)
    card = hub.agent_card("late-joiner")
    assert "first-host" in card.text and "weather" in card.text
    hub.wait_text('[data-count="agents"]', r"^1/1$")

    registry.call("POST", "/api/hub/heartbeat", {"agent_id": "late-joiner", "hostname": "moved-host", "skill_names": ["weather", "tides"]}, key=key)
    hub.wait(lambda d: "moved-host" in hub.agent_card("late-joiner").text and "tides" in hub.agent_card("late-joiner").text, "the heartbeat's changes")

    registry.call("DELETE", "/api/registry/agents/late-joiner", key=key)
    hub.wait(lambda d: not [c for c in hub.all(".agent-card") if c.get_attribute("data-agent-id") == "late-joiner"], "the card to go")
    assert_not_reloaded(hub)


def test_task_states_follow_the_queue_live(hub, registry):
    registry.register_agent("queue-worker", skills=["resize"], hostname="w1")
    hub.login()
    hub.goto("tasks")
    mark_page(hub)
    task_id = registry.submit(skill="resize", source_agent_id="tester", payload={"w": 64}, ttl=300)

    def row_state():
        rows = [r for r in hub.all(".task-row") if r.get_attribute("data-task-id") == task_id]
        return rows[0].get_attribute("data-state") if rows else None

    hub.wait(lambda d: row_state() == "pending", "the pending task")
    hub.wait_text('[data-count="tasks"]', "^1$")
    claimed = registry.call("POST", "/api/hub/tasks/claim", {"agent_id": "queue-worker", "wait_ms": 0}, key=AGENT_KEY)["tasks"]
    assert [t["id"] for t in claimed] == [task_id]
    hub.wait(lambda d: row_state() == "assigned", "the assignment")
    assert "queue-worker" in next(r for r in hub.all(".task-row") if r.get_attribute("data-task-id") == task_id).text
    registry.call("POST", f"/api/hub/tasks/{task_id}", {"state": "completed", "result": "64x64"}, key=AGENT_KEY)
    hub.wait(lambda d: row_state() == "completed", "the completion")
    hub.wait(lambda d: hub.css('[data-count="tasks"]').text == "", "the in-flight badge to clear")
    assert_not_reloaded(hub)


def test_topology_follows_mesh_status_reports_live(hub, registry):
    for index in (41, 42, 43):
        registry.register_agent(f"mesh-node-{index}", hostname="n", sidecar_peer_id=f"sc-{index}", key=sidecar_key(f"sc-{index}"))
    hub.login()
    hub.goto("topology")
    mark_page(hub)
    hub.wait(lambda d: len(hub.all(".topology-svg .node")) >= 3, "the nodes")
    edges_before = len(hub.all(".topology-svg .edge"))
    sidecar = Sidecar(registry, "sc-41")
    try:
        sidecar.report(["sc-42", "sc-43"])
        hub.wait(lambda d: len(hub.all(".topology-svg .edge")) == edges_before + 2, "two new links")
        linked = {(e.get_attribute("data-a"), e.get_attribute("data-b")) for e in hub.all(".topology-svg .edge")}
        assert {("peer:sc-41", "peer:sc-42"), ("peer:sc-41", "peer:sc-43")} <= linked
    finally:
        sidecar.close()
    # A sidecar whose signaling connection ends withdraws its report.
    hub.wait(lambda d: len(hub.all(".topology-svg .edge")) == edges_before, "the links to go with the sidecar")
    assert_not_reloaded(hub)


def test_overview_counters_update_live(hub, registry):
    hub.login()
    mark_page(hub)
    # The counter is empty until the first snapshot renders it.
    before = hub.wait_text('[data-stat="approvals-waiting"]', r"^\d+$")
    code = registry.call("POST", "/api/pairing/generate-code")["code"]
    registry.redeem_code(code, "live-counter-device")
    hub.wait_text('[data-stat="approvals-waiting"]', rf"^{int(before) + 1}$")
    hub.wait_text('[data-count="approvals"]', rf"^{int(before) + 1}$")
    assert hub.css(".tab-count--alert").is_displayed()
    assert hub.css('.tab[data-view="approvals"]').find_element(By.CSS_SELECTOR, ".tab-count").text == str(int(before) + 1)
    assert_not_reloaded(hub)
