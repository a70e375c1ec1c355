/// The framing of a received message: its header fields and the attribute TLVs that count,
/// values not yet decoded. Parsing and the integrity and fingerprint checks share it.
struct STUNFraming {
    /// An attribute as it sits in the bytes.
    struct Attribute {
        var type: STUNAttributeType
        var value: ArraySlice<UInt8>
        /// Where its 4-byte header starts, counted from the start of the message.
        var offset: Int
    }

    var method: STUNMethod
    var messageClass: STUNMessageClass
    var transactionID: STUNTransactionID
    var attributes: [Attribute]

    /// Checks the header and walks the attribute TLVs, keeping those RFC 8489 does not say to ignore.
    init(parsing bytes: ArraySlice<UInt8>) throws(STUNParseError) {
        var reader = ByteReader(bytes)
        guard bytes.count >= STUNMessage.headerLength,
              let type = reader.readUInt16(), let length = reader.readUInt16(),
              let cookie = reader.readUInt32(), let high = reader.readUInt32(), let low = reader.readUInt64()
        else { throw .truncatedHeader(byteCount: bytes.count) }
        guard type & 0xC000 == 0 else { throw .notSTUN(firstByte: UInt8(truncatingIfNeeded: type >> 8)) }
        guard cookie == STUNMessage.magicCookie else { throw .badMagicCookie(cookie) }
        guard length % 4 == 0 else { throw .lengthNotMultipleOfFour(Int(length)) }
        guard Int(length) == reader.remaining else {
            throw .lengthMismatch(declared: Int(length), available: reader.remaining)
        }
        let (method, messageClass) = STUNMessageType.decode(type)

        var attributes: [Attribute] = []
        var seenIntegrity = false, seenIntegritySHA256 = false
        walk: while !reader.isAtEnd {
            let offset = reader.offset
            // The remaining length is a multiple of 4, so a header always fits; be defensive anyway.
            guard let rawType = reader.readUInt16(), let valueLength = reader.readUInt16() else {
                throw .attributeOverrun(type: STUNAttributeType(rawValue: 0), offset: offset)
            }
            let attributeType = STUNAttributeType(rawValue: rawType)
            let padded = (Int(valueLength) + 3) & ~3
            guard reader.remaining >= padded, let value = reader.readBytes(Int(valueLength)),
                  reader.skip(padded - Int(valueLength))
            else { throw .attributeOverrun(type: attributeType, offset: offset) }

            // RFC 8489 sections 14.5 to 14.7: what follows the integrity attributes is unauthenticated
            // and must be ignored; nothing may follow FINGERPRINT.
            let raw = Attribute(type: attributeType, value: value, offset: offset)
            switch attributeType {
            case .fingerprint:
                attributes.append(raw)
                break walk
            case .messageIntegrity where !seenIntegrity && !seenIntegritySHA256:
                seenIntegrity = true
                attributes.append(raw)
            case .messageIntegritySHA256 where !seenIntegritySHA256:
                seenIntegritySHA256 = true
                attributes.append(raw)
            default:
                if !seenIntegrity && !seenIntegritySHA256 { attributes.append(raw) }
            }
        }
        self.method = method
        self.messageClass = messageClass
        self.transactionID = STUNTransactionID(high: high, low: low)
        self.attributes = attributes
    }
}
