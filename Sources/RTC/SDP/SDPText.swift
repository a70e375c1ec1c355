/// Text helpers for SDP that work on Unicode scalars, not Characters: a combining mark after a
/// space or colon would otherwise merge with it into one Character and hide the separator, so
/// that what we write would not read back the same.
enum SDPText {
    static func isBlank(_ scalar: Unicode.Scalar) -> Bool {
        scalar == " " || scalar == "\t"
    }

    /// Splits at runs of spaces and tabs (and line breaks, for pasted trickle candidates).
    static func fields(_ text: Substring) -> [Substring] {
        text.unicodeScalars.split(whereSeparator: { isBlank($0) || $0 == "\r" || $0 == "\n" }).map(Substring.init)
    }

    /// Splits at every `separator`, keeping empty pieces.
    static func split(_ text: Substring, at separator: Unicode.Scalar, maxSplits: Int = .max) -> [Substring] {
        text.unicodeScalars.split(separator: separator, maxSplits: maxSplits, omittingEmptySubsequences: false)
            .map(Substring.init)
    }

    /// The text without leading and trailing spaces and tabs.
    static func trimmed(_ text: Substring) -> Substring {
        let scalars = text.unicodeScalars
        guard let first = scalars.firstIndex(where: { !isBlank($0) }),
              let last = scalars.lastIndex(where: { !isBlank($0) })
        else { return "" }
        return Substring(scalars[first...last])
    }

    /// The text after `prefix` if it starts with it, compared byte for byte.
    static func dropPrefix(_ prefix: String, from text: Substring) -> Substring? {
        guard text.utf8.starts(with: prefix.utf8) else { return nil }
        return Substring(text.unicodeScalars.dropFirst(prefix.unicodeScalars.count))
    }

    /// Strict decimal: ASCII digits only, no sign, no spaces; `nil` on overflow.
    static func decimal<Integer: FixedWidthInteger>(_ text: some StringProtocol, as type: Integer.Type) -> Integer? {
        guard !text.isEmpty, text.utf8.count <= 20, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        return Integer(text, radix: 10)
    }
}
