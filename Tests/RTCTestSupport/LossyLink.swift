/// A deterministic simulated network path for protocol tests: drops, duplicates and reorders datagrams
/// by a seeded generator, so a lossy run repeats exactly.
public struct LossyLink {
    public var random: SplitMix64
    public var dropRate: Double
    public var duplicateRate: Double
    public var reorderRate: Double
    public private(set) var inFlight: [[UInt8]] = []
    public private(set) var dropped = 0
    /// Datagrams the link never drops (e.g. DTLS handshake records, whose retransmission runs on OpenSSL's
    /// real clock rather than the test's).
    public var spares: ([UInt8]) -> Bool = { _ in false }

    public init(seed: UInt64, dropRate: Double = 0, duplicateRate: Double = 0, reorderRate: Double = 0) {
        random = SplitMix64(seed: seed)
        self.dropRate = dropRate
        self.duplicateRate = duplicateRate
        self.reorderRate = reorderRate
    }

    public mutating func send(_ datagram: [UInt8]) {
        if random.nextDouble() < dropRate, !spares(datagram) {
            dropped += 1
            return
        }
        if random.nextDouble() < reorderRate, !inFlight.isEmpty {
            inFlight.insert(datagram, at: Int(random.next() % UInt64(inFlight.count)))
        } else {
            inFlight.append(datagram)
        }
        if random.nextDouble() < duplicateRate { inFlight.append(datagram) }
    }

    public mutating func deliver() -> [[UInt8]] {
        defer { inFlight.removeAll() }
        return inFlight
    }
}
