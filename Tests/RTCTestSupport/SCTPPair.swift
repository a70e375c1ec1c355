import SCTP

/// Two associations joined by two simulated links, pumped until a condition holds.
public final class SCTPPair {
    public let a: SCTPAssociation
    public let b: SCTPAssociation
    public var aToB: LossyLink
    public var bToA: LossyLink
    public var aEvents: [SCTPEvent] = []
    public var bEvents: [SCTPEvent] = []
    /// Called for each event as it arrives (before it is recorded), e.g. to feed a layer above.
    public var onEvent: (_ fromA: Bool, SCTPEvent) -> Void = { _, _ in }

    public init(seed: UInt64, dropRate: Double = 0, duplicateRate: Double = 0, reorderRate: Double = 0, maxMessage: Int = 4 << 20) throws {
        a = try SCTPAssociation(maxReceiveMessageSize: maxMessage, maxSendMessageSize: maxMessage)
        b = try SCTPAssociation(maxReceiveMessageSize: maxMessage, maxSendMessageSize: maxMessage)
        aToB = LossyLink(seed: seed, dropRate: dropRate, duplicateRate: duplicateRate, reorderRate: reorderRate)
        bToA = LossyLink(seed: seed &+ 7, dropRate: dropRate, duplicateRate: duplicateRate, reorderRate: reorderRate)
    }

    public func pump(timeout: Duration = .seconds(20), until done: (SCTPPair) -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while !done(self) {
            guard ContinuousClock.now < deadline else { throw SCTPTestFailure("timed out; a: \(aEvents.count) events, b: \(bEvents.count)") }
            a.tick()
            b.tick()
            while let packet = a.pollTransmit() { aToB.send(packet) }
            while let packet = b.pollTransmit() { bToA.send(packet) }
            let toB = aToB.deliver()
            let toA = bToA.deliver()
            for packet in toB { b.receive(packet) }
            for packet in toA { a.receive(packet) }
            while let event = a.pollEvent() {
                onEvent(true, event)
                aEvents.append(event)
            }
            while let event = b.pollEvent() {
                onEvent(false, event)
                bEvents.append(event)
            }
            // Always give other tasks a turn: the cooperative pool has only as many threads as cores.
            if toA.isEmpty && toB.isEmpty { try await Task.sleep(for: .milliseconds(1)) } else { await Task.yield() }
        }
    }

    public func messages(_ events: [SCTPEvent]) -> [(UInt16, UInt32, [UInt8])] {
        events.compactMap { if case .message(let stream, let ppid, let data) = $0 { (stream, ppid, data) } else { nil } }
    }
}

public struct SCTPTestFailure: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

