"""A small but realistic mesh, built through the registry's API: agents with sidecars that report
their DataChannels, tasks in every state, and pairing entries in every status. Each agent uses its
sidecar's credential (the agent at index N is behind sidecar sc-0N)."""

from __future__ import annotations

from dataclasses import dataclass, field

from mesh import Sidecar, TaskWorker, sidecar_key
from pysupport.registry import Registry

AGENTS = [
    # agent_id, skills, hostname, ip
    ("research-assistant", ["web_search", "summarize", "user_intervention"], "mbp-ana.local", "10.0.4.21"),
    ("code-reviewer", ["review_pr", "lint", "user_intervention"], "ci-runner-3", "10.0.2.17"),
    ("data-analyst", ["sql", "plot", "forecast", "summarize", "user_intervention", "delegate", "list_agents"], "gpu-node-2", "10.0.8.5"),
    ("ops-sentinel", ["k8s_status", "alert_triage", "user_intervention"], "ops-bastion", "10.0.1.2"),
    ("travel-planner", ["flights", "hotels", "user_intervention"], "studio-pc", "192.168.1.40"),
    ("support-triage", ["classify_ticket", "user_intervention"], "helpdesk-vm", "10.0.6.33"),
    ("translator", ["translate", "detect_language"], "edge-pi-4", "192.168.1.77"),
    ("scheduler", ["calendar", "remind"], "home-nuc", "192.168.1.12"),
]

# Who reports an open DataChannel to whom (each pair reported once is enough for an edge).
LINKS = {
    "sc-01": ["sc-02", "sc-03", "sc-04", "sc-05", "sc-06"],
    "sc-02": ["sc-03", "sc-04", "sc-06"],
    "sc-03": ["sc-04", "sc-05", "sc-07"],
    "sc-05": ["sc-06", "sc-08"],
}


@dataclass
class Mesh:
    registry: Registry
    sidecars: list = field(default_factory=list)
    workers: list = field(default_factory=list)
    invite_code: str | None = None

    def connect_sidecars(self) -> None:
        """(Re)opens the reporting sidecars' signaling connections, e.g. after a registry restart."""
        for sidecar in self.sidecars:
            sidecar.close()
        self.sidecars = []
        for peer, connected in LINKS.items():
            sidecar = Sidecar(self.registry, peer)
            sidecar.report(connected)
            self.sidecars.append(sidecar)

    def close(self) -> None:
        for worker in self.workers:
            worker.stop()
        for sidecar in self.sidecars:
            sidecar.close()


def sidecar_of(agent_id: str) -> str:
    """The peer id of the sidecar behind a scenario agent."""
    return next(f"sc-{index:02d}" for index, (name, *_) in enumerate(AGENTS, start=1) if name == agent_id)


def key_of(agent_id: str) -> str:
    """The credential a scenario agent uses: its sidecar's."""
    return sidecar_key(sidecar_of(agent_id))


def build(registry: Registry, *, pairing: bool = True) -> Mesh:
    mesh = Mesh(registry)
    for index, (agent_id, skills, hostname, ip) in enumerate(AGENTS, start=1):
        registry.register_agent(agent_id, skills=skills, hostname=hostname, ip=ip, port=8000 + index, sidecar_peer_id=sidecar_of(agent_id),
                                key=key_of(agent_id))
    mesh.connect_sidecars()

    # Completed work: a worker answers research-assistant's tasks.
    worker = TaskWorker(registry, "research-assistant", answer=lambda t: f"Summary ready: {t['payload'].get('message', '')[:60]}",
                        key=key_of("research-assistant"))
    mesh.workers.append(worker)
    registry.submit(skill="summarize", target_agent_id="research-assistant", source_agent_id="data-analyst",
                    payload={"message": "Summarize the Q3 incident reports", "max_words": 150}, ttl=300)
    registry.submit(skill="user_intervention", target_agent_id="research-assistant", source_agent_id="hub-user",
                    payload={"message": "What changed in the mesh today?"}, ttl=300)
    # A failure reported by an agent, a task that is being worked on, and one nobody can take yet.
    failing = registry.submit(skill="lint", target_agent_id="code-reviewer", source_agent_id="ops-sentinel",
                              payload={"repo": "chatixia/mesh", "ref": "main"}, ttl=120)
    claimed = registry.call("POST", "/api/hub/tasks/claim", {"agent_id": "code-reviewer", "wait_ms": 0}, key=key_of("code-reviewer"))["tasks"]
    assert [t["id"] for t in claimed] == [failing]
    registry.call("POST", f"/api/hub/tasks/{failing}", {"state": "failed", "error": "linter crashed: exit status 2"}, key=key_of("code-reviewer"))
    registry.submit(skill="forecast", target_agent_id="data-analyst", source_agent_id="scheduler",
                    payload={"series": "signups", "horizon_days": 30}, ttl=600)
    registry.call("POST", "/api/hub/tasks/claim", {"agent_id": "data-analyst", "wait_ms": 0}, key=key_of("data-analyst"))
    registry.submit(skill="transcribe_audio", source_agent_id="support-triage", payload={"url": "s3://calls/8812.wav"}, ttl=900)

    if pairing:
        pending_code = registry.call("POST", "/api/pairing/generate-code")["code"]
        registry.redeem_code(pending_code, "edge-device-7")
        approve_code = registry.call("POST", "/api/pairing/generate-code")["code"]
        approved = registry.redeem_code(approve_code, "lab-runner")
        registry.call("POST", f"/api/pairing/{approved['id']}/approve")
        reject_code = registry.call("POST", "/api/pairing/generate-code")["code"]
        rejected = registry.redeem_code(reject_code, "unknown-laptop")
        registry.call("POST", f"/api/pairing/{rejected['id']}/reject")
    return mesh
