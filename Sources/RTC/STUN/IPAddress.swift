/// An IPv4 or IPv6 address, as STUN address attributes and ICE candidates carry it.
///
/// Text conversion is our own (no Foundation networking): dotted quads for IPv4 and the RFC 5952
/// canonical form for IPv6, with IPv4-mapped addresses printed as `::ffff:a.b.c.d`.
public enum IPAddress: Sendable, Hashable {
    /// The 32 bits in network order: 192.0.2.1 is `0xC000_0201`.
    case v4(UInt32)
    /// The 128 bits in network order, split into the first and last 64.
    case v6(high: UInt64, low: UInt64)

    public static let ipv4Any = IPAddress.v4(0)
    public static let ipv4Loopback = IPAddress.v4(0x7F00_0001)
    public static let ipv6Any = IPAddress.v6(high: 0, low: 0)
    public static let ipv6Loopback = IPAddress.v6(high: 0, low: 1)

    /// The address in network order: 4 bytes for IPv4, 16 for IPv6.
    public var bytes: [UInt8] {
        var result: [UInt8] = []
        switch self {
        case .v4(let value):
            result.appendBigEndian(value)
        case .v6(let high, let low):
            result.appendBigEndian(high)
            result.appendBigEndian(low)
        }
        return result
    }

    /// An address from 4 (IPv4) or 16 (IPv6) bytes in network order; `nil` for any other count.
    public init?(bytes: some Collection<UInt8>) {
        var reader = ByteReader(ArraySlice(bytes))
        switch bytes.count {
        case 4:
            guard let value = reader.readUInt32() else { return nil }
            self = .v4(value)
        case 16:
            guard let high = reader.readUInt64(), let low = reader.readUInt64() else { return nil }
            self = .v6(high: high, low: low)
        default:
            return nil
        }
    }

    public var isIPv4: Bool {
        if case .v4 = self { return true }
        return false
    }

    public var isIPv6: Bool { !isIPv4 }

    public var isLoopback: Bool {
        switch self {
        case .v4(let value): value >> 24 == 127
        case .v6(let high, let low): high == 0 && low == 1
        }
    }

    public var isUnspecified: Bool {
        switch self {
        case .v4(let value): value == 0
        case .v6(let high, let low): high == 0 && low == 0
        }
    }

    /// fe80::/10 for IPv6, 169.254/16 for IPv4.
    public var isLinkLocal: Bool {
        switch self {
        case .v4(let value): value >> 16 == 0xA9FE
        case .v6(let high, _): high >> 54 == 0xFE80 >> 6
        }
    }
}

extension IPAddress: LosslessStringConvertible {
    /// Parses `192.0.2.1` or `2001:db8::1` (also `::ffff:192.0.2.1`). Zone suffixes (`%eth0`),
    /// brackets, octal-looking IPv4 parts and anything else ambiguous are refused.
    public init?(_ text: String) {
        if text.contains(":") {
            guard let value = Self.parseIPv6(Substring(text)) else { return nil }
            self = value
        } else {
            guard let value = Self.parseIPv4(Substring(text)) else { return nil }
            self = .v4(value)
        }
    }

    public var description: String {
        switch self {
        case .v4(let value):
            return Self.formatIPv4(value)
        case .v6(let high, let low):
            let groups = (0..<8).map { index -> UInt16 in
                let half = index < 4 ? high : low
                return UInt16(truncatingIfNeeded: half >> (UInt64(3 - index % 4) * 16))
            }
            // IPv4-mapped addresses read better, and RFC 5952 section 5 recommends the mixed form.
            if high == 0, low >> 32 == 0xFFFF {
                return "::ffff:" + Self.formatIPv4(UInt32(truncatingIfNeeded: low))
            }
            return Self.formatIPv6(groups)
        }
    }

    private static func formatIPv4(_ value: UInt32) -> String {
        (0..<4).map { String((value >> (UInt32(3 - $0) * 8)) & 0xFF) }.joined(separator: ".")
    }

    /// RFC 5952: lowercase hex, no leading zeros, the longest run of two or more zero groups (the
    /// first one on a tie) shortened to `::`.
    private static func formatIPv6(_ groups: [UInt16]) -> String {
        var bestStart = -1, bestLength = 0, runStart = -1
        for index in 0...8 {
            if index < 8, groups[index] == 0 {
                if runStart < 0 { runStart = index }
            } else if runStart >= 0 {
                if index - runStart > bestLength { bestStart = runStart; bestLength = index - runStart }
                runStart = -1
            }
        }
        let hex = groups.map { String($0, radix: 16) }
        guard bestLength >= 2 else { return hex.joined(separator: ":") }
        let head = hex[..<bestStart].joined(separator: ":")
        let tail = hex[(bestStart + bestLength)...].joined(separator: ":")
        return head + "::" + tail
    }

    static func parseIPv4(_ text: Substring) -> UInt32? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for part in parts {
            guard (1...3).contains(part.utf8.count), part.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
                  part.utf8.count == 1 || part.utf8.first != 0x30,
                  let octet = UInt32(part), octet <= 255
            else { return nil }
            value = value << 8 | octet
        }
        return value
    }

    private static func parseIPv6(_ text: Substring) -> IPAddress? {
        // Split around a single "::" into the groups before and after it.
        var head: [UInt16] = [], tail: [UInt16] = []
        let halves = text.split(separator: "::", maxSplits: 2, omittingEmptySubsequences: false)
        guard halves.count <= 2 else { return nil }
        let compressed = halves.count == 2
        guard let first = parseGroups(halves[0], allowsIPv4Tail: !compressed) else { return nil }
        head = first
        if compressed {
            guard let second = parseGroups(halves[1], allowsIPv4Tail: true) else { return nil }
            tail = second
            guard head.count + tail.count <= 7 else { return nil }
        } else {
            guard head.count == 8 else { return nil }
        }
        let groups = head + Array(repeating: 0, count: 8 - head.count - tail.count) + tail
        var high: UInt64 = 0, low: UInt64 = 0
        for group in groups[0..<4] { high = high << 16 | UInt64(group) }
        for group in groups[4..<8] { low = low << 16 | UInt64(group) }
        return .v6(high: high, low: low)
    }

    /// Colon-separated hex groups; an empty string is no groups. The last part may be a dotted
    /// IPv4 address, which counts as two groups.
    private static func parseGroups(_ text: Substring, allowsIPv4Tail: Bool) -> [UInt16]? {
        if text.isEmpty { return [] }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        var groups: [UInt16] = []
        for (index, part) in parts.enumerated() {
            if index == parts.count - 1, allowsIPv4Tail, part.contains(".") {
                guard let value = parseIPv4(part) else { return nil }
                groups.append(UInt16(truncatingIfNeeded: value >> 16))
                groups.append(UInt16(truncatingIfNeeded: value))
                continue
            }
            guard (1...4).contains(part.utf8.count),
                  part.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x66) }),
                  let group = UInt16(part, radix: 16)
            else { return nil }
            groups.append(group)
        }
        return groups
    }
}
