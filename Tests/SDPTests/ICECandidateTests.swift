import Testing
import SDP

@Suite struct ICECandidateTests {
    func parseError(_ text: String) -> ICECandidate.ParseError? {
        let result = Result { () throws(ICECandidate.ParseError) in try ICECandidate(parsing: text) }
        if case .failure(let error) = result { return error }
        return nil
    }

    /// Strings as Chromium's and aiortc's trickle messages carry them; each is already in our
    /// canonical field order, so each must come back byte for byte.
    @Test(arguments: [
        "candidate:1467250027 1 udp 2122260223 192.0.2.196 46243 typ host generation 0 ufrag 9Uen network-id 1 network-cost 10",
        "candidate:434187267 1 tcp 1518280447 192.0.2.196 9 typ host tcptype active generation 0 ufrag 9Uen network-id 1",
        "candidate:3300781103 1 tcp 1518214911 2001:db8::1 40123 typ host tcptype passive generation 0 ufrag 9Uen network-id 2",
        "candidate:2999745851 1 udp 1686052607 203.0.113.7 46243 typ srflx raddr 192.0.2.196 rport 46243 generation 0 ufrag 9Uen network-id 1 network-cost 10",
        "candidate:3317246567 1 udp 2113937151 9c7a1e2b-1f4e-4b8a-9c3f-1d2e3f4a5b6c.local 51624 typ host generation 0 ufrag 9Uen network-cost 999",
        "candidate:2157334355 1 udp 25108223 198.51.100.20 61002 typ relay raddr 203.0.113.7 rport 46243 generation 0 ufrag 9Uen network-cost 10",
        "candidate:1 1 udp 1845501695 203.0.113.7 33000 typ prflx raddr 0.0.0.0 rport 0",
        "candidate:d1f2b0d5e8c06fb3e4b3f5a0c9e7d6a1 1 udp 2130706431 192.0.2.23 51806 typ host generation 0",
        "candidate:9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d 1 udp 1694498815 203.0.113.50 51806 typ srflx raddr 192.0.2.23 rport 51806",
        "candidate:a 2 tcp 1 192.0.2.1 5000 typ host tcptype so",
    ])
    func realCandidatesRoundTrip(text: String) throws {
        let candidate = try ICECandidate(parsing: text)
        #expect(candidate.candidateAttribute == text)
        #expect(try ICECandidate(parsing: "a=" + text) == candidate)
        #expect(try ICECandidate(parsing: String(text.dropFirst("candidate:".count))) == candidate)
        #expect(try ICECandidate(parsing: candidate.sdpValue) == candidate)
    }

    @Test func fieldsAreTyped() throws {
        let candidate = try ICECandidate(parsing:
            "candidate:2999745851 1 udp 1686052607 203.0.113.7 46243 typ srflx raddr 192.0.2.196 rport 46243 generation 0 ufrag 9Uen network-id 1")
        #expect(candidate.foundation == "2999745851")
        #expect(candidate.component == 1)
        #expect(candidate.transport == .udp)
        #expect(candidate.priority == 1_686_052_607)
        #expect(candidate.address == "203.0.113.7")
        #expect(candidate.port == 46243)
        #expect(candidate.type == .serverReflexive)
        #expect(candidate.relatedAddress == "192.0.2.196")
        #expect(candidate.relatedPort == 46243)
        #expect(candidate.tcpType == nil)
        #expect(candidate.generation == 0)
        #expect(candidate.usernameFragment == "9Uen")
        #expect(candidate.extensions == [.init(name: "ufrag", value: "9Uen"), .init(name: "network-id", value: "1")])

        let mdns = try ICECandidate(parsing: "candidate:1 1 udp 2113937151 abc.local 51624 typ host")
        #expect(mdns.address == "abc.local")
    }

    @Test func toleratesCaseAndSpacingButNormalises() throws {
        let candidate = try ICECandidate(parsing: "candidate:1  1 UDP 2130706431 192.0.2.1 5000 typ HOST  generation 0 \r\n")
        #expect(candidate.transport == .udp && candidate.type == .host)
        #expect(candidate.candidateAttribute == "candidate:1 1 udp 2130706431 192.0.2.1 5000 typ host generation 0")
        // Named fields go to RFC order, other extensions keep theirs.
        let reordered = try ICECandidate(parsing: "candidate:1 1 udp 1 192.0.2.1 5 typ srflx network-id 3 rport 7 generation 1 raddr 10.0.0.1")
        #expect(reordered.sdpValue == "1 1 udp 1 192.0.2.1 5 typ srflx raddr 10.0.0.1 rport 7 generation 1 network-id 3")
    }

    @Test func malformedCandidatesGetTypedErrors() {
        #expect(parseError("") == .empty)
        #expect(parseError("candidate:") == .empty)
        #expect(parseError("candidate:1 1 udp 1 192.0.2.1 5000 typ") == .missingFields(count: 7))
        #expect(parseError("candidate:1 0 udp 1 192.0.2.1 5000 typ host") == .badComponent("0"))
        #expect(parseError("candidate:1 257 udp 1 192.0.2.1 5000 typ host") == .badComponent("257"))
        #expect(parseError("candidate:1 x udp 1 192.0.2.1 5000 typ host") == .badComponent("x"))
        #expect(parseError("candidate:1 1 sctp 1 192.0.2.1 5000 typ host") == .badTransport("sctp"))
        #expect(parseError("candidate:1 1 udp 4294967296 192.0.2.1 5000 typ host") == .badPriority("4294967296"))
        #expect(parseError("candidate:1 1 udp -1 192.0.2.1 5000 typ host") == .badPriority("-1"))
        #expect(parseError("candidate:1 1 udp 1 192.0.2.1 65536 typ host") == .badPort("65536"))
        #expect(parseError("candidate:1 1 udp 1 192.0.2.1 +5 typ host") == .badPort("+5"))
        #expect(parseError("candidate:1 1 udp 1 192.0.2.1 5000 type host") == .missingTypeKeyword("type"))
        #expect(parseError("candidate:1 1 udp 1 192.0.2.1 5000 typ bogus") == .badType("bogus"))
        #expect(parseError("candidate:1 1 udp 1 192.0.2.1 5000 typ srflx raddr 1.2.3.4 rport x") == .badRelatedPort("x"))
        #expect(parseError("candidate:1 1 tcp 1 192.0.2.1 9 typ host tcptype sideways") == .badTCPType("sideways"))
        #expect(parseError("candidate:1 1 udp 1 192.0.2.1 5000 typ host generation zero") == .badGeneration("zero"))
        #expect(parseError("candidate:1 1 udp 1 192.0.2.1 5000 typ host generation") == .danglingExtension("generation"))
    }

    /// Found by fuzzing (docs/FUZZING.md): a foundation such as `candidate:1` (after a blank, so the
    /// prefix stayed) parsed, and lost its prefix when the candidate's sdpValue was read back.
    @Test func foundationsFollowTheGrammar() {
        let rest = " 1 udp 1 192.0.2.1 5000 typ host"
        #expect(parseError("\tcandidate:1" + rest) == .badFoundation("candidate:1"))
        #expect(parseError("candidate:candidate:1" + rest) == .badFoundation("candidate:1"))
        #expect(parseError("a=x" + rest) == nil)
        #expect(parseError("candidate:a=x" + rest) == .badFoundation("a=x"))
        #expect(parseError("candidate:" + String(repeating: "f", count: 33) + rest) == .badFoundation(String(repeating: "f", count: 33)))
        #expect(parseError("candidate:" + String(repeating: "f", count: 32) + rest) == nil)
        #expect(parseError("candidate:aZ09+/" + rest) == nil)
        #expect(parseError("candidate:1-2" + rest) == .badFoundation("1-2"))
    }
}
