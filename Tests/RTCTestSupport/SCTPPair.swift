import SCTP

/// Two associations joined by two simulated links, pumped on a virtual clock until a condition holds. Each
/// round that moves packets takes 100 µs of the clock, an idle one jumps 10 ms (SCTP's tick).
/// Suites using it need `.sctpTimerWheel`.
public final class SCTPPair {
    public let a: SCTPAssociation
    public let b: SCTPAssociation
    public var aToB: LossyLink
    public var bToA: LossyLink
    public let clock: VirtualClock
    public var aEvents: [SCTPEvent] = []
    public var bEvents: [SCTPEvent] = []
    /// Called for each event as it arrives (before it is recorded), e.g. to feed a layer above.
    public var onEvent: (_ fromA: Bool, SCTPEvent) -> Void = { _, _ in }

    public init(
        seed: UInt64, dropRate: Double = 0, duplicateRate: Double = 0, reorderRate: Double = 0, maxMessage: Int = 4 << 20,
        clock: VirtualClock = VirtualClock()
    ) throws {
        self.clock = clock
        a = try SCTPAssociation(maxReceiveMessageSize: maxMessage, maxSendMessageSize: maxMessage)
        b = try SCTPAssociation(maxReceiveMessageSize: maxMessage, maxSendMessageSize: maxMessage)
        aToB = LossyLink(seed: seed, dropRate: dropRate, duplicateRate: duplicateRate, reorderRate: reorderRate)
        bToA = LossyLink(seed: seed &+ 7, dropRate: dropRate, duplicateRate: duplicateRate, reorderRate: reorderRate)
    }

    /// `timeout` is in the pair's virtual time.
    public func pump(timeout: Duration = .seconds(60), until done: (SCTPPair) -> Bool) async throws {
        let deadline = clock.now + timeout
        while !done(self) {
            guard clock.now < deadline else { throw SCTPTestFailure("timed out; a: \(aEvents.count) events, b: \(bEvents.count)") }
            a.tick(now: clock.now)
            b.tick(now: clock.now)
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
            // No yield: the simulation runs flat out. usrsctp measures round trips on the real clock, and a pump
            // that let the test process's other tasks run between rounds would hand it seconds-long ones.
            clock.advance(by: toA.isEmpty && toB.isEmpty ? .milliseconds(10) : .microseconds(100))
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

