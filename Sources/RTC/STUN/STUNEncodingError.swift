/// Why a STUN message cannot be put on the wire. Values that come from a peer (a username from
/// remote SDP, say) can be arbitrarily long, so the encoder reports instead of trapping.
public enum STUNEncodingError: Error, Sendable, Hashable {
    /// An attribute value longer than the 16-bit length field allows.
    case attributeTooLong(type: STUNAttributeType, length: Int)
    /// All attributes together exceed the 16-bit message length field.
    case messageTooLong(length: Int)
    /// An ERROR-CODE outside 300...699.
    case unencodableErrorCode(Int)
    /// A MESSAGE-INTEGRITY that is not 20 bytes, or a MESSAGE-INTEGRITY-SHA256 that is not 16...32
    /// bytes in steps of 4: the parser would refuse it, so the encoder does too.
    case badIntegrityLength(type: STUNAttributeType, length: Int)
    /// UNKNOWN-ATTRIBUTES or DATA values that the parser would refuse for their length.
    case badAttributeLength(type: STUNAttributeType, length: Int)
}
