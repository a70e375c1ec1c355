"""Our data-channel stack against pion/webrtc 3.1.56 (Go, Debian's package), in both offer/answer roles, on
127.0.0.1 in a private netns.

pion-interop-peer (Tests/interop/pion) speaks rtc-interop-peer's JSON lines; this test relays offers, answers
and trickled candidates between the two and checks every message at both ends.

Message sizes stop at 65,535 B, as measured against pion 3.1.56: its SDP has no a=max-message-size (so 64 KiB
by RFC 8841) and it sends 65,536 B, but its DataChannel reads each incoming message into a 65,535-byte
buffer: a 65,536-byte one fails that read ("short buffer") and pion closes its channel on its side only (ours
is not told), so nothing more arrives there and its own sends fail. It refuses to send more than 65,536 B.
test_message_size_limits checks both ends at those limits; test_aiortc and test_chromium take our stack up to
256 KiB.
"""

import base64
import time

import pytest

from pysupport.pion import PionPeer
from pysupport.rtc_peer import TIMEOUT, InteropPeer, bytes_of, expect_message, text_of

SIZES = [0, 1, 100, 1200, 16_000, 65_535]
SIGNALING = ("offer", "answer", "candidate")


class Link:
    """Relays each side's offers, answers and candidates to the other in the order they were printed (a
    signaling channel) and keeps every other line per side."""

    def __init__(self, swift, pion):
        self.peers = {"swift": swift, "pion": pion}
        self.events = {"swift": [], "pion": []}

    def pump(self):
        for side, other in (("swift", "pion"), ("pion", "swift")):
            for message in self.peers[side].poll():
                if message["type"] in SIGNALING:
                    self.peers[other].send(**message)
                else:
                    self.events[side].append(message)

    def send(self, side, **message):
        self.peers[side].send(**message)

    def expect(self, side, type_, timeout=TIMEOUT, **fields):
        """Removes and returns the first event of `type_` (and `fields`) from `side`, waiting for it; an
        error from `side` fails at once unless an error is what is expected."""
        deadline = time.monotonic() + timeout
        while True:
            self.pump()
            for index, event in enumerate(self.events[side]):
                if event["type"] == "error" and type_ != "error":
                    raise AssertionError(f"{side} peer error: {event['error']}")
                if event["type"] == type_ and all(event.get(k) == v for k, v in fields.items()):
                    return self.events[side].pop(index)
            if time.monotonic() > deadline:
                raise AssertionError(f"no {type_} {fields or ''} from {side} within {timeout} s; saw {self.events[side]}")
            time.sleep(0.02)

    def connect(self, offerer):
        self.send(offerer, type="make_offer")
        for side in self.peers:
            assert self.expect(side, "open")["label"] == "mesh"
            self.expect(side, "state", state="connected")


def send_text(link, side, text):
    link.send(side, type="send", text=text)


def send_binary(link, side, data):
    link.send(side, type="send", binary=base64.b64encode(data).decode())


def exchange(link, sender, echoer):
    """`sender` sends text and binary of every size; `echoer` reports each and echoes it back."""
    for size in SIZES:
        text = text_of(size)
        send_text(link, sender, text)
        expect_message(link, echoer, text.encode(), True, f"text of {size} B at {echoer}")
        expect_message(link, sender, text.encode(), True, f"text of {size} B echoed to {sender}")
        data = bytes_of(size)
        send_binary(link, sender, data)
        expect_message(link, echoer, data, False, f"binary of {size} B at {echoer}")
        expect_message(link, sender, data, False, f"binary of {size} B echoed to {sender}")
    text = "héllo ✓ 🚀 ∑"
    send_text(link, sender, text)
    expect_message(link, echoer, text.encode(), True, f"UTF-8 text at {echoer}")
    expect_message(link, sender, text.encode(), True, f"UTF-8 text echoed to {sender}")
    # A message that starts on the echoing side.
    send_text(link, echoer, f"from {echoer}")
    expect_message(link, sender, f"from {echoer}".encode(), True, f"text sent by {echoer}")


@pytest.fixture
def peers():
    """Starts the two peers given their environments (PEER_ECHO=0 stops one echoing); closes both after the test."""
    started = []

    def start(swift_env=None, pion_env=None):
        started.extend([InteropPeer(swift_env), PionPeer(pion_env)])
        return Link(*started)

    yield start
    for peer in started:
        peer.close()


def test_pion_offers_swift_answers(peers):
    link = peers(pion_env={"PEER_ECHO": "0"})
    link.connect(offerer="pion")
    exchange(link, sender="pion", echoer="swift")
    # pion closes its peer connection: ours sees the connection close.
    assert link.peers["pion"].close() == 0
    link.expect("swift", "state", state="closed")
    assert link.peers["swift"].close() == 0


def test_swift_offers_pion_answers(peers):
    link = peers(swift_env={"PEER_ECHO": "0"})
    link.connect(offerer="swift")
    exchange(link, sender="swift", echoer="pion")
    # Our peer shuts the association down: pion's channel closes.
    assert link.peers["swift"].close() == 0
    link.expect("pion", "closed")
    assert link.peers["pion"].close() == 0


def test_message_size_limits(peers):
    """pion sends up to 65,536 B, which we receive whole; we send pion up to 65,535 B (the most it can read)
    and refuse more than its implied 64 KiB, as pion refuses more than 65,536 B."""
    link = peers(swift_env={"PEER_ECHO": "0"}, pion_env={"PEER_ECHO": "0"})
    link.connect(offerer="pion")
    text, data = text_of(65_536), bytes_of(65_536)
    send_text(link, "pion", text)
    expect_message(link, "swift", text.encode(), True, "text of 65,536 B from pion")
    send_binary(link, "pion", data)
    expect_message(link, "swift", data, False, "binary of 65,536 B from pion")
    send_binary(link, "swift", data[:65_535])
    expect_message(link, "pion", data[:65_535], False, "binary of 65,535 B from us")
    for size in (65_537, 256 * 1024):
        send_binary(link, "swift", bytes_of(size))
        assert "exceeds the peer's limit of 65536" in link.expect("swift", "error")["error"]
        send_binary(link, "pion", bytes_of(size))
        assert "larger than maximum message size" in link.expect("pion", "error")["error"]
    # Both channels still work after the refusals.
    send_text(link, "swift", "still open")
    expect_message(link, "pion", b"still open", True, "text after the refusals")
    send_text(link, "pion", "still open")
    expect_message(link, "swift", b"still open", True, "text after the refusals")
