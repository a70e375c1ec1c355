import STUN
import Testing

@testable import ICE

/// What a hostile or confused peer cannot do to an ICE agent: feed DTLS from an address no validated pair
/// covers, grow its candidate list without bound, or complete a check with a response from elsewhere.
@Suite struct ICEHardeningTests {
    /// Two agents with one host candidate each, credentials and candidates exchanged, nothing sent yet.
    func agents() -> (ICEAgent, ICEAgent) {
        let a = ICEAgent(role: .controlling)
        let b = ICEAgent(role: .controlled)
        a.addLocalCandidate(kind: .host, address: address("10.0.0.1:4000"), socket: 0, now: .zero)
        b.addLocalCandidate(kind: .host, address: address("10.0.0.2:5000"), socket: 0, now: .zero)
        a.setRemoteCredentials(b.local, now: .zero)
        b.setRemoteCredentials(a.local, now: .zero)
        for candidate in a.localCandidatesForSignaling { b.addRemoteCandidate(candidate, now: .zero) }
        for candidate in b.localCandidatesForSignaling { a.addRemoteCandidate(candidate, now: .zero) }
        return (a, b)
    }

    func transmits(_ agent: ICEAgent) -> [ICETransmit] {
        var all: [ICETransmit] = []
        while let transmit = agent.pollTransmit() { all.append(transmit) }
        return all
    }

    @Test func onlyAValidatedPairCarriesDataToDTLS() {
        let network = SimulatedNetwork()
        let (a, b) = (ICEAgent(role: .controlling), ICEAgent(role: .controlled))
        network.add(a, hosts: [address("10.0.0.1:4000")])
        network.add(b, hosts: [address("10.0.0.2:5000")])
        let clientHello: [UInt8] = [22, 254, 253, 0, 0]
        // Before any check: nothing passes, whoever sends it.
        #expect(b.receive(clientHello, from: address("10.0.0.1:4000"), socket: 0, now: .zero) == nil)
        a.setRemoteCredentials(b.local, now: .zero)
        b.setRemoteCredentials(a.local, now: .zero)
        for candidate in a.localCandidatesForSignaling { b.addRemoteCandidate(candidate, now: .zero) }
        for candidate in b.localCandidatesForSignaling { a.addRemoteCandidate(candidate, now: .zero) }
        network.run(for: .seconds(5)) { a.state == .connected && b.state == .connected }
        #expect(b.receive(clientHello, from: address("10.0.0.1:4000"), socket: 0, now: network.now) == clientHello)
        // A signaled but never validated address, and one nobody signaled, are dropped.
        b.addRemoteCandidate(ICECandidateAddress(kind: .host, address: address("10.0.0.7:7000"), priority: 1, foundation: "x"), now: network.now)
        #expect(b.receive(clientHello, from: address("10.0.0.7:7000"), socket: 0, now: network.now) == nil)
        #expect(b.receive(clientHello, from: address("10.6.6.6:666"), socket: 0, now: network.now) == nil)
    }

    @Test func remoteCandidatesAreCapped() {
        let (a, _) = agents()
        for n in 0..<200 {
            let candidate = ICECandidateAddress(kind: .host, address: address("10.1.\(n / 250).\(n % 250 + 1):9\(n % 1000)"), priority: 1, foundation: "f\(n)")
            a.addRemoteCandidate(candidate, now: .zero)
        }
        #expect(a.remoteCandidates.count == ICEAgent.maxRemoteCandidates)
    }

    @Test func aResponseFromAnotherAddressDoesNotCompleteTheCheck() throws {
        let (a, b) = agents()
        a.handleTimeout(now: .zero)
        let check = try #require(transmits(a).first { $0.destination == address("10.0.0.2:5000") })
        _ = b.receive(check.payload, from: address("10.0.0.1:4000"), socket: 0, now: .zero)
        let response = try #require(transmits(b).first { (try? STUNMessage(parsing: $0.payload))?.messageClass == .successResponse })
        // The right transaction and signature, but from an address the check never went to: ignored.
        _ = a.receive(response.payload, from: address("10.0.0.9:5000"), socket: 0, now: .milliseconds(10))
        a.handleTimeout(now: .milliseconds(20))
        #expect(!transmits(a).contains { (try? STUNMessage(parsing: $0.payload))?.useCandidate == true })
        #expect(a.selectedPair == nil)
        // From the right address it succeeds, and a (controlling, nothing better pending) nominates at once.
        _ = a.receive(response.payload, from: address("10.0.0.2:5000"), socket: 0, now: .milliseconds(30))
        a.handleTimeout(now: .milliseconds(40))
        #expect(transmits(a).contains { (try? STUNMessage(parsing: $0.payload))?.useCandidate == true })
    }
}
