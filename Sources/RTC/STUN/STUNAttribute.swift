/// One attribute of a STUN message, decoded where this stack knows the type and kept raw where it
/// does not, so that a message survives parse and encode unchanged.
///
/// Address attributes hold the plain address: the XOR with the magic cookie and transaction ID
/// happens while encoding and parsing.
public enum STUNAttribute: Sendable, Hashable {
    case mappedAddress(TransportAddress)
    case xorMappedAddress(TransportAddress)
    case xorPeerAddress(TransportAddress)
    case xorRelayedAddress(TransportAddress)
    case username(String)
    /// The 20-byte HMAC-SHA1 as received. To send a fresh one, encode with an integrity key.
    case messageIntegrity([UInt8])
    /// An HMAC-SHA256, possibly truncated to 16...32 bytes (a multiple of 4), as received.
    case messageIntegritySHA256([UInt8])
    /// The CRC-32 as received. To send a fresh one, encode with `fingerprint: true`.
    case fingerprint(UInt32)
    case errorCode(STUNErrorCode)
    case unknownAttributes([STUNAttributeType])
    case realm(String)
    case nonce(String)
    case software(String)
    case priority(UInt32)
    case useCandidate
    /// The 64-bit tie-breaker of an agent in the controlled role.
    case iceControlled(UInt64)
    /// The 64-bit tie-breaker of an agent in the controlling role.
    case iceControlling(UInt64)
    /// Seconds an allocation should live.
    case lifetime(UInt32)
    /// An IANA protocol number; 17 (UDP) is the only one TURN over UDP allows.
    case requestedTransport(UInt8)
    case data([UInt8])
    /// A TURN channel, 0x4000...0x4FFF for valid ones (the parser keeps whatever arrives).
    case channelNumber(UInt16)
    /// Any attribute this stack does not decode, with its value bytes (padding excluded). Use it
    /// only for types without a case above: the parser decodes those into their own cases.
    case other(type: STUNAttributeType, value: [UInt8])

    public var type: STUNAttributeType {
        switch self {
        case .mappedAddress: .mappedAddress
        case .xorMappedAddress: .xorMappedAddress
        case .xorPeerAddress: .xorPeerAddress
        case .xorRelayedAddress: .xorRelayedAddress
        case .username: .username
        case .messageIntegrity: .messageIntegrity
        case .messageIntegritySHA256: .messageIntegritySHA256
        case .fingerprint: .fingerprint
        case .errorCode: .errorCode
        case .unknownAttributes: .unknownAttributes
        case .realm: .realm
        case .nonce: .nonce
        case .software: .software
        case .priority: .priority
        case .useCandidate: .useCandidate
        case .iceControlled: .iceControlled
        case .iceControlling: .iceControlling
        case .lifetime: .lifetime
        case .requestedTransport: .requestedTransport
        case .data: .data
        case .channelNumber: .channelNumber
        case .other(let type, _): type
        }
    }

    /// UDP's protocol number, the value of REQUESTED-TRANSPORT in an Allocate over UDP.
    public static let udpProtocolNumber: UInt8 = 17
}
