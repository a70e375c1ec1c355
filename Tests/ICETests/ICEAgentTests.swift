import ICE
import STUN
import Testing

func address(_ text: String) -> TransportAddress { TransportAddress(text)! }

@Suite struct ICEAgentTests {
    func connectedPair(signalBCandidates: Bool = true) -> (SimulatedNetwork, ICEAgent, ICEAgent) {
        let network = SimulatedNetwork()
        let a = ICEAgent(role: .controlling)
        let b = ICEAgent(role: .controlled)
        _ = network.add(a, hosts: [address("10.0.0.1:4000"), address("192.168.1.1:4001")])
        _ = network.add(b, hosts: [address("10.0.0.2:5000")])
        a.setRemoteCredentials(b.local, now: network.now)
        b.setRemoteCredentials(a.local, now: network.now)
        for candidate in a.localCandidatesForSignaling { b.addRemoteCandidate(candidate, now: network.now) }
        if signalBCandidates { for candidate in b.localCandidatesForSignaling { a.addRemoteCandidate(candidate, now: network.now) } }
        return (network, a, b)
    }

    @Test func connectsSelectsTheBestPairAndCarriesData() {
        let (network, a, b) = connectedPair()
        network.run(for: .seconds(5)) { a.state == .connected && b.state == .connected }
        #expect(a.state == .connected)
        #expect(b.state == .connected)
        #expect(a.selectedPair?.remote.address == address("10.0.0.2:5000"))
        #expect(b.selectedPair?.remote.address == a.selectedPair?.local.candidate.address)
        // Connecting on a clean network takes a few check intervals, not seconds.
        #expect(network.now < .milliseconds(500))

        let transmit = try! #require(a.send([22, 254, 253, 1]))
        let payload = b.receive(transmit.payload, from: a.selectedPair!.local.candidate.address, socket: 0, now: network.now)
        #expect(payload == [22, 254, 253, 1])
    }

    @Test func learnsPeerReflexiveCandidatesFromChecks() {
        // b's candidates never reach a (as with an mDNS-hidden browser): a learns b's address from b's checks.
        let (network, a, b) = connectedPair(signalBCandidates: false)
        network.run(for: .seconds(5)) { a.state == .connected && b.state == .connected }
        #expect(a.state == .connected)
        #expect(a.selectedPair?.remote.kind == .peerReflexive)
    }

    @Test func aDeadPeerIsNoticedWithinTenSeconds() {
        let (network, a, b) = connectedPair()
        network.run(for: .seconds(5)) { a.state == .connected && b.state == .connected }
        network.cut = true
        let cutAt = network.now
        var sawDisconnected = false
        network.run(for: .seconds(20)) {
            if a.state == .disconnected { sawDisconnected = true }
            return a.state == .failed
        }
        #expect(sawDisconnected)
        #expect(a.state == .failed)
        #expect(network.now - cutAt <= .seconds(10))
    }

    @Test func consentRecoversFromAShortOutage() {
        let (network, a, b) = connectedPair()
        network.run(for: .seconds(5)) { a.state == .connected && b.state == .connected }
        network.cut = true
        network.run(for: .seconds(7)) { a.state == .disconnected }
        #expect(a.state == .disconnected)
        network.cut = false
        network.run(for: .seconds(5)) { a.state == .connected }
        #expect(a.state == .connected)
    }

    @Test func bothControllingResolvesByTieBreaker() {
        let network = SimulatedNetwork()
        let a = ICEAgent(role: .controlling, tieBreaker: 10)
        let b = ICEAgent(role: .controlling, tieBreaker: 20)
        _ = network.add(a, hosts: [address("10.0.0.1:4000")])
        _ = network.add(b, hosts: [address("10.0.0.2:5000")])
        a.setRemoteCredentials(b.local, now: .zero)
        b.setRemoteCredentials(a.local, now: .zero)
        for candidate in a.localCandidatesForSignaling { b.addRemoteCandidate(candidate, now: .zero) }
        for candidate in b.localCandidatesForSignaling { a.addRemoteCandidate(candidate, now: .zero) }
        network.run(for: .seconds(5)) { a.state == .connected && b.state == .connected }
        #expect(a.role == .controlled)
        #expect(b.role == .controlling)
        #expect(a.state == .connected && b.state == .connected)
    }

    @Test func wrongCredentialsNeverConnect() {
        let network = SimulatedNetwork()
        let a = ICEAgent(role: .controlling)
        let b = ICEAgent(role: .controlled)
        _ = network.add(a, hosts: [address("10.0.0.1:4000")])
        _ = network.add(b, hosts: [address("10.0.0.2:5000")])
        a.setRemoteCredentials(ICECredentials(ufrag: b.local.ufrag, password: "not-the-password-at-all"), now: .zero)
        b.setRemoteCredentials(a.local, now: .zero)
        for candidate in a.localCandidatesForSignaling { b.addRemoteCandidate(candidate, now: .zero) }
        for candidate in b.localCandidatesForSignaling { a.addRemoteCandidate(candidate, now: .zero) }
        network.run(for: .seconds(40)) { a.state == .failed }
        #expect(a.state == .failed)
        #expect(b.state != .connected)
    }

    @Test func garbageAndForeignSTUNAreIgnored() {
        let (network, a, _) = connectedPair()
        var random = UInt64(7)
        for _ in 0..<2000 {
            random = random &* 6364136223846793005 &+ 1
            var bytes = (0..<Int(random % 120)).map { UInt8(truncatingIfNeeded: random >> UInt64($0 % 56)) }
            if bytes.count > 8 { bytes[0] = 0; bytes[1] = 1; bytes[4] = 0x21; bytes[5] = 0x12; bytes[6] = 0xA4; bytes[7] = 0x42 }
            _ = a.receive(bytes, from: address("10.9.9.9:9"), socket: 0, now: network.now)
        }
        // An unauthenticated request gets no answer and creates no candidate.
        let forged = STUNMessage(method: .binding, class: .request, transactionID: .random(), attributes: [.username("\(a.local.ufrag):x")])
        _ = a.receive(try! forged.encoded(fingerprint: true), from: address("10.9.9.9:9"), socket: 0, now: network.now)
        var destinations: [TransportAddress] = []
        while let transmit = a.pollTransmit() { destinations.append(transmit.destination) }
        #expect(!destinations.contains(address("10.9.9.9:9")))
    }
}
