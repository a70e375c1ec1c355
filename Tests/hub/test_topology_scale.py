"""The topology stays readable at the mesh's design limit of 50 agents (ADR-002)."""

from __future__ import annotations

import itertools

import pytest

from mesh import Sidecar, sidecar_key

AGENT_COUNT = 50


@pytest.fixture(scope="module")
def mesh50(registry):
    for i in range(1, AGENT_COUNT + 1):
        skills = ["user_intervention"] + (["summarize"] if i % 3 == 0 else [])
        registry.register_agent(f"agent-{i:02d}-{['alpha', 'bravo', 'charlie', 'delta', 'echo'][i % 5]}", skills=skills,
                                hostname=f"node-{i:02d}", sidecar_peer_id=f"sc-{i:02d}", key=sidecar_key(f"sc-{i:02d}"))
    # Every other sidecar reports channels to its next four neighbours on the ring.
    sidecars = []
    for i in range(1, AGENT_COUNT + 1, 2):
        sidecar = Sidecar(registry, f"sc-{i:02d}")
        sidecar.report([f"sc-{(i + k - 1) % AGENT_COUNT + 1:02d}" for k in range(1, 5)])
        sidecars.append(sidecar)
    yield sidecars
    for sidecar in sidecars:
        sidecar.close()


def test_fifty_agents_do_not_overlap(hub, registry, mesh50):
    hub.login()
    hub.goto("topology")
    edges = registry.call("GET", "/api/hub/network/topology")["mesh_edges"]
    hub.wait(lambda d: len(hub.all(".topology-svg .node")) == AGENT_COUNT and len(hub.all(".topology-svg .edge")) == len(edges),
             "all 50 nodes and their links")
    dots = hub.driver.execute_script("""
        return [...document.querySelectorAll('.topology-svg .node-dot')].map(dot => {
            const box = dot.getBoundingClientRect();
            return [box.x + box.width / 2, box.y + box.height / 2, box.width / 2];
        })""")
    for (x1, y1, r1), (x2, y2, r2) in itertools.combinations(dots, 2):
        assert ((x1 - x2) ** 2 + (y1 - y2) ** 2) ** 0.5 > r1 + r2 + 4, "two nodes touch"
    assert min(r for _, _, r in dots) >= 6, "nodes are too small to see"
    labels = hub.driver.execute_script(
        "return [...document.querySelectorAll('.topology-svg .node-label')].map(l => [l.textContent, parseFloat(getComputedStyle(l).fontSize) * Math.hypot(l.getScreenCTM().a, l.getScreenCTM().b)])")
    assert len(labels) == AGENT_COUNT and all(text.startswith("agent-") for text, _ in labels)
    assert min(size for _, size in labels) >= 10, "labels are too small to read"
    hub.screenshot("topology-50-agents")
