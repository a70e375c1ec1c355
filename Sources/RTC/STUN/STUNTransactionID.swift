/// The 96-bit transaction ID that pairs a STUN response with its request.
public struct STUNTransactionID: Sendable, Hashable {
    /// The first 4 bytes, in network order.
    public var high: UInt32
    /// The last 8 bytes, in network order.
    public var low: UInt64

    public init(high: UInt32, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// An ID from exactly 12 bytes; `nil` for any other count.
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 12 else { return nil }
        var reader = ByteReader(ArraySlice(bytes))
        guard let high = reader.readUInt32(), let low = reader.readUInt64() else { return nil }
        self.init(high: high, low: low)
    }

    public var bytes: [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(12)
        result.appendBigEndian(high)
        result.appendBigEndian(low)
        return result
    }

    /// A fresh ID. RFC 8489 wants them cryptographically random, so pass a CSPRNG (the system one
    /// by default); tests pass a seeded generator to stay deterministic.
    public static func random(using generator: inout some RandomNumberGenerator) -> STUNTransactionID {
        STUNTransactionID(high: generator.next(), low: generator.next())
    }

    public static func random() -> STUNTransactionID {
        var generator = SystemRandomNumberGenerator()
        return random(using: &generator)
    }
}

extension STUNTransactionID: CustomStringConvertible {
    public var description: String {
        bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }
}
