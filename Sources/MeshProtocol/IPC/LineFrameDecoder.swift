#if canImport(Glibc)
import Glibc
#endif
import NIOCore

/// Splits the IPC byte stream into lines, at the sidecar's end and the agent's alike (without the `\n`, and without
/// a `\r` before it).
/// A line longer than `maxLength` is an error rather than an unbounded buffer.
public struct LineFrameDecoder: ByteToMessageDecoder {
    public typealias InboundOut = ByteBuffer

    let maxLength: Int
    /// Bytes already searched for a newline, so a long line is scanned once, not once per read.
    private var scanned = 0

    public init(maxLength: Int) {
        self.maxLength = maxLength
    }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        let searched = scanned
        let found = buffer.withUnsafeReadableBytes { bytes -> Int? in
            guard bytes.count > searched, let base = bytes.baseAddress,
                let newline = memchr(base + searched, Int32(UInt8(ascii: "\n")), bytes.count - searched)
            else { return nil }
            return base.distance(to: UnsafeRawPointer(newline))
        }
        guard let newline = found else {
            scanned = buffer.readableBytes
            if scanned > maxLength { throw LineTooLongError(maxLength: maxLength) }
            return .needMoreData
        }
        scanned = 0
        var length = newline
        guard length <= maxLength else { throw LineTooLongError(maxLength: maxLength) }
        if length > 0, buffer.getInteger(at: buffer.readerIndex + length - 1, as: UInt8.self) == UInt8(ascii: "\r") { length -= 1 }
        let line = buffer.getSlice(at: buffer.readerIndex, length: length)!
        buffer.moveReaderIndex(forwardBy: newline + 1)
        context.fireChannelRead(wrapInboundOut(line))
        return .continue
    }

    public mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        while try decode(context: context, buffer: &buffer) == .continue {}
        // A last line without its newline is still a line.
        if buffer.readableBytes > 0 {
            context.fireChannelRead(wrapInboundOut(buffer.readSlice(length: buffer.readableBytes)!))
        }
        return .needMoreData
    }
}

public struct LineTooLongError: Error, CustomStringConvertible {
    public let maxLength: Int
    public var description: String { "line longer than \(maxLength) bytes" }
}
