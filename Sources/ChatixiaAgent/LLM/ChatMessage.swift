import MeshProtocol

/// One message of an OpenAI chat-completions conversation.
public struct ChatMessage: Sendable, Equatable, Codable {
    public var role: String
    public var content: String?
    public var toolCalls: [ToolCall]?
    public var toolCallId: String?

    public init(role: String, content: String?, toolCalls: [ToolCall]? = nil, toolCallId: String? = nil) {
        self.role = role
        self.content = content
        self.toolCalls = toolCalls
        self.toolCallId = toolCallId
    }

    enum CodingKeys: String, CodingKey { case role, content, toolCalls = "tool_calls", toolCallId = "tool_call_id" }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(role, forKey: .role)
        // An assistant turn that only calls tools carries `content: null`, as the API itself sends it.
        try container.encode(content, forKey: .content)
        if let toolCalls, !toolCalls.isEmpty { try container.encode(toolCalls, forKey: .toolCalls) }
        try container.encodeIfPresent(toolCallId, forKey: .toolCallId)
    }

    public static func system(_ text: String) -> ChatMessage { ChatMessage(role: "system", content: text) }
    public static func user(_ text: String) -> ChatMessage { ChatMessage(role: "user", content: text) }
    public static func tool(_ text: String, callId: String) -> ChatMessage { ChatMessage(role: "tool", content: text, toolCallId: callId) }
}

/// A function call the model asks for; `arguments` is JSON text.
public struct ToolCall: Sendable, Equatable, Codable {
    public struct Function: Sendable, Equatable, Codable {
        public var name: String
        public var arguments: String
    }

    public var id: String
    public var type: String
    public var function: Function

    public init(id: String, name: String, arguments: String) {
        self.id = id
        self.type = "function"
        self.function = Function(name: name, arguments: arguments)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(String.self, forKey: .id)
        type = try container.decodeIfPresent(String.self, forKey: .type) ?? "function"
        function = try container.decode(Function.self, forKey: .function)
    }

    enum CodingKeys: String, CodingKey { case id, type, function }
}

/// The request body of `POST .../chat/completions`.
struct ChatCompletionRequest: Encodable {
    var model: String
    var messages: [ChatMessage]
    var tools: [JSONValue]?
    /// `true` for server-sent events; left out otherwise.
    var stream: Bool?
}

/// The parts of a chat-completions answer the tool loop uses.
struct ChatCompletionResponse: Decodable {
    struct Choice: Decodable {
        var message: ChatMessage
        var finishReason: String?
        enum CodingKeys: String, CodingKey { case message, finishReason = "finish_reason" }
    }

    var choices: [Choice]
}
