import Foundation
import Logging
import MCP
import MeshProtocol
import NIOCore
import NIOPosix

/// The MCP stdio transport over a child's pipes: newline-delimited JSON-RPC, read by SwiftNIO.
///
/// The SDK's own `StdioTransport` polls its non-blocking descriptor every 10 ms while idle, and when the server
/// dies its stream merely ends, after which `Client`'s message loop spins on the finished stream and pending
/// requests are never answered. Here the read side is event-driven, and the end of the server's stdout ends
/// the stream with an error and tells `onClose`, so the owner can fail what is pending at once.
actor MCPPipeTransport: Transport {
    struct Closed: Error, CustomStringConvertible {
        var description: String { "the MCP server closed its stdout" }
    }

    /// Lines longer than this end the connection (a tool result is rarely more than a few MiB).
    static let maxLineBytes = 64 << 20

    nonisolated let logger: Logger
    private let input: Int32
    private let output: Int32
    private let onClose: @Sendable () -> Void
    private let messages: AsyncThrowingStream<Data, any Error>
    private let sink: AsyncThrowingStream<Data, any Error>.Continuation
    private var channel: (any Channel)?
    private var writer: NIOAsyncChannelOutboundWriter<ByteBuffer>?

    /// Takes ownership of `input` (the server's stdout) and `output` (its stdin).
    init(input: Int32, output: Int32, logger: Logger, onClose: @escaping @Sendable () -> Void) {
        self.input = input
        self.output = output
        self.logger = logger
        self.onClose = onClose
        (messages, sink) = AsyncThrowingStream.makeStream(of: Data.self)
    }

    func connect() async throws {
        guard channel == nil else { return }
        let pipe = try await NIOPipeBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .takingOwnershipOfDescriptors(input: input, output: output) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(LineFrameDecoder(maxLength: Self.maxLineBytes)))
                    return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        channel = pipe.channel
        let (ready, readySink) = AsyncStream.makeStream(of: Void.self)
        Task {
            do {
                try await pipe.executeThenClose { inbound, outbound in
                    self.attach(outbound)
                    readySink.finish()
                    for try await line in inbound { self.sink.yield(Data(buffer: line)) }
                }
                sink.finish(throwing: Closed())
            } catch {
                sink.finish(throwing: error)
            }
            readySink.finish()
            detach()
        }
        for await _ in ready {}
    }

    private func attach(_ writer: NIOAsyncChannelOutboundWriter<ByteBuffer>) { self.writer = writer }

    private func detach() {
        writer = nil
        channel = nil
        onClose()
    }

    func disconnect() async {
        try? await channel?.close()
    }

    func send(_ data: Data) async throws {
        guard let writer else { throw MCPError.connectionClosed }
        var buffer = ByteBuffer(data: data)
        buffer.writeInteger(UInt8(ascii: "\n"))
        try await writer.write(buffer)
    }

    nonisolated func receive() -> AsyncThrowingStream<Data, any Error> { messages }
}
