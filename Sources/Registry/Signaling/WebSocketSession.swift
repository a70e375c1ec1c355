import HummingbirdWebSocket
import NIOWebSocket

/// Runs one WebSocket: a writer draining the connection's bounded queue, and a reader handing each
/// text message to `onText`. Returns when the client goes away or the queue asks to close.
func runWebSocketSession(
    inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter, queue: OutboundQueue, maxMessageBytes: Int,
    onText: @escaping @Sendable (String) async -> Void
) async throws {
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask {
            for await item in queue.items {
                switch item {
                case .text(let text):
                    try await outbound.write(.text(text))
                case .close(let code, let reason):
                    try await outbound.close(WebSocketErrorCode(codeNumber: Int(code)), reason: reason)
                    return
                }
            }
            try? await outbound.close(.normalClosure, reason: nil)
        }
        for try await message in inbound.messages(maxSize: maxMessageBytes) {
            switch message {
            case .text(let text): await onText(text)
            case .binary: queue.send(SignalingHub.errorFrame("binary frames are not supported; send JSON text"))
            }
        }
        queue.finish()
        try await group.waitForAll()
    }
}
