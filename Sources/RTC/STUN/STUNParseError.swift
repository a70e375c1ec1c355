/// Why bytes are not a well-formed STUN message. The parser answers every malformed input with
/// one of these and never traps.
public enum STUNParseError: Error, Sendable, Hashable {
    /// Fewer than the 20 bytes of a header.
    case truncatedHeader(byteCount: Int)
    /// The two most significant bits of the first byte are not zero.
    case notSTUN(firstByte: UInt8)
    case badMagicCookie(UInt32)
    case lengthNotMultipleOfFour(Int)
    /// The header's length does not match the bytes after the header (a datagram holds one message).
    case lengthMismatch(declared: Int, available: Int)
    /// An attribute's header or value (with padding) runs past the end of the message.
    case attributeOverrun(type: STUNAttributeType, offset: Int)
    case badAddressFamily(type: STUNAttributeType, family: UInt8)
    /// A known attribute whose value has a length its format does not allow.
    case badAttributeLength(type: STUNAttributeType, length: Int)
    /// A text attribute (USERNAME, REALM, NONCE, SOFTWARE, ERROR-CODE reason) that is not UTF-8.
    case invalidUTF8(type: STUNAttributeType)
    /// An ERROR-CODE whose class is outside 3...6 or whose number is above 99.
    case badErrorCode(errorClass: UInt8, number: UInt8)
}

extension STUNParseError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .truncatedHeader(let count): "STUN message of \(count) bytes is shorter than its 20-byte header"
        case .notSTUN(let byte): "first byte 0x\(String(byte, radix: 16)) is not a STUN message type"
        case .badMagicCookie(let cookie): "bad magic cookie 0x\(String(cookie, radix: 16))"
        case .lengthNotMultipleOfFour(let length): "message length \(length) is not a multiple of 4"
        case .lengthMismatch(let declared, let available):
            "message length \(declared) does not match the \(available) bytes after the header"
        case .attributeOverrun(let type, let offset): "attribute \(type) at offset \(offset) runs past the message"
        case .badAddressFamily(let type, let family): "attribute \(type) has unknown address family \(family)"
        case .badAttributeLength(let type, let length): "attribute \(type) has invalid length \(length)"
        case .invalidUTF8(let type): "attribute \(type) is not valid UTF-8"
        case .badErrorCode(let errorClass, let number): "error class \(errorClass) number \(number) is out of range"
        }
    }
}
