/// CRC-32 as ISO-HDLC / IEEE 802.3 / zlib compute it (reflected polynomial 0xEDB88320), which is
/// what the STUN FINGERPRINT attribute uses (RFC 8489 section 14.7).
enum CRC32 {
    /// One entry per byte value: the CRC register after shifting that byte through eight rounds.
    static let table: [UInt32] = (0...255).map { byte -> UInt32 in
        var register = UInt32(byte)
        for _ in 0..<8 {
            register = register & 1 == 1 ? (register >> 1) ^ 0xEDB8_8320 : register >> 1
        }
        return register
    }

    static func checksum(_ bytes: some Sequence<UInt8>) -> UInt32 {
        var register: UInt32 = 0xFFFF_FFFF
        table.withUnsafeBufferPointer { table in
            for byte in bytes {
                register = table[Int((register ^ UInt32(byte)) & 0xFF)] ^ (register >> 8)
            }
        }
        return register ^ 0xFFFF_FFFF
    }
}
