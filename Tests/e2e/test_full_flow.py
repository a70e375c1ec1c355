"""A newcomer's whole path: the example agents are running; a new agent made by `chatixia init` pairs with an
invite code that an admin approves (through the API, as the hub does), runs, shows up in the topology with
observed DataChannel edges, delegates over the DataChannel and through the queue, and deregisters on Ctrl-C."""

from __future__ import annotations

import signal
import stat
import subprocess

from pysupport.agent import Agent
from pysupport.ports import free_port
from pysupport.processes import bin_dir
from pysupport.waits import wait_until


def chatixia(*args, cwd, timeout=60) -> subprocess.CompletedProcess:
    return subprocess.run([bin_dir() / "chatixia", *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=timeout)


def test_the_example_agents_mesh_and_their_skills_work_without_an_llm(workdir, cleanup, new_registry):
    registry = new_registry(["text-agent", "math-agent", "time-agent"]).start()
    cleanup(registry)
    agents = [Agent.from_example(registry, workdir, name).start() for name in ("text-agent", "math-agent", "time-agent")]
    for agent in agents:
        cleanup(agent)
    wait_until(lambda: registry.edges() == {("math-agent", "text-agent"), ("text-agent", "time-agent"), ("math-agent", "time-agent")},
               "a full mesh of three observed edges", timeout=30)
    # Each skill straight from the queue, then each agent asking another over its DataChannel.
    assert registry.run_task(skill="text_tools", payload={"message": "upper: mesh"})["result"] == "MESH"
    assert registry.run_task(skill="calculate", payload={"message": "2^10 + 24"})["result"] == "1048"
    assert registry.run_task(skill="date_time", payload={"message": "weekday 2026-12-25"})["result"] == "Friday"
    cases = [("text-agent", "math-agent", "calculate", "(1 + 2) * 14", "42"),
             ("math-agent", "time-agent", "date_time", "days between 2026-01-01 and 2026-12-25", "358"),
             ("time-agent", "text-agent", "text_tools", "reverse: mesh", "hsem")]
    for source, target, skill, message, expected in cases:
        task = registry.run_task(skill="delegate", target_agent_id=source, payload={"message": message, "target_agent_id": target, "skill": skill})
        assert task == {**task, "state": "completed", "result": expected}, task
    for agent in agents:
        assert "delegated over the DataChannel" in agent.log()
    bad = registry.run_task(skill="calculate", payload={"message": "__import__('os')"})
    assert bad["state"] == "failed" and "not allowed in an expression" in bad["error"], bad
    for agent in agents:
        assert agent.stop(signal.SIGINT) == 0, agent.log()
    assert registry.api("GET", "/api/registry/agents")[1] == []


def test_a_new_agent_pairs_runs_meshes_delegates_and_deregisters(workdir, cleanup, new_registry):
    registry = new_registry(["text-agent", "math-agent", "time-agent"]).start()
    cleanup(registry)
    math = Agent.from_example(registry, workdir, "math-agent").start()
    cleanup(math)
    # time-agent's sidecar cannot reach signaling (a dead port), so it has no DataChannel: work for it must go
    # through the registry's queue.
    dead = f"ws://127.0.0.1:{free_port()}/ws"
    time_agent = Agent.from_example(registry, workdir, "time-agent", extra_env={"SIGNALING_URL": dead}).start()
    cleanup(time_agent)

    # 1. Scaffold, point at the registry, validate.
    folder = workdir / "newcomer"
    made = chatixia("init", "newcomer", "-d", folder, cwd=workdir)
    assert made.returncode == 0, made.stderr
    manifest = folder / "agent.yaml"
    manifest.write_text(manifest.read_text().replace('registry: "http://localhost:8080"', f'registry: "{registry.url}"'))
    checked = chatixia("validate", manifest, cwd=folder)
    assert checked.returncode == 0 and "OK" in checked.stdout, checked.stdout + checked.stderr

    # 2. Pair: an admin makes an invite code, the agent redeems it, the admin approves.
    status, invite = registry.api("POST", "/api/pairing/generate-code")
    assert status == 200 and len(invite["code"]) == 6, invite
    pairing = subprocess.Popen([bin_dir() / "chatixia", "pair", invite["code"], manifest], cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    pending = wait_until(lambda: registry.api("GET", "/api/pairing/pending")[1], "the pairing request")
    assert [entry["agent_name"] for entry in pending] == ["newcomer"]
    peer = pending[0]["peer_id"]
    assert registry.api("POST", f"/api/pairing/{pending[0]['id']}/approve")[0] == 200
    output, _ = pairing.communicate(timeout=30)
    assert pairing.returncode == 0, output
    token_file = folder / ".chatixia" / "device_token"
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600 and token_file.read_text().startswith("dt_")
    assert "dt_" not in str(registry.api("GET", "/api/pairing/all")[1])

    # 3. Run with the device token only (no API key anywhere).
    newcomer = Agent(registry, folder, key=None).start()
    cleanup(newcomer)
    status, record = registry.api("GET", "/api/registry/agents/newcomer")
    assert status == 200 and record["sidecar_peer_id"] == peer, record
    assert "hello" in record["capabilities"]["skills"]
    wait_until(lambda: tuple(sorted((peer, "math-agent"))) in registry.edges(), "the newcomer's observed edge to math-agent", timeout=30)
    assert not [edge for edge in registry.edges() if "time-agent" in edge]

    # 4. Delegate over the DataChannel (math-agent is connected) ...
    p2p = registry.run_task(skill="delegate", target_agent_id="newcomer", payload={"message": "6 * 7", "target_agent_id": "math-agent", "skill": "calculate"})
    assert p2p["state"] == "completed" and p2p["result"] == "42", p2p
    assert "delegated over the DataChannel" in newcomer.log()
    queued_before = {task["id"] for task in registry.api("GET", "/api/hub/tasks/all")[1]}
    assert not [t for t in registry.api("GET", "/api/hub/tasks/all")[1] if t["target_agent_id"] == "math-agent"]
    # ... and through the queue (time-agent has no DataChannel).
    queued = registry.run_task(skill="delegate", target_agent_id="newcomer", payload={"message": "weekday 2026-12-25", "target_agent_id": "time-agent", "skill": "date_time"})
    assert queued["state"] == "completed" and queued["result"] == "Friday", queued
    assert "delegated through the registry queue" in newcomer.log()
    via_queue = [t for t in registry.api("GET", "/api/hub/tasks/all")[1] if t["id"] not in queued_before and t["target_agent_id"] == "time-agent"]
    assert [(t["source_agent_id"], t["skill"], t["state"]) for t in via_queue] == [("newcomer", "date_time", "completed")]
    # The scaffolded skill works from the queue too.
    hello = registry.run_task(skill="hello", target_agent_id="newcomer", payload={"name": "mesh"})
    assert hello["result"] == "Hello, mesh.", hello

    # 5. Ctrl-C: it deregisters, its sidecar stops, and its edge leaves the observed topology.
    sidecars = newcomer.sidecar_pids()
    assert sidecars
    assert newcomer.stop(signal.SIGINT) == 0, newcomer.log()
    assert "deregistered" in newcomer.log()
    assert registry.api("GET", "/api/registry/agents/newcomer")[0] == 404
    wait_until(lambda: not [edge for edge in registry.edges() if peer in edge], "the newcomer's edge to go", timeout=15)
    for pid in sidecars:
        wait_until(lambda: not _alive(pid), f"sidecar {pid} to exit", timeout=5)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat_file:
            return stat_file.read().split()[2] != "Z"
    except FileNotFoundError:
        return False
