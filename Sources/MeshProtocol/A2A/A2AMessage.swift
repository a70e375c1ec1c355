/// A2A 1.0 `Message` (ProtoJSON of `lf.a2a.v1.Message`): one turn of a conversation.
public struct A2AMessage: Sendable, Hashable, Codable {
    public var messageId: String
    public var role: A2ARole
    public var parts: [A2APart]
    public var contextId: String?
    public var taskId: String?
    public var metadata: JSONValue?

    public init(
        messageId: String, role: A2ARole, parts: [A2APart], contextId: String? = nil, taskId: String? = nil, metadata: JSONValue? = nil
    ) {
        self.messageId = messageId
        self.role = role
        self.parts = parts
        self.contextId = contextId
        self.taskId = taskId
        self.metadata = metadata
    }

    enum CodingKeys: String, CodingKey { case messageId, role, parts, contextId, taskId, metadata }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        messageId = try container.protoJSON(.messageId, or: "")
        role = try container.protoJSON(.role, or: .unknown(""))
        parts = try container.protoJSON(.parts, or: [])
        contextId = try container.decodeIfPresent(String.self, forKey: .contextId)
        taskId = try container.decodeIfPresent(String.self, forKey: .taskId)
        metadata = try container.decodeIfPresent(JSONValue.self, forKey: .metadata)
    }

    /// The text parts, joined by newlines.
    public var text: String {
        parts.compactMap(\.text).joined(separator: "\n")
    }
}

/// Who sent a message: `ROLE_USER` or `ROLE_AGENT`.
public enum A2ARole: OpenWireEnum {
    case user, agent
    case unknown(String)

    public static let knownCases: [A2ARole] = [.user, .agent]

    public var rawValue: String {
        switch self {
        case .user: "ROLE_USER"
        case .agent: "ROLE_AGENT"
        case .unknown(let name): name
        }
    }
}

/// A2A 1.0 `Part`: exactly one of `text`, `data` (any JSON), `raw` (base64) or `url`, with an optional media type,
/// file name and metadata. A oneof on the wire is the presence of one key, so each is an optional here.
public struct A2APart: Sendable, Hashable, Codable {
    public var text: String?
    public var data: JSONValue?
    public var raw: String?
    public var url: String?
    public var mediaType: String?
    public var filename: String?
    public var metadata: JSONValue?

    public init(text: String) {
        self.text = text
    }

    public init(data: JSONValue) {
        self.data = data
    }

    /// The media type the part's content has: its own, else that of its kind.
    public var effectiveMediaType: String {
        if let mediaType { return mediaType }
        if text != nil { return "text/plain" }
        if data != nil { return "application/json" }
        return "application/octet-stream"
    }
}
