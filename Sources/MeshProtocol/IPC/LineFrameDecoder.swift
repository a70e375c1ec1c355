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
        let view = buffer.readableBytesView
        guard let newline = view[(view.startIndex + scanned)...].firstIndex(of: UInt8(ascii: "\n")) else {
            scanned = view.count
            if scanned > maxLength { throw LineTooLongError(maxLength: maxLength) }
            return .needMoreData
        }
        var length = newline - view.startIndex
        scanned = 0
        guard length <= maxLength else { throw LineTooLongError(maxLength: maxLength) }
        if length > 0, view[newline - 1] == UInt8(ascii: "\r") { length -= 1 }
        let line = buffer.getSlice(at: buffer.readerIndex, length: length)!
        buffer.moveReaderIndex(to: newline + 1)  // view indices are buffer indices
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
