"""Registry replicas on one PostgreSQL database: the example agents spread over three replicas (each agent
lists all three, a different one first) mesh and delegate across replicas; the replica one agent uses is
killed with SIGKILL and that agent carries on through another without losing a DataChannel. A PostgreSQL
restart under a stream of submissions: 503 meanwhile, never a 500, nothing acknowledged lost. And kill -9 of
one replica (the sweep leader, or another) under heartbeats, submissions, a worker and signaling from clients
that each list the replicas: nothing acknowledged is lost, the clients move on, and the sweeps go on."""

from __future__ import annotations

import http.client
import json
import threading
import time
from datetime import datetime, timezone

import pytest
import websocket  # websocket-client

from pysupport.agent import Agent
from pysupport.postgres import Postgres
from pysupport.registry import ADMIN, Registry, TaskSubmitter
from pysupport.waits import wait_until

AGENTS = ("text-agent", "math-agent", "time-agent")


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def replicas(new_registry, workdir, db: Postgres, count: int, peers, cleanup) -> list[Registry]:
    """`count` registries (from the `new_registry` fixture) on `db`, each with a folder (log, keys file) of its
    own, sharing one signing secret (the first one's)."""
    started: list[Registry] = []
    for n in range(count):
        folder = workdir / f"replica-{n}"
        folder.mkdir()
        replica = new_registry(list(peers), folder=folder, db=db.url, secret=started[0].secret if started else None)
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


def test_agents_on_three_replicas_mesh_delegate_and_outlive_the_replica_one_of_them_uses(workdir, cleanup, new_registry):
    db = Postgres().start()
    cleanup(db)
    r = replicas(new_registry, workdir, db, 3, AGENTS, cleanup)
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


def submissions(via) -> TaskSubmitter:
    """Calculate tasks through one replica (or a `Failover` list), about ten a second, each with a TTL of 300 s."""
    return TaskSubmitter(via, interval=0.1, timeout=15, ttl=300)


def test_a_postgres_restart_answers_503_meanwhile_and_loses_nothing_acknowledged(workdir, cleanup, new_registry):
    db = Postgres().start()
    cleanup(db)
    r = replicas(new_registry, workdir, db, 2, (), cleanup)
    load = [submissions(replica) for replica in r]
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


# --- kill -9 of one replica under load ------------------------------------------------------------------

#: What a replica logs when it becomes the leader (it alone runs the mesh-wide sweeps).
LEADS = "this replica now runs the mesh-wide sweeps"
HEARTBEATERS = ("hb-0", "hb-1", "hb-2")
WORKER = "worker"
SIGNALERS = ("sig-a", "sig-b")
#: Failures that mean "this replica cannot be reached" (refused, reset, or cut off in the middle of an answer).
UNREACHABLE = (OSError, http.client.HTTPException)


class Failover:
    """A client's replicas in its own order, used as our agent and sidecar use theirs: one until a connection
    to it fails, then the next. A failed request is not repeated on the next replica by itself (the caller
    retries, or not), so nothing is submitted twice. `api` is Registry.api's; an unreachable replica raises
    ConnectionError (an OSError) after moving on. The replicas hold the same keys, so `current.keys` names a
    client's key."""

    def __init__(self, replicas: list[Registry], first: int):
        self.replicas = replicas[first:] + replicas[:first]
        self.index = 0
        self.moves: list[tuple[float, str]] = []
        self.lock = threading.Lock()
        #: Every call: (time, replica, method, path, status or the failure, the task ids its answer names).
        self.calls: list[tuple[float, str, str, str, object, list[str]]] = []

    @property
    def current(self) -> Registry:
        return self.replicas[self.index]

    def move_on(self, replica: Registry) -> None:
        with self.lock:
            if self.current is replica:
                self.index = (self.index + 1) % len(self.replicas)
                self.moves.append((time.monotonic(), replica.name))

    def api(self, method: str, path: str, body=None, key=ADMIN, timeout: float = 10):
        replica = self.current
        try:
            status, answer = replica.api(method, path, body, key=key, timeout=timeout)
        except UNREACHABLE as error:
            self.calls.append((time.monotonic(), replica.name, method, path, repr(error), []))
            self.move_on(replica)
            raise ConnectionError(f"{replica.name}: {error!r}") from error
        named = [answer["task_id"]] if isinstance(answer, dict) and "task_id" in answer else []
        if isinstance(answer, dict):
            named += [task["id"] for task in answer.get("tasks", []) + answer.get("pending_tasks", [])]
        self.calls.append((time.monotonic(), replica.name, method, path, status, named))
        return status, answer

    def calls_about(self, task_id: str, since: float) -> list[tuple]:
        """The calls whose path or answer names `task_id`, with times relative to `since`."""
        return [(round(at - since, 3), *rest) for at, *rest in self.calls if task_id in rest[2] or task_id in rest[4]]


class Heartbeats(threading.Thread):
    """An agent that registers, then heartbeats every `interval` through its replicas; records the time of each
    acknowledged beat, and hands the tasks a heartbeat answer assigns to `on_tasks`."""

    def __init__(self, agent_id: str, failover: Failover, skills=("idle",), interval: float = 0.3, on_tasks=None, held=None):
        super().__init__(daemon=True)
        self.agent_id, self.failover, self.skills, self.interval = agent_id, failover, list(skills), interval
        self.on_tasks, self.held = on_tasks, held
        self.key = failover.current.keys.for_peer(agent_id)
        self.acknowledged: list[float] = []
        self.unreachable: list[tuple[float, str]] = []
        self.other: list[tuple[float, int, object]] = []
        self.done = threading.Event()
        self.registered = threading.Event()

    def beat(self, path: str, body: dict) -> dict | None:
        """One call; the answer on 200, None otherwise (recorded)."""
        try:
            status, answer = self.failover.api("POST", path, body, key=self.key)
        except ConnectionError as error:
            self.unreachable.append((time.monotonic(), str(error)))
            return None
        if status == 200:
            return answer
        self.other.append((time.monotonic(), status, answer))
        return None

    def run(self) -> None:
        registration = {"agent_id": self.agent_id, "hostname": "e2e", "status": "ready", "capabilities": {"skills": self.skills}}
        while not self.done.is_set() and self.beat("/api/registry/agents", registration) is None:
            time.sleep(0.1)
        self.registered.set()
        while not self.done.is_set():
            body = {"agent_id": self.agent_id, "skill_names": self.skills, "status": "ready"}
            if self.held:
                body["held_tasks"] = self.held()
            answer = self.beat("/api/hub/heartbeat", body)
            if answer is None:
                time.sleep(0.1)  # then again, on the next replica after a connection failure
                continue
            self.acknowledged.append(time.monotonic())
            if self.on_tasks:
                self.on_tasks(answer["pending_tasks"], "heartbeat")
            time.sleep(self.interval)

    def stop(self) -> None:
        self.done.set()
        if self.is_alive():
            self.join(timeout=20)


class Worker:
    """An agent doing the "calculate" tasks: heartbeats, long-poll claims and completions through its replicas.
    A completion is retried until the registry answers it (on the next replica after a connection failure);
    a 409 whose task is already completed with our result means an earlier attempt got through unanswered.

    Like our agent, its heartbeats say which tasks it holds (`held_tasks`: handed to it, completion not yet
    acknowledged), so an assignment committed on a replica killed before its answer reached us goes back to the
    queue after the registry's grace (10 s) and comes to us again; each such task is `delivered` only then."""

    def __init__(self, failover: Failover):
        self.failover = failover
        self.key = failover.current.keys.for_peer(WORKER)
        self.heartbeats = Heartbeats(WORKER, failover, skills=("calculate",), interval=1.0, on_tasks=self.deliver, held=self.held)
        self.lock = threading.Lock()
        self.delivered: dict[str, str] = {}  # task id -> "claim" | "heartbeat" (the registry handed it to us)
        self.redelivered: list[tuple[str, str]] = []  # handed to us again by the registry
        self.completed: dict[str, tuple[str, float]] = {}  # acknowledged completions: id -> (result, time)
        self.confirmed: list[str] = []  # completions answered 409 "already completed" (an earlier attempt got through)
        self.unreachable: list[tuple[float, str]] = []
        self.other: list[tuple[float, str, int, object]] = []
        self.done = threading.Event()
        self.claimer = threading.Thread(target=self.claim_loop, daemon=True)

    def start(self) -> "Worker":
        self.heartbeats.start()
        self.heartbeats.registered.wait(15)
        self.claimer.start()
        return self

    def stop(self) -> None:
        self.done.set()
        if self.claimer.is_alive():
            self.claimer.join(timeout=20)
        self.heartbeats.stop()

    def held(self) -> list[str]:
        with self.lock:
            return [task_id for task_id in self.delivered if task_id not in self.completed and task_id not in self.confirmed]

    def deliver(self, tasks: list[dict], how: str) -> None:
        for task in tasks:
            with self.lock:
                if task["id"] in self.delivered:
                    self.redelivered.append((task["id"], how))
                    continue
                self.delivered[task["id"]] = how
            self.complete(task["id"])

    def complete(self, task_id: str) -> None:
        result = f"done {task_id}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                status, answer = self.failover.api("POST", f"/api/hub/tasks/{task_id}", {"state": "completed", "result": result}, key=self.key)
                if status == 409:
                    task = self.failover.api("GET", f"/api/hub/tasks/{task_id}", key=self.key)[1]
                    if task.get("state") == "completed" and task.get("result") == result:
                        self.confirmed.append(task_id)
                        return
            except ConnectionError as error:
                self.unreachable.append((time.monotonic(), str(error)))
                time.sleep(0.1)
                continue
            if status == 200:
                self.completed[task_id] = (result, time.monotonic())
                return
            self.other.append((time.monotonic(), task_id, status, answer))
            if status != 503:
                return
            time.sleep(0.3)
        self.other.append((time.monotonic(), task_id, 0, "gave up completing"))

    def claim_loop(self) -> None:
        while not self.done.is_set():
            try:
                status, answer = self.failover.api("POST", "/api/hub/tasks/claim", {"agent_id": WORKER, "wait_ms": 1000}, key=self.key)
            except ConnectionError as error:
                self.unreachable.append((time.monotonic(), str(error)))
                time.sleep(0.1)
                continue
            if status == 200:
                self.deliver(answer["tasks"], "claim")
            else:
                self.other.append((time.monotonic(), "claim", status, answer))
                time.sleep(0.3)


class SignalingPeer(threading.Thread):
    """A sidecar's signaling through its replicas: connects (JWT from the replica it uses), registers, and sends
    the other peer offers, answers and ICE candidates, three back to back every 100 ms, each with a sequence
    number in its payload; when the connection drops or fails it moves to the next replica. Records what it
    sent (once the WebSocket took it), what arrived from the other peer and in which order, the registry's
    frames, and each registration's replica."""

    TYPES = ("offer", "answer", "ice_candidate")

    def __init__(self, peer_id: str, other: str, failover: Failover):
        super().__init__(daemon=True)
        self.peer_id, self.other, self.failover = peer_id, other, failover
        self.key = failover.current.keys.for_peer(peer_id)
        self.sent: list[tuple[int, float]] = []
        self.received: dict[int, float] = {}
        self.arrivals: list[int] = []  # the other peer's sequence numbers in the order they came
        self.notices: list[tuple[float, dict]] = []  # frames from "registry": peer_list, peer_joined, peer_left, error
        self.registrations: list[tuple[float, str]] = []  # (time of its peer_list, replica)
        self.drops: list[tuple[float, str, str]] = []
        self.done = threading.Event()

    def frame(self, seq: int) -> str:
        kind = self.TYPES[seq % 3]
        payload = ({"candidate": f"candidate:{seq} 1 udp 2130706431 127.0.0.1 {10000 + seq % 50000} typ host", "sdpMid": "0", "sdpMLineIndex": 0}
                   if kind == "ice_candidate" else {"sdp": f"v=0\r\no=- {seq} 1 IN IP4 127.0.0.1\r\n"})
        return json.dumps({"type": kind, "peer_id": self.peer_id, "target_id": self.other, "payload": {**payload, "seq": seq}})

    def read(self, ws, replica: Registry, registered: threading.Event, broken: threading.Event) -> None:
        while not broken.is_set():
            try:
                message = json.loads(ws.recv())
            except websocket.WebSocketTimeoutException:
                continue
            except Exception as error:  # closed, reset: the connection is gone
                if not self.done.is_set():
                    self.drops.append((time.monotonic(), replica.name, repr(error)))
                broken.set()
                return
            now = time.monotonic()
            if message.get("peer_id") == "registry":
                self.notices.append((now, message))
                if message["type"] == "peer_list" and not registered.is_set():
                    self.registrations.append((now, replica.name))
                    registered.set()
            elif message.get("peer_id") == self.other and message.get("type") in self.TYPES:
                self.received.setdefault(message["payload"]["seq"], now)
                self.arrivals.append(message["payload"]["seq"])

    def run(self) -> None:
        seq = 0
        while not self.done.is_set():
            replica = self.failover.current
            try:
                status, answer = self.failover.api("POST", "/api/token", key=self.key)
                if status != 200:
                    self.notices.append((time.monotonic(), {"type": "error", "token": status, "answer": answer}))
                    time.sleep(0.3)
                    continue
                ws = websocket.create_connection(f"ws://{replica.public_host}:{replica.port}/ws?token={answer['token']}", timeout=2,
                                                 enable_multithread=True)
            except (OSError, websocket.WebSocketException) as error:
                self.drops.append((time.monotonic(), replica.name, repr(error)))
                self.failover.move_on(replica)
                time.sleep(0.1)
                continue
            registered, broken = threading.Event(), threading.Event()
            reader = threading.Thread(target=self.read, args=(ws, replica, registered, broken), daemon=True)
            reader.start()
            try:
                ws.send(json.dumps({"type": "register", "peer_id": self.peer_id, "payload": None}))
                registered.wait(5)
                while registered.is_set() and not broken.is_set() and not self.done.is_set():
                    for _ in range(3):  # an offer, answer or candidates come in bursts
                        seq += 1
                        ws.send(self.frame(seq))
                        self.sent.append((seq, time.monotonic()))
                    time.sleep(0.1)
            except Exception as error:
                self.drops.append((time.monotonic(), replica.name, repr(error)))
            if not self.done.is_set():
                self.failover.move_on(replica)  # as the sidecar: a dropped connection moves to the next URL
            broken.set()
            try:
                ws.close(timeout=1)
            except Exception:
                pass
            reader.join(timeout=5)

    def stop(self) -> None:
        self.done.set()
        if self.is_alive():
            self.join(timeout=10)

    def errors_between(self, start: float, end: float) -> list[dict]:
        return [message for at, message in self.notices if start <= at < end and message["type"] == "error"]


def wait_for_leader(r: list[Registry]) -> Registry:
    def leaders():
        found = [replica for replica in r if LEADS in replica.log()]
        return found if len(found) == 1 else None
    time.sleep(1.5)  # a second leader would show within the 1 s the others retry the lock
    return wait_until(leaders, "exactly one replica to lead", timeout=15)[0]


def explain(task_id: str, db: Postgres, survivors: list[Registry], failovers: list[Failover], killed_at: float) -> str:
    """What the database, each survivor and the clients' calls say of a task (times relative to the kill)."""
    stored = db.query(f"SELECT version, body FROM records WHERE kind = 'task' AND id = '{task_id}'")
    views = {replica.name: {k: v for k, v in task.items() if k in ("state", "assigned_agent_id", "attempts", "updated_at", "created_at")}
             for replica, task in zip(survivors, state_everywhere(survivors, task_id))}
    calls = sorted(call for failover in failovers for call in failover.calls_about(task_id, killed_at))
    return f"task {task_id}: stored {stored}; replicas {views}; calls {calls}"


def state_everywhere(r: list[Registry], task_id: str) -> list[dict]:
    """The task as each replica has it ({} where it has not arrived yet)."""
    answers = [replica.api("GET", f"/api/hub/tasks/{task_id}") for replica in r]
    return [task if status == 200 else {} for status, task in answers]


@pytest.mark.parametrize("victim_role", ["leader", "follower"])
def test_kill_9_of_a_replica_under_load_loses_nothing_acknowledged_clients_move_on_and_sweeps_go_on(workdir, cleanup, new_registry, victim_role):
    db = Postgres().start()
    cleanup(db)
    r = replicas(new_registry, workdir, db, 3, (*HEARTBEATERS, WORKER, *SIGNALERS), cleanup)
    leader = wait_for_leader(r)
    v = r.index(leader) if victim_role == "leader" else (r.index(leader) + 1) % 3
    victim = r[v]
    survivors = [replica for replica in r if replica is not victim]

    # Every kind of client has one that uses the victim first (`on_victim`); the others start on the
    # survivors. The two signaling peers are on different replicas before the kill (v, v+2) and after it
    # (v+1, v+2).
    beaters = [Heartbeats(agent_id, Failover(r, (v + n) % 3)) for n, agent_id in enumerate(HEARTBEATERS)]
    submitters = [submissions(Failover(r, (v + n) % 3)) for n in range(3)]
    worker = Worker(Failover(r, v))
    sig_a = SignalingPeer("sig-a", "sig-b", Failover(r, v))
    sig_b = SignalingPeer("sig-b", "sig-a", Failover(r, (v + 2) % 3))
    on_victim = {"submitter": submitters[0].registry, "heartbeats": beaters[0].failover, "worker": worker.failover, "sig-a": sig_a.failover}
    elsewhere = {**{f"submitter {n}": s.registry for n, s in enumerate(submitters[1:], 1)},
                 **{f"heartbeats {n}": b.failover for n, b in enumerate(beaters[1:], 1)}, "sig-b": sig_b.failover}
    for client in [*beaters, *submitters, worker, sig_a, sig_b]:
        cleanup(client)  # stopped after the test, whatever happens
    for client in [*beaters, sig_a, sig_b, worker, *submitters]:
        client.start()

    # The leader's sweep works before the kill: a task nobody takes fails when its TTL runs out.
    early_probe = leader.submit(skill="nobody-offers-this", payload={}, ttl=1)
    wait_until(lambda: all(len(s.acknowledged) >= 10 for s in submitters) and len(worker.completed) >= 10
               and all(len(b.acknowledged) >= 3 for b in beaters) and len(sig_a.received) >= 10 and len(sig_b.received) >= 10,
               "load on every replica: submissions, completions, heartbeats and signaling", timeout=30)
    wait_until(lambda: all(t.get("state") == "failed" and t["error"] == "TTL expired" for t in state_everywhere(r, early_probe)),
               "the first probe task to fail at the end of its TTL", timeout=5)

    # The clients that started on the victim have used it so far (a client moves only after a failure).
    assert not any(f.moves for f in [*on_victim.values(), *elsewhere.values()]), {name: f.moves for name, f in {**on_victim, **elsewhere}.items()}
    assert [name for _, name in sig_a.registrations] == [victim.name] and [name for _, name in sig_b.registrations] == [r[(v + 2) % 3].name]
    before = {"submitted": len(submitters[0].acknowledged), "completed": len(worker.completed), "beats": len(beaters[0].acknowledged)}
    leads_before = {replica.name: replica.log().count(LEADS) for replica in survivors}
    killed_wall = datetime.now(timezone.utc)
    killed_at = time.monotonic()
    victim.kill()

    # The mesh-wide sweep goes on: a task nobody takes, submitted right after the kill (before a new leader
    # can have taken over), fails at the end of its TTL, on both survivors.
    late_probe = survivors[0].submit(skill="nobody-offers-this", payload={}, ttl=2)
    took_over = None
    if victim_role == "leader":
        new_leaders = wait_until(lambda: [s.name for s in survivors if s.log().count(LEADS) > leads_before[s.name]],
                                 "a survivor to take the lead", timeout=10, interval=0.1)
        took_over = time.monotonic() - killed_at
        assert len(new_leaders) == 1, new_leaders
    wait_until(lambda: all(t.get("state") == "failed" for t in state_everywhere(survivors, late_probe)), "the probe task to fail after the kill",
               timeout=12, interval=0.2)
    assert [t["error"] for t in state_everywhere(survivors, late_probe)] == ["TTL expired"] * 2
    if victim_role == "follower":
        assert {s.name: s.log().count(LEADS) for s in survivors} == leads_before  # the leader, a survivor, kept the lead

    # The clients that used the victim moved to the next replica on their list and carry on there.
    wait_until(lambda: len(submitters[0].acknowledged) >= before["submitted"] + 10 and len(worker.completed) >= before["completed"] + 10
               and len(beaters[0].acknowledged) >= before["beats"] + 3, "the victim's clients to carry on through survivors", timeout=20)
    # Signaling: sig-a registers on the next replica (sig-b stays where it was: another one), and frames flow
    # both ways again. Settled = both have received a frame sent after sig-a registered there.
    wait_until(lambda: len(sig_a.registrations) >= 2, "sig-a to register on a survivor", timeout=15)
    rejoined = sig_a.registrations[1][0]
    assert [name for _, name in sig_a.registrations] == [victim.name, r[(v + 1) % 3].name], sig_a.registrations

    def settled():
        to_b = [sig_b.received[seq] for seq, at in list(sig_a.sent) if at > rejoined and seq in sig_b.received]
        to_a = [sig_a.received[seq] for seq, at in list(sig_b.sent) if at > rejoined and seq in sig_a.received]
        return to_b and to_a and max(min(to_b), min(to_a))
    settled_at = wait_until(settled, "signaling frames to flow both ways after sig-a moved", timeout=10)
    time.sleep(3)  # steady traffic of every kind after things settled

    for submitter in submitters:
        submitter.stop()
    stopped_signaling = time.monotonic()
    time.sleep(1)  # frames in flight arrive
    closing = time.monotonic()
    sig_a.stop()
    sig_b.stop()

    # Every acknowledged submission is on both survivors and ends completed (the worker drains the queue),
    # and so does every other "calculate" task (one whose submission was cut off may have been stored).
    acknowledged = [task_id for s in submitters for task_id in s.acknowledged]

    def unfinished(replica: Registry) -> dict:
        tasks = {task["id"]: task for task in replica.tasks()}
        left = {task_id: tasks[task_id]["state"] if task_id in tasks else "missing" for task_id in acknowledged
                if tasks.get(task_id, {}).get("state") != "completed"}
        left.update({task["id"]: f"{task['state']} (not acknowledged)" for task in tasks.values()
                     if task["skill"] == "calculate" and task["id"] not in acknowledged and task["state"] != "completed"})
        return left
    for replica in survivors:
        try:
            wait_until(lambda: not unfinished(replica), f"{replica.name} to show every task completed", timeout=30, interval=0.5)
        except AssertionError:
            left = unfinished(replica)
            raise AssertionError(f"{replica.name}: {len(left)} tasks of {len(acknowledged)} acknowledged not completed: {dict(list(left.items())[:20])}; "
                                 f"worker: delivered {len(worker.delivered)}, claiming {worker.claimer.is_alive()}, "
                                 f"heartbeating {worker.heartbeats.is_alive()}, refused {worker.other[:5]}\n"
                                 + "\n".join(explain(task_id, db, survivors, [*on_victim.values(), *elsewhere.values()], killed_at) for task_id in list(left)[:5]))
    worker.stop()
    for beater in beaters:
        beater.stop()

    # No acknowledged completion was undone: each is completed with its result on both survivors, and no task
    # was handed to the worker twice.
    for replica in survivors:
        tasks = {task["id"]: task for task in replica.tasks()}
        reverted = {task_id: (tasks[task_id]["state"], tasks[task_id]["result"]) if task_id in tasks else "missing"
                    for task_id, (result, _) in worker.completed.items()
                    if task_id not in tasks or (tasks[task_id]["state"], tasks[task_id]["result"]) != ("completed", result)}
        assert not reverted, f"{replica.name}: acknowledged completions not there: {reverted}"
    assert not worker.redelivered, worker.redelivered

    # Heartbeats through the survivors reached both survivors (liveness is stored every 5 s).
    for replica in survivors:
        for agent_id in (*HEARTBEATERS, WORKER):
            def beat_after_kill():
                status, record = replica.api("GET", f"/api/registry/agents/{agent_id}")
                return status == 200 and parse_time(record["last_heartbeat"]) >= killed_wall and record
            record = wait_until(beat_after_kill, f"{replica.name} to see {agent_id} heartbeat after the kill", timeout=10, interval=0.5)
            assert record["health"] == "active", record

    # Only the victim's clients met failures, all after the kill, and each moved once, to its next replica;
    # the others never failed. Nobody got a status but 200 (a 503, a race lost to another replica, would be
    # allowed: retried, or the submission not acknowledged).
    for name, failover in on_victim.items():
        assert [replica for _, replica in failover.moves] == [victim.name] and failover.moves[0][0] >= killed_at, (name, failover.moves)
        assert failover.current is failover.replicas[1], name
    for name, failover in elsewhere.items():
        assert not failover.moves, (name, failover.moves)
    failures = {"submitter": [at for at, status in submitters[0].other if not isinstance(status, int)],
                "heartbeats": [at for at, _ in beaters[0].unreachable],
                "worker": [at for at, _ in worker.unreachable + worker.heartbeats.unreachable],
                "sig-a": [at for at, *_ in sig_a.drops]}
    for name, times in failures.items():
        assert times and min(times) >= killed_at, (name, times)
    assert not [status for s in submitters for _, status in s.other if isinstance(status, int) and status != 503], [s.other for s in submitters]
    assert not [o for o in worker.other if o[2] != 503] and not any(b.other for b in beaters), (worker.other, [b.other for b in beaters])
    assert not [status for s in submitters[1:] for _, status in s.other if not isinstance(status, int)] and not any(b.unreachable for b in beaters[1:])
    assert not sig_b.drops and len(sig_b.registrations) == 1, sig_b.drops

    # Signaling: once settled, every frame either peer sent arrived, and no error came back (such as
    # "unknown target peer"); sig-b never heard that sig-a left once sig-a was back.
    for sender, receiver in ((sig_a, sig_b), (sig_b, sig_a)):
        steady = [seq for seq, at in sender.sent if settled_at < at < stopped_signaling]
        lost = [seq for seq in steady if seq not in receiver.received]
        assert len(steady) >= 40 and not lost, f"{sender.peer_id} -> {receiver.peer_id}: {len(lost)} of {len(steady)} frames lost: {lost[:20]}"
        assert not sender.errors_between(settled_at, closing), sender.errors_between(settled_at, closing)
    assert not [m for at, m in sig_b.notices if rejoined <= at < closing and m["type"] == "peer_left"], sig_b.notices

    # The survivors are up and ready; the victim is gone.
    for replica in survivors:
        assert replica.process.poll() is None, replica.log()[-3000:]
        assert replica.api("GET", "/readyz")[0] == 200
    assert victim.process.poll() is not None
    print(f"\n{victim_role} {victim.name} killed; lead taken over in {took_over and round(took_over, 2)} s; "
          f"{len(acknowledged)} acknowledged submissions, {len(worker.completed)} acknowledged completions "
          f"(+{len(worker.confirmed)} confirmed by a 409), assignments whose answer was lost (requeued and redelivered): "
          f"{[task_id for task_id, task in {t['id']: t for t in survivors[0].tasks()}.items() if task['skill'] == 'calculate' and task.get('attempts', 0) > 0]}; "
          f"sig-a registered again {rejoined - killed_at:.2f} s after the kill, settled after {settled_at - killed_at:.2f} s; "
          f"frames a->b {len(sig_a.sent)} sent, {len(sig_b.received)} received; b->a {len(sig_b.sent)} sent, {len(sig_a.received)} received; "
          f"arrived out of order (a frame after a later one of its sender): "
          f"{ {p.peer_id: sum(y < x for x, y in zip(p.arrivals, p.arrivals[1:])) for p in (sig_a, sig_b)} }")
