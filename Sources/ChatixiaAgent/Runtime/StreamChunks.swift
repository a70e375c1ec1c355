import MeshProtocol
import Synchronization

/// Numbers the chunks answering one request: `agent_stream_chunk`s for an `agent_prompt`, `task_stream_chunk`s
/// for a `task_request` that asked for them (see `MeshMessageType`).
final class StreamChunks: Sendable {
    let request: MeshMessage
    let agentId: String
    let type: MeshMessageType
    private let count = Mutex(0)

    init(request: MeshMessage, agentId: String) {
        self.request = request
        self.agentId = agentId
        type = request.type == .taskRequest ? .taskStreamChunk : .agentStreamChunk
    }

    func next(_ delta: String) -> MeshMessage {
        let index = count.withLock { count in
            defer { count += 1 }
            return count
        }
        return request.reply(
            type: type, from: agentId, payload: StreamChunkPayload(delta: delta, index: index).json)
    }
}
