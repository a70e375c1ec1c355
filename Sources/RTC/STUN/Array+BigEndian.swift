extension Array where Element == UInt8 {
    /// Appends `value` in network byte order.
    package mutating func appendBigEndian<Integer: FixedWidthInteger>(_ value: Integer) {
        var bigEndian = value.bigEndian
        Swift.withUnsafeBytes(of: &bigEndian) { append(contentsOf: $0) }
    }

    /// Overwrites two bytes at `index` with `value` in network byte order.
    package mutating func setBigEndian(_ value: UInt16, at index: Int) {
        self[index] = UInt8(truncatingIfNeeded: value >> 8)
        self[index + 1] = UInt8(truncatingIfNeeded: value)
    }

    /// Appends zero bytes up to the next multiple of four, as STUN and ChannelData padding.
    package mutating func padToFourBytes() {
        while count % 4 != 0 { append(0) }
    }
}
