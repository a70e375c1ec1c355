#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A message between agents over the DataChannel (UPSTREAM.md §3): `{type, request_id, source_agent, target_agent, payload}`.
public struct MeshMessage: Sendable, Equatable, Codable {
    public var type: MeshMessageType
    public var requestId: String
    public var sourceAgent: String
    public var targetAgent: String
    public var payload: JSONValue

    public init(type: MeshMessageType, requestId: String = "", sourceAgent: String = "", targetAgent: String = "", payload: JSONValue = .object([:])) {
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
        type = try container.decode(MeshMessageType.self, forKey: .type)
        requestId = try container.decodeIfPresent(String.self, forKey: .requestId) ?? ""
        sourceAgent = try container.decodeIfPresent(String.self, forKey: .sourceAgent) ?? ""
        targetAgent = try container.decodeIfPresent(String.self, forKey: .targetAgent) ?? ""
        payload = try container.decodeIfPresent(JSONValue.self, forKey: .payload) ?? .null
    }

    /// A fresh request id in upstream's shape: 12 lowercase hex characters.
    public static func newRequestId() -> String {
        String(UUID().uuidString.filter { $0 != "-" }.lowercased().prefix(12))
    }

    /// The answer to this request: same request id, source and target swapped.
    public func reply(type: MeshMessageType, from agentId: String, payload: JSONValue) -> MeshMessage {
        MeshMessage(type: type, requestId: requestId, sourceAgent: agentId, targetAgent: sourceAgent, payload: payload)
    }

    /// The sidecar's answer to a `ping`: a `pong` with the same request id and payload, source and target swapped.
    public var pong: MeshMessage {
        MeshMessage(type: .pong, requestId: requestId, sourceAgent: targetAgent, targetAgent: sourceAgent, payload: payload)
    }

    /// What a DataChannel message's text says about itself without decoding it all: nil if it is not a JSON
    /// object, else its `type` (nil inside when it has none).
    public static func peekType(_ utf8: [UInt8]) -> MeshMessageType?? {
        utf8.withUnsafeBufferPointer { peekType($0) }
    }

    public static func peekType(_ bytes: UnsafeBufferPointer<UInt8>) -> MeshMessageType?? {
        guard let members = try? JSONScanner.members(of: bytes) else { return nil }
        return .some(members["type"].flatMap { JSONScanner.string(in: bytes, range: $0) }.map(MeshMessageType.init(rawValue:)))
    }
}

/// MeshMessage types (UPSTREAM.md §3); a type this side does not know passes through as `unknown`.
public enum MeshMessageType: OpenWireEnum {
    case ping, pong, taskRequest, taskResponse, skillQuery, skillResponse, agentStatus, agentPrompt, agentResponse
    /// A piece of the answer to an `agent_prompt`, sent while the LLM streams it, before the `agent_response`.
    /// Upstream declares the type but never sends it; ours is
    /// `{"type": "agent_stream_chunk", "request_id": <the prompt's>, "source_agent": <answering agent>,
    /// "target_agent": <requester>, "payload": {"delta": "<text>", "index": <0, 1, 2, ...>}}`.
    /// The chunks of one request, in `index` order, concatenate to the text of its final `agent_response`
    /// (`{result, error}` as ever), so a requester that ignores them loses nothing.
    case agentStreamChunk
    /// A piece of the answer to a `task_request` whose payload asked for them (`"stream": true`, ours), shaped
    /// as `agent_stream_chunk`. Upstream declares the type but never sends it, and its requesters never ask.
    case taskStreamChunk
    case unknown(String)

    public static let knownCases: [MeshMessageType] = [
        .ping, .pong, .taskRequest, .taskResponse, .skillQuery, .skillResponse, .agentStatus, .agentPrompt, .agentResponse, .agentStreamChunk,
        .taskStreamChunk,
    ]

    public var rawValue: String {
        switch self {
        case .ping: "ping"
        case .pong: "pong"
        case .taskRequest: "task_request"
        case .taskResponse: "task_response"
        case .skillQuery: "skill_query"
        case .skillResponse: "skill_response"
        case .agentStatus: "agent_status"
        case .agentPrompt: "agent_prompt"
        case .agentResponse: "agent_response"
        case .agentStreamChunk: "agent_stream_chunk"
        case .taskStreamChunk: "task_stream_chunk"
        case .unknown(let name): name
        }
    }

    /// Types that answer an earlier request and are matched to it by request id.
    public var isReply: Bool { [.pong, .taskResponse, .skillResponse, .agentResponse].contains(self) }

    /// Types that carry a piece of a reply still being written.
    public var isStreamChunk: Bool { self == .agentStreamChunk || self == .taskStreamChunk }
}
