"""Sidecars forming a mesh through the real registry and carrying agents' messages over DataChannels."""

from __future__ import annotations

import json
import queue
import threading
import time

from pysupport.sidecar import Sidecar
from pysupport.waits import wait_until


def mesh_message(text: str, **extra) -> dict:
    return {"type": "task_request", "request_id": "r-1", "source_agent": "alpha", "target_agent": "beta",
            "payload": {"message": text, "skill": "echo"}, **extra}


def test_a_connected_sidecar_has_not_loaded_the_full_foundation_library(sidecars):
    """Its code uses FoundationEssentials only: the full Foundation brings ICU's tables and some 6 MB of resident
    memory to every sidecar (one per agent). A connection exercises TLS-free HTTP, signaling, DTLS and SCTP first."""
    a, b = sidecars("sc-1"), sidecars("sc-2")
    a.connect().next("peer_connected")
    for sidecar in (a, b):
        libraries = {line.split()[-1].rsplit("/", 1)[-1] for line in open(f"/proc/{sidecar.process.pid}/maps") if ".so" in line}
        assert "libFoundationEssentials.so" in libraries
        assert not {"libFoundation.so", "lib_FoundationICU.so"} & libraries, sorted(libraries)


def test_two_sidecars_connect_and_exchange_messages(sidecars, registry):
    a, b = sidecars("sc-1"), sidecars("sc-2")
    agent_a, agent_b = a.connect(), b.connect()
    assert agent_a.next("peer_connected")["payload"] == {"peer_id": "sc-2"}
    assert agent_b.next("peer_connected")["payload"] == {"peer_id": "sc-1"}

    # Unknown fields survive the trip: the sidecar passes MeshMessages through unchanged.
    sent = mesh_message("hello beta", trace={"hops": [1, 2]})
    agent_a.send("send", {"target_peer": "sc-2", "message": sent}, id_="m1")
    assert agent_a.next("ack")["payload"] == {"id": "m1"}
    received = agent_b.next("message")["payload"]
    assert received == {"from_peer": "sc-1", "message": sent}

    reply = {**mesh_message("hello alpha"), "type": "task_response"}
    agent_b.send("send", {"target_peer": "sc-1", "message": reply}, id_=7)
    assert agent_b.next("ack")["payload"] == {"id": 7}
    assert agent_a.next("message")["payload"] == {"from_peer": "sc-2", "message": reply}

    agent_a.send("list_peers", {})
    assert agent_a.next("peer_list")["payload"] == {"peers": ["sc-2"]}
    # The registry's topology shows the link both sidecars reported.
    wait_until(lambda: ("sc-1", "sc-2") in registry.edges(), "the observed edge")


def test_three_sidecars_form_a_full_mesh_and_broadcast(sidecars, registry):
    nodes = [sidecars(peer) for peer in ("sc-1", "sc-2", "sc-3")]
    agents = [node.connect() for node in nodes]
    for agent, node in zip(agents, nodes):
        others = {n.peer_id for n in nodes} - {node.peer_id}
        seen = {agent.next("peer_connected")["payload"]["peer_id"] for _ in others}
        assert seen == others

    agents[0].send("broadcast", {"message": mesh_message("to everyone", type="agent_prompt", target_agent="*")}, id_="b")
    assert agents[0].next("ack")["payload"] == {"id": "b"}
    for agent in agents[1:]:
        message = agent.next("message")["payload"]
        assert message["from_peer"] == "sc-1" and message["message"]["payload"]["message"] == "to everyone"
    wait_until(lambda: registry.edges() == {("sc-1", "sc-2"), ("sc-1", "sc-3"), ("sc-2", "sc-3")}, "three observed edges")


def test_mesh_level_ping_is_answered_by_the_remote_sidecar(sidecars):
    a, b = sidecars("sc-1"), sidecars("sc-2")
    agent_a, agent_b = a.connect(), b.connect()
    agent_a.next("peer_connected")
    agent_b.next("peer_connected")
    ping = {"type": "ping", "request_id": "p-42", "source_agent": "alpha", "target_agent": "beta", "payload": {"sent_ns": 123}}
    agent_a.send("send", {"target_peer": "sc-2", "message": ping})
    pong = agent_a.next("message")["payload"]
    assert pong["from_peer"] == "sc-2"
    assert pong["message"] == {"type": "pong", "request_id": "p-42", "source_agent": "beta", "target_agent": "alpha", "payload": {"sent_ns": 123}}
    # The remote agent never sees the ping.
    agent_b.send("list_peers", {})
    assert [line["type"] for line in [agent_b.next("peer_list")]] == ["peer_list"]
    assert not [line for line in agent_b.drain() if line["type"] == "message"]


def test_a_one_mebibyte_message_passes_end_to_end(sidecars):
    a, b = sidecars("sc-1"), sidecars("sc-2")
    agent_a, agent_b = a.connect(), b.connect()
    agent_a.next("peer_connected")
    agent_b.next("peer_connected")
    message = mesh_message("")
    overhead = len(json.dumps(message, separators=(",", ":")))
    message["payload"]["message"] = "x" * ((1 << 20) - overhead)
    assert len(json.dumps(message, separators=(",", ":"))) == 1 << 20
    agent_a.send("send", {"target_peer": "sc-2", "message": message}, id_="big")
    assert agent_a.next("ack", timeout=30)["payload"] == {"id": "big"}
    assert agent_b.next("message", timeout=30)["payload"]["message"] == message


def test_connect_command_and_errors_for_unknown_peers(sidecars):
    a = sidecars("sc-1")
    agent = a.connect()
    agent.send("send", {"target_peer": "sc-9", "message": mesh_message("nobody")}, id_="x")
    error = agent.next("error")["payload"]
    assert error["id"] == "x" and "sc-9" in error["error"]
    agent.send("connect", {"target_peer_id": "sc-9"}, id_="c")
    assert agent.next("error")["payload"]["id"] == "c"
    b = sidecars("sc-2")
    assert agent.next("peer_connected")["payload"] == {"peer_id": "sc-2"}
    agent.send("connect", {"target_peer_id": "sc-2"}, id_="c2")
    assert agent.next("ack")["payload"] == {"id": "c2"}
    b.stop()


def test_sidecars_started_at_once_still_form_a_full_mesh(registry, workdir):
    """Simultaneous starts make peers offer to each other at the same time; the smaller id's offer wins."""
    nodes = [Sidecar(registry, workdir, f"sc-{i}") for i in range(1, 6)]
    threads = [threading.Thread(target=node.start) for node in nodes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        expected = {tuple(sorted((a.peer_id, b.peer_id))) for a in nodes for b in nodes if a.peer_id < b.peer_id}
        wait_until(lambda: registry.edges() == expected, "all ten edges of a five-node mesh", timeout=30)
        agents = [node.connect() for node in nodes]
        for agent, node in zip(agents, nodes):
            seen = {agent.next("peer_connected")["payload"]["peer_id"] for _ in range(4)}
            assert seen == {n.peer_id for n in nodes} - {node.peer_id}
    finally:
        for node in nodes:
            node.stop()


def test_messages_wait_for_an_agent_that_is_not_attached_yet(sidecars):
    a, b = sidecars("sc-1"), sidecars("sc-2")
    agent_a = a.connect()
    agent_a.next("peer_connected")
    # sc-2's agent has not connected (it could be restarting); the message must not be lost.
    sent = mesh_message("while you were away")
    agent_a.send("send", {"target_peer": "sc-2", "message": sent}, id_="held")
    assert agent_a.next("ack")["payload"] == {"id": "held"}
    time.sleep(0.5)
    agent_b = b.connect()
    assert agent_b.next("peer_connected")["payload"] == {"peer_id": "sc-1"}
    assert agent_b.next("message")["payload"] == {"from_peer": "sc-1", "message": sent}


def test_a_slow_agent_holds_the_sender_back_and_loses_nothing(sidecars):
    a, b = sidecars("sc-1"), sidecars("sc-2")
    agent_a = a.connect()
    agent_a.next("peer_connected")
    agent_b = b.connect(reading=False)  # attached, but reading nothing for now
    # 80 MiB: more than sc-2 would ever queue for its agent (64 MiB) before it had backpressure.
    count, filler = 80, "x" * ((1 << 20) - 200)

    def send_all():
        for n in range(count):
            agent_a.send("send", {"target_peer": "sc-2", "message": mesh_message(filler, seq=n)}, id_=n)
    threading.Thread(target=send_all, daemon=True).start()

    # The acknowledgements stop once the buffers between the two agents are full.
    acked, last_ack, deadline = 0, time.monotonic(), time.monotonic() + 120
    while time.monotonic() - last_ack < 3:
        assert time.monotonic() < deadline, "acknowledgements kept coming for two minutes"
        try:
            line = agent_a.lines.get(timeout=0.2)
        except queue.Empty:
            continue
        assert line["type"] != "error", line
        if line["type"] == "ack":
            acked, last_ack = acked + 1, time.monotonic()
    assert acked < count, "every send was acknowledged while the receiving agent read nothing"

    agent_b.start_reading()
    received = []
    while len(received) < count:
        line = agent_b.lines.get(timeout=60)
        assert line["type"] != "error", line
        if line["type"] == "message":
            received.append(line["payload"]["message"]["seq"])
    assert received == list(range(count))
    while acked < count:
        assert agent_a.next(timeout=60)["type"] == "ack"
        acked += 1


def test_an_agent_that_dies_mid_flood_to_a_stalled_peer_is_replaced_at_once(sidecars):
    a, b = sidecars("sc-1"), sidecars("sc-2")
    agent_a = a.connect()
    agent_a.next("peer_connected")
    agent_b = b.connect(reading=False)  # stops reading: sc-2 pauses the channel, so sc-1's sends stall
    count, filler = 80, "x" * ((1 << 20) - 200)

    def flood():
        try:
            for n in range(count):
                agent_a.send("send", {"target_peer": "sc-2", "message": mesh_message(filler, seq=n)}, id_=n)
        except OSError:
            pass  # the agent "dies" below, mid-flood
    threading.Thread(target=flood, daemon=True).start()
    last_ack = time.monotonic()
    while time.monotonic() - last_ack < 3:
        try:
            if agent_a.lines.get(timeout=0.2)["type"] == "ack":
                last_ack = time.monotonic()
        except queue.Empty:
            pass
    # Both agents die; sc-1 still has a send waiting for the stalled channel and more commands unread.
    agent_a.close()
    agent_b.close()

    successor = a.connect()
    successor.send("list_peers", {}, id_="hello-again")
    assert successor.next("peer_list", timeout=5)["payload"] == {"peers": ["sc-2"]}
    wait_until(lambda: "dropped" in a.log() and "the agent disconnected before these commands ran" in a.log(),
               "sc-1 to report the dead agent's unread commands as dropped")
    dropped = [line for line in a.log().splitlines() if "the agent disconnected before these commands ran" in line]
    assert dropped and "commands=" in dropped[0] and int(dropped[0].split("commands=")[1].split()[0]) > 0, dropped

    # The restarted receiver gets what was sent for it, then the successor's message.
    receiver = b.connect()
    successor.send("send", {"target_peer": "sc-2", "message": mesh_message("after-restart")}, id_="after")
    assert successor.next("ack", where=lambda line: line["payload"]["id"] == "after", timeout=60)
    assert receiver.next("message", where=lambda line: line["payload"]["message"]["payload"]["message"] == "after-restart",
                         timeout=60)
    assert a.process.poll() is None and b.process.poll() is None
