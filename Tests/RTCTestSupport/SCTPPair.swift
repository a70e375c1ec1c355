import SCTP
import SansIO

/// Two associations joined by two simulated links, pumped on a virtual clock until a condition holds. A round
/// that moves packets takes 100 µs of the clock; an idle one jumps to the next deadline either association has.
/// Randomness is seeded, so a run repeats exactly.
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
    ) {
        self.clock = clock
        a = SCTPAssociation(maxReceiveMessageSize: maxMessage, maxSendMessageSize: maxMessage, random: RandomSource(SplitMix64(seed: seed &+ 1)))
        b = SCTPAssociation(maxReceiveMessageSize: maxMessage, maxSendMessageSize: maxMessage, random: RandomSource(SplitMix64(seed: seed &+ 2)))
        aToB = LossyLink(seed: seed, dropRate: dropRate, duplicateRate: duplicateRate, reorderRate: reorderRate)
        bToA = LossyLink(seed: seed &+ 7, dropRate: dropRate, duplicateRate: duplicateRate, reorderRate: reorderRate)
        a.connect(now: clock.now)
        b.connect(now: clock.now)
    }

    /// Runs `rounds` rounds whatever happens.
    public func pump(rounds: Int) {
        for _ in 0..<rounds { round() }
    }

    /// `timeout` is in the pair's virtual time.
    public func pump(timeout: Duration = .seconds(60), until done: (SCTPPair) -> Bool) throws {
        let deadline = clock.now + timeout
        while !done(self) {
            guard clock.now < deadline else { throw SCTPTestFailure("timed out; a: \(aEvents.count) events, b: \(bEvents.count)") }
            round()
        }
    }

    private func round() {
        for association in [a, b] where (association.deadline ?? .seconds(1 << 40)) <= clock.now {
            association.handleTimeout(now: clock.now)
        }
        while let packet = a.pollTransmit() { aToB.send(packet) }
        while let packet = b.pollTransmit() { bToA.send(packet) }
        let toB = aToB.deliver()
        let toA = bToA.deliver()
        for packet in toB { b.receive(packet, now: clock.now) }
        for packet in toA { a.receive(packet, now: clock.now) }
        while let event = a.pollEvent() {
            onEvent(true, event)
            aEvents.append(event)
        }
        while let event = b.pollEvent() {
            onEvent(false, event)
            bEvents.append(event)
        }
        let moved = !toA.isEmpty || !toB.isEmpty
        let next = [a.deadline, b.deadline].compactMap { $0 }.min() ?? clock.now + .milliseconds(10)
        clock.advance(to: moved ? clock.now + .microseconds(100) : max(next, clock.now + .microseconds(100)))
    }

    public func messages(_ events: [SCTPEvent]) -> [(UInt16, UInt32, [UInt8])] {
        events.compactMap { if case .message(let stream, let ppid, let data) = $0 { (stream, ppid, data) } else { nil } }
    }
}

public struct SCTPTestFailure: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
