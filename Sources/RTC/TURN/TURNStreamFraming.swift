import STUN

/// Where one message ends in a TURN connection over TCP or TLS (RFC 8656 §12.5): STUN messages and
/// ChannelData follow each other with no other framing, so each one's length comes from its header.
public enum TURNStreamFraming {
    /// Enough bytes to know a message's length.
    public static let headerLength = 4

    /// The whole length of the message that `header` (at least 4 bytes) starts, padding included; nil
    /// when the bytes start neither a STUN message nor ChannelData, and the stream cannot be trusted.
    public static func messageLength(startingWith header: some Collection<UInt8>) -> Int? {
        let bytes = Array(header.prefix(headerLength))
        guard bytes.count == headerLength else { return nil }
        // Both put a 16-bit length (excluding their header) in bytes 2 and 3.
        let length = Int(bytes[2]) << 8 | Int(bytes[3])
        switch DatagramKind(classifying: bytes) {
        case .stun:
            guard length % 4 == 0 else { return nil }
            return STUNMessage.headerLength + length
        case .turnChannelData:
            // Over a stream the data is padded to a multiple of 4, whatever its length says.
            return TURNChannelData.headerLength + ((length + 3) & ~3)
        default:
            return nil
        }
    }
}
