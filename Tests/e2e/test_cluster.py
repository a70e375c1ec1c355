"""Registry replicas on one PostgreSQL database: the example agents spread over three replicas (each agent
lists all three, a different one first) mesh and delegate across replicas; the replica one agent uses is
killed with SIGKILL and that agent carries on through another without losing a DataChannel. And a
PostgreSQL restart under a stream of submissions: 503 meanwhile, never a 500, nothing acknowledged lost."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timezone

from harness import new_registry
from pysupport.agent import Agent
from pysupport.postgres import Postgres
from pysupport.registry import Registry
from pysupport.waits import wait_until

AGENTS = ("text-agent", "math-agent", "time-agent")


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def replicas(workdir, db: Postgres, count: int, peers, cleanup) -> list[Registry]:
    """`count` registries on `db`, each with a folder (log, keys file) of its own, sharing one signing secret
    (the first one's)."""
    started: list[Registry] = []
    for n in range(count):
        folder = workdir / f"replica-{n}"
        folder.mkdir()
        replica = new_registry(folder, list(peers), db=db.url, secret=started[0].secret if started else None)
        replica.name = f"replica-{n}"
        started.append(replica.start())
        cleanup(replica)
    return started


def list_replicas(agent: Agent, urls: list[str]) -> Agent:
    """Rewrites the agent's manifest to list the replicas `urls` (the first is the one it uses first)."""
    manifest = agent.folder / "agent.yaml"
    manifest.write_text("\n".join(f'registry: "{",".join(urls)}"' if line.startswith("registry:") else line
                                  for line in manifest.read_text().splitlines()) + "\n")
    return agent


def delegate(via: Registry, source: str, target: str, skill: str, message: str) -> dict:
    return via.run_task(skill="delegate", target_agent_id=source, payload={"message": message, "target_agent_id": target, "skill": skill})


def test_agents_on_three_replicas_mesh_delegate_and_outlive_the_replica_one_of_them_uses(workdir, cleanup):
    db = Postgres().start()
    cleanup(db)
    r = replicas(workdir, db, 3, AGENTS, cleanup)
    urls = [replica.url for replica in r]
    # text-agent uses replica 0 first, math-agent replica 1, time-agent replica 2. One after the other: two
    # sidecars registering on different replicas within milliseconds can each wait for the other's offer.
    agents = {}
    for n, name in enumerate(AGENTS):
        agent = list_replicas(Agent.from_example(r[n], workdir, name), urls[n:] + urls[:n]).start()
        cleanup(agent)
        agents[name] = agent
    text = agents["text-agent"]
    for name, agent in agents.items():
        wait_until(lambda: agent.sees(*(other for other in AGENTS if other != name)), f"{name}'s DataChannels to the other two", timeout=40)
    assert f"url=ws://127.0.0.1:{r[0].port}/ws " in text.sidecar_log(), text.sidecar_log()[-2000:]
    # Every replica lists every agent as active, whichever replica it registered with.
    for replica in r:
        wait_until(lambda: {a["agent_id"]: a["health"] for a in replica.api("GET", "/api/registry/agents")[1]} == dict.fromkeys(AGENTS, "active"),
                   f"{replica.name} to list the three agents as active", timeout=10)

    # Submitted on replica 2, claimed by text-agent through replica 0, carried out by math-agent (replica 1)
    # over the DataChannel their sidecars opened through signaling on two replicas.
    task = delegate(r[2], "text-agent", "math-agent", "calculate", "(1 + 2) * 14")
    assert task == {**task, "state": "completed", "result": "42"}, task
    assert "delegated over the DataChannel" in text.log()
    assert r[1].task(task["id"])["result"] == "42"

    # Kill text-agent's first replica.
    connected = {peer: text.connected_count(peer) for peer in ("math-agent", "time-agent")}
    disconnects = text.log().count("peer disconnected")
    signaling_connects = text.sidecar_log().count("signaling connected")
    killed_wall = datetime.now(timezone.utc)
    killed_at = time.monotonic()
    r[0].kill()

    # Its sidecar signals through another replica, and the agent heartbeats through another: both survivors
    # see a heartbeat from after the kill (the next beat is due within 15 s; one to the dead replica fails
    # and is retried 2 s later on the next; replicas store liveness every 5 s).
    def moved_signaling() -> bool:
        after = [line for line in text.sidecar_log().splitlines() if "signaling connected" in line][signaling_connects:]
        return any(f"url=ws://127.0.0.1:{replica.port}/ws " in line for replica in r[1:] for line in after)
    wait_until(moved_signaling, "text-agent's sidecar to signal through a surviving replica", timeout=20, interval=0.2)

    def heartbeat_after_kill(replica: Registry):
        status, record = replica.api("GET", "/api/registry/agents/text-agent")
        return status == 200 and parse_time(record["last_heartbeat"]) >= killed_wall and record
    for replica in r[1:]:
        try:
            record = wait_until(lambda: heartbeat_after_kill(replica), f"{replica.name} to see text-agent heartbeat after the kill",
                                timeout=max(1.0, 30 - (time.monotonic() - killed_at)), interval=0.5)
        except AssertionError:
            raise AssertionError(f"killed at {killed_wall}; {replica.name}: {replica.api('GET', '/api/registry/agents/text-agent')}")
        assert record["health"] == "active", record
    assert "heartbeats are getting through again" in text.log() or "heartbeat failed" not in text.log(), text.log()[-3000:]

    # New delegations involving text-agent, both ways, through the surviving replicas.
    task = delegate(r[1], "text-agent", "time-agent", "date_time", "weekday 2026-12-25")
    assert task == {**task, "state": "completed", "result": "Friday"}, task
    task = delegate(r[2], "math-agent", "text-agent", "text_tools", "reverse: cluster")
    assert task == {**task, "state": "completed", "result": "retsulc"}, task

    # Its DataChannels never went down: no disconnect, no new connection.
    assert text.log().count("peer disconnected") == disconnects, text.log()[-3000:]
    assert {peer: text.connected_count(peer) for peer in connected} == connected
    for name in ("math-agent", "time-agent"):
        assert "peer disconnected  peer_id=text-agent" not in agents[name].log(), agents[name].log()[-3000:]


class Submitter(threading.Thread):
    """Submits tasks to one replica, about ten a second, and records every answer: the ids acknowledged (200)
    and the other statuses (or the exception) with their time."""

    def __init__(self, registry: Registry):
        super().__init__(daemon=True)
        self.registry = registry
        self.acknowledged: list[str] = []
        self.other: list[tuple[float, object]] = []
        self.done = threading.Event()

    def run(self) -> None:
        n = 0
        while not self.done.is_set():
            n += 1
            try:
                status, body = self.registry.api("POST", "/api/hub/tasks", {"skill": "calculate", "payload": {"message": f"{n} * 2"}, "ttl": 300},
                                                 timeout=15)
                if status == 200:
                    self.acknowledged.append(body["task_id"])
                else:
                    self.other.append((time.monotonic(), status))
            except OSError as error:
                self.other.append((time.monotonic(), repr(error)))
            time.sleep(0.1)


def test_a_postgres_restart_answers_503_meanwhile_and_loses_nothing_acknowledged(workdir, cleanup):
    db = Postgres().start()
    cleanup(db)
    r = replicas(workdir, db, 2, (), cleanup)
    load = [Submitter(replica) for replica in r]
    for submitter in load:
        submitter.start()
    wait_until(lambda: all(len(s.acknowledged) >= 10 for s in load), "submissions to flow")

    db.shutdown()
    for replica in r:
        wait_until(lambda: replica.api("GET", "/readyz")[0] == 503, f"{replica.name} to report itself not ready", timeout=10)
    wait_until(lambda: all(503 in [status for _, status in s.other] for s in load), "a submission to each replica to be refused with 503", timeout=15)
    time.sleep(2)
    db.resume()
    resumed = [len(s.acknowledged) for s in load]
    for replica in r:
        wait_until(lambda: replica.api("GET", "/readyz")[0] == 200, f"{replica.name} to be ready again", timeout=15)
    wait_until(lambda: all(len(s.acknowledged) >= before + 10 for s, before in zip(load, resumed)), "submissions to flow again", timeout=20)
    for submitter in load:
        submitter.done.set()
    for submitter in load:
        submitter.join(timeout=20)

    for replica, submitter in zip(r, load):
        assert replica.process.poll() is None, replica.log()[-3000:]
        # Refused submissions were refused as unavailable, never as an internal error or a dropped connection.
        assert {status for _, status in submitter.other} == {503}, submitter.other
    # Every acknowledged submission is there, on both replicas, still pending (no agent takes it).
    acknowledged = [task_id for submitter in load for task_id in submitter.acknowledged]
    for replica in r:
        def not_pending() -> dict:
            states = {task["id"]: task["state"] for task in replica.tasks()}
            return {task_id: states.get(task_id) for task_id in acknowledged if states.get(task_id) != "pending"}
        try:
            wait_until(lambda: not not_pending(), f"{replica.name} to list every acknowledged task", timeout=10, interval=0.5)
        except AssertionError:
            raise AssertionError(f"{replica.name}: {len(not_pending())} of {len(acknowledged)} acknowledged tasks missing or not pending: {not_pending()}")
        # And a refused one is not there either (the registry undoes a change the database did not take).
        assert sorted(task["id"] for task in replica.tasks()) == sorted(acknowledged)
