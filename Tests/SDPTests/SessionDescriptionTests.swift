import Testing
import SDP

@Suite struct SessionDescriptionTests {
    func parseError(_ text: String) -> SDPParseError? {
        let result = Result { () throws(SDPParseError) in try SessionDescription(parsing: text) }
        if case .failure(let error) = result { return error }
        return nil
    }

    func withBareNewlines(_ text: String) -> String {
        String(text.unicodeScalars.filter { $0 != "\r" }.map(Character.init))
    }

    @Test func parsesChromiumOffer() throws {
        let description = try SessionDescription(parsing: SDPFixtures.chromiumOffer)
        #expect(description.origin == SDPOrigin(sessionID: 4_611_731_400_430_051_336, sessionVersion: 2))
        #expect(description.groups == [.bundle(["0"])])
        #expect(description.extmapAllowMixed)
        #expect(description.msidSemantic == "WMS")
        #expect(description.media.count == 1)
        let section = description.media[0]
        #expect(section.isDataChannel)
        #expect(section.connection == .unspecified)
        #expect(section.otherAttributes.isEmpty && section.otherLines.isEmpty && description.otherAttributes.isEmpty)

        let dataChannel = try description.dataChannelDescription()
        #expect(dataChannel.mid == "0")
        #expect(dataChannel.iceUfrag == "9Uen")
        #expect(dataChannel.icePwd == "Fc8OHcqzNCsjuyNlXWIrwDjx")
        #expect(dataChannel.iceOptions == ["trickle"])
        #expect(dataChannel.fingerprints == [CertificateFingerprint(sdpValue: "sha-256 \(SDPFixtures.chromiumFingerprint)")!])
        #expect(dataChannel.fingerprints[0].digest.count == 32)
        #expect(dataChannel.setup == .actpass)
        #expect(dataChannel.sctpPort == 5000)
        #expect(dataChannel.maxMessageSize == 262_144)
        #expect(!dataChannel.endOfCandidates)

        let candidates = dataChannel.candidates
        #expect(candidates.count == 4)
        #expect(candidates[0].type == .host && candidates[0].transport == .udp && candidates[0].port == 46243)
        #expect(candidates[0].generation == 0)
        #expect(candidates[0].extensions == [.init(name: "network-id", value: "1"), .init(name: "network-cost", value: "10")])
        #expect(candidates[1].transport == .tcp && candidates[1].tcpType == .active && candidates[1].port == 9)
        #expect(candidates[2].type == .serverReflexive)
        #expect(candidates[2].relatedAddress == "192.0.2.196" && candidates[2].relatedPort == 46243)
        #expect(candidates[3].address == "2001:db8::7" && candidates[3].port == 52311)
    }

    @Test func parsesChromiumAnswer() throws {
        let dataChannel = try SessionDescription(parsing: SDPFixtures.chromiumAnswer).dataChannelDescription()
        #expect(dataChannel.setup == .active)
        #expect(dataChannel.candidates.isEmpty)
        #expect(dataChannel.iceUfrag == "x7Zq")
    }

    @Test func parsesAiortcOfferWithEveryFingerprint() throws {
        let description = try SessionDescription(parsing: SDPFixtures.aiortcOffer)
        #expect(description.msidSemantic == "WMS *")
        #expect(!description.extmapAllowMixed)
        #expect(description.media[0].port == 51806)
        #expect(description.media[0].connection == SDPConnection(address: "192.0.2.23"))
        let dataChannel = try description.dataChannelDescription()
        #expect(dataChannel.fingerprints.map(\.algorithm) == ["sha-256", "sha-384", "sha-512"])
        #expect(dataChannel.fingerprints.map(\.digest.count) == [32, 48, 64])
        #expect(dataChannel.fingerprints[2].hexDigest == SDPFixtures.aiortcSHA512)
        #expect(dataChannel.iceOptions.isEmpty)
        #expect(dataChannel.maxMessageSize == 65_536)
        #expect(dataChannel.setup == .actpass)
        #expect(dataChannel.endOfCandidates)
        #expect(dataChannel.candidates.map(\.generation) == [0, 0, 0])
        #expect(dataChannel.candidates[0].foundation == "d1f2b0d5e8c06fb3e4b3f5a0c9e7d6a1")
        #expect(dataChannel.candidates[1].address == "2001:db8::23")
        #expect(dataChannel.candidates[2].relatedPort == 51806)
    }

    @Test func parsesAiortcAnswer() throws {
        let dataChannel = try SessionDescription(parsing: SDPFixtures.aiortcAnswer).dataChannelDescription()
        #expect(dataChannel.setup == .active)
        #expect(dataChannel.candidates.map(\.type) == [.host, .relay])
        #expect(dataChannel.endOfCandidates)
    }

    @Test(arguments: SDPFixtures.all)
    func bareNewlinesParseTheSame(fixture: String) throws {
        let crlf = try SessionDescription(parsing: fixture)
        let lf = try SessionDescription(parsing: withBareNewlines(fixture))
        #expect(crlf == lf)
        // No trailing newline at all is fine too.
        #expect(try SessionDescription(parsing: String(withBareNewlines(fixture).dropLast())) == crlf)
    }

    @Test(arguments: SDPFixtures.all)
    func reserializationIsStable(fixture: String) throws {
        let description = try SessionDescription(parsing: fixture)
        let text = description.serialized()
        #expect(text.hasSuffix("\r\n"))
        #expect(!withBareNewlines(text).contains("\r"))
        let again = try SessionDescription(parsing: text)
        #expect(again == description)
        #expect(again.serialized() == text)
        // The same lines, in Chromium's order (candidates after the SCTP attributes), and
        // msid-semantic written with Chromium's space.
        let fixtureLines = fixture.split(separator: "\r\n").map { $0 == "a=msid-semantic:WMS *" ? "a=msid-semantic: WMS *" : $0 }
        #expect(text.split(separator: "\r\n").sorted() == fixtureLines.sorted())
    }

    @Test func generatesWhatChromiumAccepts() throws {
        let fingerprint = try #require(CertificateFingerprint(sdpValue: "sha-256 \(SDPFixtures.chromiumFingerprint)"))
        let local = DataChannelDescription(iceUfrag: "abcd", icePwd: "0123456789abcdefghijkl", fingerprints: [fingerprint])
        let description = SessionDescription(dataChannel: local, sessionID: 4_611_731_400_430_051_336, extmapAllowMixed: true)
        let expected = [
            "v=0",
            "o=- 4611731400430051336 2 IN IP4 127.0.0.1",
            "s=-",
            "t=0 0",
            "a=group:BUNDLE 0",
            "a=extmap-allow-mixed",
            "a=msid-semantic: WMS",
            "m=application 9 UDP/DTLS/SCTP webrtc-datachannel",
            "c=IN IP4 0.0.0.0",
            "a=ice-ufrag:abcd",
            "a=ice-pwd:0123456789abcdefghijkl",
            "a=ice-options:trickle",
            "a=fingerprint:sha-256 \(SDPFixtures.chromiumFingerprint)",
            "a=setup:actpass",
            "a=mid:0",
            "a=sctp-port:5000",
            "a=max-message-size:1048576",
        ].map { $0 + "\r\n" }.joined()
        #expect(description.serialized() == expected)
        #expect(try SessionDescription(parsing: expected).dataChannelDescription() == local)
    }

    @Test func generatedAnswerCarriesCandidatesAndRoundTrips() throws {
        let offer = try SessionDescription(parsing: SDPFixtures.aiortcOffer).dataChannelDescription()
        let candidate = try ICECandidate(parsing: "candidate:1 1 udp 2130706431 127.0.0.1 40000 typ host generation 0")
        let answer = DataChannelDescription(
            mid: offer.mid, iceUfrag: "wxyz", icePwd: "abcdefghijklmnopqrstuv",
            fingerprints: [CertificateFingerprint(algorithm: "sha-256", certificateDER: [0x30, 0x03, 0x02, 0x01, 0x01])!],
            setup: .active, candidates: [candidate], endOfCandidates: true)
        let text = SessionDescription(dataChannel: answer, sessionID: 1, sessionVersion: 3).serialized()
        #expect(text.contains("o=- 1 3 IN IP4 127.0.0.1\r\n"))
        #expect(!text.contains("extmap-allow-mixed"))
        #expect(text.hasSuffix("a=candidate:1 1 udp 2130706431 127.0.0.1 40000 typ host generation 0\r\na=end-of-candidates\r\n"))
        #expect(try SessionDescription(parsing: text).dataChannelDescription() == answer)
    }

    @Test func mediaLevelWinsOverSessionLevel() throws {
        let text = """
            v=0
            o=- 1 1 IN IP4 0.0.0.0
            s=-
            t=0 0
            a=ice-ufrag:sessionUfrag
            a=ice-pwd:sessionPasswordSessionPassword
            a=ice-options:trickle
            a=fingerprint:sha-256 \(SDPFixtures.chromiumFingerprint)
            a=setup:actpass
            m=application 9 UDP/DTLS/SCTP webrtc-datachannel
            c=IN IP4 0.0.0.0
            a=ice-ufrag:mediaUfrag
            a=setup:passive
            a=mid:data
            """
        let description = try SessionDescription(parsing: text)
        #expect(description.iceUfrag == "sessionUfrag" && description.setup == .actpass)
        let dataChannel = try description.dataChannelDescription()
        #expect(dataChannel.iceUfrag == "mediaUfrag")
        #expect(dataChannel.icePwd == "sessionPasswordSessionPassword")
        #expect(dataChannel.iceOptions == ["trickle"])
        #expect(dataChannel.fingerprints.count == 1)
        #expect(dataChannel.setup == .passive)
        #expect(dataChannel.mid == "data")
        // Defaults from RFC 8841 when the SCTP attributes are absent.
        #expect(dataChannel.sctpPort == 5000)
        #expect(dataChannel.maxMessageSize == 65_536)
        // Session-level values are written back at session level.
        let again = try SessionDescription(parsing: description.serialized())
        #expect(again == description)
    }

    @Test func unknownLinesAndAttributesArePreservedAndIgnored() throws {
        let text = """
            v=0
            o=jdoe 2890844526 2890842807 IN IP4 198.51.100.4
            s=SDP Seminar
            i=A Seminar on the session description protocol
            u=http://www.example.com/seminars/sdp.pdf
            e=j.doe@example.com (Jane Doe)
            c=IN IP4 233.252.0.1/127
            b=AS:64
            t=0 0
            r=7d 1h 0 25h
            a=recvonly
            a=x-custom:value with: colons
            m=audio 49170 RTP/AVP 0
            a=rtpmap:0 PCMU/8000
            m=application 9 UDP/DTLS/SCTP webrtc-datachannel
            i=data
            c=IN IP4 0.0.0.0
            b=AS:30
            a=ice-ufrag:u
            a=ice-pwd:p
            a=fingerprint:sha-1 AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01
            a=sendrecv
            a=sctpmap:5000 webrtc-datachannel 1024
            a=fmtp:webrtc-datachannel max-message-size=100000
            a=msid-semantic: WMS
            """
        let description = try SessionDescription(parsing: text)
        #expect(description.origin.username == "jdoe" && description.origin.address == "198.51.100.4")
        #expect(description.sessionName == "SDP Seminar")
        #expect(description.connection?.address == "233.252.0.1/127")
        #expect(description.otherLines.map(\.type) == ["i", "u", "e", "b", "r"])
        #expect(description.otherAttributes == [SDPAttribute(name: "recvonly"), SDPAttribute(name: "x-custom", value: "value with: colons")])
        #expect(description.media.map(\.kind) == ["audio", "application"])
        #expect(!description.media[0].isDataChannel)
        #expect(description.media[0].otherAttributes == [SDPAttribute(name: "rtpmap", value: "0 PCMU/8000")])
        let section = description.media[1]
        #expect(section.otherLines == [SDPLine(type: "i", value: "data"), SDPLine(type: "b", value: "AS:30")])
        #expect(section.otherAttributes.map(\.name) == ["sendrecv", "sctpmap", "fmtp", "msid-semantic"])
        #expect(try description.dataChannelDescription().fingerprints[0].algorithm == "sha-1")

        let again = try SessionDescription(parsing: description.serialized())
        #expect(again == description)
        // RFC 8866 order: i u e after s, c then b, then t and r.
        let types = description.serialized().split(separator: "\r\n").map(\.first!)
        #expect(Array(types.prefix(10)) == ["v", "o", "s", "i", "u", "e", "c", "b", "t", "r"])
    }

    /// Found by fuzzing (docs/FUZZING.md): uninterpreted lines out of RFC 8866 order were written
    /// back in order, so the description read back was a different value.
    @Test func uninterpretedLinesOutOfOrderReadBackTheSame() throws {
        let text = """
            v=0
            o=- 1 1 IN IP4 0.0.0.0
            s=-
            b=AS:64
            t=0 0
            x=unknown
            i=late
            r=7d 1h 0 25h
            b=CT:128
            m=application 9 UDP/DTLS/SCTP webrtc-datachannel
            b=AS:30
            i=data
            """
        let description = try SessionDescription(parsing: text)
        #expect(description.otherLines == [SDPLine(type: "i", value: "late"), SDPLine(type: "b", value: "AS:64"),
                                           SDPLine(type: "b", value: "CT:128"), SDPLine(type: "r", value: "7d 1h 0 25h"),
                                           SDPLine(type: "x", value: "unknown")])
        #expect(description.media[0].otherLines == [SDPLine(type: "i", value: "data"), SDPLine(type: "b", value: "AS:30")])
        #expect(try SessionDescription(parsing: description.serialized()) == description)
    }

    @Test func legacyDataChannelSectionIsRecognised() throws {
        let text = """
            v=0
            o=- 1 1 IN IP4 0.0.0.0
            s=-
            t=0 0
            m=application 9 DTLS/SCTP 5001
            c=IN IP4 0.0.0.0
            a=ice-ufrag:u
            a=ice-pwd:p
            a=fingerprint:sha-256 \(SDPFixtures.chromiumFingerprint)
            a=sctpmap:5001 webrtc-datachannel 1024
            """
        let dataChannel = try SessionDescription(parsing: text).dataChannelDescription()
        #expect(dataChannel.sctpPort == 5001)
        #expect(dataChannel.setup == .active)  // RFC 4145's default when a=setup is absent
        #expect(dataChannel.mid == nil)
    }

    @Test func malformedDescriptionsGetTypedErrors() {
        let head = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
        let media = "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"
        #expect(parseError("") == .empty)
        #expect(parseError("\r\n\n") == .empty)
        #expect(parseError("o=- 1 1 IN IP4 0.0.0.0\r\n") == .missingVersion)
        #expect(parseError("v=1\r\n") == .unsupportedVersion(line: 1, version: "1"))
        #expect(parseError("v=0\r\ns=-\r\n" + media) == .missingOrigin)
        #expect(parseError(head) == .missingMediaSection)
        #expect(parseError(head + "garbage\r\n") == .malformedLine(line: 5, text: "garbage"))
        #expect(parseError(head + " a=x\r\n") == .malformedLine(line: 5, text: " a=x"))
        #expect(parseError(head + "1=x\r\n") == .malformedLine(line: 5, text: "1=x"))
        #expect(parseError(head + "v=0\r\n") == .malformedLine(line: 5, text: "v=0"))
        #expect(parseError("v=0\r\no=- abc 1 IN IP4 0.0.0.0\r\n") == .malformedOrigin(line: 2, text: "- abc 1 IN IP4 0.0.0.0"))
        #expect(parseError("v=0\r\no=- 1 1 IN IP4\r\n") == .malformedOrigin(line: 2, text: "- 1 1 IN IP4"))
        #expect(parseError(head + "m=application 9\r\n") == .malformedMediaLine(line: 5, text: "application 9"))
        #expect(parseError(head + "m=application 70000 UDP/DTLS/SCTP webrtc-datachannel\r\n") == .badPort(line: 5, text: "70000"))
        #expect(parseError(head + "m=application -9 UDP/DTLS/SCTP webrtc-datachannel\r\n") == .badPort(line: 5, text: "-9"))
        #expect(parseError(head + "m=application 9/x UDP/DTLS/SCTP webrtc-datachannel\r\n") == .badPort(line: 5, text: "9/x"))
        #expect(parseError(head + media + "c=IN IP4\r\n") == .malformedConnection(line: 6, text: "IN IP4"))
        #expect(parseError(head + media + "a=fingerprint:sha-256 AB:CD\r\n") == .badFingerprint(line: 6, value: "sha-256 AB:CD"))
        #expect(parseError(head + media + "a=fingerprint:sha-256\r\n") == .badFingerprint(line: 6, value: "sha-256"))
        #expect(parseError(head + media + "a=fingerprint:sha-1 AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:0G\r\n")
                == .badFingerprint(line: 6, value: "sha-1 AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:0G"))
        #expect(parseError(head + "a=fingerprint:sha-256 ABCD\r\n" + media) == .badFingerprint(line: 5, value: "sha-256 ABCD"))
        #expect(parseError(head + media + "a=setup:sometimes\r\n") == .badSetup(line: 6, value: "sometimes"))
        #expect(parseError(head + media + "a=sctp-port:five\r\n") == .badNumber(line: 6, attribute: "sctp-port", value: "five"))
        #expect(parseError(head + media + "a=sctp-port:65536\r\n") == .badNumber(line: 6, attribute: "sctp-port", value: "65536"))
        #expect(parseError(head + media + "a=max-message-size:-1\r\n") == .badNumber(line: 6, attribute: "max-message-size", value: "-1"))
        #expect(parseError(head + media + "a=candidate:1 1 udp 1 1.2.3.4 5 typ bogus\r\n") == .badCandidate(line: 6, .badType("bogus")))
        #expect(parseError(head + media + "a=ice-ufrag:a\r\na=ice-ufrag:b\r\n") == .duplicateAttribute(line: 7, name: "ice-ufrag"))
        #expect(parseError(head + media + "a=mid:0\r\na=mid:1\r\n") == .duplicateAttribute(line: 7, name: "mid"))
        #expect(parseError(head + media + "a=ice-pwd\r\n") == .missingValue(line: 6, attribute: "ice-pwd"))
        #expect(parseError(head + media + "a=mid: \r\n") == .missingValue(line: 6, attribute: "mid"))
    }

    @Test func resolutionErrorsAreTyped() throws {
        func resolutionError(_ text: String) throws -> SDPParseError? {
            let description = try SessionDescription(parsing: text)
            let result = Result { () throws(SDPParseError) in try description.dataChannelDescription() }
            if case .failure(let error) = result { return error }
            return nil
        }
        let head = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
        let credentials = "a=ice-ufrag:u\r\na=ice-pwd:p\r\n"
        let fingerprint = "a=fingerprint:sha-256 \(SDPFixtures.chromiumFingerprint)\r\n"
        #expect(try resolutionError(head + "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n") == .noDataChannelMedia)
        #expect(try resolutionError(head + "m=application 0 UDP/DTLS/SCTP webrtc-datachannel\r\n" + credentials + fingerprint)
                == .dataChannelRejected)
        #expect(try resolutionError(head + "m=application 0 UDP/DTLS/SCTP webrtc-datachannel\r\na=bundle-only\r\n" + credentials + fingerprint)
                == nil)
        #expect(try resolutionError(head + "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=ice-ufrag:u\r\n" + fingerprint)
                == .missingICECredentials)
        #expect(try resolutionError(head + "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n" + credentials) == .missingFingerprint)
        #expect(try resolutionError(head + credentials + fingerprint + "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n") == nil)
    }
}
