"""Three (and more) `chatixia run` agents with real sidecars and a real registry: delegation over DataChannels
and through the task queue, nested delegation, messages, pairing with a device token, clean shutdown."""

from __future__ import annotations

import os
import signal
import stat
import subprocess

from pathlib import Path

from agents import ScriptedLLM, new_agent
from pysupport.agent import skill_json
from pysupport.ports import free_port
from pysupport.processes import bin_dir
from pysupport.waits import wait_until


def mesh_of_three(agents, registry):
    alpha, beta, gamma = agents("alpha", peer="sc-1"), agents("beta", peer="sc-2"), agents("gamma", peer="sc-3")
    for agent, others in ((alpha, ("sc-2", "sc-3")), (beta, ("sc-1", "sc-3")), (gamma, ("sc-1", "sc-2"))):
        wait_until(lambda: agent.sees(*others), f"{agent.name} to see its peers", timeout=30)
    return alpha, beta, gamma


def queued_tasks(registry) -> list[dict]:
    return registry.api("GET", "/api/hub/tasks/all")[1]


def test_agents_register_with_their_real_sidecar_peer_ids(agents, registry):
    mesh_of_three(agents, registry)
    status, records = registry.api("GET", "/api/registry/agents")
    assert status == 200
    peers = {record["agent_id"]: record["sidecar_peer_id"] for record in records}
    # The JWT subject, not upstream's "<name>-sidecar" guess.
    assert peers == {"alpha": "sc-1", "beta": "sc-2", "gamma": "sc-3"}
    skills = {record["agent_id"]: record["capabilities"]["skills"] for record in records}
    assert "echo" in skills["alpha"] and "delegate" in skills["alpha"]
    wait_until(lambda: registry.edges() == {("sc-1", "sc-2"), ("sc-1", "sc-3"), ("sc-2", "sc-3")}, "three observed edges")


def test_delegation_goes_over_the_datachannel_when_the_target_is_connected(agents, registry):
    alpha, beta, gamma = mesh_of_three(agents, registry)
    for source, target in ((alpha, "beta"), (beta, "gamma"), (gamma, "alpha")):
        task = registry.run_task(skill="delegate", target_agent_id=source.name,
                        payload={"message": f"hi from {source.name}", "target_agent_id": target, "skill": "echo"})
        assert task["state"] == "completed", task
        assert task["result"] == f"{target}:hi from {source.name}"
        assert "delegated over the DataChannel" in source.log()
    # Only the three hub tasks went through the queue: the delegations themselves did not.
    assert sorted(task["skill"] for task in queued_tasks(registry)) == ["delegate"] * 3

    # Routing by skill alone, and a remote failure reported as a failure.
    by_skill = registry.run_task(skill="delegate", target_agent_id="alpha", payload={"message": "x", "skill": "find_agent"})
    assert by_skill["state"] == "failed" and "missing required parameter 'skill'" in by_skill["error"]
    unknown = registry.run_task(skill="delegate", target_agent_id="alpha", payload={"message": "x", "target_agent_id": "beta", "skill": "nope"})
    assert unknown["state"] == "failed" and "unknown skill: nope" in unknown["error"]


def test_nested_delegation_does_not_deadlock(agents, registry):
    """alpha asks beta (a prompt, answered by beta's LLM), whose LLM delegates to gamma, all over DataChannels:
    beta handles alpha's request while waiting on gamma's reply."""
    llm = ScriptedLLM(delegate_to="gamma")
    try:
        alpha = agents("alpha", peer="sc-1")
        beta = agents("beta", peer="sc-2", extra_env=llm.env)
        gamma = agents("gamma", peer="sc-3")
        for agent, others in ((alpha, ("sc-2",)), (beta, ("sc-1", "sc-3"))):
            wait_until(lambda: agent.sees(*others), f"{agent.name} to see its peers", timeout=30)
        task = registry.run_task(skill="delegate", target_agent_id="alpha", payload={"message": "ping", "target_agent_id": "beta"})
        assert task["state"] == "completed", task
        assert task["result"] == "relayed gamma:ping"
        # beta's LLM saw the real tool schema and the tool result.
        assert any(tool["function"]["name"] == "delegate" for tool in llm.requests[0]["tools"])
        assert llm.requests[1]["messages"][-1] == {"role": "tool", "content": "gamma:ping", "tool_call_id": "call_1"}
        assert "delegated over the DataChannel" in alpha.log() and "delegated over the DataChannel" in beta.log()
    finally:
        llm.close()


def test_delegation_falls_back_to_the_queue_when_the_target_has_no_datachannel(agents, registry):
    """delta's real sidecar cannot reach signaling (a dead port), so it has no DataChannels: work for it and
    from it goes through the registry's queue, picked up by long-poll."""
    alpha, beta = agents("alpha", peer="sc-1"), agents("beta", peer="sc-2")
    dead = f"ws://127.0.0.1:{free_port()}/ws"
    delta = agents("delta", peer="sc-4", extra_env={"SIGNALING_URL": dead, "TOKEN_URL": f"{registry.url}/api/token"})
    wait_until(lambda: alpha.sees("sc-2"), "alpha and beta to connect", timeout=30)

    task = registry.run_task(skill="delegate", target_agent_id="alpha", payload={"message": "via queue", "target_agent_id": "delta", "skill": "echo"})
    assert task["state"] == "completed", task
    assert task["result"] == "delta:via queue"
    queued = [t for t in queued_tasks(registry) if t["target_agent_id"] == "delta"]
    assert len(queued) == 1 and queued[0]["source_agent_id"] == "alpha" and queued[0]["state"] == "completed"
    assert "delegated through the registry queue" in alpha.log()

    back = registry.run_task(skill="delegate", target_agent_id="delta", payload={"message": "from delta", "target_agent_id": "beta", "skill": "echo"})
    assert back["result"] == "beta:from delta", back

    # Direct messages and broadcasts through the queue are delivered, not failed on an empty skill.
    sent = registry.run_task(skill="mesh_send", target_agent_id="alpha", payload={"target_agent_id": "delta", "message": "psst"})
    assert sent["state"] == "completed" and "via registry" in sent["result"], sent
    broadcast = registry.run_task(skill="mesh_broadcast", target_agent_id="alpha", payload={"message": "hello all"})
    assert broadcast["result"] == "Broadcast sent to 2 agent(s): 1 via P2P DataChannel, 1 via registry", broadcast
    wait_until(lambda: all(t["state"] == "completed" for t in queued_tasks(registry) if t["target_agent_id"] == "delta"), "delta's messages to be delivered")
    assert "text=psst" in delta.log() and "text=hello all" in delta.log()
    wait_until(lambda: "text=hello all" in beta.log(), "beta to get the broadcast over its DataChannel")


def test_queued_tasks_start_as_soon_as_they_are_assigned(agents, registry):
    agents("alpha", peer="sc-1")
    for _ in range(5):
        task = registry.run_task(skill="echo", target_agent_id="alpha", payload={"message": "fast"})
        assert task["result"] == "alpha:fast"
        # Long-poll claim: no heartbeat interval (15 s) between submission and completion.
        assert task["updated_at"] - task["created_at"] < 2.0, task
    bad = registry.run_task(skill="echo", target_agent_id="alpha", payload={"text": "wrong parameter"})
    assert bad["state"] == "failed" and bad["error"] == "invalid arguments for echo: missing required parameter 'message' (string)"
    prompt = registry.run_task(skill="user_intervention", target_agent_id="alpha", payload={"message": "hello?"})
    assert prompt["state"] == "failed" and prompt["error"].startswith("no LLM is configured (provider openai needs OPENAI_API_KEY)")


# Writes its pid to the file the message names, then sleeps far longer than the test waits.
SLOW_SKILL = {
    "skill.json": skill_json("slow", "Writes its pid where the message says, then sleeps a minute"),
    "handler.py": "import os, pathlib, time\n\ndef handle(message, **kwargs):\n    pathlib.Path(message).write_text(str(os.getpid()))\n"
                  "    time.sleep(60)\n    return 'woke up'\n",
}


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except FileNotFoundError:
        return False


def test_canceling_a_running_task_stops_its_handler_and_frees_the_slot(agents, registry, workdir):
    alpha = agents("alpha", peer="sc-1", skills={"slow": SLOW_SKILL}, manifest_extra="max_concurrent_tasks: 1\n")
    marker = workdir / "slow.pid"
    task_id = registry.submit(skill="slow", target_agent_id="alpha", payload={"message": str(marker)})
    wait_until(lambda: marker.exists() and marker.read_text(), "the slow handler to start")
    pid = int(marker.read_text())
    status, canceled = registry.api("POST", f"/api/hub/tasks/{task_id}/cancel")
    assert status == 200 and canceled["state"] == "canceled", canceled
    # The agent's waiting long-poll hears of it at once, not at the next heartbeat.
    wait_until(lambda: not alive(pid), "the handler process to be killed", timeout=8)
    assert "task canceled by its submitter; stopped" in alpha.log()
    # Its one slot is free again, and the canceled task stays canceled (no late report overwrote it).
    assert registry.run_task(skill="echo", target_agent_id="alpha", payload={"message": "next"})["result"] == "alpha:next"
    assert registry.task(task_id)["state"] == "canceled"


def test_sigterm_and_sigint_deregister_stop_the_sidecar_and_exit_0(agents, registry):
    for name, peer, sig in (("alpha", "sc-1", signal.SIGTERM), ("beta", "sc-2", signal.SIGINT)):
        agent = agents(name, peer=peer)
        sidecars = agent.sidecar_pids()
        assert sidecars, "the agent should have started its sidecar"
        assert registry.api("GET", f"/api/registry/agents/{name}")[0] == 200
        assert agent.stop(sig) == 0, agent.log()
        assert registry.api("GET", f"/api/registry/agents/{name}")[0] == 404
        for pid in sidecars:
            assert not os.path.exists(f"/proc/{pid}") or open(f"/proc/{pid}/stat").read().split()[2] == "Z"
        assert "deregistered" in agent.log()


def test_a_killed_sidecar_is_restarted_and_the_mesh_comes_back(agents, registry):
    alpha, beta = agents("alpha", peer="sc-1"), agents("beta", peer="sc-2")
    wait_until(lambda: alpha.sees("sc-2"), "alpha to see beta", timeout=30)
    [sidecar] = beta.sidecar_pids()
    os.kill(sidecar, signal.SIGKILL)
    wait_until(lambda: beta.log().count("connected to the sidecar") >= 2, "beta to reattach to a new sidecar", timeout=30)
    wait_until(lambda: alpha.log().count("peer connected  peer_id=sc-2") >= 2, "the DataChannel to come back", timeout=30)
    task = registry.run_task(skill="delegate", target_agent_id="alpha", payload={"message": "again", "target_agent_id": "beta", "skill": "echo"})
    assert task["result"] == "beta:again", task


def start_pairing(registry, workdir, name: str):
    """A fresh invite code and an agent folder `name` without credentials; returns the folder and a function
    that starts `chatixia pair CODE` there (again, when called again)."""
    status, invite = registry.api("POST", "/api/pairing/generate-code")
    assert status == 200
    folder = workdir / name
    folder.mkdir()
    (folder / "agent.yaml").write_text(f"name: {name}\nregistry: {registry.url}\nskills: [delegate]\n")
    env = {k: v for k, v in os.environ.items() if k not in ("API_KEY", "DEVICE_TOKEN")}

    def pair() -> subprocess.Popen:
        return subprocess.Popen([bin_dir() / "chatixia", "pair", invite["code"]], cwd=folder, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return folder, pair


def test_an_interrupted_pairing_goes_on_when_the_same_command_runs_again(registry, workdir):
    folder, pair = start_pairing(registry, workdir, "resumed")
    first = pair()
    [entry] = wait_until(lambda: registry.api("GET", "/api/pairing/pending")[1], "the pairing request")
    # Interrupted while it waits, after it has kept the request (as a user would, seeing "waiting for approval").
    pending_file = folder / ".chatixia" / "pairing_pending.json"
    wait_until(pending_file.exists, "the pending request to be kept")
    first.send_signal(signal.SIGINT)
    first.communicate(timeout=10)
    assert stat.S_IMODE(pending_file.stat().st_mode) == 0o600

    # The code is spent; running the same command again waits for the same request instead.
    second = pair()
    assert registry.api("POST", f"/api/pairing/{entry['id']}/approve")[0] == 200
    output, _ = second.communicate(timeout=30)
    assert second.returncode == 0, output
    assert f"Resuming request {entry['id']}" in output and f"Approved: this agent is peer {entry['peer_id']}" in output
    assert (folder / ".chatixia" / "device_token").read_text().strip().startswith("dt_")
    assert not pending_file.exists()
    assert len(registry.api("GET", "/api/pairing/all")[1]) == 1


def test_pairing_delivers_a_device_token_that_run_then_uses(agents, registry, workdir):
    peer_agent = agents("alpha", peer="sc-1")
    paired, pair = start_pairing(registry, workdir, "paired")
    pairing = pair()
    pending = wait_until(lambda: registry.api("GET", "/api/pairing/pending")[1], "the pairing request")
    assert pending[0]["agent_name"] == "paired"
    assert registry.api("POST", f"/api/pairing/{pending[0]['id']}/approve")[0] == 200
    output, _ = pairing.communicate(timeout=30)
    assert pairing.returncode == 0, output
    assert "is waiting for approval" in output and f"Approved: this agent is peer {pending[0]['peer_id']}" in output
    token_file = paired / ".chatixia" / "device_token"
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert token_file.read_text().strip().startswith("dt_")

    agent = new_agent(registry, workdir, "paired", peer=None).start(timeout=30)
    try:
        status, record = registry.api("GET", "/api/registry/agents/paired")
        assert record["sidecar_peer_id"] == pending[0]["peer_id"]
        wait_until(lambda: peer_agent.sees(pending[0]["peer_id"]), "the paired agent's sidecar to join the mesh", timeout=30)
        task = registry.run_task(skill="delegate", target_agent_id="paired", payload={"message": "paired hello", "target_agent_id": "alpha", "skill": "echo"})
        assert task["result"] == "alpha:paired hello", task
    finally:
        assert agent.stop() == 0, agent.log()
