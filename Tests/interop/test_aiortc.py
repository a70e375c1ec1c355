"""Our data-channel stack against aiortc, in both offer/answer roles, on 127.0.0.1 in a private netns."""

import asyncio
import base64

import pytest
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.sdp import candidate_from_sdp

from pysupport.rtc_peer import TIMEOUT, InteropPeer


def advertised_limit(sdp):
    """aiortc's a=max-message-size: the echo back to it must fit."""
    for line in sdp.splitlines():
        if line.startswith("a=max-message-size:"):
            return int(line.split(":", 1)[1])
    return 65_536


def sizes_up_to(limit):
    return [size for size in (0, 1, 100, 1200, 16_000, 65_536, 256 * 1024) if size <= limit]


async def exchange(channel, peer, remote_limit):
    """Text and binary messages both ways; the Swift peer echoes what it receives."""
    received: asyncio.Queue = asyncio.Queue()
    channel.on("message", lambda message: received.put_nowait(message))
    for size in sizes_up_to(remote_limit):
        text = "x" * size
        channel.send(text)
        assert await asyncio.wait_for(received.get(), TIMEOUT) == text
        assert (await peer.next("message"))["text"] == text
        data = bytes((i * 7) % 256 for i in range(size))
        channel.send(data)
        assert await asyncio.wait_for(received.get(), TIMEOUT) == data
        assert base64.b64decode((await peer.next("message"))["binary"]) == data
    # And Swift → aiortc, started by the Swift side.
    peer.send(type="send", text="from swift")
    assert await asyncio.wait_for(received.get(), TIMEOUT) == "from swift"


@pytest.mark.asyncio
async def test_aiortc_offers_swift_answers():
    peer = InteropPeer.in_running_loop()
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    try:
        channel = pc.createDataChannel("mesh")
        opened = asyncio.Event()
        channel.on("open", opened.set)
        await pc.setLocalDescription(await pc.createOffer())
        peer.send(type="offer", sdp=pc.localDescription.sdp)
        answer = await peer.next("answer")
        await pc.setRemoteDescription(RTCSessionDescription(sdp=answer["sdp"], type="answer"))
        await asyncio.wait_for(opened.wait(), TIMEOUT)
        assert (await peer.next("open"))["label"] == "mesh"
        await exchange(channel, peer, remote_limit=advertised_limit(pc.localDescription.sdp))
    finally:
        await pc.close()
        peer.close()


@pytest.mark.asyncio
async def test_swift_offers_aiortc_answers():
    peer = InteropPeer.in_running_loop()
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    channels: asyncio.Queue = asyncio.Queue()
    pc.on("datachannel", lambda channel: channels.put_nowait(channel))
    try:
        peer.send(type="make_offer")
        offer = await peer.next("offer")
        await pc.setRemoteDescription(RTCSessionDescription(sdp=offer["sdp"], type="offer"))
        await pc.setLocalDescription(await pc.createAnswer())
        peer.send(type="answer", sdp=pc.localDescription.sdp)
        channel = await asyncio.wait_for(channels.get(), TIMEOUT)
        assert channel.label == "mesh"
        await peer.next("open")
        await exchange(channel, peer, remote_limit=advertised_limit(pc.localDescription.sdp))
    finally:
        await pc.close()
        peer.close()


@pytest.mark.asyncio
async def test_tampered_fingerprint_is_refused():
    peer = InteropPeer.in_running_loop()
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    try:
        pc.createDataChannel("mesh")
        await pc.setLocalDescription(await pc.createOffer())
        sdp = pc.localDescription.sdp
        lines = []
        for line in sdp.splitlines():
            if line.startswith("a=fingerprint:sha-256 "):
                digest = line.split(" ", 1)[1]
                first = "00" if not digest.startswith("00") else "11"
                line = "a=fingerprint:sha-256 " + first + digest[2:]
            lines.append(line)
        peer.send(type="offer", sdp="\r\n".join(lines) + "\r\n")
        answer = await peer.next("answer")
        await pc.setRemoteDescription(RTCSessionDescription(sdp=answer["sdp"], type="answer"))
        # ICE connects; our DTLS then sees a certificate that is not the signaled one and fails.
        state = await peer.next("state")
        while state["state"] not in ("failed", "connected"):
            state = await peer.next("state")
        assert state["state"] == "failed"
    finally:
        await pc.close()
        peer.close()
