/// The payload of a `task_response` or `agent_response`: `{result, error}`, an empty error meaning success
/// (upstream's shape: both fields always present).
public struct MeshOutcome: Sendable, Equatable {
    public var result: String
    public var error: String

    public init(result: String) {
        self.result = result
        error = ""
    }

    public init(error: String) {
        result = ""
        self.error = error
    }

    public init(_ payload: JSONValue) {
        result = payload["result"]?.stringValue ?? ""
        error = payload["error"]?.stringValue ?? ""
    }

    public var failed: Bool { !error.isEmpty }

    public var json: JSONValue {
        .object(["result": .string(result), "error": .string(error)])
    }
}
