/// Which integrity attributes the encoder adds when it signs a message.
public struct STUNIntegrityAlgorithms: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8

    public init(rawValue: UInt8) {
        self.rawValue = rawValue
    }

    /// MESSAGE-INTEGRITY (HMAC-SHA1), what ICE and TURN use today.
    public static let sha1 = STUNIntegrityAlgorithms(rawValue: 1)
    /// MESSAGE-INTEGRITY-SHA256 (full 32 bytes).
    public static let sha256 = STUNIntegrityAlgorithms(rawValue: 2)
}
