import SansIO

@_exported import struct SansIO.SplitMix64

/// What simulations and property tests draw besides raw numbers.
extension SplitMix64 {
    public mutating func nextDouble() -> Double { Double(next() >> 11) / Double(1 << 53) }

    public mutating func bytes(_ count: Int) -> [UInt8] {
        (0..<count).map { _ in UInt8.random(in: 0...255, using: &self) }
    }

    public mutating func chance(_ probability: Double) -> Bool {
        nextDouble() < probability
    }
}
