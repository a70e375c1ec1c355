import MeshProtocol
import Synchronization

/// Numbers the `agent_stream_chunk`s answering one `agent_prompt` (see `MeshMessageType.agentStreamChunk`).
final class StreamChunks: Sendable {
    let request: MeshMessage
    let agentId: String
    private let count = Mutex(0)

    init(request: MeshMessage, agentId: String) {
        self.request = request
        self.agentId = agentId
    }

    func next(_ delta: String) -> MeshMessage {
        let index = count.withLock { count in
            defer { count += 1 }
            return count
        }
        return request.reply(
            type: MeshMessageType.agentStreamChunk, from: agentId, payload: .object(["delta": .string(delta), "index": .number(Double(index))]))
    }
}
