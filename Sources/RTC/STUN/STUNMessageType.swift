/// The 14-bit STUN message type: method bits M11..M0 interleaved with class bits C1 C0 as
/// `M11..M7 C1 M6..M4 C0 M3..M0` (RFC 8489 section 5).
enum STUNMessageType {
    static func encode(method: STUNMethod, messageClass: STUNMessageClass) -> UInt16 {
        let method = method.rawValue, klass = UInt16(messageClass.rawValue)
        return (method & 0x000F) | ((method & 0x0070) << 1) | ((method & 0x0F80) << 2)
            | ((klass & 0b01) << 4) | ((klass & 0b10) << 7)
    }

    /// Decodes the low 14 bits; the caller checks that the top two are zero.
    static func decode(_ type: UInt16) -> (STUNMethod, STUNMessageClass) {
        let method = (type & 0x000F) | ((type >> 1) & 0x0070) | ((type >> 2) & 0x0F80)
        let klass = UInt8(truncatingIfNeeded: ((type >> 4) & 0b01) | ((type >> 7) & 0b10))
        // Two bits always name one of the four cases.
        return (STUNMethod(rawValue: method), STUNMessageClass(rawValue: klass) ?? .request)
    }
}
