extension STUNMessage {
    /// A cheap check, before parsing, that bytes are a STUN message: at least a header, the top two
    /// bits clear, the magic cookie, and a length that is a multiple of 4 and fits what follows.
    /// Inlinable, so it is specialized for the caller's collection: every datagram passes here.
    @inlinable public static func looksLikeSTUN(_ bytes: some Collection<UInt8>) -> Bool {
        guard bytes.count >= headerLength else { return false }
        // The first 8 bytes as one integer: type, length, cookie. No allocation on the receive path.
        var first8: UInt64 = 0
        for byte in bytes.prefix(8) { first8 = first8 << 8 | UInt64(byte) }
        let type = UInt16(truncatingIfNeeded: first8 >> 48), length = UInt16(truncatingIfNeeded: first8 >> 32)
        let cookie = UInt32(truncatingIfNeeded: first8)
        return type & 0xC000 == 0 && cookie == magicCookie && length % 4 == 0
            && Int(length) == bytes.count - headerLength
    }

    public init(parsing bytes: [UInt8]) throws(STUNParseError) {
        try self.init(parsing: bytes[...])
    }

    /// Parses one whole message; the slice must hold exactly one (as a UDP datagram does).
    public init(parsing bytes: ArraySlice<UInt8>) throws(STUNParseError) {
        let framing = try STUNFraming(parsing: bytes)
        var attributes: [STUNAttribute] = []
        attributes.reserveCapacity(framing.attributes.count)
        for raw in framing.attributes {
            attributes.append(try Self.decode(raw, transactionID: framing.transactionID))
        }
        self.init(method: framing.method, class: framing.messageClass,
                  transactionID: framing.transactionID, attributes: attributes)
    }

    static func decode(_ raw: STUNFraming.Attribute, transactionID: STUNTransactionID) throws(STUNParseError) -> STUNAttribute {
        let type = raw.type, value = raw.value
        var reader = ByteReader(value)
        func requireLength(_ expected: Int) throws(STUNParseError) {
            guard value.count == expected else { throw .badAttributeLength(type: type, length: value.count) }
        }
        func text(_ bytes: ArraySlice<UInt8>) throws(STUNParseError) -> String {
            guard let string = validUTF8(bytes) else { throw .invalidUTF8(type: type) }
            return string
        }

        switch type {
        case .mappedAddress:
            return .mappedAddress(try decodeAddress(raw, xorWith: nil))
        case .xorMappedAddress:
            return .xorMappedAddress(try decodeAddress(raw, xorWith: transactionID))
        case .xorPeerAddress:
            return .xorPeerAddress(try decodeAddress(raw, xorWith: transactionID))
        case .xorRelayedAddress:
            return .xorRelayedAddress(try decodeAddress(raw, xorWith: transactionID))
        case .username:
            return .username(try text(value))
        case .realm:
            return .realm(try text(value))
        case .nonce:
            return .nonce(try text(value))
        case .software:
            return .software(try text(value))
        case .messageIntegrity:
            try requireLength(20)
            return .messageIntegrity(Array(value))
        case .messageIntegritySHA256:
            guard (16...32).contains(value.count), value.count % 4 == 0 else {
                throw .badAttributeLength(type: type, length: value.count)
            }
            return .messageIntegritySHA256(Array(value))
        case .fingerprint:
            try requireLength(4)
            return .fingerprint(reader.readUInt32() ?? 0)
        case .errorCode:
            guard value.count >= 4, reader.skip(2), let classByte = reader.readUInt8(), let number = reader.readUInt8() else {
                throw .badAttributeLength(type: type, length: value.count)
            }
            let errorClass = classByte & 0x07
            guard (3...6).contains(errorClass), number < 100 else {
                throw .badErrorCode(errorClass: errorClass, number: number)
            }
            let reason = try text(value.dropFirst(4))
            return .errorCode(STUNErrorCode(code: Int(errorClass) * 100 + Int(number), reason: reason))
        case .unknownAttributes:
            guard value.count % 2 == 0 else { throw .badAttributeLength(type: type, length: value.count) }
            var types: [STUNAttributeType] = []
            while let rawType = reader.readUInt16() { types.append(STUNAttributeType(rawValue: rawType)) }
            return .unknownAttributes(types)
        case .priority:
            try requireLength(4)
            return .priority(reader.readUInt32() ?? 0)
        case .useCandidate:
            try requireLength(0)
            return .useCandidate
        case .iceControlled:
            try requireLength(8)
            return .iceControlled(reader.readUInt64() ?? 0)
        case .iceControlling:
            try requireLength(8)
            return .iceControlling(reader.readUInt64() ?? 0)
        case .lifetime:
            try requireLength(4)
            return .lifetime(reader.readUInt32() ?? 0)
        case .requestedTransport:
            try requireLength(4)
            return .requestedTransport(reader.readUInt8() ?? 0)
        case .data:
            return .data(Array(value))
        case .channelNumber:
            try requireLength(4)
            return .channelNumber(reader.readUInt16() ?? 0)
        default:
            return .other(type: type, value: Array(value))
        }
    }

    /// Reads `reserved(8) family(8) port(16) address(32 or 128)`, undoing the XOR when asked.
    static func decodeAddress(_ raw: STUNFraming.Attribute, xorWith transactionID: STUNTransactionID?)
        throws(STUNParseError) -> TransportAddress
    {
        var reader = ByteReader(raw.value)
        guard raw.value.count >= 4, reader.skip(1), let family = reader.readUInt8(), let port = reader.readUInt16() else {
            throw .badAttributeLength(type: raw.type, length: raw.value.count)
        }
        let portMask = UInt16(truncatingIfNeeded: magicCookie >> 16)
        switch family {
        case 0x01:
            guard raw.value.count == 8, let address = reader.readUInt32() else {
                throw .badAttributeLength(type: raw.type, length: raw.value.count)
            }
            guard transactionID != nil else { return TransportAddress(ip: .v4(address), port: port) }
            return TransportAddress(ip: .v4(address ^ magicCookie), port: port ^ portMask)
        case 0x02:
            guard raw.value.count == 20, let high = reader.readUInt64(), let low = reader.readUInt64() else {
                throw .badAttributeLength(type: raw.type, length: raw.value.count)
            }
            guard let transactionID else { return TransportAddress(ip: .v6(high: high, low: low), port: port) }
            let (maskHigh, maskLow) = ipv6Mask(transactionID)
            return TransportAddress(ip: .v6(high: high ^ maskHigh, low: low ^ maskLow), port: port ^ portMask)
        default:
            throw .badAddressFamily(type: raw.type, family: family)
        }
    }

    /// The 128-bit mask for XOR'd IPv6 addresses: the magic cookie followed by the transaction ID.
    static func ipv6Mask(_ transactionID: STUNTransactionID) -> (UInt64, UInt64) {
        (UInt64(magicCookie) << 32 | UInt64(transactionID.high), transactionID.low)
    }

    /// The string if `bytes` are valid UTF-8, else `nil` (decoding with replacement and comparing
    /// keeps this free of newer standard library API).
    static func validUTF8(_ bytes: ArraySlice<UInt8>) -> String? {
        let string = String(decoding: bytes, as: UTF8.self)
        return string.utf8.elementsEqual(bytes) ? string : nil
    }
}
