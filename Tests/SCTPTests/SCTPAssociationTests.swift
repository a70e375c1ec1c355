import DTLS
import RTCTestSupport
import SCTP
import Testing

@Suite(.sctpTimerWheel) struct SCTPAssociationTests {
    @Test func connectsAndCarriesMessagesOfEverySize() async throws {
        let pair = try SCTPPair(seed: 1)
        try await pair.pump { $0.aEvents.contains(.connected) && $0.bEvents.contains(.connected) }
        let sizes = [0, 1, 1199, 1200, 65_536, 256 * 1024, 1 << 20]
        // Built before any is sent: usrsctp times round trips on the real clock, so a long real pause between
        // sends that the virtual clock does not see (building a megabyte in a debug build) skews its timers.
        let messages = sizes.enumerated().map { index, size in (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ index) } }
        for (size, data) in zip(sizes, messages) { try pair.a.send(stream: 1, ppid: size == 0 ? 57 : 53, data: data) }
        try pair.b.send(stream: 2, ppid: 51, data: Array("reply".utf8))
        try await pair.pump { pair.messages($0.bEvents).count == sizes.count && pair.messages($0.aEvents).count == 1 }
        let received = pair.messages(pair.bEvents)
        for (index, size) in sizes.enumerated() {
            #expect(received[index].0 == 1)
            #expect(received[index].1 == (size == 0 ? 57 : 53))
            // The empty message travels as one zero byte with the "empty" PPID, as WebRTC does.
            let expected = size == 0 ? [0] : (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ index) }
            #expect(received[index].2 == expected, "message \(index) of \(size) bytes")
        }
        #expect(pair.messages(pair.aEvents).first?.2 == Array("reply".utf8))
    }

    @Test(arguments: [UInt64(21), 22])
    func orderedDeliverySurvivesALossyReorderingDuplicatingLink(seed: UInt64) async throws {
        let pair = try SCTPPair(seed: seed, dropRate: 0.1, duplicateRate: 0.1, reorderRate: 0.2)
        try await pair.pump { $0.aEvents.contains(.connected) && $0.bEvents.contains(.connected) }
        let count = 300
        for n in 0..<count { try pair.a.send(stream: 0, ppid: 51, data: Array("message \(n)".utf8) + [UInt8](repeating: 1, count: n * 7)) }
        try await pair.pump(timeout: .seconds(60)) { pair.messages($0.bEvents).count >= count }
        let received = pair.messages(pair.bEvents)
        #expect(received.count == count)
        for (n, message) in received.enumerated() {
            #expect(message.2.prefix(while: { $0 != 1 }) == Array("message \(n)".utf8)[...])
        }
        #expect(pair.aToB.dropped + pair.bToA.dropped > 0)
    }

    @Test func aPausedReceiverHoldsTheSenderBackAndLosesNothing() async throws {
        // SCTP's buffers are 2 MiB each way here; 8 MiB is far more than both hold.
        let pair = try SCTPPair(seed: 5, maxMessage: 64 << 10)
        try await pair.pump { $0.aEvents.contains(.connected) && $0.bEvents.contains(.connected) }
        pair.b.isReceivePaused = true
        let count = 128
        for n in 0..<count { try pair.a.send(stream: 0, ppid: 53, data: [UInt8](repeating: UInt8(n), count: 64 << 10)) }
        var rounds = 0
        try await pair.pump { _ in
            rounds += 1
            return rounds == 3000
        }
        #expect(pair.messages(pair.bEvents).isEmpty)
        #expect(pair.a.bufferedAmount > 1 << 20, "the sender was not held back")

        pair.b.isReceivePaused = false
        try await pair.pump { pair.messages($0.bEvents).count == count }
        #expect(pair.messages(pair.bEvents).map { $0.2 } == (0..<count).map { [UInt8](repeating: UInt8($0), count: 64 << 10) })
        #expect(pair.a.bufferedAmount == 0)
    }

    @Test func streamResetReachesThePeer() async throws {
        let pair = try SCTPPair(seed: 3)
        try await pair.pump { $0.aEvents.contains(.connected) && $0.bEvents.contains(.connected) }
        try pair.a.send(stream: 3, ppid: 51, data: [1])
        try await pair.pump { pair.messages($0.bEvents).count == 1 }
        pair.a.resetStream(3)
        try await pair.pump { $0.bEvents.contains(.streamsReset([3])) }
    }

    @Test func messagesOverThePeersLimitAreRefused() async throws {
        let pair = try SCTPPair(seed: 4)
        pair.a.maxSendMessageSize = 1000
        #expect(throws: SCTPError.messageTooLarge(size: 1001, limit: 1000)) { try pair.a.send(stream: 0, ppid: 53, data: [UInt8](repeating: 0, count: 1001)) }
    }

    @Test func shutdownClosesBothEnds() async throws {
        let pair = try SCTPPair(seed: 5)
        try await pair.pump { $0.aEvents.contains(.connected) && $0.bEvents.contains(.connected) }
        pair.a.shutdown()
        try await pair.pump { $0.bEvents.contains(.closed) }
        #expect(throws: SCTPError.closed) { try pair.b.send(stream: 0, ppid: 51, data: [1]) }
    }

    @Test func timersRunOnTheCallersClockNotTheMachines() async throws {
        let pair = try SCTPPair(seed: 6)
        try await pair.pump { $0.aEvents.contains(.connected) && $0.bEvents.contains(.connected) }
        while let packet = pair.a.pollTransmit() { pair.b.receive(packet) }  // what the handshake left (a COOKIE ACK)
        try pair.a.send(stream: 0, ppid: 51, data: [1, 2, 3])
        let lost = try #require(pair.a.pollTransmit())
        #expect(lost.suffix(4) == [1, 2, 3, 0])
        // Real time passes beyond the retransmission timeout (RTO.min 100 ms), the caller's clock does not.
        try await Task.sleep(for: .milliseconds(300))
        pair.a.tick(now: pair.clock.now)
        #expect(pair.a.pollTransmit() == nil)
        // The caller's clock passes RTO.max (5 s): the DATA chunk goes again.
        pair.clock.advance(by: .seconds(6))
        pair.a.tick(now: pair.clock.now)
        #expect(pair.a.pollTransmit() == lost)
    }

    @Test func runsOverDTLS() async throws {
        let clientContext = try DTLSContext()
        let serverContext = try DTLSContext()
        let client = try DTLSEndpoint(role: .client, context: clientContext, remoteFingerprint: serverContext.fingerprint)
        let server = try DTLSEndpoint(role: .server, context: serverContext, remoteFingerprint: clientContext.fingerprint)
        let a = try SCTPAssociation()
        let b = try SCTPAssociation()
        client.start()
        server.start()
        var received: [[UInt8]] = []
        var sent = false
        let clock = VirtualClock()
        while received.count < 50, clock.now < .seconds(20) {
            a.tick(now: clock.now)
            b.tick(now: clock.now)
            // SCTP packets ride in DTLS records once DTLS is up.
            if client.isConnected { while let packet = a.pollTransmit() { try client.send(packet) } }
            if server.isConnected { while let packet = b.pollTransmit() { try server.send(packet) } }
            var moved = false
            while let datagram = client.pollTransmit() { server.receive(datagram); moved = true }
            while let datagram = server.pollTransmit() { client.receive(datagram); moved = true }
            while let event = client.pollEvent() { if case .applicationData(let packet) = event { a.receive(packet) } }
            while let event = server.pollEvent() { if case .applicationData(let packet) = event { b.receive(packet) } }
            while let event = a.pollEvent() {
                if event == .connected, !sent {
                    sent = true
                    for n in 0..<50 { try a.send(stream: 1, ppid: 51, data: Array("over dtls \(n)".utf8)) }
                }
            }
            while let event = b.pollEvent() { if case .message(_, _, let data) = event { received.append(data) } }
            clock.advance(by: moved ? .milliseconds(1) : .milliseconds(10))
        }
        #expect(received == (0..<50).map { Array("over dtls \($0)".utf8) })
    }
}
