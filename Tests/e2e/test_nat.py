"""Two sidecars in separate network namespaces whose direct path is dropped by iptables, with a real coturn
(use-auth-secret) and the registry reachable by both on the router: the DataChannel forms through the relay
with the registry's ephemeral credentials, and without TURN the attempt fails cleanly (a clear log line, the
sidecars stay responsive, no hang)."""

from __future__ import annotations

import pytest

from pysupport.coturn import Coturn
from pysupport.netns import Netns
from pysupport.processes import run_checked
from pysupport.registry import Registry
from pysupport.sidecar import Sidecar
from pysupport.tls import self_signed_certificate
from pysupport.waits import wait_until

SECRET = "e2e-turn-static-auth-secret"


@pytest.fixture
def net(cleanup):
    network = Netns().up()
    cleanup(network)
    return network


def mesh_message(text: str) -> dict:
    return {"type": "agent_prompt", "request_id": text, "source_agent": "a", "target_agent": "b", "payload": {"message": text}}


def start_pair(registry: Registry, workdir, net: Netns, cleanup, **env) -> tuple[Sidecar, Sidecar]:
    a = Sidecar(registry, workdir, "nat-a", netns=net.names["a"], host=net.address("a"), extra_env=env).start()
    cleanup(a)
    b = Sidecar(registry, workdir, "nat-b", netns=net.names["b"], host=net.address("b"), extra_env=env).start()
    cleanup(b)
    return a, b


def test_the_datachannel_forms_through_coturn_when_the_direct_path_is_blocked(workdir, net, cleanup, new_registry):
    coturn = Coturn(workdir, SECRET, address=Netns.SERVICE).start()
    cleanup(coturn)
    registry = new_registry(["nat-a", "nat-b"], host="0.0.0.0", public_host=Netns.SERVICE,
                            extra_env={"TURN_URL": coturn.url, "TURN_SECRET": SECRET}).start()
    cleanup(registry)
    net.block()
    a, b = start_pair(registry, workdir, net, cleanup)
    agent_a, agent_b = a.connect(), b.connect()
    assert agent_a.next("peer_connected", timeout=30)["payload"] == {"peer_id": "nat-b"}
    assert agent_b.next("peer_connected", timeout=30)["payload"] == {"peer_id": "nat-a"}
    for sender, receiver, target, text in ((agent_a, agent_b, "nat-b", "a to b via turn"), (agent_b, agent_a, "nat-a", "b to a via turn")):
        sender.send("send", {"target_peer": target, "message": mesh_message(text)}, id_=text)
        assert receiver.next("message")["payload"]["message"]["payload"]["message"] == text
    # The direct path was tried and dropped; the relay carried the channel with registry-minted credentials
    # ("<expiry>:<peer_id>" usernames under the shared secret).
    assert net.dropped_packets() > 0
    log = coturn.log()
    assert log.count("ALLOCATE processed, success") >= 2, log[-3000:]
    assert ":nat-a" in log and ":nat-b" in log
    wait_until(lambda: ("nat-a", "nat-b") in registry.edges(), "the observed edge")


def test_without_turn_the_blocked_pair_fails_cleanly_and_stays_responsive(workdir, net, cleanup, new_registry):
    registry = new_registry(["nat-a", "nat-b"], host="0.0.0.0", public_host=Netns.SERVICE).start()
    cleanup(registry)
    net.block()
    a, b = start_pair(registry, workdir, net, cleanup)
    agent_a = a.connect()
    for sidecar in (a, b):
        wait_until(lambda: "connection attempt timed out" in sidecar.log(), f"{sidecar.peer_id} to log the failed attempt", timeout=30)
    assert "remote=nat-b" in a.log().split("connection attempt timed out")[0].splitlines()[-1]
    assert net.dropped_packets() > 0
    assert not [line for line in agent_a.drain() if line["type"] == "peer_connected"]
    # Not hung: both still serve their agent and signaling.
    agent_a.send("list_peers", id_="lp")
    assert agent_a.next("peer_list", timeout=5)["payload"]["peers"] == []
    agent_a.send("send", {"target_peer": "nat-b", "message": mesh_message("nope")}, id_="s1")
    assert agent_a.next("error", timeout=5)["payload"]["id"] == "s1"
    assert a.process.poll() is None and b.process.poll() is None
    assert not registry.edges()


def test_an_ice_restart_over_turn_tcp_closes_the_replaced_agents_connections(workdir, net, cleanup, new_registry):
    """Relay-only over TURN TCP with the direct path blocked. ns-b (the offerer: it comes second) gains a second address:
    it restarts ICE, whose new agent connects to coturn from both addresses, and the old agent's connection is closed
    rather than left open beside them."""
    coturn = Coturn(workdir, SECRET, address=Netns.SERVICE, tls=self_signed_certificate(workdir, names=(f"IP:{Netns.SERVICE}",))).start()
    cleanup(coturn)
    registry = new_registry(["nat-a", "nat-b"], host="0.0.0.0", public_host=Netns.SERVICE,
                            extra_env={"TURN_URL": coturn.tcp_url, "TURN_SECRET": SECRET}).start()
    cleanup(registry)
    net.block()
    relay_only = {"ICE_TRANSPORT_POLICY": "relay"}
    a = Sidecar(registry, workdir, "nat-a", netns=net.names["a"], host=net.address("a"), extra_env=relay_only).start()
    cleanup(a)
    agent_a = a.connect()
    wait_until(lambda: "signaling connected" in a.log(), "nat-a on signaling")
    b = Sidecar(registry, workdir, "nat-b", netns=net.names["b"], host=None, extra_env=relay_only).start()
    cleanup(b)
    agent_b = b.connect()
    agent_a.next("peer_connected", timeout=30)
    agent_b.next("peer_connected", timeout=30)

    def turn_connections(side: str) -> list[str]:
        """A side's established TCP connections to coturn, by local address."""
        out = run_checked("ip", "netns", "exec", net.names[side], "ss", "-Htn", "state", "established", "dst", f"{Netns.SERVICE}:{coturn.port}")
        return sorted(line.split()[-2].rsplit(":", 1)[0] for line in out.splitlines() if line.strip())

    assert turn_connections("a") == ["10.1.0.2"] and turn_connections("b") == ["10.2.0.2"]
    run_checked("ip", "netns", "exec", net.names["b"], "ip", "addr", "add", "10.2.0.3/24", "dev", "ve-b-in")
    wait_until(lambda: "connection back (ICE restarted)" in b.log(), "nat-b's ICE restart to complete", timeout=30)
    # Each side's new agent has one connection per address; the replaced agents' are gone (their allocations released
    # first), on the side that restarted and on the side that answered the restart.
    wait_until(lambda: turn_connections("b") == ["10.2.0.2", "10.2.0.3"] and turn_connections("a") == ["10.1.0.2"],
               "one TURN connection per address and agent", timeout=10)
    roundtrip_text = "after the restart"
    agent_b.send("send", {"target_peer": "nat-a", "message": mesh_message(roundtrip_text)}, id_="r")
    assert agent_a.next("message", timeout=10)["payload"]["message"]["payload"]["message"] == roundtrip_text
    assert not [line for line in agent_a.drain() + agent_b.drain() if line["type"] in ("peer_disconnected", "peer_connected")]
