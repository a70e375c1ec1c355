/// A piece of an answer being written (`agent_stream_chunk`, `task_stream_chunk`): its text and its place.
public struct StreamChunkPayload: Sendable, Equatable {
    public var delta: String
    public var index: Int

    public init(delta: String, index: Int) {
        self.delta = delta
        self.index = index
    }

    public init(_ payload: JSONValue) {
        delta = payload["delta"]?.stringValue ?? ""
        index = payload["index"]?.numberValue.map { Int(exactly: $0) ?? 0 } ?? 0
    }

    public var json: JSONValue {
        .object(["delta": .string(delta), "index": .number(Double(index))])
    }
}
