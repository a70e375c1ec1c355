import DataChannel
import RTCTestSupport
import SCTP
import Testing

@Suite struct DCEPMessageTests {
    @Test func openRoundTripsWithUnicodeLabels() throws {
        let parameters = DataChannelParameters(label: "mesh ✓", protocol: "chatixia/1", channelType: .reliableUnordered, priority: 512, reliabilityParameter: 7)
        let bytes = DCEPMessage.open(parameters).bytes
        #expect(bytes[0] == 0x03)
        #expect(bytes[1] == 0x80)
        #expect(try DCEPMessage(bytes: bytes) == .open(parameters))
        #expect(try DCEPMessage(bytes: [0x02]) == .ack)
    }

    @Test func malformedMessagesAreErrors() {
        #expect(throws: DCEPMessage.ParseError.empty) { try DCEPMessage(bytes: []) }
        #expect(throws: DCEPMessage.ParseError.unknownMessageType(0x09)) { try DCEPMessage(bytes: [0x09]) }
        #expect(throws: DCEPMessage.ParseError.truncated(needed: 12, available: 3)) { try DCEPMessage(bytes: [0x03, 0, 0]) }
        #expect(throws: DCEPMessage.ParseError.unknownChannelType(0x07)) { try DCEPMessage(bytes: [0x03, 0x07] + [UInt8](repeating: 0, count: 10)) }
        // Label length says 200, only 4 bytes follow.
        #expect(throws: DCEPMessage.ParseError.truncated(needed: 212, available: 16)) {
            try DCEPMessage(bytes: [0x03, 0, 0, 0, 0, 0, 0, 0, 0, 200, 0, 0, 1, 2, 3, 4])
        }
        #expect(throws: DCEPMessage.ParseError.invalidUTF8) { try DCEPMessage(bytes: [0x03, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0xFF]) }
    }

    @Test func randomBytesNeverTrap() throws {
        var random = SplitMix64(seed: 8832)
        for _ in 0..<20_000 {
            let length = Int(random.next() % 40)
            var bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            if !bytes.isEmpty && random.nextDouble() < 0.7 { bytes[0] = 0x03 }
            if let message = try? DCEPMessage(bytes: bytes), case .open = message {
                #expect(try DCEPMessage(bytes: message.bytes) == message)
            }
        }
    }
}

@Suite struct DataChannelEndpointTests {
    /// Two endpoints over a linked SCTP pair; `a` is the DTLS client.
    func connected(seed: UInt64, dropRate: Double = 0) throws -> (SCTPPair, DataChannelEndpoint, DataChannelEndpoint, EventLog) {
        let pair = SCTPPair(seed: seed, dropRate: dropRate)
        let a = DataChannelEndpoint(association: pair.a, isDTLSClient: true)
        let b = DataChannelEndpoint(association: pair.b, isDTLSClient: false)
        let log = EventLog()
        pair.onEvent = { fromA, event in
            if fromA { log.a += a.handle(event, now: pair.clock.now) } else { log.b += b.handle(event, now: pair.clock.now) }
        }
        try pair.pump { $0.aEvents.contains(.connected) && $0.bEvents.contains(.connected) }
        return (pair, a, b, log)
    }

    final class EventLog {
        var a: [DataChannelEvent] = []
        var b: [DataChannelEvent] = []
    }

    @Test func openExchangeAndCloseLikeABrowser() throws {
        let (pair, a, b, log) = try connected(seed: 1)
        let stream = try a.open(DataChannelParameters(label: "mesh"), now: pair.clock.now)
        #expect(stream % 2 == 0)
        try a.send(.text("early"), on: stream, now: pair.clock.now)
        try pair.pump { _ in log.a.contains { if case .opened = $0 { true } else { false } } && log.b.count >= 2 }
        #expect(log.b.first == .opened(stream: stream, DataChannelParameters(label: "mesh")))
        #expect(log.b.dropFirst().first == .message(stream: stream, .text("early")))

        let messages: [DataChannelMessage] = [.text(""), .binary([]), .text("héllo"), .binary([0, 1, 2]), .binary([UInt8](repeating: 9, count: 256 * 1024))]
        for message in messages { try b.send(message, on: stream, now: pair.clock.now) }
        try pair.pump { _ in log.a.filter { if case .message = $0 { true } else { false } }.count == messages.count }
        #expect(log.a.compactMap { if case .message(_, let message) = $0 { message } else { nil } } == messages)

        a.close(stream: stream, now: pair.clock.now)
        try pair.pump { _ in log.b.contains(.closed(stream: stream)) }
        #expect(throws: DataChannelError.unknownChannel(stream)) { try b.send(.text("gone"), on: stream, now: pair.clock.now) }
    }

    @Test func bothSidesOpenWithoutStreamCollisions() throws {
        let (pair, a, b, log) = try connected(seed: 2)
        let fromA = try (0..<3).map { try a.open(DataChannelParameters(label: "a\($0)"), now: pair.clock.now) }
        let fromB = try (0..<3).map { try b.open(DataChannelParameters(label: "b\($0)"), now: pair.clock.now) }
        #expect(Set(fromA).isDisjoint(with: fromB))
        #expect(fromB.allSatisfy { $0 % 2 == 1 })
        func openedCount(_ events: [DataChannelEvent]) -> Int { events.filter { if case .opened = $0 { true } else { false } }.count }
        try pair.pump { _ in openedCount(log.a) == 6 && openedCount(log.b) == 6 }
        let labelsSeenByA = Set(log.a.compactMap { if case .opened(_, let parameters) = $0 { parameters.label } else { nil } })
        #expect(labelsSeenByA == ["a0", "a1", "a2", "b0", "b1", "b2"])
    }

    @Test func messagesSurviveALossyLink() throws {
        let (pair, a, _, log) = try connected(seed: 3, dropRate: 0.15)
        let stream = try a.open(DataChannelParameters(label: "lossy"), now: pair.clock.now)
        for n in 0..<100 { try a.send(.text("n=\(n)"), on: stream, now: pair.clock.now) }
        try pair.pump(timeout: .seconds(60)) { _ in log.b.filter { if case .message = $0 { true } else { false } }.count == 100 }
        let texts = log.b.compactMap { if case .message(_, .text(let text)) = $0 { text } else { nil } }
        #expect(texts == (0..<100).map { "n=\($0)" })
    }
}
