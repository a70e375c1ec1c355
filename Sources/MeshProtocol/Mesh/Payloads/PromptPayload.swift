/// An `agent_prompt`'s payload: the text, and for one nobody answers (no request id: upstream's `mesh_send` and
/// `mesh_broadcast`) whether it went to one agent (`direct`) or to all (`broadcast`).
public struct PromptPayload: Sendable, Equatable {
    public enum Audience: Sendable, Equatable {
        case asked, direct, broadcast
    }

    public var message: String
    public var audience: Audience

    public init(message: String, audience: Audience = .asked) {
        self.message = message
        self.audience = audience
    }

    public init(_ payload: JSONValue) {
        message = payload["message"]?.stringValue ?? ""
        audience = payload["broadcast"] == .bool(true) ? .broadcast : payload["direct"] == .bool(true) ? .direct : .asked
    }

    public var json: JSONValue {
        switch audience {
        case .asked: .object(["message": .string(message)])
        case .direct: .object(["message": .string(message), "direct": .bool(true)])
        case .broadcast: .object(["message": .string(message), "broadcast": .bool(true)])
        }
    }
}
