/// A `task_request`'s payload: the skill's arguments (upstream sends `{"message": …}`; any fields pass through),
/// plus `skill`, which routes the request, and `stream` (ours), which asks for the answer in `task_stream_chunk`s.
/// Neither is an argument of the skill.
public struct TaskRequestPayload: Sendable, Equatable {
    public var skill: String
    public var stream: Bool
    public var arguments: JSONValue

    public init(skill: String, stream: Bool = false, arguments: JSONValue) {
        self.skill = skill
        self.stream = stream
        self.arguments = arguments
    }

    public init(_ payload: JSONValue) {
        skill = payload["skill"]?.stringValue ?? ""
        stream = payload["stream"] == .bool(true)
        guard case .object(var fields) = payload else {
            arguments = payload
            return
        }
        fields["skill"] = nil
        fields["stream"] = nil
        arguments = .object(fields)
    }

    public var json: JSONValue {
        var fields = arguments.objectValue ?? [:]
        fields["skill"] = .string(skill)
        if stream { fields["stream"] = .bool(true) }
        return .object(fields)
    }
}
