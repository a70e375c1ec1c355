#!/usr/bin/env python3
"""Writes the seed corpora in Fuzz/Seeds/: valid messages of each kind the parsers meet, taken from
the test suites' vectors and fixtures (RFC 5769, Chromium and aiortc SDP) plus TURN and DCEP messages
built here. The fuzzers mutate these; rerun this script after changing it and commit the output."""
import hashlib, hmac, os, struct, zlib

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "Seeds")
COOKIE = 0x2112A442
TID = bytes.fromhex("b7e7a701bc34d686fa87dfae")
KEY = b"fuzz"  # the harness verifies with this key, so signed seeds reach the `valid` paths


def write(target, name, data):
    os.makedirs(os.path.join(ROOT, target), exist_ok=True)
    with open(os.path.join(ROOT, target, name), "wb") as f:
        f.write(data.encode() if isinstance(data, str) else data)


# STUN (RFC 8489) and TURN (RFC 8656)

def attr(kind, value):
    return struct.pack("!HH", kind, len(value)) + value + b"\0" * (-len(value) % 4)


def xor_address(ip, port, family=1):
    xport = port ^ (COOKIE >> 16)
    if family == 1:
        return struct.pack("!BBHI", 0, 1, xport, ip ^ COOKIE)
    mask = struct.pack("!I", COOKIE) + TID
    return struct.pack("!BBH", 0, 2, xport) + bytes(a ^ b for a, b in zip(ip, mask))


def stun(message_type, attributes, integrity=False, integrity_sha256=False, fingerprint=False):
    body = b"".join(attributes)

    def header(extra):
        return struct.pack("!HHI", message_type, len(body) + extra, COOKIE) + TID

    if integrity:
        mac = hmac.new(KEY, header(24) + body, hashlib.sha1).digest()
        body += attr(0x0008, mac)
    if integrity_sha256:
        mac = hmac.new(KEY, header(36) + body, hashlib.sha256).digest()
        body += attr(0x001C, mac)
    if fingerprint:
        crc = zlib.crc32(header(8) + body) ^ 0x5354554E
        body += attr(0x8028, struct.pack("!I", crc))
    return header(0) + body


# The RFC 5769 vectors, as in Tests/STUNTests/STUNVectorTests.swift.
write("FuzzSTUN", "rfc5769-request", bytes.fromhex(
    "00 01 00 58 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae "
    "80 22 00 10 53 54 55 4e 20 74 65 73 74 20 63 6c 69 65 6e 74 "
    "00 24 00 04 6e 00 01 ff "
    "80 29 00 08 93 2f f9 b1 51 26 3b 36 "
    "00 06 00 09 65 76 74 6a 3a 68 36 76 59 20 20 20 "
    "00 08 00 14 9a ea a7 0c bf d8 cb 56 78 1e f2 b5 b2 d3 f2 49 c1 b5 71 a2 "
    "80 28 00 04 e5 7a 3b cf "))
write("FuzzSTUN", "rfc5769-ipv4-response", bytes.fromhex(
    "01 01 00 3c 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae "
    "80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20 "
    "00 20 00 08 00 01 a1 47 e1 12 a6 43 "
    "00 08 00 14 2b 91 f5 99 fd 9e 90 c3 8c 74 89 f9 2a f9 ba 53 f0 6b e7 d7 "
    "80 28 00 04 c0 7d 4c 96 "))
write("FuzzSTUN", "rfc5769-ipv6-response", bytes.fromhex(
    "01 01 00 48 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae "
    "80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20 "
    "00 20 00 14 00 02 a1 47 01 13 a9 fa a5 d3 f1 79 bc 25 f4 b5 be d2 b9 d9 "
    "00 08 00 14 a3 82 95 4e 4b e6 7b f1 17 84 c9 7c 82 92 c2 75 bf e3 ed 41 "
    "80 28 00 04 c8 fb 0b 4c "))
write("FuzzSTUN", "rfc5769-long-term-request", bytes.fromhex(
    "00 01 00 60 21 12 a4 42 78 ad 34 33 c6 ad 72 c0 29 da 41 2e "
    "00 06 00 12 e3 83 9e e3 83 88 e3 83 aa e3 83 83 e3 82 af e3 82 b9 00 00 "
    "00 15 00 1c 66 2f 2f 34 39 39 6b 39 35 34 64 36 4f 4c 33 34 6f 4c 39 46 53 54 76 79 36 34 73 41 "
    "00 14 00 0b 65 78 61 6d 70 6c 65 2e 6f 72 67 00 "
    "00 08 00 14 f6 70 24 65 6d d6 4a 3e 02 b8 e0 71 2e 85 c9 a2 8c a8 96 66 "))
# ICE connectivity check and its answer, signed with KEY.
write("FuzzSTUN", "ice-binding-request", stun(0x0001, [
    attr(0x0006, b"remote:local"), attr(0x0024, struct.pack("!I", 0x6E0001FF)),
    attr(0x802A, struct.pack("!Q", 0x932FF9B151263B36)), attr(0x0025, b"")], integrity=True, fingerprint=True))
write("FuzzSTUN", "ice-binding-success", stun(0x0101, [
    attr(0x0020, xor_address(0xC0000201, 32853))], integrity=True, fingerprint=True))
write("FuzzSTUN", "ice-role-conflict", stun(0x0111, [
    attr(0x0009, struct.pack("!HBB", 0, 4, 87) + b"Role Conflict")], integrity=True, fingerprint=True))
# TURN: Allocate, its 401, its success, CreatePermission, ChannelBind, Send and Data indications.
write("FuzzSTUN", "turn-allocate-request", stun(0x0003, [
    attr(0x0019, bytes([17, 0, 0, 0])), attr(0x000D, struct.pack("!I", 600)), attr(0x8022, b"chatixia")]))
write("FuzzSTUN", "turn-allocate-401", stun(0x0113, [
    attr(0x0009, struct.pack("!HBB", 0, 4, 1) + b"Unauthorized"), attr(0x0014, b"chatixia.test"),
    attr(0x0015, b"f//499k954d6OL34oL9FSTvy64sA")], fingerprint=True))
write("FuzzSTUN", "turn-allocate-success", stun(0x0103, [
    attr(0x0016, xor_address(0xC6336414, 50000)),
    attr(0x0020, xor_address(bytes.fromhex("20010db8000000000000000000000001"), 40000, family=2)),
    attr(0x000D, struct.pack("!I", 600)), attr(0x0001, struct.pack("!BBHI", 0, 1, 3478, 0xC0000201))],
    integrity=True, integrity_sha256=True, fingerprint=True))
write("FuzzSTUN", "turn-create-permission", stun(0x0008, [
    attr(0x0012, xor_address(0xC0000202, 0)), attr(0x0012, xor_address(0xC0000203, 0)),
    attr(0x0006, b"1700000000:agent"), attr(0x0014, b"chatixia.test"), attr(0x0015, b"nonce")],
    integrity=True))
write("FuzzSTUN", "turn-channel-bind", stun(0x0009, [
    attr(0x000C, struct.pack("!HH", 0x4001, 0)), attr(0x0012, xor_address(0xC0000202, 5000))],
    integrity_sha256=True))
write("FuzzSTUN", "turn-send-indication", stun(0x0016, [
    attr(0x0012, xor_address(0xC0000202, 5000)), attr(0x0013, b"\x00\x01hello")]))
write("FuzzSTUN", "turn-data-indication", stun(0x0017, [
    attr(0x0012, xor_address(0xC0000202, 5000)), attr(0x0013, bytes(range(37)))]))
write("FuzzSTUN", "unknown-attributes-420", stun(0x0111, [
    attr(0x0009, struct.pack("!HBB", 0, 4, 20) + b"Unknown Attribute"),
    attr(0x000A, struct.pack("!HH", 0x0042, 0x7FFF)), attr(0x0042, b"required"), attr(0xC057, b"optional")]))
# TURN ChannelData (RFC 8656 section 12.4), padded and not.
write("FuzzSTUN", "channel-data-padded", struct.pack("!HH", 0x4001, 5) + b"hello\0\0\0")
write("FuzzSTUN", "channel-data-unpadded", struct.pack("!HH", 0x4FFF, 6) + b"\x16\xfe\xfd\x00\x00\x00")

# DCEP (RFC 8832)

def dcep_open(channel_type, priority, reliability, label, protocol):
    label, protocol = label.encode(), protocol.encode()
    return struct.pack("!BBHIHH", 3, channel_type, priority, reliability, len(label), len(protocol)) + label + protocol


write("FuzzDCEP", "ack", b"\x02")
write("FuzzDCEP", "open-reliable", dcep_open(0x00, 256, 0, "chat", ""))
write("FuzzDCEP", "open-unordered-rexmit", dcep_open(0x81, 512, 3, "mesh \u2713", "chatixia/1"))
write("FuzzDCEP", "open-timed", dcep_open(0x02, 128, 1500, "", "json"))

# SCTP (RFC 9260, RFC 6525): the harness's first byte picks the target (even: an established association,
# odd: one that has just sent its INIT); the rest are a packet's chunks, behind a header the harness adds.

def chunk(kind, flags, body):
    return struct.pack("!BBH", kind, flags, 4 + len(body)) + body + b"\0" * (-len(body) % 4)


def sctp_param(kind, value):
    return struct.pack("!HH", kind, 4 + len(value)) + value + b"\0" * (-len(value) % 4)


def data_chunk(tsn, stream, ssn, flags, payload):
    return chunk(0, flags, struct.pack("!IHHI", tsn, stream, ssn, 51) + payload)


INITIATION = struct.pack("!IIHHI", 0x1234, 1 << 20, 1024, 1024, 77)
write("FuzzSCTP", "data-whole", b"\0" + data_chunk(0x2345, 1, 0, 0x03, b"hello"))
write("FuzzSCTP", "data-fragments-unordered", b"\0" + data_chunk(9, 2, 0, 0x06, b"a" * 30) + data_chunk(10, 2, 0, 0x05, b"b" * 3))
write("FuzzSCTP", "sack-gaps-duplicates", b"\0" + chunk(3, 0, struct.pack("!IIHH", 5, 65536, 2, 1) + struct.pack("!HHHHI", 2, 3, 5, 9, 4)))
write("FuzzSCTP", "heartbeat", b"\0" + chunk(4, 0, sctp_param(1, b"info")))
write("FuzzSCTP", "reconfig-reset-and-response", b"\0" + chunk(130, 0, sctp_param(13, struct.pack("!IIIHH", 77, 5, 76, 1, 3))
                                                                + sctp_param(16, struct.pack("!II", 5, 1))))
write("FuzzSCTP", "shutdown", b"\0" + chunk(7, 0, struct.pack("!I", 5)))
write("FuzzSCTP", "abort", b"\0" + chunk(6, 0, b""))
write("FuzzSCTP", "unknown-skip-and-stop", b"\0" + chunk(0xC1, 0, b"xyz") + chunk(0x41, 0, b"") + data_chunk(1, 1, 0, 3, b"z"))
write("FuzzSCTP", "init", b"\1" + chunk(1, 0, INITIATION + sctp_param(0x8008, b"\x82\xc0") + sctp_param(0xC000, b"")))
write("FuzzSCTP", "init-ack", b"\1" + chunk(2, 0, INITIATION + sctp_param(7, b"c" * 24)))
write("FuzzSCTP", "cookie-echo", b"\1" + chunk(10, 0, b"c" * 24) + data_chunk(77, 0, 0, 3, b"early"))

# SDP (RFC 8866, 8841) and ICE candidates (RFC 8839), from Tests/SDPTests.

FINGERPRINT = "7B:8B:F0:65:5F:78:E2:51:3B:AC:6F:F3:3F:46:1B:35:DC:B8:5F:64:1A:24:C2:43:F0:A1:58:D0:A1:2C:19:08"
AIORTC_SHA384 = ("94:A0:65:68:5D:64:C4:98:0B:B8:D4:54:4A:87:21:A9:9A:01:AD:21:9E:B5:9C:F6:A1:5E:F6:F1:5A:1D:"
                 "83:0B:B7:CE:09:D6:BB:C0:04:E7:17:5C:64:3C:7D:EC:B0:B5")


def sdp(*lines, newline="\r\n"):
    return newline.join(lines) + newline


write("FuzzSDP", "chromium-offer", sdp(
    "v=0", "o=- 4611731400430051336 2 IN IP4 127.0.0.1", "s=-", "t=0 0", "a=group:BUNDLE 0",
    "a=extmap-allow-mixed", "a=msid-semantic: WMS", "m=application 9 UDP/DTLS/SCTP webrtc-datachannel",
    "c=IN IP4 0.0.0.0",
    "a=candidate:1467250027 1 udp 2122260223 192.0.2.196 46243 typ host generation 0 network-id 1 network-cost 10",
    "a=candidate:434187267 1 tcp 1518280447 192.0.2.196 9 typ host tcptype active generation 0 network-id 1",
    "a=candidate:2999745851 1 udp 1686052607 203.0.113.7 46243 typ srflx raddr 192.0.2.196 rport 46243 generation 0",
    "a=ice-ufrag:9Uen", "a=ice-pwd:Fc8OHcqzNCsjuyNlXWIrwDjx", "a=ice-options:trickle",
    "a=fingerprint:sha-256 " + FINGERPRINT, "a=setup:actpass", "a=mid:0", "a=sctp-port:5000",
    "a=max-message-size:262144"))
write("FuzzSDP", "aiortc-answer", sdp(
    "v=0", "o=- 3917234590 3917234590 IN IP4 0.0.0.0", "s=-", "t=0 0", "a=group:BUNDLE 0", "a=msid-semantic:WMS *",
    "m=application 49170 UDP/DTLS/SCTP webrtc-datachannel", "c=IN IP4 198.51.100.9", "a=mid:0", "a=sctp-port:5000",
    "a=max-message-size:65536",
    "a=candidate:0b4f7e2c3d1a 1 udp 2130706431 192.0.2.40 40112 typ host generation 0",
    "a=candidate:7c1e9a0f44b2 1 udp 16777215 198.51.100.9 49170 typ relay raddr 192.0.2.40 rport 40112 generation 0",
    "a=end-of-candidates", "a=ice-ufrag:Qm2d", "a=ice-pwd:1dJr0d6HVjKk2yqJc1n8Bq",
    "a=fingerprint:sha-256 " + FINGERPRINT, "a=fingerprint:sha-384 " + AIORTC_SHA384, "a=setup:active"))
write("FuzzSDP", "session-level-and-unknown-lines", sdp(
    "v=0", "o=jdoe 2890844526 2890842807 IN IP4 198.51.100.4", "s=SDP Seminar", "i=A Seminar", "u=http://example.com/",
    "c=IN IP4 233.252.0.1/127", "b=AS:64", "t=0 0", "r=7d 1h 0 25h", "a=ice-lite", "a=ice-ufrag:u", "a=ice-pwd:p",
    "a=fingerprint:sha-1 AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01", "a=setup:passive",
    "a=x-custom:value with: colons", "m=audio 49170 RTP/AVP 0", "a=rtpmap:0 PCMU/8000",
    "m=application 0 UDP/DTLS/SCTP webrtc-datachannel", "a=bundle-only", "a=mid:data", "a=end-of-candidates",
    newline="\n"))
write("FuzzSDP", "legacy-sctpmap", sdp(
    "v=0", "o=- 1 1 IN IP4 0.0.0.0", "s=-", "t=0 0", "m=application 9/2 DTLS/SCTP 5001", "c=IN IP4 0.0.0.0",
    "a=ice-ufrag:u", "a=ice-pwd:p", "a=ice-options:trickle renomination", "a=fingerprint:sha-256 " + FINGERPRINT,
    "a=sctpmap:5001 webrtc-datachannel 1024"))
# Regression seeds for findings (docs/FUZZING.md): uninterpreted lines out of RFC 8866 order.
write("FuzzSDP", "regression-lines-out-of-order", sdp(
    "v=0", "o=- 1 1 IN IP4 0.0.0.0", "s=-", "b=AS:64", "t=0 0", "x=unknown", "i=late", "r=7d 1h 0 25h",
    "m=application 9 UDP/DTLS/SCTP webrtc-datachannel", "b=AS:30", "i=data", "a=ice-ufrag:u", "a=ice-pwd:p",
    "a=fingerprint:sha-256 " + FINGERPRINT))

for name, text in [
    ("chromium-host", "candidate:1467250027 1 udp 2122260223 192.0.2.196 46243 typ host generation 0 ufrag 9Uen network-id 1 network-cost 10"),
    ("chromium-tcp-passive", "candidate:3300781103 1 tcp 1518214911 2001:db8::1 40123 typ host tcptype passive generation 0 ufrag 9Uen"),
    ("chromium-srflx", "a=candidate:2999745851 1 udp 1686052607 203.0.113.7 46243 typ srflx raddr 192.0.2.196 rport 46243 generation 0"),
    ("chromium-mdns", "candidate:3317246567 1 udp 2113937151 9c7a1e2b-1f4e-4b8a-9c3f-1d2e3f4a5b6c.local 51624 typ host generation 0"),
    ("relay", "candidate:2157334355 1 udp 25108223 198.51.100.20 61002 typ relay raddr 203.0.113.7 rport 46243 generation 0"),
    ("aiortc-host-bare", "d1f2b0d5e8c06fb3e4b3f5a0c9e7d6a1 1 udp 2130706431 192.0.2.23 51806 typ host"),
    ("prflx-tcp-so", "candidate:a 2 TCP 1 192.0.2.1 5000 typ PRFLX tcptype so raddr 0.0.0.0 rport 0"),
    ("ipv4-mapped-ipv6", "candidate:2 1 udp 2122262783 ::ffff:192.0.2.9 40000 typ srflx raddr fe80::1:2 rport 40000"),
    # Regression seed for a finding (docs/FUZZING.md): a blank before `candidate:` made it the foundation.
    ("regression-prefixed-foundation", "\tcandidate:1 1 udp 2122260223 192.0.2.196 46243 typ host"),
]:
    write("FuzzICECandidate", name, text)

# IPC lines (docs/PROTOCOL.md): the agent's commands and the sidecar's events, MeshMessages inside.

MESH_MESSAGE = ('{"type":"task_request","request_id":"r-1","source_agent":"a","target_agent":"b",'
                '"payload":{"message":"hi \\"there\\" \\u00e9 ' + "x" * 40 + '","n":[1,2.5,-3e2,true,null],"deep":{"k":{}}}}')
for name, text in [
    ("send-with-id", '{"type":"send","id":7,"payload":{"target_peer":"sc-2","message":' + MESH_MESSAGE + '}}'),
    ("broadcast-string-id", '{"type":"broadcast","id":"b-1","payload":{"message":' + MESH_MESSAGE + '}}'),
    ("list-peers", '{"type":"list_peers","payload":{}}'),
    ("connect", ' {"type":"connect","payload":{"target_peer_id":"sc-3"}} '),
    ("hello", '{"type":"hello","id":null,"payload":{"token":"t\\/k"}}'),
    ("message-event", '{"type":"message","payload":{"from_peer":"sc-1","message":' + MESH_MESSAGE + '}}'),
    ("peer-connected", '{"type":"peer_connected","payload":{"peer_id":"sc-2"}}'),
    ("peer-list", '{"type":"peer_list","payload":{"peers":["a","b\\u0041"]}}'),
    ("error-with-id", '{"type":"error","payload":{"id":3,"error":"no open DataChannel to x (yet)"}}'),
    ("duplicate-payload", '{"type":"send","payload":{"target_peer":"a"},"payload":{"target_peer":"b","message":{}}}'),
]:
    write("FuzzIPC", name, text)
