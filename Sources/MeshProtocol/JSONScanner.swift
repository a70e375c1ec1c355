#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A validating one-pass JSON scanner over UTF-8 bytes that records where an object's members' values
/// lie, so the sidecar can check a MeshMessage and the registry a signaling frame, and forward their bytes
/// untouched instead of decoding and re-encoding them (which dominated the cost of both).
public struct JSONScanner {
    public struct Invalid: Error {
        public let offset: Int
    }

    /// Deeper nesting is refused rather than risking the stack.
    static let maxDepth = 256

    private let bytes: UnsafeBufferPointer<UInt8>
    private var index: Int

    private init(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int) {
        self.bytes = bytes
        index = start
    }

    /// The members of the object that is the whole of `bytes` (whitespace around it allowed):
    /// each key, decoded, mapped to the byte range of its value.
    public static func members(of bytes: UnsafeBufferPointer<UInt8>) throws(Invalid) -> [String: Range<Int>] {
        try members(of: bytes, in: 0..<bytes.count)
    }

    /// The members of the object occupying `range` of `bytes` (for example a member's value).
    public static func members(of bytes: UnsafeBufferPointer<UInt8>, in range: Range<Int>) throws(Invalid) -> [String: Range<Int>] {
        try scan(bytes, in: range, nestedKey: nil).members
    }

    /// The members of the object that is the whole of `bytes`, and those of its member `nestedKey` if that is an
    /// object (an envelope's `payload`), in one pass.
    public static func members(of bytes: UnsafeBufferPointer<UInt8>, andOf nestedKey: String) throws(Invalid) -> (members: [String: Range<Int>], nested: [String: Range<Int>]?) {
        try scan(bytes, in: 0..<bytes.count, nestedKey: nestedKey)
    }

    private static func scan(_ bytes: UnsafeBufferPointer<UInt8>, in range: Range<Int>, nestedKey: String?) throws(Invalid) -> (members: [String: Range<Int>], nested: [String: Range<Int>]?) {
        var scanner = JSONScanner(bytes, from: range.lowerBound)
        scanner.skipWhitespace(before: range.upperBound)
        var members: [String: Range<Int>]? = [:]
        var nested: [String: Range<Int>]?
        try scanner.object(depth: 0, members: &members, nestedKey: nestedKey, nested: &nested)
        scanner.skipWhitespace(before: range.upperBound)
        guard scanner.index == range.upperBound else { throw Invalid(offset: scanner.index) }
        return (members ?? [:], nested)
    }

    /// Whether `range` holds a JSON string; its decoded text if so.
    public static func string(in bytes: UnsafeBufferPointer<UInt8>, range: Range<Int>) -> String? {
        guard range.count >= 2, bytes[range.lowerBound] == UInt8(ascii: "\""), bytes[range.upperBound - 1] == UInt8(ascii: "\"") else { return nil }
        let inner = UnsafeBufferPointer(rebasing: bytes[(range.lowerBound + 1)..<(range.upperBound - 1)])
        if !inner.contains(UInt8(ascii: "\\")) { return String(decoding: inner, as: UTF8.self) }
        // Escapes are rare in keys and peer ids: let the decoder undo them.
        return try? JSONDecoder().decode(String.self, from: Data(UnsafeBufferPointer(rebasing: bytes[range])))
    }

    // MARK: Grammar

    private mutating func skipWhitespace(before end: Int? = nil) {
        let end = end ?? bytes.count
        while index < end, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
    }

    private mutating func expect(_ byte: UInt8) throws(Invalid) {
        guard index < bytes.count, bytes[index] == byte else { throw Invalid(offset: index) }
        index += 1
    }

    private mutating func value(depth: Int) throws(Invalid) {
        guard index < bytes.count else { throw Invalid(offset: index) }
        switch bytes[index] {
        case UInt8(ascii: "{"):
            var ignored: [String: Range<Int>]?, ignoredNested: [String: Range<Int>]?
            try object(depth: depth + 1, members: &ignored, nestedKey: nil, nested: &ignoredNested)
        case UInt8(ascii: "["): try array(depth: depth + 1)
        case UInt8(ascii: "\""): try string()
        case UInt8(ascii: "t"): try literal("true")
        case UInt8(ascii: "f"): try literal("false")
        case UInt8(ascii: "n"): try literal("null")
        default: try number()
        }
    }

    /// Records members only when `members` is non-nil (the outermost object asked about), and in `nested` those of
    /// its member `nestedKey` when that is an object.
    private mutating func object(
        depth: Int, members: inout [String: Range<Int>]?, nestedKey: String?, nested: inout [String: Range<Int>]?
    ) throws(Invalid) {
        guard depth <= Self.maxDepth else { throw Invalid(offset: index) }
        try expect(UInt8(ascii: "{"))
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
            index += 1
            return
        }
        while true {
            skipWhitespace()
            let keyStart = index
            try string()
            let keyRange = keyStart..<index
            skipWhitespace()
            try expect(UInt8(ascii: ":"))
            skipWhitespace()
            let valueStart = index
            let key = members != nil ? Self.string(in: bytes, range: keyRange) : nil
            if let nestedKey, key == nestedKey {
                // The last of duplicate keys counts, as for `members`.
                nested = nil
                if index < bytes.count, bytes[index] == UInt8(ascii: "{") {
                    var inner: [String: Range<Int>]? = [:]
                    var ignored: [String: Range<Int>]?
                    try object(depth: depth + 1, members: &inner, nestedKey: nil, nested: &ignored)
                    nested = inner
                } else {
                    try value(depth: depth)
                }
            } else {
                try value(depth: depth)
            }
            if let key { members?[key] = valueStart..<index }
            skipWhitespace()
            guard index < bytes.count else { throw Invalid(offset: index) }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
                continue
            }
            try expect(UInt8(ascii: "}"))
            return
        }
    }

    private mutating func array(depth: Int) throws(Invalid) {
        guard depth <= Self.maxDepth else { throw Invalid(offset: index) }
        try expect(UInt8(ascii: "["))
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
            index += 1
            return
        }
        while true {
            skipWhitespace()
            try value(depth: depth)
            skipWhitespace()
            guard index < bytes.count else { throw Invalid(offset: index) }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
                continue
            }
            try expect(UInt8(ascii: "]"))
            return
        }
    }

    private mutating func string() throws(Invalid) {
        try expect(UInt8(ascii: "\""))
        while index < bytes.count {
            index = Self.skipPlainBytes(bytes, from: index)
            guard index < bytes.count else { break }
            let byte = bytes[index]
            index += 1
            switch byte {
            case UInt8(ascii: "\""):
                return
            case UInt8(ascii: "\\"):
                guard index < bytes.count else { throw Invalid(offset: index) }
                let escape = bytes[index]
                index += 1
                if escape == UInt8(ascii: "u") {
                    guard index + 4 <= bytes.count, bytes[index..<(index + 4)].allSatisfy(Self.isHexDigit) else { throw Invalid(offset: index) }
                    index += 4
                } else if !"\"\\/bfnrt".utf8.contains(escape) {
                    throw Invalid(offset: index - 1)
                }
            case 0..<0x20:
                throw Invalid(offset: index - 1)  // control characters must be escaped
            default:
                continue
            }
        }
        throw Invalid(offset: index)
    }

    /// The index of the first byte from `start` that may end a string, start an escape or be a control character,
    /// looked for sixteen bytes at a time (a MeshMessage's payload is mostly long strings). A block with such a byte
    /// stops the skip, as does a last block under sixteen bytes; the byte loop takes it from there.
    @inline(__always)
    private static func skipPlainBytes(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        guard let base = bytes.baseAddress else { return start }
        let quote = SIMD16<UInt8>(repeating: UInt8(ascii: "\"")), backslash = SIMD16<UInt8>(repeating: UInt8(ascii: "\\"))
        let space = SIMD16<UInt8>(repeating: 0x20)
        var index = start
        while index + 16 <= bytes.count {
            let block = UnsafeRawPointer(base + index).loadUnaligned(as: SIMD16<UInt8>.self)
            if any((block .== quote) .| (block .== backslash) .| (block .< space)) { break }
            index += 16
        }
        return index
    }

    private mutating func literal(_ word: StaticString) throws(Invalid) {
        let count = word.utf8CodeUnitCount
        guard index + count <= bytes.count,
              word.withUTF8Buffer({ $0.elementsEqual(bytes[index..<(index + count)]) })
        else { throw Invalid(offset: index) }
        index += count
    }

    private mutating func number() throws(Invalid) {
        let start = index
        if index < bytes.count, bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard index < bytes.count, Self.isDigit(bytes[index]) else { throw Invalid(offset: index) }
        if bytes[index] == UInt8(ascii: "0") { index += 1 } else { digits() }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard index < bytes.count, Self.isDigit(bytes[index]) else { throw Invalid(offset: index) }
            digits()
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard index < bytes.count, Self.isDigit(bytes[index]) else { throw Invalid(offset: index) }
            digits()
        }
        guard index > start else { throw Invalid(offset: index) }
    }

    private mutating func digits() {
        while index < bytes.count, Self.isDigit(bytes[index]) { index += 1 }
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        isDigit(byte) || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "f")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "F"))
    }
}
