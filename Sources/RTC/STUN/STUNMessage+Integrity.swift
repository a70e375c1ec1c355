import Crypto

extension STUNMessage {
    /// Checks the MESSAGE-INTEGRITY (HMAC-SHA1) of a received message against `key`.
    ///
    /// The MAC covers the message up to the attribute, with the header's length field set as if
    /// MESSAGE-INTEGRITY were the last attribute (RFC 8489 section 14.5). Needs the received bytes,
    /// not a re-encoding: padding and ignored attributes are part of what the sender signed.
    public static func verifyIntegrity(of bytes: [UInt8], key: STUNKey) -> STUNVerification {
        verifyIntegrity(of: bytes[...], key: key)
    }

    public static func verifyIntegrity(of bytes: ArraySlice<UInt8>, key: STUNKey) -> STUNVerification {
        verifyMAC(of: bytes, key: key, type: .messageIntegrity)
    }

    /// Checks MESSAGE-INTEGRITY-SHA256, which may be truncated to as few as 16 bytes.
    public static func verifyIntegritySHA256(of bytes: [UInt8], key: STUNKey) -> STUNVerification {
        verifyIntegritySHA256(of: bytes[...], key: key)
    }

    public static func verifyIntegritySHA256(of bytes: ArraySlice<UInt8>, key: STUNKey) -> STUNVerification {
        verifyMAC(of: bytes, key: key, type: .messageIntegritySHA256)
    }

    /// Checks FINGERPRINT: the CRC-32 of the message up to the attribute, xor 0x5354554E.
    public static func verifyFingerprint(of bytes: [UInt8]) -> STUNVerification {
        verifyFingerprint(of: bytes[...])
    }

    public static func verifyFingerprint(of bytes: ArraySlice<UInt8>) -> STUNVerification {
        let framing: STUNFraming
        do { framing = try STUNFraming(parsing: bytes) } catch { return .malformed(error) }
        guard let raw = framing.attributes.last(where: { $0.type == .fingerprint }) else { return .absent }
        guard raw.value.count == 4 else { return .malformed(.badAttributeLength(type: raw.type, length: raw.value.count)) }
        var covered = Array(bytes.prefix(raw.offset))
        covered.setBigEndian(UInt16(raw.offset - headerLength + 8), at: 2)
        var reader = ByteReader(raw.value)
        let received = reader.readUInt32() ?? 0
        return CRC32.checksum(covered) ^ fingerprintXOR == received ? .valid : .mismatch
    }

    private static func verifyMAC(of bytes: ArraySlice<UInt8>, key: STUNKey, type: STUNAttributeType) -> STUNVerification {
        let framing: STUNFraming
        do { framing = try STUNFraming(parsing: bytes) } catch { return .malformed(error) }
        guard let raw = framing.attributes.first(where: { $0.type == type }) else { return .absent }
        let validLength = type == .messageIntegrity
            ? raw.value.count == 20 : (16...32).contains(raw.value.count) && raw.value.count % 4 == 0
        guard validLength else { return .malformed(.badAttributeLength(type: type, length: raw.value.count)) }

        var covered = Array(bytes.prefix(raw.offset))
        covered.setBigEndian(UInt16(raw.offset - headerLength + 4 + raw.value.count), at: 2)
        let mac = authenticationCode(for: covered, key: key, algorithm: type == .messageIntegrity ? .sha1 : .sha256)
        return constantTimeEqual(mac.prefix(raw.value.count), raw.value) ? .valid : .mismatch
    }

    /// The HMAC both signing and checking use (SHA-1: 20 bytes; SHA-256: 32).
    static func authenticationCode(for bytes: [UInt8], key: STUNKey, algorithm: STUNIntegrityAlgorithms) -> [UInt8] {
        let symmetricKey = SymmetricKey(data: key.bytes)
        if algorithm == .sha256 {
            return Array(HMAC<SHA256>.authenticationCode(for: bytes, using: symmetricKey))
        }
        return Array(HMAC<Insecure.SHA1>.authenticationCode(for: bytes, using: symmetricKey))
    }
}

/// Compares two byte sequences in time that depends only on their lengths, so a MAC check leaks
/// nothing about where the first difference is.
private func constantTimeEqual(_ lhs: some Collection<UInt8>, _ rhs: some Collection<UInt8>) -> Bool {
    guard lhs.count == rhs.count else { return false }
    var difference: UInt8 = 0
    for (left, right) in zip(lhs, rhs) { difference |= left ^ right }
    return difference == 0
}
