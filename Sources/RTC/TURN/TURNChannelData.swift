import STUN

/// A TURN ChannelData message (RFC 8656 section 12.4): a 4-byte header of channel number and
/// length, then the application data, padded to a multiple of 4 over TCP.
public struct TURNChannelData: Sendable, Hashable {
    /// Channel numbers a client may bind; 0x5000...0x7FFF are reserved.
    public static let validChannels: ClosedRange<UInt16> = 0x4000...0x4FFF
    public static let headerLength = 4

    public var channel: UInt16
    public var payload: [UInt8]

    public init(channel: UInt16, payload: [UInt8]) {
        self.channel = channel
        self.payload = payload
    }

    public enum ParseError: Error, Sendable, Hashable {
        case truncatedHeader(byteCount: Int)
        case channelOutOfRange(UInt16)
        /// The header's length is more than the bytes that follow it.
        case lengthOverrun(declared: Int, available: Int)
        /// More bytes follow the data than padding to a multiple of 4 would add.
        case trailingBytes(Int)
    }

    public enum EncodingError: Error, Sendable, Hashable {
        case channelOutOfRange(UInt16)
        case payloadTooLong(Int)
    }

    public init(parsing bytes: [UInt8]) throws(ParseError) {
        try self.init(parsing: bytes[...])
    }

    /// Parses one message, accepting the data with or without padding (UDP senders may omit it).
    public init(parsing bytes: ArraySlice<UInt8>) throws(ParseError) {
        var reader = ByteReader(bytes)
        guard let channel = reader.readUInt16(), let length = reader.readUInt16() else {
            throw .truncatedHeader(byteCount: bytes.count)
        }
        guard Self.validChannels.contains(channel) else { throw .channelOutOfRange(channel) }
        guard let payload = reader.readBytes(Int(length)) else {
            throw .lengthOverrun(declared: Int(length), available: reader.remaining)
        }
        let padding = (4 - Int(length) % 4) % 4
        guard reader.remaining == 0 || reader.remaining == padding else { throw .trailingBytes(reader.remaining) }
        self.init(channel: channel, payload: Array(payload))
    }

    /// The message on the wire; `padded` adds zeros to a multiple of 4, which TCP requires and
    /// UDP allows.
    public func encoded(padded: Bool = true) throws(EncodingError) -> [UInt8] {
        guard Self.validChannels.contains(channel) else { throw .channelOutOfRange(channel) }
        guard payload.count <= Int(UInt16.max) else { throw .payloadTooLong(payload.count) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Self.headerLength + payload.count + 3)
        bytes.appendBigEndian(channel)
        bytes.appendBigEndian(UInt16(payload.count))
        bytes.append(contentsOf: payload)
        if padded { bytes.padToFourBytes() }
        return bytes
    }
}
