extension STUNMessage {
    /// The message on the wire.
    ///
    /// Without a key, attributes are written as they are, MESSAGE-INTEGRITY and FINGERPRINT
    /// included, so a parsed message encodes back to the same bytes (padding becomes zero).
    /// With a key, any integrity and fingerprint attributes in ``attributes`` are dropped and fresh
    /// ones are appended in the order RFC 8489 requires: MESSAGE-INTEGRITY, then
    /// MESSAGE-INTEGRITY-SHA256, then FINGERPRINT (if `fingerprint`).
    public func encoded(integrityKey: STUNKey? = nil, integrityAlgorithms: STUNIntegrityAlgorithms = .sha1,
                        fingerprint: Bool = false) throws(STUNEncodingError) -> [UInt8]
    {
        var body = attributes
        if integrityKey != nil {
            body.removeAll { [.messageIntegrity, .messageIntegritySHA256, .fingerprint].contains($0.type) }
        } else if fingerprint {
            body.removeAll { $0.type == .fingerprint }
        }

        var bytes: [UInt8] = []
        bytes.reserveCapacity(Self.headerLength + 64 + (integrityKey == nil ? 0 : 56))
        bytes.appendBigEndian(STUNMessageType.encode(method: method, messageClass: messageClass))
        bytes.appendBigEndian(UInt16(0))  // the length, set once known
        bytes.appendBigEndian(Self.magicCookie)
        bytes.append(contentsOf: transactionID.bytes)
        for attribute in body {
            try Self.append(attribute, to: &bytes, transactionID: transactionID)
        }

        // Each integrity and fingerprint value covers the header with the length it would have if
        // its own attribute were the last one (RFC 8489 sections 14.5 to 14.7).
        if let integrityKey {
            if integrityAlgorithms.contains(.sha1) {
                try Self.setLength(of: &bytes, adding: 4 + 20)
                let mac = Self.authenticationCode(for: bytes, key: integrityKey, algorithm: .sha1)
                try Self.append(.messageIntegrity(mac), to: &bytes, transactionID: transactionID)
            }
            if integrityAlgorithms.contains(.sha256) {
                try Self.setLength(of: &bytes, adding: 4 + 32)
                let mac = Self.authenticationCode(for: bytes, key: integrityKey, algorithm: .sha256)
                try Self.append(.messageIntegritySHA256(mac), to: &bytes, transactionID: transactionID)
            }
        }
        if fingerprint {
            try Self.setLength(of: &bytes, adding: 4 + 4)
            let crc = CRC32.checksum(bytes) ^ Self.fingerprintXOR
            try Self.append(.fingerprint(crc), to: &bytes, transactionID: transactionID)
        }
        try Self.setLength(of: &bytes, adding: 0)
        return bytes
    }

    /// Sets the header's length field to the attributes written so far plus `extra` bytes.
    private static func setLength(of bytes: inout [UInt8], adding extra: Int) throws(STUNEncodingError) {
        let length = bytes.count - headerLength + extra
        guard length <= Int(UInt16.max) else { throw .messageTooLong(length: length) }
        bytes.setBigEndian(UInt16(length), at: 2)
    }

    static func append(_ attribute: STUNAttribute, to bytes: inout [UInt8],
                       transactionID: STUNTransactionID) throws(STUNEncodingError)
    {
        let type = attribute.type
        let headerStart = bytes.count
        bytes.appendBigEndian(type.rawValue)
        bytes.appendBigEndian(UInt16(0))
        let valueStart = bytes.count

        switch attribute {
        case .mappedAddress(let address):
            appendAddress(address, to: &bytes, xorWith: nil)
        case .xorMappedAddress(let address), .xorPeerAddress(let address), .xorRelayedAddress(let address):
            appendAddress(address, to: &bytes, xorWith: transactionID)
        case .username(let text), .realm(let text), .nonce(let text), .software(let text):
            bytes.append(contentsOf: text.utf8)
        case .messageIntegrity(let mac):
            guard mac.count == 20 else { throw .badIntegrityLength(type: type, length: mac.count) }
            bytes.append(contentsOf: mac)
        case .messageIntegritySHA256(let mac):
            guard (16...32).contains(mac.count), mac.count % 4 == 0 else {
                throw .badIntegrityLength(type: type, length: mac.count)
            }
            bytes.append(contentsOf: mac)
        case .fingerprint(let crc):
            bytes.appendBigEndian(crc)
        case .errorCode(let error):
            guard error.isEncodable else { throw .unencodableErrorCode(error.code) }
            bytes.appendBigEndian(UInt16(0))
            bytes.append(UInt8(error.code / 100))
            bytes.append(UInt8(error.code % 100))
            bytes.append(contentsOf: error.reason.utf8)
        case .unknownAttributes(let types):
            for unknown in types { bytes.appendBigEndian(unknown.rawValue) }
        case .priority(let priority):
            bytes.appendBigEndian(priority)
        case .useCandidate:
            break
        case .iceControlled(let tieBreaker), .iceControlling(let tieBreaker):
            bytes.appendBigEndian(tieBreaker)
        case .lifetime(let seconds):
            bytes.appendBigEndian(seconds)
        case .requestedTransport(let protocolNumber):
            bytes.append(contentsOf: [protocolNumber, 0, 0, 0])
        case .data(let data):
            bytes.append(contentsOf: data)
        case .channelNumber(let channel):
            bytes.appendBigEndian(channel)
            bytes.appendBigEndian(UInt16(0))
        case .other(_, let value):
            bytes.append(contentsOf: value)
        }

        let valueLength = bytes.count - valueStart
        guard valueLength <= Int(UInt16.max) else {
            bytes.removeSubrange(headerStart...)
            throw .attributeTooLong(type: type, length: valueLength)
        }
        bytes.setBigEndian(UInt16(valueLength), at: headerStart + 2)
        bytes.padToFourBytes()
    }

    private static func appendAddress(_ address: TransportAddress, to bytes: inout [UInt8],
                                      xorWith transactionID: STUNTransactionID?)
    {
        let portMask = transactionID == nil ? 0 : UInt16(truncatingIfNeeded: magicCookie >> 16)
        bytes.append(0)
        switch address.ip {
        case .v4(let ip):
            bytes.append(0x01)
            bytes.appendBigEndian(address.port ^ portMask)
            bytes.appendBigEndian(transactionID == nil ? ip : ip ^ magicCookie)
        case .v6(let high, let low):
            bytes.append(0x02)
            bytes.appendBigEndian(address.port ^ portMask)
            let (maskHigh, maskLow) = transactionID.map(ipv6Mask) ?? (0, 0)
            bytes.appendBigEndian(high ^ maskHigh)
            bytes.appendBigEndian(low ^ maskLow)
        }
    }
}
