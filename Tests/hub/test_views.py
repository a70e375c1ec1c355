"""Each view renders the registry's real data: a seeded mesh with agents in every health state, tasks in
every state, observed DataChannels and pairing entries. Screenshots of every view go to artifacts/hub/."""

from __future__ import annotations

import json
import sqlite3
import time

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

import scenario
from hub_page import DESKTOP
from mesh import new_registry
from pysupport.waits import wait_until

# Seconds since the last heartbeat: the registry calls an agent stale after 90 s, offline after 270 s.
AGED = {"translator": 150, "scheduler": 900}


@pytest.fixture(scope="module")
def registry(registry_binary, tmp_path_factory):
    """A seeded registry whose translator and scheduler have gone quiet. Their heartbeat times are moved
    back in the database while the registry is stopped: the registry then derives stale and offline
    itself, without the test waiting minutes."""
    workdir = tmp_path_factory.mktemp("views")
    db = workdir / "registry.db"
    instance = new_registry(registry_binary, workdir, db=str(db))
    instance.start()
    mesh = scenario.build(instance)
    wait_until(lambda: sum(t["state"] == "completed" for t in instance.tasks()) == 2, "the worker to finish its two tasks", timeout=30)
    mesh.close()
    instance.stop()
    with sqlite3.connect(db) as connection:
        for agent_id, age in AGED.items():
            (body,) = connection.execute("SELECT body FROM records WHERE kind = 'agent' AND id = ?", (agent_id,)).fetchone()
            stored = json.loads(body)
            stored["lastHeartbeat"] = time.time() - age
            connection.execute("UPDATE records SET body = ? WHERE kind = 'agent' AND id = ?", (json.dumps(stored), agent_id))
    instance.start()
    health = {a["agent_id"]: a["health"] for a in instance.call("GET", "/api/registry/agents")}
    assert health["translator"] == "stale" and health["scheduler"] == "offline", health
    mesh.connect_sidecars()
    wait_until(lambda: len(instance.call("GET", "/api/hub/network/topology")["mesh_edges"]) == 13, "the sidecars' reports", timeout=30)
    yield instance
    mesh.close()
    instance.stop()


def test_overview_counts_match_the_registry(hub, registry):
    hub.login()
    agents = registry.call("GET", "/api/registry/agents")
    tasks = registry.tasks()
    active = sum(a["health"] == "active" for a in agents)
    hub.wait_text('[data-stat="agents-online"]', rf"^{active}\s*/\s*{len(agents)}$")
    in_flight = sum(t["state"] in ("pending", "assigned") for t in tasks)
    hub.wait_text('[data-stat="tasks-active"]', rf"^{in_flight}\s*of\s*{len(tasks)}$")
    for state in ("pending", "assigned", "completed", "failed"):
        count = sum(t["state"] == state for t in tasks)
        assert hub.css(f'[data-task-state="{state}"]').text == f"{count} {state}"
    waiting = sum(e["status"] == "pending_approval" for e in registry.pairing_entries())
    assert hub.css('[data-stat="approvals-waiting"]').text == str(waiting) == "1"
    # Observed links between active sidecars against a full mesh of them.
    topology = registry.call("GET", "/api/hub/network/topology")
    active_peers = {n["sidecar_peer_id"] for n in topology["nodes"] if n["health"] == "active"}
    observed = sum(e["from_peer"] in active_peers and e["to_peer"] in active_peers for e in topology["mesh_edges"])
    expected = len(active_peers) * (len(active_peers) - 1) // 2
    hub.wait_text('[data-stat="mesh-health"]', rf"^{round(100 * observed / expected)}%$")
    # The quiet agents are called out, oldest silence first.
    attention = hub.wait_text("#view-overview .panel", "Needs attention")
    assert "scheduler" in attention and "translator" in attention
    assert attention.index("scheduler") < attention.index("translator")
    hub.screenshot("overview")


def test_agents_view_shows_every_agent_with_health_and_details(hub, registry):
    hub.login()
    hub.goto("agents")
    agents = registry.call("GET", "/api/registry/agents")
    hub.wait(lambda d: len(hub.all(".agent-card")) == len(agents), "a card per agent")
    for agent in agents:
        card = hub.agent_card(agent["agent_id"])
        text = card.text
        assert agent["hostname"] in text and agent["sidecar_peer_id"] in text
        assert f"{agent['ip']}:{agent['port']}" in text
        assert agent["health"].capitalize() in card.find_element(By.CSS_SELECTOR, ".pill").text
        assert f"health--{agent['health']}" in card.get_attribute("class")
        skills = [c.text for c in card.find_elements(By.CSS_SELECTOR, ".chip")]
        shown = agent["capabilities"]["skills"][:5]
        assert skills[: len(shown)] == shown
        if len(agent["capabilities"]["skills"]) > 5:
            assert skills[-1] == f"+{len(agent['capabilities']['skills']) - 5}"
    # Search narrows by skill; the health filter by health.
    search = hub.css('input[name="agent-search"]')
    search.send_keys("review_pr")
    hub.wait(lambda d: [c.get_attribute("data-agent-id") for c in hub.all(".agent-card")] == ["code-reviewer"], "search by skill")
    search.send_keys(Keys.CONTROL, "a")
    search.send_keys(Keys.BACKSPACE)
    Select(hub.css('select[name="agent-health"]')).select_by_value("offline")
    hub.wait(lambda d: [c.get_attribute("data-agent-id") for c in hub.all(".agent-card")] == ["scheduler"], "filter by health")
    Select(hub.css('select[name="agent-health"]')).select_by_value("")
    hub.wait(lambda d: len(hub.all(".agent-card")) == len(agents), "all cards again")
    hub.screenshot("agents", full_page=True)


def test_agent_details_open_from_the_keyboard(hub, registry):
    hub.login()
    hub.goto("agents")
    card = hub.agent_card("research-assistant")
    hub.driver.execute_script("arguments[0].focus()", card)
    card.send_keys(Keys.ENTER)
    drawer = hub.wait_visible("#drawer")
    assert hub.css("#drawer-title").text == "research-assistant"
    details = drawer.text
    assert "mbp-ana.local" in details and "10.0.4.21:8001" in details and "filesystem" in details
    # Mesh links name the agents behind the reported sidecars.
    links = hub.wait_text("#drawer", "code-reviewer")
    assert "travel-planner" in links
    # The earlier hub chat with this agent is shown with its answer.
    hub.wait_text("#drawer .bubble--agent", r"^Summary ready: What changed in the mesh today\?$")
    hub.screenshot("agent-details")
    hub.driver.switch_to.active_element.send_keys(Keys.ESCAPE)
    hub.wait_gone("#drawer")
    hub.wait(lambda d: d.current_url.endswith("#/agents"), "the route back to the list")
    # Focus returns to the card that opened the panel.
    hub.wait(lambda d: d.switch_to.active_element.get_attribute("data-agent-id") == "research-assistant", "focus back on the card")


def test_tasks_table_filters_and_detail(hub, registry):
    hub.login()
    hub.goto("tasks")
    tasks = registry.tasks()
    hub.wait(lambda d: len(hub.all(".task-row")) == len(tasks), "a row per task")
    newest_first = [t["id"] for t in sorted(tasks, key=lambda t: t["created_at"], reverse=True)]
    assert [r.get_attribute("data-task-id") for r in hub.all(".task-row")] == newest_first
    hub.screenshot("tasks")

    def shown_ids():
        return sorted(r.get_attribute("data-task-id") for r in hub.all(".task-row"))

    failed = [t for t in tasks if t["state"] == "failed"]
    Select(hub.css('select[name="task-state"]')).select_by_value("failed")
    hub.wait(lambda d: shown_ids() == sorted(t["id"] for t in failed), "the state filter")
    Select(hub.css('select[name="task-state"]')).select_by_value("")
    Select(hub.css('select[name="task-skill"]')).select_by_value("forecast")
    hub.wait(lambda d: shown_ids() == sorted(t["id"] for t in tasks if t["skill"] == "forecast"), "the skill filter")
    Select(hub.css('select[name="task-skill"]')).select_by_value("")
    Select(hub.css('select[name="task-agent"]')).select_by_value("research-assistant")
    involving = [t["id"] for t in tasks if "research-assistant" in (t["target_agent_id"], t["assigned_agent_id"], t["source_agent_id"])]
    hub.wait(lambda d: shown_ids() == sorted(involving), "the agent filter")
    Select(hub.css('select[name="task-agent"]')).select_by_value("")

    # Detail of the failed task: routing, payload and the agent's error.
    task = failed[0]
    hub.css(f'.task-row[data-task-id="{task["id"]}"] a').click()
    hub.wait_visible("#drawer")
    payload = json.loads(hub.wait_text('[data-block="task-payload"] code', "chatixia/mesh"))
    assert payload == task["payload"]
    assert hub.css('[data-block="task-error"] code').text == task["error"] == "linter crashed: exit status 2"
    assert "ops-sentinel" in hub.css("#drawer").text
    hub.css(".drawer-close").click()
    hub.wait_gone("#drawer")

    completed = next(t for t in tasks if t["skill"] == "summarize")
    hub.css(f'.task-row[data-task-id="{completed["id"]}"] a').click()
    assert hub.wait_text('[data-block="task-result"] code', "Summary ready") == completed["result"]
    hub.screenshot("task-details")


def test_topology_draws_observed_links_colored_by_health(hub, registry):
    hub.login()
    hub.goto("topology")
    topology = registry.call("GET", "/api/hub/network/topology")
    hub.wait(lambda d: len(hub.all(".topology-svg .node")) == len(topology["nodes"]), "a node per agent")
    assert len(hub.all(".topology-svg .edge")) == len(topology["mesh_edges"]) == 13
    for node in topology["nodes"]:
        element = hub.css(f'.topology-svg .node[data-key="peer:{node["sidecar_peer_id"]}"]')
        assert f"node--{node['health']}" in element.get_attribute("class")
    # The health colors are the design tokens.
    fills = {health: hub.driver.execute_script(
        "return getComputedStyle(document.querySelector(arguments[0])).fill", f".topology-svg .node--{health} .node-dot")
        for health in ("active", "stale", "offline")}
    assert fills == {"active": "rgb(22, 163, 74)", "stale": "rgb(217, 119, 6)", "offline": "rgb(220, 38, 38)"}
    # Focusing a node highlights exactly its links and lists its peers.
    research = hub.css('.topology-svg .node[data-key="peer:sc-01"]')
    hub.driver.execute_script("arguments[0].focus()", research)
    linked = [e for e in topology["mesh_edges"] if "sc-01" in (e["from_peer"], e["to_peer"])]
    hub.wait(lambda d: len(hub.all(".topology-svg .edge.is-linked")) == len(linked), "the focused node's links")
    assert f"{len(linked)} links" in hub.css(".topology-selection").text
    hub.screenshot("topology")


def test_approvals_view_lists_entries_by_status(hub, registry):
    hub.login()
    hub.goto("approvals")
    entries = registry.pairing_entries()
    for status, name in (("pending", "edge-device-7"), ("approved", "lab-runner"), ("history", "unknown-laptop")):
        hub.wait_text(f'[data-list="{status}"] .entry', name)
    pending = hub.css('[data-list="pending"] .entry')
    assert [b.text for b in pending.find_elements(By.TAG_NAME, "button")] == ["Approve", "Reject"]
    approved = hub.css('[data-list="approved"] .entry')
    assert [b.text for b in approved.find_elements(By.TAG_NAME, "button")] == ["Revoke"]
    assert not hub.css('[data-list="history"] .entry').find_elements(By.TAG_NAME, "button")
    entry = next(e for e in entries if e["agent_name"] == "edge-device-7")
    assert entry["peer_id"] in pending.text and entry["id"] in pending.text
    hub.css('[data-action="generate-code"]').click()
    hub.wait_text(".invite-code", r"^\d{6}$")
    hub.screenshot("approvals")


PHONE_WIDTH = 390


@pytest.mark.parametrize("view", ["overview", "agents", "tasks", "topology", "keys"])
def test_phone_layout_fits_the_screen(hub, registry, view):
    hub.use_viewport(PHONE_WIDTH, 844, mobile=True, scale=2)
    try:
        hub.login()
        hub.goto(view)
        hub.wait(lambda d: hub.driver.execute_script("return document.querySelectorAll('.view:not([hidden]) *').length") > 20, "the view to render")
        # Nothing but the topology graph's own scroll area may be wider than the phone.
        width = hub.driver.execute_script("return document.documentElement.scrollWidth")
        assert width <= PHONE_WIDTH, f"page is {width}px wide on a {PHONE_WIDTH}px phone"
        hub.screenshot(f"phone-{view}")
    finally:
        hub.use_viewport(*DESKTOP)
