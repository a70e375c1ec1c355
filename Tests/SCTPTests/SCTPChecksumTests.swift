import CSCTP
import RTCTestSupport
import Testing

/// Our CRC32c (hardware when the CPU has it) against a plain bitwise reference; interop with Chromium
/// and aiortc, which check every packet's checksum, covers the byte order on the wire.
@Suite struct SCTPChecksumTests {
    /// CRC-32C (Castagnoli), reflected, bit by bit.
    static func reference(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
        }
        return ~crc
    }

    @Test func theReferenceMatchesTheStandardCheckValue() {
        #expect(Self.reference(Array("123456789".utf8)) == 0xE306_9283)
    }

    @Test func checksumsMatchTheReferenceWithTheFieldTakenAsZero() {
        var random = SplitMix64(seed: 5)
        for length in [12, 13, 16, 19, 64, 1172, 1200] {
            var packet = (0..<length).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            let computed = packet.withUnsafeBufferPointer { csctp_checksum($0.baseAddress, $0.count) }
            packet.replaceSubrange(8..<12, with: [0, 0, 0, 0])
            #expect(computed == Self.reference(packet), "length \(length)")
        }
    }
}
