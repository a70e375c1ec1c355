/// The outcome of checking MESSAGE-INTEGRITY or FINGERPRINT over a received message.
public enum STUNVerification: Sendable, Hashable {
    /// Present and correct.
    case valid
    /// Present but does not match: a wrong key, or a tampered or corrupted message.
    case mismatch
    /// The message carries no such attribute (a 400 for a request that needed one).
    case absent
    /// The bytes are not a well-formed STUN message.
    case malformed(STUNParseError)

    public var isValid: Bool { self == .valid }
}
