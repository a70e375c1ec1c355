"""Our data-channel stack against headless Chromium, in both offer/answer roles, on 127.0.0.1 in a private netns.

Chromium runs chromium_peer.html/.js; this test relays offers, answers and trickled candidates between
it (through selenium) and rtc-interop-peer (through its JSON lines on stdin/stdout).
"""

import base64
import time
from pathlib import Path

import pytest

from pysupport.chromium import WEBRTC_ON_LOOPBACK, headless_chromium
from pysupport.rtc_peer import TIMEOUT, InteropPeer, bytes_of, expect_message, text_of

PAGE = Path(__file__).with_name("chromium_peer.html").resolve().as_uri()
# Up to Chromium's own a=max-message-size (256 KiB): our echo back to it must fit.
SIZES = [0, 1, 1024, 64 * 1024, 256 * 1024]


@pytest.fixture(scope="module")
def browser():
    driver = headless_chromium(*WEBRTC_ON_LOOPBACK)
    yield driver
    driver.quit()


class ChromiumPeer:
    """window.peer in a freshly loaded chromium_peer.html."""

    def __init__(self, driver):
        self.driver = driver
        driver.get(PAGE)
        self.call("start")

    def call(self, method, *args):
        # WebDriver waits for a returned promise, so async methods come back settled.
        return self.driver.execute_script(f"return peer.{method}(...arguments)", *args)

    def poll(self):
        return self.call("drain")

    def close(self):
        try:
            self.call("close")
        except Exception:
            pass


class Link:
    """Relays trickled candidates both ways as they appear and keeps every other event per side."""

    def __init__(self, chromium, swift):
        self.chromium, self.swift = chromium, swift
        self.events = {"chromium": [], "swift": []}
        self.held = []  # our candidates, until Chromium has the remote description they belong to
        self.chromium_has_remote = False

    def chromium_remote_set(self):
        self.chromium_has_remote = True
        self.pump()

    def pump(self):
        for message in self.swift.poll():
            if message["type"] == "error":
                raise AssertionError(f"swift peer error: {message['error']}")
            if message["type"] == "candidate":
                self.held.append(message["candidate"])
            else:
                self.events["swift"].append(message)
        for message in self.chromium.poll():
            if message["type"] == "candidate":
                self.swift.send(type="candidate", candidate=message["candidate"])
            else:
                self.events["chromium"].append(message)
        if self.chromium_has_remote:
            for candidate in self.held:
                self.chromium.call("addCandidate", candidate)
            self.held.clear()

    def expect(self, side, type_, timeout=TIMEOUT, **fields):
        """Removes and returns the first event of `type_` (and `fields`) from `side`, waiting for it."""
        deadline = time.monotonic() + timeout
        while True:
            self.pump()
            for index, event in enumerate(self.events[side]):
                if event["type"] == type_ and all(event.get(k) == v for k, v in fields.items()):
                    return self.events[side].pop(index)
            if time.monotonic() > deadline:
                raise AssertionError(f"no {type_} {fields or ''} from {side} within {timeout} s; saw {self.events[side]}")
            time.sleep(0.02)

    def opened(self):
        return [side for side, events in self.events.items() if any(e["type"] == "open" for e in events)]


def exchange(link):
    """Chromium sends text and binary of every size; our peer reports each and echoes it back."""
    assert link.chromium.call("maxMessageSize") >= max(SIZES)
    for size in SIZES:
        text = text_of(size)
        link.chromium.call("sendText", text)
        expect_message(link, "swift", text.encode(), True, f"text of {size} B at our peer")
        expect_message(link, "chromium", text.encode(), True, f"text of {size} B echoed to Chromium")
        data = bytes_of(size)
        link.chromium.call("sendBinary", base64.b64encode(data).decode())
        expect_message(link, "swift", data, False, f"binary of {size} B at our peer")
        expect_message(link, "chromium", data, False, f"binary of {size} B echoed to Chromium")
    # Multi-byte UTF-8 survives both ways.
    text = "héllo ✓ 🚀 ∑"
    link.chromium.call("sendText", text)
    expect_message(link, "chromium", text.encode(), True, "UTF-8 text echoed to Chromium")
    # Messages that start on our side.
    link.swift.send(type="send", text="from swift")
    expect_message(link, "chromium", b"from swift", True, "text sent by our peer")
    data = bytes_of(256 * 1024)
    link.swift.send(type="send", binary=base64.b64encode(data).decode())
    expect_message(link, "chromium", data, False, "binary sent by our peer")


def connect_chromium_offers(link, tamper_offer=False, tamper_answer=False):
    offer = link.chromium.call("createOffer")
    link.swift.send(type="offer", sdp=tampered(offer) if tamper_offer else offer)
    answer = link.expect("swift", "answer")["sdp"]
    link.chromium.call("acceptAnswer", tampered(answer) if tamper_answer else answer)
    link.chromium_remote_set()


def tampered(sdp):
    """The SDP with the first byte of its sha-256 fingerprint changed."""
    lines = []
    for line in sdp.splitlines():
        if line.startswith("a=fingerprint:sha-256 "):
            digest = line.split(" ", 1)[1]
            line = "a=fingerprint:sha-256 " + ("00" if not digest.startswith("00") else "11") + digest[2:]
        lines.append(line)
    return "\r\n".join(lines) + "\r\n"


@pytest.fixture
def link(browser):
    swift = InteropPeer()
    chromium = ChromiumPeer(browser)
    yield Link(chromium, swift)
    chromium.close()
    swift.close()


def test_chromium_offers_swift_answers(link):
    connect_chromium_offers(link)
    assert link.expect("chromium", "open")["label"] == "mesh"
    assert link.expect("swift", "open")["label"] == "mesh"
    link.expect("chromium", "state", state="connected")
    exchange(link)
    # Chromium closes the channel: our peer sees the stream reset, Chromium completes the close.
    link.chromium.call("closeChannel")
    link.expect("swift", "closed")
    link.expect("chromium", "closed")
    link.chromium.close()
    assert link.swift.close() == 0


def test_swift_offers_chromium_answers(link):
    link.swift.send(type="make_offer")
    offer = link.expect("swift", "offer")["sdp"]
    answer = link.chromium.call("acceptOffer", offer)
    link.chromium_remote_set()
    link.swift.send(type="answer", sdp=answer)
    assert link.expect("chromium", "open")["label"] == "mesh"
    assert link.expect("swift", "open")["label"] == "mesh"
    link.expect("chromium", "state", state="connected")
    exchange(link)
    # Our peer shuts the association down: Chromium's channel closes.
    assert link.swift.close() == 0
    link.expect("chromium", "closed")


@pytest.mark.parametrize("tampered", ["chromium_offer_to_swift", "swift_answer_to_chromium"])
def test_tampered_fingerprint_is_refused(link, tampered):
    """ICE connects; the side given the wrong fingerprint aborts the DTLS handshake with an alert, so
    both sides fail and no channel opens."""
    connect_chromium_offers(link, tamper_offer=tampered == "chromium_offer_to_swift",
                            tamper_answer=tampered == "swift_answer_to_chromium")
    link.expect("swift", "state", state="failed")
    link.expect("chromium", "state", state="failed")
    link.pump()
    assert link.opened() == [], f"a data channel opened despite the bad fingerprint: {link.events}"
