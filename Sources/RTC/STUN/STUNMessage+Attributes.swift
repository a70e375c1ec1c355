/// Typed look-ups. Each returns the first attribute of its type, as RFC 8489 says a receiver
/// should when a single-valued attribute appears more than once.
extension STUNMessage {
    public func attribute(ofType type: STUNAttributeType) -> STUNAttribute? {
        attributes.first { $0.type == type }
    }

    public func attributes(ofType type: STUNAttributeType) -> [STUNAttribute] {
        attributes.filter { $0.type == type }
    }

    public func contains(_ type: STUNAttributeType) -> Bool {
        attributes.contains { $0.type == type }
    }

    /// Types kept raw as ``STUNAttribute/other(type:value:)`` that a receiver must understand:
    /// a request carrying any should be answered with 420 and UNKNOWN-ATTRIBUTES listing them.
    public var unknownComprehensionRequiredTypes: [STUNAttributeType] {
        attributes.compactMap {
            if case .other(let type, _) = $0, type.isComprehensionRequired { return type }
            return nil
        }
    }

    public var mappedAddress: TransportAddress? {
        firstValue { if case .mappedAddress(let value) = $0 { value } else { nil } }
    }

    public var xorMappedAddress: TransportAddress? {
        firstValue { if case .xorMappedAddress(let value) = $0 { value } else { nil } }
    }

    public var xorRelayedAddress: TransportAddress? {
        firstValue { if case .xorRelayedAddress(let value) = $0 { value } else { nil } }
    }

    /// All of them: a CreatePermission request may carry several.
    public var xorPeerAddresses: [TransportAddress] {
        attributes.compactMap { if case .xorPeerAddress(let value) = $0 { value } else { nil } }
    }

    public var username: String? {
        firstValue { if case .username(let value) = $0 { value } else { nil } }
    }

    public var realm: String? {
        firstValue { if case .realm(let value) = $0 { value } else { nil } }
    }

    public var nonce: String? {
        firstValue { if case .nonce(let value) = $0 { value } else { nil } }
    }

    public var software: String? {
        firstValue { if case .software(let value) = $0 { value } else { nil } }
    }

    public var errorCode: STUNErrorCode? {
        firstValue { if case .errorCode(let value) = $0 { value } else { nil } }
    }

    public var unknownAttributes: [STUNAttributeType]? {
        firstValue { if case .unknownAttributes(let value) = $0 { value } else { nil } }
    }

    public var priority: UInt32? {
        firstValue { if case .priority(let value) = $0 { value } else { nil } }
    }

    public var useCandidate: Bool { contains(.useCandidate) }

    public var iceControlled: UInt64? {
        firstValue { if case .iceControlled(let value) = $0 { value } else { nil } }
    }

    public var iceControlling: UInt64? {
        firstValue { if case .iceControlling(let value) = $0 { value } else { nil } }
    }

    public var lifetime: UInt32? {
        firstValue { if case .lifetime(let value) = $0 { value } else { nil } }
    }

    public var requestedTransport: UInt8? {
        firstValue { if case .requestedTransport(let value) = $0 { value } else { nil } }
    }

    public var data: [UInt8]? {
        firstValue { if case .data(let value) = $0 { value } else { nil } }
    }

    public var channelNumber: UInt16? {
        firstValue { if case .channelNumber(let value) = $0 { value } else { nil } }
    }

    public var messageIntegrity: [UInt8]? {
        firstValue { if case .messageIntegrity(let value) = $0 { value } else { nil } }
    }

    public var messageIntegritySHA256: [UInt8]? {
        firstValue { if case .messageIntegritySHA256(let value) = $0 { value } else { nil } }
    }

    public var fingerprint: UInt32? {
        firstValue { if case .fingerprint(let value) = $0 { value } else { nil } }
    }

    private func firstValue<Value>(_ extract: (STUNAttribute) -> Value?) -> Value? {
        for attribute in attributes {
            if let value = extract(attribute) { return value }
        }
        return nil
    }
}
