/// Session descriptions as Chromium and aiortc write them for a data-channel-only connection,
/// reconstructed from their SDP writers and captures (addresses are documentation ranges).
enum SDPFixtures {
    static let chromiumFingerprint = "7B:8B:F0:65:5F:78:E2:51:3B:AC:6F:F3:3F:46:1B:35:DC:B8:5F:64:1A:24:C2:43:F0:A1:58:D0:A1:2C:19:08"

    /// Chromium's offer after gathering (its localDescription): candidates first, then ICE and
    /// DTLS attributes, session-level `a=extmap-allow-mixed` and `a=msid-semantic: WMS`.
    static let chromiumOffer = [
        "v=0",
        "o=- 4611731400430051336 2 IN IP4 127.0.0.1",
        "s=-",
        "t=0 0",
        "a=group:BUNDLE 0",
        "a=extmap-allow-mixed",
        "a=msid-semantic: WMS",
        "m=application 9 UDP/DTLS/SCTP webrtc-datachannel",
        "c=IN IP4 0.0.0.0",
        "a=candidate:1467250027 1 udp 2122260223 192.0.2.196 46243 typ host generation 0 network-id 1 network-cost 10",
        "a=candidate:434187267 1 tcp 1518280447 192.0.2.196 9 typ host tcptype active generation 0 network-id 1 network-cost 10",
        "a=candidate:2999745851 1 udp 1686052607 203.0.113.7 46243 typ srflx raddr 192.0.2.196 rport 46243 generation 0 network-id 1 network-cost 10",
        "a=candidate:1185301487 1 udp 2122265343 2001:db8::7 52311 typ host generation 0 network-id 2 network-cost 10",
        "a=ice-ufrag:9Uen",
        "a=ice-pwd:Fc8OHcqzNCsjuyNlXWIrwDjx",
        "a=ice-options:trickle",
        "a=fingerprint:sha-256 \(chromiumFingerprint)",
        "a=setup:actpass",
        "a=mid:0",
        "a=sctp-port:5000",
        "a=max-message-size:262144",
    ].map { $0 + "\r\n" }.joined()

    /// Chromium's answer before gathering (createAnswer's result): no candidates, `setup:active`.
    static let chromiumAnswer = [
        "v=0",
        "o=- 8203527464432862187 2 IN IP4 127.0.0.1",
        "s=-",
        "t=0 0",
        "a=group:BUNDLE 0",
        "a=extmap-allow-mixed",
        "a=msid-semantic: WMS",
        "m=application 9 UDP/DTLS/SCTP webrtc-datachannel",
        "c=IN IP4 0.0.0.0",
        "a=ice-ufrag:x7Zq",
        "a=ice-pwd:wXb3gEOe1rQJBXK0r6Ow8L5W",
        "a=ice-options:trickle",
        "a=fingerprint:sha-256 5B:FF:AD:5C:2D:FB:8B:B8:20:B6:11:9C:BA:8F:F8:87:96:AE:5B:05:F2:80:A6:8C:ED:93:B6:B2:8C:B0:D1:B3",
        "a=setup:active",
        "a=mid:0",
        "a=sctp-port:5000",
        "a=max-message-size:262144",
    ].map { $0 + "\r\n" }.joined()

    static let aiortcSHA256 = "82:B7:0E:EE:7F:1A:50:39:BE:F0:7E:C2:34:7F:06:6E:D0:8F:5D:C7:51:24:47:E3:40:43:00:02:6B:6E:54:55"
    static let aiortcSHA384 = "94:A0:65:68:5D:64:C4:98:0B:B8:D4:54:4A:87:21:A9:9A:01:AD:21:9E:B5:9C:F6:A1:5E:F6:F1:5A:1D:83:0B:B7:CE:09:D6:BB:C0:04:E7:17:5C:64:3C:7D:EC:B0:B5"
    static let aiortcSHA512 = "80:EC:37:BC:97:12:DD:2E:6A:AE:B9:4B:AE:8D:2F:9F:A2:9C:5A:28:4C:9E:F7:52:18:29:CF:10:79:B0:80:E9:D7:4A:1C:10:FC:AB:6A:42:43:D3:36:56:DE:BE:4C:1E:D7:96:48:E8:56:E8:F9:A2:F5:8C:95:F0:CE:4B:39:C1"

    /// aiortc's offer: gathering is complete before it returns, so candidates and
    /// `a=end-of-candidates` are in; the m-line and `c=` carry the default candidate; three
    /// fingerprints; `a=msid-semantic:WMS *` without a space.
    static let aiortcOffer = [
        "v=0",
        "o=- 3917234577 3917234577 IN IP4 0.0.0.0",
        "s=-",
        "t=0 0",
        "a=group:BUNDLE 0",
        "a=msid-semantic:WMS *",
        "m=application 51806 UDP/DTLS/SCTP webrtc-datachannel",
        "c=IN IP4 192.0.2.23",
        "a=mid:0",
        "a=sctp-port:5000",
        "a=max-message-size:65536",
        "a=candidate:d1f2b0d5e8c06fb3e4b3f5a0c9e7d6a1 1 udp 2130706431 192.0.2.23 51806 typ host generation 0",
        "a=candidate:5b7d2c9f9b3e4a1c8d6e0f2a4b6c8d0e 1 udp 2130706431 2001:db8::23 45313 typ host generation 0",
        "a=candidate:9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d 1 udp 1694498815 203.0.113.50 51806 typ srflx raddr 192.0.2.23 rport 51806 generation 0",
        "a=end-of-candidates",
        "a=ice-ufrag:VAoK",
        "a=ice-pwd:lCQNYvpYB6OBv3FgG2MuAp",
        "a=fingerprint:sha-256 \(aiortcSHA256)",
        "a=fingerprint:sha-384 \(aiortcSHA384)",
        "a=fingerprint:sha-512 \(aiortcSHA512)",
        "a=setup:actpass",
    ].map { $0 + "\r\n" }.joined()

    /// aiortc answering: `setup:active`, a relay candidate, no `a=ice-options`.
    static let aiortcAnswer = [
        "v=0",
        "o=- 3917234590 3917234590 IN IP4 0.0.0.0",
        "s=-",
        "t=0 0",
        "a=group:BUNDLE 0",
        "a=msid-semantic:WMS *",
        "m=application 49170 UDP/DTLS/SCTP webrtc-datachannel",
        "c=IN IP4 198.51.100.9",
        "a=mid:0",
        "a=sctp-port:5000",
        "a=max-message-size:65536",
        "a=candidate:0b4f7e2c3d1a 1 udp 2130706431 192.0.2.40 40112 typ host generation 0",
        "a=candidate:7c1e9a0f44b2 1 udp 16777215 198.51.100.9 49170 typ relay raddr 192.0.2.40 rport 40112 generation 0",
        "a=end-of-candidates",
        "a=ice-ufrag:Qm2d",
        "a=ice-pwd:1dJr0d6HVjKk2yqJc1n8Bq",
        "a=fingerprint:sha-256 \(aiortcSHA256)",
        "a=fingerprint:sha-384 \(aiortcSHA384)",
        "a=fingerprint:sha-512 \(aiortcSHA512)",
        "a=setup:active",
    ].map { $0 + "\r\n" }.joined()

    static var all: [String] { [chromiumOffer, chromiumAnswer, aiortcOffer, aiortcAnswer] }
}
