import ICE
import STUN
import Testing

/// ICE with STUN and TURN servers: gathering, relay-only connections, consent and failure through a relay.
@Suite struct ICERelayTests {
    static let serverAddress = address("192.0.2.10:3478")
    static let servers = [ICEServer(urls: ["stun:192.0.2.10:3478", "turn:192.0.2.10:3478?transport=udp"], username: "alice", credential: "secret")]

    /// Two agents with trickle, a TURN server, and the given policies.
    func network(policyA: ICETransportPolicy, policyB: ICETransportPolicy, servers: [ICEServer] = servers, timing: ICEAgent.Timing = .init())
        -> (SimulatedNetwork, ICEAgent, ICEAgent)
    {
        let network = SimulatedNetwork()
        network.trickle = true
        network.servers = [TURNServerSimulation(address: Self.serverAddress, users: ["alice": "secret"])]
        let a = ICEAgent(role: .controlling, timing: timing, servers: servers, policy: policyA)
        let b = ICEAgent(role: .controlled, timing: timing, servers: servers, policy: policyB)
        a.setRemoteCredentials(b.local, now: .zero)
        b.setRemoteCredentials(a.local, now: .zero)
        network.add(a, hosts: [address("10.0.0.1:4000")])
        network.add(b, hosts: [address("10.0.0.2:5000")])
        return (network, a, b)
    }

    @Test func relayOnlyAgentsConnectThroughTheServer() throws {
        let (network, a, b) = network(policyA: .relay, policyB: .relay)
        network.run(for: .seconds(5)) { a.state == .connected && b.state == .connected }
        #expect(a.state == .connected && b.state == .connected)
        #expect(a.selectedPair?.local.candidate.kind == .relay)
        #expect(b.selectedPair?.local.candidate.kind == .relay)
        // The peers only ever heard of relayed addresses.
        #expect(network.announced[0]?.map(\.kind) == [.relay])
        #expect(network.announced[1]?.map(\.kind) == [.relay])
        #expect(a.localCandidatesForSignaling.map(\.kind) == [.relay])
        let server = network.servers[0]
        #expect(server.requests[.createPermission, default: 0] >= 1)

        // Application data goes to the server in ChannelData once the channel is bound.
        network.run(for: .milliseconds(100))
        #expect(server.requests[.channelBind, default: 0] >= 2)
        let transmit = try #require(a.send([23, 254, 253, 9]))
        #expect(transmit.destination == Self.serverAddress)
        #expect(DatagramKind(classifying: transmit.payload) == .turnChannelData)
        #expect(transmit.payload.count == 4 + 4)
        let channelDataBefore = server.channelDataFromClients
        var delivered: [[UInt8]] = []
        // From a's relayed address to b's, then to b in ChannelData on b's channel.
        for output in server.receive(transmit.payload, from: address("10.0.0.1:4000"), to: Self.serverAddress, now: network.now) {
            for relayed in server.receive(output.payload, from: output.from, to: output.to, now: network.now) {
                #expect(DatagramKind(classifying: relayed.payload) == .turnChannelData)
                if let data = b.receive(relayed.payload, from: relayed.from, socket: 0, now: network.now) { delivered.append(data) }
            }
        }
        #expect(delivered == [[23, 254, 253, 9]])
        #expect(server.channelDataFromClients == channelDataBefore + 1)
    }

    @Test func relayOnlyIgnoresDirectChecks() {
        // b may use any path, a only its relay: b's checks to a's host address go unanswered.
        let (network, a, b) = network(policyA: .relay, policyB: .all)
        b.addRemoteCandidate(ICECandidateAddress(kind: .host, address: address("10.0.0.1:4000"), priority: ICECandidateAddress.priority(kind: .host), foundation: "x"), now: .zero)
        network.run(for: .seconds(5)) { a.state == .connected && b.state == .connected }
        #expect(a.state == .connected && b.state == .connected)
        #expect(a.selectedPair?.local.candidate.kind == .relay)
        #expect(b.selectedPair?.remote.kind == .relay)
    }

    @Test func hostPairsWinOverRelayPairs() {
        let (network, a, b) = network(policyA: .all, policyB: .all)
        network.run(for: .seconds(5)) { a.state == .connected && b.state == .connected && network.announced[1]?.count == 2 }
        #expect(a.selectedPair?.local.candidate.kind == .host)
        #expect(a.selectedPair?.remote.kind == .host)
        let kinds = network.announced[0]?.map(\.kind) ?? []
        #expect(kinds == [.host, .relay])
        // RFC 8445 type preferences: host 126, relay 0.
        let relay = network.announced[0]?.first { $0.kind == .relay }
        #expect(relay.map { $0.priority >> 24 } == 0)
        #expect(relay?.relatedAddress == address("10.0.0.1:4000"))
    }

    @Test func theRelayCarriesTheConnectionWhenTheDirectPathIsBlocked() {
        let (network, a, b) = network(policyA: .all, policyB: .all)
        network.directPathBlocked = true
        network.run(for: .seconds(10)) { a.state == .connected && b.state == .connected }
        #expect(a.state == .connected && b.state == .connected)
        let pair = a.selectedPair
        #expect(pair?.local.candidate.kind == .relay || pair?.remote.kind == .relay)
    }

    @Test func consentFreshnessWorksOverTheRelay() {
        let (network, a, b) = network(policyA: .relay, policyB: .relay)
        network.run(for: .seconds(5)) { a.state == .connected && b.state == .connected }
        let connectedAt = network.now
        // Well past the failure timeout: consent checks and their answers travel through the relay.
        network.run(for: .seconds(30))
        #expect(a.state == .connected && b.state == .connected)
        #expect(network.now - connectedAt >= .seconds(30))

        network.unreachable.insert(Self.serverAddress)
        let cutAt = network.now
        network.run(for: .seconds(20)) { a.state == .failed && b.state == .failed }
        #expect(a.state == .failed && b.state == .failed)
        #expect(network.now - cutAt <= .seconds(10))
    }

    @Test func aLongRelayedConnectionKeepsItsAllocation() {
        let (network, a, b) = network(policyA: .relay, policyB: .relay)
        network.servers[0].grantedLifetime = 120
        network.run(for: .seconds(5)) { a.state == .connected && b.state == .connected }
        network.run(for: .seconds(15 * 60))
        #expect(a.state == .connected && b.state == .connected)
        let server = network.servers[0]
        #expect(server.liveAllocations(now: network.now).count == 2)
        #expect(server.requests[.refresh, default: 0] >= 2 * 14)
        #expect(server.requests[.createPermission, default: 0] >= 2 * 3)
    }

    @Test func anUnreachableTURNServerFailsRelayOnlyQuickly() {
        let (network, a, b) = network(policyA: .relay, policyB: .relay)
        network.unreachable.insert(Self.serverAddress)
        network.run(for: .seconds(60)) { a.state == .failed && b.state == .failed }
        #expect(a.state == .failed && b.state == .failed)
        #expect(network.now <= .seconds(10))
        #expect(a.deadline == nil)
        #expect(network.announced[0] == nil)
    }

    @Test func relayOnlyWithoutAnyTURNServerFailsAtOnce() {
        let stunOnly = [ICEServer(urls: ["stun:192.0.2.10:3478", "turn:turn.example.org:3478"], username: "alice", credential: "secret")]
        let (_, a, _) = network(policyA: .relay, policyB: .all, servers: stunOnly)
        #expect(a.state == .failed)
        #expect(a.pollTransmit() == nil)
    }

    @Test func closeDeletesTheAllocation() {
        let (network, a, b) = network(policyA: .relay, policyB: .relay)
        network.run(for: .seconds(5)) { a.state == .connected && b.state == .connected }
        #expect(network.servers[0].liveAllocations(now: network.now).count == 2)
        a.close()
        network.run(for: .milliseconds(10))
        #expect(network.servers[0].liveAllocations(now: network.now).count == 1)
        #expect(a.deadline == nil)
    }

    @Test func gathersAServerReflexiveCandidateBehindANAT() {
        let network = SimulatedNetwork()
        network.servers = [TURNServerSimulation(address: Self.serverAddress, users: [:])]
        let agent = ICEAgent(role: .controlling, servers: [ICEServer(urls: ["stun:192.0.2.10"])])
        network.add(agent, hosts: [address("10.0.0.1:4000")], natted: [address("203.0.113.1:61000")])
        network.run(for: .seconds(2)) { network.announced[0]?.count == 2 }
        let reflexive = network.announced[0]?.last
        #expect(reflexive?.kind == .serverReflexive)
        #expect(reflexive?.address == address("203.0.113.1:61000"))
        #expect(reflexive?.relatedAddress == address("10.0.0.1:4000"))
        #expect(reflexive.map { $0.priority >> 24 } == 100)
        // Signaled, but never paired: checks from it would leave the host candidate's socket anyway.
        #expect(agent.localCandidatesForSignaling.count == 2)
    }

    @Test func aSilentSTUNServerOnlyCostsTheCandidate() {
        let network = SimulatedNetwork()
        network.unreachable.insert(Self.serverAddress)
        let agent = ICEAgent(role: .controlling, servers: [ICEServer(urls: ["stun:192.0.2.10:3478"])])
        network.add(agent, hosts: [address("10.0.0.1:4000")])
        network.run(for: .seconds(30))
        #expect(network.announced[0]?.map(\.kind) == [.host])
        #expect(agent.deadline == nil)
        #expect(agent.state == .new)
    }

    // MARK: TURN over TCP and TLS

    static let tcpServers = [ICEServer(urls: ["turn:192.0.2.10:3478?transport=tcp"], username: "alice", credential: "secret")]

    @Test func relayOverTCPConnectsWhenUDPIsBlocked() throws {
        let (network, a, b) = network(policyA: .relay, policyB: .relay, servers: Self.tcpServers)
        network.udpBlocked = true
        network.run(for: .seconds(5)) { a.state == .connected && b.state == .connected }
        #expect(a.state == .connected && b.state == .connected)
        // One connection per agent, from its host candidate's address, plain TCP.
        #expect(network.connectionRequests.map(\.server) == [Self.serverAddress, Self.serverAddress])
        #expect(network.connectionRequests.map(\.localIP) == [address("10.0.0.1:4000").ip, address("10.0.0.2:5000").ip])
        #expect(network.connectionRequests.allSatisfy { !$0.usesTLS })
        let selected = try #require(a.selectedPair)
        #expect(selected.local.candidate.kind == .relay)
        #expect(selected.local.socket == 1)  // the stream, not the UDP socket 0
        // ChannelData on a stream is padded to a multiple of 4 (RFC 8656 §12.5).
        network.run(for: .milliseconds(100))
        let transmit = try #require(a.send([23, 254, 253, 9, 1]))
        #expect(transmit.socket == 1 && transmit.destination == Self.serverAddress)
        #expect(DatagramKind(classifying: transmit.payload) == .turnChannelData)
        #expect(transmit.payload.count == 4 + 8)
    }

    @Test func withoutTCPTheBlockedUDPRelayFails() {
        let (network, a, b) = network(policyA: .relay, policyB: .relay)
        network.udpBlocked = true
        network.run(for: .seconds(60)) { a.state == .failed && b.state == .failed }
        #expect(a.state == .failed && b.state == .failed)
        #expect(network.connectionRequests.isEmpty)
    }

    @Test func turnsAsksForTLSNamedAfterTheURLHost() throws {
        let agent = ICEAgent(role: .controlling, servers: [ICEServer(urls: ["turns:192.0.2.10"], username: "alice", credential: "secret")], policy: .relay)
        agent.addLocalCandidate(kind: .host, address: address("10.0.0.1:4000"), socket: 0, now: .zero)
        let request = try #require(agent.pollConnectionRequest())
        #expect(request.usesTLS && request.serverName == "192.0.2.10" && request.server == address("192.0.2.10:5349"))
        #expect(agent.pollConnectionRequest() == nil)
        // Nothing goes out over UDP for it, and relay-only waits for the connection rather than failing.
        #expect(agent.pollTransmit() == nil)
        #expect(agent.state == .new)
        agent.connectionFailed(request.id, now: .milliseconds(5))
        #expect(agent.state == .failed)
    }

    @Test func aUDPRelayOutranksATCPRelayWhenBothWork() throws {
        let both = [ICEServer(urls: ["turn:192.0.2.10:3478?transport=tcp", "turn:192.0.2.10:3478"], username: "alice", credential: "secret")]
        let (network, a, b) = network(policyA: .relay, policyB: .relay, servers: both)
        network.run(for: .seconds(5)) { a.state == .connected && b.state == .connected }
        network.run(for: .milliseconds(500))
        let relays = try #require(network.announced[0]).filter { $0.kind == .relay }
        #expect(relays.count == 2)
        let viaUDP = try #require(relays.first { $0.relatedAddress == address("10.0.0.1:4000") })
        let viaTCP = try #require(relays.first { $0.relatedAddress != address("10.0.0.1:4000") })
        #expect(viaUDP.priority > viaTCP.priority)
        #expect(a.selectedPair?.local.socket == 0)
    }

    @Test func aRefusedConnectionFailsRelayOnlyAtOnce() {
        let (network, a, _) = network(policyA: .relay, policyB: .relay, servers: Self.tcpServers)
        network.refusingConnections.insert(Self.serverAddress)
        network.run(for: .seconds(1)) { a.state == .failed }
        #expect(a.state == .failed)
        #expect(network.now < .seconds(1))
    }

    @Test func anAgentNamesTheTURNConnectionsItUsesAndRefusesOnesItNoLongerWaitsFor() {
        let (network, a, b) = network(policyA: .relay, policyB: .relay, servers: Self.tcpServers)
        network.udpBlocked = true
        network.run(for: .seconds(5)) { a.state == .connected && b.state == .connected }
        #expect(a.streamSockets == [1], "its relay runs over the connection opened as socket 1")
        #expect(!a.connectionOpened(a.nextConnectionID + 7, socket: 9, now: network.now), "never asked for")
        #expect(a.streamSockets == [1])
    }

    @Test func theConnectionClosingEndsTheRelayAndWithItARelayOnlySession() {
        let (network, a, b) = network(policyA: .relay, policyB: .relay, servers: Self.tcpServers)
        network.udpBlocked = true
        network.run(for: .seconds(5)) { a.state == .connected && b.state == .connected }
        a.connectionClosed(socket: 1, now: network.now)
        // Its only relay is gone: nothing can carry the session, so it fails now, not at the consent timeout.
        #expect(a.state == .failed)
        #expect(a.deadline == nil)
        // The peer learns by consent: its checks go unanswered.
        let closedAt = network.now
        network.run(for: .seconds(30)) { b.state == .failed }
        #expect(b.state == .failed)
        #expect(network.now - closedAt <= .seconds(9))
    }
}
