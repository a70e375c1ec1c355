import DTLS
import RTCTestSupport
import Testing

@Suite struct DTLSEndpointTests {
    static let clientContext = try! DTLSContext()
    static let serverContext = try! DTLSContext()

    /// Runs two endpoints over two lossy links until `done` or the deadline; returns each side's events.
    func run(
        client: DTLSEndpoint, server: DTLSEndpoint, forward: inout LossyLink, backward: inout LossyLink,
        until done: ([DTLSEvent], [DTLSEvent]) -> Bool
    ) async throws -> ([DTLSEvent], [DTLSEvent]) {
        var clientEvents: [DTLSEvent] = []
        var serverEvents: [DTLSEvent] = []
        let deadline = ContinuousClock.now + .seconds(20)
        client.start()
        server.start()
        while !done(clientEvents, serverEvents) {
            guard ContinuousClock.now < deadline else { break }
            while let datagram = client.pollTransmit() { forward.send(datagram) }
            while let datagram = server.pollTransmit() { backward.send(datagram) }
            let toServer = forward.deliver()
            let toClient = backward.deliver()
            for datagram in toServer { server.receive(datagram) }
            for datagram in toClient { client.receive(datagram) }
            while let event = client.pollEvent() { clientEvents.append(event) }
            while let event = server.pollEvent() { serverEvents.append(event) }
            await Task.yield()
            if toServer.isEmpty && toClient.isEmpty {
                try await Task.sleep(for: .milliseconds(2))
                for endpoint in [client, server] where endpoint.timeout == .zero { endpoint.handleTimeout() }
            }
        }
        return (clientEvents, serverEvents)
    }

    func pair(clientExpects: DTLSFingerprint? = nil, serverExpects: DTLSFingerprint? = nil) throws -> (DTLSEndpoint, DTLSEndpoint) {
        let client = try DTLSEndpoint(
            role: .client, context: Self.clientContext, remoteFingerprint: clientExpects ?? Self.serverContext.fingerprint,
            initialRetransmitTimeout: .milliseconds(10))
        let server = try DTLSEndpoint(
            role: .server, context: Self.serverContext, remoteFingerprint: serverExpects ?? Self.clientContext.fingerprint,
            initialRetransmitTimeout: .milliseconds(10))
        return (client, server)
    }

    @Test func handshakeThenDataBothWays() async throws {
        let (client, server) = try pair()
        var forward = LossyLink(seed: 1)
        var backward = LossyLink(seed: 2)
        let (clientEvents, serverEvents) = try await run(client: client, server: server, forward: &forward, backward: &backward) {
            $0.contains(.connected) && $1.contains(.connected)
        }
        #expect(clientEvents == [.connected])
        #expect(serverEvents == [.connected])

        try client.send(Array("hello server".utf8))
        try server.send(Array(repeating: 7, count: 1100))
        let (toClient, toServer) = try await run(client: client, server: server, forward: &forward, backward: &backward) {
            !$0.isEmpty && !$1.isEmpty
        }
        #expect(toServer == [.applicationData(Array("hello server".utf8))])
        #expect(toClient == [.applicationData(Array(repeating: 7, count: 1100))])
        // Every datagram respects the 1200-byte MTU.
        try client.send(Array(repeating: 1, count: 1150))
        while let datagram = client.pollTransmit() { #expect(datagram.count <= 1200) }
    }

    @Test(arguments: [UInt64(11), 12, 13])
    func handshakeCompletesOverALossyReorderingDuplicatingLink(seed: UInt64) async throws {
        let (client, server) = try pair()
        var forward = LossyLink(seed: seed, dropRate: 0.3, duplicateRate: 0.2, reorderRate: 0.3)
        var backward = LossyLink(seed: seed + 100, dropRate: 0.3, duplicateRate: 0.2, reorderRate: 0.3)
        let (clientEvents, serverEvents) = try await run(client: client, server: server, forward: &forward, backward: &backward) {
            $0.contains(.connected) && $1.contains(.connected)
        }
        #expect(clientEvents.first == .connected)
        #expect(serverEvents.first == .connected)
        #expect(forward.dropped + backward.dropped > 0)
    }

    @Test func aTamperedFingerprintFailsBeforeAnyData() async throws {
        var wrong = Self.serverContext.fingerprint.bytes
        wrong[0] ^= 0xFF
        let (client, server) = try pair(clientExpects: DTLSFingerprint(bytes: wrong))
        var forward = LossyLink(seed: 3)
        var backward = LossyLink(seed: 4)
        let (clientEvents, _) = try await run(client: client, server: server, forward: &forward, backward: &backward) { client, _ in
            client.contains { if case .failed = $0 { true } else { false } }
        }
        guard case .failed(.fingerprintMismatch) = clientEvents.first else {
            Issue.record("expected a fingerprint mismatch, got \(clientEvents)")
            return
        }
        #expect(!client.isConnected)
        #expect(throws: DTLSError.notConnected) { try client.send([1, 2, 3]) }
    }

    /// The side that sees the wrong certificate aborts the handshake with an alert, so the other side
    /// fails too instead of finishing a handshake that looks complete (Chromium reported "connected").
    @Test(arguments: [true, false])
    func aTamperedFingerprintAbortsTheHandshakeOnBothSides(clientIsWrong: Bool) async throws {
        func tampered(_ fingerprint: DTLSFingerprint) -> DTLSFingerprint {
            var bytes = fingerprint.bytes
            bytes[0] ^= 0xFF
            return DTLSFingerprint(bytes: bytes)
        }
        let (client, server) = try clientIsWrong
            ? pair(clientExpects: tampered(Self.serverContext.fingerprint))
            : pair(serverExpects: tampered(Self.clientContext.fingerprint))
        var forward = LossyLink(seed: 7)
        var backward = LossyLink(seed: 8)
        let failed = { (events: [DTLSEvent]) in events.contains { if case .failed = $0 { true } else { false } } }
        let (clientEvents, serverEvents) = try await run(client: client, server: server, forward: &forward, backward: &backward) {
            failed($0) && failed($1)
        }
        let (detecting, other) = clientIsWrong ? (clientEvents, serverEvents) : (serverEvents, clientEvents)
        guard case .failed(.fingerprintMismatch) = detecting.first else {
            Issue.record("expected a fingerprint mismatch, got \(detecting)")
            return
        }
        guard case .failed(.openSSL) = other.first else {
            Issue.record("expected the peer to fail on the alert, got \(other)")
            return
        }
        #expect(!client.isConnected && !server.isConnected)
    }

    @Test func closeNotifyReachesThePeer() async throws {
        let (client, server) = try pair()
        var forward = LossyLink(seed: 5)
        var backward = LossyLink(seed: 6)
        _ = try await run(client: client, server: server, forward: &forward, backward: &backward) { $0.contains(.connected) && $1.contains(.connected) }
        client.close()
        let (_, serverEvents) = try await run(client: client, server: server, forward: &forward, backward: &backward) { $1.contains(.closed) }
        #expect(serverEvents == [.closed])
    }

    @Test func garbageDatagramsDoNotCrashOrConnect() async throws {
        let (_, server) = try pair()
        server.start()
        var random = SplitMix64(seed: 99)
        for _ in 0..<500 {
            let length = Int(random.next() % 300)
            var datagram = (0..<length).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            if length > 0 && random.nextDouble() < 0.5 { datagram[0] = 22 }  // look like a handshake record
            server.receive(datagram)
            while server.pollTransmit() != nil {}
        }
        #expect(!server.isConnected)
    }

    @Test func fingerprintTextRoundTrips() {
        let fingerprint = Self.clientContext.fingerprint
        #expect(fingerprint.bytes.count == 32)
        #expect(DTLSFingerprint(algorithm: "SHA-256", hex: fingerprint.hex) == fingerprint)
        #expect(DTLSFingerprint(algorithm: "sha-256", hex: "AB:CD:Z1") == nil)
        #expect(DTLSFingerprint(algorithm: "sha-256", hex: "") == nil)
        #expect(Self.clientContext.fingerprint != Self.serverContext.fingerprint)
    }
}
