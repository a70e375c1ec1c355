import ICE
import STUN
import TURN
import Testing

/// One TURN client talking to the simulated server on a virtual clock; a peer outside may send to
/// the relayed address, and what the relay delivers to peers is collected.
final class TURNClientHarness {
    let clientAddress = address("10.0.0.1:4000")
    let serverAddress = address("192.0.2.10:3478")
    let server: TURNServerSimulation
    var client: TURNClient
    var now: Duration = .zero
    var serverReachable = true
    var toPeers: [(peer: TransportAddress, payload: [UInt8])] = []
    var fromPeers: [(peer: TransportAddress, payload: [UInt8])] = []
    private(set) var events: [TURNClientEvent] = []

    /// Every message the client sent, reachable server or not.
    private(set) var sent = 0

    init(password: String = "secret", transport: TURNClient.Transport = .datagram, timing: TURNClient.Timing = TURNClient.Timing()) {
        server = TURNServerSimulation(address: serverAddress, users: ["alice": "secret"])
        client = TURNClient(server: serverAddress, transport: transport, username: "alice", password: password, timing: timing, now: .zero)
    }

    /// Delivers everything queued, then steps the clock to the client's deadlines until `done`.
    func run(for limit: Duration, until done: () -> Bool = { false }) {
        let end = now + limit
        while now < end && !done() {
            var moved = false
            while let bytes = client.pollTransmit() {
                moved = true
                sent += 1
                guard serverReachable else { continue }
                for out in server.receive(bytes, from: clientAddress, to: serverAddress, now: now) { route(out) }
            }
            while let event = client.pollEvent() { events.append(event) }
            if moved || done() { continue }
            now = min(max(client.deadline ?? end, now + .milliseconds(1)), end)
            if let deadline = client.deadline, deadline <= now { client.handleTimeout(now: now) }
        }
        while let event = client.pollEvent() { events.append(event) }
    }

    /// A peer on the outside sends to our relayed address.
    func peerSends(_ payload: [UInt8], from peer: TransportAddress) {
        guard let relayed = client.relayedAddress else { return }
        for out in server.receive(payload, from: peer, to: relayed, now: now) { route(out) }
    }

    private func route(_ datagram: TURNServerSimulation.Datagram) {
        if datagram.to == clientAddress {
            if let delivered = client.receive(datagram.payload, now: now) { fromPeers.append(delivered) }
        } else {
            toPeers.append((datagram.to, datagram.payload))
        }
    }
}

@Suite struct TURNClientTests {
    let peer = address("198.51.100.7:6000")

    @Test func allocatesAfterTheAuthenticationChallenge() {
        let harness = TURNClientHarness()
        harness.run(for: .seconds(5)) { harness.client.isAllocated }
        #expect(harness.client.relayedAddress == address("192.0.2.10:50000"))
        #expect(harness.events == [.allocated(relayed: address("192.0.2.10:50000"), mapped: harness.clientAddress)])
        // The first Allocate draws the 401 challenge, the second carries the credentials.
        #expect(harness.server.requests[.allocate] == 2)
        #expect(harness.server.liveAllocations(now: harness.now).count == 1)
    }

    @Test func wrongCredentialsFailTheAllocation() {
        let harness = TURNClientHarness(password: "wrong")
        harness.run(for: .seconds(5)) { !harness.events.isEmpty }
        #expect(harness.client.state == .failed(.rejected(.allocate, .unauthorized)))
        #expect(harness.events == [.failed(.rejected(.allocate, .unauthorized))])
        #expect(harness.client.deadline == nil)
    }

    @Test func anUnreachableServerFailsWithinTenSeconds() {
        let harness = TURNClientHarness()
        harness.serverReachable = false
        harness.run(for: .seconds(60)) { !harness.events.isEmpty }
        #expect(harness.client.state == .failed(.timeout(.allocate)))
        #expect(harness.now <= .seconds(10))
        // Nothing left to wait for: the owner is not woken again.
        #expect(harness.client.deadline == nil)
    }

    @Test func overAStreamNothingIsRetransmittedAndTheWaitIsLonger() {
        let harness = TURNClientHarness(transport: .stream)
        harness.serverReachable = false
        harness.run(for: .seconds(39)) { !harness.events.isEmpty }
        #expect(harness.sent == 1)
        #expect(harness.events.isEmpty)
        harness.run(for: .seconds(2)) { !harness.events.isEmpty }
        #expect(harness.events == [.failed(.timeout(.allocate))])
    }

    @Test func overAStreamChannelDataIsPaddedAndAClosedStreamEndsTheAllocation() throws {
        let harness = TURNClientHarness(transport: .stream)
        harness.run(for: .seconds(5)) { harness.client.isAllocated }
        harness.client.bindChannel(to: peer, now: harness.now)
        harness.run(for: .seconds(5)) { harness.client.boundChannel(for: peer) != nil }
        let wrapped = try #require(harness.client.encapsulate([6, 7, 8, 9, 10], for: peer))
        #expect(wrapped.count == 4 + 8)
        harness.client.send([6, 7, 8, 9, 10], to: peer, now: harness.now)
        harness.run(for: .milliseconds(10))
        #expect(harness.toPeers.last?.payload == [6, 7, 8, 9, 10])

        harness.client.connectionClosed()
        harness.run(for: .milliseconds(10))
        #expect(harness.client.state == .failed(.connectionClosed))
        #expect(harness.events.last == .failed(.connectionClosed))
        #expect(harness.client.deadline == nil)
    }

    @Test func refreshesTheAllocationBeforeItExpires() {
        let harness = TURNClientHarness()
        harness.server.grantedLifetime = 60
        harness.run(for: .seconds(5)) { harness.client.isAllocated }
        // The server moves to a new nonce now and then: each Refresh after that draws a 438 first.
        for _ in 0..<3 {
            harness.server.rotateNonce()
            harness.run(for: .seconds(100))
        }
        #expect(harness.server.staleNonceAnswers == 3)
        #expect(harness.server.requests[.refresh, default: 0] >= 9 + 3)
        #expect(harness.server.liveAllocations(now: harness.now).count == 1)
        #expect(harness.client.isAllocated)
    }

    @Test func aStaleNonceIsAnsweredWithTheNewOne() {
        let harness = TURNClientHarness()
        harness.run(for: .seconds(5)) { harness.client.isAllocated }
        harness.server.rotateNonce()
        harness.client.createPermission(for: peer, now: harness.now)
        harness.run(for: .seconds(5)) { harness.client.hasPermission(for: peer.ip) }
        #expect(harness.client.hasPermission(for: peer.ip))
        #expect(harness.server.staleNonceAnswers == 1)
        #expect(harness.server.requests[.createPermission] == 2)
    }

    @Test func sendsThroughAPermissionThenAChannel() throws {
        let harness = TURNClientHarness()
        harness.run(for: .seconds(5)) { harness.client.isAllocated }
        // Sent before any permission: held until CreatePermission succeeds, then a Send indication.
        harness.client.send([1, 2, 3], to: peer, now: harness.now)
        harness.run(for: .seconds(5)) { !harness.toPeers.isEmpty }
        #expect(harness.toPeers.map(\.payload) == [[1, 2, 3]])
        #expect(harness.server.sendIndications == 1)
        harness.peerSends([4, 5], from: peer)
        #expect(harness.fromPeers.map(\.payload) == [[4, 5]])
        #expect(harness.fromPeers.first?.peer == peer)

        harness.client.bindChannel(to: peer, now: harness.now)
        harness.run(for: .seconds(5)) { harness.client.boundChannel(for: peer) != nil }
        let channel = try #require(harness.client.boundChannel(for: peer))
        #expect(TURNChannelData.validChannels.contains(channel))
        let wrapped = try #require(harness.client.encapsulate([6, 7, 8, 9, 10], for: peer))
        #expect(wrapped.count == 4 + 5)
        harness.client.send([6, 7, 8, 9, 10], to: peer, now: harness.now)
        harness.run(for: .milliseconds(10))
        #expect(harness.server.channelDataFromClients == 1)
        #expect(harness.toPeers.last?.payload == [6, 7, 8, 9, 10])
        harness.peerSends([11], from: peer)
        #expect(harness.fromPeers.last?.payload == [11])
    }

    @Test func keepsPermissionsAndChannelsAliveForLong() {
        let harness = TURNClientHarness()
        harness.run(for: .seconds(5)) { harness.client.isAllocated }
        let other = address("198.51.100.8:7000")
        harness.client.createPermission(for: other, now: harness.now)
        harness.client.bindChannel(to: peer, now: harness.now)
        harness.run(for: .seconds(25 * 60))
        #expect(harness.server.requests[.createPermission, default: 0] >= 6)
        #expect(harness.server.requests[.channelBind, default: 0] >= 3)
        harness.peerSends([1], from: other)
        harness.peerSends([2], from: peer)
        #expect(harness.fromPeers.map(\.payload) == [[1], [2]])
    }

    @Test func closeDeletesTheAllocation() {
        let harness = TURNClientHarness()
        harness.run(for: .seconds(5)) { harness.client.isAllocated }
        harness.client.close()
        harness.run(for: .milliseconds(10))
        #expect(harness.server.liveAllocations(now: harness.now).isEmpty)
        #expect(harness.client.state == .closed)
        #expect(harness.client.deadline == nil)
    }

    @Test func garbageFromTheServerIsIgnored() throws {
        let harness = TURNClientHarness()
        harness.run(for: .seconds(5)) { harness.client.isAllocated }
        // Data indications and ChannelData from the server for peers and channels we never set up.
        let unknownChannel = try TURNChannelData(channel: 0x4ABC, payload: [1]).encoded()
        #expect(harness.client.receive(unknownChannel, now: harness.now) == nil)
        var random = UInt64(3)
        for length in 0..<400 {
            var bytes = (0..<(length % 90)).map { _ in
                random = random &* 6364136223846793005 &+ 1
                return UInt8(truncatingIfNeeded: random >> 33)
            }
            if length % 3 == 0, bytes.count >= 20 { bytes.replaceSubrange(0..<8, with: [1, 1, 0, UInt8(bytes.count - 20) & 0xFC, 0x21, 0x12, 0xA4, 0x42]) }
            if length % 3 == 1, bytes.count >= 4 { bytes[0] = 0x40 }
            _ = harness.client.receive(bytes, now: harness.now)
        }
        #expect(harness.client.isAllocated)
    }
}
