/// A deterministic simulated network path: drops, duplicates and reorders datagrams by a seeded generator.
struct LossyLink {
    var random: SplitMix64
    var dropRate: Double
    var duplicateRate: Double
    var reorderRate: Double
    private(set) var inFlight: [[UInt8]] = []
    private(set) var dropped = 0

    init(seed: UInt64, dropRate: Double = 0, duplicateRate: Double = 0, reorderRate: Double = 0) {
        random = SplitMix64(seed: seed)
        self.dropRate = dropRate
        self.duplicateRate = duplicateRate
        self.reorderRate = reorderRate
    }

    mutating func send(_ datagram: [UInt8]) {
        if random.nextDouble() < dropRate {
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

    mutating func deliver() -> [[UInt8]] {
        defer { inFlight.removeAll() }
        return inFlight
    }
}

/// A small seeded generator so simulated runs repeat exactly.
struct SplitMix64 {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func nextDouble() -> Double { Double(next() >> 11) / Double(1 << 53) }
}
