"""TURN: our stack with the `relay` policy through a real coturn (Debian) on 127.0.0.1, inside the private
network namespace run.sh creates. coturn uses `use-auth-secret`, the registry's time-limited credentials."""

import asyncio
import base64
import json
import re
import time

import pytest
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.sdp import candidate_from_sdp

from pysupport.coturn import RELAY_PORTS, Coturn, udp_blocked_but_relays
from pysupport.ports import free_udp_port
from pysupport.rtc_peer import TIMEOUT, InteropPeer
from pysupport.tls import self_signed_certificate

SECRET = "interop-static-auth-secret"
SIZES = [0, 1, 1200, 16_000, 65_536, 256 * 1024]


def ice_servers(server: Coturn, peer: str, secret: str | None = None, port: int | None = None, url: str | None = None) -> str:
    """The registry's /api/config body for `peer`."""
    username, credential = server.credentials(peer, secret)
    url = url or f"turn:127.0.0.1:{port or server.port}?transport=udp"
    return json.dumps({"iceServers": [{"urls": [url], "username": username, "credential": credential}]})


@pytest.fixture
def coturn(tmp_path):
    server = Coturn(tmp_path, SECRET).start()
    yield server
    server.stop()


@pytest.fixture
def certificate(tmp_path):
    """coturn's TLS certificate (for 127.0.0.1), which the peers trust through CA_FILE."""
    return self_signed_certificate(tmp_path, names=("IP:127.0.0.1",))


@pytest.fixture
def stream_coturn(tmp_path, certificate):
    """coturn listening for UDP, TCP and TLS."""
    server = Coturn(tmp_path, SECRET, tls=certificate).start()
    yield server
    server.stop()


@pytest.fixture
def udp_blocked():
    with udp_blocked_but_relays():
        yield


def assert_relayed(candidate):
    """A candidate of ours must be a relayed address that coturn handed out."""
    fields = candidate.split()
    assert fields[fields.index("typ") + 1] == "relay", candidate
    assert fields[4] == "127.0.0.1" and int(fields[5]) in RELAY_PORTS, candidate


class Link:
    """Two Swift peers: candidates are passed across as they come, everything else is queued per peer."""

    def __init__(self, a, b):
        self.peers = {a: asyncio.Queue(), b: asyncio.Queue()}
        self.candidates = {a: [], b: []}
        self.tasks = [asyncio.create_task(self._forward(a, b)), asyncio.create_task(self._forward(b, a))]

    async def _forward(self, source, target):
        while True:
            message = await source.queue.get()
            if message["type"] == "candidate":
                self.candidates[source].append(message["candidate"])
                target.send(type="candidate", candidate=message["candidate"])
            else:
                await self.peers[source].put(message)

    async def next(self, peer, type_, timeout=TIMEOUT):
        while True:
            message = await asyncio.wait_for(self.peers[peer].get(), timeout)
            if message["type"] == "error":
                raise AssertionError(f"swift peer error: {message['error']}")
            if message["type"] == type_:
                return message

    def close(self):
        for task in self.tasks:
            task.cancel()


async def final_state(peer, timeout=TIMEOUT):
    """The first `connected` or `failed` state the peer reports."""
    while True:
        message = await peer.next("state", timeout)
        if message["state"] in ("connected", "failed"):
            return message["state"]


async def talk_relay_only(a, b, link):
    """Offer from a, answer from b, then every size both ways; only relayed candidates are ever announced."""
    a.send(type="make_offer")
    offer = await link.next(a, "offer")
    # The relay policy never reveals a host address, not even in the description.
    assert "typ host" not in offer["sdp"]
    b.send(type="offer", sdp=offer["sdp"])
    answer = await link.next(b, "answer")
    assert "typ host" not in answer["sdp"]
    a.send(type="answer", sdp=answer["sdp"])
    assert (await link.next(a, "open"))["label"] == "mesh"
    assert (await link.next(b, "open"))["label"] == "mesh"

    for size in SIZES:
        text = "t" * size
        a.send(type="send", text=text)
        assert (await link.next(b, "message"))["text"] == text
        data = bytes((i * 13) % 256 for i in range(size))
        b.send(type="send", binary=base64.b64encode(data).decode())
        assert base64.b64decode((await link.next(a, "message"))["binary"]) == data

    for peer in (a, b):
        assert link.candidates[peer], "no candidate was announced"
        for candidate in link.candidates[peer]:
            assert_relayed(candidate)


@pytest.mark.asyncio
async def test_two_relay_only_peers_talk_through_coturn(coturn):
    a = InteropPeer.in_running_loop({"ICE_SERVERS": ice_servers(coturn, "peer-a"), "ICE_TRANSPORT_POLICY": "relay", "PEER_ECHO": "0"})
    b = InteropPeer.in_running_loop({"ICE_SERVERS": ice_servers(coturn, "peer-b"), "ICE_TRANSPORT_POLICY": "relay", "PEER_ECHO": "0"})
    link = Link(a, b)
    try:
        await talk_relay_only(a, b, link)
        log = coturn.log()
        assert "CHANNEL_BIND processed, success" in log
        assert "CREATE_PERMISSION processed, success" in log
    finally:
        link.close()
        a.close()
        b.close()
    # Closing deletes both allocations (a Refresh with lifetime 0) instead of leaving them to expire.
    deadline = time.monotonic() + 5
    while len(re.findall(r"REFRESH processed, success", coturn.log())) < 2 and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert len(re.findall(r"REFRESH processed, success", coturn.log())) >= 2, coturn.log()


@pytest.mark.asyncio
async def test_relay_only_swift_offers_aiortc_answers(coturn):
    peer = InteropPeer.in_running_loop({"ICE_SERVERS": ice_servers(coturn, "peer-swift"), "ICE_TRANSPORT_POLICY": "relay"})
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    channels: asyncio.Queue = asyncio.Queue()
    pc.on("datachannel", lambda channel: channels.put_nowait(channel))
    try:
        peer.send(type="make_offer")
        # Our relayed candidate trickles once the allocation exists, before or after the offer line.
        offer = candidate = None
        while offer is None or candidate is None:
            message = await asyncio.wait_for(peer.queue.get(), TIMEOUT)
            assert message["type"] != "error", message
            if message["type"] == "offer":
                offer = message
            elif message["type"] == "candidate":
                candidate = message["candidate"]
        assert_relayed(candidate)
        await pc.setRemoteDescription(RTCSessionDescription(sdp=offer["sdp"], type="offer"))
        relayed = candidate_from_sdp(candidate.split(":", 1)[1])
        relayed.sdpMid = "0"
        await pc.addIceCandidate(relayed)
        await pc.setLocalDescription(await pc.createAnswer())
        peer.send(type="answer", sdp=pc.localDescription.sdp)
        channel = await asyncio.wait_for(channels.get(), TIMEOUT)
        await peer.next("open")
        received: asyncio.Queue = asyncio.Queue()
        channel.on("message", lambda message: received.put_nowait(message))
        for size in (0, 1200, 65_536):
            channel.send("r" * size)
            assert await asyncio.wait_for(received.get(), TIMEOUT) == "r" * size
        assert "CHANNEL_BIND processed, success" in coturn.log()
    finally:
        await pc.close()
        peer.close()


@pytest.mark.asyncio
async def test_wrong_turn_credentials_fail_the_connection(coturn):
    peer = InteropPeer.in_running_loop({"ICE_SERVERS": ice_servers(coturn, "peer-x", secret="not-the-secret"), "ICE_TRANSPORT_POLICY": "relay"})
    try:
        peer.send(type="make_offer")
        assert await final_state(peer) == "failed"
    finally:
        peer.close()


@pytest.mark.asyncio
async def test_an_unreachable_turn_server_fails_within_seconds(coturn):
    silent = free_udp_port()
    peer = InteropPeer.in_running_loop({"ICE_SERVERS": ice_servers(coturn, "peer-y", port=silent), "ICE_TRANSPORT_POLICY": "relay"})
    try:
        started = time.monotonic()
        peer.send(type="make_offer")
        assert await final_state(peer, timeout=15) == "failed"
        assert time.monotonic() - started < 12
    finally:
        peer.close()


@pytest.mark.asyncio
@pytest.mark.parametrize("transport", ["tcp", "tls"])
async def test_with_udp_blocked_relay_only_peers_talk_through_coturn_over(transport, stream_coturn, certificate, udp_blocked):
    url = stream_coturn.tcp_url if transport == "tcp" else stream_coturn.tls_url
    env = {"ICE_TRANSPORT_POLICY": "relay", "PEER_ECHO": "0", "CA_FILE": str(certificate[0])}
    a = InteropPeer.in_running_loop({**env, "ICE_SERVERS": ice_servers(stream_coturn, "peer-a", url=url)})
    b = InteropPeer.in_running_loop({**env, "ICE_SERVERS": ice_servers(stream_coturn, "peer-b", url=url)})
    link = Link(a, b)
    try:
        await talk_relay_only(a, b, link)
        log = stream_coturn.log()
        assert "CHANNEL_BIND processed, success" in log
        # Both allocations came in over a stream, encrypted exactly when the URL said turns:.
        sessions = re.findall(r"session \d+: new, .*", log)
        assert len(sessions) == 2 and log.count("tcp or tls connected to") >= 2, log
        assert all(("method=TLS" in line) == (transport == "tls") for line in sessions), sessions
    finally:
        link.close()
        a.close()
        b.close()


@pytest.mark.asyncio
async def test_with_udp_blocked_a_udp_turn_server_cannot_be_reached(stream_coturn, udp_blocked):
    """The control for the test above: the firewall really leaves UDP to coturn no way through."""
    peer = InteropPeer.in_running_loop({"ICE_SERVERS": ice_servers(stream_coturn, "peer-u"), "ICE_TRANSPORT_POLICY": "relay"})
    try:
        peer.send(type="make_offer")
        assert await final_state(peer, timeout=15) == "failed"
        assert "ALLOCATE processed" not in stream_coturn.log()
    finally:
        peer.close()


@pytest.mark.asyncio
async def test_a_turns_server_whose_certificate_is_not_trusted_is_refused(stream_coturn):
    peer = InteropPeer.in_running_loop({"ICE_SERVERS": ice_servers(stream_coturn, "peer-t", url=stream_coturn.tls_url), "ICE_TRANSPORT_POLICY": "relay"})
    try:
        peer.send(type="make_offer")
        assert await final_state(peer, timeout=15) == "failed"
        assert "ALLOCATE processed, success" not in stream_coturn.log()
    finally:
        peer.close()
