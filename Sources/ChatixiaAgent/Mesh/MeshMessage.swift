import Foundation
import MeshProtocol

/// A message between agents over the DataChannel (UPSTREAM.md §3): `{type, request_id, source_agent, target_agent, payload}`.
public struct MeshMessage: Sendable, Equatable, Codable {
    public var type: String
    public var requestId: String
    public var sourceAgent: String
    public var targetAgent: String
    public var payload: JSONValue

    public init(type: String, requestId: String = "", sourceAgent: String = "", targetAgent: String = "", payload: JSONValue = .object([:])) {
        self.type = type
        self.requestId = requestId
        self.sourceAgent = sourceAgent
        self.targetAgent = targetAgent
        self.payload = payload
    }

    enum CodingKeys: String, CodingKey {
        case type, requestId = "request_id", sourceAgent = "source_agent", targetAgent = "target_agent", payload
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        type = try container.decode(String.self, forKey: .type)
        requestId = try container.decodeIfPresent(String.self, forKey: .requestId) ?? ""
        sourceAgent = try container.decodeIfPresent(String.self, forKey: .sourceAgent) ?? ""
        targetAgent = try container.decodeIfPresent(String.self, forKey: .targetAgent) ?? ""
        payload = try container.decodeIfPresent(JSONValue.self, forKey: .payload) ?? .null
    }

    /// A fresh request id in upstream's shape: 12 lowercase hex characters.
    public static func newRequestId() -> String {
        String(UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(12))
    }

    /// The answer to this request: same request id, source and target swapped.
    public func reply(type: String, from agentId: String, payload: JSONValue) -> MeshMessage {
        MeshMessage(type: type, requestId: requestId, sourceAgent: agentId, targetAgent: sourceAgent, payload: payload)
    }
}

/// MeshMessage types (UPSTREAM.md §3).
public enum MeshMessageType {
    public static let ping = "ping"
    public static let pong = "pong"
    public static let taskRequest = "task_request"
    public static let taskResponse = "task_response"
    public static let skillQuery = "skill_query"
    public static let skillResponse = "skill_response"
    public static let agentStatus = "agent_status"
    public static let agentPrompt = "agent_prompt"
    public static let agentResponse = "agent_response"
    /// A piece of the answer to an `agent_prompt`, sent while the LLM streams it, before the `agent_response`.
    /// Upstream declares the type but never sends it; ours is
    /// `{"type": "agent_stream_chunk", "request_id": <the prompt's>, "source_agent": <answering agent>,
    /// "target_agent": <requester>, "payload": {"delta": "<text>", "index": <0, 1, 2, ...>}}`.
    /// The chunks of one request, in `index` order, concatenate to the text of its final `agent_response`
    /// (`{result, error}` as ever), so a requester that ignores them loses nothing.
    public static let agentStreamChunk = "agent_stream_chunk"

    /// Types that answer an earlier request and are matched to it by request id.
    public static let replies: Set<String> = [pong, taskResponse, skillResponse, agentResponse]
}
