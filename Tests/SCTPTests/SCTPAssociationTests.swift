import DTLS
import RTCTestSupport
@testable import SCTP
import Testing

@Suite struct SCTPAssociationTests {
    @Test func connectsAndCarriesMessagesOfEverySize() throws {
        let pair = SCTPPair(seed: 1)
        try pair.pump { $0.aEvents.contains(.connected) && $0.bEvents.contains(.connected) }
        let sizes = [0, 1, 1199, 1200, 65_536, 256 * 1024, 1 << 20]
        let messages = sizes.enumerated().map { index, size in (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ index) } }
        for (size, data) in zip(sizes, messages) { try pair.a.send(stream: 1, ppid: size == 0 ? 57 : 53, data: data, now: pair.clock.now) }
        try pair.b.send(stream: 2, ppid: 51, data: Array("reply".utf8), now: pair.clock.now)
        try pair.pump { pair.messages($0.bEvents).count == sizes.count && pair.messages($0.aEvents).count == 1 }
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
    func orderedDeliverySurvivesALossyReorderingDuplicatingLink(seed: UInt64) throws {
        let pair = SCTPPair(seed: seed, dropRate: 0.1, duplicateRate: 0.1, reorderRate: 0.2)
        try pair.pump { $0.aEvents.contains(.connected) && $0.bEvents.contains(.connected) }
        let count = 300
        for n in 0..<count { try pair.a.send(stream: 0, ppid: 51, data: Array("message \(n)".utf8) + [UInt8](repeating: 1, count: n * 7), now: pair.clock.now) }
        try pair.pump(timeout: .seconds(60)) { pair.messages($0.bEvents).count >= count }
        let received = pair.messages(pair.bEvents)
        #expect(received.count == count)
        for (n, message) in received.enumerated() {
            #expect(message.2.prefix(while: { $0 != 1 }) == Array("message \(n)".utf8)[...])
        }
        #expect(pair.aToB.dropped + pair.bToA.dropped > 0)
    }

    @Test func aPausedReceiverHoldsTheSenderBackAndLosesNothing() throws {
        // The receive window is 2 MiB here; 8 MiB is far more than it holds.
        let pair = SCTPPair(seed: 5, maxMessage: 64 << 10)
        try pair.pump { $0.aEvents.contains(.connected) && $0.bEvents.contains(.connected) }
        pair.b.isReceivePaused = true
        let count = 128
        for n in 0..<count { try pair.a.send(stream: 0, ppid: 53, data: [UInt8](repeating: UInt8(n), count: 64 << 10), now: pair.clock.now) }
        pair.pump(rounds: 3000)
        #expect(pair.messages(pair.bEvents).isEmpty)
        #expect(pair.a.bufferedAmount > 1 << 20, "the sender was not held back")

        pair.b.isReceivePaused = false
        try pair.pump { pair.messages($0.bEvents).count == count }
        #expect(pair.messages(pair.bEvents).map { $0.2 } == (0..<count).map { [UInt8](repeating: UInt8($0), count: 64 << 10) })
        #expect(pair.a.bufferedAmount == 0)
    }

    @Test func streamResetReachesThePeer() throws {
        let pair = SCTPPair(seed: 3)
        try pair.pump { $0.aEvents.contains(.connected) && $0.bEvents.contains(.connected) }
        try pair.a.send(stream: 3, ppid: 51, data: [1], now: pair.clock.now)
        try pair.a.send(stream: 3, ppid: 51, data: [2], now: pair.clock.now)
        pair.a.resetStream(3, now: pair.clock.now)
        try pair.pump { $0.bEvents.contains(.streamsReset([3])) }
        // The reset follows what was sent before it; the stream starts again from its first message number.
        #expect(pair.messages(pair.bEvents).map(\.2) == [[1], [2]])
        try pair.a.send(stream: 3, ppid: 51, data: [3], now: pair.clock.now)
        try pair.pump { pair.messages($0.bEvents).count == 3 }
    }

    @Test func messagesOverThePeersLimitAreRefused() throws {
        let pair = SCTPPair(seed: 4)
        pair.a.maxSendMessageSize = 1000
        #expect(throws: SCTPError.messageTooLarge(size: 1001, limit: 1000)) {
            try pair.a.send(stream: 0, ppid: 53, data: [UInt8](repeating: 0, count: 1001), now: pair.clock.now)
        }
    }

    @Test func shutdownClosesBothEnds() throws {
        let pair = SCTPPair(seed: 5)
        try pair.pump { $0.aEvents.contains(.connected) && $0.bEvents.contains(.connected) }
        pair.a.shutdown(now: pair.clock.now)
        try pair.pump { $0.bEvents.contains(.closed) && $0.aEvents.contains(.closed) }
        #expect(throws: SCTPError.closed) { try pair.b.send(stream: 0, ppid: 51, data: [1], now: pair.clock.now) }
    }

    @Test func retransmitsOnTheCallersClockAndSleepsWhenIdle() throws {
        let pair = SCTPPair(seed: 6)
        try pair.pump { $0.aEvents.contains(.connected) && $0.bEvents.contains(.connected) }
        pair.pump(rounds: 5)
        // Nothing in flight and nothing owed: no timer at all, so an idle association never wakes its loop.
        #expect(pair.a.deadline == nil && pair.b.deadline == nil)
        try pair.a.send(stream: 0, ppid: 51, data: [1, 2, 3], now: pair.clock.now)
        let lost = try #require(pair.a.pollTransmit())
        #expect(lost.suffix(4) == [1, 2, 3, 0])
        let deadline = try #require(pair.a.deadline)
        pair.a.handleTimeout(now: deadline - .milliseconds(1))
        #expect(pair.a.pollTransmit() == nil)
        // At the retransmission timeout the DATA chunk goes again, unchanged.
        pair.a.handleTimeout(now: deadline)
        #expect(pair.a.pollTransmit() == lost)
        #expect(try #require(pair.a.deadline) > deadline, "the timer backs off")
    }

    @Test func theRetransmissionTimeoutFollowsTheMeasuredRoundTrips() throws {
        let pair = SCTPPair(seed: 8)
        try pair.pump { $0.aEvents.contains(.connected) && $0.bEvents.contains(.connected) }
        pair.pump(rounds: 5)
        var sentAt = pair.clock.now
        try pair.a.send(stream: 0, ppid: 51, data: [0], now: sentAt)
        var data = try #require(pair.a.pollTransmit())
        // RFC 9260 §6.3.1: the first measurement R gives SRTT R and RTTVAR R/2; then RTTVAR = 3/4 RTTVAR + 1/4 |SRTT - R|,
        // SRTT = 7/8 SRTT + 1/8 R; RTO = SRTT + 4 RTTVAR (between 100 ms and 5 s).
        let expected: [(roundTrip: Duration, rto: Duration)] = [
            (.milliseconds(300), .milliseconds(900)), (.milliseconds(100), .milliseconds(925)), (.milliseconds(40), .microseconds(968_125)),
        ]
        for (roundTrip, rto) in expected {
            // b acknowledges the message (at once or after its delayed-SACK timer); the SACK reaches a `roundTrip`
            // after the message left, and a sends the next one then.
            pair.b.receive(data, now: sentAt)
            let sack: [UInt8]
            if let immediate = pair.b.pollTransmit() {
                sack = immediate
            } else {
                pair.b.handleTimeout(now: try #require(pair.b.deadline))
                sack = try #require(pair.b.pollTransmit())
            }
            sentAt += roundTrip
            pair.a.receive(sack, now: sentAt)
            #expect(pair.a.deadline == nil, "everything is acknowledged")
            try pair.a.send(stream: 0, ppid: 51, data: [1], now: sentAt)
            data = try #require(pair.a.pollTransmit())
            #expect(try #require(pair.a.deadline) - sentAt == rto)
        }
    }

    @Test func unorderedMessagesDoNotWaitForALostPredecessor() throws {
        let pair = SCTPPair(seed: 8)
        try pair.pump { $0.aEvents.contains(.connected) && $0.bEvents.contains(.connected) }
        pair.pump(rounds: 5)
        try pair.a.send(stream: 1, ppid: 53, data: [1], unordered: true, now: pair.clock.now)
        _ = try #require(pair.a.pollTransmit())  // lost
        try pair.a.send(stream: 1, ppid: 53, data: [2], unordered: true, now: pair.clock.now)
        while let packet = pair.a.pollTransmit() { pair.b.receive(packet, now: pair.clock.now) }
        #expect(pair.b.pollEvent() == .message(stream: 1, ppid: 53, data: [2]))
        try pair.pump { pair.messages($0.bEvents).count == 1 }
        #expect(pair.messages(pair.bEvents).first?.2 == [1])
    }

    @Test func aSilentPeerEndsTheAssociation() throws {
        let pair = SCTPPair(seed: 9)
        try pair.pump { $0.aEvents.contains(.connected) && $0.bEvents.contains(.connected) }
        pair.aToB.dropRate = 1
        try pair.a.send(stream: 0, ppid: 51, data: [1], now: pair.clock.now)
        try pair.pump(timeout: .seconds(120)) { $0.aEvents.contains(.closed) }
        #expect(pair.clock.now > .seconds(30), "it retried with backoff before giving up")
    }

    @Test func corruptOrForeignPacketsAreIgnored() throws {
        let pair = SCTPPair(seed: 10)
        try pair.pump { $0.aEvents.contains(.connected) && $0.bEvents.contains(.connected) }
        pair.pump(rounds: 5)
        try pair.a.send(stream: 0, ppid: 51, data: [7], now: pair.clock.now)
        let packet = try #require(pair.a.pollTransmit())
        var corrupt = packet
        corrupt[corrupt.count - 4] ^= 1
        pair.b.receive(corrupt, now: pair.clock.now)
        var wrongTag = packet
        wrongTag[4] ^= 1
        pair.b.receive(wrongTag, now: pair.clock.now)
        pair.b.receive(Array(packet.prefix(20)), now: pair.clock.now)
        #expect(pair.b.pollEvent() == nil)
        pair.b.receive(packet, now: pair.clock.now)
        #expect(pair.b.pollEvent() == .message(stream: 0, ppid: 51, data: [7]))
    }

    @Test func aPeerThatIgnoresOurWindowAndLimitCannotMakeUsBufferWithoutLimit() throws {
        let pair = SCTPPair(seed: 11, maxMessage: 64 << 10)
        try pair.pump { $0.aEvents.contains(.connected) && $0.bEvents.contains(.connected) }
        pair.pump(rounds: 5)
        try pair.a.send(stream: 0, ppid: 53, data: [1], now: pair.clock.now)
        let first = try #require(pair.a.pollTransmit())
        pair.b.receive(first, now: pair.clock.now)
        // Forged DATA that continues in TSN order: one message that never ends, far past 64 KiB and the window.
        let tag = Array(first[4..<8]), tsn = first.uint32(at: 16)
        for index in 1...4000 {
            var packet: [UInt8] = [0x13, 0x88, 0x13, 0x88] + tag + [0, 0, 0, 0]
            packet += [0, index == 1 ? 0x02 : 0x00, 0x04, 0x00]  // DATA, B on the first, 1024 bytes with its header
            packet.append(uint32: tsn &+ UInt32(index))
            packet += [0, 0, 0, 1, 0, 0, 0, 53] + [UInt8](repeating: 7, count: 1008)
            pair.b.receive(SCTPAssociation.withChecksum(packet), now: pair.clock.now)
        }
        #expect(pair.b.receiveBuffered <= pair.b.receiveWindow + pair.b.maxReceiveMessageSize + 1024)
        #expect(pair.b.receiveBuffered > pair.b.receiveWindow, "the pieces in order were taken up to the hard limit")
    }

    @Test func runsOverDTLS() throws {
        let clientContext = try DTLSContext()
        let serverContext = try DTLSContext()
        let client = try DTLSEndpoint(role: .client, context: clientContext, remoteFingerprint: serverContext.fingerprint)
        let server = try DTLSEndpoint(role: .server, context: serverContext, remoteFingerprint: clientContext.fingerprint)
        let a = SCTPAssociation()
        let b = SCTPAssociation()
        client.start()
        server.start()
        var received: [[UInt8]] = []
        var sent = false
        let clock = VirtualClock()
        while received.count < 50, clock.now < .seconds(20) {
            for association in [a, b] where (association.deadline ?? .seconds(1 << 40)) <= clock.now { association.handleTimeout(now: clock.now) }
            // SCTP packets ride in DTLS records once DTLS is up.
            if client.isConnected { while let packet = a.pollTransmit() { try client.send(packet) } }
            if server.isConnected { while let packet = b.pollTransmit() { try server.send(packet) } }
            var moved = false
            while let datagram = client.pollTransmit() { server.receive(datagram); moved = true }
            while let datagram = server.pollTransmit() { client.receive(datagram); moved = true }
            while let event = client.pollEvent() {
                if event == .connected { a.connect(now: clock.now) }
                if case .applicationData(let packet) = event { a.receive(packet, now: clock.now) }
            }
            while let event = server.pollEvent() {
                if event == .connected { b.connect(now: clock.now) }
                if case .applicationData(let packet) = event { b.receive(packet, now: clock.now) }
            }
            while let event = a.pollEvent() {
                if event == .connected, !sent {
                    sent = true
                    for n in 0..<50 { try a.send(stream: 1, ppid: 51, data: Array("over dtls \(n)".utf8), now: clock.now) }
                }
            }
            while let event = b.pollEvent() { if case .message(_, _, let data) = event { received.append(data) } }
            clock.advance(by: moved ? .milliseconds(1) : .milliseconds(10))
        }
        #expect(received == (0..<50).map { Array("over dtls \($0)".utf8) })
    }
}
