import CSCTP

/// An SCTP packet's common header and chunks (RFC 9260 §3).
struct SCTPPacket {
    var sourcePort: UInt16
    var destinationPort: UInt16
    var verificationTag: UInt32
    var chunks: [SCTPChunk]

    static let headerLength = 12

    /// Parses a packet, checking its CRC32c; nil for a corrupt or truncated one (dropped, as SCTP does). Chunks
    /// after one that does not parse are left out.
    init?(parsing bytes: [UInt8]) {
        guard bytes.count >= Self.headerLength else { return nil }
        let stored = bytes.withUnsafeBufferPointer { UInt32(littleEndian: UnsafeRawBufferPointer($0).loadUnaligned(fromByteOffset: 8, as: UInt32.self)) }
        guard stored == Self.checksum(bytes) else { return nil }
        sourcePort = bytes.uint16(at: 0)
        destinationPort = bytes.uint16(at: 2)
        verificationTag = bytes.uint32(at: 4)
        chunks = []
        var offset = Self.headerLength
        while let (chunk, length) = SCTPChunk.parse(bytes, at: offset) {
            chunks.append(chunk)
            offset += (length + 3) & ~3
        }
    }

    /// A packet's bytes: the common header followed by whatever the caller appends; `seal` adds the checksum.
    static func start(sourcePort: UInt16, destinationPort: UInt16, verificationTag: UInt32, capacity: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(capacity)
        bytes.append(uint16: sourcePort)
        bytes.append(uint16: destinationPort)
        bytes.append(uint32: verificationTag)
        bytes.append(uint32: 0)
        return bytes
    }

    static func seal(_ bytes: inout [UInt8]) {
        let checksum = checksum(bytes).littleEndian
        withUnsafeBytes(of: checksum) { value in
            for index in 0..<4 { bytes[8 + index] = value[index] }
        }
    }

    /// CRC32c over the packet with its checksum field taken as zero, as the field holds it (the CRC's bytes in
    /// little-endian order, RFC 9260 Appendix A).
    static func checksum(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBufferPointer { csctp_checksum($0.baseAddress, $0.count) }
    }
}

extension SCTPAssociation {
    /// `packet` (common header and chunks) with its checksum field filled in: SCTP drops a packet whose CRC32c
    /// does not match before reading any chunk, so a fuzzer or a test that builds packets needs this.
    public static func withChecksum(_ packet: [UInt8]) -> [UInt8] {
        guard packet.count >= SCTPPacket.headerLength else { return packet }
        var sealed = packet
        SCTPPacket.seal(&sealed)
        return sealed
    }
}
