import NIOCore
import NIOEmbedded
import Testing

@testable import MeshProtocol

@Suite struct LineFrameDecoderTests {
    private func channel(maxLength: Int = 16) throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(LineFrameDecoder(maxLength: maxLength)))
        return channel
    }

    private func lines(from channel: EmbeddedChannel) throws -> [String] {
        var out: [String] = []
        while let line = try channel.readInbound(as: ByteBuffer.self) { out.append(String(buffer: line)) }
        return out
    }

    @Test func splitsLinesAcrossAndWithinReads() throws {
        let channel = try channel()
        try channel.writeInbound(ByteBuffer(string: "ab"))
        #expect(try lines(from: channel).isEmpty)
        try channel.writeInbound(ByteBuffer(string: "c\ndef\r\n\ng"))
        #expect(try lines(from: channel) == ["abc", "def", ""])
        try channel.writeInbound(ByteBuffer(string: "h\n"))
        #expect(try lines(from: channel) == ["gh"])
    }

    @Test func aLastLineWithoutNewlineIsDeliveredAtEOF() throws {
        let channel = try channel()
        try channel.writeInbound(ByteBuffer(string: "one\ntwo"))
        _ = try channel.finish()
        #expect(try lines(from: channel) == ["one", "two"])
    }

    @Test func aLineOverTheLimitIsAnErrorWithOrWithoutItsNewline() throws {
        let unterminated = try channel(maxLength: 8)
        #expect(throws: LineTooLongError.self) { try unterminated.writeInbound(ByteBuffer(string: "123456789")) }

        let terminated = try channel(maxLength: 8)
        try terminated.writeInbound(ByteBuffer(string: "12345678\n"))
        #expect(try lines(from: terminated) == ["12345678"])
        #expect(throws: LineTooLongError.self) { try terminated.writeInbound(ByteBuffer(string: "123456789\n")) }
    }
}
