import Crypto

/// The key for MESSAGE-INTEGRITY and MESSAGE-INTEGRITY-SHA256 (RFC 8489 section 9).
///
/// The password is used as given: RFC 8489 runs it through the OpaqueString profile (SASLprep
/// before) first, which changes only passwords with unusual Unicode. ICE passwords are ASCII.
public struct STUNKey: Sendable, Hashable {
    public var bytes: [UInt8]

    public init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// Short-term credentials (ICE connectivity checks): the key is the password itself.
    public static func shortTerm(password: String) -> STUNKey {
        STUNKey(bytes: Array(password.utf8))
    }

    /// The hash of `username:realm:password` that long-term credentials (TURN) key with.
    public enum LongTermAlgorithm: Sendable, Hashable {
        /// The classic RFC 5389 key, and the default of RFC 8489.
        case md5
        /// RFC 8489's PASSWORD-ALGORITHM 0x0002.
        case sha256
    }

    /// Long-term credentials (TURN): MD5 (or SHA-256) of `username:realm:password`.
    public static func longTerm(username: String, realm: String, password: String,
                                algorithm: LongTermAlgorithm = .md5) -> STUNKey {
        let input = Array("\(username):\(realm):\(password)".utf8)
        switch algorithm {
        case .md5: return STUNKey(bytes: Array(Insecure.MD5.hash(data: input)))
        case .sha256: return STUNKey(bytes: Array(SHA256.hash(data: input)))
        }
    }
}
