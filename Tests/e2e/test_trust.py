"""Trust and bounds, tried from outside against the real binaries: the abuses of issue 11 are refused with the
registry still up and nothing acknowledged lost; an agent killed while holding a task loses it to another; a
fork storm never exceeds the agent's limit; a full disk costs 503s, not the registry; the mesh runs over TLS."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess

from pysupport.agent import Agent, skill_json
from pysupport.processes import run_checked
from pysupport.tls import self_signed_certificate
from pysupport.waits import wait_until


def kill_tree(pid: int) -> None:
    """SIGKILL a process and all its descendants (an agent, its sidecar and its handlers), as a crash would."""
    pids, frontier = [pid], [pid]
    while frontier:
        children = subprocess.run(["pgrep", "-P", str(frontier.pop())], capture_output=True, text=True).stdout.split()
        pids += [int(child) for child in children]
        frontier += [int(child) for child in children]
    for each in pids:
        try:
            os.kill(each, signal.SIGKILL)
        except ProcessLookupError:
            pass


def upgrade_status(port: int, path: str) -> str:
    """The status line a raw WebSocket upgrade request gets."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as connection:
        connection.sendall((f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
                            "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n").encode())
        return connection.recv(512).decode(errors="replace").split("\r\n")[0]


def test_abuses_are_refused_with_the_registry_up_and_nothing_acknowledged_lost(cleanup, new_registry):
    registry = new_registry(["owner", "intruder"], extra_env={"MAX_OPEN_TASKS_PER_CREDENTIAL": "40"}).start()
    cleanup(registry)
    owner, intruder = registry.keys.for_peer("owner"), registry.keys.for_peer("intruder")
    acknowledged = [registry.submit(skill="nobody-has-it", payload={"n": n}, ttl=3600) for n in range(20)]

    # Identity: a registered id stays its owner's across deregistration; another credential's subject, or
    # another credential's agent's sidecar, cannot be claimed; attribution comes from the credential.
    registration = {"agent_id": "worker", "hostname": "h", "sidecar_peer_id": "owner", "capabilities": {"skills": ["translate"]}}
    assert registry.api("POST", "/api/registry/agents", registration, key=owner)[0] == 200
    assert registry.api("DELETE", "/api/registry/agents/worker", key=owner)[0] == 200
    status, body = registry.api("POST", "/api/registry/agents", {**registration, "sidecar_peer_id": ""}, key=intruder)
    assert (status, body["error"]) == (403, "agent 'worker' is owned by another credential")
    status, body = registry.api("POST", "/api/registry/agents", {**registration, "agent_id": "decoy"}, key=intruder)
    assert (status, body["error"]) == (403, "sidecar_peer_id 'owner' is another credential's subject")
    assert registry.api("POST", "/api/registry/agents", registration, key=owner)[0] == 200
    task_id = registry.call("POST", "/api/hub/tasks", {"skill": "nobody-has-it", "source_agent_id": "worker"}, key=intruder)["task_id"]
    assert registry.task(task_id)["source_agent_id"] == "intruder"
    acknowledged.append(task_id)

    # Bounds: one credential cannot flood the queue; strict JSON; percent-decoded ids; refused upgrades say why.
    statuses = [registry.api("POST", "/api/hub/tasks", {"skill": "nobody-has-it"}, key=intruder)[0] for _ in range(60)]
    assert statuses.count(200) == 39 and set(statuses[39:]) == {429}
    acknowledged += [task["id"] for task in registry.tasks() if task["source_agent_id"] == "intruder" and task["id"] not in acknowledged]
    raw = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST", "-H", f"x-api-key: {owner}",
                          "-H", "content-type: application/json", "--data", '{"agent_id":"x","hostname":"h",}', f"{registry.url}/api/registry/agents"],
                         capture_output=True, text=True).stdout
    assert raw == "400"
    assert registry.api("POST", "/api/registry/agents", {"agent_id": "café agent", "hostname": "h"}, key=owner)[0] == 200
    assert registry.api("GET", "/api/registry/agents/caf%C3%A9%20agent")[0] == 200
    assert upgrade_status(registry.port, "/ws?token=forged") == "HTTP/1.1 401 Unauthorized"
    hub_token = registry.call("POST", "/api/keys", {"peer_id": "wall", "role": "hub"})["key"]
    assert upgrade_status(registry.port, f"/ws?token={registry.token(hub_token)}") == "HTTP/1.1 403 Forbidden"

    # Guessing keys: past the limit every attempt from this address waits, even with a good key.
    # (The forged WebSocket token above was this address's first failure: 29 more fill the 30 a minute.)
    guesses = [registry.api("GET", "/api/registry/agents", key=f"guess-{n:04d}")[0] for n in range(300)]
    assert guesses[:29] == [401] * 29 and set(guesses[29:]) == {429}
    status, _ = registry.api("GET", "/api/registry/agents", key=owner)
    assert status == 429
    metrics = registry.metrics()
    assert metrics["chatixia_auth_failures_total"] >= 30
    assert metrics["chatixia_rate_limited_total"] >= 270

    # Still up, and everything acknowledged is still there after a restart.
    assert registry.process.poll() is None
    registry.stop()
    registry.start()
    stored = {task["id"] for task in registry.tasks()}
    assert set(acknowledged) <= stored


def test_a_task_held_by_an_agent_killed_with_sigkill_is_finished_by_another(workdir, cleanup, new_registry):
    registry = new_registry(["holder", "finisher"], extra_env={"TASK_LEASE_SECONDS": "20"}).start()
    cleanup(registry)
    slow = {"work": {"skill.json": skill_json("work", "slow on the holder"),
                     "handler": "#!/bin/sh\nif [ \"$CHATIXIA_AGENT_ID\" = holder ]; then sleep 600; fi\necho \"done by $CHATIXIA_AGENT_ID\"\n"}}
    holder = Agent.create(registry, workdir, "holder", peer="holder", builtin=[], skills=slow).start()
    cleanup(holder)
    task_id = registry.submit(skill="work", payload={"message": "x"}, ttl=600)
    wait_until(lambda: registry.task(task_id)["assigned_agent_id"] == "holder", "the holder to take the task", timeout=30)
    finisher = Agent.create(registry, workdir, "finisher", peer="finisher", builtin=[], skills=slow).start()
    cleanup(finisher)
    kill_tree(holder.process.pid)
    outcome = registry.outcome(task_id, timeout=90)
    assert outcome["state"] == "completed", outcome
    assert outcome["result"] == "done by finisher"
    assert outcome["attempts"] == 1
    assert registry.metrics()["chatixia_task_lease_expiries_total"] == 1


def test_a_fork_storm_never_runs_more_handlers_than_the_limit(workdir, cleanup, new_registry):
    registry = new_registry(["stormed"]).start()
    cleanup(registry)
    ledger = workdir / "ledger"
    # Every call appends "+" when it starts and "-" when it ends (small O_APPEND writes land whole and in order).
    handler = f"#!/bin/sh\nprintf '+' >> {ledger}\nsleep 0.01\nprintf '-' >> {ledger}\necho ok\n"
    agent = Agent.create(registry, workdir, "stormed", peer="stormed", builtin=[], manifest_extra="max_concurrent_tasks: 4\n",
                         skills={"spawn": {"skill.json": skill_json("spawn", "a process per call"), "handler": handler}}).start()
    cleanup(agent)
    ids = [registry.submit(skill="spawn", payload={"message": str(n)}, ttl=600) for n in range(2000)]
    wait_until(lambda: all(task["state"] in ("completed", "failed") for task in registry.tasks()), "the storm to pass", timeout=300, interval=1)
    outcomes = {task["id"]: task for task in registry.tasks()}
    assert all(outcomes[i]["state"] == "completed" and outcomes[i]["result"] == "ok" for i in ids)
    running = peak = 0
    for mark in ledger.read_text():
        running += 1 if mark == "+" else -1
        peak = max(peak, running)
    assert len(ledger.read_text()) == 2 * len(ids)
    assert 1 <= peak <= 4, f"{peak} handlers ran at once"


def test_a_full_disk_costs_503s_then_writes_succeed_again(workdir, cleanup, new_registry):
    disk = workdir / "small-disk"
    disk.mkdir()
    run_checked("mount", "-t", "tmpfs", "-o", "size=4m", "e2e-full-disk", str(disk))
    try:
        registry = new_registry([], db=str(disk / "registry.db")).start()
        cleanup(registry)
        acknowledged = [registry.submit(skill="s", payload={"n": n}) for n in range(20)]
        filler = disk / "filler"
        subprocess.run(["dd", "if=/dev/zero", f"of={filler}", "bs=64k"], capture_output=True)  # until the disk is full
        big = {"blob": "x" * 200_000}
        statuses = []
        for _ in range(40):
            status, body = registry.api("POST", "/api/hub/tasks", {"skill": "s", "payload": big})
            statuses.append(status)
            if status == 200:
                acknowledged.append(body["task_id"])
            else:
                assert status == 503, body
                assert body["error"] == "storage is unavailable; the change was not saved, retry later"
        assert 503 in statuses
        assert registry.process.poll() is None
        filler.unlink()
        # The cause is gone: the next writes succeed without a restart, and nothing acknowledged was lost.
        acknowledged.append(registry.submit(skill="s", payload={"after": True}))
        assert registry.metrics()["chatixia_store_failures_total"] >= 1
        registry.stop()
        registry.start()
        assert set(acknowledged) <= {task["id"] for task in registry.tasks()}
        registry.stop()
    finally:
        subprocess.run(["umount", "-l", str(disk)])


def test_agents_mesh_and_delegate_through_a_registry_serving_tls(workdir, cleanup, new_registry):
    certificate, key = self_signed_certificate(workdir)
    # By name, as a deployment would be (the WebSocket client sends the host as SNI, which an IP address cannot be).
    registry = new_registry(["alpha", "beta"], tls=(certificate, key), public_host="localhost").start()
    cleanup(registry)
    assert registry.url.startswith("https://localhost:")
    echo = {"echo": {"skill.json": skill_json("echo", "echoes"), "handler": "#!/bin/sh\ncat\n"}}
    agents = [Agent.create(registry, workdir, name, peer=name, builtin=["delegate"], skills=echo, extra_env={"CA_FILE": str(certificate)})
              for name in ("alpha", "beta")]
    for agent in agents:
        cleanup(agent.start())
    wait_until(lambda: agents[0].sees("beta") and agents[1].sees("alpha"), "the agents to mesh over wss signaling", timeout=60)
    outcome = registry.run_task(skill="delegate", target_agent_id="alpha",
                                payload={"message": "over tls", "target_agent_id": "beta", "skill": "echo"})
    assert outcome["state"] == "completed", outcome
    assert json.loads(outcome["result"]) == {"message": "over tls"}
    assert "delegated over the DataChannel" in agents[0].log()
    # Without the CA the agent refuses the registry's certificate.
    stranger = Agent.create(registry, workdir, "stranger", peer="alpha", builtin=[])
    stranger.start(wait=False)
    cleanup(stranger)
    wait_until(lambda: stranger.process.poll() is not None, "the agent without the CA to give up", timeout=60)
    assert stranger.process.returncode != 0


def test_a_skills_access_rules_hold_over_the_queue_and_the_datachannel(workdir, cleanup, new_registry):
    registry = new_registry(["keeper", "asker", "friend"]).start()
    cleanup(registry)
    guarded = {"vault": {"skill.json": skill_json("vault", "only for friends", allow=["friend"]), "handler": "#!/bin/sh\necho opened\n"}}
    keeper = Agent.create(registry, workdir, "keeper", peer="keeper", builtin=[], skills=guarded).start()
    asker = Agent.create(registry, workdir, "asker", peer="asker", builtin=["delegate"]).start()
    for agent in (keeper, asker):
        cleanup(agent)
    wait_until(lambda: asker.sees("keeper"), "the agents to mesh", timeout=60)
    # Over the DataChannel the keeper checks the asker's authenticated peer id itself.
    refused = registry.run_task(skill="delegate", target_agent_id="asker", payload={"message": "open", "target_agent_id": "keeper", "skill": "vault"})
    assert refused["state"] == "failed" and "peer asker may not run it on agent keeper" in refused["error"], refused
    # Through the registry, the asker's credential is refused at submission; the friend's is served.
    status, body = registry.api("POST", "/api/hub/tasks", {"skill": "vault", "payload": {"message": "open"}}, key=registry.keys.for_peer("asker"))
    assert (status, body["error"]) == (403, "credential 'asker' may not run skill 'vault' on any agent that offers it"), body
    task_id = registry.call("POST", "/api/hub/tasks", {"skill": "vault", "payload": {"message": "open"}}, key=registry.keys.for_peer("friend"))["task_id"]
    assert registry.outcome(task_id)["result"] == "opened"
