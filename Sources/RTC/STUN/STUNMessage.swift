/// A STUN message (RFC 8489) as a value: class, method, transaction ID and ordered attributes.
///
/// Sans-IO: parse with `init(parsing:)`, build with `encoded(integrityKey:integrityAlgorithms:fingerprint:)`,
/// check a received datagram with `verifyIntegrity(of:key:)` and `verifyFingerprint(of:)`.
/// Nothing here owns a socket, a clock or a random source.
public struct STUNMessage: Sendable, Hashable {
    /// The fixed value in bytes 4...7 of every RFC 5389/8489 message.
    public static let magicCookie: UInt32 = 0x2112_A442
    public static let headerLength = 20
    /// FINGERPRINT is the CRC-32 xor this, so it differs from a CRC that another protocol
    /// multiplexed on the same port might carry.
    public static let fingerprintXOR: UInt32 = 0x5354_554E

    public var method: STUNMethod
    public var messageClass: STUNMessageClass
    public var transactionID: STUNTransactionID
    /// In wire order. Parsing drops what RFC 8489 says to ignore: anything after
    /// MESSAGE-INTEGRITY except MESSAGE-INTEGRITY-SHA256 and FINGERPRINT, anything after
    /// MESSAGE-INTEGRITY-SHA256 except FINGERPRINT, and anything after FINGERPRINT.
    public var attributes: [STUNAttribute]

    public init(method: STUNMethod, class messageClass: STUNMessageClass, transactionID: STUNTransactionID,
                attributes: [STUNAttribute] = []) {
        self.method = method
        self.messageClass = messageClass
        self.transactionID = transactionID
        self.attributes = attributes
    }

    /// A success response to this request: same method and transaction ID.
    public func successResponse(attributes: [STUNAttribute] = []) -> STUNMessage {
        STUNMessage(method: method, class: .successResponse, transactionID: transactionID, attributes: attributes)
    }

    /// An error response to this request carrying `error` first, then `attributes`.
    public func errorResponse(_ error: STUNErrorCode, attributes: [STUNAttribute] = []) -> STUNMessage {
        STUNMessage(method: method, class: .errorResponse, transactionID: transactionID,
                    attributes: [.errorCode(error)] + attributes)
    }
}
