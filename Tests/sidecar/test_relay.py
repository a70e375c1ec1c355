"""Relay-only sidecars: every byte goes through a real coturn, with credentials from the registry's
/api/config (or from the sidecar's own TURN_* environment)."""

from __future__ import annotations

import time

import pytest

from pysupport.coturn import Coturn, udp_blocked_but_relays
from pysupport.sidecar import Sidecar
from pysupport.tls import self_signed_certificate

SECRET = "sidecar-test-turn-secret"


@pytest.fixture
def coturn(workdir):
    server = Coturn(workdir, SECRET).start()
    yield server
    server.stop()


def exchange(a: Sidecar, b: Sidecar) -> None:
    agent_a, agent_b = a.connect(), b.connect()
    assert agent_a.next("peer_connected", timeout=20)["payload"] == {"peer_id": b.peer_id}
    agent_b.next("peer_connected", timeout=20)
    message = {"type": "agent_prompt", "request_id": "relay-1", "source_agent": "a", "target_agent": "b", "payload": {"message": "via turn"}}
    agent_a.send("send", {"target_peer": b.peer_id, "message": message}, id_=1)
    assert agent_b.next("message")["payload"]["message"] == message


def test_relay_only_sidecars_connect_through_coturn_with_registry_credentials(workdir, coturn, new_registry):
    registry = new_registry(extra_env={"TURN_URL": coturn.url, "TURN_SECRET": SECRET})
    registry.start()
    relay = {"ICE_TRANSPORT_POLICY": "relay"}
    a = Sidecar(registry, workdir, "sc-1", extra_env=relay).start()
    b = Sidecar(registry, workdir, "sc-2", extra_env=relay).start()
    try:
        exchange(a, b)
        log = coturn.log()
        assert log.count("ALLOCATE processed, success") >= 2 and "CHANNEL_BIND processed, success" in log, log[-3000:]
        # The registry minted "<expiry>:<peer_id>" usernames for each sidecar.
        assert ":sc-1" in log and ":sc-2" in log
    finally:
        a.stop(), b.stop(), registry.stop()


def test_behind_a_firewall_dropping_udp_sidecars_fall_back_to_the_registrys_turns_url(workdir, new_registry):
    certificate, key = self_signed_certificate(workdir, names=("IP:127.0.0.1",))
    server = Coturn(workdir, SECRET, tls=(certificate, key)).start()
    # The registry offers UDP first, then TLS, as a deployment would; only TLS gets through here.
    registry = new_registry(extra_env={"TURN_URL": f"{server.url},{server.tls_url}", "TURN_SECRET": SECRET})
    registry.start()
    env = {"ICE_TRANSPORT_POLICY": "relay", "CA_FILE": str(certificate)}
    a = b = None
    try:
        with udp_blocked_but_relays():
            a = Sidecar(registry, workdir, "sc-1", extra_env=env).start()
            b = Sidecar(registry, workdir, "sc-2", extra_env=env).start()
            exchange(a, b)
        sessions = [line for line in server.log().splitlines() if ": new, realm" in line]
        assert len(sessions) >= 2 and all("method=TLS" in line for line in sessions), sessions
    finally:
        for sidecar in (a, b):
            if sidecar:
                sidecar.stop()
        registry.stop()
        server.stop()


def test_turn_from_the_sidecar_environment(workdir, coturn, new_registry):
    registry = new_registry()  # no TURN in /api/config
    registry.start()
    env = {"ICE_TRANSPORT_POLICY": "relay", "TURN_URL": coturn.url, "TURN_SECRET": SECRET}
    a = Sidecar(registry, workdir, "sc-1", extra_env=env).start()
    b = Sidecar(registry, workdir, "sc-2", extra_env=env).start()
    try:
        exchange(a, b)
        assert "CHANNEL_BIND processed, success" in coturn.log()
    finally:
        a.stop(), b.stop(), registry.stop()


def test_relay_only_without_a_turn_server_fails_cleanly(workdir, new_registry):
    registry = new_registry()
    registry.start()
    a = Sidecar(registry, workdir, "sc-1", extra_env={"ICE_TRANSPORT_POLICY": "relay"}).start()
    b = Sidecar(registry, workdir, "sc-2", extra_env={"ICE_TRANSPORT_POLICY": "relay"}).start()
    try:
        agent = a.connect()
        time.sleep(3)
        assert not [line for line in agent.drain() if line["type"] == "peer_connected"]
        assert "no TURN server is configured" in a.log()
        assert a.process.poll() is None and b.process.poll() is None
    finally:
        a.stop(), b.stop(), registry.stop()
